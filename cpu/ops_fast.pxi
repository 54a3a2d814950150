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
