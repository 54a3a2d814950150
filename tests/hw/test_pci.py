"""The PCI bus through configuration mechanism #1, as firmware enumerates it."""
import pytest

from emu.memory import Memory
from hw.pci import (CMD_INTX_DISABLE, CMD_IO, CMD_MEMORY, COMMAND, INTERRUPT_LINE,
                    PciBus, PciDevice, ROM_BAR, STATUS)
from tests.hw.harness import Ports

MIB = 1 << 20


class Regs:
    """A tiny device behind an I/O BAR and an MMIO BAR."""

    def __init__(self):
        self.io = {}
        self.mm = {}

    def io_read(self, port, size):
        return self.io.get(port, 0)

    def io_write(self, port, value, size):
        self.io[port] = value

    def mmio_read(self, addr, size):
        return self.mm.get(addr, 0x5A)

    def mmio_write(self, addr, value, size):
        self.mm[addr] = value


@pytest.fixture
def pc():
    mem = Memory(16 * MIB)
    ports = Ports()
    bus = PciBus(ports.bus, mem, protected=[(0, 16 * MIB), (0xFFFE0000, 1 << 32)])
    bus.attach(ports.bus)
    regs = Regs()
    dev = PciDevice("test", 0x1234, 0x5678, 0x020000, revision=3, irq_pin=1)
    dev.add_io_bar(0, 16, regs.io_read, regs.io_write)
    dev.add_mem_bar(1, 0x1000, dev=regs)
    fb = bytearray(0x2000)
    dev.add_mem_bar(2, 0x2000, buffer=fb, prefetch=True)
    dev.set_rom(b"\x55\xaa" + b"\0" * 100)
    bus.add(dev, 3)
    return mem, ports, bus, dev, regs, fb


def cfg_read(ports, slot, off, size=4, func=0):
    ports.bus.port_write(0xCF8, 0x80000000 | (slot << 11) | (func << 8) | (off & 0xFC), 4)
    return ports.bus.port_read(0xCFC + (off & 3), size)


def cfg_write(ports, slot, off, value, size=4, func=0):
    ports.bus.port_write(0xCF8, 0x80000000 | (slot << 11) | (func << 8) | (off & 0xFC), 4)
    ports.bus.port_write(0xCFC + (off & 3), value, size)


def test_enumeration_ids_and_absent_functions(pc):
    mem, ports, bus, dev, regs, fb = pc
    assert cfg_read(ports, 3, 0) == 0x56781234
    assert cfg_read(ports, 3, 8) == 0x02000003
    assert cfg_read(ports, 3, 0x3C) >> 8 & 0xFF == 1          # INTA#
    assert cfg_read(ports, 4, 0) == 0xFFFFFFFF
    assert cfg_read(ports, 3, 2, size=2) == 0x5678
    ports.bus.port_write(0xCF8, 0x00001800, 4)                # enable bit clear
    assert ports.bus.port_read(0xCFC, 4) == 0xFFFFFFFF
    assert ports.bus.port_read(0xCF8, 4) == 0x00001800
    # a byte write to 0xCF8 does not reach CONFIG_ADDRESS
    ports.bus.port_write(0xCF8, 0x12, 1)
    assert ports.bus.port_read(0xCF8, 4) == 0x00001800


def test_bar_sizing_reads_back_size_and_type(pc):
    mem, ports, bus, dev, regs, fb = pc
    for off, want in ((0x10, 0xFFFFFFF1), (0x14, 0xFFFFF000), (0x18, 0xFFFFE008),
                      (0x1C, 0), (0x30, 0xFFFFF001)):
        cfg_write(ports, 3, off, 0xFFFFFFFF)
        assert cfg_read(ports, 3, off) == want, hex(off)


def test_bars_decode_only_when_command_enables(pc):
    mem, ports, bus, dev, regs, fb = pc
    cfg_write(ports, 3, 0x10, 0xC000)
    cfg_write(ports, 3, 0x14, 0xFEB00000)
    cfg_write(ports, 3, 0x18, 0xFD000000)
    assert ports.bus.port_read(0xC004, 1) == 0xFF             # not decoded yet
    assert mem.read(0xFEB00010, 1) == b"\xff"
    cfg_write(ports, 3, COMMAND, CMD_IO | CMD_MEMORY, 2)
    ports.bus.port_write(0xC004, 0x77, 1)
    assert regs.io[0xC004] == 0x77
    assert mem.read(0xFEB00010, 1) == b"\x5a"
    mem.write(0xFD000100, b"\x11\x22")
    assert fb[0x100:0x102] == b"\x11\x22"                     # straight into the buffer
    # moving the I/O BAR frees the old ports
    cfg_write(ports, 3, 0x10, 0xD000)
    assert ports.bus.owner(0xC004) is None
    assert ports.bus.port_read(0xD004, 1) == 0
    cfg_write(ports, 3, COMMAND, 0, 2)
    assert ports.bus.owner(0xD004) is None
    assert mem.read(0xFD000100, 1) == b"\xff"


def test_memory_bar_never_covers_ram_or_firmware(pc):
    mem, ports, bus, dev, regs, fb = pc
    mem.write(0x100000, b"\x42")
    cfg_write(ports, 3, 0x14, 0x100000)
    cfg_write(ports, 3, COMMAND, CMD_MEMORY, 2)
    assert mem.read(0x100000, 1) == b"\x42"
    assert dev.bars[1].mapped is None


def test_expansion_rom_maps_when_enabled(pc):
    mem, ports, bus, dev, regs, fb = pc
    cfg_write(ports, 3, ROM_BAR, 0xFEC80001)
    assert mem.read(0xFEC80000, 2) == b"\xff\xff"
    cfg_write(ports, 3, COMMAND, CMD_MEMORY, 2)
    assert mem.read(0xFEC80000, 2) == b"\x55\xaa"
    cfg_write(ports, 3, ROM_BAR, 0xFEC80000)                 # enable bit off
    assert mem.read(0xFEC80000, 2) == b"\xff\xff"


def test_intx_swizzle_sharing_and_disable(pc):
    mem, ports, bus, dev, regs, fb = pc
    seen = []
    bus.pirq_router = lambda pirq, level: seen.append((pirq, level))
    other = bus.add(PciDevice("other", 0x1234, 1, 0, irq_pin=2), 2)   # INTB#, slot 2
    assert bus.pirq_of(dev) == 3 and bus.pirq_of(other) == 3
    dev.irq.raise_()
    other.irq.raise_()
    dev.irq.lower()
    assert seen == [(3, True)]                                # still held by other
    assert cfg_read(ports, 3, STATUS, 2) & 0x08 == 0
    other.irq.lower()
    assert seen == [(3, True), (3, False)]
    dev.irq.raise_()
    assert cfg_read(ports, 3, STATUS, 2) & 0x08
    cfg_write(ports, 3, COMMAND, CMD_INTX_DISABLE, 2)
    assert seen[-1] == (3, False)
    assert cfg_read(ports, 3, STATUS, 2) & 0x08               # status still says pending


def test_read_only_registers_and_reset(pc):
    mem, ports, bus, dev, regs, fb = pc
    cfg_write(ports, 3, 0, 0)
    assert cfg_read(ports, 3, 0) == 0x56781234
    cfg_write(ports, 3, INTERRUPT_LINE, 0x0B, 1)
    cfg_write(ports, 3, 0x10, 0xC000)
    cfg_write(ports, 3, COMMAND, CMD_IO, 2)
    assert cfg_read(ports, 3, INTERRUPT_LINE, 1) == 0x0B
    bus.reset()
    assert cfg_read(ports, 3, INTERRUPT_LINE, 1) == 0
    assert cfg_read(ports, 3, 0x10) == 1
    assert ports.bus.owner(0xC000) is None


def test_io_bar_over_a_fixed_device_is_refused(pc):
    mem, ports, bus, dev, regs, fb = pc
    notes = []
    bus.log = notes.append
    ports.bus.claim("kbc", 0x60, 1)
    cfg_write(ports, 3, 0x10, 0x60)
    cfg_write(ports, 3, COMMAND, CMD_IO, 2)
    assert ports.bus.owner(0x60) == "kbc"
    assert notes and "not decoded" in notes[0]
