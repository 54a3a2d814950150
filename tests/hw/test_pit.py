"""The i8254 with guest time moved by hand: modes, access, latches, gates, IRQ0 edges.

Edge numbers: a count written at clock edge w is loaded at edge w + 1 (the data
sheet's "N + 1 clocks" for mode 0), so with a write at time 0, "d clocks after the
load" is edge 1 + d.
"""
import pytest

from hw.irq import IrqLine
from hw.pit import Pit, time_of_tick, tick_at, PIT_HZ
from hw.sysctrl import PortB
from tests.hw.harness import HandClock, Ports, Wires


@pytest.fixture
def pc():
    clock = HandClock()
    wires = Wires(clock)
    pit = Pit(clock, IrqLine(wires, 0))
    port_b = PortB(clock, pit)
    io = Ports(pit, port_b)

    class PC:
        pass
    p = PC()
    p.clock, p.wires, p.pit, p.io, p.port_b = clock, wires, pit, io, port_b
    p.at = lambda edge: clock.advance_to(time_of_tick(edge))
    p.out2 = lambda: pit.out(2)
    return p


def read16(io, port):
    lo = io.inb(port)
    return lo | io.inb(port) << 8


def test_tick_conversions():
    assert time_of_tick(PIT_HZ) == 1_000_000_000
    for k in (0, 1, 2, 1000, 12345678):
        assert tick_at(time_of_tick(k)) == k
        assert tick_at(time_of_tick(k) - 1) == k - 1


def test_mode2_rate_generator_on_irq0(pc):
    pc.io.outb(0x43, 0x34)                 # counter 0, LSB then MSB, mode 2, binary
    pc.io.outb(0x40, 1000 & 0xFF, 1000 >> 8)
    pc.at(10_500)
    # OUT went high with the control word, then rises again at each reload
    assert pc.wires.rises[0] == [0] + [time_of_tick(1 + 1000 * k) for k in range(1, 11)]
    assert pc.wires.level(0)
    pc.at(1 + 10_000 + 999)
    assert not pc.wires.level(0)           # low for the one clock when CE is 1
    pc.at(1 + 11_000)
    assert pc.wires.level(0)


def test_mode2_counts_down_and_reloads(pc):
    pc.io.outb(0x43, 0x34)
    pc.io.outb(0x40, 0xE8, 0x03)           # 1000
    pc.at(1 + 250)
    assert read16(pc.io, 0x40) == 750
    pc.at(1 + 1000 + 10)
    assert read16(pc.io, 0x40) == 990


def test_mode2_new_count_waits_for_the_period_end(pc):
    pc.io.outb(0x43, 0x34)
    pc.io.outb(0x40, 0xE8, 0x03)           # 1000
    pc.at(501)
    pc.io.outb(0x40, 100, 0)
    pc.at(1400)
    assert pc.wires.rises[0] == [0] + [time_of_tick(k) for k in (1001, 1101, 1201, 1301)]


def test_mode3_square_wave_even_and_odd(pc):
    pc.pit.set_gate(2, True)
    pc.io.outb(0x43, 0xB6)                 # counter 2, LSB/MSB, mode 3
    pc.io.outb(0x42, 10, 0)
    levels = []
    for edge in range(1, 22):
        pc.at(edge)
        levels.append(pc.out2())
    assert levels == [True] * 5 + [False] * 5 + [True] * 5 + [False] * 5 + [True]
    pc.io.outb(0x43, 0xB6)
    pc.io.outb(0x42, 5, 0)                 # written at edge 21, loaded at 22
    seen = []
    for edge in range(22, 33):
        pc.at(edge)
        pc.io.outb(0x43, 0x80)             # latch counter 2
        seen.append((pc.out2(), read16(pc.io, 0x42)))
    # odd count: high for (N+1)/2 clocks, low for (N-1)/2, CE steps by 2 from N-1
    assert seen == [(True, 4), (True, 2), (True, 0), (False, 4), (False, 2)] * 2 + \
        [(True, 4)]


def test_mode3_irq0_at_18_2_hz(pc):
    pc.io.outb(0x43, 0x36)
    pc.io.outb(0x40, 0, 0)                 # 0 = 65536
    pc.clock.advance_to(1_000_000_000)
    rises = pc.wires.rises[0]
    assert rises[1:] == [time_of_tick(1 + 65536 * k) for k in range(1, 19)]


def test_mode0_interrupt_on_terminal_count_and_gate(pc):
    pc.port_b.write(0x61, 0x01, 1)         # gate 2 high
    pc.io.outb(0x43, 0xB0)                 # counter 2, mode 0
    assert not pc.out2()
    pc.io.outb(0x42, 100, 0)
    pc.at(100)
    assert not pc.out2()
    pc.at(51)                              # (time never goes back: no-op)
    pc.at(101)
    assert pc.out2()                       # N + 1 clocks after the write
    assert pc.io.inb(0x61) & 0x20
    pc.io.outb(0x42, 100, 0)               # a new count: OUT low again
    assert not pc.out2() and not pc.io.inb(0x61) & 0x20
    w = 101
    pc.at(w + 51)
    pc.port_b.write(0x61, 0x00, 1)         # gate low: counting stops
    pc.at(w + 1051)
    pc.io.outb(0x43, 0x80)
    assert read16(pc.io, 0x42) == 50
    pc.port_b.write(0x61, 0x01, 1)
    pc.at(w + 1051 + 9)
    pc.io.outb(0x43, 0x80)
    assert read16(pc.io, 0x42) == 41
    pc.at(w + 1051 + 49)
    assert not pc.out2()
    pc.at(w + 1051 + 50)
    assert pc.out2()


def test_mode0_first_byte_stops_counting(pc):
    pc.pit.set_gate(2, True)
    pc.io.outb(0x43, 0xB0)
    pc.io.outb(0x42, 0, 1)                 # 256
    pc.at(300)
    assert pc.out2()
    pc.io.outb(0x42, 10)                   # LSB only so far: OUT low, counting stops
    assert not pc.out2()
    pc.at(400)
    assert not pc.out2()
    pc.io.outb(0x42, 0)                    # N = 10 written at edge 400
    pc.at(410)
    assert not pc.out2()
    pc.at(411)
    assert pc.out2()


def test_mode1_retriggerable_one_shot(pc):
    pc.io.outb(0x43, 0xB2)                 # counter 2, mode 1
    pc.io.outb(0x42, 10, 0)
    assert pc.out2()
    pc.at(50)
    assert pc.out2()                       # no trigger yet
    pc.pit.set_gate(2, True)               # trigger at edge 50
    assert pc.out2()
    pc.at(51)
    assert not pc.out2()                   # low from the clock after the trigger
    pc.at(55)
    pc.pit.set_gate(2, False)
    pc.pit.set_gate(2, True)               # retrigger at edge 55: low until 56 + 10
    pc.at(65)
    assert not pc.out2()
    pc.at(66)
    assert pc.out2()


def test_mode4_software_strobe(pc):
    pc.pit.set_gate(2, True)
    pc.io.outb(0x43, 0xB8)                 # counter 2, mode 4
    pc.io.outb(0x42, 10, 0)
    outs = []
    for edge in range(1, 15):
        pc.at(edge)
        outs.append(pc.out2())
    assert outs == [True] * 10 + [False] + [True] * 3   # low for one clock at edge 11


def test_mode5_hardware_strobe(pc):
    pc.io.outb(0x43, 0xBA)                 # counter 2, mode 5
    pc.io.outb(0x42, 10, 0)
    pc.at(20)
    pc.pit.set_gate(2, True)               # trigger at edge 20: load at 21
    pc.at(30)
    assert pc.out2()
    pc.at(31)
    assert not pc.out2()
    pc.at(32)
    assert pc.out2()


def test_bcd_counting(pc):
    pc.pit.set_gate(2, True)
    pc.io.outb(0x43, 0xB1)                 # counter 2, mode 0, BCD
    pc.io.outb(0x42, 0x00, 0x01)           # 100 (BCD 0100)
    pc.at(1 + 10)
    assert read16(pc.io, 0x42) == 0x0090
    pc.at(1 + 100 + 1)
    assert read16(pc.io, 0x42) == 0x9999   # wrapped in decimal


def test_latch_holds_until_read(pc):
    pc.io.outb(0x43, 0x34)
    pc.io.outb(0x40, 0xE8, 0x03)
    pc.at(1 + 100)
    pc.io.outb(0x43, 0x00)                 # latch counter 0
    pc.at(1 + 500)
    pc.io.outb(0x43, 0x00)                 # a second latch before reading: ignored
    assert read16(pc.io, 0x40) == 900
    assert read16(pc.io, 0x40) == 500      # live again


def test_read_back_status_and_null_count(pc):
    pc.io.outb(0x43, 0x34)
    pc.io.outb(0x40, 0xE8, 0x03)
    pc.io.outb(0x43, 0xE2)                 # read-back: status of counter 0
    assert pc.io.inb(0x40) == 0x80 | 0x40 | 0x30 | 0x04    # null count: not loaded yet
    pc.at(1)
    pc.io.outb(0x43, 0xC2)                 # status and count
    assert pc.io.inb(0x40) == 0xB4
    assert read16(pc.io, 0x40) == 1000
    pc.io.outb(0x43, 0xD8)                 # count only, counters 1 and 2 (unprogrammed)
    pc.io.outb(0x43, 0xB6)                 # programming counter 2 drops its latch
    pc.io.outb(0x43, 0xE8)                 # status of counter 2
    assert pc.io.inb(0x42) == 0x40 | 0x80 | 0x30 | 0x06   # OUT high in mode 3


def test_lsb_only_and_msb_only_access(pc):
    pc.pit.set_gate(2, True)
    pc.io.outb(0x43, 0x90)                 # counter 2, LSB only, mode 0
    pc.io.outb(0x42, 0x20)
    pc.at(1 + 2)
    assert pc.io.inb(0x42) == 0x1E and pc.io.inb(0x42) == 0x1E
    pc.io.outb(0x43, 0xA0)                 # counter 2, MSB only, mode 0
    pc.io.outb(0x42, 0x01)                 # 0x100, written at edge 3
    pc.at(4 + 1)
    assert pc.io.inb(0x42) == 0x00         # 0xFF: MSB is 0
    pc.io.outb(0x43, 0x80)
    assert pc.io.inb(0x42) == 0x00


def test_late_event_still_gives_the_irq0_edge(pc):
    pc.io.outb(0x43, 0x34)
    pc.io.outb(0x40, 10, 0)                # rises at 11, 21, ...; low at 10, 20, ...
    pc.clock.idle_until(time_of_tick(25))  # the slice overran both changes of the
    pc.clock.fire_due()                    # first period (realtime mode can)
    assert len(pc.wires.rises[0]) == 2 and pc.wires.level(0)
    pc.at(31)
    assert len(pc.wires.rises[0]) == 3


def test_port_61_refresh_toggle_and_gate(pc):
    first = pc.io.inb(0x61) & 0x10
    pc.clock.advance(15_085)
    assert pc.io.inb(0x61) & 0x10 != first
    pc.io.outb(0x61, 0xF3)                 # status bits are read-only
    assert pc.io.inb(0x61) & 0xCF == 0x03
    assert pc.pit.counters[2].gate


def test_reset_stops_counting(pc):
    pc.io.outb(0x43, 0x34)
    pc.io.outb(0x40, 10, 0)
    pc.pit.reset()
    assert not pc.wires.level(0)
    assert pc.clock.next_deadline() is None


def test_mode3_new_count_waits_for_the_half_period_end(pc):
    pc.pit.set_gate(2, True)
    pc.io.outb(0x43, 0xB6)
    pc.io.outb(0x42, 10, 0)                # high for edges 1-5, low from 6
    pc.at(3)
    pc.io.outb(0x42, 4, 0)                 # takes over when OUT falls at edge 6
    outs = []
    for edge in range(4, 17):
        pc.at(edge)
        outs.append(pc.out2())
    assert outs == [True, True, False, False, True, True, False, False, True, True,
                    False, False, True]
