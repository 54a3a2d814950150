"""The PC's two Intel 8237A DMA controllers and the DMA page registers.

DMA1 serves the 8-bit channels 0-3 at ports 0x00-0x0F; DMA2 serves the 16-bit
channels 4-7 at ports 0xC0-0xDE (every other port: its registers sit at even
addresses, as the AT wires the controller's A0 to the bus's A1). DMA1 is cascaded into
DMA2's channel 4, so channels 0-3 move data only while channel 4 is unmasked, and a
BIOS unmasks it at POST (cascade mode in 0xD6, then 0 to 0xD4). The page registers at
0x81-0x8F give the address bits above the 8237's sixteen: channel 2 0x81, 3 0x82,
1 0x83, 0 0x87, 6 0x89, 7 0x8A, 5 0x8B; the others are plain read/write latches.
Port 0x80 (the page register no channel uses) is left to the POST code latch
(emu.debugports.PostCodes), which reads back like a page register; so is any other
spare latch the POST latch is placed at (Dma(memory, leave=...)).

Registers follow the 8237A data sheet (Intel order no. 231466): current and base
address and count (written through the byte pointer flip-flop: low byte, then high;
a write sets base and current), status (TC bits 0-3, cleared by reading it; request
bits 4-7), command (bit 2 disables the controller), request, single-channel and
all-channel mask, mode (verify/write/read transfers, autoinitialize, address
decrement, demand/single/block/cascade), clear byte pointer, master clear, clear mask.
The temporary register (memory-to-memory transfers, not wired on a PC) reads 0.

The 16-bit channels count words: their address register holds A1-A16, the page
register A17-A23 (its bit 0 is ignored), so a transfer wraps within 128 KiB; an 8-bit
channel wraps within the 64 KiB its page selects. A transfer of count+1 units reaches
terminal count (TC): the status bit is set, and the channel either reloads its base
address and count (autoinitialize) or masks itself.

Devices do not see bus cycles. A device that is ready to move data (DREQ) calls its
channel: transfer_to_memory(data) (an I/O-to-memory "write" transfer) or
transfer_from_memory(n) ("read" transfer) move as much as the channel allows at once
and stop at TC; `terminal_count` then tells the device the transfer ended there (the
TC/EOP pulse). A masked channel moves nothing; a device that holds DREQ with
request(service) is called back (service()) when the guest unmasks the channel. A call
that does not match the programmed direction runs the cycles without moving data, as
the hardware would: memory is not written, and the device reads floating-bus 0xFF.
"""

CHANNELS = 8
PAGE_PORTS = (0x81, 0x8F)                  # 0x80 belongs to the POST latch
PAGE_OF_CHANNEL = {0: 0x87, 1: 0x83, 2: 0x81, 3: 0x82, 5: 0x8B, 6: 0x89, 7: 0x8A}
SPARE_PAGE_PORTS = frozenset(range(PAGE_PORTS[0], PAGE_PORTS[1] + 1)) - \
    frozenset(PAGE_OF_CHANNEL.values())
DMA1_BASE, DMA2_BASE = 0x00, 0xC0

# controller registers, by register number (port offset >> shift)
REG_STATUS_COMMAND = 8
REG_REQUEST = 9
REG_SINGLE_MASK = 10
REG_MODE = 11
REG_CLEAR_FLIPFLOP = 12
REG_TEMP_MASTER_CLEAR = 13
REG_CLEAR_MASK = 14
REG_ALL_MASK = 15

CMD_DISABLE = 0x04
MODE_TYPE = 0x0C
TYPE_VERIFY, TYPE_WRITE, TYPE_READ = 0x00, 0x04, 0x08     # "write" = into memory
MODE_AUTOINIT = 0x10
MODE_DECREMENT = 0x20
MODE_SELECT = 0xC0
MODE_DEMAND, MODE_SINGLE, MODE_BLOCK, MODE_CASCADE = 0x00, 0x40, 0x80, 0xC0
CASCADE_CHANNEL = 4


class Channel:
    """One DMA channel: its registers and the device-facing transfer calls."""

    def __init__(self, dma, index):
        self.dma = dma
        self.index = index
        self.controller = dma.controllers[index >> 2]
        self.slot = index & 3
        self.wide = index >= 4                 # counts words, not bytes
        self.unit = 2 if self.wide else 1
        self.page_port = PAGE_OF_CHANNEL.get(index)
        self.dreq = False
        self.service = None
        self.power_on()

    def power_on(self):
        self.base_address = self.base_count = 0
        self.address = self.count = 0
        self.mode = 0
        self.terminal_count = False

    # -- state the device asks about ---------------------------------------------------
    @property
    def page(self):
        return self.dma.pages[self.page_port] if self.page_port is not None else 0

    @property
    def masked(self):
        """True while this channel cannot transfer: its mask bit, its controller
        disabled, or (channels 0-3) the cascade channel 4 masked."""
        c = self.controller
        if c.mask >> self.slot & 1 or c.command & CMD_DISABLE:
            return True
        return not self.wide and self.dma.channels[CASCADE_CHANNEL].masked

    @property
    def remaining(self):
        """Bytes this channel will move before it reaches terminal count."""
        return (self.count + 1) * self.unit

    def request(self, service):
        """The device raises DREQ: service() is called when the guest unmasks the
        channel while the request stands (the device then calls a transfer)."""
        self.dreq = True
        self.service = service

    def release(self):
        """The device drops DREQ."""
        self.dreq = False
        self.service = None

    # -- transfers ---------------------------------------------------------------------
    def _physical(self):
        if self.wide:
            return (self.page & 0xFE) << 16 | self.address << 1
        return self.page << 16 | self.address

    def _units_now(self, want):
        """How many units the next contiguous piece may hold."""
        n = min(want, self.count + 1)
        if self.mode & MODE_DECREMENT:
            return min(n, 1)                   # descending: unit by unit
        return min(n, 0x10000 - self.address)  # the address register wraps in its page

    def _advance(self, n):
        """Move the address and count n units on; handle terminal count."""
        step = -n if self.mode & MODE_DECREMENT else n
        self.address = (self.address + step) & 0xFFFF
        expired = n == self.count + 1
        self.count = (self.count - n) & 0xFFFF
        if expired:
            self._reach_tc()
        return expired

    def _reach_tc(self):
        self.terminal_count = True
        self.controller.status |= 1 << self.slot
        self.controller.request &= ~(1 << self.slot)
        if self.mode & MODE_AUTOINIT:
            self.address = self.base_address
            self.count = self.base_count
        else:
            self.controller.mask |= 1 << self.slot

    def transfer_to_memory(self, data):
        """Move bytes from the device into memory; returns how many were taken
        (whole units only; stops at terminal count)."""
        self.terminal_count = False
        if self.masked:
            return 0
        kind = self.mode & MODE_TYPE
        mem = self.dma.memory
        units = len(data) // self.unit
        done = 0
        while done < units:
            n = self._units_now(units - done)
            if kind == TYPE_WRITE:
                chunk = data[done * self.unit:(done + n) * self.unit]
                mem.write(self._physical(), chunk)
            done += n
            if self._advance(n):
                break
        return done * self.unit

    def transfer_from_memory(self, nbytes):
        """Read up to nbytes (whole units) from memory for the device; stops at
        terminal count; returns the bytes."""
        self.terminal_count = False
        if self.masked:
            return b""
        kind = self.mode & MODE_TYPE
        mem = self.dma.memory
        units = nbytes // self.unit
        out = bytearray()
        while len(out) < units * self.unit:
            n = self._units_now(units - len(out) // self.unit)
            if kind == TYPE_READ:
                out += mem.read(self._physical(), n * self.unit)
            else:
                out += b"\xff" * (n * self.unit)
            if self._advance(n):
                break
        return bytes(out)

    # -- guest side ------------------------------------------------------------------
    def write_address(self, value, high):
        self.base_address = _set_byte(self.base_address, value, high)
        self.address = self.base_address

    def write_count(self, value, high):
        self.base_count = _set_byte(self.base_count, value, high)
        self.count = self.base_count
        self.terminal_count = False


def _set_byte(word, value, high):
    if high:
        return (word & 0x00FF) | value << 8
    return (word & 0xFF00) | value


class Controller:
    """One 8237A's shared registers (the channel registers live in Channel)."""

    def __init__(self):
        self.reset()

    def reset(self):
        """Master clear: command, status, request and flip-flop cleared, all masked."""
        self.command = 0
        self.status = 0
        self.request = 0
        self.flipflop = False
        self.mask = 0x0F

    def toggle(self):
        high = self.flipflop
        self.flipflop = not high
        return high


class Dma:
    """Both 8237As, the page registers, and the channel objects devices use.

    leave: spare page-latch ports (SPARE_PAGE_PORTS) another device owns."""

    def __init__(self, memory, leave=()):
        if not set(leave) <= SPARE_PAGE_PORTS:
            raise ValueError("DMA page ports %s are not spare latches"
                             % ", ".join("%#x" % p for p in sorted(set(leave) -
                                                                  SPARE_PAGE_PORTS)))
        self.memory = memory
        self.leave = frozenset(leave)
        self.controllers = (Controller(), Controller())
        self.pages = bytearray(0x100)
        self.channels = [Channel(self, n) for n in range(CHANNELS)]

    def channel(self, n):
        return self.channels[n]

    def attach(self, bus):
        bus.claim("DMA1 (8237A)", DMA1_BASE, 16, self._read1, self._write1)
        bus.claim("DMA2 (8237A)", DMA2_BASE, 32, self._read2, self._write2)
        first, last = PAGE_PORTS
        port = first
        while port <= last:                    # in runs around the ports left out
            end = port
            while end <= last and end not in self.leave:
                end += 1
            if end > port:
                bus.claim("DMA page registers", port, end - port,
                          self._read_page, self._write_page)
            port = end + 1

    def reset(self):
        """The RESET line: both controllers master-cleared, channels idle."""
        for c in self.controllers:
            c.reset()
        for ch in self.channels:
            ch.power_on()
        self.pages[:] = bytes(len(self.pages))

    # -- ports ------------------------------------------------------------------------
    def _read_page(self, port, size):
        return self.pages[port]

    def _write_page(self, port, value, size):
        self.pages[port] = value

    def _read1(self, port, size):
        return self._read_reg(0, port & 0x0F)

    def _write1(self, port, value, size):
        self._write_reg(0, port & 0x0F, value)

    def _read2(self, port, size):
        if port & 1:
            return 0xFF                        # odd ports are not decoded
        return self._read_reg(1, (port - DMA2_BASE) >> 1)

    def _write2(self, port, value, size):
        if not port & 1:
            self._write_reg(1, (port - DMA2_BASE) >> 1, value)

    def _read_reg(self, ctl, reg):
        c = self.controllers[ctl]
        if reg < 8:
            ch = self.channels[ctl * 4 + (reg >> 1)]
            value = ch.count if reg & 1 else ch.address
            return (value >> 8) if c.toggle() else value & 0xFF
        if reg == REG_STATUS_COMMAND:
            value = c.status | self._requests(ctl) << 4
            c.status = 0                       # TC bits clear on read
            return value
        if reg == REG_TEMP_MASTER_CLEAR:
            return 0                           # temporary register: no mem-to-mem
        return 0xFF                            # write-only registers

    def _requests(self, ctl):
        c = self.controllers[ctl]
        bits = c.request
        for k in range(4):
            if self.channels[ctl * 4 + k].dreq:
                bits |= 1 << k
        return bits

    def _write_reg(self, ctl, reg, value):
        c = self.controllers[ctl]
        if reg < 8:
            ch = self.channels[ctl * 4 + (reg >> 1)]
            high = c.toggle()
            if reg & 1:
                ch.write_count(value, high)
            else:
                ch.write_address(value, high)
            return
        if reg == REG_STATUS_COMMAND:
            c.command = value
        elif reg == REG_REQUEST:
            bit = 1 << (value & 3)
            c.request = c.request | bit if value & 4 else c.request & ~bit
        elif reg == REG_SINGLE_MASK:
            bit = 1 << (value & 3)
            c.mask = c.mask | bit if value & 4 else c.mask & ~bit
        elif reg == REG_MODE:
            ch = self.channels[ctl * 4 + (value & 3)]
            ch.mode = value & 0xFC
        elif reg == REG_CLEAR_FLIPFLOP:
            c.flipflop = False
        elif reg == REG_TEMP_MASTER_CLEAR:
            c.reset()
        elif reg == REG_CLEAR_MASK:
            c.mask = 0
        elif reg == REG_ALL_MASK:
            c.mask = value & 0x0F
        self._serve_requests()

    def _serve_requests(self):
        """Call the devices holding DREQ on channels that can transfer now."""
        for ch in self.channels:
            if ch.dreq and ch.service is not None and not ch.masked:
                ch.service()
