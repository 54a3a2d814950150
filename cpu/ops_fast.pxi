# 32-bit forms of the most frequent instructions (included by cpu/interp.pyx).
#
# The generic handlers dispatch on the operand size and on register/memory operands
# for every execution; the decoder (specialize) swaps these in when the operand size
# is 32 bits, so the dispatch is done once per decoded instruction. Same semantics as
# the generic handlers they replace (cpu/ops_move.pxi, cpu/ops_alu.pxi).

cdef void op32_mov_Gv_Ev_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = s.regs[i.rm]


cdef void op32_mov_Gv_Ev_mem(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = rd32(s, seg_check(s, i.seg, ea(s, i), 4, 0))


cdef void op32_mov_Ev_Gv_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.rm] = s.regs[i.reg]


cdef void op32_mov_Ev_Gv_mem(CPUState* s, Insn* i) noexcept nogil:
    wr32(s, seg_check(s, i.seg, ea(s, i), 4, 1), s.regs[i.reg])


cdef void op32_alu_Ev_Gv_reg(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, s.regs[i.rm], s.regs[i.reg], 32)
    if op != 7:
        s.regs[i.rm] = r


cdef void op32_alu_Gv_Ev_reg(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, s.regs[i.reg], s.regs[i.rm], 32)
    if op != 7:
        s.regs[i.reg] = r


cdef void op32_alu_Gv_Ev_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = (i.op >> 3) & 7
    cdef uint32_t r = alu(s, op, s.regs[i.reg],
                          rd32(s, seg_check(s, i.seg, ea(s, i), 4, 0)), 32)
    if op != 7:
        s.regs[i.reg] = r


cdef void op32_alu_Ev_Iz_reg(CPUState* s, Insn* i) noexcept nogil:
    cdef int op = i.reg
    cdef uint32_t r = alu(s, op, s.regs[i.rm], i.imm, 32)
    if op != 7:
        s.regs[i.rm] = r


cdef void op32_lea(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = ea(s, i)


cdef void op32_imul_Gv_Ev_reg(CPUState* s, Insn* i) noexcept nogil:
    cdef int64_t p = <int64_t><int32_t>s.regs[i.reg] * <int32_t>s.regs[i.rm]
    cdef uint32_t lo = <uint32_t>p
    s.regs[i.reg] = lo
    mul_flags(s, lo, 32, p != <int32_t>lo)


cdef void op32_imul_Gv_Ev_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t x = rd32(s, seg_check(s, i.seg, ea(s, i), 4, 0))
    cdef int64_t p = <int64_t><int32_t>s.regs[i.reg] * <int32_t>x
    cdef uint32_t lo = <uint32_t>p
    s.regs[i.reg] = lo
    mul_flags(s, lo, 32, p != <int32_t>lo)


# shifts of a register by an immediate count (cpu/ops_shift.pxi shift() for 32 bits)
cdef void op32_shl_r_Ib(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t cnt = i.imm & 31, d = s.regs[i.rm], res, cf
    if cnt:
        res = d << cnt
        cf = (d >> (32 - cnt)) & 1
        s.regs[i.rm] = res
        set_shift_flags(s, res, 32, cf, cf ^ (res >> 31))


cdef void op32_shr_r_Ib(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t cnt = i.imm & 31, d = s.regs[i.rm], res
    if cnt:
        res = d >> cnt
        s.regs[i.rm] = res
        set_shift_flags(s, res, 32, d >> (cnt - 1), (d >> (cnt - 1)) >> 31)


cdef void op32_sar_r_Ib(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t cnt = i.imm & 31, res
    cdef int32_t sd = <int32_t>s.regs[i.rm]
    if cnt:
        res = <uint32_t>(sd >> cnt)
        s.regs[i.rm] = res
        set_shift_flags(s, res, 32, <uint32_t>(sd >> (cnt - 1)), 0)


cdef void specialize(Insn* i) noexcept nogil:
    """Swap in the 32-bit form of a just-decoded instruction's handler, if it has one."""
    cdef handler_t f = i.fn
    if i.osize != 4:
        return
    if f == op_mov_Gv_Ev:
        i.fn = op32_mov_Gv_Ev_reg if i.mod == 3 else op32_mov_Gv_Ev_mem
    elif f == op_mov_Ev_Gv:
        i.fn = op32_mov_Ev_Gv_reg if i.mod == 3 else op32_mov_Ev_Gv_mem
    elif f == op_alu_Ev_Gv and i.mod == 3:
        i.fn = op32_alu_Ev_Gv_reg
    elif f == op_alu_Gv_Ev:
        i.fn = op32_alu_Gv_Ev_reg if i.mod == 3 else op32_alu_Gv_Ev_mem
    elif f == op_alu_Ev_Iz and i.mod == 3:
        i.fn = op32_alu_Ev_Iz_reg
    elif f == op_lea and i.mod != 3:
        i.fn = op32_lea
    elif f == op_imul_Gv_Ev:
        i.fn = op32_imul_Gv_Ev_reg if i.mod == 3 else op32_imul_Gv_Ev_mem
    elif i.mod == 3 and f == op_shl_Ev_Ib:
        i.fn = op32_shl_r_Ib
    elif i.mod == 3 and f == op_shr_Ev_Ib:
        i.fn = op32_shr_r_Ib
    elif i.mod == 3 and f == op_sar_Ev_Ib:
        i.fn = op32_sar_r_Ib
