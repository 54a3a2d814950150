# Multiply and divide: MUL IMUL DIV IDIV (groups F6/F7), IMUL r, r/m (0F AF) and
# IMUL r, r/m, imm (69/6B) (included by cpu/interp.pyx).
#
# Intel SDM vol. 2A/2B: after a multiply CF = OF = "the upper half is significant";
# SF, ZF, AF and PF are undefined: they are set from the low half of the product
# (AF cleared), like a logic operation. After a divide all six flags are undefined;
# they are left unchanged. #DE is a fault, raised before anything is written.

cdef inline void mul_flags(CPUState* s, uint32_t lo, int bits, bint overflow) noexcept nogil:
    set_arith_flags(s, szp_flags(lo, bits) | ((F_CF | F_OF) if overflow else 0))


cdef inline int64_t sext(uint32_t v, int bits) noexcept nogil:
    """v as a signed number of the given width."""
    if bits == 32:
        return <int32_t>v
    if bits == 16:
        return <int16_t>v
    return <int8_t>v


cdef inline void mul_acc(CPUState* s, uint32_t x, int size, bint signed) noexcept nogil:
    """(E)DX:(E)AX or AX = accumulator * x."""
    cdef int bits = 8 * size
    cdef uint64_t p
    cdef uint32_t lo, hi
    cdef bint overflow
    if signed:
        p = <uint64_t>(sext(get_reg(s, EAX, size), bits) * sext(x, bits))
        overflow = <int64_t>p != sext(<uint32_t>p & size_mask(bits), bits)
    else:
        p = <uint64_t>get_reg(s, EAX, size) * x
        overflow = (p >> bits) != 0
    lo = <uint32_t>p & size_mask(bits)
    hi = <uint32_t>(p >> bits) & size_mask(bits)
    if size == 1:
        set_reg(s, EAX, <uint32_t>p & 0xFFFF, 2)
    else:
        set_reg(s, EAX, lo, size)
        set_reg(s, EDX, hi, size)
    mul_flags(s, lo, bits, overflow)


cdef inline void div_acc(CPUState* s, uint32_t x, int size, bint signed) noexcept nogil:
    """Divide AX or (E)DX:(E)AX by x: quotient to AL/(E)AX, remainder to AH/(E)DX."""
    cdef int bits = 8 * size
    cdef uint64_t n, q, r
    cdef int64_t sn, sd, sq, sr
    if size == 1:
        n = s.regs[EAX] & 0xFFFF
    else:
        n = (<uint64_t>get_reg(s, EDX, size) << bits) | get_reg(s, EAX, size)
    if x == 0:
        raise_exc(s, EXC_DE, 0, 0)
    if signed:
        sn = <int64_t>(n << (64 - 2 * bits)) >> (64 - 2 * bits)    # sign-extend 2*bits
        sd = sext(x, bits)
        if sd == -1:
            # the negation of the most negative dividend does not fit; avoids the C trap
            if <uint64_t>sn == (<uint64_t>1) << 63:
                raise_exc(s, EXC_DE, 0, 0)
            sq = -sn
            sr = 0
        else:
            sq = sn / sd                   # C division truncates toward zero, as IDIV
            sr = sn % sd
        if sq > <int64_t>(size_mask(bits) >> 1) or sq < -<int64_t>(size_mask(bits) >> 1) - 1:
            raise_exc(s, EXC_DE, 0, 0)
        q = <uint64_t>sq
        r = <uint64_t>sr
    else:
        q = n / x
        r = n % x
        if q > size_mask(bits):
            raise_exc(s, EXC_DE, 0, 0)
    if size == 1:
        set_reg(s, EAX, (<uint32_t>q & 0xFF) | ((<uint32_t>r & 0xFF) << 8), 2)
    else:
        set_reg(s, EAX, <uint32_t>q, size)
        set_reg(s, EDX, <uint32_t>r, size)


cdef void op_mul_Eb(CPUState* s, Insn* i) noexcept nogil:
    mul_acc(s, rm_read(s, i, 1), 1, 0)


cdef void op_imul_Eb(CPUState* s, Insn* i) noexcept nogil:
    mul_acc(s, rm_read(s, i, 1), 1, 1)


cdef void op_mul_Ev(CPUState* s, Insn* i) noexcept nogil:
    mul_acc(s, rm_read(s, i, i.osize), i.osize, 0)


cdef void op_imul_Ev(CPUState* s, Insn* i) noexcept nogil:
    mul_acc(s, rm_read(s, i, i.osize), i.osize, 1)


cdef void op_div_Eb(CPUState* s, Insn* i) noexcept nogil:
    div_acc(s, rm_read(s, i, 1), 1, 0)


cdef void op_idiv_Eb(CPUState* s, Insn* i) noexcept nogil:
    div_acc(s, rm_read(s, i, 1), 1, 1)


cdef void op_div_Ev(CPUState* s, Insn* i) noexcept nogil:
    div_acc(s, rm_read(s, i, i.osize), i.osize, 0)


cdef void op_idiv_Ev(CPUState* s, Insn* i) noexcept nogil:
    div_acc(s, rm_read(s, i, i.osize), i.osize, 1)


# ---- two- and three-operand IMUL: the product is truncated to the operand size ----
cdef inline void imul_trunc(CPUState* s, Insn* i, uint32_t a, uint32_t b) noexcept nogil:
    cdef int bits = 8 * i.osize
    cdef int64_t p = sext(a, bits) * sext(b, bits)
    cdef uint32_t lo = <uint32_t>p & size_mask(bits)
    set_reg(s, i.reg, lo, i.osize)
    mul_flags(s, lo, bits, p != sext(lo, bits))


cdef void op_imul_Gv_Ev(CPUState* s, Insn* i) noexcept nogil:
    imul_trunc(s, i, get_reg(s, i.reg, i.osize), rm_read(s, i, i.osize))


cdef void op_imul_Gv_Ev_I(CPUState* s, Insn* i) noexcept nogil:
    imul_trunc(s, i, rm_read(s, i, i.osize), i.imm)
