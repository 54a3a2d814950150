# Data movement: MOV, XCHG, LEA, PUSH/POP (incl. segment registers, PUSHA/POPA),
# PUSHF/POPF, flag instructions, conversions, MOVZX/MOVSX, CMOVcc, SETcc, XLAT,
# far-pointer loads, BSWAP, XADD, CMPXCHG, CMPXCHG8B (included by cpu/interp.pyx).

cdef void op_nop(CPUState* s, Insn* i) noexcept nogil:
    if i.rep == REP_E:                     # F3 90 is PAUSE
        intercepted(s, ICPT_PAUSE, 0)


cdef void op_nop_Ev(CPUState* s, Insn* i) noexcept nogil:
    pass                                   # hint NOPs and PREFETCHh touch no memory


cdef void op_ud(CPUState* s, Insn* i) noexcept nogil:
    ud(s)


# ---- MOV ----
cdef void op_mov_Eb_Gb(CPUState* s, Insn* i) noexcept nogil:
    rm_write(s, i, get_reg(s, i.reg, 1), 1)


cdef void op_mov_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    rm_write(s, i, get_reg(s, i.reg, i.osize), i.osize)


cdef void op_mov_Gb_Eb(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, rm_read(s, i, 1), 1)


cdef void op_mov_Gv_Ev(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, rm_read(s, i, i.osize), i.osize)


cdef void op_mov_Eb_Ib(CPUState* s, Insn* i) noexcept nogil:
    rm_write(s, i, i.imm, 1)


cdef void op_mov_Ev_Iz(CPUState* s, Insn* i) noexcept nogil:
    rm_write(s, i, i.imm, i.osize)


cdef void op_mov_r8_Ib(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.op & 7, i.imm, 1)


cdef void op_mov_r_Iz(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.op & 7, i.imm, i.osize)


cdef void op_mov_AL_Ob(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, EAX, vrd(s, i.seg, i.imm, 1), 1)


cdef void op_mov_eAX_Ov(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, EAX, vrd(s, i.seg, i.imm, i.osize), i.osize)


cdef void op_mov_Ob_AL(CPUState* s, Insn* i) noexcept nogil:
    vwr(s, i.seg, i.imm, s.regs[EAX], 1)


cdef void op_mov_Ov_eAX(CPUState* s, Insn* i) noexcept nogil:
    vwr(s, i.seg, i.imm, s.regs[EAX], i.osize)


cdef void op_mov_Ew_Sw(CPUState* s, Insn* i) noexcept nogil:
    if i.reg > 5:
        ud(s)
    if i.mod == 3:
        # P6 and later zero-extend into a 32-bit register
        set_reg(s, i.rm, s.seg[i.reg].sel, i.osize)
    else:
        vwr(s, i.seg, ea(s, i), s.seg[i.reg].sel, 2)


cdef void op_mov_Sw_Ew(CPUState* s, Insn* i) noexcept nogil:
    if i.reg > 5 or i.reg == SEG_CS:
        ud(s)
    load_seg(s, i.reg, rm_read(s, i, 2))
    if i.reg == SEG_SS:
        ss_shadow(s)


cdef void op_lea(CPUState* s, Insn* i) noexcept nogil:
    if i.mod == 3:
        ud(s)
    set_reg(s, i.reg, ea(s, i), i.osize)


# ---- XCHG ----
cdef void op_xchg_eAX_r(CPUState* s, Insn* i) noexcept nogil:
    cdef int r = i.op & 7
    cdef uint32_t t = get_reg(s, r, i.osize)
    set_reg(s, r, get_reg(s, EAX, i.osize), i.osize)
    set_reg(s, EAX, t, i.osize)


cdef inline void xchg_rm(CPUState* s, Insn* i, int size) noexcept nogil:
    cdef uint32_t lin, t
    if i.mod == 3:
        t = get_reg(s, i.rm, size)
        set_reg(s, i.rm, get_reg(s, i.reg, size), size)
        set_reg(s, i.reg, t, size)
    else:
        lin = seg_check(s, i.seg, ea(s, i), size, 1)
        probe_write(s, lin, size)
        t = rd(s, lin, size)
        wr(s, lin, get_reg(s, i.reg, size), size)
        set_reg(s, i.reg, t, size)


cdef void op_xchg_Eb_Gb(CPUState* s, Insn* i) noexcept nogil:
    xchg_rm(s, i, 1)


cdef void op_xchg_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    xchg_rm(s, i, i.osize)


# ---- stack ----
cdef void op_push_r(CPUState* s, Insn* i) noexcept nogil:
    push(s, get_reg(s, i.op & 7, i.osize), i.osize)   # PUSH ESP pushes the old value


cdef void op_pop_r(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t v = pop(s, i.osize)
    set_reg(s, i.op & 7, v, i.osize)


cdef void op_push_I(CPUState* s, Insn* i) noexcept nogil:
    push(s, i.imm, i.osize)


cdef void op_push_Ev(CPUState* s, Insn* i) noexcept nogil:
    push(s, rm_read(s, i, i.osize), i.osize)


cdef void op_pop_Ev(CPUState* s, Insn* i) noexcept nogil:
    # the destination's address is computed with ESP already incremented (SDM: POP)
    cdef uint32_t v = stack_read(s, 0, i.osize)
    keep_esp(s)
    set_sp(s, s.regs[ESP] + i.osize)
    rm_write(s, i, v, i.osize)
    s.esp_saved = 0


cdef void op_push_sreg(CPUState* s, Insn* i) noexcept nogil:
    # P6: a 32-bit push of a segment register writes only the low 16 bits
    cdef uint32_t nsp = (s.regs[ESP] - i.osize) & sp_mask(s)
    vwr(s, SEG_SS, nsp, s.seg[(i.op >> 3) & 7].sel, 2)
    if i.osize == 4:
        seg_check(s, SEG_SS, nsp, 4, 1)
    set_sp(s, nsp)


cdef void op_pop_sreg(CPUState* s, Insn* i) noexcept nogil:
    cdef int sg = (i.op >> 3) & 7
    cdef uint32_t v = stack_read(s, 0, i.osize)
    load_seg(s, sg, v & 0xFFFF)
    set_sp(s, s.regs[ESP] + i.osize)
    if sg == SEG_SS:
        ss_shadow(s)


cdef void op_pusha(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t sp = s.regs[ESP]
    cdef int r
    keep_esp(s)
    for r in range(8):
        push(s, get_reg(s, r, i.osize) if r != ESP else sp, i.osize)
    s.esp_saved = 0


cdef void op_popa(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t v[8]
    cdef int r
    for r in range(8):
        v[7 - r] = stack_read(s, r * i.osize, i.osize)
    for r in range(8):
        if r != ESP:
            set_reg(s, r, v[r], i.osize)
    set_sp(s, s.regs[ESP] + 8 * i.osize)


cdef void op_enter(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t size = i.imm, level = i.imm2 & 31, frame, bp, k
    cdef int sz = i.osize
    keep_esp(s)
    push(s, get_reg(s, EBP, sz), sz)
    # FrameTemp is all of ESP, even on a 16-bit stack (SDM ENTER: "FrameTemp := ESP")
    frame = s.regs[ESP]
    bp = s.regs[EBP]
    if level > 0:
        for k in range(1, level):
            bp = (bp - sz) & sp_mask(s) | (bp & ~sp_mask(s))
            push(s, vrd(s, SEG_SS, bp & sp_mask(s), sz), sz)
        push(s, frame, sz)
    # the whole new frame must be writable (P6 checks the final ESP)
    seg_check(s, SEG_SS, (s.regs[ESP] - size) & sp_mask(s), 1, 1)
    set_reg(s, EBP, frame, sz)
    set_sp(s, s.regs[ESP] - size)
    s.esp_saved = 0


cdef void op_leave(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t bp = s.regs[EBP] & sp_mask(s)
    cdef uint32_t v = vrd(s, SEG_SS, bp, i.osize)
    set_sp(s, bp + i.osize)
    set_reg(s, EBP, v, i.osize)


# ---- flags ----
cdef void op_pushf(CPUState* s, Insn* i) noexcept nogil:
    if (s.flags & F_VM) and (s.flags & F_IOPL) != F_IOPL:
        gp(s, 0)
    push(s, get_eflags(s) & ~(<uint32_t>(F_VM | F_RF)), i.osize)


cdef void op_popf(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t v, mask
    cdef uint32_t iopl = (s.flags & F_IOPL) >> 12
    if (s.flags & F_VM) and iopl != 3:
        gp(s, 0)
    v = stack_read(s, 0, i.osize)
    mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID | F_IF | F_IOPL
    if s.pmode or s.v86:
        if s.cpl > 0:
            mask &= ~(<uint32_t>F_IOPL)     # IOPL changes only at CPL 0
        if s.cpl > iopl:
            mask &= ~(<uint32_t>F_IF)       # IF changes only at CPL <= IOPL
    if i.osize == 2:
        mask &= 0xFFFF
    set_sp(s, s.regs[ESP] + i.osize)
    write_eflags(s, v & ~(<uint32_t>F_RF), mask | F_RF)     # POPF clears RF


cdef void op_sahf(CPUState* s, Insn* i) noexcept nogil:
    materialize_flags(s)
    s.flags = (s.flags & ~(<uint32_t>0xD5)) | ((s.regs[EAX] >> 8) & 0xD5)


cdef void op_lahf(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, 4, get_eflags(s) & 0xFF, 1)        # AH


cdef void op_clc(CPUState* s, Insn* i) noexcept nogil:
    set_cf(s, 0)


cdef void op_stc(CPUState* s, Insn* i) noexcept nogil:
    set_cf(s, 1)


cdef void op_cmc(CPUState* s, Insn* i) noexcept nogil:
    set_cf(s, get_cf(s) ^ 1)


cdef void op_cld(CPUState* s, Insn* i) noexcept nogil:
    s.flags &= ~(<uint32_t>F_DF)


cdef void op_std(CPUState* s, Insn* i) noexcept nogil:
    s.flags |= F_DF


cdef inline bint iopl_sensitive_ok(CPUState* s) noexcept nogil:
    """CLI/STI are allowed at CPL <= IOPL (always in real mode)."""
    if not (s.cr0 & CR0_PE):
        return 1
    return s.cpl <= ((s.flags & F_IOPL) >> 12)


cdef void op_cli(CPUState* s, Insn* i) noexcept nogil:
    if not iopl_sensitive_ok(s):
        gp(s, 0)
    s.flags &= ~(<uint32_t>F_IF)


cdef void op_sti(CPUState* s, Insn* i) noexcept nogil:
    if not iopl_sensitive_ok(s):
        gp(s, 0)
    if not (s.flags & F_IF):
        s.flags |= F_IF
        s.inhibit_until = s.icount + 2     # the next instruction completes first
        kick(s)


# ---- conversions ----
cdef void op_cbw(CPUState* s, Insn* i) noexcept nogil:
    if i.osize == 4:
        s.regs[EAX] = <uint32_t><int32_t><int16_t>(s.regs[EAX] & 0xFFFF)
    else:
        set_reg(s, EAX, <uint32_t><int32_t><int8_t>(s.regs[EAX] & 0xFF), 2)


cdef void op_cwd(CPUState* s, Insn* i) noexcept nogil:
    if i.osize == 4:
        s.regs[EDX] = 0xFFFFFFFFU if s.regs[EAX] & 0x80000000U else 0
    else:
        set_reg(s, EDX, 0xFFFF if s.regs[EAX] & 0x8000 else 0, 2)


cdef void op_salc(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, EAX, 0xFF if get_cf(s) else 0, 1)


cdef void op_xlat(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t off = (s.regs[EBX] + (s.regs[EAX] & 0xFF)) & i.amask
    set_reg(s, EAX, vrd(s, i.seg, off, 1), 1)


cdef void op_movzx_Gv_Eb(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, rm_read(s, i, 1), i.osize)


cdef void op_movzx_Gv_Ew(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, rm_read(s, i, 2), i.osize)


cdef void op_movsx_Gv_Eb(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, <uint32_t><int32_t><int8_t>rm_read(s, i, 1), i.osize)


cdef void op_movsx_Gv_Ew(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, i.reg, <uint32_t><int32_t><int16_t>rm_read(s, i, 2), i.osize)


cdef void op_cmovcc(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t v = rm_read(s, i, i.osize)   # the source is read (and may fault) always
    if cond(s, i.op & 15):
        set_reg(s, i.reg, v, i.osize)


cdef void op_setcc(CPUState* s, Insn* i) noexcept nogil:
    rm_write(s, i, cond(s, i.op & 15), 1)


# ---- far pointer loads ----
cdef inline void load_far_ptr(CPUState* s, Insn* i, int sg) noexcept nogil:
    cdef uint32_t off, sel
    if i.mod == 3:
        ud(s)
    off = vrd(s, i.seg, ea(s, i), i.osize)
    sel = vrd(s, i.seg, (ea(s, i) + i.osize) & i.amask, 2)
    load_seg(s, sg, sel)
    set_reg(s, i.reg, off, i.osize)


cdef void op_les(CPUState* s, Insn* i) noexcept nogil:
    load_far_ptr(s, i, SEG_ES)


cdef void op_lds(CPUState* s, Insn* i) noexcept nogil:
    load_far_ptr(s, i, SEG_DS)


cdef void op_lss(CPUState* s, Insn* i) noexcept nogil:
    load_far_ptr(s, i, SEG_SS)


cdef void op_lfs(CPUState* s, Insn* i) noexcept nogil:
    load_far_ptr(s, i, SEG_FS)


cdef void op_lgs(CPUState* s, Insn* i) noexcept nogil:
    load_far_ptr(s, i, SEG_GS)


# ---- 486+ atomics and byte swap ----
cdef void op_bswap(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t v = s.regs[i.op & 7]
    if i.osize == 2:
        set_reg(s, i.op & 7, 0, 2)         # undefined; P6 and Bochs clear the low word
        return
    s.regs[i.op & 7] = ((v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24))


cdef inline void xadd(CPUState* s, Insn* i, int size) noexcept nogil:
    cdef uint32_t lin, d, x = get_reg(s, i.reg, size), r
    if i.mod == 3:
        d = get_reg(s, i.rm, size)
        r = alu(s, 0, d, x, 8 * size)
        set_reg(s, i.reg, d, size)
        set_reg(s, i.rm, r, size)
    else:
        lin = seg_check(s, i.seg, ea(s, i), size, 1)
        probe_write(s, lin, size)
        d = rd(s, lin, size)
        r = alu(s, 0, d, x, 8 * size)
        wr(s, lin, r, size)
        set_reg(s, i.reg, d, size)


cdef void op_xadd_Eb_Gb(CPUState* s, Insn* i) noexcept nogil:
    xadd(s, i, 1)


cdef void op_xadd_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    xadd(s, i, i.osize)


cdef inline void cmpxchg(CPUState* s, Insn* i, int size) noexcept nogil:
    cdef uint32_t lin, d, acc = get_reg(s, EAX, size)
    if i.mod == 3:
        d = get_reg(s, i.rm, size)
        alu(s, 7, acc, d, 8 * size)
        if acc == d:
            set_reg(s, i.rm, get_reg(s, i.reg, size), size)
        else:
            set_reg(s, EAX, d, size)
    else:
        lin = seg_check(s, i.seg, ea(s, i), size, 1)
        probe_write(s, lin, size)
        d = rd(s, lin, size)
        alu(s, 7, acc, d, 8 * size)
        # the destination is written either way (a locked read-modify-write cycle)
        if acc == d:
            wr(s, lin, get_reg(s, i.reg, size), size)
        else:
            wr(s, lin, d, size)
            set_reg(s, EAX, d, size)


cdef void op_cmpxchg_Eb_Gb(CPUState* s, Insn* i) noexcept nogil:
    cmpxchg(s, i, 1)


cdef void op_cmpxchg_Ev_Gv(CPUState* s, Insn* i) noexcept nogil:
    cmpxchg(s, i, i.osize)


cdef void op_cmpxchg8b(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t lin, lo, hi
    if i.mod == 3:
        ud(s)
    lin = seg_check(s, i.seg, ea(s, i), 8, 1)
    probe_write(s, lin, 4)
    probe_write(s, lin + 4, 4)
    lo = rd32(s, lin)
    hi = rd32(s, lin + 4)
    materialize_flags(s)
    if lo == s.regs[EAX] and hi == s.regs[EDX]:
        wr32(s, lin, s.regs[EBX])
        wr32(s, lin + 4, s.regs[ECX])
        s.flags |= F_ZF
    else:
        wr32(s, lin, lo)
        wr32(s, lin + 4, hi)
        s.regs[EAX] = lo
        s.regs[EDX] = hi
        s.flags &= ~(<uint32_t>F_ZF)
