"""The PC's 64 K I/O port space: a table of device handlers indexed by port number.

A device claims a range of ports with read(port, size) -> int and write(port, value,
size) callables and the access widths it decodes itself. An access of another width
is split into byte accesses at consecutive ports, the way the ISA bus turns a 16/32-bit
cycle into 8-bit cycles for an 8-bit device (QEMU splits accesses to a device's
declared access sizes in the same spirit); a byte access to a device that decodes only
wider accesses reaches nobody. Nothing claims a port: reads float high (all ones) and
writes go nowhere, as on a PC bus.
"""

WIDTH_MASK = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF}


class PortConflict(ValueError):
    """Two devices were configured on the same I/O port."""


class _Claim:
    __slots__ = ("name", "read", "write", "widths")

    def __init__(self, name, read, write, widths):
        self.name = name
        self.read = read
        self.write = write
        self.widths = widths          # bit set of access sizes (1 | 2 | 4)


def _float_high(port, size):
    return WIDTH_MASK[size]


def _ignore(port, value, size):
    pass


class PortBus:
    """Dispatches the CPU's IN/OUT (and INS/OUTS) to the device owning each port."""

    def __init__(self):
        self._claims = [None] * 0x10000
        self._isa = bytearray(0x10000)   # 1: an access is an ISA bus cycle
        self.on_isa_cycle = None         # callable() for each such access

    def mark_isa(self, first, count):
        """Ports first..first+count-1 are on the ISA bus: each IN or OUT there calls
        on_isa_cycle once (the machine charges a bus cycle's time to the clock; a
        wide access split into bytes counts as one)."""
        self._isa[first:first + count] = b"\x01" * count

    def claim(self, name, first, count, read=None, write=None, widths=(1,)):
        """Give ports first..first+count-1 to a device; a port can have one owner only.

        read/write default to "the device does not drive the bus" (all ones / ignored);
        widths lists the access sizes the device handles without splitting."""
        if not 0 <= first <= 0xFFFF or count < 1 or first + count > 0x10000:
            raise ValueError("%s: port range %#x+%d outside 0..0xffff" % (name, first, count))
        for port in range(first, first + count):
            owner = self._claims[port]
            if owner is not None:
                raise PortConflict("I/O port %#x is claimed by both %s and %s"
                                   % (port, owner.name, name))
        mask = 0
        for w in widths:
            if w not in WIDTH_MASK:
                raise ValueError("%s: access width %r is not 1, 2 or 4" % (name, w))
            mask |= w
        c = _Claim(name, read or _float_high, write or _ignore, mask)
        for port in range(first, first + count):
            self._claims[port] = c

    def release(self, first, count):
        """Free ports first..first+count-1 (a PCI BAR moved or was disabled)."""
        for port in range(first, first + count):
            self._claims[port] = None

    def owner(self, port):
        """Name of the device claiming port, or None."""
        c = self._claims[port & 0xFFFF]
        return None if c is None else c.name

    # -- the CPU's side (cpu.interp.CPU calls these for every port access) ----------
    def port_read(self, port, size):
        if self._isa[port] and self.on_isa_cycle is not None:
            self.on_isa_cycle()
        return self._read(port, size)

    def port_write(self, port, value, size):
        if self._isa[port] and self.on_isa_cycle is not None:
            self.on_isa_cycle()
        self._write(port, value, size)

    def _read(self, port, size):
        c = self._claims[port]
        if c is not None and c.widths & size:
            return c.read(port, size) & WIDTH_MASK[size]
        if size == 1:
            return 0xFF
        value = 0
        for k in range(size):
            value |= self._read((port + k) & 0xFFFF, 1) << (8 * k)
        return value

    def _write(self, port, value, size):
        c = self._claims[port]
        if c is not None and c.widths & size:
            c.write(port, value & WIDTH_MASK[size], size)
        elif size > 1:
            for k in range(size):
                self._write((port + k) & 0xFFFF, (value >> (8 * k)) & 0xFF, 1)
