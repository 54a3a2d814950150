"""Differential testing of the pyx86 interpreter against Unicorn (QEMU's TCG x86 core).

A Generator writes an instruction stream: every "test" instruction is preceded by a short
preamble of plain MOV/PUSH/CLC... instructions that puts its operands where they must be
(memory operands always land in a mapped data area, the stack pointer in the stack part
of it, branch targets on the next instruction boundary). Preamble instructions are
compared like every other instruction. A Runner then executes the stream in Unicorn
with a code hook and steps pyx86 in lockstep from inside that hook: after each
instruction it compares the GPRs, EIP, the segment selectors, EFLAGS and the data area,
except what the manual leaves undefined for that instruction (flags: UNDEFINED_FLAGS,
register bits: UNDEFINED_RESULT); pyx86 then takes Unicorn's values of those, so that
the difference does not show up again at a later instruction that keeps them.

Environments (ENVS):
  real    16-bit real mode, segment bases spread so overrides matter
  flat32  32-bit protected mode, flat 4 GiB segments, CPL 0 (what Unicorn's UC_MODE_32
          gives: CR0.PE=1, CPL 0; we load a GDT so selectors are real ones)
  paged32 flat32 with paging on in pyx86: identity page tables, except that the data
          pages are mapped to shuffled physical frames (Unicorn has paging off; only
          results are compared)

Faults: some forms are generated so that they fault (#UD, #DE, #BR); both sides must
raise the same vector with the state untouched (pyx86 delivers through an IVT/IDT whose
handlers are "JMP $" loops, and its exception frame is checked; Unicorn reports through
its interrupt hook without delivering). In protected mode this starts by itself once
pyx86 delivers exceptions there (faults_comparable); until then the generator avoids
faults in protected mode.

Entry points: run_group (the fixed-seed CI), run_fuzz, Runner(stream).run().
"""
import random
import struct

from cpu.gen_optable import referenced_handlers
from cpu.opcodes import TABLE

# ---- EFLAGS bits ----
CF, PF, AF, ZF, SF, TF, IF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
RF_FLAG, AC_FLAG = 0x10000, 0x40000
ARITH = CF | PF | AF | ZF | SF | OF
FLAG_NAMES = ((CF, "CF"), (PF, "PF"), (AF, "AF"), (ZF, "ZF"), (SF, "SF"), (TF, "TF"),
              (IF, "IF"), (DF, "DF"), (OF, "OF"), (0x3000, "IOPL"), (0x4000, "NT"),
              (0x10000, "RF"), (0x20000, "VM"), (0x40000, "AC"), (0x200000, "ID"))

EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)
REG_NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
ES, CS, SS, DS, FS, GS = range(6)
SEG_NAMES = ("es", "cs", "ss", "ds", "fs", "gs")
SEG_PREFIX = {ES: 0x26, CS: 0x2E, SS: 0x36, DS: 0x3E, FS: 0x64, GS: 0x65}

# ---- memory layout (linear addresses) ----
# The data area: every memory operand lands in it. Three pages, so accesses can cross two
# page boundaries; ESP is put in its middle page. In protected mode it lies below 64 KiB
# so that 16-bit addressing (67h) reaches it with the flat segments.
REAL_DATA, PM_DATA = 0x20000, 0x4000
DATA_SIZE = 0x3000
STACK_LO, STACK_HI = 0x1000, 0x2000     # ESP range, relative to the data area
REAL_CODE = (0x19000, 0x1F000)
PM_CODE = (0x8000, 0x10000)    # below 64 KiB: 16-bit operand-size branches stay valid
GDT, IDT, STUBS = 0x1000, 0x2000, 0x2800     # protected mode; STUBS: 256 x "JMP $"
PAGE_DIR, PAGE_TABLE = 0x100000, 0x101000
DATA_FRAMES = (0x305000, 0x301000, 0x309000)   # paged32: physical frames of the data pages
RAM_SIZE = 4 << 20
# real mode: selectors whose 64 KiB window covers the whole data area (and for CS the
# code area as well, so CS overrides can reach the data)
REAL_DATA_SELS = range(0x1300, 0x2001, 0x10)
REAL_CODE_SELS = range(0x1300, 0x1901, 0x10)
IVT_STUB_SEG = 0x40            # real mode: vector v is handled by the "JMP $" at 0040:2v
FLAT_CODE_SEL, FLAT_DATA_SEL = 0x08, 0x10


# =====================================================================================
# Which handlers are compared, grouped like the cpu/ops_*.pxi files.

GROUPS = {
    "alu": ["alu_Eb_Gb", "alu_Ev_Gv", "alu_Gb_Eb", "alu_Gv_Ev", "alu_AL_Ib", "alu_eAX_Iz",
            "alu_Eb_Ib", "alu_Ev_Iz", "inc_r", "dec_r", "inc_Eb", "dec_Eb", "inc_Ev",
            "dec_Ev", "not_Eb", "not_Ev", "neg_Eb", "neg_Ev", "test_Eb_Gb", "test_Ev_Gv",
            "test_AL_Ib", "test_eAX_Iz", "test_Eb_Ib", "test_Ev_Iz"],
    "move": ["nop", "nop_Ev", "ud", "mov_Eb_Gb", "mov_Ev_Gv", "mov_Gb_Eb", "mov_Gv_Ev",
             "mov_Eb_Ib", "mov_Ev_Iz", "mov_r8_Ib", "mov_r_Iz", "mov_AL_Ob", "mov_eAX_Ov",
             "mov_Ob_AL", "mov_Ov_eAX", "mov_Ew_Sw", "mov_Sw_Ew", "lea", "xchg_eAX_r",
             "xchg_Eb_Gb", "xchg_Ev_Gv", "push_r", "pop_r", "push_I", "push_Ev", "pop_Ev",
             "push_sreg", "pop_sreg", "pusha", "popa", "enter", "leave", "pushf", "popf",
             "sahf", "lahf", "clc", "stc", "cmc", "cld", "std", "cli", "sti", "cbw", "cwd",
             "salc", "xlat", "movzx_Gv_Eb", "movzx_Gv_Ew", "movsx_Gv_Eb", "movsx_Gv_Ew",
             "cmovcc", "setcc", "les", "lds", "lss", "lfs", "lgs", "bswap", "xadd_Eb_Gb",
             "xadd_Ev_Gv", "cmpxchg_Eb_Gb", "cmpxchg_Ev_Gv", "cmpxchg8b"],
    "control": ["jcc", "jmp_near", "jmp_Ev", "call_near", "call_Ev", "ret_near", "loop",
                "loopz", "loopnz", "jcxz", "jmp_far", "call_far", "jmp_far_Mp",
                "call_far_Mp", "ret_far", "bound"],
    "shift": [f"{n}_{k}" for n in ("rol", "ror", "rcl", "rcr", "shl", "shr", "sar")
              for k in ("Eb_1", "Ev_1", "Eb_CL", "Ev_CL", "Eb_Ib", "Ev_Ib")]
             + ["shld_Ib", "shld_CL", "shrd_Ib", "shrd_CL"],
    "muldiv": ["mul_Eb", "mul_Ev", "imul_Eb", "imul_Ev", "div_Eb", "div_Ev", "idiv_Eb",
               "idiv_Ev", "imul_Gv_Ev", "imul_Gv_Ev_I"],
    "bcd": ["daa", "das", "aaa", "aas", "aam", "aad"],
    "bit": ["bt_Ev_Gv", "bts_Ev_Gv", "btr_Ev_Gv", "btc_Ev_Gv", "bt_Ev_Ib", "bts_Ev_Ib",
            "btr_Ev_Ib", "btc_Ev_Ib", "bsf", "bsr"],
    "string": ["movsb", "movsw", "cmpsb", "cmpsw", "stosb", "stosw", "lodsb", "lodsw",
               "scasb", "scasw"],
    # system instructions whose effect both emulators can show identically (CPL 0 in both)
    "system": ["smsw", "sgdt", "sidt", "sldt", "str", "arpl", "clts", "invd", "wbinvd",
               "invlpg", "mov_Rd_Cd"],
    "x87": ["fwait"],
}

# Handlers in cpu/opcodes.py that are NOT compared, and why.
SKIPPED = {
    # port I/O: no devices behind either emulator
    "in_AL_Ib": "I/O", "in_eAX_Ib": "I/O", "out_Ib_AL": "I/O", "out_Ib_eAX": "I/O",
    "in_AL_DX": "I/O", "in_eAX_DX": "I/O", "out_DX_AL": "I/O", "out_DX_eAX": "I/O",
    "insb": "I/O", "insw": "I/O", "outsb": "I/O", "outsw": "I/O",
    # Unicorn stops emulation at HLT; interrupts/IRET go through its interrupt hook
    # instead of the IVT/IDT, so there is no architectural result to compare
    "hlt": "Unicorn stops at HLT", "int3": "INT", "int_Ib": "INT", "into": "INT",
    "int1": "INT", "iret": "IRET",
    # model-specific or time-dependent values
    "cpuid": "CPU model differs", "rdtsc": "time", "rdpmc": "counters", "rdmsr": "MSRs",
    "wrmsr": "MSRs", "sysenter": "MSR-configured fast call", "sysexit": "MSR-configured",
    # outside SMM it is #UD (tests/cpu/test_smm.py); the harness never enters SMM
    "rsm": "SMM only",
    # would change the descriptor tables / control registers the harness relies on, or
    # depend on descriptor contents that Unicorn does not model like pyx86 (LDT/TSS)
    "lgdt": "loads GDTR", "lidt": "loads IDTR", "lldt": "LDT descriptors",
    "ltr": "TSS descriptors", "verr": "descriptor checks", "verw": "descriptor checks",
    "lar": "descriptor checks", "lsl": "descriptor checks", "lmsw": "changes CR0",
    "mov_Cd_Rd": "changes control registers", "mov_Dd_Rd": "debug registers",
    "mov_Rd_Dd": "debug register reset values differ (Unicorn: 0)",
    # x87 escapes: compared against Unicorn by tests/cpu/test_x87.py
    "esc": "x87: tests/cpu/test_x87.py",
}
# MMX/SSE/SSE2 (the prefix-selected table entries and 0F AE's register forms): compared
# against Unicorn by tests/cpu/test_simd.py, with its own value generator and MXCSR.
SKIPPED.update({h: "SIMD: tests/cpu/test_simd.py" for o in TABLE.values()
                for h in tuple(o.sse or ()) + tuple(o.reg_forms or ()) if h})
SKIPPED.update(dict.fromkeys(("emms", "movnti", "fxsave", "fxrstor", "ldmxcsr", "stmxcsr",
                              "clflush"), "SIMD state: tests/cpu/test_simd.py"))
# Skipped only in protected mode: segment loads read descriptors (pyx86 builds them from
# its GDT, Unicorn checks them differently), so the far transfers and MOV/POP Sreg, LxS
# are compared in real mode only.
PMODE_SKIPPED = {"mov_Sw_Ew", "pop_sreg", "les", "lds", "lss", "lfs", "lgs", "jmp_far",
                 "call_far", "jmp_far_Mp", "call_far_Mp", "ret_far"}

GROUP_OF = {h: g for g, hs in GROUPS.items() for h in hs}


table_handlers = referenced_handlers


def forms(group):
    """(opcode, ModRM.reg or None, handler) of every table entry in the group."""
    out = []
    for code in sorted(TABLE):
        o = TABLE[code]
        if o.group is not None:
            out += [(code, r, h) for r, h in enumerate(o.group) if h and GROUP_OF.get(h) == group]
        elif GROUP_OF.get(o.handler) == group:
            out.append((code, None, o.handler))
    return out


# =====================================================================================
# Flags the manual leaves undefined, by handler name (Intel SDM vol. 2, each
# instruction's "Flags Affected"). A value is a mask or a function of the item context
# (c: dict with the operand width "w", the masked shift count "n", the ALU operation
# "op"). Only these bits are ignored; everything else in EFLAGS is compared.

def _alu(c):
    return AF if c["op"] in (1, 4, 6) else 0       # OR/AND/XOR: AF undefined


def _shift(kind):
    def mask(c):
        n, w = c["n"], c["w"]
        if n == 0:
            return 0                                # count 0: no flag changes
        m = 0 if n == 1 else OF                     # OF defined for 1-bit shifts only
        if kind in ("shl", "shr", "sar", "shd"):
            m |= AF                                 # non-zero count: AF undefined
        if kind in ("shl", "shr") and n >= w:
            m |= CF                                 # SHL/SHR: CF undefined if count >= width
        return m
    return mask


UNDEFINED_FLAGS = {
    **{h: _alu for h in ("alu_Eb_Gb", "alu_Ev_Gv", "alu_Gb_Eb", "alu_Gv_Ev", "alu_AL_Ib",
                         "alu_eAX_Iz", "alu_Eb_Ib", "alu_Ev_Iz")},
    **{h: AF for h in ("test_Eb_Gb", "test_Ev_Gv", "test_AL_Ib", "test_eAX_Iz", "test_Eb_Ib",
                       "test_Ev_Iz")},                              # TEST: AF undefined
    **{h: _shift(h[:3]) for h in GROUPS["shift"] if h[:3] in ("rol", "ror", "rcl", "rcr",
                                                              "shl", "shr", "sar")},
    **{h: _shift("shd") for h in ("shld_Ib", "shld_CL", "shrd_Ib", "shrd_CL")},
    # MUL/IMUL: CF and OF defined; SF ZF AF PF undefined
    **{h: SF | ZF | AF | PF for h in ("mul_Eb", "mul_Ev", "imul_Eb", "imul_Ev", "imul_Gv_Ev",
                                      "imul_Gv_Ev_I")},
    **{h: ARITH for h in ("div_Eb", "div_Ev", "idiv_Eb", "idiv_Ev")},   # DIV: all undefined
    "daa": OF, "das": OF,                                   # DAA/DAS: OF undefined
    "aaa": OF | SF | ZF | PF, "aas": OF | SF | ZF | PF,     # AAA/AAS: only AF CF defined
    "aam": OF | AF | CF, "aad": OF | AF | CF,               # AAM/AAD: SF ZF PF defined
    # BT*: CF defined, ZF unaffected, OF SF AF PF undefined
    **{h: OF | SF | AF | PF for h in GROUPS["bit"] if h.startswith("bt")},
    "bsf": CF | OF | SF | AF | PF, "bsr": CF | OF | SF | AF | PF,   # BSF/BSR: ZF defined
}


def _smsw_r32(c):
    # SMSW r32: "the high-order 16 bits are undefined" (SDM SMSW). pyx86 stores all of
    # CR0; QEMU's value differs between modes (the old upper half or zeros).
    return (c["rm"], 0xFFFF0000) if c.get("w") == 32 and "rm" in c else None


# Register bits the manual leaves undefined, by handler name: a function of the item
# context giving (register, mask) or None. Only these bits are ignored.
UNDEFINED_RESULT = {"smsw": _smsw_r32}


# =====================================================================================
# Where Unicorn (QEMU) is known to differ from a P6. Each entry names the manual's
# answer; the Runner corrects Unicorn's result to that answer (DEVIATIONS) or the
# generator does not produce the case, so pyx86 is held to the manual either way.
#
# - PUSH Sreg with 32-bit operand size: QEMU writes the selector zero-extended to 32
#   bits; a P6 does a 16-bit write and leaves bytes 2-3 of the slot unchanged (SDM PUSH:
#   "...or the segment selector is written on the stack using a 16-bit move").
#   -> DEVIATIONS["push_sreg"].
# - ENTER with 32-bit operand size on a 16-bit stack: QEMU writes only BP; the SDM
#   (ENTER operation: "EBP := FrameTemp", FrameTemp = ESP after pushing EBP) and Bochs
#   load all of EBP, including the upper half of ESP. -> DEVIATIONS["enter"].
# - LOCK on the memory form of an instruction that is not lockable (MOV, TEST, LEA, BT,
#   PUSH, ...), LOCK XCHG/XADD with a register operand and LOCK XOR r, r (QEMU's zeroing
#   idiom; other register forms are #UD in QEMU too): QEMU ignores the prefix, a P6
#   raises #UD (SDM LOCK). LOCK BTS/BTR/BTC with a register operand aborts the Unicorn
#   process. -> not generated; an invalid LOCK is generated (real mode, as a #UD test)
#   only where QEMU raises #UD as well (BAD_LOCK_UD).
# - SHLD/SHRD with a 16-bit operand and count 17..31: result and flags undefined (SDM);
#   QEMU returns its own choice. -> not generated.
# - SGDT/SIDT with 16-bit operand size: QEMU stores 24 bits of the base and a zero
#   byte (286 style), the current SDM stores the full 32-bit base. The harness keeps the
#   table bases below 16 MiB so both agree; the difference is not exercised.
# - F6 /1 and F7 /1 (undocumented aliases of TEST r/m, imm): QEMU raises #UD, a P6
#   executes TEST. -> not generated (UNCOMPARABLE_FORMS).
# - LOCK NEG m: QEMU (the version in Unicorn 2.1) sets SF/ZF/PF/... from the original
#   operand instead of the negated result; without LOCK it is right. -> LOCK is not
#   generated on NEG (NO_LOCK).
# - Segment access rights in protected mode: QEMU does not check them, so a write through
#   a CS override succeeds in Unicorn but is #GP(0) on a P6 (SDM vol. 3A, 5.4.1). -> no
#   CS override on instructions that write memory in protected mode (READS_ONLY).
# - 0F 18 /0-/3 with a register operand (PREFETCHh encodings with mod=11b, reserved in the
#   SDM opcode map): QEMU raises #UD, pyx86 (like the other hint NOPs) does nothing. ->
#   generated with ModRM.reg 4-7 only when the operand is a register.
# - 0F 01 F9 (INVLPG with a register operand, ModRM.rm = 1): RDTSCP in QEMU's CPU
#   model; on a P6, which has no RDTSCP (CPUID.80000001H:EDX.RDTSCP[bit 27] = 0), it is
#   #UD like every other INVLPG register form (SDM INVLPG: "#UD If the operand is a
#   register"). -> not generated (f_invlpg); the other register forms are #UD in both.
# - Restarted instructions: Unicorn sometimes abandons a memory-writing instruction at
#   its store and runs it again from the start (its code hook fires twice at the same
#   address), without undoing what the first run did: QEMU's RCL/RCR helpers have
#   written the new CF/OF (STC; RCR word [m], 14 of 16F2h then stores B790h, the SDM's
#   RCR operation gives B794h), and an unaligned store may have written its first byte
#   (ROL dword [m], 1 of 467807F7h at an odd address stores 8CF00FDCh, not 8CF00FEEh).
#   An instruction either completes or faults with nothing changed. -> the Runner gives
#   Unicorn back the EFLAGS and data area of the first start (Runner.restarted).
# Checked and found to agree with the manual or with P6 (so compared normally): AAA/AAS
# (AX +/- 106h / -6 form of the current SDM), DAA/DAS, BSF/BSR with a zero source (SDM:
# destination undefined; QEMU, like P6 hardware, leaves it unchanged), BSWAP with 16-bit
# operand size (undefined; QEMU clears the low word, the same choice as pyx86), MOV r32,
# Sreg (zero-extended), LOCK on lockable memory forms.

def _push_sreg_p6(item, pre, uc_post):
    """P6: the 32-bit PUSH Sreg slot keeps its old upper half."""
    if item.ctx.get("w") != 32:
        return
    lin = item.ctx["ss_base"] + (uc_post.regs[ESP] & item.ctx["sp_mask"])
    k = lin - item.ctx["data"]
    uc_post.mem[k + 2:k + 4] = pre.mem[k + 2:k + 4]


def _enter_sdm(item, pre, uc_post):
    """SDM: EBP := FrameTemp (all 32 bits of ESP after PUSH EBP) for 32-bit ENTER."""
    if item.ctx.get("w") == 32 and item.ctx["sp_mask"] == 0xFFFF:
        esp = pre.regs[ESP]
        uc_post.regs[EBP] = (esp & 0xFFFF0000) | ((esp - 4) & 0xFFFF)


DEVIATIONS = {"push_sreg": _push_sreg_p6, "enter": _enter_sdm}

NO_LOCK = {"neg_Eb", "neg_Ev"}
# LOCK with a register operand (and LOCK CMP) is #UD in both: generated as a fault test
BAD_LOCK_UD = {"alu_Eb_Gb", "alu_Ev_Gv", "alu_Eb_Ib", "alu_Ev_Iz", "inc_Eb", "dec_Eb",
               "inc_Ev", "dec_Ev", "not_Eb", "not_Ev", "neg_Eb", "neg_Ev"}

# Handlers that only read the memory operand a segment prefix applies to (a CS override
# is fine for them in protected mode)
READS_ONLY = {"alu_Gb_Eb", "alu_Gv_Ev", "test_Eb_Gb", "test_Ev_Gv", "test_Eb_Ib", "test_Ev_Iz",
              "mov_Gb_Eb", "mov_Gv_Ev", "mov_AL_Ob", "mov_eAX_Ov", "movzx_Gv_Eb",
              "movzx_Gv_Ew", "movsx_Gv_Eb", "movsx_Gv_Ew", "cmovcc", "push_Ev", "lea",
              "nop_Ev", "xlat", "mul_Eb", "mul_Ev", "imul_Eb", "imul_Ev", "imul_Gv_Ev",
              "imul_Gv_Ev_I", "div_Eb", "div_Ev", "idiv_Eb", "idiv_Ev", "bt_Ev_Gv", "bt_Ev_Ib",
              "bsf", "bsr", "jmp_Ev", "call_Ev", "bound", "lodsb", "lodsw", "cmpsb", "cmpsw",
              "invlpg", "movsb", "movsw"}

# (opcode, ModRM.reg) forms that are never generated, with the reason
UNCOMPARABLE_FORMS = {
    (0xF6, 1): "TEST alias: #UD in QEMU",
    (0xF7, 1): "TEST alias: #UD in QEMU",
    # #UD here (no SSSE3/SSE4), but Unicorn implements those instructions
    (0x138, None): "three-byte opcode map 0F 38: instructions in Unicorn",
    (0x13A, None): "three-byte opcode map 0F 3A: instructions in Unicorn",
}


def missing_handlers():
    """Handlers cpu/opcodes.py names but no cpu/*.pxi defines: what
    `python cpu/gen_optable.py --check` lists (those opcodes decode to #UD)."""
    from cpu import gen_optable
    return gen_optable.referenced_handlers() - gen_optable.defined_handlers()


# =====================================================================================
# Stream generation

class Item:
    """One instruction of the stream."""
    __slots__ = ("addr", "code", "handler", "kind", "ctx", "may_fault", "rep",
                 "cs_base")

    def __init__(self, addr, code, handler, kind, ctx=None, may_fault=False,
                 rep=False, cs_base=0):
        self.addr = addr
        self.code = code
        self.handler = handler
        self.kind = kind              # "pre" (operand setup), "test", "decoy"
        self.ctx = ctx or {}
        self.may_fault = may_fault
        self.rep = rep                # REP string instruction (Unicorn hooks each iteration)
        self.cs_base = cs_base

    @property
    def end(self):
        return self.addr + len(self.code)

    def undefined_flags(self):
        m = UNDEFINED_FLAGS.get(self.handler, 0)
        return m(self.ctx) if callable(m) else m

    def undefined_result(self):
        f = UNDEFINED_RESULT.get(self.handler)
        return f(self.ctx) if f else None


class Stream:
    def __init__(self, env, seed):
        self.env = env
        self.seed = seed
        self.items = {}               # linear address -> Item
        self.code = bytearray()
        self.code_base = 0
        self.entry = 0                # linear address of the first instruction
        self.end = 0
        self.regs = [0] * 8
        self.eflags = 2
        self.segs = {}                # initial selector of each segment register
        self.data = b""
        self.ntest = 0


class Retry(Exception):
    """The random choices do not fit; the emitter picks again."""


class Plan:
    """Operand setup emitted before a test instruction."""

    def __init__(self):
        self.regs = {}                # reg -> 32-bit value (or callable(target))
        self.stores = []              # (linear, value or callable(target), size)
        self.pushes = []              # (value or callable(target), size)
        self.eflags = None            # an EFLAGS image loaded with PUSH imm32; POPF
        self.flags = []               # one-byte flag instructions (CLC, STD, ...)


class Generator:
    """Lays out a Stream: preamble items, test items, decoys (see Emitters for the
    instruction forms)."""
    INTERESTING = (0, 1, 2, 0x7F, 0x80, 0x81, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFF,
                   0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE)

    def __init__(self, env, seed):
        self.env = env
        self.real = env.real
        self.code32 = not env.real
        self.rng = random.Random(seed)
        self.data = env.data
        self.handler = None           # the handler being generated
        self.s = Stream(env, seed)
        lo, hi = REAL_CODE if env.real else PM_CODE
        self.cursor = lo
        self.code_hi = hi - 0x100
        self.s.code_base = lo
        self.s.entry = lo
        if self.real:
            r = self.rng
            self.sel = {ES: r.choice(REAL_DATA_SELS), CS: r.choice(REAL_CODE_SELS),
                        SS: r.choice(REAL_DATA_SELS), DS: r.choice(REAL_DATA_SELS),
                        FS: r.choice(REAL_DATA_SELS), GS: r.choice(REAL_DATA_SELS)}
        else:
            self.sel = {sg: FLAT_DATA_SEL for sg in (ES, SS, DS, FS, GS)}
            self.sel[CS] = FLAT_CODE_SEL
        self.s.segs = dict(self.sel)
        r = self.rng
        self.s.regs = [self.ival(32) for _ in range(8)]
        self.s.regs[ESP] = self.stack_value()
        self.s.eflags = 0x2 | (r.getrandbits(12) & (ARITH | DF))
        self.s.data = bytes(r.getrandbits(8) for _ in range(DATA_SIZE))

    # ---- random values ----
    def ival(self, bits):
        m = (1 << bits) - 1
        if self.rng.random() < 0.35:
            return self.rng.choice(self.INTERESTING) & m
        return self.rng.getrandbits(bits)

    def base(self, sg):
        return self.sel[sg] << 4 if self.real else 0

    def stack_value(self, high_ok=True):
        """An ESP in the stack part of the data area (real mode: random upper half)."""
        lin = self.data + self.rng.randrange(STACK_LO, STACK_HI)
        if self.rng.random() < 0.75:
            lin &= ~3
        off = lin - self.base(SS)
        if self.real and high_ok and self.rng.random() < 0.5:
            off |= self.rng.getrandbits(16) << 16
        return off

    def target(self, size):
        """A linear address in the data area for an access of size bytes."""
        if self.rng.random() < 0.25:
            t = self.data + self.rng.choice((0x1000, 0x2000)) - self.rng.randrange(1, size + 1)
            if size > 1 or self.rng.random() < 0.5:
                return t
        return self.rng.randrange(self.data, self.data + DATA_SIZE - size + 1)

    def in_data(self, lin, size):
        return self.data <= lin <= self.data + DATA_SIZE - size

    # ---- layout ----
    def full(self):
        return self.cursor >= self.code_hi

    def _add(self, code, handler, kind, **kw):
        it = Item(self.cursor, bytes(code), handler, kind, cs_base=self.base(CS), **kw)
        self.s.items[self.cursor] = it
        self.s.code += it.code
        self.cursor += len(it.code)
        return it

    def _o32(self):
        return b"" if self.code32 else b"\x66"

    def _pre_reg(self, r, v):
        self._add(self._o32() + bytes((0xB8 + r,)) + struct.pack("<I", v & 0xFFFFFFFF),
                  "mov_r_Iz", "pre")

    def _pre_store(self, lin, v, size):
        off = lin - self.base(DS)
        if self.code32:
            pfx = b"\x66" if size == 2 else b""
            modrm = b"\x05" + struct.pack("<I", off & 0xFFFFFFFF)
        else:
            pfx, modrm = (b"\x66" if size == 4 else b""), b"\x06" + struct.pack("<H", off)
        op = b"\xC6" if size == 1 else b"\xC7"
        imm = (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        self._add(pfx + op + modrm + imm, "mov_Eb_Ib" if size == 1 else "mov_Ev_Iz", "pre")

    def _pre_push(self, v, size):
        pfx = b"" if (size == 4) == self.code32 else b"\x66"
        self._add(pfx + b"\x68" + (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little"),
                  "push_I", "pre", ctx={"w": 8 * size})

    @staticmethod
    def _pre_len(plan, code32):
        n = len(plan.regs) * (5 if code32 else 6)
        for _, _, size in plan.stores:
            n += (1 if (size == 2) == code32 and size != 1 else 0) + 1 + (5 if code32 else 3) + size
        for _, size in plan.pushes:
            n += (0 if (size == 4) == code32 else 1) + 1 + size
        if plan.eflags is not None:
            n += (5 if code32 else 6) + (1 if code32 else 2)      # PUSH imm32; POPF
        return n + len(plan.flags)

    def emit(self, plan, build, handler, *, decoys=0, **kw):
        """Lay out plan, then the instruction build(addr) -> bytes, then decoys.

        Values in the plan may be callables of the linear address after the decoys (the
        branch target of control transfers)."""
        assert plan.eflags is None or ESP in plan.regs
        start = self.cursor + self._pre_len(plan, self.code32)
        n = len(build(start))
        if n > 15:
            raise Retry()                       # the 15-byte limit: not what is tested
        target = start + n + decoys

        def val(v):
            return v(target) if callable(v) else v
        for r in sorted(plan.regs):
            self._pre_reg(r, val(plan.regs[r]))
        for lin, v, size in plan.stores:
            self._pre_store(lin, val(v), size)
        for v, size in plan.pushes:
            self._pre_push(val(v), size)
        if plan.eflags is not None:
            self._pre_push(plan.eflags, 4)
            self._add(self._o32() + b"\x9D", "popf", "pre")
        for b in plan.flags:
            self._add(bytes((b,)), {0xF8: "clc", 0xF9: "stc", 0xFC: "cld", 0xFD: "std"}[b], "pre")
        assert self.cursor == start, (hex(self.cursor), hex(start))
        it = self._add(build(start), handler, "test", **kw)
        self.s.ntest += 1
        for _ in range(decoys):
            b = self.rng.choice((0x40, 0x41, 0x42, 0x43, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4B,
                                 0x90, 0xF5, 0xF8, 0xF9, 0x91, 0x97))
            self._add(bytes((b,)), _DECOY[b], "decoy")
        return it

    def finish(self):
        self.s.end = self.cursor
        self.s.code = bytes(self.s.code)
        return self.s

    # ---- operands ----
    def mem_operand(self, regfield, size, a16, seg, plan, avoid=(), access=True, tlin=None,
                    delta=0):
        """ModRM (+SIB, displacement) for a memory operand of size bytes.

        Sets plan.regs for the address registers so that the access lands in the data
        area (at tlin if given). Registers already in plan.regs keep their values; those
        in avoid are not used. The access goes delta bytes past the effective address
        (BT with a register bit offset). access=False: random registers (LEA, hint NOPs).
        Returns (bytes, linear address of the effective address)."""
        r = self.rng
        for _ in range(200):
            mod = r.choice((0, 1, 2))
            sib = None
            scale = 0
            rm = r.randrange(8)
            if a16:
                M = 0x10000
                if mod == 0 and rm == 6:
                    base = index = None
                else:
                    base, index = ((EBX, ESI), (EBX, EDI), (EBP, ESI), (EBP, EDI), (ESI, None),
                                   (EDI, None), (EBP, None), (EBX, None))[rm]
                dbytes = 2 if (mod == 0 and rm == 6) or mod == 2 else mod
                dseg = SS if base == EBP else DS
            else:
                M = 1 << 32
                if rm == 4:
                    scale = r.randrange(4)
                    ix = r.randrange(8)
                    bx = r.randrange(8)
                    sib = (scale << 6) | (ix << 3) | bx
                    index = None if ix == ESP else ix
                    base = None if (bx == EBP and mod == 0) else bx
                    dbytes = 4 if (mod == 2 or base is None) else mod
                elif rm == 5 and mod == 0:
                    base = index = None
                    dbytes = 4
                else:
                    base, index = rm, None
                    dbytes = {0: 0, 1: 1, 2: 4}[mod]
                dseg = SS if base in (ESP, EBP) else DS
            disp_free = dbytes >= 2
            used = [x for x in (base, index) if x is not None]
            if any(x in avoid for x in used):
                continue
            eseg = dseg if seg is None else seg
            sb = self.base(eseg)
            acc = self.target(size) if tlin is None else tlin + delta
            # offsets must stay inside the 64 KiB window in real mode and with 16-bit
            # addressing (then no wrap-around either)
            small = self.real or a16
            off = (acc - delta - sb) % M
            if small and not (0 <= off <= 0x10000 - size and 0 <= off + delta <= 0x10000 - size):
                continue
            known = {x: plan.regs[x] for x in used if x in plan.regs}
            vals = {}

            def rv(x):
                return known[x] if x in known else vals[x]
            disp = r.randrange(-128, 128) if dbytes == 1 else r.getrandbits(8 * dbytes)
            free = [x for x in used if x not in known]
            if not access:
                for x in free:
                    vals[x] = self.ival(32)
            elif base is not None and base in free and base != index:
                if index is not None and index in free:
                    vals[index] = self.ival(32)
                iv = rv(index) << scale if index is not None else 0
                vals[base] = (off - disp - iv) % M
            elif index is not None and index in free and index != base:
                bv = rv(base) if base is not None else 0
                rest = (off - bv - disp) % M
                low = rest & ((1 << scale) - 1)
                off, rest, acc = off - low, rest - low, acc - low
                if not self.in_data(acc, size) or (small and off < 0):
                    continue
                vals[index] = ((rest >> scale) + r.randrange(1 << scale) * (M >> scale)) % M
            elif disp_free:
                for x in free:
                    vals[x] = self.ival(32)
                iv = rv(index) << scale if index is not None else 0
                bv = rv(base) if base is not None else 0
                disp = (off - bv - iv) % M
            elif free:
                continue                        # e.g. [eax+eax*2] without a free displacement
            if a16:
                # 16-bit addressing ignores the upper halves: make them random
                for x in vals:
                    vals[x] = (vals[x] & 0xFFFF) | (r.getrandbits(16) << 16)
            ea = (sum(rv(x) for x in ([base] if base is not None else []))
                  + ((rv(index) << scale) if index is not None else 0) + disp) % M
            lin = (sb + ea) & 0xFFFFFFFF
            if access:
                if not self.in_data(lin + delta, size) or (
                        small and not 0 <= ea + delta <= 0x10000 - size) or (
                        tlin is not None and lin != tlin):
                    continue                    # only when no register was free
            plan.regs.update(vals)
            out = bytes(((mod << 6) | ((regfield & 7) << 3) | rm,))
            if sib is not None:
                out += bytes((sib,))
            out += (disp % (1 << (8 * dbytes))).to_bytes(dbytes, "little") if dbytes else b""
            return out, lin
        raise Retry()

    def set_val(self, plan, r, size, v=None):
        """Give register r (8-bit numbering for size 1) an interesting value unless the
        plan already fixes it."""
        full = r & 3 if size == 1 else r
        if full in plan.regs:
            return
        v = self.ival(8 * size) if v is None else v
        if size == 1 and r >= 4:
            v <<= 8
        mask = ((1 << (8 * size)) - 1) << (8 if size == 1 and r >= 4 else 0)
        plan.regs[full] = (self.rng.getrandbits(32) & ~mask) | v

    def prefixes(self, p66, p67, seg=None, lock=False, rep=None):
        """The prefix bytes in random order; sometimes one of them twice, or an extra
        segment prefix that the later (effective) one overrides."""
        pf = []
        if p66:
            pf.append(0x66)
        if p67:
            pf.append(0x67)
        if lock:
            pf.append(0xF0)
        if rep:
            pf.append(rep)
        r = self.rng
        if pf and r.random() < 0.08:
            pf.append(r.choice(pf))
        r.shuffle(pf)
        if seg is not None:
            pf.insert(r.randrange(len(pf) + 1), SEG_PREFIX[seg])
            if r.random() < 0.08:
                k = pf.index(SEG_PREFIX[seg])
                pf.insert(r.randrange(k + 1), SEG_PREFIX[r.choice((ES, CS, SS, DS, FS, GS))])
        return bytes(pf)

    def osize(self, p66):
        return 2 if p66 == self.code32 else 4

    def asize16(self, p67):
        return p67 == self.code32


_DECOY = {0x40: "inc_r", 0x41: "inc_r", 0x42: "inc_r", 0x43: "inc_r", 0x45: "inc_r",
          0x46: "inc_r", 0x47: "inc_r", 0x48: "dec_r", 0x49: "dec_r", 0x4B: "dec_r",
          0x90: "nop", 0xF5: "cmc", 0xF8: "clc", 0xF9: "stc", 0x91: "xchg_eAX_r",
          0x97: "xchg_eAX_r"}


# =====================================================================================
# Emitters: one test instruction (plus its preamble) per call.

class Emitters(Generator):
    """gen(code, reg, handler, p66, p67, mem) emits one form; False if it does not apply
    to this environment (e.g. a segment load in protected mode)."""

    def __init__(self, env, seed):
        super().__init__(env, seed)
        self.faults = faults_comparable(env)    # may forms be generated to fault?

    def gen(self, code, reg, h, p66, p67, mem):
        if (not self.real and h in PMODE_SKIPPED) or (code, reg) in UNCOMPARABLE_FORMS:
            return False
        fn = getattr(self, "f_" + h, None)
        self.handler = h
        for _ in range(20):
            try:
                if fn is not None:
                    return fn(code, reg, h, p66, p67, mem) is not False
                return self.rm_form(code, reg, h, p66, p67, mem) is not False
            except Retry:
                continue
        return False

    # ---- helpers ----
    def opbytes(self, code):
        return bytes((code,)) if code < 0x100 else bytes((0x0F, code & 0xFF))

    def imm(self, kind, osz, a16=False, v=None):
        if kind is None:
            return b""
        size = {"b": 1, "bs": 1, "w": 2, "z": osz, "o": 2 if a16 else 4}[kind]
        v = self.ival(8 * size) if v is None else v
        return (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def want_stack(self, plan, high_ok=True):
        if ESP not in plan.regs:
            plan.regs[ESP] = self.stack_value(high_ok)

    def rand_flags(self, plan, p=0.3):
        """Sometimes load all arithmetic flags (PUSH imm; POPF), sometimes just CF."""
        x = self.rng.random()
        if x < p:
            self.set_eflags(plan, 0x2 | (self.rng.getrandbits(12) & (ARITH | DF | IF)))
        elif x < 2 * p:
            plan.flags.append(self.rng.choice((0xF8, 0xF9)))

    def set_eflags(self, plan, v):
        """Load EFLAGS with PUSH imm32; POPF before the instruction (needs the stack)."""
        self.want_stack(plan)
        plan.eflags = v

    def seg_override(self, p=0.4, for_memory=True):
        if self.rng.random() < p:
            segs = (ES, CS, SS, DS, FS, GS)
            if for_memory and not self.real and self.handler not in READS_ONLY:
                segs = (ES, SS, DS, FS, GS)     # see "Segment access rights" above
            return self.rng.choice(segs)
        return None

    def rm_form(self, code, reg, h, p66, p67, mem, *, size=None, rsize=None, imm=None,
                access=True, mod3_ud=False, regfield=None, plan=None, avoid=(), ctx=None,
                store=True, stack=False, lock=None, extra=0, may_fault=False, values=True):
        """A ModRM instruction. size: r/m operand size (default: 1 for *b handlers,
        else the operand size); rsize: size of the ModRM.reg register operand."""
        op = TABLE[code]
        osz = self.osize(p66)
        a16 = self.asize16(p67)
        if size is None:
            size = 1 if ("Eb" in h or h == "setcc") else osz
        if rsize is None and reg is None:
            rsize = 1 if "Gb" in h else osz
        plan = plan or Plan()
        ctx = dict(ctx or {})
        ctx.setdefault("w", 8 * size)
        if regfield is None:
            regfield = reg if reg is not None else self.rng.randrange(8)
        fault = may_fault
        if mod3_ud and not mem:
            if not self.faults:
                return False                    # only a #UD
            fault = True
        if lock is None:
            lk = op.lock if op.group is None else (regfield in op.lock)
            lock = bool(mem and lk and h not in NO_LOCK and self.rng.random() < 0.25)
            if (self.faults and h in BAD_LOCK_UD and (not mem or ctx.get("op") == 7)
                    and not (code < 0x40 and ctx.get("op") == 6) and self.rng.random() < 0.1):
                lock = fault = True
        # the stack first: the exception frame of a fault must land in the data area
        if fault or stack:
            self.want_stack(plan, high_ok=not (self.real and not a16))
        seg = None
        if mem:
            seg = self.seg_override()
            modrm, lin = self.mem_operand(regfield, size + extra, a16, seg, plan, avoid=avoid,
                                          access=access)
            if access and store and values and self.rng.random() < 0.5 and size <= 4:
                plan.stores.append((lin, self.ival(8 * size), size))
        else:
            rm = self.rng.randrange(8)
            if rm in avoid:
                raise Retry()
            modrm = bytes((0xC0 | (regfield << 3) | rm,))
            if values and not mod3_ud:
                self.set_val(plan, rm, size)
            ctx["rm"] = rm
        if rsize and values:
            self.set_val(plan, regfield, rsize)
        if imm is None:
            kind = op.imm
            if op.imm_test_only and (reg or 0) > 1:
                kind = None
            imm = self.imm(kind, osz)
        if not mem and self.rng.random() < 0.1:
            seg = self.seg_override(1.0, for_memory=False)   # no memory operand
        pf = self.prefixes(p66, p67, seg, lock)
        ob = self.opbytes(code)
        self.emit(plan, lambda a: pf + ob + modrm + imm, h, ctx=ctx,
                  may_fault=fault)

    # ---- ALU ----
    def _aluop(self, code, reg):
        return reg if reg is not None else (code >> 3) & 7

    def f_alu_Eb_Gb(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.rand_flags(plan)
        return self.rm_form(code, reg, h, p66, p67, mem, plan=plan,
                            ctx={"op": self._aluop(code, reg)})
    f_alu_Ev_Gv = f_alu_Gb_Eb = f_alu_Gv_Ev = f_alu_Eb_Ib = f_alu_Ev_Iz = f_alu_Eb_Gb

    def acc_imm(self, code, reg, h, p66, p67, mem, op=0):
        plan = Plan()
        osz = 1 if h.endswith("AL_Ib") else self.osize(p66)
        self.set_val(plan, EAX, osz)
        self.rand_flags(plan)
        kind = TABLE[code].imm
        pf = self.prefixes(p66, p67, self.seg_override(0.1, for_memory=False))
        b = pf + self.opbytes(code) + self.imm(kind, self.osize(p66))
        self.emit(plan, lambda a: b, h, ctx={"op": op, "w": 8 * osz})

    def f_alu_AL_Ib(self, code, reg, h, p66, p67, mem):
        return self.acc_imm(code, reg, h, p66, p67, mem, op=(code >> 3) & 7)
    f_alu_eAX_Iz = f_alu_AL_Ib

    def f_test_AL_Ib(self, code, reg, h, p66, p67, mem):
        return self.acc_imm(code, reg, h, p66, p67, mem)
    f_test_eAX_Iz = f_test_AL_Ib

    def opreg(self, code, h, p66, p67, size=None, stack=False, imm=None, values=True,
              plan=None):
        """Instructions with the register in the low opcode bits."""
        plan = plan or Plan()
        r = code & 7
        osz = self.osize(p66) if size is None else size
        if stack:
            self.want_stack(plan)
        if values:
            self.set_val(plan, r, osz)
        if h == "xchg_eAX_r":
            self.set_val(plan, EAX, osz)
        seg = self.seg_override(0.1, for_memory=False)
        b = self.prefixes(p66, p67, seg) + self.opbytes(code) + (imm or b"")
        self.emit(plan, lambda a: b, h, ctx={"w": 8 * osz})

    def f_inc_r(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.rand_flags(plan)
        return self.opreg(code, h, p66, p67, plan=plan)
    f_dec_r = f_inc_r

    def f_xchg_eAX_r(self, code, reg, h, p66, p67, mem):
        return self.opreg(code, h, p66, p67)

    def f_bswap(self, code, reg, h, p66, p67, mem):
        return self.opreg(code, h, p66, p67)

    def f_push_r(self, code, reg, h, p66, p67, mem):
        return self.opreg(code, h, p66, p67, stack=True, values=(code & 7) != ESP)

    def f_pop_r(self, code, reg, h, p66, p67, mem):
        return self.opreg(code, h, p66, p67, stack=True, values=False)

    def f_mov_r8_Ib(self, code, reg, h, p66, p67, mem):
        return self.opreg(code, h, p66, p67, size=1, imm=self.imm("b", 1))

    def f_mov_r_Iz(self, code, reg, h, p66, p67, mem):
        return self.opreg(code, h, p66, p67, imm=self.imm("z", self.osize(p66)))

    def f_not_Eb(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem, rsize=0)
    f_not_Ev = f_neg_Eb = f_neg_Ev = f_inc_Eb = f_dec_Eb = f_inc_Ev = f_dec_Ev = f_not_Eb
    f_test_Eb_Ib = f_test_Ev_Iz = f_mov_Eb_Ib = f_mov_Ev_Iz = f_not_Eb
    f_setcc = f_not_Eb

    def f_mul_Eb(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.set_val(plan, EAX, 4)
        return self.rm_form(code, reg, h, p66, p67, mem, rsize=0, plan=plan)
    f_mul_Ev = f_imul_Eb = f_imul_Ev = f_mul_Eb

    def f_cmovcc(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.rand_flags(plan, 0.45)
        return self.rm_form(code, reg, h, p66, p67, mem, plan=plan)

    # ---- moves ----
    def f_movzx_Gv_Eb(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem, size=1 if h.endswith("Eb") else 2,
                            rsize=self.osize(p66))
    f_movzx_Gv_Ew = f_movsx_Gv_Eb = f_movsx_Gv_Ew = f_movzx_Gv_Eb

    def moffs(self, code, h, p66, p67):
        plan = Plan()
        a16 = self.asize16(p67)
        osz = 1 if code in (0xA0, 0xA2) else self.osize(p66)
        seg = self.seg_override()
        lin = self.target(osz)
        off = lin - self.base(DS if seg is None else seg)
        if (self.real or a16) and not 0 <= off <= 0x10000 - osz:
            raise Retry()
        self.set_val(plan, EAX, osz)
        if self.rng.random() < 0.5:
            plan.stores.append((lin, self.ival(8 * osz), osz))
        b = (self.prefixes(p66, p67, seg) + bytes((code,))
             + (off & 0xFFFFFFFF).to_bytes(2 if a16 else 4, "little"))
        self.emit(plan, lambda a: b, h, ctx={"w": 8 * osz})

    def f_mov_AL_Ob(self, code, reg, h, p66, p67, mem):
        return self.moffs(code, h, p66, p67)
    f_mov_eAX_Ov = f_mov_Ob_AL = f_mov_Ov_eAX = f_mov_AL_Ob

    def f_mov_Ew_Sw(self, code, reg, h, p66, p67, mem):
        sr = self.rng.randrange(8 if self.faults else 6)
        if sr > 5 and mem and self.rng.random() < 0.5:
            sr = self.rng.randrange(6)
        return self.rm_form(code, reg, h, p66, p67, mem, size=2 if mem else self.osize(p66),
                            regfield=sr, rsize=0, mod3_ud=False, may_fault=sr > 5)

    def f_mov_Sw_Ew(self, code, reg, h, p66, p67, mem):
        # real mode only (PMODE_SKIPPED). MOV CS and registers 6/7 are #UD.
        sr = self.rng.choice((ES, SS, DS, FS, GS, ES, SS, DS, FS, GS, CS, 6, 7))
        sel = self.rng.choice(REAL_DATA_SELS)
        plan = Plan()
        fault = sr in (CS, 6, 7)
        if fault:
            self.want_stack(plan, high_ok=False)
        if mem:
            a16 = self.asize16(p67)
            seg = self.seg_override()
            modrm, lin = self.mem_operand(sr, 2, a16, seg, plan)
            plan.stores.append((lin, sel, 2))
        else:
            rm = self.rng.randrange(8)
            if rm == ESP and fault:
                raise Retry()
            plan.regs[rm] = (self.rng.getrandbits(16) << 16) | sel
            modrm = bytes((0xC0 | (sr << 3) | rm,))
            seg = None
        b = self.prefixes(p66, p67, seg) + b"\x8E" + modrm
        self.emit(plan, lambda a: b, h, may_fault=fault)
        if not fault:
            self.sel[sr] = sel

    def f_les(self, code, reg, h, p66, p67, mem):
        # real mode only (PMODE_SKIPPED)
        if not mem:
            return self.rm_form(code, reg, h, p66, p67, mem, mod3_ud=True, rsize=0,
                                values=False, access=False)
        plan = Plan()
        osz = self.osize(p66)
        sel = self.rng.choice(REAL_DATA_SELS)
        regfield = self.rng.randrange(8)
        seg = self.seg_override()
        modrm, lin = self.mem_operand(regfield, osz + 2, self.asize16(p67), seg, plan)
        plan.stores.append((lin, self.ival(8 * osz), osz))
        plan.stores.append((lin + osz, sel, 2))
        b = self.prefixes(p66, p67, seg) + self.opbytes(code) + modrm
        self.emit(plan, lambda a: b, h)
        self.sel[{"les": ES, "lds": DS, "lss": SS, "lfs": FS, "lgs": GS}[h]] = sel
    f_lds = f_lss = f_lfs = f_lgs = f_les

    def f_lea(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem, access=False, mod3_ud=True,
                            values=mem)

    def f_nop_Ev(self, code, reg, h, p66, p67, mem):
        rf = self.rng.randrange(4, 8) if code == 0x118 and not mem else None
        return self.rm_form(code, reg, h, p66, p67, mem, access=False, rsize=0, regfield=rf)

    def f_xchg_Eb_Gb(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem)
    f_xchg_Ev_Gv = f_mov_Eb_Gb = f_mov_Ev_Gv = f_mov_Gb_Eb = f_mov_Gv_Ev = f_xchg_Eb_Gb
    f_test_Eb_Gb = f_test_Ev_Gv = f_imul_Gv_Ev = f_imul_Gv_Ev_I = f_xchg_Eb_Gb
    f_bsf = f_bsr = f_xchg_Eb_Gb

    def f_xadd_Eb_Gb(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.rand_flags(plan)
        return self.rm_form(code, reg, h, p66, p67, mem, plan=plan, ctx={"op": 0})
    f_xadd_Ev_Gv = f_xadd_Eb_Gb

    def f_cmpxchg_Eb_Gb(self, code, reg, h, p66, p67, mem):
        size = 1 if h.endswith("Eb_Gb") else self.osize(p66)
        plan = Plan()
        acc = self.ival(8 * size)
        self.set_val(plan, EAX, size, acc)
        same = self.rng.random() < 0.5
        if not mem:
            rm = self.rng.randrange(8)
            if same and rm != EAX:
                self.set_val(plan, rm, size, acc)
            regfield = self.rng.randrange(8)
            self.set_val(plan, regfield, size)
            b = self.prefixes(p66, p67) + self.opbytes(code) + bytes((0xC0 | regfield << 3 | rm,))
            self.emit(plan, lambda a: b, h, ctx={"w": 8 * size, "op": 7})
            return
        a16 = self.asize16(p67)
        seg = self.seg_override()
        regfield = self.rng.randrange(8)
        modrm, lin = self.mem_operand(regfield, size, a16, seg, plan, avoid={EAX})
        plan.stores.append((lin, acc if same else self.ival(8 * size), size))
        self.set_val(plan, regfield, size)
        lock = self.rng.random() < 0.3
        b = self.prefixes(p66, p67, seg, lock) + self.opbytes(code) + modrm
        self.emit(plan, lambda a: b, h, ctx={"w": 8 * size, "op": 7})
    f_cmpxchg_Ev_Gv = f_cmpxchg_Eb_Gb

    def f_cmpxchg8b(self, code, reg, h, p66, p67, mem):
        if not mem:
            return self.rm_form(code, reg, h, p66, p67, mem, mod3_ud=True, rsize=0)
        plan = Plan()
        lo, hi = self.ival(32), self.ival(32)
        plan.regs[EAX], plan.regs[EDX] = lo, hi
        plan.regs[EBX], plan.regs[ECX] = self.ival(32), self.ival(32)
        a16 = self.asize16(p67)
        seg = self.seg_override()
        modrm, lin = self.mem_operand(1, 8, a16, seg, plan, avoid={EAX, EDX, EBX, ECX})
        same = self.rng.random() < 0.5
        plan.stores.append((lin, lo if same else self.ival(32), 4))
        plan.stores.append((lin + 4, hi if same or self.rng.random() < 0.5
                            else self.ival(32), 4))
        lock = self.rng.random() < 0.3
        b = self.prefixes(p66, p67, seg, lock) + self.opbytes(code) + modrm
        self.emit(plan, lambda a: b, h)

    def f_ud(self, code, reg, h, p66, p67, mem):
        if not self.faults:
            return False
        if TABLE[code].modrm:
            return self.rm_form(code, reg, h, p66, p67, mem, may_fault=True, rsize=0,
                                values=False, access=False)
        plan = Plan()
        self.want_stack(plan, high_ok=False)
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h, may_fault=True)

    # ---- stack ----
    def f_push_I(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        b = self.prefixes(p66, p67) + self.opbytes(code) + self.imm(TABLE[code].imm,
                                                                    self.osize(p66))
        self.emit(plan, lambda a: b, h)

    def f_push_Ev(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem, stack=True, rsize=0)

    def f_pop_Ev(self, code, reg, h, p66, p67, mem):
        # the address is computed after ESP is incremented: leave room for that
        return self.rm_form(code, reg, h, p66, p67, mem, stack=True, rsize=0,
                            extra=self.osize(p66), store=False)

    def f_push_sreg(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h,
                  ctx={"w": 8 * self.osize(p66), "ss_base": self.base(SS),
                       "sp_mask": 0xFFFF if self.real else 0xFFFFFFFF, "data": self.data})

    def f_pop_sreg(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        osz = self.osize(p66)
        sel = self.rng.choice(REAL_DATA_SELS)
        plan.pushes.append(((self.rng.getrandbits(16) << 16) | sel, osz))
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)
        self.sel[(code >> 3) & 7] = sel

    def f_pusha(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        for r in range(8):
            if r != ESP and self.rng.random() < 0.5:
                self.set_val(plan, r, 4)
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)

    def f_popa(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)

    def f_enter(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        sp = plan.regs[ESP]
        plan.regs[EBP] = (sp + self.rng.randrange(-0x80, 0x100)) & 0xFFFFFFFF
        if self.real:
            plan.regs[EBP] = (plan.regs[EBP] & 0xFFFF) | (self.rng.getrandbits(16) << 16)
        size = self.rng.choice((0, 1, 2, 4, 8, 0x10, 0x41, self.rng.randrange(0x200)))
        x = self.rng.random()
        level = 0 if x < 0.4 else 1 if x < 0.6 else self.rng.randrange(256)
        b = self.prefixes(p66, p67) + b"\xC8" + struct.pack("<HB", size, level)
        self.emit(plan, lambda a: b, h,
                  ctx={"w": 8 * self.osize(p66), "sp_mask": 0xFFFF if self.real else 0xFFFFFFFF})

    def f_leave(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        plan.regs[EBP] = self.stack_value()
        plan.regs[ESP] = self.ival(32)
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)

    def f_pushf(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        self.rand_flags(plan)
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)

    def f_popf(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        # any image except TF (a single-step trap is not compared); reserved bits, VM,
        # RF, VIF, VIP must be ignored or cleared by POPF
        v = self.rng.getrandbits(32) & ~TF
        plan.pushes.append((v, self.osize(p66)))
        b = self.prefixes(p66, p67) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)

    # ---- no operands ----
    def simple(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        if h in ("cbw", "cwd", "sahf", "salc", "lahf"):
            self.set_val(plan, EAX, 4)
        self.rand_flags(plan)
        b = self.prefixes(p66, p67, self.seg_override(0.1, for_memory=False)) + self.opbytes(code)
        if h == "nop" and self.rng.random() < 0.3:
            b = b"\xF3" + b                     # PAUSE
        self.emit(plan, lambda a: b, h)
    f_nop = f_sahf = f_lahf = f_clc = f_stc = f_cmc = f_cld = f_std = f_cli = f_sti = simple
    f_cbw = f_cwd = f_salc = f_fwait = f_clts = f_invd = f_wbinvd = simple

    def f_xlat(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        a16 = self.asize16(p67)
        seg = self.seg_override()
        al = self.rng.getrandbits(8)
        plan.regs[EAX] = (self.rng.getrandbits(24) << 8) | al
        lin = self.target(1)
        off = lin - self.base(DS if seg is None else seg)
        if (self.real or a16) and not 0 <= off <= 0xFFFF:
            raise Retry()
        bx = (off - al) & (0xFFFF if a16 else 0xFFFFFFFF)
        if a16:
            bx |= self.rng.getrandbits(16) << 16
        plan.regs[EBX] = bx
        b = self.prefixes(p66, p67, seg) + self.opbytes(code)
        self.emit(plan, lambda a: b, h)

    # ---- control transfer ----
    def branch(self, code, h, p66, p67, rel_kind, plan=None, stack=False):
        """A relative branch: forward over k decoys, or (sometimes) backward."""
        plan = plan or Plan()
        if stack:
            self.want_stack(plan)
        k = self.rng.randrange(4)
        osz = self.osize(p66)
        size = 1 if rel_kind == "bs" else osz
        pf = self.prefixes(p66, p67) + self.opbytes(code)
        n = len(pf) + size
        pad = 3 if not self.code32 else 5
        back = 2 + pad + self._pre_len(plan, self.code32) + n
        if self.rng.random() < 0.4 and (size > 1 or back <= 128):
            return self.branch_back(plan, pf, size, n, h, k, stack)
        self.emit(plan, lambda a: pf + k.to_bytes(size, "little"), h, decoys=k)

    def branch_back(self, plan, pf, size, n, h, k, stack):
        """JMP over a landing pad; the test branches back to the pad, whose JMP goes to
        the instruction after the decoys (where the not-taken path arrives too)."""
        pad_len = 3 if not self.code32 else 5
        self._add(bytes((0xEB, pad_len)), "jmp_near", "pre")
        pad = self._add(bytes(pad_len), "jmp_near", "pre")

        def build(a):
            return pf + ((pad.addr - (a + n)) % (1 << (8 * size))).to_bytes(size, "little")
        it = self.emit(plan, build, h, decoys=k)
        rel = it.end + k - pad.end
        pad.code = b"\xE9" + rel.to_bytes(pad_len - 1, "little")
        off = pad.addr - self.s.code_base
        self.s.code[off:off + pad_len] = pad.code

    def f_jcc(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.rand_flags(plan, 0.45)
        return self.branch(code, h, p66, p67, TABLE[code].imm, plan)

    def f_jmp_near(self, code, reg, h, p66, p67, mem):
        return self.branch(code, h, p66, p67, TABLE[code].imm)

    def f_call_near(self, code, reg, h, p66, p67, mem):
        return self.branch(code, h, p66, p67, TABLE[code].imm, stack=True)

    def f_loop(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        c = self.rng.choice((0, 1, 2, self.rng.getrandbits(32)))
        if self.asize16(p67):
            c = (c & 0xFFFF) | (self.rng.getrandbits(16) << 16)
        plan.regs[ECX] = c
        self.rand_flags(plan, 0.4)
        return self.branch(code, h, p66, p67, "bs", plan)
    f_loopz = f_loopnz = f_jcxz = f_loop

    def cs_off(self, osz):
        """Callable: branch target (linear) -> offset in CS, random upper half if 16-bit."""
        base, r = self.base(CS), self.rng.getrandbits(16) << 16

        def f(t):
            return (t - base) | (r if osz == 2 else 0)
        return f

    def f_jmp_Ev(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        osz = self.osize(p66)
        stack = h == "call_Ev"
        if stack:
            self.want_stack(plan, high_ok=not (self.real and not self.asize16(p67)))
        k = self.rng.randrange(3)
        a16 = self.asize16(p67)
        if mem:
            seg = self.seg_override()
            modrm, lin = self.mem_operand(reg, osz, a16, seg, plan)
            plan.stores.append((lin, self.cs_off(osz), osz))
        else:
            rm = self.rng.randrange(8)
            if rm == ESP and stack:
                raise Retry()
            plan.regs[rm] = self.cs_off(osz)
            modrm = bytes((0xC0 | (reg << 3) | rm,))
            seg = None
        b = self.prefixes(p66, p67, seg) + b"\xFF" + modrm
        self.emit(plan, lambda a: b, h, decoys=k)
    f_call_Ev = f_jmp_Ev

    def f_ret_near(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        osz = self.osize(p66)
        plan.pushes.append((self.cs_off(osz), osz))
        imm = b""
        if code == 0xC2:
            imm = struct.pack("<H", self.rng.choice((0, 2, 4, 6, 3, 0x10, 0x7E)))
        k = self.rng.randrange(3)
        b = self.prefixes(p66, p67) + self.opbytes(code) + imm
        self.emit(plan, lambda a: b, h, decoys=k)

    def far_sel(self):
        return self.rng.choice(REAL_CODE_SELS)

    def f_jmp_far(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        if code == 0x9A:
            self.want_stack(plan)
        osz = self.osize(p66)
        sel = self.far_sel()
        k = self.rng.randrange(3)
        pf = self.prefixes(p66, p67) + bytes((code,))
        n = len(pf) + osz + 2

        def build(a):
            off = a + n + k - (sel << 4)
            return pf + off.to_bytes(osz, "little") + struct.pack("<H", sel)
        self.emit(plan, build, h, decoys=k)
        self.sel[CS] = sel
    f_call_far = f_jmp_far

    def f_jmp_far_Mp(self, code, reg, h, p66, p67, mem):
        if not mem:
            return self.rm_form(code, reg, h, p66, p67, mem, mod3_ud=True, rsize=0,
                                values=False, access=False)
        plan = Plan()
        osz = self.osize(p66)
        if h == "call_far_Mp":
            self.want_stack(plan, high_ok=not (self.real and not self.asize16(p67)))
        sel = self.far_sel()
        seg = self.seg_override()
        modrm, lin = self.mem_operand(reg, osz + 2, self.asize16(p67), seg, plan)
        plan.stores.append((lin, lambda t: t - (sel << 4), osz))
        plan.stores.append((lin + osz, sel, 2))
        k = self.rng.randrange(3)
        b = self.prefixes(p66, p67, seg) + b"\xFF" + modrm
        self.emit(plan, lambda a: b, h, decoys=k)
        self.sel[CS] = sel
    f_call_far_Mp = f_jmp_far_Mp

    def f_ret_far(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        self.want_stack(plan)
        osz = self.osize(p66)
        sel = self.far_sel()
        plan.pushes.append(((self.rng.getrandbits(16) << 16) | sel, osz))
        plan.pushes.append((lambda t: t - (sel << 4), osz))
        imm = struct.pack("<H", self.rng.choice((0, 2, 4, 0x20))) if code == 0xCA else b""
        k = self.rng.randrange(3)
        b = self.prefixes(p66, p67) + self.opbytes(code) + imm
        self.emit(plan, lambda a: b, h, decoys=k)
        self.sel[CS] = sel

    def f_bound(self, code, reg, h, p66, p67, mem):
        if not mem:
            return self.rm_form(code, reg, h, p66, p67, mem, mod3_ud=True, rsize=0,
                                values=False, access=False)
        plan = Plan()
        osz = self.osize(p66)
        bits = 8 * osz
        regfield = self.rng.randrange(8)
        lo, hi = sorted(self._sx(self.ival(bits), bits) for _ in range(2))
        fault_ok = self.faults and self.rng.random() < 0.3
        idx = self._sx(self.ival(bits), bits) if fault_ok else self.rng.randint(lo, hi)
        if regfield == ESP:
            raise Retry()
        if fault_ok:
            self.want_stack(plan)
        plan.regs[regfield] = (idx & ((1 << bits) - 1)) | (
            self.rng.getrandbits(16) << 16 if osz == 2 else 0)
        seg = self.seg_override()
        modrm, lin = self.mem_operand(regfield, 2 * osz, self.asize16(p67), seg, plan,
                                       avoid={regfield})
        plan.stores.append((lin, lo, osz))
        plan.stores.append((lin + osz, hi, osz))
        b = self.prefixes(p66, p67, seg) + b"\x62" + modrm
        self.emit(plan, lambda a: b, h, may_fault=fault_ok)

    @staticmethod
    def _sx(v, bits):
        return v - (1 << bits) if v >> (bits - 1) else v

    # ---- shifts ----
    def count(self, w):
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice((0, 1, 2, w - 1, w, w + 1, 31, 32, 33))
        return self.rng.randrange(256) if r < 0.5 else self.rng.randrange(w + 2)

    def shift(self, code, reg, h, p66, p67, mem, dbl=False):
        size = 1 if "Eb" in h else self.osize(p66)
        w = 8 * size
        plan = Plan()
        self.rand_flags(plan, 0.3)
        via = "CL" if h.endswith("CL") else "1" if h.endswith("_1") else "Ib"
        n = 1 if via == "1" else self.count(w)
        if dbl and w == 16:
            while (n & 31) > 16:                # undefined result: not generated
                n = self.count(w)
        if via == "CL":
            plan.regs[ECX] = (self.rng.getrandbits(24) << 8) | n
        imm = bytes((n,)) if via == "Ib" else b""
        ctx = {"n": n & 31, "w": w}
        if dbl:
            return self.rm_form(code, reg, h, p66, p67, mem, plan=plan, imm=imm, ctx=ctx,
                                avoid={ECX} if via == "CL" else ())
        if not mem and via == "CL" and self.rng.random() < 0.1:
            # the shifted register is CL/ECX itself
            modrm = bytes((0xC0 | (reg << 3) | ECX,))
            b = self.prefixes(p66, p67) + self.opbytes(code) + modrm
            self.emit(plan, lambda a: b, h, ctx=ctx)
            return
        return self.rm_form(code, reg, h, p66, p67, mem, plan=plan, imm=imm, ctx=ctx,
                            rsize=0, avoid={ECX} if via == "CL" else ())

    def f_shld_Ib(self, code, reg, h, p66, p67, mem):
        return self.shift(code, reg, h, p66, p67, mem, dbl=True)
    f_shld_CL = f_shrd_Ib = f_shrd_CL = f_shld_Ib
    # the C0/C1/D0-D3 group handlers (rol_Eb_1 ... sar_Ev_Ib): set after the class

    # ---- multiply / divide ----
    def f_div_Eb(self, code, reg, h, p66, p67, mem):
        size = 1 if h.endswith("Eb") else self.osize(p66)
        signed = h.startswith("idiv")
        w = 8 * size
        fault_ok = self.faults and self.rng.random() < 0.2
        plan = Plan()
        self.want_stack(plan, high_ok=False) if fault_ok else None
        for _ in range(100):
            d = 0 if fault_ok and self.rng.random() < 0.4 else self.ival(w)
            if not fault_ok and d == 0:
                continue
            dd = self._dividend(d, w, signed, fault_ok)
            if mem:
                regs = self._div_regs(dd, w)
                p = Plan()
                p.regs.update(plan.regs)
                p.regs.update(regs)
                seg = self.seg_override()
                modrm, lin = self.mem_operand(reg, size, self.asize16(p67), seg, p,
                                               avoid={EAX, EDX})
                p.stores.append((lin, d, size))
                p.flags = plan.flags
                b = self.prefixes(p66, p67, seg) + self.opbytes(code) + modrm
                self.emit(p, lambda a: b, h, may_fault=fault_ok, ctx={"w": w})
                return
            rm = self.rng.randrange(8)
            regs = self._div_regs(dd, w)
            full = rm & 3 if size == 1 else rm
            v = regs.get(full, self.rng.getrandbits(32))
            shift = 8 if (size == 1 and rm >= 4) else 0
            m = ((1 << w) - 1) << shift
            v = (v & ~m) | (d << shift)
            regs[full] = v
            if full == ESP and fault_ok:
                continue
            # the divisor may share a register with the dividend: check the final values
            if not fault_ok and self._div_faults(regs, rm, size, signed):
                continue
            p = Plan()
            p.regs.update(plan.regs)
            p.regs.update(regs)
            b = self.prefixes(p66, p67) + self.opbytes(code) + bytes((0xC0 | reg << 3 | rm,))
            self.emit(p, lambda a: b, h, may_fault=fault_ok, ctx={"w": w})
            return
        raise Retry()
    f_div_Ev = f_idiv_Eb = f_idiv_Ev = f_div_Eb

    def _dividend(self, d, w, signed, anything):
        r = self.rng
        if anything:
            return r.getrandbits(2 * w)
        if signed:
            ds = self._sx(d, w)
            q = r.randrange(-(1 << (w - 1)), 1 << (w - 1))
            rem = r.randrange(abs(ds))
            v = q * ds + (rem if (q * ds) >= 0 else -rem)
            if not -(1 << (2 * w - 1)) <= v < (1 << (2 * w - 1)):
                v = q * ds
            return v % (1 << (2 * w))
        q = r.getrandbits(w)
        return q * d + r.randrange(d)

    def _div_regs(self, dd, w):
        """EAX/EDX values holding the dividend dd (random where the width leaves room)."""
        r = self.rng
        if w == 8:
            return {EAX: (r.getrandbits(16) << 16) | dd}
        m = (1 << w) - 1
        hi = (lambda: r.getrandbits(16) << 16) if w == 16 else (lambda: 0)
        return {EAX: (dd & m) | hi(), EDX: (dd >> w) | hi()}

    def _div_faults(self, regs, rm, size, signed):
        w = 8 * size

        def g(r, sz):
            full = r & 3 if sz == 1 else r
            v = regs.get(full, 0)
            return (v >> 8) & 0xFF if sz == 1 and r >= 4 else v & ((1 << (8 * sz)) - 1)
        d = g(rm, size)
        dd = g(EAX, 2) if w == 8 else (g(EDX, size) << w) | g(EAX, size)
        if d == 0:
            return True
        if signed:
            ds, dds = self._sx(d, w), self._sx(dd, 2 * w)
            q = abs(dds) // abs(ds) * (1 if (dds < 0) == (ds < 0) else -1)
            return not -(1 << (w - 1)) <= q < (1 << (w - 1))
        return dd // d >= (1 << w)

    # ---- BCD ----
    def bcd(self, code, reg, h, p66, p67, mem, imm=b""):
        plan = Plan()
        self.set_val(plan, EAX, 4)
        self.set_eflags(plan, 0x2 | (self.rng.getrandbits(12) & (ARITH | DF)))
        fault = imm == b"\x00" and code == 0xD4
        b = self.prefixes(p66, p67) + self.opbytes(code) + imm
        self.emit(plan, lambda a: b, h, may_fault=fault)

    def f_daa(self, code, reg, h, p66, p67, mem):
        return self.bcd(code, reg, h, p66, p67, mem)
    f_das = f_aaa = f_aas = f_daa

    def f_aam(self, code, reg, h, p66, p67, mem):
        r = self.rng.random()
        v = 10 if r < 0.4 else self.rng.randrange(1, 256)
        if self.faults and r > 0.9:
            v = 0
        return self.bcd(code, reg, h, p66, p67, mem, bytes((v,)))
    f_aad = f_aam

    # ---- bit tests ----
    def f_bt_Ev_Gv(self, code, reg, h, p66, p67, mem):
        if not mem:
            return self.rm_form(code, reg, h, p66, p67, mem)
        plan = Plan()
        osz = self.osize(p66)
        bits = 8 * osz
        regfield = self.rng.randrange(8)
        v = self.rng.randrange(-0x4000, 0x4000) if self.rng.random() < 0.7 \
            else self.rng.randrange(-64, 64)
        delta = (v >> (3 + osz // 2)) * osz         # bit offset -> operand displacement
        plan.regs[regfield] = (v & ((1 << bits) - 1)) | (
            self.rng.getrandbits(16) << 16 if osz == 2 else 0)
        seg = self.seg_override()
        t = self.target(osz)
        modrm, lin = self.mem_operand(regfield, osz, self.asize16(p67), seg, plan,
                                       avoid={regfield}, tlin=t - delta, delta=delta)
        if self.rng.random() < 0.5:
            plan.stores.append((t, self.ival(bits), osz))
        lk = h != "bt_Ev_Gv" and self.rng.random() < 0.25
        b = self.prefixes(p66, p67, seg, lk) + self.opbytes(code) + modrm
        self.emit(plan, lambda a: b, h)
    f_bts_Ev_Gv = f_btr_Ev_Gv = f_btc_Ev_Gv = f_bt_Ev_Gv

    def f_bt_Ev_Ib(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem, rsize=0,
                            imm=bytes((self.rng.randrange(256),)))
    f_bts_Ev_Ib = f_btr_Ev_Ib = f_btc_Ev_Ib = f_bt_Ev_Ib

    # ---- string instructions ----
    def string(self, code, reg, h, p66, p67, mem):
        plan = Plan()
        a16 = self.asize16(p67)
        e = 1 if code & 1 == 0 else self.osize(p66)
        kind = h[:4]
        reps = {"movs": (None, 0xF3), "stos": (None, 0xF3), "lods": (None, 0xF3),
                "cmps": (None, 0xF3, 0xF2), "scas": (None, 0xF3, 0xF2)}[kind]
        rep = self.rng.choice(reps)
        n = self.rng.randrange(7) if rep else 1
        if rep:
            c = n | (self.rng.getrandbits(16) << 16 if a16 else 0)
            plan.regs[ECX] = c
        df = self.rng.random() < 0.4
        plan.flags.append(0xFD if df else 0xFC)
        room = 8 * e + 8
        seg = self.seg_override() if kind in ("movs", "cmps", "lods") else None
        src = self.rng.randrange(self.data + room, self.data + DATA_SIZE - room)
        dst = self.rng.randrange(self.data + room, self.data + DATA_SIZE - room)
        for r, lin, sg in ((ESI, src, DS if seg is None else seg), (EDI, dst, ES)):
            off = lin - self.base(sg)
            if (self.real or a16) and not room <= off <= 0xFFFF - room:
                raise Retry()
            plan.regs[r] = (off | (self.rng.getrandbits(16) << 16)) if a16 else off
        if kind in ("cmps", "scas") and self.rng.random() < 0.6:
            # equal elements for a while, so REPE/REPNE run some iterations
            k = self.rng.randrange(n + 1)
            step = -e if df else e
            val = self.ival(8 * e)
            if kind == "scas":
                self.set_val(plan, EAX, e, val)
            for j in range(k):
                v = val if kind == "scas" else self.ival(8 * e)
                plan.stores.append((dst + j * step, v, e))
                if kind == "cmps":
                    plan.stores.append((src + j * step, v if self.rng.random() < 0.8
                                        else self.ival(8 * e), e))
        elif kind in ("stos", "scas"):
            self.set_val(plan, EAX, 4)
        b = self.prefixes(p66, p67, seg, rep=rep) + self.opbytes(code)
        self.emit(plan, lambda a: b, h, rep=True, ctx={"w": 8 * e})
    f_movsb = f_movsw = f_cmpsb = f_cmpsw = f_stosb = f_stosw = string
    f_lodsb = f_lodsw = f_scasb = f_scasw = string

    # ---- system ----
    def f_smsw(self, code, reg, h, p66, p67, mem):
        return self.rm_form(code, reg, h, p66, p67, mem, size=2 if mem else self.osize(p66),
                            rsize=0, values=False)

    def f_sgdt(self, code, reg, h, p66, p67, mem):
        if not mem:
            return self.rm_form(code, reg, h, p66, p67, mem, mod3_ud=True, rsize=0,
                                values=False, access=False)
        return self.rm_form(code, reg, h, p66, p67, mem, size=6, rsize=0, store=False)
    f_sidt = f_sgdt

    def f_invlpg(self, code, reg, h, p66, p67, mem):
        # register operand: #UD, except 0F 01 F9 (RDTSCP in Unicorn, see above)
        return self.rm_form(code, reg, h, p66, p67, mem, mod3_ud=True, rsize=0,
                            access=False, values=False, avoid=() if mem else {ECX})

    def f_sldt(self, code, reg, h, p66, p67, mem):
        if self.real:
            return self.rm_form(code, reg, h, p66, p67, mem, size=2, rsize=0,
                                may_fault=True, values=False, access=mem)
        return self.rm_form(code, reg, h, p66, p67, mem, size=2 if mem else self.osize(p66),
                            rsize=0)
    f_str = f_sldt

    def f_arpl(self, code, reg, h, p66, p67, mem):
        if self.real:
            return self.rm_form(code, reg, h, p66, p67, mem, size=2, rsize=2,
                                may_fault=True)
        return self.rm_form(code, reg, h, p66, p67, mem, size=2, rsize=2)

    def f_mov_Rd_Cd(self, code, reg, h, p66, p67, mem):
        crs = [0, 2, 4] + ([] if self.env.paging else [3])
        fault = self.faults and self.rng.random() < 0.2
        cr = self.rng.choice((1, 5, 6, 7)) if fault else self.rng.choice(crs)
        rm = self.rng.randrange(8)
        plan = Plan()
        if fault:
            self.want_stack(plan, high_ok=False)
            if rm == ESP:
                raise Retry()
        mod = 3 if self.rng.random() < 0.7 else self.rng.randrange(3)   # mod is ignored
        b = self.prefixes(p66, p67) + b"\x0F\x20" + bytes(((mod << 6) | (cr << 3) | rm,))
        self.emit(plan, lambda a: b, h, may_fault=fault,
                  ctx={"cr0_reg": rm if cr == 0 else None})


for _h in GROUPS["shift"]:
    if not hasattr(Emitters, "f_" + _h):
        setattr(Emitters, "f_" + _h, Emitters.shift)


# =====================================================================================
# Environments: identical starting states in pyx86 and Unicorn

def _desc(base, limit, ar):
    return struct.pack("<HHBBBB", limit & 0xFFFF, base & 0xFFFF, (base >> 16) & 0xFF,
                       ar & 0xFF, ((limit >> 16) & 0xF) | ((ar >> 8) & 0xF0), base >> 24)


class RealEnv:
    name = "real"
    real = True
    paging = False
    data = REAL_DATA
    code = REAL_CODE

    def uc_mode(self, U):
        return U.UC_MODE_16

    def uc_maps(self):
        return [(REAL_CODE[0], REAL_CODE[1] - REAL_CODE[0]), (REAL_DATA, DATA_SIZE)]

    def setup_pyx86(self, cpu, mem, st):
        # vector v -> 0040:2v, where a "JMP $" waits: a fault shows as EIP in that page
        mem.load(0, b"".join(struct.pack("<HH", 2 * v, IVT_STUB_SEG) for v in range(256)))
        mem.load(IVT_STUB_SEG << 4, b"\xEB\xFE" * 256)
        cpu.set_dtr("idtr", 0, 0x3FF)
        for sg, n in enumerate(SEG_NAMES):
            cpu.load_seg_real(n, st.segs[sg])
        mem.load(REAL_DATA, st.data)

    def setup_uc(self, uc, X, segs):
        uc.reg_write(X.UC_X86_REG_CR0, 0x60000010)     # pyx86's reset value (ET, CD, NW)
        uc.reg_write(X.UC_X86_REG_GDTR, (0, 0, 0xFFFF, 0))
        uc.reg_write(X.UC_X86_REG_IDTR, (0, 0, 0x3FF, 0))
        for sg in range(6):
            uc.reg_write(UC_SEG(X)[sg], segs[sg])

    def cs_base(self, sel):
        return sel << 4

    def px_data(self, mem):
        return mem.read(REAL_DATA, DATA_SIZE)

    def px_load_data(self, mem, data):
        mem.load(REAL_DATA, bytes(data))

    def px_fault(self, cpu):
        """Vector of the exception pyx86 delivered, or None."""
        if cpu.get_seg("cs")["sel"] == IVT_STUB_SEG and cpu.eip < 512:
            return cpu.eip >> 1
        return None

    def px_resync_cs(self, cpu, sel):
        cpu.load_seg_real("cs", sel)

    def data_phys(self):
        return [(REAL_DATA, REAL_DATA + DATA_SIZE)]


class FlatEnv:
    name = "flat32"
    real = False
    paging = False
    data = PM_DATA
    code = PM_CODE
    GDT_IMAGE = bytes(8) + _desc(0, 0xFFFFF, 0xC09B) + _desc(0, 0xFFFFF, 0xC093)

    def uc_mode(self, U):
        return U.UC_MODE_32

    def uc_maps(self):
        return [(GDT, 0x2000), (PM_DATA, DATA_SIZE), (PM_CODE[0], PM_CODE[1] - PM_CODE[0])]

    def setup_pyx86(self, cpu, mem, st):
        mem.load(GDT, self.GDT_IMAGE)
        # interrupt gates to FLAT_CODE_SEL:STUBS+2v, where a "JMP $" waits
        gates = b"".join(struct.pack("<HHHH", (STUBS + 2 * v) & 0xFFFF, FLAT_CODE_SEL, 0x8E00,
                                     (STUBS + 2 * v) >> 16) for v in range(256))
        mem.load(IDT, gates)
        mem.load(STUBS, b"\xEB\xFE" * 256)
        cpu.set_dtr("gdtr", GDT, len(self.GDT_IMAGE) - 1)
        cpu.set_dtr("idtr", IDT, 0x7FF)
        cpu.set_cr(0, 0x60000011)
        cpu.set_seg("cs", FLAT_CODE_SEL, 0, 0xFFFFFFFF, 0xC09B)
        for n in ("es", "ss", "ds", "fs", "gs"):
            cpu.set_seg(n, FLAT_DATA_SEL, 0, 0xFFFFFFFF, 0xC093)
        self.load_data(mem, st.data)

    def load_data(self, mem, data):
        mem.load(PM_DATA, bytes(data))

    def setup_uc(self, uc, X, segs):
        uc.mem_write(GDT, self.GDT_IMAGE)
        uc.reg_write(X.UC_X86_REG_GDTR, (0, GDT, len(self.GDT_IMAGE) - 1, 0))
        uc.reg_write(X.UC_X86_REG_IDTR, (0, IDT, 0x7FF, 0))
        uc.reg_write(X.UC_X86_REG_CR0, 0x60000011)
        uc.reg_write(X.UC_X86_REG_CR4, 0)       # Unicorn starts with OSFXSR etc.; pyx86 0
        for sg in (ES, SS, DS, FS, GS, CS):
            uc.reg_write(UC_SEG(X)[sg], segs[sg])

    def cs_base(self, sel):
        return 0

    def px_data(self, mem):
        return mem.read(PM_DATA, DATA_SIZE)

    def px_load_data(self, mem, data):
        self.load_data(mem, data)

    def px_fault(self, cpu):
        if STUBS <= cpu.eip < STUBS + 512:
            return (cpu.eip - STUBS) >> 1
        return None

    def px_resync_cs(self, cpu, sel):
        cpu.set_seg("cs", FLAT_CODE_SEL, 0, 0xFFFFFFFF, 0xC09B)

    def data_phys(self):
        return [(PM_DATA, PM_DATA + DATA_SIZE)]


class PagedEnv(FlatEnv):
    """flat32 with paging on in pyx86: identity-mapped, except the data pages, which
    go to shuffled physical frames (so page-crossing accesses really are split)."""
    name = "paged32"
    paging = True

    def setup_pyx86(self, cpu, mem, st):
        super().setup_pyx86(cpu, mem, st)
        pt = [(k << 12) | 7 for k in range(1024)]
        for k, f in enumerate(DATA_FRAMES):
            pt[(PM_DATA >> 12) + k] = f | 7
        mem.load(PAGE_DIR, struct.pack("<I", PAGE_TABLE | 7) + bytes(4092))
        mem.load(PAGE_TABLE, struct.pack("<1024I", *pt))
        cpu.set_cr(3, PAGE_DIR)
        cpu.set_cr(0, 0xE0000011)

    def load_data(self, mem, data):
        for k, f in enumerate(DATA_FRAMES):
            mem.load(f, bytes(data[k << 12:(k + 1) << 12]))

    def px_data(self, mem):
        return b"".join(mem.read(f, 0x1000) for f in DATA_FRAMES)

    def data_phys(self):
        return [(f, f + 0x1000) for f in DATA_FRAMES] + [(PAGE_DIR, PAGE_TABLE + 0x1000)]


ENVS = {e.name: e for e in (RealEnv(), FlatEnv(), PagedEnv())}


def UC_SEG(X):
    """Unicorn's segment register ids in SEG_NAMES order (X: unicorn.x86_const)."""
    return (X.UC_X86_REG_ES, X.UC_X86_REG_CS, X.UC_X86_REG_SS, X.UC_X86_REG_DS,
            X.UC_X86_REG_FS, X.UC_X86_REG_GS)


# =====================================================================================
# Lockstep runner

# QEMU forgets a contributory exception only when it delivers one, which never happens
# under the interrupt hook: the next one would be reported as a double fault. So after
# such an exception the Runner continues in a fresh Unicorn instance.
CONTRIBUTORY = {0, 10, 11, 12, 13, 14}

STOP_SLICE, STOP_HLT, STOP_TRIPLE = 1, 2, 3
HAS_ERR = {8, 10, 11, 12, 13, 14, 17}
CHECK_RAM = ((0, 0x110000), (0x300000, 0x30A000))   # stray-write check: these must not change


class State:
    __slots__ = ("regs", "eip", "eflags", "segs", "mem")


class Runner:
    """Runs a stream in Unicorn and pyx86 in lockstep. uc_only: run Unicorn alone and
    only check that the stream is well formed (faults only where planned, no escaped
    operands): validates the generator for groups pyx86 does not have yet."""

    def __init__(self, stream, uc_only=False):
        import unicorn as U
        from unicorn import x86_const as X
        from cpu.interp import CPU
        from emu.memory import Memory
        self.U, self.X = U, X
        self.st = stream
        self.env = stream.env
        self.errors = []
        self.cur = None
        self.cur_addr = None
        self.uc_start = None          # Unicorn's (EFLAGS, data area) as cur started
        self.uc_last = None           # the same after the last compared instruction
        self.pre = None
        self.started = False
        self.history = []
        self.ninsn = 0
        self.faults = {}              # vector -> count (compared exceptions)
        self.uc_only = uc_only
        st, env = stream, self.env
        self.mem = Memory(RAM_SIZE)
        self.cpu = CPU(self.mem)
        self.mem.load(st.code_base, st.code)
        env.setup_pyx86(self.cpu, self.mem, st)
        for k, n in enumerate(REG_NAMES):
            self.cpu.set_reg(n, st.regs[k])
        self.cpu.eflags = st.eflags
        self.cpu.eip = st.entry - env.cs_base(st.segs[CS])
        self.ram0 = [self.mem.read(a, b - a) for a, b in CHECK_RAM]

        X = self.X
        self.uc_gpr = (X.UC_X86_REG_EAX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX, X.UC_X86_REG_EBX,
                       X.UC_X86_REG_ESP, X.UC_X86_REG_EBP, X.UC_X86_REG_ESI, X.UC_X86_REG_EDI)
        self.uc = self.new_uc(st.regs, st.eflags, st.segs, st.data)
        self.respawn_at = None

    def new_uc(self, regs, eflags, segs, data):
        U, X, st, env = self.U, self.X, self.st, self.env
        uc = U.Uc(U.UC_ARCH_X86, env.uc_mode(U))
        for a, n in env.uc_maps():
            uc.mem_map(a, n)
        uc.mem_write(st.code_base, st.code)
        uc.mem_write(env.data, bytes(data))
        env.setup_uc(uc, X, segs)
        for k in range(8):
            uc.reg_write(self.uc_gpr[k], regs[k])
        uc.reg_write(X.UC_X86_REG_EFLAGS, eflags)
        uc.hook_add(U.UC_HOOK_CODE, self._hook_code)
        uc.hook_add(U.UC_HOOK_INTR, self._hook_intr)
        uc.hook_add(U.UC_HOOK_INSN_INVALID, self._hook_invalid)
        uc.hook_add(U.UC_HOOK_MEM_UNMAPPED, self._hook_unmapped)
        return uc

    # ---- state ----
    def px_state(self, mem):
        c = self.cpu
        s = State()
        s.regs = [c.get_reg(n) for n in REG_NAMES]
        s.eip = c.eip
        s.eflags = c.eflags
        s.segs = [c.get_seg(n)["sel"] for n in SEG_NAMES] if (self.env.real or mem) else None
        s.mem = bytearray(self.env.px_data(self.mem)) if mem else None
        return s

    def uc_state(self, mem):
        uc, X = self.uc, self.X
        s = State()
        s.regs = [uc.reg_read(r) for r in self.uc_gpr]
        s.eip = uc.reg_read(X.UC_X86_REG_EIP)
        s.eflags = uc.reg_read(X.UC_X86_REG_EFLAGS)
        s.segs = [uc.reg_read(r) for r in UC_SEG(X)] if (self.env.real or mem) else None
        s.mem = bytearray(uc.mem_read(self.env.data, DATA_SIZE)) if mem else None
        return s

    # ---- hooks (exceptions are recorded: Unicorn cannot propagate them) ----
    def _guard(self, fn, *a):
        try:
            if not self.errors:
                fn(*a)
        except Exception:
            import traceback
            self.errors.append("harness error:\n" + traceback.format_exc())
        if self.errors:
            self.uc.emu_stop()

    def _hook_code(self, uc, addr, size, _):
        self._guard(self._on_code, addr)

    def _on_code(self, addr):
        if addr == self.cur_addr:
            if not self.cur.rep:
                self.restarted()
            return                    # the same instruction again: a REP iteration
        if self.uc_only:
            if self.cur is not None:
                self.history.append(self.cur)
                self.ninsn += 1
        elif self.cur is not None:
            self.finish(self.cur)
        elif not self.started:
            self.started = True
            self.check(None, self.px_state(True), self.uc_state(True), "initial state")
        if self.errors:
            return
        item = self.st.items.get(addr)
        if item is None:
            self.errors.append(self.report(None, [f"Unicorn went to {addr:#x}, which is "
                                                  "not an instruction of the stream"]))
            return
        self.cur, self.cur_addr = item, addr
        self.uc_start = self.uc_last or (self.uc.reg_read(self.X.UC_X86_REG_EFLAGS),
                                         self.uc.mem_read(self.env.data, DATA_SIZE))
        self.uc_last = None
        if item.handler in DEVIATIONS:
            self.pre = self.uc_state(True)

    def restarted(self):
        """Unicorn runs an instruction again from its start (see "Restarted
        instructions" above): give it back the EFLAGS and memory it had the first time."""
        X, (eflags, mem) = self.X, self.uc_start
        if self.uc.reg_read(X.UC_X86_REG_EFLAGS) != eflags:
            self.uc.reg_write(X.UC_X86_REG_EFLAGS, eflags)
        if self.uc.mem_read(self.env.data, DATA_SIZE) != mem:
            self.uc.mem_write(self.env.data, bytes(mem))

    def _hook_intr(self, uc, intno, _):
        self._guard(self.uc_fault, intno)

    def _hook_invalid(self, uc, _):
        self._guard(self.uc_fault, 6)
        return not self.errors

    def _hook_unmapped(self, uc, access, addr, size, value, _):
        self.errors.append(self.report(self.cur, [
            f"Unicorn accessed unmapped memory at {addr:#x} (size {size}): the generator "
            "let an operand escape the data area"]))
        return False

    # ---- stepping ----
    def px_step(self, item):
        c = self.cpu
        stop = c.run(1)
        if item.rep:
            off = item.addr - item.cs_base
            n = 0
            while stop == STOP_SLICE and c.eip == off and n < 100000:
                stop = c.run(1)
                n += 1
        self.ninsn += 1
        self.history.append(item)
        del self.history[:-6]
        return stop

    def finish(self, item):
        """Unicorn completed item: step pyx86 over it and compare."""
        stop = self.px_step(item)
        if stop == STOP_TRIPLE:
            self.errors.append(self.report(item, ["pyx86 triple-faulted; Unicorn completed "
                                                  "the instruction"]))
            return
        vec = self.env.px_fault(self.cpu)
        if vec is not None:
            self.errors.append(self.report(item, [f"pyx86 raised exception {vec}; Unicorn "
                                                  "completed the instruction"]))
            return
        px, ucs = self.px_state(True), self.uc_state(True)
        corrected = item.handler in DEVIATIONS
        if corrected:
            DEVIATIONS[item.handler](item, self.pre, ucs)    # the manual's answer
        r = self.cr0_reg(item) if self.env.paging else None
        if r is not None:
            ucs.regs[r] |= 0x80000000         # CR0.PG: paging is on in pyx86 only
            corrected = True
        if corrected:
            # carry on from the corrected state
            self.uc.mem_write(self.env.data, bytes(ucs.mem))
            for k in range(8):
                self.uc.reg_write(self.uc_gpr[k], ucs.regs[k])
        self.adopt_undefined(item, px, ucs)
        self.check(item, px, ucs, None)
        self.uc_last = (ucs.eflags, ucs.mem)
        self.cur = None
        self.cur_addr = None

    def adopt_undefined(self, item, px, ucs):
        """Give pyx86 Unicorn's value of what the manual leaves undefined (flags, result
        bits), so that a difference there is not reported at a later instruction that
        merely keeps it (a MOV after a shift keeps its undefined OF)."""
        undef = item.undefined_flags()
        if undef and (px.eflags ^ ucs.eflags) & undef:
            px.eflags = (px.eflags & ~undef) | (ucs.eflags & undef)
            self.cpu.eflags = px.eflags
        res = item.undefined_result()
        if res is not None:
            r, m = res
            px.regs[r] = (px.regs[r] & ~m) | (ucs.regs[r] & m)
            self.cpu.set_reg(REG_NAMES[r], px.regs[r])

    @staticmethod
    def cr0_reg(item):
        return item.ctx.get("cr0_reg") if item.handler == "mov_Rd_Cd" else None

    def uc_fault(self, vec):
        """Unicorn raised exception vec at the current item: pyx86 must do the same."""
        item = self.cur
        if item is None:
            self.errors.append(self.report(None, [f"Unicorn raised exception {vec} outside "
                                                  "the stream"]))
            return
        if self.uc_only:
            if not item.may_fault:
                self.errors.append(self.report(item, [f"unplanned exception {vec}"]))
            self.faults[vec] = self.faults.get(vec, 0) + 1
            self.resume_after(item, vec)
            return
        stop = self.px_step(item)
        pv = self.env.px_fault(self.cpu)
        if stop == STOP_TRIPLE:
            self.errors.append(self.report(item, [f"Unicorn raised exception {vec}; pyx86 "
                                                  "triple-faulted"]))
            return
        if pv is None:
            self.errors.append(self.report(item, [f"Unicorn raised exception {vec}; pyx86 "
                                                  "completed the instruction"]))
            return
        if pv != vec:
            self.errors.append(self.report(item, [f"exception {pv} in pyx86, {vec} in Unicorn"]))
            return
        self.check_fault(item, vec)
        if self.errors:
            return
        self.faults[vec] = self.faults.get(vec, 0) + 1
        # resume both after the faulting instruction, from Unicorn's (untouched) state
        ucs = self.uc_state(True)
        c = self.cpu
        for k, n in enumerate(REG_NAMES):
            c.set_reg(n, ucs.regs[k])
        self.env.px_resync_cs(c, ucs.segs[CS])
        c.eflags = ucs.eflags
        c.eip = item.end - item.cs_base
        self.env.px_load_data(self.mem, ucs.mem)
        self.resume_after(item, vec)

    def resume_after(self, item, vec):
        """Let Unicorn continue after the faulting item (in a new instance, see
        CONTRIBUTORY)."""
        self.uc.reg_write(self.X.UC_X86_REG_EIP, item.end - item.cs_base)
        self.cur = None
        self.cur_addr = None
        if vec in CONTRIBUTORY:
            self.respawn_at = item.end
            self.uc.emu_stop()

    def check_fault(self, item, vec):
        """pyx86 delivered vec: its state must be Unicorn's (which did not execute the
        instruction) plus the exception frame on the stack."""
        px, ucs = self.px_state(True), self.uc_state(True)
        diffs = []
        if self.env.real:
            words, size, w = 3, 2, 0xFFFF
            sp_old = ucs.regs[ESP]
            sp_new = (sp_old & 0xFFFF0000) | ((sp_old - 6) & 0xFFFF)
            frame_lin = (px.segs[SS] << 4) + (sp_new & 0xFFFF)
            cleared = IF | TF | AC_FLAG | RF_FLAG
        else:
            # RF in the pushed image is not compared: newer SDMs set it for faults, the
            # P6-era manual leaves it to the handler
            words = 4 if vec in HAS_ERR else 3
            size, w = 4, 0xFFFFFFFF & ~RF_FLAG
            sp_new = (ucs.regs[ESP] - 4 * words) & 0xFFFFFFFF
            frame_lin = sp_new
            cleared = IF | TF | RF_FLAG | 0x4000 | 0x20000
        expect_frame = [item.addr - item.cs_base, ucs.segs[CS], ucs.eflags & w]
        k = frame_lin - self.env.data
        if not 0 <= k <= DATA_SIZE - words * size:
            diffs.append(f"exception frame at {frame_lin:#x} is outside the data area")
        else:
            got = [int.from_bytes(px.mem[k + j * size:k + (j + 1) * size], "little")
                   for j in range(words)]
            if words == 4:
                got = got[1:]                  # the error code is not compared
            got[2] &= w
            if got != expect_frame:
                diffs.append("exception frame (EIP, CS, EFLAGS) " + " ".join(map(hex, got))
                             + ", expected " + " ".join(map(hex, expect_frame)))
            px.mem[k:k + words * size] = ucs.mem[k:k + words * size]
        ucs.regs[ESP] = sp_new
        px.eip = ucs.eip                       # pyx86 sits in its handler
        px.segs[CS] = ucs.segs[CS]
        self.check(item, px, ucs, "after exception %d" % vec, flag_ignore=cleared, diffs=diffs)

    # ---- comparison ----
    def check(self, item, px, ucs, what, flag_ignore=0, diffs=None):
        diffs = list(diffs or [])
        for k in range(8):
            if px.regs[k] != ucs.regs[k]:
                diffs.append(f"{REG_NAMES[k]}: pyx86 {px.regs[k]:#010x}  "
                             f"unicorn {ucs.regs[k]:#010x}")
        if px.eip != ucs.eip:
            diffs.append(f"eip: pyx86 {px.eip:#x}  unicorn {ucs.eip:#x}")
        undef = item.undefined_flags() if item is not None and what is None else 0
        fd = (px.eflags ^ ucs.eflags) & ~(undef | flag_ignore) & 0xFFFFFFFF
        if fd:
            names = [n for b, n in FLAG_NAMES if fd & b] or [hex(fd)]
            diffs.append(f"eflags: pyx86 {px.eflags:#x}  unicorn {ucs.eflags:#x}  differ in "
                         f"{' '.join(names)}"
                         + (f" (undefined, ignored: {undef:#x})" if undef else ""))
        if px.segs is not None and ucs.segs is not None and px.segs != ucs.segs:
            def sels(v):
                return " ".join(f"{n}={x:04x}" for n, x in zip(SEG_NAMES, v))
            diffs.append(f"selectors: pyx86 {sels(px.segs)}  unicorn {sels(ucs.segs)}")
        if px.mem is not None and ucs.mem is not None and px.mem != ucs.mem:
            bad = [k for k in range(DATA_SIZE) if px.mem[k] != ucs.mem[k]]
            diffs.append(f"memory: {len(bad)} bytes differ: " + ", ".join(
                f"[{self.env.data + k:#x}] pyx86 {px.mem[k]:02x} unicorn {ucs.mem[k]:02x}"
                for k in bad[:8]))
        if diffs:
            self.errors.append(self.report(item, diffs, what))

    def report(self, item, diffs, what=None):
        lines = [f"[{self.env.name} seed={self.st.seed}]" + (f" {what}" if what else "")]
        ctx = self.history[-6:]
        if item is not None and item not in ctx:
            ctx = ctx[1:] + [item]
        for it in ctx:
            mark = "=>" if it is item else "  "
            lines.append(f" {mark} {describe(it, self.env)}")
        lines += ["    " + d for d in diffs]
        return "\n".join(lines)

    # ---- driver ----
    def run(self):
        st = self.st
        begin = st.entry
        while True:
            try:
                self.uc.emu_start(begin, st.end)
            except self.U.UcError as e:
                if not self.errors:
                    self.errors.append(self.report(self.cur, [f"Unicorn stopped: {e}"]))
            if self.errors or self.respawn_at is None:
                break
            begin, self.respawn_at = self.respawn_at, None
            ucs = self.uc_state(True)
            self.uc = self.new_uc(ucs.regs, ucs.eflags, ucs.segs, ucs.mem)
        if not self.errors:
            ucs = self.uc_state(False)
            lin = ucs.eip + self.env.cs_base(self.uc.reg_read(self.X.UC_X86_REG_CS))
            if lin != st.end:
                self.errors.append(self.report(None, [f"Unicorn stopped at {lin:#x}, not at "
                                                      f"the end {st.end:#x}"]))
        if self.errors or self.uc_only:
            return self.errors
        if self.cur is not None:
            self.finish(self.cur)
        if self.errors:
            return self.errors
        px, ucs = self.px_state(True), self.uc_state(True)
        self.check(None, px, ucs, "final state")
        self.check_stray()
        return self.errors

    def check_stray(self):
        skip = self.env.data_phys()
        for (a, b), before in zip(CHECK_RAM, self.ram0):
            now = self.mem.read(a, b - a)
            if now == before:
                continue
            for k in range(b - a):
                if now[k] != before[k] and not any(lo <= a + k < hi for lo, hi in skip):
                    self.errors.append(self.report(None, [
                        f"pyx86 wrote outside the data area: physical {a + k:#x} changed "
                        f"{before[k]:02x} -> {now[k]:02x}"], "stray write"))
                    return


def describe(item, env):
    try:
        import capstone
        md = capstone.Cs(capstone.CS_ARCH_X86,
                         capstone.CS_MODE_16 if env.real else capstone.CS_MODE_32)
        ins = next(md.disasm(item.code, item.addr - item.cs_base), None)
        text = f"{ins.mnemonic} {ins.op_str}" if ins else "(?)"
    except ImportError:
        text = ""
    return f"{item.addr:#07x}: {item.code.hex(' '):<36} {text:<40} [{item.handler}, {item.kind}]"


# =====================================================================================
# Drivers

def variants(code):
    """(p66, p67, mem) combinations worth generating for an opcode."""
    if TABLE[code].modrm:
        return [(p66, p67, mem) for p66 in (0, 1) for mem, p67 in ((0, 0), (1, 0), (1, 1))]
    return [(p66, p67, 0) for p66 in (0, 1) for p67 in (0, 1)]


def build_streams(env, seed, jobs, per_stream=250):
    """Streams holding the jobs (code, reg, handler, p66, p67, mem), in order.
    Returns (streams, emitted) with emitted: set of (code, reg) that made it in."""
    streams, emitted = [], set()
    k = 0
    while k < len(jobs):
        g = Emitters(env, seed * 1000 + len(streams))
        n = 0
        while k < len(jobs) and n < per_stream and not g.full():
            code, reg, h, p66, p67, mem = jobs[k]
            if g.gen(code, reg, h, p66, p67, mem):
                emitted.add((code, reg))
            k += 1
            n += 1
        streams.append(g.finish())
    return streams, emitted


def run_streams(streams, max_errors=5, uc_only=False, faults=None):
    errors = []
    ninsn = 0
    for st in streams:
        r = Runner(st, uc_only=uc_only)
        errs = r.run()
        ninsn += r.ninsn
        if faults is not None:
            for v, n in r.faults.items():
                faults[v] = faults.get(v, 0) + n
        errors += errs
        if len(errors) >= max_errors:
            break
    return errors, ninsn


def group_jobs(group, seed, repeat):
    rng = random.Random(seed)
    jobs = [(c, r, h) + v for c, r, h in forms(group) for v in variants(c) for _ in range(repeat)]
    rng.shuffle(jobs)
    return jobs


def run_group(group, env_name, seed=1, repeat=3, uc_only=False):
    env = ENVS[env_name]
    jobs = group_jobs(group, seed, repeat)
    streams, emitted = build_streams(env, seed, jobs)
    faults = {}
    errors, ninsn = run_streams(streams, uc_only=uc_only, faults=faults)
    return errors, {"forms": len({(c, r) for c, r, *_ in jobs}), "emitted": emitted,
                    "tests": sum(s.ntest for s in streams), "steps": ninsn, "faults": faults}


def fuzz_jobs(groups, seed, n):
    rng = random.Random(seed)
    pool = [(c, r, h) for g in groups for c, r, h in forms(g)]
    jobs = []
    for _ in range(n):
        c, r, h = rng.choice(pool)
        jobs.append((c, r, h) + rng.choice(variants(c)))
    return jobs


def run_fuzz(env_name, groups, seed, nstreams, per_stream=300):
    env = ENVS[env_name]
    errors, total = [], 0
    for k in range(nstreams):
        s = seed * 7919 + k
        streams, _ = build_streams(env, s, fuzz_jobs(groups, s, per_stream), per_stream)
        errs, n = run_streams(streams)
        total += n
        errors += errs
        if len(errors) >= 5:
            break
    return errors, total


_FAULTS_PM = []


def faults_comparable(env):
    """Whether streams for env may contain planned faults: always in real mode; in
    protected mode once pyx86 delivers exceptions through the IDT (cpu/protmode.pxi),
    which a UD2 probe finds out."""
    if env.real:
        return True
    if not _FAULTS_PM:
        g = Generator(env, 0)
        g._add(b"\x0F\x0B", "ud", "test")
        r = Runner(g.finish())
        r.cpu.run(1)
        _FAULTS_PM.append(env.px_fault(r.cpu) == 6)
    return _FAULTS_PM[0]


def groups_with_missing_handlers():
    missing = missing_handlers()
    return {g for g, hs in GROUPS.items() if missing & set(hs)}
