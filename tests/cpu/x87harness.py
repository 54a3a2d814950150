"""Run x87 code on pyx86 and on Unicorn from the same initial FPU state.

Both machines run 32-bit flat protected-mode code at CODE: an FRSTOR of an image at
IMAGE sets the whole FPU state, then the instructions under test, then HLT. The data
page at DATA holds memory operands and receives stores. The result is a dict with the
stack (ST order, None for empty registers), TOP, the tag word, the status and control
words, EFLAGS, EAX and the data page."""
import struct

from keystone import KS_ARCH_X86, KS_MODE_32, Ks
from unicorn import UC_ARCH_X86, UC_MODE_32, Uc
from unicorn import x86_const as X

from cpu.interp import CPU
from emu.memory import Memory
from tests.cpu.flat import flat32

CODE, DATA, IMAGE = 0x8000, 0x10000, 0x11000
DATA_SIZE = 0x100
_ks = Ks(KS_ARCH_X86, KS_MODE_32)


def asm(src, addr=CODE):
    return bytes(_ks.asm(src, addr)[0])


def f80_bytes(v):
    sig, se = v
    return struct.pack("<QH", sig, se)


def fsave_image(stack, fcw=0x037F, fsw=0, top=0):
    """A 32-bit protected-mode FSAVE image: stack lists ST(0).. values ((sig, se)
    pairs), the other registers are empty."""
    tw = 0
    regs = [(0, 0)] * 8
    for k in range(8):
        phys = (top + k) & 7
        if k < len(stack):
            regs[k] = stack[k]
            tw |= 0 << (2 * phys)     # FRSTOR only looks at "empty" or not
        else:
            tw |= 3 << (2 * phys)
    sw = (fsw & ~0x3800) | (top << 11)
    env = struct.pack("<IIIIIII", 0xFFFF0000 | fcw, 0xFFFF0000 | sw, 0xFFFF0000 | tw,
                      0, 0, 0, 0)
    return env + b"".join(f80_bytes(r) for r in regs)


PROLOGUE = asm("fnclex; frstor [%#x]" % IMAGE)


def _result(regs, fsw, fcw, ftw, eflags, eax, data):
    top = (fsw >> 11) & 7
    stack = []
    for k in range(8):
        phys = (top + k) & 7
        stack.append(None if (ftw >> (2 * phys)) & 3 == 3 else regs[phys])
    return dict(stack=stack, top=top, ftw=ftw, fsw=fsw, fcw=fcw, eflags=eflags, eax=eax,
                data=data)


class Pyx:
    def __init__(self):
        self.mem = Memory(1 << 20)
        self.cpu = CPU(self.mem)
        cpu = self.cpu
        flat32(cpu, cr0=0x60000033)     # PE, MP, ET, NE

    def run(self, code, image, data=b"", eflags=0x2, eax=0):
        prog = PROLOGUE + code + b"\xf4"
        self.mem.load(CODE, prog)
        self.mem.load(DATA, data.ljust(DATA_SIZE, b"\0"))
        self.mem.load(IMAGE, image)
        cpu = self.cpu
        cpu.eip = CODE
        cpu.eflags = eflags
        cpu.set_reg("eax", eax)
        cpu.set_reg("esp", 0x7000)
        cpu.halted = False
        stop = cpu.run(1000)
        assert stop == 2, "pyx86 did not reach HLT (stop %d)" % stop
        st = cpu.fpu_state()
        return _result(st["regs"], st["fsw"], st["fcw"], st["ftw"], cpu.eflags,
                       cpu.get_reg("eax"), bytes(self.mem.read(DATA, DATA_SIZE)))


class Unicorn:
    def __init__(self):
        self.uc = Uc(UC_ARCH_X86, UC_MODE_32)
        self.uc.ctl_set_cpu_model(X.UC_CPU_X86_PENTIUM3)
        self.uc.mem_map(0, 0x20000)

    def run(self, code, image, data=b"", eflags=0x2, eax=0):
        uc = self.uc
        prog = PROLOGUE + code + b"\xf4"
        uc.mem_write(CODE, prog)
        uc.mem_write(DATA, data.ljust(DATA_SIZE, b"\0"))
        uc.mem_write(IMAGE, image)
        uc.reg_write(X.UC_X86_REG_EFLAGS, eflags)
        uc.reg_write(X.UC_X86_REG_EAX, eax)
        uc.reg_write(X.UC_X86_REG_ESP, 0x7000)
        uc.emu_start(CODE, CODE + len(prog) - 1)
        regs = [uc.reg_read(X.UC_X86_REG_FP0 + k) for k in range(8)]
        return _result(regs, uc.reg_read(X.UC_X86_REG_FPSW), uc.reg_read(X.UC_X86_REG_FPCW),
                       uc.reg_read(X.UC_X86_REG_FPTAG), uc.reg_read(X.UC_X86_REG_EFLAGS),
                       uc.reg_read(X.UC_X86_REG_EAX), bytes(uc.mem_read(DATA, DATA_SIZE)))
