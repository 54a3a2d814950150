"""Host ends of the guest's serial lines (QEMU calls these character devices).

A UART (hw.uart) writes to a sink (any binary stream: stdout, a file) and reads from a
source with this interface, none of which ever blocks the emulator:
    ready() -> bool     bytes are waiting
    read(n) -> bytes    up to n waiting bytes (b"" when none)
    eof                 true once the host end is closed and drained
Sources that receive asynchronously set a shared threading.Event (`wakeup`) so that a
machine idling in HLT notices input at once.
"""
import os
import select
import threading

try:
    import termios
except ImportError:                  # not POSIX: no terminal modes to set
    termios = None


class FdSource:
    """Bytes from a file descriptor (stdin), read by a daemon thread.

    When the descriptor is a terminal it is switched to character-at-a-time mode
    without echo, and without turning CR into LF (a serial terminal sends CR), while
    keeping the signal keys so Ctrl+C still stops the emulator. close() restores it
    and ends the thread (it waits for input in short select() rounds for that), so an
    emulator run inside a longer-lived process leaves no reader behind."""

    POLL_SECONDS = 0.1

    def __init__(self, fd, wakeup):
        self.fd = fd
        self.wakeup = wakeup
        self._lock = threading.Lock()
        self._buf = bytearray()
        self._closed = False
        self._stop = threading.Event()
        self._saved_tty = None
        if termios is not None and os.isatty(fd):
            self._saved_tty = termios.tcgetattr(fd)
            mode = termios.tcgetattr(fd)
            mode[0] &= ~(termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON)
            mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ECHONL | termios.IEXTEN)
            mode[6][termios.VMIN] = 1
            mode[6][termios.VTIME] = 0
            termios.tcsetattr(fd, termios.TCSANOW, mode)
        self._thread = threading.Thread(target=self._reader, name="serial input",
                                        daemon=True)
        self._thread.start()

    def _reader(self):
        while not self._stop.is_set():
            try:
                if not select.select([self.fd], [], [], self.POLL_SECONDS)[0]:
                    continue
                data = os.read(self.fd, 4096)
            except (OSError, ValueError):
                data = b""
            with self._lock:
                if data:
                    self._buf += data
                else:
                    self._closed = True
            self.wakeup.set()
            if not data:
                return

    def ready(self):
        return bool(self._buf)

    def read(self, n):
        with self._lock:
            data = bytes(self._buf[:n])
            del self._buf[:n]
        return data

    @property
    def eof(self):
        return self._closed and not self._buf

    def close(self):
        self._stop.set()
        if self._saved_tty is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved_tty)
            self._saved_tty = None


class BytesSource:
    """A fixed byte string, all of it there from the start (tests, scripted input)."""

    def __init__(self, data):
        self._buf = bytearray(data)

    def ready(self):
        return bool(self._buf)

    def read(self, n):
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    @property
    def eof(self):
        return not self._buf

    def close(self):
        pass
