"""Run small real-mode programs on a bare CPU (no devices) for focused tests."""
from keystone import KS_ARCH_X86, KS_MODE_16, Ks

from cpu.interp import CPU
from emu.memory import Memory

STOP_SLICE, STOP_HLT, STOP_TRIPLE = 1, 2, 3
_ks = Ks(KS_ARCH_X86, KS_MODE_16)


def asm16(src, addr):
    code, _ = _ks.asm(src, addr)
    return bytes(code)


class PortLog:
    """Port bus that records OUTs and answers INs with a fixed value."""

    def __init__(self):
        self.writes = []

    def port_read(self, port, size):
        return 0xFFFFFFFF

    def port_write(self, port, value, size):
        self.writes.append((port, value, size))


def machine(ram_mib=2):
    mem = Memory(ram_mib << 20)
    io = PortLog()
    return mem, CPU(mem, io), io


def run_at(cpu, mem, src, addr=0x1000, budget=100_000, setup=None):
    """Assemble src at 0000:addr, run until HLT (or the budget); returns the stop reason."""
    mem.load(addr, asm16(src, addr))
    cpu.load_seg_real("cs", 0)
    for sg in ("ds", "es", "ss"):
        cpu.load_seg_real(sg, 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = addr
    cpu.halted = False
    if setup:
        setup(cpu)
    return cpu.run(budget)


def set_vector(mem, vec, seg, off):
    mem.load(vec * 4, bytes((off & 0xFF, off >> 8, seg & 0xFF, seg >> 8)))
