"""The guest x87 on the host x87 (cpu/x87_host.pxi): the state must be exact in
CPUState wherever anything else can see it - a call out into Python (port I/O,
interrupt acknowledge), the end of a run, MMX, FXSAVE/FXRSTOR - and an instruction
run by the generic handler between host-run ones must see and leave the same state.
"""
import math
import struct

from cpu.interp import CPU
from emu.memory import Memory
from tests.cpu.realmode import STOP_HLT, STOP_SLICE, PortLog, asm16, run_at, set_vector

ONE = (1 << 63, 0x3FFF)
C0, C3 = 0x100, 0x4000
TWO = (1 << 63, 0x4000)
PI = (0xC90FDAA22168C235, 0x4000)


class SnoopPorts(PortLog):
    """Records the x87 state the CPU shows while a port access is in Python."""

    def __init__(self):
        super().__init__()
        self.cpu = None
        self.seen = []

    def port_write(self, port, value, size):
        super().port_write(port, value, size)
        self.seen.append(self.cpu.fpu_state())

    def port_read(self, port, size):
        self.seen.append(self.cpu.fpu_state())
        return 0


def snoop_machine():
    mem = Memory(2 << 20)
    io = SnoopPorts()
    cpu = CPU(mem, io)
    io.cpu = cpu
    return mem, cpu, io


def stack(st):
    """ST(0), ST(1), ... of an fpu_state() down to the first empty register."""
    out = []
    for k in range(8):
        phys = (st["top"] + k) & 7
        if (st["empty"] >> phys) & 1:
            break
        out.append(st["regs"][phys])
    return out


def f80(x):
    """A double as an 80-bit (significand, sign/exponent) pair (normal or zero)."""
    if x == 0:
        return (0, 0x8000 if math.copysign(1, x) < 0 else 0)
    m, e = math.frexp(abs(x))                      # x = m * 2^e, 0.5 <= m < 1
    return (int(m * 2 ** 64), (0x3FFE + e) | (0x8000 if x < 0 else 0))


def f64(mem, addr):
    return struct.unpack("<d", bytes(mem.read(addr, 8)))[0]


def test_port_io_sees_the_exact_stack():
    mem, cpu, io = snoop_machine()
    stop = run_at(cpu, mem, """
        fninit
        fld1
        fldpi
        out 0x80, al
        faddp st(1), st(0)
        fld st(0)
        in al, 0x60
        fmulp st(1), st(0)
        fstp qword ptr [0x2000]
        hlt
    """)
    assert stop == STOP_HLT
    before_out, before_in = io.seen
    assert stack(before_out) == [PI, ONE] and before_out["top"] == 6
    assert before_out["fop"] == 0x1EB          # FLDPI: D9 EB, opcode bits 10-8 and ModRM
    assert len(stack(before_in)) == 2 and before_in["top"] == 6
    assert stack(before_in)[0] == stack(before_in)[1]
    assert f64(mem, 0x2000) == (math.pi + 1) ** 2
    end = cpu.fpu_state()
    assert stack(end) == [] and end["top"] == 0 and end["fsw"] & 0x3F == 0x20   # PE


def test_a_run_ends_with_the_state_in_the_cpu():
    """Stop between x87 instructions (budget), look, change nothing, go on."""
    mem, cpu, io = snoop_machine()
    stop = run_at(cpu, mem, """
        fninit
        fld1
        fld1
        faddp st(1), st(0)
        fld1
        faddp st(1), st(0)
        fstp qword ptr [0x2000]
        hlt
    """, budget=4)
    assert stop == STOP_SLICE
    mid = cpu.fpu_state()
    assert stack(mid) == [TWO] and mid["top"] == 7
    assert cpu.run(100) == STOP_HLT
    assert f64(mem, 0x2000) == 3.0


def test_the_generic_handler_between_host_instructions():
    """FXAM and friends run on the host, FSIN and FNSTENV in op_esc: the stack moves
    between them without loss."""
    mem, cpu, io = snoop_machine()
    stop = run_at(cpu, mem, """
        fninit
        fldz
        fld1
        fsin
        faddp st(1), st(0)
        fnstenv [0x3000]
        fld1
        fcomp st(1)
        fnstsw ax
        fstp qword ptr [0x2000]
        hlt
    """)
    assert stop == STOP_HLT
    assert f64(mem, 0x2000) == math.sin(1.0)
    env = bytes(mem.read(0x3000, 14))
    assert struct.unpack_from("<H", env, 2)[0] >> 11 & 7 == 7   # TOP after FADDP
    assert struct.unpack_from("<H", env, 4)[0] == 0x3FFF        # only R7 valid
    ax = cpu.get_reg("eax") & 0xFFFF
    assert ax & 0x4500 == 0                                     # 1 > sin(1): C3 C2 C0 clear


def test_mmx_after_host_x87():
    """MMX takes the register file as the host left it (SDM vol. 1, 9.5)."""
    mem, cpu, io = snoop_machine()
    stop = run_at(cpu, mem, """
        fninit
        fld1
        fld1
        faddp st(1), st(0)
        mov eax, 5
        movd mm1, eax
        hlt
    """)
    assert stop == STOP_HLT
    st = cpu.fpu_state()
    assert st["top"] == 0 and st["empty"] == 0
    assert st["regs"][7] == TWO
    assert st["regs"][1] == (5, 0xFFFF)


def test_fxsave_and_fxrstor_with_the_state_on_the_host():
    mem, cpu, io = snoop_machine()
    image = bytearray(512)
    struct.pack_into("<HHB", image, 0, 0x037F, 7 << 11, 0x80)   # TOP 7, R7 valid
    image[32:42] = (3 << 62).to_bytes(8, "little") + (0x4000).to_bytes(2, "little")  # 3.0
    mem.load(0x4000, bytes(image))
    stop = run_at(cpu, mem, """
        fninit
        fld1
        fldpi
        fxsave [0x3000]
        fld1
        fxrstor [0x4000]
        fld1
        faddp st(1), st(0)
        fstp qword ptr [0x2000]
        hlt
    """)
    assert stop == STOP_HLT
    saved = bytes(mem.read(0x3000, 512))
    fcw, fsw, ftw = struct.unpack_from("<HHB", saved, 0)
    assert (fcw, fsw >> 11 & 7, ftw) == (0x037F, 6, 0xC0)
    st0 = (int.from_bytes(saved[32:40], "little"), int.from_bytes(saved[40:42], "little"))
    st1 = (int.from_bytes(saved[48:56], "little"), int.from_bytes(saved[56:58], "little"))
    assert (st0, st1) == (PI, ONE)
    assert f64(mem, 0x2000) == 4.0                  # 3.0 from the image, plus 1


def test_interrupt_acknowledge_sees_the_exact_stack():
    mem, cpu, io = snoop_machine()

    class Intc:
        def ack(self):
            io.seen.append(cpu.fpu_state())
            cpu.set_intr(False)
            return 0x40

    cpu.intc = Intc()
    set_vector(mem, 0x40, 0, 0x1800)
    mem.load(0x1800, asm16("fld1\nfaddp st(1), st(0)\niret", 0x1800))
    stop = run_at(cpu, mem, """
        fninit
        fld1
        fld1
        sti
        nop
        nop
        fstp qword ptr [0x2000]
        hlt
    """, budget=3)
    assert stop == STOP_SLICE                       # after the two FLD1 and FNINIT
    cpu.set_intr(True)
    assert cpu.run(100) == STOP_HLT
    seen, = io.seen
    assert stack(seen) == [ONE, ONE]
    assert f64(mem, 0x2000) == 2.0
    assert stack(cpu.fpu_state()) == [ONE]


def test_trig_on_the_host_matches_the_generic_handler():
    """FSIN FCOS FSINCOS FPTAN run on the host for |x| up to pi/4 (and the operands
    the host treats like the guest), in the generic handler beyond: the same values,
    C1, C2 and flags either way. The generic handler runs them when FCW unmasks an
    exception (IM clear: none of these operands raises IE)."""
    from tests.cpu.x87harness import Pyx, fsave_image
    pyx = Pyx()
    lo = struct.unpack("<Q", struct.pack("<d", math.pi / 4))[0]
    values = [0.5, -0.5, 1e-30, -1e-300, 0.0, -0.0, 2.0, -2.0, 2.0 ** 62, -3.0e9,
              struct.unpack("<d", struct.pack("<Q", lo))[0],          # below pi/4
              struct.unpack("<d", struct.pack("<Q", lo + 1))[0],      # above
              -struct.unpack("<d", struct.pack("<Q", lo + 1))[0]]
    pi4_80 = (0xC90FDAA22168C234, 0x3FFE)                             # pi/4 rounded down
    pi4_up = (0xC90FDAA22168C235, 0x3FFE)
    stacks = [[f80(v)] for v in values] + [[pi4_80], [pi4_up], [pi4_up, ONE]]
    for code in (b"\xd9\xfe", b"\xd9\xff", b"\xd9\xfb", b"\xd9\xf2"):
        for stack_ in stacks:
            host = pyx.run(code, fsave_image(stack_, fcw=0x037F))
            generic = pyx.run(code, fsave_image(stack_, fcw=0x037E))
            for r in (host, generic):
                r["fsw"] &= ~(C0 | C3)       # undefined after these four (SDM vol. 2A)
            assert (host["stack"], host["top"], host["fsw"]) == \
                (generic["stack"], generic["top"], generic["fsw"]), (code.hex(), stack_)
