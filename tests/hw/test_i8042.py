"""The i8042 keyboard controller with its PS/2 keyboard and mouse, at register level,
and one real-mode ROM that enables A20 through it the way a BIOS does."""
import pytest

from emu.machine import Machine, Stop
from hw.i8042 import NEXT_BYTE_NS, I8042
from hw.irq import IrqLine
from hw.ps2 import SET2_TO_SET1
from tests.emu.roms import rom16
from tests.hw.harness import HandClock, Ports, Wires


class Kbc:
    """A controller on a bench: hand clock, recorded IRQ wires, A20 and reset lines."""

    def __init__(self):
        self.clock = HandClock()
        self.wires = Wires(self.clock)
        self.a20 = []
        self.resets = 0
        self.dev = I8042(self.clock, IrqLine(self.wires, 1), IrqLine(self.wires, 12),
                         self.a20.append, self._reset)
        self.io = Ports(self.dev)

    def _reset(self):
        self.resets += 1

    def status(self):
        return self.io.inb(0x64)

    def command(self, *values):
        self.io.outb(0x64, *values)

    def data(self, *values):
        self.io.outb(0x60, *values)

    def read(self):
        """Wait for OBF (moving guest time) and read the byte."""
        for _ in range(10):
            if self.status() & 1:
                return self.io.inb(0x60)
            self.clock.advance(NEXT_BYTE_NS)
        raise AssertionError("no byte came")

    def read_all(self):
        out = []
        while True:
            self.clock.advance(NEXT_BYTE_NS)
            if not self.status() & 1:
                return out
            out.append(self.io.inb(0x60))


@pytest.fixture
def kbc():
    return Kbc()


def test_command_byte_read_write_and_status_bits(kbc):
    assert kbc.status() == 0x10                     # not inhibited, nothing else
    kbc.command(0x20)
    assert kbc.status() == 0x19                     # OBF, last write was a command
    assert kbc.read() == 0x03                       # both IRQs on after reset
    kbc.command(0x60)
    kbc.data(0x65)                                  # IRQ1, SYS, keyboard off, xlate
    assert kbc.status() == 0x14                     # SYS follows the command byte
    kbc.command(0x20)
    assert kbc.read() == 0x65
    kbc.command(0xAE, 0xA7)                         # keyboard on, aux off
    kbc.command(0x20)
    assert kbc.read() == 0x65 & ~0x10 | 0x20
    kbc.command(0x7F)                               # controller RAM byte 31
    kbc.data(0x5A)
    kbc.command(0x3F)
    assert kbc.read() == 0x5A


def test_self_test_interface_tests_and_ports(kbc):
    kbc.command(0xAA)
    assert kbc.read() == 0x55 and kbc.status() & 0x04       # SYS set by the self test
    kbc.command(0xAB)
    assert kbc.read() == 0x00
    kbc.command(0xA9)
    assert kbc.read() == 0x00
    kbc.command(0xC0)
    assert kbc.read() == 0x80
    kbc.command(0xD0)
    assert kbc.read() == 0xCF                       # reset high, A20 on, no OBF IRQs


def test_a20_and_reset_through_the_output_port(kbc):
    kbc.command(0xD1)
    kbc.data(0xDD)                                  # A20 off, reset line high
    assert kbc.a20[-1] is False and kbc.resets == 0
    kbc.command(0xD0)
    assert kbc.read() & 0x03 == 0x01
    kbc.command(0xDF)
    assert kbc.a20[-1] is True
    kbc.command(0xDD)
    assert kbc.a20[-1] is False
    kbc.command(0xFF)                               # pulse nothing
    assert kbc.resets == 0
    kbc.command(0xFE)                               # pulse the reset line
    assert kbc.resets == 1
    kbc.command(0xD1)
    kbc.data(0xDE)                                  # reset line written low
    assert kbc.resets == 2


def test_output_buffer_one_byte_at_a_time_with_irq_edges(kbc):
    kbc.data(0xF2)                                  # identify: FA AB 83, untranslated
    assert kbc.wires.level(1) and len(kbc.wires.rises[1]) == 1
    assert kbc.io.inb(0x60) == 0xFA
    assert not kbc.wires.level(1) and not kbc.status() & 1     # the next is on its way
    kbc.clock.advance(NEXT_BYTE_NS)
    assert kbc.status() & 1 and kbc.wires.level(1) and len(kbc.wires.rises[1]) == 2
    assert kbc.io.inb(0x60) == 0xAB
    assert kbc.read() == 0x83 and kbc.read_all() == []
    assert len(kbc.wires.rises[1]) == 3 and not kbc.wires.level(12)
    kbc.command(0x60)
    kbc.data(0x00)                                  # IRQs off: bytes come, no IRQ
    kbc.data(0xEE)
    assert kbc.read() == 0xEE and len(kbc.wires.rises[1]) == 3


def test_keyboard_reset_identify_leds_typematic_and_scanning(kbc):
    kb = kbc.dev.keyboard
    kbc.data(0xFF)
    assert kbc.read_all() == [0xFA, 0xAA]
    kbc.data(0xED, 0x05)                            # Scroll and Caps Lock
    assert kbc.read_all() == [0xFA, 0xFA] and kb.leds == 5
    kbc.data(0xF3, 0x20)                            # 30 characters/s after 500 ms
    assert kbc.read_all() == [0xFA, 0xFA] and kb.typematic == 0x20
    rate, delay = kb.typematic_rate_delay()
    assert round(rate) == 30 and delay == 500
    kbc.data(0xF5)                                  # defaults, stop scanning
    assert kbc.read_all() == [0xFA] and kb.typematic == 0x2B
    kb.press(b"\x1c")
    assert kbc.read_all() == []
    kbc.data(0xF4)
    kb.press(b"\x1c")
    assert kbc.read_all() == [0xFA, 0x1C]
    kbc.data(0xFE)                                  # resend the last byte
    assert kbc.read_all() == [0x1C]
    kbc.data(0xF0, 0x00)
    assert kbc.read_all() == [0xFA, 0xFA, 0x02]
    kbc.data(0xF0, 0x03)                            # set 3 is refused
    assert kbc.read_all() == [0xFA, 0xFE] and kb.scancode_set == 2
    kbc.data(0xF0, 0x01)                            # set 1 made by the keyboard itself
    kb.press(b"\xe0\xf0\x75")
    assert kbc.read_all() == [0xFA, 0xFA, 0xE0, 0xC8]
    kbc.data(0xF6)
    assert kbc.read_all() == [0xFA] and kb.scancode_set == 2


def test_translation_of_set2_make_and_break_codes(kbc):
    kbc.command(0x60)
    kbc.data(0x41)                                  # IRQ1 + translate
    kb = kbc.dev.keyboard
    kb.press(b"\x1c")                               # A
    kb.press(b"\xf0\x1c")
    kb.press(b"\xe0\x75")                           # cursor up (extended)
    kb.press(b"\xe0\xf0\x75")
    kb.press(b"\x83")                               # F7, the one code above 0x7F
    kb.press(b"\xe1\x14\x77\xe1\xf0\x14\xf0\x77")  # Pause
    assert kbc.read_all() == [0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8, 0x41,
                              0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5]
    kbc.data(0xF2)                                  # replies are translated too
    assert kbc.read_all() == [0xFA, 0xAB, 0x41]
    kbc.data(0xF0, 0x00)
    assert kbc.read_all() == [0xFA, 0xFA, 0x41]     # "set 2" as the guest sees it


def test_translation_table_spot_checks():
    # set 2 -> set 1 for keys across the table: Esc, 1, Q, Enter, Space, F1, F12,
    # keypad 7, Num Lock, right Shift, Backspace
    pairs = {0x76: 0x01, 0x16: 0x02, 0x15: 0x10, 0x5A: 0x1C, 0x29: 0x39, 0x05: 0x3B,
             0x07: 0x58, 0x6C: 0x47, 0x77: 0x45, 0x59: 0x36, 0x66: 0x0E}
    assert {k: SET2_TO_SET1[k] for k in pairs} == pairs
    assert len(SET2_TO_SET1) == 256 and SET2_TO_SET1[0xFA] == 0xFA


def test_disabled_keyboard_keeps_its_bytes(kbc):
    kbc.command(0xAD)
    kbc.dev.keyboard.press(b"\x1c")
    assert kbc.read_all() == []
    kbc.command(0xAE)
    assert kbc.read_all() == [0x1C]


def test_mouse_reset_id_wheel_and_packets(kbc):
    kbc.command(0x60)
    kbc.data(0x03)                                  # keep aux enabled, both IRQs
    m = kbc.dev.mouse

    def aux(*values):
        for v in values:
            kbc.command(0xD4)
            kbc.data(v)
        out = []
        while True:
            kbc.clock.advance(NEXT_BYTE_NS)
            status = kbc.status()
            if not status & 1:
                return out
            assert status & 0x20                    # AUX data in the buffer
            out.append(kbc.io.inb(0x60))

    assert aux(0xFF) == [0xFA, 0xAA, 0x00]
    assert kbc.wires.level(12) is False and len(kbc.wires.rises[12]) == 3
    assert 1 not in kbc.wires.rises
    assert aux(0xF2) == [0xFA, 0x00]
    m.move(5, 5, 1)                                 # reporting is off
    assert aux() == []
    assert aux(0xF3, 200, 0xF3, 100, 0xF3, 80) == [0xFA] * 6
    assert aux(0xF2) == [0xFA, 0x03]
    assert aux(0xE8, 3, 0xE6, 0xF4) == [0xFA] * 4
    assert aux(0xE9) == [0xFA, 0x20 | 0x04, 3, 80]  # left held since the silent move
    m.move(-3, 2, 0b001, wheel=-1)                  # left, 2 down: y = -2
    assert aux() == [0x08 | 0x01 | 0x10 | 0x20, 0xFD, 0xFE, 0xFF]
    m.move(300, -10, 0b110, wheel=9)                # x overflow, wheel clamped to 7
    assert aux() == [0x08 | 0x06 | 0x40, 0xFF, 0x0A, 0x07]
    assert aux(0xE9) == [0xFA, 0x20 | 0x03, 3, 80]  # middle and right held
    assert aux(0xE7) == [0xFA]
    m.move(4, 0, 0)                                 # 2:1 scaling: 4 -> 6
    assert aux() == [0x08, 0x06, 0x00, 0x00]
    assert aux(0xF6, 0xE9) == [0xFA, 0xFA, 0x00, 2, 100]
    assert aux(0xFF, 0xF2) == [0xFA, 0xAA, 0x00, 0xFA, 0x00]      # wheel forgotten
    assert aux(0xF0) == [0xFE]                      # remote mode: not implemented


def test_mouse_bytes_wait_behind_keyboard_bytes(kbc):
    kbc.dev.mouse.reporting = True
    kbc.dev.mouse.move(1, 0, 0)
    kbc.dev.keyboard.press(b"\x1c")
    got = []
    for _ in range(4):
        kbc.clock.advance(NEXT_BYTE_NS)
        got.append((kbc.status() & 0x20, kbc.io.inb(0x60)))
    assert got == [(0x20, 0x08), (0, 0x1C), (0x20, 0x01), (0x20, 0x00)]


# -- inside the machine ------------------------------------------------------------

def machine():
    return Machine(rom16("hlt\n"))


def test_irq1_and_irq12_through_the_pic():
    m = machine()
    pic = m.pic
    for port, values in ((0x20, (0x11, 0x08, 0x04, 0x01)), (0xA0, (0x11, 0x70, 0x02, 0x01))):
        m.bus.port_write(port, values[0], 1)
        for v in values[1:]:
            m.bus.port_write(port + 1, v, 1)
    m.bus.port_write(0x21, 0xF9, 1)                 # IRQ1 and the cascade
    m.bus.port_write(0xA1, 0xEF, 1)                 # IRQ12
    m.kbc.keyboard.press(b"\x1c")
    assert pic.ack() == 0x09
    assert m.bus.port_read(0x60, 1) == 0x1C
    m.bus.port_write(0x20, 0x20, 1)
    m.kbc.mouse.reporting = True
    m.kbc.mouse.move(0, 0, 1)
    assert pic.ack() == 0x74
    assert m.bus.port_read(0x64, 1) & 0x21 == 0x21


def test_a20_combines_port_92_and_the_controller():
    m = machine()
    cpu, bus = m.cpu, m.bus
    assert cpu.a20 and bus.port_read(0x92, 1) == 0x02   # the i8042 holds A20 on
    bus.port_write(0x92, 0x00, 1)
    assert cpu.a20                                  # ... so port 92 alone cannot drop it
    bus.port_write(0x64, 0xD1, 1)
    bus.port_write(0x60, 0xDD, 1)
    assert not cpu.a20                              # both low: masked
    bus.port_write(0x92, 0x02, 1)
    assert cpu.a20
    bus.port_write(0x92, 0x00, 1)
    bus.port_write(0x64, 0xDF, 1)
    assert cpu.a20
    bus.port_write(0x64, 0xDD, 1)
    assert not cpu.a20
    m.reset()
    assert cpu.a20 and m.kbc.command_byte == 0x03


def test_fe_resets_the_machine():
    src = """
cli
xor ax, ax
mov ds, ax
cmp byte ptr [0x500], 0x5a
je second
mov byte ptr [0x500], 0x5a
mov al, 0xfe
out 0x64, al
jmp $
second:
mov al, 0x2a
out 0xf4, al
"""
    m = Machine(rom16(src))
    outcome = m.run(max_instructions=10_000)
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0x2A and m.resets == 1
    m = Machine(rom16(src), reboot=False)
    assert m.run(max_instructions=10_000).stop is Stop.REBOOT


def test_rom_enables_a20_through_the_controller():
    # the classic BIOS sequence; before it, 1 MiB wraps to 0 (A20 off by DD and port
    # 92 clear), after it the byte at FFFF:0010 is its own
    wait_ibf = "in al, 0x64\ntest al, 0x02\njnz {0}\n"
    src = ("""
cli
xor ax, ax
mov ds, ax
mov ss, ax
mov sp, 0x7000
mov ax, 0xffff
mov es, ax
mov al, 0xdd
out 0x64, al
mov byte ptr [0], 0x11
mov byte ptr es:[0x10], 0x22
mov bl, byte ptr [0]
w1:
""" + wait_ibf.format("w1") + """
mov al, 0xd1
out 0x64, al
w2:
""" + wait_ibf.format("w2") + """
mov al, 0xdf
out 0x60, al
w3:
""" + wait_ibf.format("w3") + """
mov byte ptr es:[0x10], 0x33
mov al, byte ptr [0]
add al, bl
out 0xf4, al
""")
    m = Machine(rom16(src))
    outcome = m.run(max_instructions=10_000)
    # wrapped: [0] became 0x22; then A20 on: [0] stays 0x22, 0x33 goes above 1 MiB
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0x44
    assert m.cpu.a20 and m.mem.read(0x100000, 1) == b"\x33"


def test_d2_d3_write_the_output_buffer_as_either_device(kbc):
    # Linux's aux port check: D3 A5 must come back as aux data on IRQ12
    kbc.command(0xD3)
    kbc.data(0xA5)
    assert kbc.status() & 0x21 == 0x21 and kbc.wires.level(12)
    assert kbc.io.inb(0x60) == 0xA5
    kbc.command(0xD2)
    kbc.data(0x5A)
    assert kbc.status() & 0x21 == 0x01 and kbc.wires.level(1)
    assert kbc.io.inb(0x60) == 0x5A
    kbc.command(0xA7)                               # aux clock off: its bytes wait
    kbc.dev.mouse.reporting = True
    kbc.dev.mouse.move(0, 0, 0)
    assert kbc.read_all() == []
    kbc.command(0xA8)
    assert kbc.read_all() == [0x08, 0x00, 0x00]
