# SSE and SSE2 floating point, data movement on XMM registers, MXCSR, FXSAVE/FXRSTOR,
# fences and CLFLUSH (included by cpu/interp.pyx after cpu/ops_mmx.pxi). Intel SDM
# vol. 1, ch. 10-11; vol. 2 instruction pages. The mandatory prefix selects the data
# type: none packed single (ps), 66 packed double (pd), F3 scalar single (ss), F2
# scalar double (sd). Packed memory operands are 16 bytes and must be aligned (#GP(0));
# scalar ones are 4 or 8 bytes and need not be.

cdef inline int fp_bytes(int kind) noexcept nogil:
    """Memory operand size of a ps/pd/ss/sd operation."""
    return XMM_BYTES if kind <= MP_66 else 4 if kind == MP_F3 else 8


cdef void xmm_src(CPUState* s, Insn* i, X128* v, int n, bint aligned) noexcept nogil:
    """The r/m source: an XMM register (whole), or n bytes of memory zero-extended."""
    if i.mod == 3:
        v[0] = s.xmm[i.rm]
        return
    v.q[0] = v.q[1] = 0
    simd_read(s, i, <uint8_t*>v, n, aligned)


cdef void op_sse_fp(CPUState* s, Insn* i) noexcept nogil:
    """Arithmetic on the host SSE unit: SQRT RSQRT RCP ADD MUL SUB MIN DIV MAX (0F 51-5F)
    and CMP (0F C2, predicate imm8 bits 2:0) in all their ps/pd/ss/sd variants."""
    cdef X128 d, src
    cdef sx_fn f
    cdef int kind = i.mp
    sse_enter(s)
    if (i.op & 0xFF) == 0xC2:
        f = sx_cmp(i.imm & 7, kind)
    else:
        f = sx_arith(i.op & 15, kind)
    xmm_src(s, i, &src, fp_bytes(kind), kind <= MP_66)
    d = s.xmm[i.reg]
    simd_fp_flags(s, f(host_csr(s), &d, &src))
    s.xmm[i.reg] = d


cdef void op_comis(CPUState* s, Insn* i) noexcept nogil:
    """0F 2E UCOMISS / 66 UCOMISD, 0F 2F COMISS / 66 COMISD: ZF PF CF from the
    comparison (unordered 111), OF SF AF cleared. COMIS signals IE for QNaNs too."""
    cdef X128 d, src
    cdef int dbl = i.mp == MP_66
    sse_enter(s)
    xmm_src(s, i, &src, 8 if dbl else 4, 0)
    d = s.xmm[i.reg]
    simd_fp_flags(s, sx_comis(i.op & 1, dbl)(host_csr(s), &d, &src))
    set_arith_flags(s, <uint32_t>d.q[0] & (F_ZF | F_PF | F_CF))


cdef enum:
    # operand kinds of the conversions
    CV_XMM = 0
    CV_MMX = 1
    CV_GPR = 2


cdef void op_cvt(CPUState* s, Insn* i) noexcept nogil:
    """All conversions (0F 2A 2C 2D 5A 5B E6 by mandatory prefix, see cpu/opcodes.py),
    computed on the host SSE unit (sx_cvt). The forms with an MMX register operand are
    MMX transitions (pending x87 exception first, then TOP = 0 and all tags valid);
    CVTPI2PS/CVTPI2PD with a memory source are not (SDM vol. 2, CVTPI2PS)."""
    cdef int opc = i.op & 0xFF, kind = i.mp
    cdef int row, n, src_k = CV_XMM, dst_k = CV_XMM
    cdef bint mmx
    cdef X128 d, src
    if opc == 0x2A:
        row = 0
        src_k = CV_MMX if kind <= MP_66 else CV_GPR
        n = 8 if kind <= MP_66 else 4
    elif opc == 0x2C or opc == 0x2D:
        row = opc - 0x2B
        dst_k = CV_MMX if kind <= MP_66 else CV_GPR
        n = 16 if kind == MP_66 else 4 if kind == MP_F3 else 8
    elif opc == 0x5A:
        row = 3
        n = 16 if kind == MP_66 else 4 if kind == MP_F3 else 8
    elif opc == 0x5B:
        row = 4
        n = 16
    else:
        row = 5
        n = 8 if kind == MP_F3 else 16
    mmx = dst_k == CV_MMX or (src_k == CV_MMX and i.mod == 3)
    if mmx:
        if mmx_xmm_enter(s, i):
            return
    else:
        sse_enter(s)
    src.q[0] = src.q[1] = 0
    if i.mod != 3:
        simd_read(s, i, <uint8_t*>&src, n, n == XMM_BYTES)
    elif src_k == CV_MMX:
        src.q[0] = s.fpr[i.rm].sig
    elif src_k == CV_GPR:
        src.q[0] = s.regs[i.rm]
    else:
        memcpy(&src, xreg(s, i.rm), n)      # only the converted elements
    d.q[0] = d.q[1] = 0
    if dst_k == CV_XMM:
        d = s.xmm[i.reg]
    simd_fp_flags(s, sx_cvt(row, kind)(host_csr(s), &d, &src))
    if dst_k == CV_XMM:
        s.xmm[i.reg] = d
    elif dst_k == CV_MMX:
        mreg_set(s, i.reg, &d)
    else:
        s.regs[i.reg] = <uint32_t>d.q[0]
    if mmx:
        mmx_done(s)


# ---------------------------------------------------------------------------------
# Bitwise, shuffles, unpacks, sign masks

cdef void op_logicp(CPUState* s, Insn* i) noexcept nogil:
    # 0F 54-57: ANDPS ANDNPS ORPS XORPS (and the pd forms): the PAND PANDN POR PXOR
    # operations of pint()
    cdef X128 src
    cdef int k = i.op & 3
    cdef int opc = 0xDB + 4 * (k & 1) + 0x10 * (k >> 1)
    sse_enter(s)
    xmm_src(s, i, &src, XMM_BYTES, 1)
    pint(opc, xreg(s, i.reg), <uint8_t*>&src, XMM_BYTES)


cdef void op_unpckp(CPUState* s, Insn* i) noexcept nogil:
    # 0F 14 UNPCKLPS / 66 UNPCKLPD, 0F 15 UNPCKHPS / 66 UNPCKHPD: the PUNPCKLDQ,
    # PUNPCKLQDQ, PUNPCKHDQ, PUNPCKHQDQ interleavings
    cdef X128 src
    cdef int opc
    sse_enter(s)
    if i.op & 1:
        opc = 0x6D if i.mp == MP_66 else 0x6A
    else:
        opc = 0x6C if i.mp == MP_66 else 0x62
    xmm_src(s, i, &src, XMM_BYTES, 1)
    pint(opc, xreg(s, i.reg), <uint8_t*>&src, XMM_BYTES)


cdef void op_shufp(CPUState* s, Insn* i) noexcept nogil:
    # 0F C6: SHUFPS (two singles from the destination, two from the source by imm8),
    # 66: SHUFPD (one double from each by imm8 bits 0 and 1)
    cdef X128 src, d, r
    cdef uint32_t* a = <uint32_t*>&d
    cdef uint32_t* b = <uint32_t*>&src
    cdef uint32_t* o = <uint32_t*>&r
    sse_enter(s)
    xmm_src(s, i, &src, XMM_BYTES, 1)
    d = s.xmm[i.reg]
    if i.mp == MP_66:
        r.q[0] = d.q[i.imm & 1]
        r.q[1] = src.q[(i.imm >> 1) & 1]
    else:
        o[0] = a[i.imm & 3]
        o[1] = a[(i.imm >> 2) & 3]
        o[2] = b[(i.imm >> 4) & 3]
        o[3] = b[(i.imm >> 6) & 3]
    s.xmm[i.reg] = r


cdef void op_movmskp(CPUState* s, Insn* i) noexcept nogil:
    # 0F 50 MOVMSKPS / 66 MOVMSKPD r32, xmm: the sign bits (register operands only)
    cdef X128* v = &s.xmm[i.rm]
    cdef uint32_t* w = <uint32_t*>v
    if i.mod != 3:
        ud(s)
    sse_enter(s)
    if i.mp == MP_66:
        s.regs[i.reg] = <uint32_t>((v.q[0] >> 63) | ((v.q[1] >> 63) << 1))
    else:
        s.regs[i.reg] = (w[0] >> 31) | ((w[1] >> 31) << 1) | ((w[2] >> 31) << 2) | \
                        ((w[3] >> 31) << 3)


# ---------------------------------------------------------------------------------
# Moves

cdef void op_movu_load(CPUState* s, Insn* i) noexcept nogil:
    # 0F 10 MOVUPS / 66 MOVUPD xmm, xmm/m128 (unaligned)
    cdef X128 v
    sse_enter(s)
    xmm_src(s, i, &v, XMM_BYTES, 0)
    s.xmm[i.reg] = v


cdef void op_movu_store(CPUState* s, Insn* i) noexcept nogil:
    # 0F 11 MOVUPS / 66 MOVUPD xmm/m128, xmm
    sse_enter(s)
    if i.mod == 3:
        s.xmm[i.rm] = s.xmm[i.reg]
    else:
        simd_write(s, i, xreg(s, i.reg), XMM_BYTES, 0)


cdef void op_mova_load(CPUState* s, Insn* i) noexcept nogil:
    # 0F 28 MOVAPS / 66 MOVAPD xmm, xmm/m128 (aligned)
    cdef X128 v
    sse_enter(s)
    xmm_src(s, i, &v, XMM_BYTES, 1)
    s.xmm[i.reg] = v


cdef void op_mova_store(CPUState* s, Insn* i) noexcept nogil:
    # 0F 29 MOVAPS / 66 MOVAPD xmm/m128, xmm
    sse_enter(s)
    if i.mod == 3:
        s.xmm[i.rm] = s.xmm[i.reg]
    else:
        simd_write(s, i, xreg(s, i.reg), XMM_BYTES, 1)


cdef void op_movs_load(CPUState* s, Insn* i) noexcept nogil:
    # F3 0F 10 MOVSS / F2 0F 10 MOVSD xmm, xmm/m: a register source replaces the low
    # element only; a memory source is zero-extended to 128 bits
    cdef int n = fp_bytes(i.mp)
    cdef X128 v
    sse_enter(s)
    if i.mod == 3:
        memcpy(xreg(s, i.reg), xreg(s, i.rm), n)
        return
    xmm_src(s, i, &v, n, 0)
    s.xmm[i.reg] = v


cdef void op_movs_store(CPUState* s, Insn* i) noexcept nogil:
    # F3 0F 11 MOVSS / F2 0F 11 MOVSD xmm/m, xmm
    cdef int n = fp_bytes(i.mp)
    sse_enter(s)
    if i.mod == 3:
        memcpy(xreg(s, i.rm), xreg(s, i.reg), n)
    else:
        simd_write(s, i, xreg(s, i.reg), n, 0)


cdef void op_movlps_load(CPUState* s, Insn* i) noexcept nogil:
    # 0F 12: MOVLPS xmm, m64 / MOVHLPS xmm, xmm (high quadword of the source to the low
    # one); 66 0F 12: MOVLPD xmm, m64 (memory only)
    cdef uint64_t v
    if i.mod == 3:
        if i.mp == MP_66:
            ud(s)
        sse_enter(s)
        s.xmm[i.reg].q[0] = s.xmm[i.rm].q[1]
        return
    sse_enter(s)
    simd_read(s, i, <uint8_t*>&v, 8, 0)
    s.xmm[i.reg].q[0] = v


cdef void op_movhps_load(CPUState* s, Insn* i) noexcept nogil:
    # 0F 16: MOVHPS xmm, m64 / MOVLHPS xmm, xmm (low quadword of the source to the high
    # one); 66 0F 16: MOVHPD xmm, m64 (memory only)
    cdef uint64_t v
    if i.mod == 3:
        if i.mp == MP_66:
            ud(s)
        sse_enter(s)
        s.xmm[i.reg].q[1] = s.xmm[i.rm].q[0]
        return
    sse_enter(s)
    simd_read(s, i, <uint8_t*>&v, 8, 0)
    s.xmm[i.reg].q[1] = v


cdef void op_movlps_store(CPUState* s, Insn* i) noexcept nogil:
    # 0F 13 MOVLPS / 66 MOVLPD m64, xmm (memory only)
    if i.mod == 3:
        ud(s)
    sse_enter(s)
    simd_write(s, i, xreg(s, i.reg), 8, 0)


cdef void op_movhps_store(CPUState* s, Insn* i) noexcept nogil:
    # 0F 17 MOVHPS / 66 MOVHPD m64, xmm (memory only)
    if i.mod == 3:
        ud(s)
    sse_enter(s)
    simd_write(s, i, xreg(s, i.reg) + 8, 8, 0)


# ---------------------------------------------------------------------------------
# 0F AE: FXSAVE FXRSTOR LDMXCSR STMXCSR CLFLUSH; LFENCE MFENCE SFENCE

cdef void op_ldmxcsr(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t v[4]
    sse_enter(s)
    simd_read(s, i, v, 4, 0)
    if get32(v) & ~MXCSR_MASK:
        gp(s, 0)                              # reserved bits (SDM vol. 2, LDMXCSR)
    s.mxcsr = get32(v)


cdef void op_stmxcsr(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t v[4]
    sse_enter(s)
    put32(v, s.mxcsr)
    simd_write(s, i, v, 4, 0)


cdef void op_fence(CPUState* s, Insn* i) noexcept nogil:
    pass          # LFENCE MFENCE SFENCE: one CPU executing in program order needs nothing


cdef void op_clflush(CPUState* s, Insn* i) noexcept nogil:
    # There is no cache to flush; the operand is checked like a byte read (segment
    # limit and rights, page fault) as the SDM specifies.
    translate(s, seg_check(s, i.seg, ea(s, i), 1, 0), 0, s.cpl == 3)


cdef int fxsave_image(CPUState* s, uint8_t* p) noexcept nogil:
    """The FXSAVE image (SDM vol. 2A, FXSAVE, table 3-53, 32-bit format): x87 control,
    status (with TOP), the abridged tag (bit n: physical register n not empty), FOP,
    FIP/FCS, FDP/FDS, MXCSR and MXCSR_MASK, ST0-ST7 in stack order, XMM0-XMM7. Returns
    the bytes to store: with CR4.OSFXSR = 0 the SSE state (MXCSR and the XMM registers,
    bytes 24-31 and 160-287) is not saved, as on the P6 and NetBurst; reserved bytes
    up to 160 are written as 0, bytes from 288 on are left alone."""
    cdef int k
    memset(p, 0, 288)
    put16(p, s.fcw)
    put16(p + 2, fpu_sw(s))
    p[4] = <uint8_t>(~s.fempty)
    put16(p + 6, s.fop)
    put32(p + 8, s.fip)
    put16(p + 12, s.fcs)
    put32(p + 16, s.fdp)
    put16(p + 20, s.fds)
    put32(p + 24, s.mxcsr)
    put32(p + 28, MXCSR_MASK)
    for k in range(8):
        memcpy(p + 32 + 16 * k, fst(s, k), 10)
    memcpy(p + 160, s.xmm, 128)
    return 288 if s.cr4 & CR4_OSFXSR else 160


cdef void op_fxsave(CPUState* s, Insn* i) noexcept nogil:
    cdef uint8_t img[288]
    cdef uint32_t lin
    cdef int n
    if s.cr0 & (CR0_EM | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
    lin = simd_lin(s, i, FXSAVE_BYTES, 1, 1)
    translate(s, lin + FXSAVE_BYTES - 1, 1, s.cpl == 3)
    x87_release(s)                  # cpu/x87_host.pxi
    n = fxsave_image(s, img)
    if n == 288:
        lin_write(s, lin, img, n)
    else:
        lin_write(s, lin, img, 24)
        lin_write(s, lin + 32, img + 32, 128)


cdef void op_fxrstor(CPUState* s, Insn* i) noexcept nogil:
    """Load an FXSAVE image (see fxsave_image). A reserved MXCSR bit is #GP(0) before
    anything changes. FXRSTOR does not check for pending x87 exceptions; ES follows
    the loaded status and control words."""
    cdef uint8_t img[288]
    cdef uint32_t sw
    cdef int k
    cdef bint sse = (s.cr4 & CR4_OSFXSR) != 0
    if s.cr0 & (CR0_EM | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
    lin_read(s, simd_lin(s, i, FXSAVE_BYTES, 0, 1), img, 288 if sse else 160)
    x87_release(s)
    if sse and get32(img + 24) & ~MXCSR_MASK:
        gp(s, 0)
    s.fcw = (get16(img) & ~FCW_RESERVED) | FCW_FIXED
    sw = get16(img + 2)
    s.ftop = (sw >> 11) & 7
    s.fsw = sw & ~FSW_TOP
    s.fempty = <uint8_t>~img[4]
    s.fop = get16(img + 6) & 0x7FF
    s.fip = get32(img + 8)
    s.fcs = get16(img + 12)
    s.fdp = get32(img + 16)
    s.fds = get16(img + 20)
    for k in range(8):
        memcpy(fst(s, k), img + 32 + 16 * k, 10)
    if sse:
        s.mxcsr = get32(img + 24)
        memcpy(s.xmm, img + 160, 128)
    fpu_update_es(s)
