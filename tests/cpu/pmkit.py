"""Builders for protected-mode test machines: descriptors, GDT/IDT/TSS images, a CPU
started directly in protected mode, and fault catchers that record what happened.

Memory map of a PMachine (physical = linear, paging off):
    GDT 0x1000, IDT 0x2000, TSSes from 0x3000, code from 0x10000, fault catchers at
    0x18000, ring-0 stack top 0x80000, ring-3 stack top 0x70000, results at 0x50000.
"""
import struct

from keystone import Ks, KS_ARCH_X86, KS_MODE_16, KS_MODE_32

from cpu.interp import CPU
from emu.memory import Memory

STOP_SLICE, STOP_HLT, STOP_TRIPLE = 1, 2, 3

GDT, IDT, TSS0, TSS1, TSS2 = 0x1000, 0x2000, 0x3000, 0x3400, 0x3800
CODE0, CODE3, CATCH = 0x10000, 0x20000, 0x18000
STACK0, STACK3 = 0x80000, 0x70000
RESULT = 0x50000            # catcher: vector, error code, then the frame it found

# standard GDT slots (selector = index * 8)
SEL_CODE0, SEL_DATA0, SEL_CODE3, SEL_DATA3, SEL_TSS0, SEL_TSS1 = 0x08, 0x10, 0x18, 0x20, 0x28, 0x30
SEL_TSS2 = 0x38
ERR_VECTORS = {8, 10, 11, 12, 13, 14, 17}

# descriptor types
CODE_XR, DATA_RW, TSS32, TSS16, LDT, CALL32, CALL16 = 0xA, 0x2, 0x9, 0x1, 0x2, 0xC, 0x4
TASK_GATE, INT32, TRAP32, INT16, TRAP16 = 0x5, 0xE, 0xF, 0x6, 0x7

_ks32 = Ks(KS_ARCH_X86, KS_MODE_32)
_ks16 = Ks(KS_ARCH_X86, KS_MODE_16)


def asm(code, addr=0, bits=32):
    ks = _ks32 if bits == 32 else _ks16
    enc, _ = ks.asm(code, addr)
    return bytes(enc)


def far(op, sel, off):
    """Assembler text for a 32-bit direct far JMP (op='jmp') or CALL (op='call')."""
    return f".byte {0xEA if op == 'jmp' else 0x9A}; .long {off:#x}; .word {sel:#x}"


def seg(base, limit, typ, dpl=0, s=1, present=1, db=1, g=None):
    """A code/data (s=1) or system (s=0) segment descriptor. Limits above 1 MiB use
    G=1 (then limit must end in 0xFFF)."""
    if g is None:
        g = limit > 0xFFFFF
    if g:
        limit >>= 12
    lo = (limit & 0xFFFF) | ((base & 0xFFFF) << 16)
    hi = (((base >> 16) & 0xFF) | (typ << 8) | (s << 12) | (dpl << 13) | (present << 15) |
          (limit & 0xF0000) | (db << 22) | (g << 23) | (base & 0xFF000000))
    return struct.pack("<II", lo, hi)


def sysdesc(base, limit, typ, dpl=0, present=1):
    return seg(base, limit, typ, dpl, s=0, present=present, db=0, g=False)


def gate(sel, off, typ, dpl=0, present=1, params=0):
    lo = (off & 0xFFFF) | (sel << 16)
    hi = (off & 0xFFFF0000) | (typ << 8) | (dpl << 13) | (present << 15) | (params & 0x1F)
    return struct.pack("<II", lo, hi)


def tss32(eip=0, eflags=2, regs=None, segs=None, ldt=0, cr3=0, stacks=(), iomap=0x68,
          link=0):
    """A 104-byte 32-bit TSS. regs: dict eax..edi; segs: dict es..gs; stacks: ring
    0-2 (ss, esp) pairs."""
    b = bytearray(0x68)
    regs = regs or {}
    segs = segs or {}
    struct.pack_into("<I", b, 0, link)
    for lvl, (ss, esp) in enumerate(stacks):
        struct.pack_into("<II", b, 4 + 8 * lvl, esp, ss)
    struct.pack_into("<III", b, 0x1C, cr3, eip, eflags)
    for k, r in enumerate(("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")):
        struct.pack_into("<I", b, 0x28 + 4 * k, regs.get(r, 0))
    for k, r in enumerate(("es", "cs", "ss", "ds", "fs", "gs")):
        struct.pack_into("<I", b, 0x48 + 4 * k, segs.get(r, 0))
    struct.pack_into("<I", b, 0x60, ldt)
    struct.pack_into("<HH", b, 0x64, 0, iomap)
    return bytes(b)


def tss16(ip=0, flags=2, regs=None, segs=None, ldt=0, stacks=(), link=0):
    """A 44-byte 16-bit (286) TSS."""
    b = bytearray(0x2C)
    regs = regs or {}
    segs = segs or {}
    struct.pack_into("<H", b, 0, link)
    for lvl, (ss, sp) in enumerate(stacks):
        struct.pack_into("<HH", b, 2 + 4 * lvl, sp, ss)
    struct.pack_into("<HH", b, 0x0E, ip, flags)
    for k, r in enumerate(("ax", "cx", "dx", "bx", "sp", "bp", "si", "di")):
        struct.pack_into("<H", b, 0x12 + 2 * k, regs.get(r, 0))
    for k, r in enumerate(("es", "cs", "ss", "ds")):
        struct.pack_into("<H", b, 0x22 + 2 * k, segs.get(r, 0))
    struct.pack_into("<H", b, 0x2A, ldt)
    return bytes(b)


class PortLog:
    """A port bus that answers reads with a fixed pattern and records every access."""

    def __init__(self):
        self.log = []

    def port_read(self, port, size):
        self.log.append(("in", port, size))
        return 0xA5A5A5A5 & ((1 << (8 * size)) - 1)

    def port_write(self, port, value, size):
        self.log.append(("out", port, value, size))


class PMachine:
    """A CPU in 32-bit protected mode at CPL 0 with a flat GDT and an IDT whose first
    32 vectors go to fault catchers (ring-0 interrupt gates)."""

    def __init__(self, ram=1 << 20, gdt_entries=32, idt_entries=256):
        self.mem = Memory(ram)
        self.io = PortLog()
        self.cpu = CPU(self.mem, io=self.io)
        self.gdt_limit = gdt_entries * 8 - 1
        self.idt_limit = idt_entries * 8 - 1
        self.set_gdt(1, seg(0, 0xFFFFFFFF, CODE_XR))
        self.set_gdt(2, seg(0, 0xFFFFFFFF, DATA_RW))
        self.set_gdt(3, seg(0, 0xFFFFFFFF, CODE_XR, dpl=3))
        self.set_gdt(4, seg(0, 0xFFFFFFFF, DATA_RW, dpl=3))
        self.set_gdt(5, sysdesc(TSS0, 0x67, TSS32))
        self.mem.load(TSS0, tss32(stacks=[(SEL_DATA0, STACK0)]))
        for v in range(32):
            self.set_idt(v, gate(SEL_CODE0, self.catcher(v), INT32))
        self.mem.load(RESULT, b"\xff" * 4)        # vector -1: no catcher ran yet

    # -- tables ------------------------------------------------------------------------
    def set_gdt(self, index, desc):
        self.mem.load(GDT + 8 * index, desc)

    def set_idt(self, vec, desc):
        self.mem.load(IDT + 8 * vec, desc)

    def gdt_entry(self, index):
        return struct.unpack("<II", self.mem.read(GDT + 8 * index, 8))

    def gdt_type(self, index):
        return (self.gdt_entry(index)[1] >> 8) & 0xF

    def catcher(self, vec):
        """Ring-0 handler for vector vec: records vector, error code and nine dwords of
        the frame above it (EIP CS EFLAGS [ESP SS [ES DS FS GS]]) at RESULT, then HLT.
        Writes go through SS: DS may be null (after an interrupt from v8086 mode)."""
        addr = CATCH + vec * 0x100
        code = f"mov dword ptr ss:[{RESULT:#x}], {vec}\n"
        if vec in ERR_VECTORS:
            code += f"pop eax\nmov dword ptr ss:[{RESULT + 4:#x}], eax\n"
        for k in range(9):
            code += f"mov eax, [esp + {4 * k}]\nmov dword ptr ss:[{RESULT + 8 + 4 * k:#x}], eax\n"
        code += "hlt\n"
        self.mem.load(addr, asm(code, addr))
        return addr

    def caught(self):
        """(vector, error code, frame dwords) recorded by a catcher."""
        v = struct.unpack("<11I", self.mem.read(RESULT, 44))
        return v[0], v[1], list(v[2:])

    # -- code and state -------------------------------------------------------------------
    def code(self, addr, text, bits=32):
        b = asm(text, addr, bits)
        self.mem.load(addr, b)
        return addr + len(b)

    def dword(self, addr):
        return struct.unpack("<I", self.mem.read(addr, 4))[0]

    def word(self, addr):
        return struct.unpack("<H", self.mem.read(addr, 2))[0]

    def start(self, eip, ds=SEL_DATA3 | 3, eflags=2):
        """Enter protected mode at CPL 0 (CS 0x08, SS 0x10) with GDTR, IDTR and TR set
        (TR: the TSS in slot 5, marked busy)."""
        cpu = self.cpu
        cpu.set_cr(0, 0x11)
        cpu.set_dtr("gdtr", GDT, self.gdt_limit)
        cpu.set_dtr("idtr", IDT, self.idt_limit)
        cpu.set_seg("cs", SEL_CODE0, 0, 0xFFFFFFFF, 0xC09B)
        cpu.set_seg("ss", SEL_DATA0, 0, 0xFFFFFFFF, 0xC093)
        dar = 0xC0F3 if ds & ~3 == SEL_DATA3 else 0xC093
        for s in ("ds", "es", "fs", "gs"):
            cpu.set_seg(s, ds, 0, 0xFFFFFFFF, dar)
        lo, hi = self.gdt_entry(5)
        self.set_gdt(5, struct.pack("<II", lo, hi | 0x200))
        cpu.set_seg("tr", SEL_TSS0, TSS0, (lo & 0xFFFF), 0x8B)
        cpu.set_seg("ldtr", 0, 0, 0, 0x82, valid=False)
        cpu.set_reg("esp", STACK0)
        cpu.eflags = eflags
        cpu.eip = eip

    def run(self, budget=10000):
        return self.cpu.run(budget)

    def to_ring3(self, target, esp=STACK3, eflags=0x202):
        """Assembler text: IRETD from ring 0 to ring-3 code at target."""
        return (f"push {SEL_DATA3 | 3:#x}\npush {esp:#x}\npush {eflags:#x}\n"
                f"push {SEL_CODE3 | 3:#x}\npush {target:#x}\niretd\n")
