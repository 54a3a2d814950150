# Lazy arithmetic flags (included by cpu/interp.pyx).
#
# An ALU operation stores its operands and result (lf_dst, lf_src, lf_res, lf_bits) and
# the kind of operation (lf_op); a flag is computed only when something reads it.
# ADD covers ADC and SUB covers SBB/CMP/NEG: the carry/borrow-out formulas below are
# valid with a carry-in, because they derive the carry into the top bit from d^s^r.

cdef uint8_t PARITY[256]


cdef void init_parity() noexcept nogil:
    cdef int v, k, n
    for v in range(256):
        n = 0
        for k in range(8):
            n += (v >> k) & 1
        PARITY[v] = F_PF if n % 2 == 0 else 0


cdef inline uint32_t size_mask(int bits) noexcept nogil:
    return 0xFFFFFFFFU if bits == 32 else ((<uint32_t>1 << bits) - 1)


cdef inline void set_lazy(CPUState* s, uint8_t op, uint32_t dst, uint32_t src,
                          uint32_t res, int bits) noexcept nogil:
    s.lf_op = op
    s.lf_dst = dst
    s.lf_src = src
    s.lf_res = res
    s.lf_bits = bits


cdef inline uint32_t get_cf(CPUState* s) noexcept nogil:
    cdef uint32_t d = s.lf_dst, x = s.lf_src, r = s.lf_res
    cdef uint8_t op = s.lf_op
    if op == LF_ADD:
        return (((d & x) | ((d | x) & ~r)) >> (s.lf_bits - 1)) & 1
    if op == LF_SUB:
        return (((~d & x) | ((~d | x) & r)) >> (s.lf_bits - 1)) & 1
    if op == LF_LOGIC:
        return 0
    return s.flags & F_CF


cdef inline uint32_t get_zf(CPUState* s) noexcept nogil:
    if s.lf_op == LF_NONE:
        return (s.flags >> 6) & 1
    return (s.lf_res & size_mask(s.lf_bits)) == 0


cdef inline uint32_t get_sf(CPUState* s) noexcept nogil:
    if s.lf_op == LF_NONE:
        return (s.flags >> 7) & 1
    return (s.lf_res >> (s.lf_bits - 1)) & 1


cdef inline uint32_t get_of(CPUState* s) noexcept nogil:
    cdef uint32_t d = s.lf_dst, x = s.lf_src, r = s.lf_res
    cdef uint8_t op = s.lf_op
    if op == LF_ADD or op == LF_INC:
        return (((d ^ r) & (x ^ r)) >> (s.lf_bits - 1)) & 1
    if op == LF_SUB or op == LF_DEC:
        return (((d ^ x) & (d ^ r)) >> (s.lf_bits - 1)) & 1
    if op == LF_LOGIC:
        return 0
    return (s.flags >> 11) & 1


cdef inline uint32_t get_pf(CPUState* s) noexcept nogil:
    if s.lf_op == LF_NONE:
        return (s.flags >> 2) & 1
    return PARITY[s.lf_res & 0xFF] >> 2


cdef inline uint32_t get_af(CPUState* s) noexcept nogil:
    if s.lf_op == LF_NONE:
        return (s.flags >> 4) & 1
    if s.lf_op == LF_LOGIC:
        return 0
    return ((s.lf_dst ^ s.lf_src ^ s.lf_res) >> 4) & 1


cdef inline uint32_t get_eflags(CPUState* s) noexcept nogil:
    """EFLAGS with the arithmetic bits computed; bit 1 always reads as one."""
    if s.lf_op == LF_NONE:
        return s.flags | 2
    return ((s.flags & ~(<uint32_t>F_ARITH)) | get_cf(s) | (get_pf(s) << 2) |
            (get_af(s) << 4) | (get_zf(s) << 6) | (get_sf(s) << 7) | (get_of(s) << 11) | 2)


cdef inline void materialize_flags(CPUState* s) noexcept nogil:
    s.flags = get_eflags(s)
    s.lf_op = LF_NONE


cdef inline void set_arith_flags(CPUState* s, uint32_t value) noexcept nogil:
    """Store all six arithmetic flags eagerly (shifts, multiplies, BCD, POPF...)."""
    s.flags = (s.flags & ~(<uint32_t>F_ARITH)) | (value & F_ARITH)
    s.lf_op = LF_NONE


cdef inline void set_cf(CPUState* s, uint32_t cf) noexcept nogil:
    materialize_flags(s)
    s.flags = (s.flags & ~(<uint32_t>F_CF)) | (cf & 1)


cdef inline uint32_t szp_flags(uint32_t res, int bits) noexcept nogil:
    """SF, ZF and PF of a result, as flag bits."""
    cdef uint32_t r = res & size_mask(bits)
    return (PARITY[r & 0xFF] | (F_ZF if r == 0 else 0) |
            (F_SF if (r >> (bits - 1)) & 1 else 0))


cdef inline bint cond(CPUState* s, int cc) noexcept nogil:
    """Condition code cc (0-15) as used by Jcc, SETcc and CMOVcc."""
    cdef bint r
    cdef int c = cc >> 1
    if c == 0:
        r = get_of(s)
    elif c == 1:
        r = get_cf(s)
    elif c == 2:
        r = get_zf(s)
    elif c == 3:
        r = get_cf(s) or get_zf(s)
    elif c == 4:
        r = get_sf(s)
    elif c == 5:
        r = get_pf(s)
    elif c == 6:
        r = get_sf(s) != get_of(s)
    else:
        r = get_zf(s) or (get_sf(s) != get_of(s))
    return r != (cc & 1)
