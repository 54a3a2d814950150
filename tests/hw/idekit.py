"""A PIIX3 IDE function on a PCI bus with hand-driven time, and the port-level steps
a driver takes (task file, PIO blocks, bus master set-up)."""
import struct

from emu.diskimage import DiskImage
from emu.memory import Memory
from hw.ide import PiixIde
from hw.irq import IrqLine
from hw.pci import PciBus
from tests.hw.harness import HandClock, Ports, Wires

MIB = 1 << 20
BM_BASE = 0xC000


def make_image(path, sectors, sector_size=512, readonly=False):
    """An image whose every sector starts with its number and is filled by a pattern."""
    with open(path, "wb") as f:
        for lba in range(sectors):
            f.write(pattern(lba, sector_size))
    return DiskImage(path, readonly=readonly, sector_size=sector_size)


def pattern(lba, size=512):
    head = struct.pack("<I", lba)
    return head + bytes((lba * 7 + k) & 0xFF for k in range(size - 4))


class Rig:
    def __init__(self):
        self.clock = HandClock()
        self.wires = Wires(self.clock)
        self.mem = Memory(16 * MIB)
        self.ports = Ports()
        self.bus = self.ports.bus
        self.pci = PciBus(self.bus, self.mem, protected=[(0, 16 * MIB)])
        self.pci.attach(self.bus)
        self.ide = PiixIde(self.mem, self.clock, IrqLine(self.wires, 14),
                           IrqLine(self.wires, 15))
        self.pci.add(self.ide, 1, 1)
        self.ide.attach(self.bus)
        self.pci.config_write(1, 1, 0x20, BM_BASE | 1, 4)
        self.pci.config_write(1, 1, 0x04, 0x0005, 2)

    # -- port access ----------------------------------------------------------------
    def inb(self, port):
        return self.bus.port_read(port, 1)

    def outb(self, port, value):
        self.bus.port_write(port, value, 1)

    def inw(self, port):
        return self.bus.port_read(port, 2)

    def outw(self, port, value):
        self.bus.port_write(port, value, 2)

    def ind(self, port):
        return self.bus.port_read(port, 4)

    def outd(self, port, value):
        self.bus.port_write(port, value, 4)

    def irq(self, n=14):
        return self.wires.level(n)

    # -- task file ----------------------------------------------------------------------
    def taskfile(self, base, device, nsect=0, lbal=0, lbam=0, lbah=0, features=0):
        self.outb(base + 6, device)
        self.outb(base + 1, features)
        self.outb(base + 2, nsect)
        self.outb(base + 3, lbal)
        self.outb(base + 4, lbam)
        self.outb(base + 5, lbah)

    def lba28(self, base, lba, count, dev=0):
        self.taskfile(base, 0xE0 | (dev << 4) | ((lba >> 24) & 0xF), count & 0xFF,
                      lba & 0xFF, (lba >> 8) & 0xFF, (lba >> 16) & 0xFF)

    def lba48(self, base, lba, count, dev=0):
        self.outb(base + 6, 0x40 | (dev << 4))
        for reg, hi, lo in ((2, count >> 8, count), (3, lba >> 24, lba),
                            (4, lba >> 32, lba >> 8), (5, lba >> 40, lba >> 16)):
            self.outb(base + reg, hi & 0xFF)
            self.outb(base + reg, lo & 0xFF)

    def read_block(self, base, nbytes, width=2):
        read = self.inw if width == 2 else self.ind
        return b"".join(read(base).to_bytes(width, "little")
                        for _ in range(nbytes // width))

    def write_block(self, base, data, width=2):
        write = self.outw if width == 2 else self.outd
        for k in range(0, len(data), width):
            write(base, int.from_bytes(data[k:k + width], "little"))

    # -- bus master -----------------------------------------------------------------------
    def prd_table(self, addr, regions):
        """regions: (address, byte count, last) triples."""
        raw = b"".join(struct.pack("<IHH", a, n & 0xFFFF, 0x8000 if last else 0)
                       for a, n, last in regions)
        self.mem.write(addr, raw)

    def bm(self, channel=0):
        return BM_BASE + 8 * channel

    def bm_setup(self, table, to_memory, channel=0):
        bm = self.bm(channel)
        self.outd(bm + 4, table)
        self.outb(bm + 2, 0x06)                     # clear interrupt and error
        self.outb(bm, 0x08 if to_memory else 0)

    def bm_start(self, to_memory, channel=0):
        self.outb(self.bm(channel), (0x08 if to_memory else 0) | 1)

    def settle(self):
        self.clock.advance(1_000_000)
