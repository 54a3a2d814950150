"""MIPS of an FPU-heavy loop beside an integer loop (flat 32-bit protected mode).

    python bench/x87_mips.py [iterations]
"""
import pathlib
import struct
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from keystone import KS_ARCH_X86, KS_MODE_32, Ks  # noqa: E402

from cpu.interp import CPU  # noqa: E402
from emu.memory import Memory  # noqa: E402

INTEGER = """
    mov ecx, {n}
l:  add eax, ebx
    xor edx, eax
    sub ebx, 3
    imul esi, edx, 5
    mov [0x20000], esi
    add edi, [0x20000]
    dec ecx
    jnz l
    hlt
"""

# x87 arithmetic, square root, memory operands and stack moves; the values stay finite
FPU = """
    fninit
    fld1
    fld1
    mov ecx, {n}
l:  fadd st(0), st(1)
    fsqrt
    fmul qword ptr [0x20008]
    fdiv qword ptr [0x20008]
    fxch st(1)
    fxch st(1)
    fst qword ptr [0x20010]
    dec ecx
    jnz l
    hlt
"""


def mips(src, n):
    mem = Memory(4 << 20)
    cpu = CPU(mem)
    cpu.set_cr(0, 0x60000033)
    cpu.set_seg("cs", 0x08, 0, 0xFFFFFFFF, 0xC09B)
    for sg in ("ds", "es", "ss", "fs", "gs"):
        cpu.set_seg(sg, 0x10, 0, 0xFFFFFFFF, 0xC093)
    code = bytes(Ks(KS_ARCH_X86, KS_MODE_32).asm(src.format(n=n), 0x8000)[0])
    mem.load(0x8000, code)
    mem.load(0x20008, struct.pack("<d", 1.5))
    cpu.eip = 0x8000
    cpu.set_reg("esp", 0x7000)
    t = time.perf_counter()
    assert cpu.run(1 << 40) == 2
    dt = time.perf_counter() - t
    return cpu.icount / dt / 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    print("integer loop: %6.1f MIPS" % mips(INTEGER, n))
    print("x87 loop:     %6.1f MIPS" % mips(FPU, n))


if __name__ == "__main__":
    main()
