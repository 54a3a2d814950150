"""Run MMX/SSE/SSE2 code on pyx86 and on Unicorn from the same initial state.

Both machines run 32-bit flat protected-mode code at CODE with CR4.OSFXSR and
CR4.OSXMMEXCPT set: a prologue loads the x87/MMX registers (FRSTOR of an image at
IMAGE: all registers valid, TOP 0), XMM0-7 (MOVUPS from IMAGE+XMM_OFF) and MXCSR
(LDMXCSR), then the instruction under test runs, then HLT. The data page at DATA holds
memory operands and receives stores. The result holds MM0-7 (significand, sign/exponent
pairs), the x87 TOP and tag word, XMM0-7, MXCSR, EFLAGS, the general registers and the
data page."""
import struct

from unicorn import UC_ARCH_X86, UC_MODE_32, Uc
from unicorn import x86_const as X

from cpu.interp import CPU
from emu.memory import Memory
from tests.cpu.x87harness import asm, fsave_image
from tests.cpu.flat import flat32

CODE, DATA, IMAGE = 0x8000, 0x10000, 0x11000
XMM_OFF, MXCSR_OFF = 0x100, 0x180
DATA_SIZE = 0x40
CR4_SSE = 0x600                     # OSFXSR | OSXMMEXCPT
GPRS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")

PROLOGUE = asm("fnclex; frstor [%#x]; " % IMAGE +
               "; ".join("movups xmm%d, [%#x]" % (k, IMAGE + XMM_OFF + 16 * k)
                         for k in range(8)) +
               "; ldmxcsr [%#x]" % (IMAGE + MXCSR_OFF))


def image(mm, xmm, mxcsr):
    """The state image: mm lists eight 64-bit MMX values, xmm eight 128-bit values."""
    img = fsave_image([(v, 0xFFFF) for v in mm]).ljust(XMM_OFF, b"\0")
    img += b"".join(v.to_bytes(16, "little") for v in xmm)
    return img + struct.pack("<I", mxcsr)


def _result(mm, ftw, fsw, xmm, mxcsr, eflags, gprs, data):
    return dict(mm=mm, top=(fsw >> 11) & 7, ftw=ftw, xmm=xmm, mxcsr=mxcsr, eflags=eflags,
                gprs=gprs, data=data)


class Pyx:
    def __init__(self):
        self.mem = Memory(1 << 20)
        self.cpu = CPU(self.mem)
        cpu = self.cpu
        flat32(cpu, cr0=0x60000033)     # PE, MP, ET, NE
        cpu.set_cr(4, CR4_SSE)

    def run(self, code, img, data=b"", gprs=None, eflags=0x2):
        prog = PROLOGUE + code + b"\xf4"
        self.mem.load(CODE, prog)
        self.mem.load(DATA, data.ljust(DATA_SIZE, b"\0"))
        self.mem.load(IMAGE, img)
        cpu = self.cpu
        cpu.eip = CODE
        cpu.eflags = eflags
        for name, v in zip(GPRS, gprs or [0] * 8):
            cpu.set_reg(name, v)
        cpu.halted = False
        stop = cpu.run(100)
        assert stop == 2 and cpu.eip == CODE + len(prog), \
            "pyx86 did not reach HLT (stop %d, eip %#x)" % (stop, cpu.eip)
        st = cpu.fpu_state()
        ss = cpu.simd_state()
        return _result([r[0] for r in st["regs"]], st["ftw"], st["fsw"], ss["xmm"],
                       ss["mxcsr"], cpu.eflags, [cpu.get_reg(n) for n in GPRS],
                       bytes(self.mem.read(DATA, DATA_SIZE)))


class Unicorn:
    def __init__(self):
        self.uc = Uc(UC_ARCH_X86, UC_MODE_32)
        # the Pentium III model lacks SSE2; Core 2 has it (its later extensions are not tested)
        self.uc.ctl_set_cpu_model(X.UC_CPU_X86_CORE2DUO)
        self.uc.mem_map(0, 0x20000)

    def run(self, code, img, data=b"", gprs=None, eflags=0x2):
        uc = self.uc
        prog = PROLOGUE + code + b"\xf4"
        uc.reg_write(X.UC_X86_REG_CR4, CR4_SSE)
        uc.mem_write(CODE, prog)
        uc.mem_write(DATA, data.ljust(DATA_SIZE, b"\0"))
        uc.mem_write(IMAGE, img)
        uc.reg_write(X.UC_X86_REG_EFLAGS, eflags)
        for name, v in zip(GPRS, gprs or [0] * 8):
            uc.reg_write(getattr(X, "UC_X86_REG_" + name.upper()), v)
        uc.emu_start(CODE, CODE + len(prog) - 1)
        mm = [uc.reg_read(X.UC_X86_REG_FP0 + k)[0] for k in range(8)]
        xmm = [uc.reg_read(X.UC_X86_REG_XMM0 + k) for k in range(8)]
        return _result(mm, uc.reg_read(X.UC_X86_REG_FPTAG), uc.reg_read(X.UC_X86_REG_FPSW),
                       xmm, uc.reg_read(X.UC_X86_REG_MXCSR),
                       uc.reg_read(X.UC_X86_REG_EFLAGS),
                       [uc.reg_read(getattr(X, "UC_X86_REG_" + n.upper())) for n in GPRS],
                       bytes(uc.mem_read(DATA, DATA_SIZE)))
