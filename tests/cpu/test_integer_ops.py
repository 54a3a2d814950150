"""Hand-made cases for integer instruction forms the 286 suite cannot reach: 32-bit
shifts, SHLD/SHRD, 32-bit multiply/divide, BT with memory operands and negative bit
offsets, BSF/BSR, and string instructions with 32-bit operands and addresses.

Each case assembles a few instructions (keystone) followed by HLT, runs them in a flat
32-bit protected-mode code segment (or real mode, where a fault must be delivered
through the IVT) and checks registers, flags and memory."""
import struct

import pytest

keystone = pytest.importorskip("keystone")

from cpu.interp import CPU  # noqa: E402
from emu.memory import Memory  # noqa: E402
from tests.cpu.flat import flat32

STOP_SLICE, STOP_HLT = 1, 2
CF, PF, AF, ZF, SF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800
CODE = 0x8000
REG_NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")


def assemble(src, mode):
    ks = keystone.Ks(keystone.KS_ARCH_X86, mode)
    code, _ = ks.asm(src, CODE)
    return bytes(code) + b"\xf4"


class Machine:
    """A CPU with 4 MiB of RAM in flat 32-bit protected mode (or real mode)."""

    def __init__(self, src, regs=None, flags=0x2, real=False, io=None):
        self.mem = Memory(4 << 20)
        self.cpu = CPU(self.mem, io=io)
        cpu = self.cpu
        if real:
            for sg in ("cs", "ds", "es", "ss"):
                cpu.load_seg_real(sg, 0)
        else:
            flat32(cpu)
        self.code = assemble(src, keystone.KS_MODE_16 if real else keystone.KS_MODE_32)
        self.mem.load(CODE, self.code)
        cpu.eip = CODE
        cpu.eflags = flags
        cpu.set_reg("esp", 0x7000)
        for name, v in (regs or {}).items():
            cpu.set_reg(name, v & 0xFFFFFFFF)

    def poke32(self, addr, *values):
        self.mem.load(addr, struct.pack(f"<{len(values)}I", *values))

    def peek32(self, addr, n=1):
        v = struct.unpack(f"<{n}I", self.mem.read(addr, 4 * n))
        return v[0] if n == 1 else list(v)

    def run(self):
        assert self.cpu.run(1_000_000) == STOP_HLT
        return self

    def reg(self, name):
        return self.cpu.get_reg(name)

    def flag(self, bit):
        return int(bool(self.cpu.eflags & bit))


def run32(src, flags=0x2, **regs):
    return Machine(src, regs, flags).run()


# ---- shifts and rotates (32-bit) ----
@pytest.mark.parametrize("src, regs, flags, eax, cf", [
    ("shl eax, cl", dict(eax=0x80000001, ecx=33), 0x2, 0x00000002, 1),   # count & 31 = 1
    ("shr eax, 4", dict(eax=0x8000001F), 0x2, 0x08000001, 1),
    ("sar eax, 31", dict(eax=0x80000000), 0x2, 0xFFFFFFFF, 0),
    ("sar eax, 31", dict(eax=0x40000000), 0x2, 0x00000000, 1),
    ("rol eax, 8", dict(eax=0x12345678), 0x3, 0x34567812, 0),
    ("ror eax, 12", dict(eax=0x12345678), 0x2, 0x67812345, 0),
    ("rcl eax, 1", dict(eax=0x80000000), 0x3, 0x00000001, 1),
    ("rcr eax, cl", dict(eax=0x80000001, ecx=31), 0x2, 0x00000005, 0),  # 33-bit rotate
    ("rcl eax, cl", dict(eax=0x00000001, ecx=31), 0x3, 0xC0000000, 0),
])
def test_shift32(src, regs, flags, eax, cf):
    m = run32(src, flags, **regs)
    assert m.reg("eax") == eax
    assert m.flag(CF) == cf


def test_shift_count_1_overflow_flag():
    assert run32("shl eax, 1", eax=0x40000000).flag(OF) == 1     # sign changed
    assert run32("shl eax, 1", eax=0xC0000000).flag(OF) == 0
    assert run32("shr eax, 1", eax=0x80000000).flag(OF) == 1     # OF = old top bit
    assert run32("sar eax, 1", eax=0x80000000).flag(OF) == 0
    assert run32("ror eax, 1", eax=0x00000001).flag(OF) == 1     # top two bits differ


def test_shift_result_flags():
    m = run32("shr eax, 8", eax=0x000000FF)
    assert m.reg("eax") == 0 and m.flag(ZF) == 1 and m.flag(CF) == 1
    m = run32("shl eax, 4", eax=0x08000000)
    assert m.reg("eax") == 0x80000000 and m.flag(SF) == 1 and m.flag(ZF) == 0


def test_shift_masked_count_zero_keeps_flags():
    m = run32("shl eax, cl", CF | ZF | 0x2, eax=0x12345678, ecx=32)
    assert m.reg("eax") == 0x12345678
    assert m.flag(CF) == 1 and m.flag(ZF) == 1


def test_rotate_keeps_sign_zero_flags():
    m = run32("rol eax, 4", ZF | 0x2, eax=0xF0000000)
    assert m.reg("eax") == 0x0000000F and m.flag(ZF) == 1 and m.flag(CF) == 1


def test_shift_memory_operand():
    m = Machine("shr dword ptr [0x2000], 3")
    m.poke32(0x2000, 0x0000000C)
    m.run()
    assert m.peek32(0x2000) == 1 and m.flag(CF) == 1


# ---- SHLD / SHRD ----
def test_shld32_imm():
    m = run32("shld eax, ebx, 12", eax=0x12345678, ebx=0x9ABCDEF0)
    assert m.reg("eax") == 0x456789AB and m.reg("ebx") == 0x9ABCDEF0
    assert m.flag(CF) == 1                 # bit 20 of the old EAX


def test_shrd32_cl():
    m = run32("shrd eax, ebx, cl", eax=0x12345678, ebx=0x9ABCDEF0, ecx=8)
    assert m.reg("eax") == 0xF0123456
    assert m.flag(CF) == 0 and m.flag(SF) == 1


def test_shld32_memory():
    m = Machine("shld dword ptr [0x2000], ebx, 4", dict(ebx=0xF0000000))
    m.poke32(0x2000, 0x10000000)
    m.run()
    assert m.peek32(0x2000) == 0x0000000F and m.flag(CF) == 1


def test_shrd32_count_1_overflow_flag():
    m = run32("shrd eax, ebx, 1", eax=0x00000002, ebx=0x00000001)
    assert m.reg("eax") == 0x80000001 and m.flag(OF) == 1 and m.flag(CF) == 0


def test_double_shift_count_zero_is_nop():
    m = run32("shld eax, ebx, cl", CF | 0x2, eax=0x1234, ebx=0xFFFFFFFF, ecx=0x20)
    assert m.reg("eax") == 0x1234 and m.flag(CF) == 1


def test_double_shift16_count_above_16():
    # undefined by the SDM; a P6 shifts the 48-bit value dest:src:dest
    m = run32("shld ax, bx, 20", eax=0xAAAA1234, ebx=0x5678)
    assert m.reg("eax") == 0xAAAA6781
    m = run32("shrd ax, bx, 20", eax=0xAAAA1234, ebx=0x5678)
    assert m.reg("eax") == 0xAAAA4567


# ---- multiply ----
def test_mul32():
    m = run32("mul ecx", eax=0xFFFFFFFF, ecx=0xFFFFFFFF)
    assert (m.reg("edx"), m.reg("eax")) == (0xFFFFFFFE, 0x00000001)
    assert m.flag(CF) == 1 and m.flag(OF) == 1
    m = run32("mul ecx", eax=0x10000, ecx=0xFFFF, edx=0x55)
    assert (m.reg("edx"), m.reg("eax")) == (0, 0xFFFF0000)
    assert m.flag(CF) == 0 and m.flag(OF) == 0


def test_imul32_one_operand():
    m = run32("imul ecx", eax=-2, ecx=3)
    assert (m.reg("edx"), m.reg("eax")) == (0xFFFFFFFF, 0xFFFFFFFA)
    assert m.flag(CF) == 0 and m.flag(OF) == 0
    m = run32("imul ecx", eax=0x40000000, ecx=4)
    assert (m.reg("edx"), m.reg("eax")) == (1, 0)
    assert m.flag(CF) == 1 and m.flag(OF) == 1


@pytest.mark.parametrize("src, regs, reg, value, overflow", [
    ("imul ebx, ecx", dict(ebx=0x7FFFFFFF, ecx=2), "ebx", 0xFFFFFFFE, 1),
    ("imul ebx, ecx", dict(ebx=-5, ecx=-7), "ebx", 35, 0),
    ("imul eax, ecx, 0x10000", dict(ecx=0x10000), "eax", 0, 1),
    ("imul eax, ecx, -3", dict(ecx=5), "eax", 0xFFFFFFF1, 0),
    ("imul ax, cx, 0x100", dict(eax=0x11110000, ecx=0x80), "eax", 0x11118000, 1),
])
def test_imul_truncating(src, regs, reg, value, overflow):
    m = run32(src, **regs)
    assert m.reg(reg) == value
    assert m.flag(CF) == overflow and m.flag(OF) == overflow


# ---- divide ----
def test_div32():
    m = run32("div ecx", edx=1, eax=0, ecx=2)
    assert (m.reg("eax"), m.reg("edx")) == (0x80000000, 0)
    m = run32("div ecx", edx=0, eax=100, ecx=7)
    assert (m.reg("eax"), m.reg("edx")) == (14, 2)


def test_idiv32_truncates_toward_zero():
    m = run32("idiv ecx", edx=0xFFFFFFFF, eax=-7, ecx=2)
    assert (m.reg("eax"), m.reg("edx")) == (0xFFFFFFFD, 0xFFFFFFFF)     # -3 rem -1
    m = run32("idiv ecx", edx=0, eax=7, ecx=-2)
    assert (m.reg("eax"), m.reg("edx")) == (0xFFFFFFFD, 1)              # -3 rem 1


def real_mode_fault(src, vector, regs):
    """Run 16-bit code in real mode whose first instruction faults with `vector`;
    the handler (HLT) is reached with the faulting IP on the stack."""
    m = Machine(src, regs, real=True)
    handler = 0x600
    m.mem.load(handler, b"\xf4")
    m.mem.load(vector * 4, struct.pack("<HH", handler, 0))
    m.run()
    assert m.cpu.eip == handler + 1
    ip, cs = struct.unpack("<HH", m.mem.read(0x7000 - 6, 4))
    assert (cs, ip) == (0, CODE)           # a fault: the instruction restarts
    return m


@pytest.mark.parametrize("src, regs", [
    ("div ecx", dict(edx=2, eax=0, ecx=2)),                          # quotient 2**32
    ("div ecx", dict(edx=5, eax=5, ecx=0)),                          # divide by zero
    ("idiv ecx", dict(edx=0xFFFFFFFF, eax=0x80000000, ecx=-1)),      # -2**31 / -1
    ("idiv ecx", dict(edx=0x80000000, eax=0, ecx=-1)),               # -2**63 / -1
    ("idiv cl", dict(eax=0x8000, ecx=0xFF)),                         # -32768 / -1
    ("aam 0", dict(eax=0x1234)),
])
def test_divide_error_is_a_fault(src, regs):
    m = real_mode_fault(src, 0, regs)
    for name, v in regs.items():
        assert m.reg(name) == v & 0xFFFFFFFF


def test_idiv32_most_negative_quotient_fits():
    m = run32("idiv ecx", edx=0xFFFFFFFF, eax=0x80000000, ecx=1)
    assert (m.reg("eax"), m.reg("edx")) == (0x80000000, 0)


# ---- bit test ----
def test_bt_memory_negative_register_offset():
    m = Machine("bt dword ptr [ebx], eax", dict(ebx=0x2004, eax=-1))
    m.poke32(0x2000, 0x80000000)           # bit -1 is bit 31 of the dword below
    m.run()
    assert m.flag(CF) == 1


def test_bts_memory_far_negative_offset():
    m = Machine("bts dword ptr [ebx], eax", dict(ebx=0x2010, eax=-33))
    m.poke32(0x2008, 0x00000001)
    m.run()
    assert m.flag(CF) == 0
    assert m.peek32(0x2008) == 0x80000001  # dword at EBX - 8, bit 31
    assert m.peek32(0x2010) == 0


def test_btr_word_memory_negative_offset():
    m = Machine("btr word ptr [ebx], ax", dict(ebx=0x2010, eax=0xFFF0))
    m.mem.load(0x200E, b"\x01\x80")
    m.run()
    assert m.flag(CF) == 1                 # bit -16: bit 0 of the word at EBX - 2
    assert m.mem.read(0x200E, 2) == b"\x00\x80"


def test_btc_memory_large_positive_offset():
    m = Machine("btc dword ptr [ebx], ecx", dict(ebx=0x2000, ecx=100))
    m.run()
    assert m.flag(CF) == 0
    assert m.peek32(0x200C) == 1 << 4      # 100 = 3 * 32 + 4


def test_bt_immediate_offset_wraps_in_operand():
    m = Machine("btc dword ptr [ebx], 35", dict(ebx=0x2000))
    m.poke32(0x2000, 0xFF)
    m.run()
    assert m.flag(CF) == 1 and m.peek32(0x2000) == 0xF7
    assert m.peek32(0x2004) == 0


def test_bt_register_offset_modulo_width():
    m = run32("bt eax, ecx", ZF | 0x2, eax=0x8, ecx=35)
    assert m.flag(CF) == 1 and m.flag(ZF) == 1   # ZF is unaffected


# ---- bit scan ----
def test_bsf_bsr():
    m = run32("bsf eax, ecx", eax=0xDEADBEEF, ecx=0x00F00000)
    assert m.reg("eax") == 20 and m.flag(ZF) == 0
    m = run32("bsr eax, ecx", eax=0xDEADBEEF, ecx=0x00F00000)
    assert m.reg("eax") == 23 and m.flag(ZF) == 0
    m = run32("bsr ax, cx", eax=0xDEADBEEF, ecx=0x00010001)
    assert m.reg("eax") == 0xDEAD0000


@pytest.mark.parametrize("op", ["bsf", "bsr"])
def test_bit_scan_zero_source_keeps_destination(op):
    m = run32(f"{op} eax, ecx", eax=0xDEADBEEF, ecx=0)
    assert m.reg("eax") == 0xDEADBEEF and m.flag(ZF) == 1


# ---- string instructions ----
def test_rep_movsd_32bit_addresses_across_pages():
    n = 3000
    m = Machine("rep movsd dword ptr es:[edi], dword ptr [esi]", dict(esi=0x100000, edi=0x200003, ecx=n))
    data = [(k * 2654435761) & 0xFFFFFFFF for k in range(n)]
    m.poke32(0x100000, *data)
    m.run()
    assert m.peek32(0x200003, n) == data
    assert m.reg("ecx") == 0
    assert (m.reg("esi"), m.reg("edi")) == (0x100000 + 4 * n, 0x200003 + 4 * n)


def test_rep_movsd_resumes_after_slice_end():
    n = 5000
    m = Machine("rep movsd dword ptr es:[edi], dword ptr [esi]", dict(esi=0x100000, edi=0x200000, ecx=n))
    data = list(range(n))
    m.poke32(0x100000, *data)
    assert m.cpu.run(100) == STOP_SLICE
    left = m.reg("ecx")
    assert 0 < left < n
    assert m.cpu.eip == CODE               # rewound to the instruction
    assert m.reg("esi") == 0x100000 + 4 * (n - left)
    assert m.cpu.run(1_000_000) == STOP_HLT
    assert m.peek32(0x200000, n) == data and m.reg("ecx") == 0


def test_rep_movsb_overlapping_forward_copy_replicates():
    m = Machine("rep movsb", dict(esi=0x3000, edi=0x3001, ecx=100))
    m.mem.load(0x3000, b"\xab" + bytes(range(1, 101)))
    m.run()
    assert m.mem.read(0x3000, 101) == b"\xab" * 101


def test_rep_movsw_overlap_wider_than_element():
    # dst = src + 6 copies in 3-word blocks: each later word reads an earlier copy
    src = bytes(range(1, 41))
    m = Machine("rep movsw", dict(esi=0x3000, edi=0x3006, ecx=15))
    m.mem.load(0x3000, src)
    m.run()
    assert m.mem.read(0x3000, 36) == src[:6] * 6


def test_rep_movsd_backward():
    m = Machine("std; rep movsd dword ptr es:[edi], dword ptr [esi]", dict(esi=0x100000 + 4 * 99, edi=0x180000 + 4 * 99, ecx=100))
    data = list(range(1000, 1100))
    m.poke32(0x100000, *data)
    m.run()
    assert m.peek32(0x180000, 100) == data
    assert (m.reg("esi"), m.reg("edi")) == (0x100000 - 4, 0x180000 - 4)


def test_rep_stosd_and_count_zero():
    m = Machine("rep stosd", dict(edi=0x1FF8, ecx=6, eax=0x11223344))
    m.run()
    assert m.peek32(0x1FF8, 7) == [0x11223344] * 6 + [0]
    assert m.reg("edi") == 0x1FF8 + 24
    m = Machine("rep stosd", dict(edi=0x1FF8, ecx=0, eax=0x11223344))
    m.run()
    assert m.peek32(0x1FF8) == 0 and m.reg("edi") == 0x1FF8


def test_repne_scasb_finds_byte():
    m = Machine("repne scasb", dict(edi=0x5000, ecx=100, eax=0x42))
    m.mem.load(0x5000, bytes(10) + b"\x42")
    m.run()
    assert m.reg("ecx") == 89 and m.reg("edi") == 0x500B and m.flag(ZF) == 1


def test_repe_cmpsd_stops_at_difference():
    m = Machine("repe cmpsd", dict(esi=0x5000, edi=0x6000, ecx=20))
    m.poke32(0x5000, *range(20))
    m.poke32(0x6000, *range(5), 99, *range(6, 20))
    m.run()
    assert m.reg("ecx") == 14 and m.flag(ZF) == 0 and m.flag(CF) == 1
    assert (m.reg("esi"), m.reg("edi")) == (0x5018, 0x6018)


def test_rep_movsb_16bit_addresses_wrap_in_32bit_code():
    # addr16: SI/DI/CX only; the upper halves of ESI/EDI/ECX are kept
    m = Machine("rep movsb byte ptr es:[di], byte ptr [si]", dict(esi=0x0012FFFE, edi=0x00341000, ecx=0xABCD0004))
    m.mem.load(0xFFFE, b"\x01\x02")
    m.mem.load(0x0000, b"\x03\x04")
    m.run()
    assert m.mem.read(0x1000, 4) == b"\x01\x02\x03\x04"
    assert m.reg("ecx") == 0xABCD0000
    assert (m.reg("esi"), m.reg("edi")) == (0x00120002, 0x00341004)


def test_lodsd_segment_override():
    m = Machine("lodsd dword ptr fs:[esi]", dict(esi=0x10))
    m.cpu.set_seg("fs", 0x18, 0x9000, 0xFFFFFFFF, 0xC093)
    m.poke32(0x9010, 0xCAFEBABE)
    m.run()
    assert m.reg("eax") == 0xCAFEBABE and m.reg("esi") == 0x14


def test_rep_stosd_fault_midway_leaves_progress():
    # real mode, 64 KiB ES limit: the fifth dword (offset 0x10000) faults with #GP
    m = real_mode_fault("rep stosd dword ptr es:[edi]", 13, dict(edi=0xFFF0, ecx=10, eax=0x55AA55AA))
    assert m.reg("ecx") == 6 and m.reg("edi") == 0x10000
    assert m.peek32(0xFFF0, 4) == [0x55AA55AA] * 4


class PortLog:
    def __init__(self):
        self.writes = []
        self.next = 0x100

    def port_read(self, port, size):
        self.next += 1
        return self.next

    def port_write(self, port, value, size):
        self.writes.append((port, value, size))


def test_rep_outsw_and_insd():
    io = PortLog()
    m = Machine("rep outsw", dict(esi=0x5000, ecx=3, edx=0x3F8), io=io)
    m.mem.load(0x5000, b"\x01\x02\x03\x04\x05\x06")
    m.run()
    assert io.writes == [(0x3F8, 0x0201, 2), (0x3F8, 0x0403, 2), (0x3F8, 0x0605, 2)]
    io = PortLog()
    m = Machine("rep insd", dict(edi=0x5000, ecx=2, edx=0x1F0), io=io)
    m.run()
    assert m.peek32(0x5000, 2) == [0x101, 0x102] and m.reg("edi") == 0x5008
