# Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (groups C0 C1 D0-D3) and the
# double shifts SHLD/SHRD (included by cpu/interp.pyx).
#
# Intel SDM vol. 2B, "RCL/RCR/ROL/ROR" and "SAL/SAR/SHL/SHR": the count is masked to 5
# bits (RCL/RCR of 8/16-bit operands then take it modulo 9/17); a masked count of 0
# changes no flag. OF is defined for 1-bit shifts only; for larger counts it is set
# the way a P6 (and the iterative 286) leaves it: the 1-bit rule applied to the last
# single-bit step. AF is undefined after a shift; it is cleared.
#
# The read-modify-write helpers below are also used by cpu/ops_bit.pxi.

cdef enum:
    SH_ROL = 0
    SH_ROR = 1
    SH_RCL = 2
    SH_RCR = 3
    SH_SHL = 4
    SH_SHR = 5
    SH_SAR = 7


cdef inline uint32_t rmw_read_mem(CPUState* s, int sg, uint32_t off, int size,
                                  uint32_t* lin) noexcept nogil:
    """Read sg:off for a later write to the linear address stored in lin.

    The location is checked for writing first, so that nothing changes if the write
    would fault."""
    lin[0] = seg_check(s, sg, off, size, 1)
    probe_write(s, lin[0], size)
    return rd(s, lin[0], size)


cdef inline uint32_t rmw_read(CPUState* s, Insn* i, int size, uint32_t* lin) noexcept nogil:
    """Read the r/m operand of a read-modify-write instruction (see rmw_write)."""
    if i.mod == 3:
        return get_reg(s, i.rm, size)
    return rmw_read_mem(s, i.seg, ea(s, i), size, lin)


cdef inline void rmw_write(CPUState* s, Insn* i, uint32_t lin, uint32_t v,
                           int size) noexcept nogil:
    if i.mod == 3:
        set_reg(s, i.rm, v, size)
    else:
        wr(s, lin, v, size)


cdef inline void set_cf_of(CPUState* s, uint32_t cf, uint32_t of) noexcept nogil:
    """Rotates change only CF and OF."""
    materialize_flags(s)
    s.flags = (s.flags & ~(<uint32_t>(F_CF | F_OF))) | (cf & 1) | ((of & 1) << 11)


cdef inline void set_shift_flags(CPUState* s, uint32_t res, int bits, uint32_t cf,
                                 uint32_t of) noexcept nogil:
    set_arith_flags(s, szp_flags(res, bits) | (cf & 1) | ((of & 1) << 11))


cdef uint32_t shift(CPUState* s, int op, uint32_t d, uint32_t cnt, int bits) noexcept nogil:
    """d shifted/rotated by cnt (1-31, already masked) with the flags set; op: SH_*."""
    cdef uint32_t m = size_mask(bits), r, res, cf
    cdef uint64_t v, m1
    cdef int32_t sd
    if op == SH_ROL:
        r = cnt & (bits - 1)
        res = ((d << r) | (d >> (bits - r))) & m if r else d
        set_cf_of(s, res, (res >> (bits - 1)) ^ res)
    elif op == SH_ROR:
        r = cnt & (bits - 1)
        res = ((d >> r) | (d << (bits - r))) & m if r else d
        set_cf_of(s, res >> (bits - 1), (res >> (bits - 1)) ^ (res >> (bits - 2)))
    elif op == SH_RCL or op == SH_RCR:
        # rotate the (bits+1)-bit value CF:d
        # (a count that is a multiple of bits+1 leaves value and CF; OF, undefined, is
        # still set by the 1-bit rule, as the 286 captures show)
        r = cnt % (bits + 1)
        v = (<uint64_t>get_cf(s) << bits) | d
        m1 = (<uint64_t>1 << (bits + 1)) - 1
        if r and op == SH_RCL:
            v = ((v << r) | (v >> (bits + 1 - r))) & m1
        elif r:
            v = ((v >> r) | (v << (bits + 1 - r))) & m1
        res = <uint32_t>v & m
        cf = <uint32_t>(v >> bits)
        if op == SH_RCL:
            set_cf_of(s, cf, (res >> (bits - 1)) ^ cf)
        else:
            set_cf_of(s, cf, (res >> (bits - 1)) ^ (res >> (bits - 2)))
    elif op == SH_SHL:
        res = (d << cnt) & m               # cnt <= 31: no undefined C shift
        cf = (d >> (bits - cnt)) & 1 if cnt <= <uint32_t>bits else 0
        set_shift_flags(s, res, bits, cf, cf ^ (res >> (bits - 1)))
    elif op == SH_SHR:
        res = d >> cnt
        # OF: the top bit of the value before the last 1-bit step
        set_shift_flags(s, res, bits, d >> (cnt - 1), (d >> (cnt - 1)) >> (bits - 1))
    else:
        sd = <int32_t>(d << (32 - bits)) >> (32 - bits)    # sign-extended operand
        res = <uint32_t>(sd >> cnt) & m
        set_shift_flags(s, res, bits, <uint32_t>(sd >> (cnt - 1)), 0)
    return res


cdef inline void shift_rm(CPUState* s, Insn* i, int op, uint32_t cnt, int size) noexcept nogil:
    cdef uint32_t lin = 0
    cdef uint32_t d = rmw_read(s, i, size, &lin)
    cnt &= 31
    if cnt:
        rmw_write(s, i, lin, shift(s, op, d, cnt, 8 * size), size)


# ---- handlers: group C0/C1 (count imm8), D0/D1 (count 1), D2/D3 (count CL) ----
cdef void op_rol_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROL, i.imm, 1)


cdef void op_ror_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROR, i.imm, 1)


cdef void op_rcl_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCL, i.imm, 1)


cdef void op_rcr_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCR, i.imm, 1)


cdef void op_shl_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHL, i.imm, 1)


cdef void op_shr_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHR, i.imm, 1)


cdef void op_sar_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SAR, i.imm, 1)


cdef void op_rol_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROL, i.imm, i.osize)


cdef void op_ror_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROR, i.imm, i.osize)


cdef void op_rcl_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCL, i.imm, i.osize)


cdef void op_rcr_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCR, i.imm, i.osize)


cdef void op_shl_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHL, i.imm, i.osize)


cdef void op_shr_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHR, i.imm, i.osize)


cdef void op_sar_Ev_Ib(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SAR, i.imm, i.osize)


cdef void op_rol_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROL, 1, 1)


cdef void op_ror_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROR, 1, 1)


cdef void op_rcl_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCL, 1, 1)


cdef void op_rcr_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCR, 1, 1)


cdef void op_shl_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHL, 1, 1)


cdef void op_shr_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHR, 1, 1)


cdef void op_sar_Eb_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SAR, 1, 1)


cdef void op_rol_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROL, 1, i.osize)


cdef void op_ror_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROR, 1, i.osize)


cdef void op_rcl_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCL, 1, i.osize)


cdef void op_rcr_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCR, 1, i.osize)


cdef void op_shl_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHL, 1, i.osize)


cdef void op_shr_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHR, 1, i.osize)


cdef void op_sar_Ev_1(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SAR, 1, i.osize)


cdef void op_rol_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROL, s.regs[ECX], 1)


cdef void op_ror_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROR, s.regs[ECX], 1)


cdef void op_rcl_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCL, s.regs[ECX], 1)


cdef void op_rcr_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCR, s.regs[ECX], 1)


cdef void op_shl_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHL, s.regs[ECX], 1)


cdef void op_shr_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHR, s.regs[ECX], 1)


cdef void op_sar_Eb_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SAR, s.regs[ECX], 1)


cdef void op_rol_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROL, s.regs[ECX], i.osize)


cdef void op_ror_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_ROR, s.regs[ECX], i.osize)


cdef void op_rcl_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCL, s.regs[ECX], i.osize)


cdef void op_rcr_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_RCR, s.regs[ECX], i.osize)


cdef void op_shl_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHL, s.regs[ECX], i.osize)


cdef void op_shr_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SHR, s.regs[ECX], i.osize)


cdef void op_sar_Ev_CL(CPUState* s, Insn* i) noexcept nogil:
    shift_rm(s, i, SH_SAR, s.regs[ECX], i.osize)


# ---- SHLD / SHRD ----
# SDM vol. 2B "SHLD"/"SHRD": count masked to 5 bits, 0 changes nothing. A 16-bit
# operand with a count above 16 is undefined; a P6 then shifts the 48-bit value
# dest:src:dest, which is what the 48-bit model below does for every count (for
# counts <= 16 the extra copy of dest never reaches the result or CF).
cdef uint32_t double_shift(CPUState* s, uint32_t d, uint32_t x, uint32_t cnt, int bits,
                           bint left) noexcept nogil:
    cdef uint64_t v
    cdef uint32_t res, cf
    # v holds dest in bits 32.. for SHLD, in bits 0.. for SHRD
    if bits == 32:
        v = ((<uint64_t>d << 32) | x) if left else ((<uint64_t>x << 32) | d)
    else:
        v = (<uint64_t>d << 32) | (<uint64_t>x << 16) | d
    if left:
        res = <uint32_t>(v >> (32 - cnt))
        cf = <uint32_t>(v >> (32 + bits - cnt)) & 1
    else:
        res = <uint32_t>(v >> cnt)
        cf = <uint32_t>(v >> (cnt - 1)) & 1
    res &= size_mask(bits)
    if left:
        # OF (defined for count 1): the sign changed, i.e. CF differs from the new top bit
        set_shift_flags(s, res, bits, cf, cf ^ (res >> (bits - 1)))
    else:
        # OF: the new top bit (shifted in from src) differs from the old one
        set_shift_flags(s, res, bits, cf, (res >> (bits - 1)) ^ (res >> (bits - 2)))
    return res


cdef inline void double_shift_rm(CPUState* s, Insn* i, uint32_t cnt, bint left) noexcept nogil:
    cdef int size = i.osize
    cdef uint32_t lin = 0
    cdef uint32_t d = rmw_read(s, i, size, &lin)
    cnt &= 31
    if cnt:
        rmw_write(s, i, lin,
                  double_shift(s, d, get_reg(s, i.reg, size), cnt, 8 * size, left), size)


cdef void op_shld_Ib(CPUState* s, Insn* i) noexcept nogil:
    double_shift_rm(s, i, i.imm, 1)


cdef void op_shld_CL(CPUState* s, Insn* i) noexcept nogil:
    double_shift_rm(s, i, s.regs[ECX], 1)


cdef void op_shrd_Ib(CPUState* s, Insn* i) noexcept nogil:
    double_shift_rm(s, i, i.imm, 0)


cdef void op_shrd_CL(CPUState* s, Insn* i) noexcept nogil:
    double_shift_rm(s, i, s.regs[ECX], 0)
