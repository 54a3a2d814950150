"""The opcode table: the one source of truth for decoding x86 instructions.

cpu/gen_optable.py turns this into cpu/optable.pxi (C arrays used by cpu/decode.pxi).
A handler named "x" is the Cython function `op_x` in one of the cpu/ops_*.pxi files.
Opcodes 0x000-0x0FF are one-byte opcodes, 0x100-0x1FF follow a 0F escape.

imm:  None | "b" imm8 | "bs" imm8 sign-extended | "w" imm16 | "z" imm16/32 by operand
      size | "o" offset by address size | "p" far pointer | "wb" imm16 + imm8 (ENTER)
lock: LOCK prefix allowed (with a memory operand); for groups, a set of ModRM.reg values
"""
from dataclasses import dataclass, field


@dataclass
class Op:
    handler: str | None = None          # one handler for the opcode
    group: list | None = None           # or eight handlers chosen by ModRM.reg (None: #UD)
    modrm: bool = False
    imm: str | None = None
    lock: bool | frozenset = False
    imm_test_only: bool = False         # group F6/F7: only /0 and /1 (TEST) have the imm
    modrm_reg: bool = False             # ModRM.mod is ignored: always a register (MOV CR/DR)
    doc: str = ""


TABLE: dict[int, Op] = {}


def op(code, handler, doc="", modrm=False, imm=None, lock=False, modrm_reg=False):
    assert code not in TABLE, hex(code)
    TABLE[code] = Op(handler=handler, modrm=modrm or modrm_reg, imm=imm, lock=lock, doc=doc,
                     modrm_reg=modrm_reg)


def grp(code, handlers, doc="", imm=None, lock=(), imm_test_only=False):
    assert code not in TABLE and len(handlers) == 8, hex(code)
    TABLE[code] = Op(group=list(handlers), modrm=True, imm=imm, lock=frozenset(lock), doc=doc,
                     imm_test_only=imm_test_only)


# ---- arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP (op = opcode bits 3-5) ----
for k in range(8):
    b = k * 8
    lk = k != 7
    op(b + 0, "alu_Eb_Gb", "alu r/m8, r8", modrm=True, lock=lk)
    op(b + 1, "alu_Ev_Gv", "alu r/m, r", modrm=True, lock=lk)
    op(b + 2, "alu_Gb_Eb", "alu r8, r/m8", modrm=True)
    op(b + 3, "alu_Gv_Ev", "alu r, r/m", modrm=True)
    op(b + 4, "alu_AL_Ib", "alu al, imm8", imm="b")
    op(b + 5, "alu_eAX_Iz", "alu eax, imm", imm="z")
ALU8 = ["alu_Eb_Ib"] * 8
grp(0x80, ALU8, "alu r/m8, imm8", imm="b", lock=range(7))
grp(0x81, ["alu_Ev_Iz"] * 8, "alu r/m, imm", imm="z", lock=range(7))
grp(0x82, ALU8, "alu r/m8, imm8 (alias of 80)", imm="b", lock=range(7))
grp(0x83, ["alu_Ev_Iz"] * 8, "alu r/m, simm8", imm="bs", lock=range(7))

# ---- segment register push/pop, BCD ----
op(0x06, "push_sreg", "push es")
op(0x07, "pop_sreg", "pop es")
op(0x0E, "push_sreg", "push cs")
op(0x16, "push_sreg", "push ss")
op(0x17, "pop_sreg", "pop ss")
op(0x1E, "push_sreg", "push ds")
op(0x1F, "pop_sreg", "pop ds")
op(0x27, "daa")
op(0x2F, "das")
op(0x37, "aaa")
op(0x3F, "aas")

for r in range(8):
    op(0x40 + r, "inc_r", "inc r")
    op(0x48 + r, "dec_r", "dec r")
    op(0x50 + r, "push_r", "push r")
    op(0x58 + r, "pop_r", "pop r")
    op(0x90 + r, "xchg_eAX_r" if r else "nop", "xchg eax, r / nop")
    op(0xB0 + r, "mov_r8_Ib", "mov r8, imm8", imm="b")
    op(0xB8 + r, "mov_r_Iz", "mov r, imm", imm="z")
    op(0x1C8 + r, "bswap", "bswap r")

op(0x60, "pusha")
op(0x61, "popa")
op(0x62, "bound", modrm=True)
op(0x63, "arpl", modrm=True)
op(0x68, "push_I", "push imm", imm="z")
op(0x69, "imul_Gv_Ev_I", modrm=True, imm="z")
op(0x6A, "push_I", "push simm8", imm="bs")
op(0x6B, "imul_Gv_Ev_I", modrm=True, imm="bs")
op(0x6C, "insb")
op(0x6D, "insw")
op(0x6E, "outsb")
op(0x6F, "outsw")
for cc in range(16):
    op(0x70 + cc, "jcc", "jcc rel8", imm="bs")
    op(0x180 + cc, "jcc", "jcc rel16/32", imm="z")
    op(0x190 + cc, "setcc", "setcc r/m8", modrm=True)
    op(0x140 + cc, "cmovcc", "cmovcc r, r/m", modrm=True)

op(0x84, "test_Eb_Gb", modrm=True)
op(0x85, "test_Ev_Gv", modrm=True)
op(0x86, "xchg_Eb_Gb", modrm=True, lock=True)
op(0x87, "xchg_Ev_Gv", modrm=True, lock=True)
op(0x88, "mov_Eb_Gb", modrm=True)
op(0x89, "mov_Ev_Gv", modrm=True)
op(0x8A, "mov_Gb_Eb", modrm=True)
op(0x8B, "mov_Gv_Ev", modrm=True)
op(0x8C, "mov_Ew_Sw", modrm=True)
op(0x8D, "lea", modrm=True)
op(0x8E, "mov_Sw_Ew", modrm=True)
grp(0x8F, ["pop_Ev", None, None, None, None, None, None, None])
op(0x98, "cbw")
op(0x99, "cwd")
op(0x9A, "call_far", imm="p")
op(0x9B, "fwait")
op(0x9C, "pushf")
op(0x9D, "popf")
op(0x9E, "sahf")
op(0x9F, "lahf")
op(0xA0, "mov_AL_Ob", imm="o")
op(0xA1, "mov_eAX_Ov", imm="o")
op(0xA2, "mov_Ob_AL", imm="o")
op(0xA3, "mov_Ov_eAX", imm="o")
op(0xA4, "movsb")
op(0xA5, "movsw")
op(0xA6, "cmpsb")
op(0xA7, "cmpsw")
op(0xA8, "test_AL_Ib", imm="b")
op(0xA9, "test_eAX_Iz", imm="z")
op(0xAA, "stosb")
op(0xAB, "stosw")
op(0xAC, "lodsb")
op(0xAD, "lodsw")
op(0xAE, "scasb")
op(0xAF, "scasw")

SHIFTS = ["rol", "ror", "rcl", "rcr", "shl", "shr", "shl", "sar"]   # /6 is SAL (= SHL)
grp(0xC0, [f"{n}_Eb_Ib" for n in SHIFTS], "shift r/m8, imm8", imm="b")
grp(0xC1, [f"{n}_Ev_Ib" for n in SHIFTS], "shift r/m, imm8", imm="b")
op(0xC2, "ret_near", "ret imm16", imm="w")
op(0xC3, "ret_near")
op(0xC4, "les", modrm=True)
op(0xC5, "lds", modrm=True)
grp(0xC6, ["mov_Eb_Ib", None, None, None, None, None, None, None], imm="b")
grp(0xC7, ["mov_Ev_Iz", None, None, None, None, None, None, None], imm="z")
op(0xC8, "enter", imm="wb")
op(0xC9, "leave")
op(0xCA, "ret_far", "retf imm16", imm="w")
op(0xCB, "ret_far")
op(0xCC, "int3")
op(0xCD, "int_Ib", imm="b")
op(0xCE, "into")
op(0xCF, "iret")
grp(0xD0, [f"{n}_Eb_1" for n in SHIFTS], "shift r/m8, 1")
grp(0xD1, [f"{n}_Ev_1" for n in SHIFTS], "shift r/m, 1")
grp(0xD2, [f"{n}_Eb_CL" for n in SHIFTS], "shift r/m8, cl")
grp(0xD3, [f"{n}_Ev_CL" for n in SHIFTS], "shift r/m, cl")
op(0xD4, "aam", imm="b")
op(0xD5, "aad", imm="b")
op(0xD6, "salc", "undocumented: AL = CF ? FF : 00")
op(0xD7, "xlat")
for k in range(8):
    op(0xD8 + k, "esc", "x87 escape", modrm=True)
op(0xE0, "loopnz", imm="bs")
op(0xE1, "loopz", imm="bs")
op(0xE2, "loop", imm="bs")
op(0xE3, "jcxz", imm="bs")
op(0xE4, "in_AL_Ib", imm="b")
op(0xE5, "in_eAX_Ib", imm="b")
op(0xE6, "out_Ib_AL", imm="b")
op(0xE7, "out_Ib_eAX", imm="b")
op(0xE8, "call_near", imm="z")
op(0xE9, "jmp_near", imm="z")
op(0xEA, "jmp_far", imm="p")
op(0xEB, "jmp_near", "jmp rel8", imm="bs")
op(0xEC, "in_AL_DX")
op(0xED, "in_eAX_DX")
op(0xEE, "out_DX_AL")
op(0xEF, "out_DX_eAX")
op(0xF1, "int1", "ICEBP")
op(0xF4, "hlt")
op(0xF5, "cmc")
grp(0xF6, ["test_Eb_Ib", "test_Eb_Ib", "not_Eb", "neg_Eb", "mul_Eb", "imul_Eb", "div_Eb",
           "idiv_Eb"], imm="b", lock={2, 3}, imm_test_only=True)
grp(0xF7, ["test_Ev_Iz", "test_Ev_Iz", "not_Ev", "neg_Ev", "mul_Ev", "imul_Ev", "div_Ev",
           "idiv_Ev"], imm="z", lock={2, 3}, imm_test_only=True)
op(0xF8, "clc")
op(0xF9, "stc")
op(0xFA, "cli")
op(0xFB, "sti")
op(0xFC, "cld")
op(0xFD, "std")
grp(0xFE, ["inc_Eb", "dec_Eb", None, None, None, None, None, None], lock={0, 1})
grp(0xFF, ["inc_Ev", "dec_Ev", "call_Ev", "call_far_Mp", "jmp_Ev", "jmp_far_Mp", "push_Ev",
           None], lock={0, 1})

# ---- two-byte opcodes (0F xx) ----
grp(0x100, ["sldt", "str", "lldt", "ltr", "verr", "verw", None, None])
grp(0x101, ["sgdt", "sidt", "lgdt", "lidt", "smsw", None, "lmsw", "invlpg"])
op(0x102, "lar", modrm=True)
op(0x103, "lsl", modrm=True)
op(0x106, "clts")
op(0x108, "invd")
op(0x109, "wbinvd")
op(0x10B, "ud", "UD2")
for k in range(0x118, 0x120):
    op(k, "nop_Ev", "PREFETCHh (0F 18) and hint NOPs (0F 19-1F)", modrm=True)
op(0x120, "mov_Rd_Cd", modrm_reg=True)
op(0x121, "mov_Rd_Dd", modrm_reg=True)
op(0x122, "mov_Cd_Rd", modrm_reg=True)
op(0x123, "mov_Dd_Rd", modrm_reg=True)
op(0x130, "wrmsr")
op(0x131, "rdtsc")
op(0x132, "rdmsr")
op(0x133, "rdpmc")
op(0x134, "sysenter")
op(0x135, "sysexit")
op(0x1A0, "push_sreg", "push fs")
op(0x1A1, "pop_sreg", "pop fs")
op(0x1A2, "cpuid")
op(0x1A3, "bt_Ev_Gv", modrm=True)
op(0x1A4, "shld_Ib", modrm=True, imm="b")
op(0x1A5, "shld_CL", modrm=True)
op(0x1A8, "push_sreg", "push gs")
op(0x1A9, "pop_sreg", "pop gs")
op(0x1AA, "ud", "RSM: #UD outside SMM (no SMM on this CPU)")
op(0x1AB, "bts_Ev_Gv", modrm=True, lock=True)
op(0x1AC, "shrd_Ib", modrm=True, imm="b")
op(0x1AD, "shrd_CL", modrm=True)
op(0x1AF, "imul_Gv_Ev", modrm=True)
op(0x1B0, "cmpxchg_Eb_Gb", modrm=True, lock=True)
op(0x1B1, "cmpxchg_Ev_Gv", modrm=True, lock=True)
op(0x1B2, "lss", modrm=True)
op(0x1B3, "btr_Ev_Gv", modrm=True, lock=True)
op(0x1B4, "lfs", modrm=True)
op(0x1B5, "lgs", modrm=True)
op(0x1B6, "movzx_Gv_Eb", modrm=True)
op(0x1B7, "movzx_Gv_Ew", modrm=True)
op(0x1B9, "ud", "UD1 (reserved #UD with ModRM)", modrm=True)
grp(0x1BA, [None, None, None, None, "bt_Ev_Ib", "bts_Ev_Ib", "btr_Ev_Ib", "btc_Ev_Ib"],
    imm="b", lock={5, 6, 7})
op(0x1BB, "btc_Ev_Gv", modrm=True, lock=True)
op(0x1BC, "bsf", modrm=True)
op(0x1BD, "bsr", modrm=True)
op(0x1BE, "movsx_Gv_Eb", modrm=True)
op(0x1BF, "movsx_Gv_Ew", modrm=True)
op(0x1C0, "xadd_Eb_Gb", modrm=True, lock=True)
op(0x1C1, "xadd_Ev_Gv", modrm=True, lock=True)
grp(0x1C7, [None, "cmpxchg8b", None, None, None, None, None, None], lock={1})
