"""Debug and test ports that emulators give guests for talking to the outside world.

- DebugConsole: the Bochs "port E9 hack" / QEMU isa-debugcon: bytes written to the
  port go to a host stream; a read returns 0xE9 so a guest can detect the console.
- PostCodes: the POST code latch at port 0x80 that BIOSes write progress codes to
  (a POST card shows them); logged one two-digit hex code per line.
- DebugExit: QEMU's isa-debug-exit: writing V ends the emulator with status (V<<1)|1.
- BochsShutdown: Bochs's port 0x8900: writing the bytes of "Shutdown" powers off.
"""

DEBUGCON_PORT = 0xE9
POST_PORT = 0x80
DEBUG_EXIT_PORT = 0xF4
DEBUG_EXIT_SIZE = 4          # QEMU's iosize=4: any of 0xF4..0xF7, any width
SHUTDOWN_PORT = 0x8900
SHUTDOWN_MAGIC = b"Shutdown"


class DebugConsole:
    """Port E9: the guest's byte-wide console (a word OUT sends only its low byte here)."""

    def __init__(self, out):
        self.out = out                  # binary stream

    def attach(self, bus, port=DEBUGCON_PORT):
        bus.claim("debug console", port, 1, self.read, self.write)

    def read(self, port, size):
        return DEBUGCON_PORT            # Bochs and QEMU answer 0xE9: "console present"

    def write(self, port, value, size):
        self.out.write(bytes((value,)))
        if value == 0x0A:
            self.out.flush()

    def flush(self):
        self.out.flush()


class PostCodes:
    """Port 80h: the last code written reads back, as from the DMA page register there."""

    def __init__(self, log):
        self.log = log                  # text stream, one code per line
        self.last = 0xFF

    def attach(self, bus, port=POST_PORT):
        bus.claim("POST code port", port, 1, self.read, self.write)

    def read(self, port, size):
        return self.last

    def write(self, port, value, size):
        self.last = value
        # flushed per code: the last codes before a crash are the interesting ones
        self.log.write("%02x\n" % value)
        self.log.flush()


class DebugExit:
    """QEMU isa-debug-exit (iobase 0xF4, iosize 4): a write of V exits with (V<<1)|1."""

    def __init__(self, request_exit):
        self.request_exit = request_exit    # called with the value written

    def attach(self, bus, port=DEBUG_EXIT_PORT):
        bus.claim("isa-debug-exit", port, DEBUG_EXIT_SIZE, self.read, self.write,
                  widths=(1, 2, 4))

    def read(self, port, size):
        return 0                        # QEMU's device reads as zero

    def write(self, port, value, size):
        self.request_exit(value)


class BochsShutdown:
    """Bochs port 8900h: the bytes 'S','h','u','t','d','o','w','n' in a row power off.

    Any other byte restarts the match (an 'S' starts a new one)."""

    def __init__(self, power_off):
        self.power_off = power_off
        self.matched = 0

    def attach(self, bus, port=SHUTDOWN_PORT):
        bus.claim("Bochs shutdown port", port, 1, None, self.write)

    def reset(self):
        self.matched = 0

    def write(self, port, value, size):
        if value == SHUTDOWN_MAGIC[self.matched]:
            self.matched += 1
            if self.matched == len(SHUTDOWN_MAGIC):
                self.matched = 0
                self.power_off()
        else:
            self.matched = 1 if value == SHUTDOWN_MAGIC[0] else 0
