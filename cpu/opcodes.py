"""The opcode table: the one source of truth for decoding x86 instructions.

cpu/gen_optable.py turns this into cpu/optable.pxi (C arrays used by cpu/decode.pxi).
A handler named "x" is the Cython function `op_x` in one of the cpu/ops_*.pxi files.
Opcodes 0x000-0x0FF are one-byte opcodes, 0x100-0x1FF follow a 0F escape.

SSE-family opcodes (sse()) have up to four handlers, chosen by the mandatory prefix:
none / 66 / F3 / F2 (cpu/decode.pxi picks it; a missing variant is #UD). A group can
have separate handlers for its register forms (grp(..., reg_forms=...)).

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
    sse: list | None = None             # or handlers by mandatory prefix: none, 66, F3, F2
    reg_forms: list | None = None       # group handlers for ModRM.mod == 3 (None: #UD)
    doc: str = ""


TABLE: dict[int, Op] = {}


def op(code, handler, doc="", modrm=False, imm=None, lock=False, modrm_reg=False):
    assert code not in TABLE, hex(code)
    TABLE[code] = Op(handler=handler, modrm=modrm or modrm_reg, imm=imm, lock=lock, doc=doc,
                     modrm_reg=modrm_reg)


def grp(code, handlers, doc="", imm=None, lock=(), imm_test_only=False, reg_forms=None):
    assert code not in TABLE and len(handlers) == 8, hex(code)
    assert reg_forms is None or len(reg_forms) == 8
    TABLE[code] = Op(group=list(handlers), modrm=True, imm=imm, lock=frozenset(lock), doc=doc,
                     imm_test_only=imm_test_only, reg_forms=reg_forms)


def sse(code, none=None, p66=None, f3=None, f2=None, doc="", modrm=True, imm=None):
    """An opcode whose meaning depends on its mandatory prefix (SDM vol. 2A, 2.1.2): the
    handler for no prefix, 66, F3 and F2. A handler serving several variants reads
    Insn.mp (0-3 in that order). LOCK is never allowed."""
    assert code not in TABLE, hex(code)
    TABLE[code] = Op(sse=[none, p66, f3, f2], modrm=modrm, imm=imm, doc=doc)


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
op(0x1AA, "rsm", "RSM: leave SMM (#UD outside it)")
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

# ---- MMX, SSE, SSE2 (cpu/ops_mmx.pxi, cpu/ops_sse.pxi) ----
# Packed integer instructions: MMX registers without a prefix, XMM registers with 66.
PINT = {
    0x60: "punpcklbw", 0x61: "punpcklwd", 0x62: "punpckldq", 0x63: "packsswb",
    0x64: "pcmpgtb", 0x65: "pcmpgtw", 0x66: "pcmpgtd", 0x67: "packuswb",
    0x68: "punpckhbw", 0x69: "punpckhwd", 0x6A: "punpckhdq", 0x6B: "packssdw",
    0x74: "pcmpeqb", 0x75: "pcmpeqw", 0x76: "pcmpeqd",
    0xD1: "psrlw", 0xD2: "psrld", 0xD3: "psrlq", 0xD4: "paddq (SSE2)", 0xD5: "pmullw",
    0xD8: "psubusb", 0xD9: "psubusw", 0xDA: "pminub (SSE)", 0xDB: "pand",
    0xDC: "paddusb", 0xDD: "paddusw", 0xDE: "pmaxub (SSE)", 0xDF: "pandn",
    0xE0: "pavgb (SSE)", 0xE1: "psraw", 0xE2: "psrad", 0xE3: "pavgw (SSE)",
    0xE4: "pmulhuw (SSE)", 0xE5: "pmulhw", 0xE8: "psubsb", 0xE9: "psubsw",
    0xEA: "pminsw (SSE)", 0xEB: "por", 0xEC: "paddsb", 0xED: "paddsw", 0xEE: "pmaxsw (SSE)",
    0xEF: "pxor", 0xF1: "psllw", 0xF2: "pslld", 0xF3: "psllq", 0xF4: "pmuludq (SSE2)",
    0xF5: "pmaddwd", 0xF6: "psadbw (SSE)", 0xF8: "psubb", 0xF9: "psubw", 0xFA: "psubd",
    0xFB: "psubq (SSE2)", 0xFC: "paddb", 0xFD: "paddw", 0xFE: "paddd",
}
for _k, _name in PINT.items():
    sse(0x100 + _k, none="pint", p66="pint", doc=_name)
sse(0x16C, p66="pint", doc="punpcklqdq")
sse(0x16D, p66="pint", doc="punpckhqdq")
sse(0x16E, none="movd_load", p66="movd_load", doc="movd mm/xmm, r/m32")
sse(0x16F, none="movq_mm_load", p66="movdq_load", f3="movdq_load",
    doc="movq mm, mm/m64 / movdqa / movdqu (load)")
sse(0x170, none="pshuf", p66="pshuf", f3="pshuf", f2="pshuf", imm="b",
    doc="pshufw / pshufd / pshufhw / pshuflw")
for _k in (0x171, 0x172, 0x173):
    sse(_k, none="pshift_imm", p66="pshift_imm", imm="b",
        doc="shift groups by imm8 (/2 psrl, /4 psra, /6 psll; 73: /3 psrldq, /7 pslldq)")
op(0x177, "emms")
sse(0x17E, none="movd_store", p66="movd_store", f3="movq_xmm_load",
    doc="movd r/m32, mm/xmm / movq xmm, xmm/m64")
sse(0x17F, none="movq_mm_store", p66="movdq_store", f3="movdq_store",
    doc="movq mm/m64, mm / movdqa / movdqu (store)")
sse(0x1C4, none="pinsrw", p66="pinsrw", imm="b")
sse(0x1C5, none="pextrw", p66="pextrw", imm="b")
sse(0x1D6, p66="movq_xmm_store", f3="movq2dq", f2="movdq2q",
    doc="movq xmm/m64, xmm / movq2dq / movdq2q")
sse(0x1D7, none="pmovmskb", p66="pmovmskb")
sse(0x1E7, none="movnt", p66="movnt", doc="movntq / movntdq")
sse(0x1F7, none="maskmov", p66="maskmov", doc="maskmovq / maskmovdqu")
op(0x1C3, "movnti", modrm=True)
op(0x138, "ud", "three-byte opcodes (SSSE3 and later): not on this CPU", modrm=True)
op(0x13A, "ud", "three-byte opcodes (SSE4 and later): not on this CPU", modrm=True)

# Floating point: ps (none), pd (66), ss (F3), sd (F2)
ALL4 = dict(none="sse_fp", p66="sse_fp", f3="sse_fp", f2="sse_fp")
sse(0x110, none="movu_load", p66="movu_load", f3="movs_load", f2="movs_load",
    doc="movups / movupd / movss / movsd (load)")
sse(0x111, none="movu_store", p66="movu_store", f3="movs_store", f2="movs_store")
sse(0x112, none="movlps_load", p66="movlps_load", doc="movlps / movhlps / movlpd")
sse(0x113, none="movlps_store", p66="movlps_store")
sse(0x114, none="unpckp", p66="unpckp", doc="unpcklps / unpcklpd")
sse(0x115, none="unpckp", p66="unpckp", doc="unpckhps / unpckhpd")
sse(0x116, none="movhps_load", p66="movhps_load", doc="movhps / movlhps / movhpd")
sse(0x117, none="movhps_store", p66="movhps_store")
sse(0x128, none="mova_load", p66="mova_load", doc="movaps / movapd")
sse(0x129, none="mova_store", p66="mova_store")
sse(0x12A, none="cvt", p66="cvt", f3="cvt", f2="cvt", doc="cvtpi2ps cvtpi2pd cvtsi2ss cvtsi2sd")
sse(0x12B, none="movnt", p66="movnt", doc="movntps / movntpd")
sse(0x12C, none="cvt", p66="cvt", f3="cvt", f2="cvt", doc="cvttps2pi cvttpd2pi cvttss2si cvttsd2si")
sse(0x12D, none="cvt", p66="cvt", f3="cvt", f2="cvt", doc="cvtps2pi cvtpd2pi cvtss2si cvtsd2si")
sse(0x12E, none="comis", p66="comis", doc="ucomiss / ucomisd")
sse(0x12F, none="comis", p66="comis", doc="comiss / comisd")
sse(0x150, none="movmskp", p66="movmskp")
sse(0x151, **ALL4, doc="sqrt")
sse(0x152, none="sse_fp", f3="sse_fp", doc="rsqrtps / rsqrtss")
sse(0x153, none="sse_fp", f3="sse_fp", doc="rcpps / rcpss")
for _k in range(0x154, 0x158):
    sse(_k, none="logicp", p66="logicp", doc="andps andnps orps xorps (and pd)")
for _k in (0x158, 0x159, 0x15C, 0x15D, 0x15E, 0x15F):
    sse(_k, **ALL4, doc="add mul sub min div max")
sse(0x15A, none="cvt", p66="cvt", f3="cvt", f2="cvt", doc="cvtps2pd cvtpd2ps cvtss2sd cvtsd2ss")
sse(0x15B, none="cvt", p66="cvt", f3="cvt", doc="cvtdq2ps cvtps2dq cvttps2dq")
sse(0x1C2, **ALL4, imm="b", doc="cmpps / cmppd / cmpss / cmpsd")
sse(0x1C6, none="shufp", p66="shufp", imm="b")
sse(0x1E6, p66="cvt", f3="cvt", f2="cvt", doc="cvttpd2dq cvtdq2pd cvtpd2dq")
grp(0x1AE, ["fxsave", "fxrstor", "ldmxcsr", "stmxcsr", None, None, None, "clflush"],
    reg_forms=[None, None, None, None, None, "fence", "fence", "fence"],
    doc="FXSAVE FXRSTOR LDMXCSR STMXCSR CLFLUSH; LFENCE MFENCE SFENCE")
