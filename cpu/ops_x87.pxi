# x87 instructions: escape opcodes D8-DF and FWAIT (included by cpu/interp.pyx after
# cpu/fpu.pxi, which holds the mechanics). The whole Pentium III x87 set, including the
# undocumented aliases the P6 decodes (FSTP1 D9 D8+i, FCOM2 DC D0+i, FCOMP3 DC D8+i,
# FXCH4 DD C8+i, FCOMP5 DE D0+i, FFREEP DF C0+i, FXCH7 DF C8+i, FSTP8/FSTP9 DF D0+i/D8+i)
# and the 8087/287 control instructions the later chips execute as no-ops (FENI, FDISI,
# FSETPM). Reserved encodings (and FISTTP, which is SSE3) raise #UD.
#
# op_esc dispatches on (opcode, ModRM.mod == 3, reg, rm) through two tables, each
# entry with its kind: reserved (#UD without checking for pending exceptions, SDM vol.
# 3A, 22.18.6.6), non-waiting control (FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV,
# FNSAVE), waiting control (FLDCW, FLDENV, FRSTOR: no pointer update), or a numeric
# instruction, which afterwards becomes the "last instruction" of FIP/FCS/FOP (and
# FDP/FDS with a memory operand; SDM vol. 1, 8.1.8-8.1.9).

ctypedef void (*x87_fn)(CPUState* s, Insn* i) noexcept nogil

cdef enum:
    XK_UD = 0
    XK_NOWAIT = 1
    XK_CTRL = 2
    XK_OP = 3

cdef x87_fn x87_mem_fn[64]        # by (opcode & 7) * 8 + reg
cdef uint8_t x87_mem_kind[64]
cdef x87_fn x87_reg_fn[512]       # by (opcode & 7) * 64 + reg * 8 + rm
cdef uint8_t x87_reg_kind[512]


cdef void op_esc(CPUState* s, Insn* i) noexcept nogil:
    cdef int k, kind
    cdef x87_fn f
    x87_release(s)                          # cpu/x87_host.pxi
    if s.cr0 & (CR0_EM | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)          # SDM vol. 3A, 2.5 (CR0.EM, CR0.TS)
    if i.mod == 3:
        k = ((i.op & 7) << 6) | (i.reg << 3) | i.rm
        f = x87_reg_fn[k]
        kind = x87_reg_kind[k]
    else:
        k = ((i.op & 7) << 3) | i.reg
        f = x87_mem_fn[k]
        kind = x87_mem_kind[k]
    if kind == XK_UD:
        ud(s)
    if kind != XK_NOWAIT and (s.fsw & FSW_ES) and fpu_pending(s):
        return
    f(s, i)
    if kind == XK_OP:
        s.fip = insn_eip(s)
        s.fcs = s.seg[SEG_CS].sel
        s.fop = ((i.op & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm
        if i.mod != 3:
            s.fdp = ea(s, i)
            s.fds = s.seg[i.seg].sel


cdef void op_fwait(CPUState* s, Insn* i) noexcept nogil:
    if (s.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
    if s.fsw & FSW_ES:
        fpu_pending(s)


# ---------------------------------------------------------------------------------
# Loads

cdef void load_conv(CPUState* s, Insn* i, int n, hx_fn conv) noexcept nogil:
    """Push a memory operand of n bytes converted to 80 bits. Only an SNaN (IE) or a
    denormal (DE) source can raise an exception; unmasked, nothing is loaded."""
    cdef uint8_t buf[10]
    cdef F80 r
    cdef uint16_t hsw, ex
    mem_in(s, x87_addr(s, i, n, 0), buf, n, n if n <= 8 else 8)
    if fpu_push_check(s):
        return
    hsw = conv(cw_masked(s), s.hx, buf, NULL, &r, NULL)
    ex = hsw & FSW_EXC
    s.fsw &= ~FSW_C1
    if ex & ~s.fcw:
        fpu_flag(s, ex)
        return
    fpu_flag(s, ex)
    fpu_push(s, &r)


cdef void load_exact(CPUState* s, Insn* i, int n, bint integer) noexcept nogil:
    """FLD m32/m64 (falling back to the host for denormals, infinities, NaNs) and FILD."""
    cdef uint8_t buf[8]
    cdef F80 r
    cdef int64_t v
    mem_in(s, x87_addr(s, i, n, 0), buf, n, n)
    if integer:
        v = <int16_t>(buf[0] | (buf[1] << 8)) if n == 2 else 0
        if n == 4:
            v = (<int32_t*>buf)[0]
        elif n == 8:
            v = (<int64_t*>buf)[0]
        int_to_x80(v, &r)
    elif not float_to_x80(buf, n, &r):
        load_conv(s, i, n, hx_ld_s if n == 4 else hx_ld_l)
        return
    if fpu_push_check(s):
        return
    s.fsw &= ~FSW_C1
    fpu_push(s, &r)


cdef void x_fld_m32(CPUState* s, Insn* i) noexcept nogil:
    load_exact(s, i, 4, 0)


cdef void x_fld_m64(CPUState* s, Insn* i) noexcept nogil:
    load_exact(s, i, 8, 0)


cdef void x_fild_m16(CPUState* s, Insn* i) noexcept nogil:
    load_exact(s, i, 2, 1)


cdef void x_fild_m32(CPUState* s, Insn* i) noexcept nogil:
    load_exact(s, i, 4, 1)


cdef void x_fild_m64(CPUState* s, Insn* i) noexcept nogil:
    load_exact(s, i, 8, 1)


cdef void x_fbld(CPUState* s, Insn* i) noexcept nogil:
    load_conv(s, i, 10, hx_bld)


cdef void x_fld_m80(CPUState* s, Insn* i) noexcept nogil:
    # no conversion: even an SNaN loads unchanged and without IE
    cdef F80 r
    mem_in(s, x87_addr(s, i, 10, 0), <uint8_t*>&r, 10, 8)
    if fpu_push_check(s):
        return
    s.fsw &= ~FSW_C1
    fpu_push(s, &r)


cdef void x_fld_sti(CPUState* s, Insn* i) noexcept nogil:
    cdef F80 r
    if st_empty(s, i.rm):
        if fpu_underflow(s):
            return
        set_indefinite(&r)
    else:
        f80_copy(&r, fst(s, i.rm))
    if fpu_push_check(s):
        return
    s.fsw &= ~FSW_C1
    fpu_push(s, &r)


cdef void x_fldc(CPUState* s, Insn* i) noexcept nogil:
    """FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (D9 E8-EE). The chip keeps the
    constants with 66 bits and rounds them by the rounding control without flagging
    inexact (SDM vol. 1, 8.3.7)."""
    cdef F80 r
    if fpu_push_check(s):
        return
    hx_const(i.rm)(cw_masked(s), s.hx, NULL, NULL, &r, NULL)
    s.fsw &= ~FSW_C1
    fpu_push(s, &r)


# ---------------------------------------------------------------------------------
# Stores

cdef void store_conv(CPUState* s, Insn* i, int n, hx_fn conv, bint pop) noexcept nogil:
    """Store ST(0) converted to an n-byte memory format. An unmasked invalid-operation,
    overflow or underflow exception leaves memory and the stack alone (SDM vol. 1,
    8.5.1.2, 8.5.4, 8.5.5); masked, the format's indefinite / infinity / denormal is
    stored. A stack underflow stores the indefinite when IE is masked."""
    cdef uint8_t buf[10]
    cdef F80 q
    cdef uint16_t hsw, ex
    cdef uint32_t lin = x87_addr(s, i, n, 1)
    cdef int align = n if n <= 8 else 8
    if st_empty(s, 0):
        if not (s.fcw & FSW_IE):
            fpu_underflow(s)
            return
        set_indefinite(&q)
        conv(cw_masked(s), s.hx, &q, NULL, buf, NULL)
        mem_out(s, lin, buf, n, align)
        fpu_underflow(s)
    else:
        hsw = conv(cw_masked(s), s.hx, fst(s, 0), NULL, buf, NULL)
        ex = hsw & FSW_EXC
        if ex & ~s.fcw & FSW_IE:
            s.fsw &= ~FSW_C1
            fpu_flag(s, FSW_IE)
            return
        if ex & ~s.fcw & (FSW_OE | FSW_UE):
            s.fsw &= ~FSW_C1
            fpu_flag(s, ex & (FSW_OE | FSW_UE))
            return
        mem_out(s, lin, buf, n, align)
        set_c1(s, hsw)
        fpu_flag(s, ex)
    if pop:
        fpu_pop(s)


cdef void x_fst_m32(CPUState* s, Insn* i) noexcept nogil:
    store_conv(s, i, 4, hx_st_s, i.reg & 1)


cdef void x_fst_m64(CPUState* s, Insn* i) noexcept nogil:
    store_conv(s, i, 8, hx_st_l, i.reg & 1)


cdef void x_fist_m16(CPUState* s, Insn* i) noexcept nogil:
    store_conv(s, i, 2, hx_ist_w, i.reg & 1)


cdef void x_fist_m32(CPUState* s, Insn* i) noexcept nogil:
    store_conv(s, i, 4, hx_ist_d, i.reg & 1)


cdef void x_fistp_m64(CPUState* s, Insn* i) noexcept nogil:
    store_conv(s, i, 8, hx_ist_q, 1)


cdef void x_fbstp(CPUState* s, Insn* i) noexcept nogil:
    store_conv(s, i, 10, hx_bst, 1)


cdef void x_fstp_m80(CPUState* s, Insn* i) noexcept nogil:
    cdef F80 r
    cdef uint32_t lin = x87_addr(s, i, 10, 1)
    if st_empty(s, 0):
        if not (s.fcw & FSW_IE):
            fpu_underflow(s)
            return
        set_indefinite(&r)
        mem_out(s, lin, <uint8_t*>&r, 10, 8)
        fpu_underflow(s)
    else:
        mem_out(s, lin, <uint8_t*>fst(s, 0), 10, 8)
        s.fsw &= ~FSW_C1
    fpu_pop(s)


cdef void x_fst_sti(CPUState* s, Insn* i) noexcept nogil:
    """FST/FSTP ST(i) and the FSTP1/FSTP8/FSTP9 aliases (reg 3, or opcode DF/D9)."""
    cdef bint pop = (i.reg & 1) or (i.op & 7) != 5
    if st_empty(s, 0):
        if fpu_underflow(s):
            return
        set_indefinite(fst(s, i.rm))
        s.fempty &= ~(1 << ((s.ftop + i.rm) & 7))
    else:
        f80_copy(fst(s, i.rm), fst(s, 0))
        s.fempty &= ~(1 << ((s.ftop + i.rm) & 7))
        s.fsw &= ~FSW_C1
    if pop:
        fpu_pop(s)


# ---------------------------------------------------------------------------------
# Arithmetic

cdef void arith_regs(CPUState* s, int op, int d, int src, bint pop) noexcept nogil:
    """ST(d) = ST(d) op ST(src) (op numbered as ModRM.reg of D8), then pop if asked."""
    cdef F80 r
    cdef uint16_t hsw
    if st_empty(s, d) or st_empty(s, src):
        if fpu_underflow(s):
            return
        set_indefinite(fst(s, d))
        s.fempty &= ~(1 << ((s.ftop + d) & 7))
    else:
        hsw = hx_arith(op, K_X)(cw_arith(s), s.hx, fst(s, d), fst(s, src), &r, NULL)
        if not fpu_take(s, d, &r, hsw):
            return
    if pop:
        fpu_pop(s)


cdef void x_arith_st0(CPUState* s, Insn* i) noexcept nogil:
    # D8 C0-FF: ST(0) = ST(0) op ST(i)
    arith_regs(s, i.reg, 0, i.rm, 0)


cdef inline int dest_sti_op(int reg) noexcept nogil:
    # with ST(i) as the destination (DC, DE) the encodings of the plain and reversed
    # subtract/divide are swapped: DC E0+i is FSUBR ST(i),ST(0), DC E8+i FSUB ST(i),ST(0)
    return reg ^ 1 if reg >= 4 else reg


cdef void x_arith_sti(CPUState* s, Insn* i) noexcept nogil:
    # DC C0-FF: ST(i) = ST(i) op ST(0); DE C0-FF: the same, then pop
    arith_regs(s, dest_sti_op(i.reg), i.rm, 0, (i.op & 7) == 6)


cdef int mem_kind(Insn* i) noexcept nogil:
    # D8: m32 real, DA: m32 integer, DC: m64 real, DE: m16 integer
    cdef int k = (i.op >> 1) & 3
    return K_S if k == 0 else K_D if k == 1 else K_L if k == 2 else K_W


cdef inline int kind_size(int kind) noexcept nogil:
    return 4 if kind == K_S or kind == K_D else 8 if kind == K_L else 2


cdef void x_arith_m(CPUState* s, Insn* i) noexcept nogil:
    # D8/DA/DC/DE with a memory operand: ST(0) = ST(0) op m
    cdef uint8_t buf[8]
    cdef F80 r
    cdef uint16_t hsw
    cdef int kind = mem_kind(i)
    cdef int n = kind_size(kind)
    mem_in(s, x87_addr(s, i, n, 0), buf, n, n)
    if st_empty(s, 0):
        if not fpu_underflow(s):
            set_indefinite(fst(s, 0))
            s.fempty &= ~(1 << s.ftop)
        return
    hsw = hx_arith(i.reg, kind)(cw_arith(s), s.hx, fst(s, 0), buf, &r, NULL)
    fpu_take(s, 0, &r, hsw)


# ---------------------------------------------------------------------------------
# Comparisons

cdef void compare_done(CPUState* s, uint16_t hsw, int pops, bint eflags) noexcept nogil:
    """Condition codes (or ZF/PF/CF for FCOMI) from a host comparison. An unmasked
    invalid or denormal exception leaves the codes alone and pops nothing."""
    cdef uint16_t ex = hsw & (FSW_IE | FSW_DE)
    cdef uint16_t cc = hsw & (FSW_C0 | FSW_C2 | FSW_C3)
    if ex & ~s.fcw:
        if eflags:
            # OF SF AF are cleared even then (SDM vol. 2A, FCOMI)
            materialize_flags(s)
            s.flags &= ~(<uint32_t>(F_OF | F_SF | F_AF))
        fpu_flag(s, ex)
        return
    if eflags:
        # FCOMI/FUCOMI: ZF PF CF as C3 C2 C0 would be; OF SF AF cleared
        set_arith_flags(s, (F_ZF if cc & FSW_C3 else 0) | (F_PF if cc & FSW_C2 else 0) |
                        (F_CF if cc & FSW_C0 else 0))
        s.fsw &= ~FSW_C1
    else:
        s.fsw = (s.fsw & ~FSW_CC) | cc
    fpu_flag(s, ex)
    while pops:
        fpu_pop(s)
        pops -= 1


cdef void compare_regs(CPUState* s, int src, bint unordered, int pops,
                       bint eflags) noexcept nogil:
    cdef uint16_t hsw
    if st_empty(s, 0) or st_empty(s, src):
        if fpu_underflow(s):
            return
        hsw = FSW_C0 | FSW_C2 | FSW_C3          # masked response: "unordered"
    elif unordered:
        hsw = hx_ucom_x(cw_masked(s), s.hx, fst(s, 0), fst(s, src), NULL, NULL)
    else:
        hsw = hx_com(K_X)(cw_masked(s), s.hx, fst(s, 0), fst(s, src), NULL, NULL)
    compare_done(s, hsw, pops, eflags)


cdef void x_fcom_sti(CPUState* s, Insn* i) noexcept nogil:
    # D8 D0+i FCOM, D8 D8+i FCOMP, DC D0+i FCOM2, DC D8+i FCOMP3, DE D0+i FCOMP5
    compare_regs(s, i.rm, 0, (i.reg & 1) or (i.op & 7) == 6, 0)


cdef void x_fcompp(CPUState* s, Insn* i) noexcept nogil:
    compare_regs(s, 1, 0, 2, 0)


cdef void x_fucom_sti(CPUState* s, Insn* i) noexcept nogil:
    # DD E0+i FUCOM, DD E8+i FUCOMP
    compare_regs(s, i.rm, 1, i.reg & 1, 0)


cdef void x_fucompp(CPUState* s, Insn* i) noexcept nogil:
    compare_regs(s, 1, 1, 2, 0)


cdef void x_fcomi(CPUState* s, Insn* i) noexcept nogil:
    # DB E8+i FUCOMI, DB F0+i FCOMI, DF E8+i FUCOMIP, DF F0+i FCOMIP
    compare_regs(s, i.rm, i.reg == 5, (i.op & 7) == 7, 1)


cdef void x_fcom_m(CPUState* s, Insn* i) noexcept nogil:
    # FCOM(P) m32/m64, FICOM(P) m16/m32
    cdef uint8_t buf[8]
    cdef uint16_t hsw
    cdef int kind = mem_kind(i)
    cdef int n = kind_size(kind)
    mem_in(s, x87_addr(s, i, n, 0), buf, n, n)
    if st_empty(s, 0):
        if fpu_underflow(s):
            return
        hsw = FSW_C0 | FSW_C2 | FSW_C3
    else:
        hsw = hx_com(kind)(cw_masked(s), s.hx, fst(s, 0), buf, NULL, NULL)
    compare_done(s, hsw, i.reg & 1, 0)


cdef void x_ftst(CPUState* s, Insn* i) noexcept nogil:
    cdef uint16_t hsw
    if st_empty(s, 0):
        if fpu_underflow(s):
            return
        hsw = FSW_C0 | FSW_C2 | FSW_C3
    else:
        hsw = hx_tst(cw_masked(s), s.hx, fst(s, 0), NULL, NULL, NULL)
    compare_done(s, hsw, 0, 0)


cdef void x_fxam(CPUState* s, Insn* i) noexcept nogil:
    """Classify ST(0) into C3 C2 C0, with C1 = its sign (SDM vol. 1, table 8-7)."""
    cdef F80* r = fst(s, 0)
    cdef int e = r.se & 0x7FFF
    cdef uint16_t cc
    cdef bint integer_bit = r.sig >> 63
    if st_empty(s, 0):
        cc = FSW_C3 | FSW_C0                        # empty
    elif e == 0x7FFF:
        if not integer_bit:
            cc = 0                                  # pseudo-NaN/pseudo-infinity
        elif r.sig << 1:
            cc = FSW_C0                             # NaN
        else:
            cc = FSW_C2 | FSW_C0                    # infinity
    elif e == 0:
        cc = FSW_C3 if r.sig == 0 else FSW_C3 | FSW_C2   # zero / (pseudo-)denormal
    else:
        cc = FSW_C2 if integer_bit else 0           # normal / unnormal
    if r.se & 0x8000:
        cc |= FSW_C1
    s.fsw = (s.fsw & ~FSW_CC) | cc


# ---------------------------------------------------------------------------------
# Register moves and sign operations

cdef void x_fxch(CPUState* s, Insn* i) noexcept nogil:
    # D9 C8+i, and the aliases FXCH4 (DD C8+i) and FXCH7 (DF C8+i). With an empty
    # operand the masked response makes it the indefinite before exchanging.
    cdef F80 t
    cdef int a = s.ftop, b = (s.ftop + i.rm) & 7
    if ((s.fempty >> a) | (s.fempty >> b)) & 1:
        if fpu_underflow(s):
            return
        if (s.fempty >> a) & 1:
            set_indefinite(&s.fpr[a])
        if (s.fempty >> b) & 1:
            set_indefinite(&s.fpr[b])
        s.fempty &= ~((1 << a) | (1 << b))
    else:
        s.fsw &= ~FSW_C1
    f80_copy(&t, &s.fpr[a])
    f80_copy(&s.fpr[a], &s.fpr[b])
    f80_copy(&s.fpr[b], &t)


cdef void x_fchs_fabs(CPUState* s, Insn* i) noexcept nogil:
    # D9 E0 FCHS, D9 E1 FABS: only the sign changes (no exception even for an SNaN)
    if st_empty(s, 0):
        if not fpu_underflow(s):
            set_indefinite(fst(s, 0))
            s.fempty &= ~(1 << s.ftop)
        return
    if i.rm == 0:
        fst(s, 0).se ^= 0x8000
    else:
        fst(s, 0).se &= 0x7FFF
    s.fsw &= ~FSW_C1


cdef void x_fcmov(CPUState* s, Insn* i) noexcept nogil:
    """FCMOVcc (DA C0-DF, DB C0-DF): B E BE U by reg, negated in DB."""
    cdef bint c
    cdef int r = i.reg & 3
    if r == 0:
        c = get_cf(s)
    elif r == 1:
        c = get_zf(s)
    elif r == 2:
        c = get_cf(s) or get_zf(s)
    else:
        c = get_pf(s)
    if (i.op & 7) == 3:
        c = not c
    if st_empty(s, 0) or st_empty(s, i.rm):
        if not fpu_underflow(s):
            set_indefinite(fst(s, 0))
            s.fempty &= ~(1 << s.ftop)
        return
    s.fsw &= ~FSW_C1
    if c:
        f80_copy(fst(s, 0), fst(s, i.rm))


cdef void x_fnop(CPUState* s, Insn* i) noexcept nogil:
    pass


cdef void x_fincdecstp(CPUState* s, Insn* i) noexcept nogil:
    # D9 F6 FDECSTP, D9 F7 FINCSTP: TOP moves, tags stay
    s.ftop = (s.ftop + (1 if i.rm == 7 else 7)) & 7
    s.fsw &= ~FSW_C1


cdef void x_ffree(CPUState* s, Insn* i) noexcept nogil:
    # DD C0+i FFREE; DF C0+i FFREEP (undocumented: free, then pop)
    s.fempty |= 1 << ((s.ftop + i.rm) & 7)
    if (i.op & 7) == 7:
        fpu_pop(s)


# ---------------------------------------------------------------------------------
# Transcendental and other numeric instructions on ST(0) (and ST(1))

cdef void unary(CPUState* s, hx_fn f, int trig) noexcept nogil:
    """ST(0) = f(ST(0)). FSIN/FCOS (trig Q_SIN/Q_COS, else -1) set C2 when
    |x| >= 2^63 (ST(0) unchanged), else clear it."""
    cdef F80 r, r1
    cdef uint16_t hsw
    if st_empty(s, 0):
        if not fpu_underflow(s):
            set_indefinite(fst(s, 0))
            s.fempty &= ~(1 << s.ftop)
        return
    if trig >= 0 and trig_by_quad(fst(s, 0)):
        hsw = q_trig(trig, fst(s, 0), &r, &r1, s.fcw, s.hx)
    else:
        hsw = f(cw_arith(s), s.hx, fst(s, 0), NULL, &r, NULL)
    if fpu_take(s, 0, &r, hsw) and trig >= 0:
        s.fsw = (s.fsw & ~FSW_C2) | (hsw & FSW_C2)


cdef void x_fsqrt(CPUState* s, Insn* i) noexcept nogil:
    unary(s, hx_sqrt, -1)


cdef void x_frndint(CPUState* s, Insn* i) noexcept nogil:
    unary(s, hx_rndint, -1)


cdef void x_f2xm1(CPUState* s, Insn* i) noexcept nogil:
    unary(s, hx_f2xm1, -1)


cdef void x_fsin(CPUState* s, Insn* i) noexcept nogil:
    unary(s, hx_sin, Q_SIN)


cdef void x_fcos(CPUState* s, Insn* i) noexcept nogil:
    unary(s, hx_cos, Q_COS)


cdef void two_keep(CPUState* s, hx_fn f, bint prem) noexcept nogil:
    """ST(0) = f(ST(0), ST(1)) with ST(1) kept: FSCALE, FPREM, FPREM1. The partial
    remainders report C2 (incomplete) and the quotient bits Q2 Q1 Q0 in C0 C3 C1."""
    cdef F80 r
    cdef uint16_t hsw
    if st_empty(s, 0) or st_empty(s, 1):
        if not fpu_underflow(s):
            set_indefinite(fst(s, 0))
            s.fempty &= ~(1 << s.ftop)
        return
    hsw = f(cw_arith(s), s.hx, fst(s, 0), fst(s, 1), &r, NULL)
    if fpu_take(s, 0, &r, hsw) and prem:
        s.fsw = (s.fsw & ~FSW_CC) | (hsw & FSW_CC)


cdef void x_fprem(CPUState* s, Insn* i) noexcept nogil:
    two_keep(s, hx_prem, 1)


cdef void x_fprem1(CPUState* s, Insn* i) noexcept nogil:
    two_keep(s, hx_prem1, 1)


cdef void x_fscale(CPUState* s, Insn* i) noexcept nogil:
    two_keep(s, hx_scale, 0)


cdef void two_pop(CPUState* s, hx_fn f) noexcept nogil:
    """ST(1) = f(ST(0), ST(1)), then pop: FPATAN, FYL2X, FYL2XP1."""
    cdef F80 r
    cdef uint16_t hsw
    if st_empty(s, 0) or st_empty(s, 1):
        if fpu_underflow(s):
            return
        set_indefinite(fst(s, 1))
        s.fempty &= ~(1 << ((s.ftop + 1) & 7))
    else:
        hsw = f(cw_arith(s), s.hx, fst(s, 0), fst(s, 1), &r, NULL)
        if not fpu_take(s, 1, &r, hsw):
            return
    fpu_pop(s)


cdef void x_fpatan(CPUState* s, Insn* i) noexcept nogil:
    two_pop(s, hx_patan)


cdef void x_fyl2x(CPUState* s, Insn* i) noexcept nogil:
    two_pop(s, hx_yl2x)


cdef void x_fyl2xp1(CPUState* s, Insn* i) noexcept nogil:
    two_pop(s, hx_yl2xp1)


cdef bint push_two_check(CPUState* s) noexcept nogil:
    """Before FXTRACT/FPTAN/FSINCOS (ST(0) replaced, one push): stack faults. Masked,
    both results are the indefinite. Returns 1 when the instruction is done."""
    cdef F80 q
    if not st_empty(s, 0) and st_empty(s, 7):
        return 0
    if (fpu_underflow(s) if st_empty(s, 0) else fpu_overflow(s)):
        return 1
    set_indefinite(&q)
    fst(s, 0)[0] = q
    s.fempty &= ~(1 << s.ftop)
    fpu_push(s, &q)
    return 1


cdef void x_fxtract(CPUState* s, Insn* i) noexcept nogil:
    cdef F80 sig, e
    cdef uint16_t hsw
    if push_two_check(s):
        return
    hsw = hx_xtract(cw_arith(s), s.hx, fst(s, 0), NULL, &sig, &e)
    if fpu_take(s, 0, &e, hsw):
        fpu_push(s, &sig)


cdef void push_two_saved(CPUState* s, hx_fn f, int trig) noexcept nogil:
    """FPTAN / FSINCOS: the host saved its whole state (FNSAVE image): with the operand
    in range there are two results (ST(1) replaces ST(0), ST(0) is pushed) and C2 = 0;
    out of range (|x| >= 2^63) C2 = 1 and ST(0) is unchanged."""
    cdef uint8_t img[FSAVE_SIZE]
    cdef uint16_t sw, tw
    cdef int depth = 0, k
    cdef F80 r0, r1
    if push_two_check(s):
        return
    if trig_by_quad(fst(s, 0)):
        sw = q_trig(trig, fst(s, 0), &r1, &r0, s.fcw, s.hx)
        fpu_take(s, 0, &r1, sw)
        fpu_push(s, &r0)
        s.fsw &= ~FSW_C2
        return
    f(cw_arith(s), s.hx, fst(s, 0), NULL, img, NULL)
    memcpy(&sw, img + 4, 2)
    memcpy(&tw, img + 8, 2)
    for k in range(8):
        depth += ((tw >> (2 * k)) & 3) != 3
    memcpy(&r0, img + 28, 10)
    memcpy(&r1, img + 38, 10)
    if depth == 2:
        if not fpu_take(s, 0, &r1, sw):
            return
        fpu_push(s, &r0)
    elif not fpu_take(s, 0, &r0, sw):
        return
    s.fsw = (s.fsw & ~FSW_C2) | (sw & FSW_C2)


cdef void x_fptan(CPUState* s, Insn* i) noexcept nogil:
    push_two_saved(s, hx_ptan, Q_TAN)


cdef void x_fsincos(CPUState* s, Insn* i) noexcept nogil:
    push_two_saved(s, hx_sincos, Q_SINCOS)


# ---------------------------------------------------------------------------------
# Control: control and status words, environment, state save/restore

cdef void x_fldcw(CPUState* s, Insn* i) noexcept nogil:
    s.fcw = (vrd(s, i.seg, ea(s, i), 2) & ~FCW_RESERVED) | FCW_FIXED
    fpu_update_es(s)               # unmasking a flagged exception makes it pending


cdef void x_fnstcw(CPUState* s, Insn* i) noexcept nogil:
    vwr(s, i.seg, ea(s, i), s.fcw, 2)


cdef void x_fnstsw_m(CPUState* s, Insn* i) noexcept nogil:
    vwr(s, i.seg, ea(s, i), fpu_sw(s), 2)


cdef void x_fnstsw_ax(CPUState* s, Insn* i) noexcept nogil:
    set_reg(s, EAX, fpu_sw(s), 2)


cdef void x_fnclex(CPUState* s, Insn* i) noexcept nogil:
    s.fsw &= ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B)
    fpu_ferr(s)


cdef void x_fninit(CPUState* s, Insn* i) noexcept nogil:
    fpu_init(s)


cdef inline void put16(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = <uint8_t>v
    p[1] = <uint8_t>(v >> 8)


cdef inline void put32(uint8_t* p, uint32_t v) noexcept nogil:
    put16(p, v)
    put16(p + 2, v >> 16)


cdef inline uint32_t get16(const uint8_t* p) noexcept nogil:
    return p[0] | (<uint32_t>p[1] << 8)


cdef inline uint32_t get32(const uint8_t* p) noexcept nogil:
    return get16(p) | (get16(p + 2) << 16)


cdef int env_store(CPUState* s, Insn* i, uint8_t* p) noexcept nogil:
    """Build the FSTENV image (SDM vol. 1, figures 8-9 to 8-12) for the operand size
    and mode: protected mode keeps selector:offset pointers, real and virtual-8086
    mode the 20-bit linear addresses. Reserved halves read as 1s as on Intel chips.
    Returns its size (14 or 28)."""
    cdef uint32_t ip = s.fip, dp = s.fdp
    cdef bint prot = s.pmode
    if not prot:
        ip = ((<uint32_t>s.fcs << 4) + s.fip)
        dp = ((<uint32_t>s.fds << 4) + s.fdp)
    if i.osize == 2:
        put16(p, s.fcw)
        put16(p + 2, fpu_sw(s))
        put16(p + 4, fpu_tag_word(s))
        if prot:
            put16(p + 6, ip)
            put16(p + 8, s.fcs)
            put16(p + 10, dp)
            put16(p + 12, s.fds)
        else:
            put16(p + 6, ip)
            put16(p + 8, ((ip >> 16) << 12) | s.fop)
            put16(p + 10, dp)
            put16(p + 12, (dp >> 16) << 12)
        return 14
    put32(p, 0xFFFF0000U | s.fcw)
    put32(p + 4, 0xFFFF0000U | fpu_sw(s))
    put32(p + 8, 0xFFFF0000U | fpu_tag_word(s))
    if prot:
        put32(p + 12, ip)
        put32(p + 16, s.fcs | (<uint32_t>s.fop << 16))
        put32(p + 20, dp)
        put32(p + 24, 0xFFFF0000U | s.fds)
    else:
        put32(p + 12, 0xFFFF0000U | (ip & 0xFFFF))
        put32(p + 16, ((ip >> 16) << 12) | s.fop)
        put32(p + 20, 0xFFFF0000U | (dp & 0xFFFF))
        put32(p + 24, (dp >> 16) << 12)
    return 28


cdef void env_load(CPUState* s, Insn* i, const uint8_t* p) noexcept nogil:
    """Load an FLDENV image. The tag word only tells which registers are empty
    (SDM vol. 1, 8.1.7); the full tags are derived from the contents."""
    cdef uint32_t tw, sw
    if i.osize == 2:
        s.fcw = get16(p)
        sw = get16(p + 2)
        tw = get16(p + 4)
        if s.pmode:
            s.fip = get16(p + 6)
            s.fcs = get16(p + 8)
            s.fdp = get16(p + 10)
            s.fds = get16(p + 12)
        else:
            s.fip = get16(p + 6) | ((get16(p + 8) >> 12) << 16)
            s.fop = get16(p + 8) & 0x7FF
            s.fdp = get16(p + 10) | ((get16(p + 12) >> 12) << 16)
            s.fcs = s.fds = 0
    else:
        s.fcw = get16(p)
        sw = get16(p + 4)
        tw = get16(p + 8)
        if s.pmode:
            s.fip = get32(p + 12)
            s.fcs = get16(p + 16)
            s.fop = get16(p + 18) & 0x7FF
            s.fdp = get32(p + 20)
            s.fds = get16(p + 24)
        else:
            s.fip = get16(p + 12) | (((get32(p + 16) >> 12) & 0xFFFF) << 16)
            s.fop = get16(p + 16) & 0x7FF
            s.fdp = get16(p + 20) | (((get32(p + 24) >> 12) & 0xFFFF) << 16)
            s.fcs = s.fds = 0
    s.fcw = (s.fcw & ~FCW_RESERVED) | FCW_FIXED
    fpu_load_sw_tw(s, sw, tw)
    fpu_update_es(s)


cdef void x_fnstenv(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t img[28]
    cdef int n = env_store(s, i, img)
    mem_out(s, x87_addr(s, i, n, 1), img, n, i.osize)
    s.fcw |= FSW_EXC               # FSTENV then masks all exceptions


cdef void x_fldenv(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t img[28]
    cdef int n = 14 if i.osize == 2 else 28
    mem_in(s, x87_addr(s, i, n, 0), img, n, i.osize)
    env_load(s, i, img)


cdef void x_fnsave(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t img[FSAVE_SIZE]
    cdef int n = env_store(s, i, img)
    cdef int k
    for k in range(8):
        memcpy(img + n + 10 * k, fst(s, k), 10)
    mem_out(s, x87_addr(s, i, n + 80, 1), img, n + 80, i.osize)
    fpu_init(s)


cdef void x_frstor(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t img[FSAVE_SIZE]
    cdef int n = 14 if i.osize == 2 else 28
    cdef int k
    mem_in(s, x87_addr(s, i, n + 80, 0), img, n + 80, i.osize)
    env_load(s, i, img)
    for k in range(8):
        memcpy(fst(s, k), img + n + 10 * k, 10)


# ---------------------------------------------------------------------------------
# Dispatch tables

cdef void x87_mem(int op, int reg, x87_fn f, int kind) noexcept nogil:
    x87_mem_fn[((op & 7) << 3) | reg] = f
    x87_mem_kind[((op & 7) << 3) | reg] = kind


cdef void x87_regs(int op, int reg, int rm0, int rm1, x87_fn f, int kind) noexcept nogil:
    cdef int rm
    for rm in range(rm0, rm1 + 1):
        x87_reg_fn[((op & 7) << 6) | (reg << 3) | rm] = f
        x87_reg_kind[((op & 7) << 6) | (reg << 3) | rm] = kind


cdef void init_x87():
    cdef int op, reg
    memset(x87_mem_kind, XK_UD, sizeof(x87_mem_kind))
    memset(x87_reg_kind, XK_UD, sizeof(x87_reg_kind))
    # arithmetic and comparisons with m32 real / m32 int / m64 real / m16 int
    for op in (0xD8, 0xDA, 0xDC, 0xDE):
        for reg in (0, 1, 4, 5, 6, 7):
            x87_mem(op, reg, x_arith_m, XK_OP)
        x87_mem(op, 2, x_fcom_m, XK_OP)
        x87_mem(op, 3, x_fcom_m, XK_OP)
    # D8, DC, DE register forms
    for reg in (0, 1, 4, 5, 6, 7):
        x87_regs(0xD8, reg, 0, 7, x_arith_st0, XK_OP)
        x87_regs(0xDC, reg, 0, 7, x_arith_sti, XK_OP)
        x87_regs(0xDE, reg, 0, 7, x_arith_sti, XK_OP)
    x87_regs(0xD8, 2, 0, 7, x_fcom_sti, XK_OP)
    x87_regs(0xD8, 3, 0, 7, x_fcom_sti, XK_OP)
    x87_regs(0xDC, 2, 0, 7, x_fcom_sti, XK_OP)       # FCOM2
    x87_regs(0xDC, 3, 0, 7, x_fcom_sti, XK_OP)       # FCOMP3
    x87_regs(0xDE, 2, 0, 7, x_fcom_sti, XK_OP)       # FCOMP5
    x87_regs(0xDE, 3, 1, 1, x_fcompp, XK_OP)
    # D9
    x87_mem(0xD9, 0, x_fld_m32, XK_OP)
    x87_mem(0xD9, 2, x_fst_m32, XK_OP)
    x87_mem(0xD9, 3, x_fst_m32, XK_OP)
    x87_mem(0xD9, 4, x_fldenv, XK_CTRL)
    x87_mem(0xD9, 5, x_fldcw, XK_CTRL)
    x87_mem(0xD9, 6, x_fnstenv, XK_NOWAIT)
    x87_mem(0xD9, 7, x_fnstcw, XK_NOWAIT)
    x87_regs(0xD9, 0, 0, 7, x_fld_sti, XK_OP)
    x87_regs(0xD9, 1, 0, 7, x_fxch, XK_OP)
    x87_regs(0xD9, 2, 0, 0, x_fnop, XK_OP)
    x87_regs(0xD9, 3, 0, 7, x_fst_sti, XK_OP)        # FSTP1
    x87_regs(0xD9, 4, 0, 1, x_fchs_fabs, XK_OP)
    x87_regs(0xD9, 4, 4, 4, x_ftst, XK_OP)
    x87_regs(0xD9, 4, 5, 5, x_fxam, XK_OP)
    x87_regs(0xD9, 5, 0, 6, x_fldc, XK_OP)
    x87_regs(0xD9, 6, 0, 0, x_f2xm1, XK_OP)
    x87_regs(0xD9, 6, 1, 1, x_fyl2x, XK_OP)
    x87_regs(0xD9, 6, 2, 2, x_fptan, XK_OP)
    x87_regs(0xD9, 6, 3, 3, x_fpatan, XK_OP)
    x87_regs(0xD9, 6, 4, 4, x_fxtract, XK_OP)
    x87_regs(0xD9, 6, 5, 5, x_fprem1, XK_OP)
    x87_regs(0xD9, 6, 6, 7, x_fincdecstp, XK_OP)
    x87_regs(0xD9, 7, 0, 0, x_fprem, XK_OP)
    x87_regs(0xD9, 7, 1, 1, x_fyl2xp1, XK_OP)
    x87_regs(0xD9, 7, 2, 2, x_fsqrt, XK_OP)
    x87_regs(0xD9, 7, 3, 3, x_fsincos, XK_OP)
    x87_regs(0xD9, 7, 4, 4, x_frndint, XK_OP)
    x87_regs(0xD9, 7, 5, 5, x_fscale, XK_OP)
    x87_regs(0xD9, 7, 6, 6, x_fsin, XK_OP)
    x87_regs(0xD9, 7, 7, 7, x_fcos, XK_OP)
    # DA
    for reg in range(4):
        x87_regs(0xDA, reg, 0, 7, x_fcmov, XK_OP)
        x87_regs(0xDB, reg, 0, 7, x_fcmov, XK_OP)
    x87_regs(0xDA, 5, 1, 1, x_fucompp, XK_OP)
    # DB
    x87_mem(0xDB, 0, x_fild_m32, XK_OP)
    x87_mem(0xDB, 2, x_fist_m32, XK_OP)
    x87_mem(0xDB, 3, x_fist_m32, XK_OP)
    x87_mem(0xDB, 5, x_fld_m80, XK_OP)
    x87_mem(0xDB, 7, x_fstp_m80, XK_OP)
    x87_regs(0xDB, 4, 0, 1, x_fnop, XK_NOWAIT)       # FNENI, FNDISI: no-ops since the 287
    x87_regs(0xDB, 4, 2, 2, x_fnclex, XK_NOWAIT)
    x87_regs(0xDB, 4, 3, 3, x_fninit, XK_NOWAIT)
    x87_regs(0xDB, 4, 4, 4, x_fnop, XK_NOWAIT)       # FNSETPM: no-op since the 387
    x87_regs(0xDB, 5, 0, 7, x_fcomi, XK_OP)          # FUCOMI
    x87_regs(0xDB, 6, 0, 7, x_fcomi, XK_OP)          # FCOMI
    # DD
    x87_mem(0xDD, 0, x_fld_m64, XK_OP)
    x87_mem(0xDD, 2, x_fst_m64, XK_OP)
    x87_mem(0xDD, 3, x_fst_m64, XK_OP)
    x87_mem(0xDD, 4, x_frstor, XK_CTRL)
    x87_mem(0xDD, 6, x_fnsave, XK_NOWAIT)
    x87_mem(0xDD, 7, x_fnstsw_m, XK_NOWAIT)
    x87_regs(0xDD, 0, 0, 7, x_ffree, XK_OP)
    x87_regs(0xDD, 1, 0, 7, x_fxch, XK_OP)           # FXCH4
    x87_regs(0xDD, 2, 0, 7, x_fst_sti, XK_OP)
    x87_regs(0xDD, 3, 0, 7, x_fst_sti, XK_OP)
    x87_regs(0xDD, 4, 0, 7, x_fucom_sti, XK_OP)
    x87_regs(0xDD, 5, 0, 7, x_fucom_sti, XK_OP)
    # DF
    x87_mem(0xDF, 0, x_fild_m16, XK_OP)
    x87_mem(0xDF, 2, x_fist_m16, XK_OP)
    x87_mem(0xDF, 3, x_fist_m16, XK_OP)
    x87_mem(0xDF, 4, x_fbld, XK_OP)
    x87_mem(0xDF, 5, x_fild_m64, XK_OP)
    x87_mem(0xDF, 6, x_fbstp, XK_OP)
    x87_mem(0xDF, 7, x_fistp_m64, XK_OP)
    x87_regs(0xDF, 0, 0, 7, x_ffree, XK_OP)          # FFREEP
    x87_regs(0xDF, 1, 0, 7, x_fxch, XK_OP)           # FXCH7
    x87_regs(0xDF, 2, 0, 7, x_fst_sti, XK_OP)        # FSTP8
    x87_regs(0xDF, 3, 0, 7, x_fst_sti, XK_OP)        # FSTP9
    x87_regs(0xDF, 4, 0, 0, x_fnstsw_ax, XK_NOWAIT)
    x87_regs(0xDF, 5, 0, 7, x_fcomi, XK_OP)          # FUCOMIP
    x87_regs(0xDF, 6, 0, 7, x_fcomi, XK_OP)          # FCOMIP
