# Bit test and scan: BT BTS BTR BTC (register and imm8 bit offsets), BSF BSR
# (included by cpu/interp.pyx).

cdef extern from *:
    int __builtin_ctz(unsigned int x) nogil
    int __builtin_clz(unsigned int x) nogil

cdef enum:
    BIT_TEST = 0
    BIT_SET = 1
    BIT_RESET = 2
    BIT_COMPLEMENT = 3


cdef inline void bit_op(CPUState* s, Insn* i, int kind, uint32_t offset,
                        bint reg_offset) noexcept nogil:
    """CF = the selected bit of r/m, which BTS/BTR/BTC then set/clear/flip.

    Intel SDM vol. 2A "BT": an immediate offset is taken modulo the operand width; a
    register offset with a memory operand is a signed bit number relative to the
    operand's address, so it selects the operand-sized word at
    EA + (operand size) * (offset SAR log2(width)). ZF is unaffected; OF SF AF PF are
    undefined and left unchanged."""
    cdef int size = i.osize, bits = 8 * size
    cdef uint32_t off, d, lin = 0
    cdef uint32_t bit = offset & (bits - 1)
    if i.mod == 3:
        d = get_reg(s, i.rm, size)
    else:
        off = ea(s, i)
        if reg_offset:
            off = (off + <uint32_t>((sext(offset, bits) >> (4 if size == 2 else 5)) * size)) & i.amask
        if kind == BIT_TEST:
            d = vrd(s, i.seg, off, size)
        else:
            d = rmw_read_mem(s, i.seg, off, size, &lin)
    if kind != BIT_TEST:
        if kind == BIT_SET:
            rmw_write(s, i, lin, d | (<uint32_t>1 << bit), size)
        elif kind == BIT_RESET:
            rmw_write(s, i, lin, d & ~(<uint32_t>1 << bit), size)
        else:
            rmw_write(s, i, lin, d ^ (<uint32_t>1 << bit), size)
    set_cf(s, d >> bit)


cdef void op_bt_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_TEST, get_reg(s, i.reg, i.osize), 1)


cdef void op_bts_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_SET, get_reg(s, i.reg, i.osize), 1)


cdef void op_btr_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_RESET, get_reg(s, i.reg, i.osize), 1)


cdef void op_btc_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_COMPLEMENT, get_reg(s, i.reg, i.osize), 1)


cdef void op_bt_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_TEST, i.imm, 0)


cdef void op_bts_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_SET, i.imm, 0)


cdef void op_btr_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_RESET, i.imm, 0)


cdef void op_btc_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    bit_op(s, i, BIT_COMPLEMENT, i.imm, 0)


# ---- BSF / BSR ----
# SDM vol. 2A "BSF"/"BSR": a zero source sets ZF and leaves the destination undefined;
# a P6 leaves it unchanged. CF OF SF AF PF are undefined and left unchanged.
cdef inline void bit_scan(CPUState* s, Insn* i, bint reverse) noexcept nogil:
    cdef uint32_t v = rm_read(s, i, i.osize)
    materialize_flags(s)
    if v == 0:
        s.flags |= F_ZF
        return
    s.flags &= ~(<uint32_t>F_ZF)
    set_reg(s, i.reg, (31 - __builtin_clz(v)) if reverse else __builtin_ctz(v), i.osize)


cdef void op_bsf(CPUState* s, Insn* i) noexcept nogil:
    bit_scan(s, i, 0)


cdef void op_bsr(CPUState* s, Insn* i) noexcept nogil:
    bit_scan(s, i, 1)
