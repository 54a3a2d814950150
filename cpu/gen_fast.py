"""Generate cpu/ops_fast_gen.pxi: handlers specialised by operation at decode time.

The generic handlers pick the ALU operation from the opcode and the Jcc, CMOVcc and
SETcc condition from its low nibble on every execution: a data-dependent branch inside one shared
handler, which the host's branch predictor cannot learn per guest instruction. The
generated handlers have the operation as a constant (alu() and cond() are inlined and
fold to one case), and the decoder (cpu/ops_fast.pxi, specialize) puts them into the
decoded instruction. The forms with only register operands end with chain()
(cpu/loop.pxi): threaded dispatch to the next instruction of the block.

Run by setup.py before cythonizing, with gen_optable.py.
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "ops_fast_gen.pxi"

ALU_OPS = ("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp")
CMP = 7
COND = ("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge",
        "le", "g")

# ALU forms: (name, operand bits, destination value, source value, how the result is
# stored: a format of r). A destination None is memory (read-modify-write; the last
# item is then the generic handler for the slow path); a source (offset, generic
# handler) is memory read through host_rd. In the order of the ALU_* form
# constants of cpu/ops_fast.pxi.
ALU_FORMS = (
    ("Ev_Gv_reg", 32, "s.regs[i.rm]", "s.regs[i.reg]", "s.regs[i.rm] = %s"),
    ("Gv_Ev_reg", 32, "s.regs[i.reg]", "s.regs[i.rm]", "s.regs[i.reg] = %s"),
    ("Gv_Ev_mem", 32, "s.regs[i.reg]", ("ea(s, i)", "op_alu_Gv_Ev"), "s.regs[i.reg] = %s"),
    ("Ev_Iz_reg", 32, "s.regs[i.rm]", "i.imm", "s.regs[i.rm] = %s"),
    ("Gv_Ev_bd", 32, "s.regs[i.reg]", ("ea_bd(s, i)", "op_alu_Gv_Ev"), "s.regs[i.reg] = %s"),
    ("Gb_Eb_reg", 8, "get_reg(s, i.reg, 1)", "get_reg(s, i.rm, 1)", "set_reg(s, i.reg, %s, 1)"),
    ("Gb_Eb_mem", 8, "get_reg(s, i.reg, 1)", ("ea(s, i)", "op_alu_Gb_Eb"),
     "set_reg(s, i.reg, %s, 1)"),
    ("AL_Ib", 8, "s.regs[EAX] & 0xFF", "i.imm", "set_reg(s, EAX, %s, 1)"),
    ("eAX_Iz", 32, "s.regs[EAX]", "i.imm", "s.regs[EAX] = %s"),
    ("Ev_Gv_mem", 32, None, "s.regs[i.reg]", "op_alu_Ev_Gv"),
    ("Ev_Iz_mem", 32, None, "i.imm", "op_alu_Ev_Iz"),
    # 16-bit operands (real mode, 16-bit code): the same forms on the low words
    ("Ev_Gv_reg", 16, "get_reg(s, i.rm, 2)", "get_reg(s, i.reg, 2)", "set_reg(s, i.rm, %s, 2)"),
    ("Gv_Ev_reg", 16, "get_reg(s, i.reg, 2)", "get_reg(s, i.rm, 2)", "set_reg(s, i.reg, %s, 2)"),
    ("Gv_Ev_mem", 16, "get_reg(s, i.reg, 2)", ("ea(s, i)", "op_alu_Gv_Ev"),
     "set_reg(s, i.reg, %s, 2)"),
    ("Ev_Iz_reg", 16, "get_reg(s, i.rm, 2)", "i.imm", "set_reg(s, i.rm, %s, 2)"),
    ("eAX_Iz", 16, "get_reg(s, EAX, 2)", "i.imm", "set_reg(s, EAX, %s, 2)"),
    ("Ev_Gv_mem", 16, None, "get_reg(s, i.reg, 2)", "op_alu_Ev_Gv"),
    ("Ev_Iz_mem", 16, None, "i.imm", "op_alu_Ev_Iz"),
)


def alu_handler(op, form, bits, dst, src, store):
    """A memory destination (dst None) goes through the fast TLB view for writes (a
    writable page is readable); a miss runs the generic handler, which does the whole
    instruction through the slow path (nothing has changed yet)."""
    name = "op%d_%s_%s" % (bits, ALU_OPS[op], form)
    lines = ["cdef void %s(CPUState* s, Insn* i) noexcept nogil:" % name]
    n = bits // 8
    if dst is None and op == CMP:
        lines += ["    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), %d)" % n,
                  "    cdef uint%d_t v" % bits,
                  "    if h == NULL:",
                  "        %s(s, i)" % store,
                  "        return",
                  "    memcpy(&v, h, %d)" % n,
                  "    alu(s, 7, v, %s, %d)" % (src, bits),
                  "    chain(s, i)"]
    elif dst is None:
        lines += ["    cdef uint8_t* h = host_wr(s, i.seg, ea(s, i), %d)" % n,
                  "    cdef uint%d_t v" % bits,
                  "    if h == NULL:",
                  "        %s(s, i)" % store,
                  "        return",
                  "    memcpy(&v, h, %d)" % n,
                  "    v = <uint%d_t>alu(s, %d, v, %s, %d)" % (bits, op, src, bits),
                  "    memcpy(h, &v, %d)" % n,
                  "    chain(s, i)"]
    else:
        if isinstance(src, tuple):
            offset, generic = src
            lines += ["    cdef uint8_t* h = host_rd(s, i.seg, %s, %d)" % (offset, bits // 8),
                      "    cdef uint%d_t x" % bits,
                      "    if h == NULL:",
                      "        %s(s, i)" % generic,
                      "        return",
                      "    memcpy(&x, h, %d)" % (bits // 8)]
            src = "x"
        body = "alu(s, %d, %s, %s, %d)" % (op, dst, src, bits)
        lines.append("    " + (body if op == CMP else store % body))
        lines.append("    chain(s, i)")             # threaded (cpu/loop.pxi)
    return name, lines


def jcc_handler(cc):
    name = "op_j%s" % COND[cc]
    return name, ["cdef void %s(CPUState* s, Insn* i) noexcept nogil:" % name,
                  "    if cond(s, %d):" % cc,
                  "        jump_near(s, s.eip + i.imm, i.osize)"]


def cond_handlers(cc):
    """CMOVcc (32-bit operands: register and memory source; the memory source is read,
    and may fault, whatever the condition) and SETcc, for condition cc."""
    c = COND[cc]
    return [
        ("op32_cmov%s_reg" % c, ["    if cond(s, %d):" % cc,
                                 "        s.regs[i.reg] = s.regs[i.rm]",
                                 "    chain(s, i)"]),
        ("op32_cmov%s_mem" % c, ["    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), 4)",
                                 "    if h == NULL:",
                                 "        op_cmovcc(s, i)",
                                 "        return",
                                 "    if cond(s, %d):" % cc,
                                 "        memcpy(&s.regs[i.reg], h, 4)",
                                 "    chain(s, i)"]),
        ("op_set%s" % c, ["    rm_write(s, i, cond(s, %d), 1)" % cc]),
    ]


def generate():
    out = ["# Generated by cpu/gen_fast.py; do not edit.", ""]
    init = ["cdef void init_fast_tables() noexcept nogil:"]
    for op in range(8):
        for k, (form, bits, dst, src, store) in enumerate(ALU_FORMS):
            name, code = alu_handler(op, form, bits, dst, src, store)
            out += code + ["", ""]
            init.append("    alu_fn[%d * ALU_FORMS + %d] = %s" % (op, k, name))
    for cc in range(16):
        name, code = jcc_handler(cc)
        out += code + ["", ""]
        init.append("    jcc_fn[%d] = %s" % (cc, name))
        for k, (name, body) in enumerate(cond_handlers(cc)):
            out += ["cdef void %s(CPUState* s, Insn* i) noexcept nogil:" % name] + body + ["", ""]
            init.append("    cond_fn[%d * 3 + %d] = %s" % (cc, k, name))
    return "\n".join(out + init) + "\n"


def main():
    text = generate()
    if not OUT.exists() or OUT.read_text() != text:
        OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
