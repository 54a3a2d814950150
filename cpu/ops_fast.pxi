# Forms of the most frequent instructions by operand size (included by cpu/interp.pyx).
#
# The generic handlers dispatch on the operand size and on register/memory operands
# for every execution; the decoder (specialize, specialize16) swaps these in for 32-
# and 16-bit operands, so the dispatch is done once per decoded instruction. Same
# semantics as the generic handlers they replace (cpu/ops_move.pxi, cpu/ops_alu.pxi).
# The _bd forms are for a 32-bit address of base + displacement (no index register),
# the most common memory operand: their effective address is one load and one add.
#
# Handlers end with chain() where nothing before it can call out (register operands,
# or a memory access that hit the fast path; its miss ends in a tail call to the generic
# handler): they jump straight to the next instruction's handler (cpu/loop.pxi), which
# saves the run loop's return, test and call and gives each its own indirect jump.

cdef inline uint32_t ea_bd(CPUState* s, Insn* i) noexcept nogil:
    """ea() of a 32-bit base + displacement operand (the base may be REG_NONE)."""
    return s.regs[i.base] + i.disp


cdef void op32_mov_Gv_Ev_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = s.regs[i.rm]
    chain(s, i)


cdef void op32_mov_Gv_Ev_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), 4)
    if h == NULL:
        op_mov_Gv_Ev(s, i)
        return
    memcpy(&s.regs[i.reg], h, 4)
    chain(s, i)


cdef void op32_mov_Gv_Ev_bd(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_rd(s, i.seg, ea_bd(s, i), 4)
    if h == NULL:
        op_mov_Gv_Ev(s, i)
        return
    memcpy(&s.regs[i.reg], h, 4)
    chain(s, i)


cdef void op32_mov_Ev_Gv_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.rm] = s.regs[i.reg]
    chain(s, i)


cdef void op32_mov_Ev_Gv_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_wr(s, i.seg, ea(s, i), 4)
    if h == NULL:
        op_mov_Ev_Gv(s, i)
        return
    memcpy(h, &s.regs[i.reg], 4)
    chain(s, i)


cdef void op32_mov_Ev_Gv_bd(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_wr(s, i.seg, ea_bd(s, i), 4)
    if h == NULL:
        op_mov_Ev_Gv(s, i)
        return
    memcpy(h, &s.regs[i.reg], 4)
    chain(s, i)


cdef void op32_movzx_Gv_Eb_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = get_reg(s, i.rm, 1)
    chain(s, i)


cdef void op32_movzx_Gv_Eb_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), 1)
    if h == NULL:
        op_movzx_Gv_Eb(s, i)
        return
    s.regs[i.reg] = h[0]
    chain(s, i)


cdef void op32_movzx_Gv_Ew_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = s.regs[i.rm] & 0xFFFF
    chain(s, i)


cdef void op32_movzx_Gv_Ew_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), 2)
    cdef uint16_t w
    if h == NULL:
        op_movzx_Gv_Ew(s, i)
        return
    memcpy(&w, h, 2)
    s.regs[i.reg] = w
    chain(s, i)


cdef void op8_mov_Gb_Eb_reg(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, get_reg(s, i.rm, 1), 1)
    chain(s, i)


cdef void op8_mov_Gb_Eb_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), 1)
    if h == NULL:
        op_mov_Gb_Eb(s, i)
        return
    set_reg(s, i.reg, h[0], 1)
    chain(s, i)


cdef void op8_mov_Eb_Gb_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_wr(s, i.seg, ea(s, i), 1)
    if h == NULL:
        op_mov_Eb_Gb(s, i)
        return
    h[0] = <uint8_t>get_reg(s, i.reg, 1)
    chain(s, i)


cdef void op16_mov_Gv_Ev_reg(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, get_reg(s, i.rm, 2), 2)
    chain(s, i)


cdef void op16_mov_Gv_Ev_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_rd(s, i.seg, ea(s, i), 2)
    cdef uint16_t w
    if h == NULL:
        op_mov_Gv_Ev(s, i)
        return
    memcpy(&w, h, 2)
    set_reg(s, i.reg, w, 2)
    chain(s, i)


cdef void op16_mov_Ev_Gv_reg(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.rm, get_reg(s, i.reg, 2), 2)
    chain(s, i)


cdef void op16_mov_Ev_Gv_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_wr(s, i.seg, ea(s, i), 2)
    cdef uint16_t w = <uint16_t>s.regs[i.reg]
    if h == NULL:
        op_mov_Ev_Gv(s, i)
        return
    memcpy(h, &w, 2)
    chain(s, i)


cdef void op16_inc_r(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.op & 7, incdec(s, get_reg(s, i.op & 7, 2), 16, 0), 2)
    chain(s, i)


cdef void op16_dec_r(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.op & 7, incdec(s, get_reg(s, i.op & 7, 2), 16, 1), 2)
    chain(s, i)


cdef void op32_inc_r(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.op & 7] = incdec(s, s.regs[i.op & 7], 32, 0)
    chain(s, i)


cdef void op32_dec_r(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.op & 7] = incdec(s, s.regs[i.op & 7], 32, 1)
    chain(s, i)


cdef void op32_push_r(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t nsp = s.regs[ESP] - 4
    cdef uint8_t* h
    if not s.stack32:
        op_push_r(s, i)
        return
    h = host_wr(s, SEG_SS, nsp, 4)
    if h == NULL:
        op_push_r(s, i)
        return
    memcpy(h, &s.regs[i.op & 7], 4)       # PUSH ESP pushes the old value
    s.regs[ESP] = nsp
    chain(s, i)


cdef void op32_pop_r(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h
    cdef uint32_t v
    if not s.stack32:
        op_pop_r(s, i)
        return
    h = host_rd(s, SEG_SS, s.regs[ESP], 4)
    if h == NULL:
        op_pop_r(s, i)
        return
    memcpy(&v, h, 4)
    s.regs[ESP] += 4
    s.regs[i.op & 7] = v                  # POP ESP: the popped value wins
    chain(s, i)


cdef void op16_push_r(CPUState* s, Insn* i) noexcept nogil:
    # a 16-bit stack (real mode); SP = 1 (a push across the limit) is the generic's
    cdef uint32_t nsp = (s.regs[ESP] - 2) & 0xFFFF
    cdef uint16_t w = <uint16_t>s.regs[i.op & 7]
    cdef uint8_t* h
    if s.stack32 or nsp == 0xFFFF:
        op_push_r(s, i)
        return
    h = host_wr(s, SEG_SS, nsp, 2)
    if h == NULL:
        op_push_r(s, i)
        return
    memcpy(h, &w, 2)                      # PUSH SP pushes the old value
    set_reg(s, ESP, nsp, 2)
    chain(s, i)


cdef void op16_pop_r(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t sp = s.regs[ESP] & 0xFFFF
    cdef uint8_t* h
    cdef uint16_t w
    if s.stack32 or sp == 0xFFFF:
        op_pop_r(s, i)
        return
    h = host_rd(s, SEG_SS, sp, 2)
    if h == NULL:
        op_pop_r(s, i)
        return
    memcpy(&w, h, 2)
    set_reg(s, ESP, sp + 2, 2)
    set_reg(s, i.op & 7, w, 2)            # POP SP: the popped value wins
    chain(s, i)


cdef void op32_mov_r_Iz(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.op & 7] = i.imm
    chain(s, i)


cdef void op32_mov_Ev_Iz_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t* h = host_wr(s, i.seg, ea(s, i), 4)
    if h == NULL:
        op_mov_Ev_Iz(s, i)
        return
    memcpy(h, &i.imm, 4)
    chain(s, i)


cdef void op32_test_Ev_Gv_reg(CPUState* s, Insn* i) noexcept nogil:
    set_lazy(s, LF_LOGIC, s.regs[i.rm], s.regs[i.reg], s.regs[i.rm] & s.regs[i.reg], 32)
    chain(s, i)


cdef void op32_movsx_Gv_Eb_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = <uint32_t><int32_t><int8_t>get_reg(s, i.rm, 1)
    chain(s, i)


cdef void op32_movsx_Gv_Ew_reg(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = <uint32_t><int32_t><int16_t>s.regs[i.rm]
    chain(s, i)


cdef void op32_lea(CPUState* s, Insn* i) noexcept nogil:
    s.regs[i.reg] = ea(s, i)
    chain(s, i)


cdef void op32_imul_Gv_Ev_reg(CPUState* s, Insn* i) noexcept nogil:
    cdef int64_t p = <int64_t><int32_t>s.regs[i.reg] * <int32_t>s.regs[i.rm]
    cdef uint32_t lo = <uint32_t>p
    s.regs[i.reg] = lo
    mul_flags(s, lo, 32, p != <int32_t>lo)
    chain(s, i)


cdef void op32_imul_Gv_Ev_mem(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t x = vrd(s, i.seg, ea(s, i), 4)
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
    chain(s, i)


cdef void op32_shr_r_Ib(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t cnt = i.imm & 31, d = s.regs[i.rm], res
    if cnt:
        res = d >> cnt
        s.regs[i.rm] = res
        set_shift_flags(s, res, 32, d >> (cnt - 1), (d >> (cnt - 1)) >> 31)
    chain(s, i)


cdef void op32_sar_r_Ib(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t cnt = i.imm & 31, res
    cdef int32_t sd = <int32_t>s.regs[i.rm]
    if cnt:
        res = <uint32_t>(sd >> cnt)
        s.regs[i.rm] = res
        set_shift_flags(s, res, 32, <uint32_t>(sd >> (cnt - 1)), 0)
    chain(s, i)


cdef enum:
    # the forms of alu32_fn (cpu/gen_fast.py ALU_FORMS)
    ALU_EV_GV_REG = 0
    ALU_GV_EV_REG = 1
    ALU_GV_EV_MEM = 2
    ALU_EV_IZ_REG = 3
    ALU_GV_EV_BD = 4
    ALU_GB_EB_REG = 5
    ALU_GB_EB_MEM = 6
    ALU_AL_IB = 7
    ALU_EAX_IZ = 8
    ALU_EV_GV_MEM = 9
    ALU_EV_IZ_MEM = 10
    ALU16_EV_GV_REG = 11
    ALU16_GV_EV_REG = 12
    ALU16_GV_EV_MEM = 13
    ALU16_EV_IZ_REG = 14
    ALU16_EAX_IZ = 15
    ALU16_EV_GV_MEM = 16
    ALU16_EV_IZ_MEM = 17
    ALU_FORMS = 18

cdef handler_t alu_fn[8 * ALU_FORMS]     # by ALU operation * ALU_FORMS + form
cdef handler_t jcc_fn[16]                 # by condition code
cdef handler_t cond_fn[16 * 3]            # by condition code * 3: CMOV reg, CMOV mem, SETcc


cdef void specialize16(Insn* i) noexcept nogil:
    """The 16-bit operand forms (real mode and 16-bit code)."""
    cdef handler_t f = i.fn
    cdef int op = (i.op >> 3) & 7
    if f == op_alu_Ev_Gv:
        i.fn = alu_fn[op * ALU_FORMS + (ALU16_EV_GV_REG if i.mod == 3 else ALU16_EV_GV_MEM)]
    elif f == op_alu_Gv_Ev:
        i.fn = alu_fn[op * ALU_FORMS + (ALU16_GV_EV_REG if i.mod == 3 else ALU16_GV_EV_MEM)]
    elif f == op_alu_eAX_Iz:
        i.fn = alu_fn[op * ALU_FORMS + ALU16_EAX_IZ]
    elif f == op_alu_Ev_Iz:
        i.fn = alu_fn[i.reg * ALU_FORMS +
                      (ALU16_EV_IZ_REG if i.mod == 3 else ALU16_EV_IZ_MEM)]
    elif f == op_mov_Gv_Ev:
        i.fn = op16_mov_Gv_Ev_reg if i.mod == 3 else op16_mov_Gv_Ev_mem
    elif f == op_mov_Ev_Gv:
        i.fn = op16_mov_Ev_Gv_reg if i.mod == 3 else op16_mov_Ev_Gv_mem
    elif f == op_inc_r:
        i.fn = op16_inc_r
    elif f == op_dec_r:
        i.fn = op16_dec_r
    elif f == op_push_r:
        i.fn = op16_push_r
    elif f == op_pop_r:
        i.fn = op16_pop_r


cdef void specialize(Insn* i) noexcept nogil:
    """Swap in the specialised form of a just-decoded instruction's handler, if it has one."""
    cdef handler_t f = i.fn
    cdef bint bd = i.asize == 4 and i.index == REG_NONE    # ea_bd applies
    if f == op_jcc:
        i.fn = jcc_fn[i.op & 15]
        return
    if f == op_esc:
        # x87 instructions the host x87 runs (cpu/x87_host.pxi, cpu/gen_x87.py)
        f = x87_host_fn[(i.op & 7) * 64 + (i.reg << 3) + i.rm if i.mod == 3 else
                        512 + (i.op & 7) * 8 + i.reg]
        if f != NULL:
            i.fn = f
        return
    if f == op_setcc:
        i.fn = cond_fn[(i.op & 15) * 3 + 2]
        return
    # byte operands: the operand size does not matter
    if f == op_alu_Gb_Eb:
        i.fn = alu_fn[((i.op >> 3) & 7) * ALU_FORMS +
                      (ALU_GB_EB_REG if i.mod == 3 else ALU_GB_EB_MEM)]
        return
    if f == op_alu_AL_Ib:
        i.fn = alu_fn[((i.op >> 3) & 7) * ALU_FORMS + ALU_AL_IB]
        return
    if f == op_mov_Gb_Eb:
        i.fn = op8_mov_Gb_Eb_reg if i.mod == 3 else op8_mov_Gb_Eb_mem
        return
    if f == op_mov_Eb_Gb and i.mod != 3:
        i.fn = op8_mov_Eb_Gb_mem
        return
    if i.osize == 2:
        specialize16(i)
        return
    if f == op_mov_Gv_Ev:
        i.fn = (op32_mov_Gv_Ev_reg if i.mod == 3 else
                op32_mov_Gv_Ev_bd if bd else op32_mov_Gv_Ev_mem)
    elif f == op_mov_Ev_Gv:
        i.fn = (op32_mov_Ev_Gv_reg if i.mod == 3 else
                op32_mov_Ev_Gv_bd if bd else op32_mov_Ev_Gv_mem)
    elif f == op_alu_Ev_Gv:
        i.fn = alu_fn[((i.op >> 3) & 7) * ALU_FORMS +
                      (ALU_EV_GV_REG if i.mod == 3 else ALU_EV_GV_MEM)]
    elif f == op_alu_eAX_Iz:
        i.fn = alu_fn[((i.op >> 3) & 7) * ALU_FORMS + ALU_EAX_IZ]
    elif f == op_alu_Gv_Ev:
        i.fn = alu_fn[((i.op >> 3) & 7) * ALU_FORMS +
                        (ALU_GV_EV_REG if i.mod == 3 else
                         ALU_GV_EV_BD if bd else ALU_GV_EV_MEM)]
    elif f == op_alu_Ev_Iz:
        i.fn = alu_fn[i.reg * ALU_FORMS + (ALU_EV_IZ_REG if i.mod == 3 else ALU_EV_IZ_MEM)]
    elif f == op_inc_r:
        i.fn = op32_inc_r
    elif f == op_dec_r:
        i.fn = op32_dec_r
    elif f == op_lea and i.mod != 3:
        i.fn = op32_lea
    elif f == op_imul_Gv_Ev:
        i.fn = op32_imul_Gv_Ev_reg if i.mod == 3 else op32_imul_Gv_Ev_mem
    elif f == op_cmovcc:
        i.fn = cond_fn[(i.op & 15) * 3 + (0 if i.mod == 3 else 1)]
    elif f == op_movzx_Gv_Eb:
        i.fn = op32_movzx_Gv_Eb_reg if i.mod == 3 else op32_movzx_Gv_Eb_mem
    elif f == op_movzx_Gv_Ew:
        i.fn = op32_movzx_Gv_Ew_reg if i.mod == 3 else op32_movzx_Gv_Ew_mem
    elif f == op_push_r:
        i.fn = op32_push_r
    elif f == op_pop_r:
        i.fn = op32_pop_r
    elif f == op_mov_r_Iz:
        i.fn = op32_mov_r_Iz
    elif f == op_mov_Ev_Iz and i.mod != 3:
        i.fn = op32_mov_Ev_Iz_mem
    elif f == op_test_Ev_Gv and i.mod == 3:
        i.fn = op32_test_Ev_Gv_reg
    elif f == op_movsx_Gv_Eb and i.mod == 3:
        i.fn = op32_movsx_Gv_Eb_reg
    elif f == op_movsx_Gv_Ew and i.mod == 3:
        i.fn = op32_movsx_Gv_Ew_reg
    elif i.mod == 3 and f == op_shl_Ev_Ib:
        i.fn = op32_shl_r_Ib
    elif i.mod == 3 and f == op_shr_Ev_Ib:
        i.fn = op32_shr_r_Ib
    elif i.mod == 3 and f == op_sar_Ev_Ib:
        i.fn = op32_sar_r_Ib
