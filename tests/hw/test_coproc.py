"""FERR# to IRQ13 and port F0h: an x87 error in MS-DOS compatibility mode reaches
an interrupt handler, and the handler's write to F0h lets the x87 go on."""
from hw.coproc import CoprocessorError
from hw.irq import IrqLine
from tests.hw.harness import Ports, Wires
from tests.hw.test_machine import SETUP, exit_with, pic_init, rom_with_handlers, run, set_vector
from emu.machine import Stop


class FakeCpu:
    def __init__(self):
        self.on_ferr = None
        self.ferr = False
        self.ignne = False

    def set_ferr(self, level):
        self.ferr = level
        self.on_ferr(level)


def test_ferr_raises_irq13_and_port_f0_asserts_ignne():
    cpu, wires = FakeCpu(), Wires()
    dev = CoprocessorError(cpu, IrqLine(wires, 13))
    ports = Ports(dev)
    cpu.set_ferr(True)
    assert wires.level(13) and not cpu.ignne
    ports.outb(0xF0, 0)
    assert not wires.level(13) and cpu.ignne
    cpu.set_ferr(False)                       # FNCLEX/FNINIT: FERR# goes, so does IGNNE#
    assert not cpu.ignne
    ports.outb(0xF0, 0)                       # a write with no error pending
    assert not cpu.ignne


def test_x87_error_in_dos_mode_reaches_the_irq13_handler():
    """FDIV by zero with ZE unmasked and CR0.NE = 0: the next FWAIT freezes the CPU
    until IRQ13; the handler clears the latch through F0h, counts, clears the x87
    exception (FNCLEX) and EOIs; the FWAIT then completes."""
    handler = """
push ax
xor al, al
out 0xf0, al
inc word ptr [0x500]
fnclex
mov al, 0x20
out 0xa0, al
out 0x20, al
pop ax
iret
"""
    main = SETUP + set_vector(0x75, 0) + pic_init(0xFB, 0xDF) + """
fninit
mov word ptr [0x510], 0x037b
fldcw word ptr [0x510]
fld1
fldz
fdivp st(1), st(0)
sti
fwait
cli
cmp word ptr [0x500], 1
jne bad
""" + exit_with(0) + "bad:\n" + exit_with(1)
    m, outcome, out = run(rom_with_handlers(main, handler))
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0, outcome
    assert not m.cpu.ferr
