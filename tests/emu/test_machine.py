"""The port bus, the debug ports and the machine's memory map, without running code."""
import pytest

from emu.debugports import BochsShutdown
from emu.machine import KIB, MIB, Machine, Stop
from emu.portbus import PortBus, PortConflict


class Recorder:
    def __init__(self, value=0):
        self.value = value
        self.writes = []
        self.reads = []

    def read(self, port, size):
        self.reads.append((port, size))
        return self.value

    def write(self, port, value, size):
        self.writes.append((port, value, size))


# -- port bus ---------------------------------------------------------------------------

@pytest.mark.parametrize("size, value", [(1, 0xFF), (2, 0xFFFF), (4, 0xFFFFFFFF)])
def test_unclaimed_ports_float_high(size, value):
    bus = PortBus()
    bus.port_write(0x1234, 0x55, size)
    assert bus.port_read(0x1234, size) == value


def test_wide_access_to_byte_devices_is_split():
    bus, lo, hi = PortBus(), Recorder(0x11), Recorder(0x22)
    bus.claim("lo", 0x60, 1, lo.read, lo.write)
    bus.claim("hi", 0x61, 1, hi.read, hi.write)
    bus.port_write(0x60, 0xBBAA, 2)
    assert (lo.writes, hi.writes) == ([(0x60, 0xAA, 1)], [(0x61, 0xBB, 1)])
    assert bus.port_read(0x60, 4) == 0xFFFF2211      # 0x62, 0x63 are unclaimed


def test_device_decoding_wide_accesses_gets_them_whole():
    bus, dev = PortBus(), Recorder(0x12345678)
    bus.claim("dev", 0xCF8, 4, dev.read, dev.write, widths=(4,))
    bus.port_write(0xCF8, 0x80000000, 4)
    assert dev.writes == [(0xCF8, 0x80000000, 4)]
    assert bus.port_read(0xCF8, 4) == 0x12345678
    bus.port_write(0xCF8, 0x12, 1)                    # narrower than it decodes
    assert bus.port_read(0xCF8, 1) == 0xFF
    assert len(dev.writes) == 1 and len(dev.reads) == 1


def test_values_are_masked_to_the_access_width():
    bus, dev = PortBus(), Recorder(0x1FF)
    bus.claim("dev", 0x70, 1, dev.read, dev.write)
    assert bus.port_read(0x70, 1) == 0xFF


def test_split_access_wraps_at_the_top_of_io_space():
    bus, top, bottom = PortBus(), Recorder(0xAA), Recorder(0xBB)
    bus.claim("top", 0xFFFF, 1, top.read, top.write)
    bus.claim("bottom", 0, 1, bottom.read, bottom.write)
    assert bus.port_read(0xFFFF, 2) == 0xBBAA


def test_write_only_device_floats_on_reads():
    bus, dev = PortBus(), Recorder()
    bus.claim("dev", 0x8900, 1, None, dev.write)
    assert bus.port_read(0x8900, 1) == 0xFF
    assert bus.owner(0x8900) == "dev" and bus.owner(0x8901) is None


def test_conflicting_claims_are_refused():
    bus = PortBus()
    bus.claim("first", 0x3F8, 8)
    with pytest.raises(PortConflict, match="0x3ff is claimed by both first and second"):
        bus.claim("second", 0x3FF, 2)
    assert bus.owner(0x400) is None                   # nothing of the refused claim stays


@pytest.mark.parametrize("first, count, widths", [(0xFFFF, 2, (1,)), (-1, 1, (1,)),
                                                   (0x10, 0, (1,)), (0x10, 1, (3,))])
def test_bad_claims(first, count, widths):
    with pytest.raises(ValueError):
        PortBus().claim("dev", first, count, widths=widths)


# -- Bochs shutdown port -------------------------------------------------------------

@pytest.mark.parametrize("data, offs", [
    (b"Shutdown", 1), (b"ShutdownShutdown", 2), (b"Shutdow", 0), (b"SShutdown", 1),
    (b"ShutXdown", 0), (b"shutdown", 0),
])
def test_shutdown_magic(data, offs):
    calls = []
    dev = BochsShutdown(lambda: calls.append(1))
    for b in data:
        dev.write(0x8900, b, 1)
    assert len(calls) == offs


# -- memory map --------------------------------------------------------------------------

def rom_of(size):
    return bytes((k * 7 + k // 4096) & 0xFF for k in range(size))


def test_rom_at_the_top_and_below_1mib():
    rom = rom_of(64 * KIB)
    m = Machine(rom, memory_mib=2)
    assert m.mem.read(0xFFFF0000, 64 * KIB) == rom
    assert m.mem.read(0xF0000, 64 * KIB) == rom
    m.mem.write(0xE0000, b"ram")                      # below a 64 KiB alias, PAM
    assert m.mem.read(0xE0000, 3) == b"\xff" * 3       # at power-on: nothing there
    m.host_bridge.config_write(0x5E, 0x33, 1)          # PAM5: 0xE0000-0xE7FFF to RAM
    m.mem.write(0xE0000, b"ram")
    assert m.mem.read(0xE0000, 3) == b"ram"


def test_large_rom_aliases_its_last_128k():
    rom = rom_of(256 * KIB)
    m = Machine(rom, memory_mib=2)
    assert m.mem.read(0xFFFC0000, 256 * KIB) == rom
    assert m.mem.read(0xE0000, 128 * KIB) == rom[128 * KIB:]
    assert m.mem.read(0xDF000, 4) == b"\xff" * 4       # option ROM area: PCI, empty
    assert m.mem.read(0xBF000, 4) == bytes(4)         # RAM below the shadow area


def test_small_rom_alias_ends_at_1mib():
    rom = rom_of(4 * KIB)
    m = Machine(rom, memory_mib=1)
    assert m.mem.read(0xFF000, 4 * KIB) == rom
    assert m.mem.read(0xFFFFF000, 4 * KIB) == rom


def test_rom_is_read_only():
    rom = rom_of(64 * KIB)
    m = Machine(rom, memory_mib=2)
    m.mem.write(0xFFFF0000, b"\0\0")
    m.mem.write(0xF0000, b"\0\0")
    assert m.mem.read(0xFFFF0000, 2) == rom[:2] and m.mem.read(0xF0000, 2) == rom[:2]


def test_ram_size_and_unmapped_space():
    m = Machine(rom_of(64 * KIB), memory_mib=3)
    assert m.mem.ram_size == 3 * MIB
    m.mem.write(3 * MIB - 4, b"last")
    assert m.mem.read(3 * MIB - 4, 4) == b"last"
    assert m.mem.read(3 * MIB, 4) == b"\xff" * 4      # nothing above RAM


@pytest.mark.parametrize("mib", [0, 3073])
def test_memory_size_range(mib):
    with pytest.raises(ValueError, match="outside 1..3072"):
        Machine(rom_of(64 * KIB), memory_mib=mib)


def test_reset_state_starts_at_the_reset_vector():
    m = Machine(rom_of(64 * KIB), memory_mib=1)
    assert m.cpu.get_seg("cs")["base"] + m.cpu.eip == 0xFFFFFFF0


def test_reset_forgets_a_partial_shutdown_sequence():
    m = Machine(b"\xF4" * (64 * KIB), memory_mib=1)    # HLT at the reset vector
    for b in b"Shut":
        m.bus.port_write(0x8900, b, 1)
    m.reset()
    for b in b"down":
        m.bus.port_write(0x8900, b, 1)
    assert m.run().stop is Stop.HALT                  # not POWER_OFF


def test_shutdown_sequence_powers_off_from_the_bus():
    m = Machine(b"\xF4" * (64 * KIB), memory_mib=1)
    for b in b"Shutdown":
        m.bus.port_write(0x8900, b, 1)
    assert m.run().stop is Stop.POWER_OFF
