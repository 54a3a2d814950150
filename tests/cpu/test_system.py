"""System instructions: CPUID, MSRs, RDTSC/RDPMC, control and debug registers,
descriptor-table registers, LMSW/SMSW, cache control, SYSENTER/SYSEXIT.

Faults are observed in real mode, where interrupt delivery uses the IVT: every
exception vector v points at a HLT at HANDLERS + v, so after the run EIP tells which
exception was raised and the stack holds the IP of the faulting instruction."""
import struct

import pytest
from keystone import KS_ARCH_X86, KS_MODE_16, KS_MODE_32, Ks

from cpu.interp import CPU
from emu.memory import Memory
from tests.cpu.flat import flat32

STOP_HLT = 2
HANDLERS = 0x500
CODE = 0x1000
STACK_TOP = 0x8000
EXC_DB, EXC_UD, EXC_GP = 1, 6, 13

_ks16 = Ks(KS_ARCH_X86, KS_MODE_16)
_ks32 = Ks(KS_ARCH_X86, KS_MODE_32)


def asm16(src, addr=CODE):
    return bytes(_ks16.asm(src, addr)[0])


def new_real_cpu():
    mem = Memory(2 << 20)
    cpu = CPU(mem)
    for v in range(32):
        mem.load(4 * v, struct.pack("<HH", HANDLERS + v, 0))
    mem.load(HANDLERS, b"\xf4" * 32)
    for s in ("cs", "ds", "es", "ss"):
        cpu.load_seg_real(s, 0)
    return mem, cpu


class Run:
    """Result of a real-mode program: registers, which exception (if any) and where."""

    def __init__(self, cpu, mem):
        self.cpu = cpu
        self.mem = mem
        eip = cpu.eip
        self.vector = eip - HANDLERS - 1 if HANDLERS < eip <= HANDLERS + 32 else None
        sp = cpu.get_reg("esp") & 0xFFFF
        self.fault_ip = struct.unpack("<H", mem.read(sp, 2))[0] if self.vector is not None else None

    def __getitem__(self, reg):
        return self.cpu.get_reg(reg)


def run16(src, cpu=None, mem=None, regs=None):
    if cpu is None:
        mem, cpu = new_real_cpu()
    mem.load(CODE, asm16(src))
    cpu.eip = CODE
    cpu.set_reg("esp", STACK_TOP)
    for k, v in (regs or {}).items():
        cpu.set_reg(k, v)
    cpu.halted = False
    assert cpu.run(10000) == STOP_HLT, cpu.dump()
    return Run(cpu, mem)


def offset_of(prefix_src):
    """IP of the instruction that follows prefix_src in a program at CODE."""
    return CODE + len(asm16(prefix_src)) if prefix_src else CODE


def assert_fault(r, vector, prefix_src):
    assert r.vector == vector, r.cpu.dump()
    assert r.fault_ip == offset_of(prefix_src)


# ---------------------------------------------------------------------------------
# CPUID

def cpuid(leaf):
    r = run16(f"mov eax, {leaf:#x}; cpuid; hlt")
    return r["eax"], r["ebx"], r["ecx"], r["edx"]


def regs_text(*vals):
    return b"".join(struct.pack("<I", v) for v in vals)


def test_cpuid_vendor():
    eax, ebx, ecx, edx = cpuid(0)
    assert eax == 2
    assert regs_text(ebx, edx, ecx) == b"GenuineIntel"


FEATURES = dict(FPU=0, VME=1, DE=2, PSE=3, TSC=4, MSR=5, PAE=6, MCE=7, CX8=8, APIC=9,
                SEP=11, MTRR=12, PGE=13, MCA=14, CMOV=15, PAT=16, PSE36=17, CLFSH=19,
                MMX=23, FXSR=24, SSE=25, SSE2=26)
ADVERTISED = {"FPU", "DE", "PSE", "TSC", "MSR", "PAE", "CX8", "SEP", "MTRR", "PGE", "CMOV",
              "PAT", "CLFSH", "MMX", "FXSR", "SSE", "SSE2"}


def test_cpuid_leaf1_signature_and_features():
    eax, ebx, ecx, edx = cpuid(1)
    assert eax == 0x683                       # family 6, model 8, stepping 3
    assert ebx == 8 << 8 and ecx == 0          # CLFLUSH line size 64 bytes
    have = {n for n, bit in FEATURES.items() if edx >> bit & 1}
    assert have == ADVERTISED
    assert edx == sum(1 << FEATURES[n] for n in ADVERTISED)


def test_cpuid_leaf2_cache_descriptors():
    assert cpuid(2) == (0x03020101, 0, 0, 0x0C040882)


def test_cpuid_extended_leaves():
    assert cpuid(0x80000000)[0] == 0x80000004
    assert cpuid(0x80000001) == (0, 0, 0, 1 << 20)        # NX
    brand = b"".join(regs_text(*cpuid(leaf)) for leaf in (0x80000002, 0x80000003, 0x80000004))
    assert brand == b"pyx86 P6-class CPU".ljust(48, b"\0")


@pytest.mark.parametrize("leaf", [3, 4, 0x40000000, 0x7FFFFFFF, 0x80000005, 0xFFFFFFFF])
def test_cpuid_out_of_range_returns_highest_basic_leaf(leaf):
    assert cpuid(leaf) == cpuid(2)


# ---------------------------------------------------------------------------------
# MSRs

def wrmsr_rdmsr(msr, value):
    r = run16(f"""
        mov ecx, {msr:#x}
        mov eax, {value & 0xFFFFFFFF:#x}
        mov edx, {value >> 32:#x}
        wrmsr
        xor eax, eax
        xor edx, edx
        rdmsr
        hlt""")
    assert r.vector is None, r.cpu.dump()
    return r["edx"] << 32 | r["eax"]


def rdmsr(msr, cpu=None, mem=None):
    r = run16(f"mov ecx, {msr:#x}; rdmsr; hlt", cpu, mem)
    assert r.vector is None, r.cpu.dump()
    return r["edx"] << 32 | r["eax"]


@pytest.mark.parametrize("msr,value", [
    (0x174, 0x10),                            # SYSENTER_CS
    (0x175, 0xC0009000),                      # SYSENTER_ESP
    (0x176, 0xC0101234),                      # SYSENTER_EIP
    (0x277, 0x0007010600070406),              # PAT: UC- WB WC in some slots
    (0x200, 0x0000000FC0000006),              # MTRRphysBase0: WB at 0xFC0000000
    (0x201, 0x0000000FC0000800),              # MTRRphysMask0: valid
    (0x20F, 0x0000000FFFFFF800),              # MTRRphysMask7
    (0x250, 0x0606060606060606),              # fixed 64K
    (0x258, 0x0404040404040404),
    (0x259, 0x0101010101010101),
    (0x268, 0x0505050505050505),
    (0x26F, 0x0000000000000006),
    (0x2FF, 0xC06),                           # MTRRdefType: E, FE, WB
    (0x1A0, 0x1),                             # MISC_ENABLE
    (0xC0000080, 0x800),                      # EFER.NXE
    (0x8B, 0),                                # BIOS_SIGN_ID: the revision query writes 0
])
def test_msr_round_trip(msr, value):
    assert wrmsr_rdmsr(msr, value) == value


def test_msr_reset_and_read_only_values():
    mem, cpu = new_real_cpu()
    assert rdmsr(0x277, cpu, mem) == 0x0007040600070406     # PAT power-on value
    assert rdmsr(0x1B, cpu, mem) == 0xFEE00900              # APIC base, enabled, BSP
    assert rdmsr(0xFE, cpu, mem) == 0x508                   # 8 variable MTRRs, FIX, WC
    for msr in (0x17, 0x8B, 0x179, 0x17A, 0xC0000080, 0x174):
        assert rdmsr(msr, cpu, mem) == 0


def test_apic_base_keeps_bsp_bit():
    assert wrmsr_rdmsr(0x1B, 0xFEC00800) == 0xFEC00900


class ApicRecorder:
    def __init__(self):
        self.writes = []

    def base_written(self, value):
        self.writes.append(value)


def test_attached_apic_hears_base_writes_and_shows_in_cpuid():
    mem, cpu = new_real_cpu()
    apic = ApicRecorder()
    cpu.attach_apic(apic)
    r = run16("mov eax, 1; cpuid; hlt", cpu, mem)
    assert r["edx"] >> 9 & 1                                # CPUID.01H:EDX.APIC
    assert rdmsr(0x1B, cpu, mem) == 0xFEE00900
    r = run16("""mov ecx, 0x1b
        mov eax, 0xfe000100
        xor edx, edx
        wrmsr
        mov eax, 1
        cpuid
        hlt""", cpu, mem)
    assert apic.writes == [0xFE000100] and cpu.apic_base == 0xFE000100
    assert not r["edx"] >> 9 & 1                            # globally disabled: no APIC
    cpu.attach_apic(None)
    run16("mov ecx, 0x1b; mov eax, 0xfee00900; xor edx, edx; wrmsr; hlt", cpu, mem)
    assert apic.writes == [0xFE000100]
    assert not cpuid(1)[3] >> 9 & 1


def test_init_keeps_fpu_sse_msrs_and_cache_bits():
    """INIT (SDM vol. 3A, 9.1): registers as after RESET, but the x87/SSE state, the
    MSRs and CR0.CD/NW stay."""
    mem, cpu = new_real_cpu()
    r = run16("""fld1
        mov ecx, 0x277
        mov eax, 0x00070406
        mov edx, 0x00070106
        wrmsr
        mov eax, cr0
        and eax, 0x9fffffff
        mov cr0, eax
        mov ebx, 0x1234
        hlt""", cpu, mem)
    fpu = cpu.fpu_state()
    simd = cpu.simd_state()
    cpu.init()
    assert cpu.get_reg("ebx") == 0 and cpu.eip == 0xFFF0
    cs = cpu.get_seg("cs")
    assert (cs["sel"], cs["base"]) == (0xF000, 0xFFFF0000)
    assert cpu.get_cr(0) == 0x00000010                     # CD and NW as they were
    assert cpu.fpu_state() == fpu and cpu.simd_state() == simd
    for sg in ("cs", "ds", "es", "ss"):
        cpu.load_seg_real(sg, 0)
    assert rdmsr(0x277, cpu, mem) == 0x0007010600070406
    cpu.reset()
    for sg in ("cs", "ds", "es", "ss"):
        cpu.load_seg_real(sg, 0)
    assert cpu.fpu_state() != fpu
    assert rdmsr(0x277, cpu, mem) == 0x0007040600070406


def test_sysenter_msrs_are_32_bits():
    assert wrmsr_rdmsr(0x176, 0x1234_0000_5678) == 0x5678


@pytest.mark.parametrize("msr,value", [
    (0x12345, 0),                              # no such MSR
    (0xC0000081, 0),                           # STAR: no SYSCALL on this CPU
    (0x277, 0x0007040602070406),               # PAT type 2 is reserved
    (0x277, 0x0007040608070406),               # PAT byte > 7
    (0xC0000080, 0x801),                       # EFER.SCE does not exist
    (0xC0000080, 0x100),                       # EFER.LME does not exist
    (0xFE, 0x508),                             # MTRRcap is read-only
    (0x179, 0),                                # MCG_CAP is read-only
    (0x17A, 1),                                # MCG_STATUS accepts only 0
    (0x17, 0),                                 # PLATFORM_ID is read-only
    (0x1B, 0xFEE00801),                        # APIC base reserved bit 0
    (0x1B, 1 << 36 | 0xFEE00800),              # beyond 36 physical address bits
    (0x200, 0x2),                              # MTRRphysBase type 2
    (0x200, 0x106),                            # MTRRphysBase reserved bit 8
    (0x201, 0x801),                            # MTRRphysMask reserved bit 0
    (0x250, 0x0707070707070707),               # fixed MTRR: UC- exists only in the PAT
    (0x2FF, 0x206),                            # MTRRdefType reserved bit 9
    (0x2FF, 0xC03),                            # MTRRdefType type 3
])
def test_wrmsr_gp(msr, value):
    src_head = f"mov ecx, {msr:#x}; mov eax, {value & 0xFFFFFFFF:#x}; mov edx, {value >> 32:#x}"
    r = run16(src_head + "; wrmsr; hlt")
    assert_fault(r, EXC_GP, src_head)


def test_failed_wrmsr_keeps_old_value():
    mem, cpu = new_real_cpu()
    r = run16("mov ecx, 0x277; mov eax, 0x02020202; xor edx, edx; wrmsr; hlt", cpu, mem)
    assert r.vector == EXC_GP
    assert rdmsr(0x277, cpu, mem) == 0x0007040600070406


@pytest.mark.parametrize("msr", [0x12345, 0x10000000, 0xC0000081, 0x2A, 0x1D9])
def test_rdmsr_unknown_gp(msr):
    r = run16(f"mov ecx, {msr:#x}; mov eax, 0x55; mov edx, 0x66; rdmsr; hlt")
    assert_fault(r, EXC_GP, f"mov ecx, {msr:#x}; mov eax, 0x55; mov edx, 0x66")
    assert (r["eax"], r["edx"]) == (0x55, 0x66)


# ---------------------------------------------------------------------------------
# Time-stamp and performance counters

TSC_PROG = "rdtsc; mov ebx, eax; mov esi, edx; rdtsc; hlt"


def test_rdtsc_counts_instructions_deterministically():
    a = run16(TSC_PROG)
    b = run16(TSC_PROG)
    assert (a["ebx"], a["esi"], a["eax"], a["edx"]) == (b["ebx"], b["esi"], b["eax"], b["edx"])
    assert a["eax"] - a["ebx"] == 3          # RDTSC, MOV, MOV retired in between
    assert a["edx"] == a["esi"] == 0


def test_wrmsr_tsc_sets_counter_low_half_only():
    r = run16("mov ecx, 0x10; mov eax, 1000; mov edx, 7; wrmsr; rdtsc; hlt")
    assert (r["eax"], r["edx"]) == (1001, 0)   # P6: the high half is cleared
    r = run16("mov ecx, 0x10; mov eax, 0xFFFFFFFF; xor edx, edx; wrmsr; nop; rdmsr; hlt")
    assert (r["eax"], r["edx"]) == (1, 1)      # 0xFFFFFFFF + 2 carries into EDX


def test_rdtsc_with_tsd_at_cpl0():
    r = run16("mov eax, 4; mov cr4, eax; rdtsc; hlt")
    assert r.vector is None


def test_rdpmc():
    r = run16("xor ecx, ecx; mov eax, 5; mov edx, 6; rdpmc; hlt")
    assert r.vector is None and (r["eax"], r["edx"]) == (0, 0)
    r = run16("inc ecx; rdpmc; hlt", regs={"ecx": 0})
    assert r.vector is None
    r = run16("mov ecx, 2; rdpmc; hlt")
    assert_fault(r, EXC_GP, "mov ecx, 2")


# ---------------------------------------------------------------------------------
# Control registers

@pytest.mark.parametrize("value", [
    0x80000010,                                # PG without PE
    0x80000000,
    0x20000010,                                # NW without CD
])
def test_mov_cr0_invalid_combinations_gp(value):
    r = run16(f"mov eax, {value:#x}; mov cr0, eax; hlt")
    assert_fault(r, EXC_GP, f"mov eax, {value:#x}")
    assert r.cpu.get_cr(0) == 0x60000010


def test_mov_cr0_reserved_bits_ignored_et_hardwired():
    r = run16("mov eax, 0x1FFAFFC0; mov cr0, eax; mov ebx, cr0; hlt")
    assert r.vector is None
    assert r["ebx"] == 0x10
    r = run16("mov eax, 0x60000000; mov cr0, eax; mov ebx, cr0; hlt")
    assert r["ebx"] == 0x60000010


def test_mov_cr0_ignores_modrm_mod():
    # 0F 20 00: mod = 0, still MOV EAX, CR0 (SDM: the mod bits are ignored)
    r = run16("xor eax, eax; .byte 0x0f, 0x20, 0x00; hlt")
    assert r["eax"] == 0x60000010


@pytest.mark.parametrize("bit", [0x1, 0x2, 0x40, 0x800, 0x2000, 0x80000000])
def test_mov_cr4_unsupported_bits_gp(bit):
    # VME PVI MCE and bits beyond: not advertised by CPUID
    r = run16(f"mov eax, {bit:#x}; mov cr4, eax; hlt")
    assert_fault(r, EXC_GP, f"mov eax, {bit:#x}")
    assert r.cpu.get_cr(4) == 0


def test_mov_cr4_supported_bits():
    # TSD PSE PAE PGE PCE OSFXSR OSXMMEXCPT
    r = run16("mov eax, 0x7B4; mov cr4, eax; mov ebx, cr4; hlt")
    assert r.vector is None and r["ebx"] == 0x7B4


def test_mov_cr2_cr3():
    r = run16("""
        mov eax, 0xDEADBEEF
        mov cr2, eax
        mov eax, 0x12345018
        mov cr3, eax
        mov ebx, cr2
        mov ecx, cr3
        hlt""")
    assert (r["ebx"], r["ecx"]) == (0xDEADBEEF, 0x12345018)


@pytest.mark.parametrize("insn", ["mov eax, cr1", "mov eax, cr5", "mov eax, cr7",
                                  "mov cr1, eax", "mov cr6, eax"])
def test_mov_cr_nonexistent_ud(insn):
    r = run16(f"{insn}; hlt")
    assert_fault(r, EXC_UD, "")


def test_clts():
    r = run16("mov eax, cr0; or eax, 8; mov cr0, eax; mov ebx, cr0; clts; mov ecx, cr0; hlt")
    assert r["ebx"] & 8 and not r["ecx"] & 8
    assert r["ecx"] == 0x60000010


def test_lmsw_smsw():
    r = run16("""
        mov ax, 0xFFFF
        lmsw ax
        smsw bx
        xor ax, ax
        lmsw ax
        smsw cx
        hlt""", regs={"ebx": 0xAAAA0000, "ecx": 0xBBBB0000})
    # LMSW loads PE MP EM TS only, and cannot clear PE
    assert r["ebx"] == 0xAAAA001F
    assert r["ecx"] == 0xBBBB0011
    assert r.cpu.get_cr(0) == 0x60000011


def test_smsw_forms():
    r = run16("mov word ptr [0x700], 0xEEEE; mov word ptr [0x702], 0xEEEE; "
              "smsw ebx; smsw [0x700]; hlt")
    assert r["ebx"] == 0x60000010               # a 32-bit register gets all of CR0
    assert r.mem.read(0x700, 4) == b"\x10\x00\xee\xee"


# ---------------------------------------------------------------------------------
# Descriptor-table registers

def test_lgdt_sgdt_operand_sizes():
    mem, cpu = new_real_cpu()
    mem.load(0x600, struct.pack("<HI", 0x1234, 0xAABBCCDD))
    mem.load(0x610, b"\xee" * 0x40)
    r = run16("""
        lgdt [0x600]
        sgdt [0x610]
        .byte 0x66
        sgdt [0x620]
        .byte 0x66
        lgdt [0x600]
        sgdt [0x630]
        .byte 0x66
        sgdt [0x640]
        hlt""", cpu, mem)
    assert r.vector is None
    assert mem.read(0x610, 8) == b"\x34\x12\xdd\xcc\xbb\x00\xee\xee"
    assert mem.read(0x620, 8) == b"\x34\x12\xdd\xcc\xbb\x00\xee\xee"
    # with a 16-bit operand size SGDT stores 24 bits of base and a zero byte
    assert mem.read(0x630, 8) == b"\x34\x12\xdd\xcc\xbb\x00\xee\xee"
    assert mem.read(0x640, 8) == b"\x34\x12\xdd\xcc\xbb\xaa\xee\xee"
    assert cpu.get_dtr("gdtr") == (0xAABBCCDD, 0x1234)


def test_lidt_sidt():
    mem, cpu = new_real_cpu()
    mem.load(0x600, struct.pack("<HI", 0x03FF, 0x12000000))
    r = run16(".byte 0x66; lidt [0x600]; .byte 0x66; sidt [0x610]; lidt [0x600]; hlt",
              cpu, mem)
    assert mem.read(0x610, 6) == struct.pack("<HI", 0x03FF, 0x12000000)
    assert cpu.get_dtr("idtr") == (0, 0x03FF)


@pytest.mark.parametrize("modrm", [0xC0, 0xC8, 0xD0, 0xD8, 0xF8])
def test_group7_register_forms_ud(modrm):
    # SGDT SIDT LGDT LIDT INVLPG with a register operand
    r = run16(f".byte 0x0f, 0x01, {modrm:#x}; hlt")
    assert_fault(r, EXC_UD, "")


def test_group7_reg5_ud():
    r = run16(".byte 0x0f, 0x01, 0x2e, 0x00, 0x06; hlt")
    assert_fault(r, EXC_UD, "")


# ---------------------------------------------------------------------------------
# Cache control, INVLPG

def test_cache_and_tlb_control_run_at_cpl0():
    r = run16("wbinvd; invd; invlpg [bx]; mov ax, 1; hlt")
    assert r.vector is None and r["eax"] & 0xFFFF == 1


# ---------------------------------------------------------------------------------
# Debug registers

def test_debug_registers():
    r = run16("""
        mov eax, 0x12345678
        mov dr0, eax
        mov ebx, dr0
        xor eax, eax
        mov dr6, eax
        mov ecx, dr6
        mov dr7, eax
        mov edx, dr7
        dec eax
        mov dr6, eax
        mov esi, dr6
        and eax, 0xFFFFDFFF
        mov dr7, eax
        mov edi, dr7
        hlt""")
    assert r["ebx"] == 0x12345678
    assert r["ecx"] == 0xFFFF0FF0               # fixed ones
    assert r["edx"] == 0x400
    assert r["esi"] == 0xFFFFEFFF               # bit 12 stays 0
    assert r["edi"] == 0xFFFF07FF               # bits 11-15 but GD stay 0


def test_dr4_dr5_alias_dr6_dr7():
    r = run16("""
        mov eax, 0x3
        mov dr4, eax
        mov ebx, dr6
        mov eax, 0x1
        mov dr5, eax
        mov ecx, dr7
        hlt""")
    assert r["ebx"] == 0xFFFF0FF3
    assert r["ecx"] == 0x401


@pytest.mark.parametrize("access", ["mov ebx, dr4", "mov dr5, eax"])
def test_cr4_de_makes_dr4_dr5_undefined(access):
    # CPUID advertises DE: CR4.DE is writable and turns the DR4/DR5 aliases into #UD
    r = run16("mov eax, 8; mov cr4, eax; mov ecx, cr4; %s; hlt" % access)
    assert_fault(r, EXC_UD, "mov eax, 8; mov cr4, eax; mov ecx, cr4")
    assert r["ecx"] == 8


def test_cr4_de_enables_io_breakpoints():
    # DR0 = port 0x80, R/W0 = 10 (I/O), L0: a #DB trap after the OUT only with CR4.DE
    # (IP pushed: the next instruction); DR6.B0 tells which
    setup = "mov eax, 0x80; mov dr0, eax; mov eax, 0x20001; mov dr7, eax"
    r = run16(setup + "; out 0x80, al; nop; hlt")
    assert r.vector is None
    mem, cpu = new_real_cpu()
    prefix = "mov eax, 8; mov cr4, eax; " + setup + "; out 0x80, al"
    r = run16(prefix + "; nop; hlt", cpu, mem)
    assert_fault(r, EXC_DB, prefix)
    r = run16("mov eax, dr6; hlt", cpu, mem)
    assert r["eax"] & 0xF == 1


def test_dr7_general_detect():
    mem, cpu = new_real_cpu()
    r = run16("mov eax, 0x2000; mov dr7, eax; mov ebx, dr0; hlt", cpu, mem)
    assert_fault(r, EXC_DB, "mov eax, 0x2000; mov dr7, eax")
    # the handler may use the debug registers: GD was cleared, BD tells why
    r = run16("mov eax, dr6; mov ebx, dr7; hlt", cpu, mem)
    assert r.vector is None
    assert r["eax"] & 0x2000
    assert r["ebx"] == 0x400


# ---------------------------------------------------------------------------------
# SYSENTER / SYSEXIT

def test_sysenter_sysexit_real_mode_gp():
    for insn in ("sysenter", "sysexit"):
        r = run16(f"mov ecx, 0x174; mov eax, 8; xor edx, edx; wrmsr; {insn}; hlt")
        assert_fault(r, EXC_GP, "mov ecx, 0x174; mov eax, 8; xor edx, edx; wrmsr")


def flat32_program(src):
    """A flat 32-bit CPU (CPL 0, paging off) with src assembled at CODE and EIP there."""
    mem = Memory(2 << 20)
    cpu = CPU(mem)
    flat32(cpu, cr0=0x11)
    mem.load(CODE, bytes(_ks32.asm(src, CODE)[0]))
    cpu.eip = CODE
    return cpu


def test_sysenter_sysexit_round_trip():
    cpu = flat32_program("""
        mov ecx, 0x174
        xor edx, edx
        mov eax, 0x20
        wrmsr
        inc ecx
        mov eax, 0x9000
        wrmsr
        inc ecx
        mov eax, kernel
        wrmsr
        mov ecx, 0x7000
        mov edx, user
        sti
        sysexit
    user:
        mov esi, cs
        mov edi, ss
        mov ebp, esp
        sysenter
    kernel:
        hlt
    """)
    cpu.set_reg("esp", STACK_TOP)
    assert cpu.run(1000) == STOP_HLT
    # SYSEXIT: CS = SYSENTER_CS + 16 | 3, SS = SYSENTER_CS + 24 | 3, ESP = ECX
    assert (cpu.get_reg("esi"), cpu.get_reg("edi"), cpu.get_reg("ebp")) == (0x33, 0x3B, 0x7000)
    # SYSENTER: CS = SYSENTER_CS, SS = SYSENTER_CS + 8, CPL 0, IF cleared
    assert cpu.cpl == 0
    assert cpu.get_seg("cs") == dict(sel=0x20, base=0, limit=0xFFFFFFFF, ar=0xC09B, valid=True)
    assert cpu.get_seg("ss") == dict(sel=0x28, base=0, limit=0xFFFFFFFF, ar=0xC093, valid=True)
    assert cpu.get_reg("esp") == 0x9000
    assert not cpu.interrupts_enabled


def test_sysexit_lands_at_cpl3_with_dpl3_segments():
    cpu = flat32_program("""
        mov ecx, 0x174
        xor edx, edx
        mov eax, 0x08
        wrmsr
        mov ecx, 0x6000
        mov edx, user
        sysexit
    user:
        jmp user
    """)
    cpu.run(100)
    assert cpu.cpl == 3
    assert cpu.get_seg("cs") == dict(sel=0x1B, base=0, limit=0xFFFFFFFF, ar=0xC0FB, valid=True)
    assert cpu.get_seg("ss") == dict(sel=0x23, base=0, limit=0xFFFFFFFF, ar=0xC0F3, valid=True)
    assert cpu.get_reg("esp") == 0x6000
