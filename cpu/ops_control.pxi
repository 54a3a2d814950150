# Control transfer: JMP/Jcc/CALL/RET (near and far), LOOPcc/JCXZ, INT n/INT3/INTO/INT1,
# IRET, HLT, BOUND (included by cpu/interp.pyx). Far transfers in protected mode
# and virtual-8086 mode go through cpu/protmode.pxi.

cdef inline void jump_near(CPUState* s, uint32_t target, int osize) noexcept nogil:
    if osize == 2:
        target &= 0xFFFF
    if target > s.seg[SEG_CS].hi:
        gp(s, 0)
    s.eip = target


cdef void op_jcc(CPUState* s, Insn* i) noexcept nogil:
    if cond(s, i.op & 15):
        jump_near(s, s.eip + i.imm, i.osize)


cdef void op_jmp_near(CPUState* s, Insn* i) noexcept nogil:
    jump_near(s, s.eip + i.imm, i.osize)


cdef void op_jmp_Ev(CPUState* s, Insn* i) noexcept nogil:
    jump_near(s, rm_read(s, i, i.osize), i.osize)


cdef void op_call_near(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t target = (s.eip + i.imm) & size_mask(8 * i.osize)
    if target > s.seg[SEG_CS].hi:
        gp(s, 0)
    push(s, s.eip, i.osize)
    s.eip = target


cdef void op_call_Ev(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t target = rm_read(s, i, i.osize)
    if target > s.seg[SEG_CS].hi:
        gp(s, 0)
    push(s, s.eip, i.osize)
    s.eip = target


cdef void op_ret_near(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t target = stack_read(s, 0, i.osize)
    if target > s.seg[SEG_CS].hi:
        gp(s, 0)
    set_sp(s, s.regs[ESP] + i.osize + (i.imm if i.op == 0xC2 else 0))
    s.eip = target


cdef inline uint32_t count_reg(CPUState* s, Insn* i) noexcept nogil:
    return s.regs[ECX] & i.amask


cdef inline uint32_t dec_count(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t c = (s.regs[ECX] - 1) & i.amask
    s.regs[ECX] = (s.regs[ECX] & ~i.amask) | c
    return c


cdef void op_loop(CPUState* s, Insn* i) noexcept nogil:
    if dec_count(s, i):
        jump_near(s, s.eip + i.imm, i.osize)


cdef void op_loopz(CPUState* s, Insn* i) noexcept nogil:
    if dec_count(s, i) and get_zf(s):
        jump_near(s, s.eip + i.imm, i.osize)


cdef void op_loopnz(CPUState* s, Insn* i) noexcept nogil:
    if dec_count(s, i) and not get_zf(s):
        jump_near(s, s.eip + i.imm, i.osize)


cdef void op_jcxz(CPUState* s, Insn* i) noexcept nogil:
    if count_reg(s, i) == 0:
        jump_near(s, s.eip + i.imm, i.osize)


# ---- far transfers ----
cdef void far_jump(CPUState* s, uint32_t sel, uint32_t off, int osize) noexcept nogil:
    if s.pmode:
        far_jump_prot(s, <uint16_t>sel, off, osize)
        return
    if off > s.seg[SEG_CS].limit:
        gp(s, 0)
    load_seg_real(s, SEG_CS, sel)
    s.eip = off


cdef void far_call(CPUState* s, uint32_t sel, uint32_t off, int osize) noexcept nogil:
    cdef uint32_t nsp
    if s.pmode:
        far_call_prot(s, <uint16_t>sel, off, osize)
        return
    if off > s.seg[SEG_CS].limit:
        gp(s, 0)
    nsp = (s.regs[ESP] - 2 * osize) & sp_mask(s)
    vwr(s, SEG_SS, (nsp + osize) & sp_mask(s), s.seg[SEG_CS].sel, osize)
    vwr(s, SEG_SS, nsp, s.eip, osize)
    set_sp(s, nsp)
    load_seg_real(s, SEG_CS, sel)
    s.eip = off


cdef void op_jmp_far(CPUState* s, Insn* i) noexcept nogil:
    far_jump(s, i.imm2, i.imm, i.osize)


cdef void op_call_far(CPUState* s, Insn* i) noexcept nogil:
    far_call(s, i.imm2, i.imm, i.osize)


cdef inline void read_far_ptr(CPUState* s, Insn* i, uint32_t* sel, uint32_t* off) noexcept nogil:
    if i.mod == 3:
        ud(s)
    off[0] = vrd(s, i.seg, ea(s, i), i.osize)
    sel[0] = vrd(s, i.seg, (ea(s, i) + i.osize) & i.amask, 2)


cdef void op_jmp_far_Mp(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t sel, off
    read_far_ptr(s, i, &sel, &off)
    far_jump(s, sel, off, i.osize)


cdef void op_call_far_Mp(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t sel, off
    read_far_ptr(s, i, &sel, &off)
    far_call(s, sel, off, i.osize)


cdef void op_ret_far(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t off, sel
    cdef uint32_t imm = i.imm if i.op == 0xCA else 0
    if s.pmode:
        far_ret_prot(s, i.osize, imm)
        return
    off = stack_read(s, 0, i.osize)
    sel = stack_read(s, i.osize, 2)
    if off > s.seg[SEG_CS].limit:
        gp(s, 0)
    load_seg_real(s, SEG_CS, sel)
    s.eip = off
    set_sp(s, s.regs[ESP] + 2 * i.osize + imm)


cdef void op_iret(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t off, sel, fl
    if s.cr0 & CR0_PE:
        iret_prot(s, i.osize)
        return
    off = stack_read(s, 0, i.osize)
    sel = stack_read(s, i.osize, 2)
    fl = stack_read(s, 2 * i.osize, i.osize)
    if off > s.seg[SEG_CS].limit:
        gp(s, 0)
    load_seg_real(s, SEG_CS, sel)
    s.eip = off
    set_sp(s, s.regs[ESP] + 3 * i.osize)
    if i.osize == 4:
        write_eflags(s, fl, 0x257FD5)      # VM, VIP, VIF keep their values
    else:
        write_eflags(s, fl, 0xFFFF)
    s.nmi_blocked = 0


# ---- software interrupts ----
cdef void op_int_Ib(CPUState* s, Insn* i) noexcept nogil:
    if (s.flags & F_VM) and (s.flags & F_IOPL) != F_IOPL:
        gp(s, 0)                           # no VME: INT n is IOPL-sensitive in v8086
    do_interrupt(s, i.imm, 0, 0, KIND_SOFT)


cdef void op_int3(CPUState* s, Insn* i) noexcept nogil:
    do_interrupt(s, EXC_BP, 0, 0, KIND_SOFT_EXC)


cdef void op_into(CPUState* s, Insn* i) noexcept nogil:
    if get_of(s):
        do_interrupt(s, EXC_OF, 0, 0, KIND_SOFT_EXC)


cdef void op_int1(CPUState* s, Insn* i) noexcept nogil:
    do_interrupt(s, EXC_DB, 0, 0, KIND_ICEBP)


cdef void op_hlt(CPUState* s, Insn* i) noexcept nogil:
    if s.cpl != 0:
        gp(s, 0)
    if intercepted(s, ICPT_HLT, 0):
        return
    s.halted = 1
    kick(s)


cdef void op_bound(CPUState* s, Insn* i) noexcept nogil:
    cdef int32_t idx, lo, hi
    cdef uint32_t off
    if i.mod == 3:
        ud(s)
    off = ea(s, i)
    if i.osize == 4:
        idx = <int32_t>s.regs[i.reg]
        lo = <int32_t>vrd(s, i.seg, off, 4)
        hi = <int32_t>vrd(s, i.seg, (off + 4) & i.amask, 4)
    else:
        idx = <int16_t>(s.regs[i.reg] & 0xFFFF)
        lo = <int16_t>vrd(s, i.seg, off, 2)
        hi = <int16_t>vrd(s, i.seg, (off + 2) & i.amask, 2)
    if idx < lo or idx > hi:
        raise_exc(s, EXC_BR, 0, 0)
