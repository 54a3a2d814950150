# Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP, INC DEC NOT NEG TEST
# (included by cpu/interp.pyx). Flags are lazy (cpu/flags.pxi).
#
# Read-modify-write memory operands are translated for writing before the read, so a
# fault leaves memory and registers untouched.

cdef inline uint32_t alu(CPUState* s, int op, uint32_t d, uint32_t x, int bits) noexcept nogil:
    """ALU operation op (opcode bits 3-5) on d and x; returns the result, sets flags."""
    cdef uint32_t m = size_mask(bits), r, c
    if op == 0:
        r = (d + x) & m
        set_lazy(s, LF_ADD, d, x, r, bits)
    elif op == 1:
        r = d | x
        set_lazy(s, LF_LOGIC, d, x, r, bits)
    elif op == 2:
        c = get_cf(s)
        r = (d + x + c) & m
        set_lazy(s, LF_ADD, d, x, r, bits)
    elif op == 3:
        c = get_cf(s)
        r = (d - x - c) & m
        set_lazy(s, LF_SUB, d, x, r, bits)
    elif op == 4:
        r = d & x
        set_lazy(s, LF_LOGIC, d, x, r, bits)
    elif op == 6:
        r = d ^ x
        set_lazy(s, LF_LOGIC, d, x, r, bits)
    else:                                  # SUB and CMP
        r = (d - x) & m
        set_lazy(s, LF_SUB, d, x, r, bits)
    return r


cdef inline void alu_rm(CPUState* s, Insn* i, int op, uint32_t x, int size) noexcept nogil:
    """r/m = r/m <op> x (CMP only compares)."""
    cdef uint32_t lin, r
    if i.mod == 3:
        r = alu(s, op, get_reg(s, i.rm, size), x, 8 * size)
        if op != 7:
            set_reg(s, i.rm, r, size)
    elif op == 7:
        alu(s, op, vrd(s, i.seg, ea(s, i), size), x, 8 * size)
    else:
        lin = seg_check(s, i.seg, ea(s, i), size, 1)
        probe_write(s, lin, size)
        wr(s, lin, alu(s, op, rd(s, lin, size), x, 8 * size), size)


cdef void op_alu_Eb_Gb(CPUState* s, Insn* i) noexcept nogil:
    alu_rm(s, i, (i.op >> 3) & 7, get_reg(s, i.reg, 1), 1)


cdef void op_alu_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    alu_rm(s, i, (i.op >> 3) & 7, get_reg(s, i.reg, i.osize), i.osize)


cdef void op_alu_Gb_Eb(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, get_reg(s, i.reg, 1), rm_read(s, i, 1), 8)
    if op != 7:
        set_reg(s, i.reg, r, 1)


cdef void op_alu_Gv_Ev(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, get_reg(s, i.reg, i.osize), rm_read(s, i, i.osize), 8 * i.osize)
    if op != 7:
        set_reg(s, i.reg, r, i.osize)


cdef void op_alu_AL_Ib(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, s.regs[EAX] & 0xFF, i.imm, 8)
    if op != 7:
        set_reg(s, EAX, r, 1)


cdef void op_alu_eAX_Iz(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, get_reg(s, EAX, i.osize), i.imm, 8 * i.osize)
    if op != 7:
        set_reg(s, EAX, r, i.osize)


cdef void op_alu_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    alu_rm(s, i, i.reg, i.imm, 1)


cdef void op_alu_Ev_Iz(CPUState* s, Insn* i) noexcept nogil:
    alu_rm(s, i, i.reg, i.imm, i.osize)


# ---- INC / DEC: CF is preserved ----
cdef inline uint32_t incdec(CPUState* s, uint32_t d, int bits, bint dec) noexcept nogil:
    cdef uint32_t cf = get_cf(s)
    cdef uint32_t r
    s.flags = (s.flags & ~(<uint32_t>F_CF)) | cf
    if dec:
        r = (d - 1) & size_mask(bits)
        set_lazy(s, LF_DEC, d, 1, r, bits)
    else:
        r = (d + 1) & size_mask(bits)
        set_lazy(s, LF_INC, d, 1, r, bits)
    return r


cdef inline void incdec_rm(CPUState* s, Insn* i, int size, bint dec) noexcept nogil:
    cdef uint32_t lin
    if i.mod == 3:
        set_reg(s, i.rm, incdec(s, get_reg(s, i.rm, size), 8 * size, dec), size)
    else:
        lin = seg_check(s, i.seg, ea(s, i), size, 1)
        probe_write(s, lin, size)
        wr(s, lin, incdec(s, rd(s, lin, size), 8 * size, dec), size)


cdef void op_inc_r(CPUState* s, Insn* i) noexcept nogil:
    cdef int r = i.op & 7
    set_reg(s, r, incdec(s, get_reg(s, r, i.osize), 8 * i.osize, 0), i.osize)


cdef void op_dec_r(CPUState* s, Insn* i) noexcept nogil:
    cdef int r = i.op & 7
    set_reg(s, r, incdec(s, get_reg(s, r, i.osize), 8 * i.osize, 1), i.osize)


cdef void op_inc_Eb(CPUState* s, Insn* i) noexcept nogil:
    incdec_rm(s, i, 1, 0)


cdef void op_dec_Eb(CPUState* s, Insn* i) noexcept nogil:
    incdec_rm(s, i, 1, 1)


cdef void op_inc_Ev(CPUState* s, Insn* i) noexcept nogil:
    incdec_rm(s, i, i.osize, 0)


cdef void op_dec_Ev(CPUState* s, Insn* i) noexcept nogil:
    incdec_rm(s, i, i.osize, 1)


# ---- NOT / NEG ----
cdef inline void notneg(CPUState* s, Insn* i, int size, bint neg) noexcept nogil:
    cdef uint32_t lin, d, r
    if i.mod == 3:
        d = get_reg(s, i.rm, size)
    else:
        lin = seg_check(s, i.seg, ea(s, i), size, 1)
        probe_write(s, lin, size)
        d = rd(s, lin, size)
    if neg:
        r = (0 - d) & size_mask(8 * size)
        set_lazy(s, LF_SUB, 0, d, r, 8 * size)
    else:
        r = ~d & size_mask(8 * size)
    if i.mod == 3:
        set_reg(s, i.rm, r, size)
    else:
        wr(s, lin, r, size)


cdef void op_not_Eb(CPUState* s, Insn* i) noexcept nogil:
    notneg(s, i, 1, 0)


cdef void op_not_Ev(CPUState* s, Insn* i) noexcept nogil:
    notneg(s, i, i.osize, 0)


cdef void op_neg_Eb(CPUState* s, Insn* i) noexcept nogil:
    notneg(s, i, 1, 1)


cdef void op_neg_Ev(CPUState* s, Insn* i) noexcept nogil:
    notneg(s, i, i.osize, 1)


# ---- TEST ----
cdef inline void test(CPUState* s, uint32_t a, uint32_t b, int size) noexcept nogil:
    set_lazy(s, LF_LOGIC, a, b, a & b, 8 * size)


cdef void op_test_Eb_Gb(CPUState* s, Insn* i) noexcept nogil:
    test(s, rm_read(s, i, 1), get_reg(s, i.reg, 1), 1)


cdef void op_test_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    test(s, rm_read(s, i, i.osize), get_reg(s, i.reg, i.osize), i.osize)


cdef void op_test_AL_Ib(CPUState* s, Insn* i) noexcept nogil:
    test(s, s.regs[EAX] & 0xFF, i.imm, 1)


cdef void op_test_eAX_Iz(CPUState* s, Insn* i) noexcept nogil:
    test(s, get_reg(s, EAX, i.osize), i.imm, i.osize)


cdef void op_test_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    test(s, rm_read(s, i, 1), i.imm, 1)


cdef void op_test_Ev_Iz(CPUState* s, Insn* i) noexcept nogil:
    test(s, rm_read(s, i, i.osize), i.imm, i.osize)
