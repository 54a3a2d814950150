"""Generate cpu/ops_x87_host_gen.pxi: the x87 instructions the host x87 executes as
themselves (see cpu/x87_host.pxi).

One handler per register form (opcode and ModRM byte, so the ST(i) operand is a
constant) and per memory form (opcode and ModRM.reg), each with its C primitive: the
guest's opcode and ModRM byte as .byte directives. A memory form's ModRM becomes
mod 00, rm 000 - the operand at [RAX], where the handler puts the TLB's host pointer
to the guest operand. The decoder (cpu/ops_fast.pxi, specialize) puts the handler
into the decoded instruction; x87_host_fn[] holds them by (opcode & 7) * 64 +
(ModRM & 3Fh) for mod 3 and 512 + (opcode & 7) * 8 + reg for memory operands.

Left to the generic handler (op_esc): the control instructions that read or write
the environment (FLDENV FNSTENV FRSTOR FNSAVE FNINIT FNCLEX, the 8087/287 no-ops),
FSIN FCOS FSINCOS FPTAN when pi/4 < |ST(0)| (whose host argument reduction may
differ, cpu/fpu.pxi: the handlers check first, x87_host.pxi's hx87_trig_host), the
undocumented aliases (FSTP1 FCOM2 FCOMP3 FXCH4 FCOMP5 FFREEP FXCH7 FSTP8 FSTP9),
reserved encodings and FISTTP (#UD). FNSTSW, FNSTCW and FLDCW are in x87_host.pxi.

Run by setup.py before cythonizing, with gen_optable.py and gen_fast.py.
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "ops_x87_host_gen.pxi"


def reg_forms():
    """(opcode, ModRM, kind) for mod 3: kind "op" runs the bytes, "cmov" first loads the
    guest's CF PF ZF into the host (SAHF), "comi" returns the host's (LAHF), "trig"
    runs them only for an operand the host reduces as the guest must."""
    forms = []

    def add(op, reg, rms, kind="op"):
        forms.extend((op, 0xC0 | reg << 3 | rm, kind) for rm in rms)

    every = range(8)
    for reg in range(8):
        add(0xD8, reg, every)                   # FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR
    for reg in (0, 1, 4, 5, 6, 7):
        add(0xDC, reg, every)                   # ST(i) = ST(i) op ST(0)
        add(0xDE, reg, every)                   # the same, then pop
    add(0xDE, 3, [1])                           # FCOMPP
    add(0xD9, 0, every)                         # FLD ST(i)
    add(0xD9, 1, every)                         # FXCH
    add(0xD9, 2, [0])                           # FNOP
    add(0xD9, 4, [0, 1, 4, 5])                  # FCHS FABS FTST FXAM
    add(0xD9, 5, range(7))                      # FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ
    add(0xD9, 6, [0, 1, 3, 4, 5, 6, 7])         # F2XM1 FYL2X FPATAN FXTRACT FPREM1 FDECSTP FINCSTP
    add(0xD9, 7, [0, 1, 2, 4, 5])               # FPREM FYL2XP1 FSQRT FRNDINT FSCALE
    add(0xD9, 6, [2], "trig")                   # FPTAN
    add(0xD9, 7, [3, 6, 7], "trig")             # FSINCOS FSIN FCOS
    add(0xDA, 5, [1])                           # FUCOMPP
    add(0xDD, 0, every)                         # FFREE
    add(0xDD, 2, every)                         # FST ST(i)
    add(0xDD, 3, every)                         # FSTP ST(i)
    add(0xDD, 4, every)                         # FUCOM
    add(0xDD, 5, every)                         # FUCOMP
    for reg in range(4):
        add(0xDA, reg, every, "cmov")           # FCMOVB FCMOVE FCMOVBE FCMOVU
        add(0xDB, reg, every, "cmov")           # FCMOVNB FCMOVNE FCMOVNBE FCMOVNU
    for op in (0xDB, 0xDF):
        add(op, 5, every, "comi")               # FUCOMI, FUCOMIP
        add(op, 6, every, "comi")               # FCOMI, FCOMIP
    return forms


# memory forms: (opcode, reg, operand bytes, written)
MEM_FORMS = (
    [(0xD8, reg, 4, False) for reg in range(8)] +      # m32 real
    [(0xDA, reg, 4, False) for reg in range(8)] +      # m32 integer
    [(0xDC, reg, 8, False) for reg in range(8)] +      # m64 real
    [(0xDE, reg, 2, False) for reg in range(8)] +      # m16 integer
    [(0xD9, 0, 4, False), (0xD9, 2, 4, True), (0xD9, 3, 4, True),       # FLD FST FSTP m32
     (0xDB, 0, 4, False), (0xDB, 2, 4, True), (0xDB, 3, 4, True),       # FILD FIST FISTP m32
     (0xDB, 5, 10, False), (0xDB, 7, 10, True),                         # FLD FSTP m80
     (0xDD, 0, 8, False), (0xDD, 2, 8, True), (0xDD, 3, 8, True),       # FLD FST FSTP m64
     (0xDF, 0, 2, False), (0xDF, 2, 2, True), (0xDF, 3, 2, True),       # FILD FIST FISTP m16
     (0xDF, 4, 10, False), (0xDF, 6, 10, True),                         # FBLD FBSTP
     (0xDF, 5, 8, False), (0xDF, 7, 8, True)])                          # FILD FISTP m64

# hand-written in x87_host.pxi: (index in x87_host_fn, handler)
SPECIAL = ((7 * 64 + (0xE0 & 0x3F), "x87h_fnstsw_ax"), (512 + 5 * 8 + 7, "x87h_fnstsw_m"),
           (512 + 1 * 8 + 7, "x87h_fnstcw"), (512 + 1 * 8 + 5, "x87h_fldcw"))


def reg_form(op, modrm, kind):
    name = "%02X_%02X" % (op, modrm)
    insn = ".byte 0x%02X, 0x%02X" % (op, modrm)
    if kind in ("op", "trig"):
        c = ('static inline void x87r_%s(void) { __asm__ volatile("%s" : : : "memory"); }'
             % (name, insn))
        call = "x87r_%s()" % name
    elif kind == "cmov":
        c = ('static inline void x87r_%s(uint8_t f) { __asm__ volatile("movb %%0, %%%%ah; '
             'sahf; %s" : : "r"(f) : "eax", "cc", "memory"); }' % (name, insn))
        call = "x87r_%s(x87_host_cc(s))" % name
    else:
        c = ('static inline uint8_t x87r_%s(void) { uint8_t f; __asm__ volatile("%s; lahf; '
             'movb %%%%ah, %%0" : "=r"(f) : : "eax", "cc", "memory"); return f; }'
             % (name, insn))
        call = "set_arith_flags(s, x87r_%s() & (F_ZF | F_PF | F_CF))" % name
    decl = "    %s x87r_%s(%s) noexcept nogil" % (
        "uint8_t" if kind == "comi" else "void", name, "uint8_t f" if kind == "cmov" else "")
    handler = [
        "cdef void x87h_%s(CPUState* s, Insn* i) noexcept nogil:" % name,
        "    if not x87_host_ready(s)%s:" % (" or not hx87_trig_host()" if kind == "trig" else ""),
        "        op_esc(s, i)",
        "        return",
        "    %s" % call,
        "    x87_host_done(s, 0x%03X)" % ((op & 7) << 8 | modrm),
        "    chain(s, i)",
    ]
    return c, decl, handler, ((op & 7) * 64 + (modrm & 0x3F), "x87h_" + name)


def mem_form(op, reg, size, written):
    name = "%02X_m%d" % (op, reg)
    c = ('static inline void x87m_%s(void* p) { __asm__ volatile(".byte 0x%02X, 0x%02X" '
         ': : "a"(p) : "memory"); }' % (name, op, reg << 3))
    decl = "    void x87m_%s(void* p) noexcept nogil" % name
    handler = [
        "cdef void x87h_%s(CPUState* s, Insn* i) noexcept nogil:" % name,
        "    cdef uint32_t off",
        "    cdef uint8_t* p",
        "    if x87_host_ready(s):",
        "        off = ea(s, i)",
        "        p = host_%s(s, i.seg, off, %d)" % ("wr" if written else "rd", size),
        "        if p != NULL:",
        "            x87m_%s(p)" % name,
        "            x87_host_done_m(s, i, off)",
        "            chain(s, i)",
        "            return",
        "    op_esc(s, i)        # off the fast path: the generic handler does it all",
    ]
    return c, decl, handler, (512 + (op & 7) * 8 + reg, "x87h_" + name)


def generate():
    forms = [reg_form(*f) for f in reg_forms()] + [mem_form(*f) for f in MEM_FORMS]
    out = ["# Generated by cpu/gen_x87.py - do not edit.", "",
           "cdef extern from *:", '    """']
    out += ["    " + c for c, _, _, _ in forms]
    out += ['    """']
    out += [decl for _, decl, _, _ in forms]
    out += ["", "", "cdef handler_t x87_host_fn[576]", "", ""]
    for _, _, handler, _ in forms:
        out += handler + ["", ""]
    out += ["cdef void init_x87_host():",
            "    memset(x87_host_fn, 0, sizeof(x87_host_fn))"]
    out += ["    x87_host_fn[%d] = %s" % entry for _, _, _, entry in forms]
    out += ["    x87_host_fn[%d] = %s" % entry for entry in SPECIAL]
    return "\n".join(out) + "\n"


def main():
    text = generate()
    if not OUT.exists() or OUT.read_text() != text:
        OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
