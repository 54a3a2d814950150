"""Host ends of the serial line: the stdin reader never blocks the emulator."""
import os
import threading

from emu.chardev import BytesSource, FdSource


def test_fd_source_reads_in_the_background_and_sees_eof():
    r, w = os.pipe()
    wakeup = threading.Event()
    src = FdSource(r, wakeup)
    try:
        assert not src.ready() and src.read(4) == b"" and not src.eof
        os.write(w, b"abc")
        assert wakeup.wait(5)
        assert src.ready() and src.read(2) == b"ab" and src.read(5) == b"c"
        wakeup.clear()
        os.close(w)
        assert wakeup.wait(5)
        assert src.eof
    finally:
        src.close()
        os.close(r)


def test_fd_source_close_ends_the_reader():
    r, w = os.pipe()
    src = FdSource(r, threading.Event())
    src.close()
    src._thread.join(5)
    assert not src._thread.is_alive()
    os.close(r)
    os.close(w)


def test_bytes_source():
    src = BytesSource(b"xy")
    assert src.ready() and src.read(1) == b"x" and not src.eof
    assert src.read(9) == b"y" and src.eof and not src.ready()
