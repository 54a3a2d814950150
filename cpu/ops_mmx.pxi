# Integer SIMD (included by cpu/interp.pyx after cpu/simd.pxi): MMX, the SSE integer
# extensions on MMX registers, and their SSE2 forms on XMM registers (66 prefix).
# Intel SDM vol. 1, ch. 9 (MMX), 10.4.4 (SSE 64-bit SIMD integer), 11.4.3 (SSE2);
# vol. 2 instruction pages. Without a prefix an instruction works on MMX registers
# (MMX checks, x87 aliasing); with 66 on XMM registers (SSE checks, 16-byte aligned
# memory operands).

cdef bint simd_enter(CPUState* s, Insn* i) noexcept nogil:
    """The checks for an instruction that works on MMX registers without a prefix and
    on XMM registers with 66. Returns 1 when it must not run now."""
    if i.mp == MP_NONE:
        return mmx_enter(s)
    sse_enter(s)
    return 0


cdef inline int simd_width(Insn* i) noexcept nogil:
    return XMM_BYTES if i.mp else MMX_BYTES


cdef void int_src(CPUState* s, Insn* i, uint8_t* buf, int n) noexcept nogil:
    """The r/m source operand of n bytes: an MMX (8) or XMM (16) register, or memory
    (16-byte operands aligned)."""
    if i.mod == 3:
        memcpy(buf, mreg(s, i.rm) if n == MMX_BYTES else xreg(s, i.rm), n)
    else:
        simd_read(s, i, buf, n, n == XMM_BYTES)


cdef void int_result(CPUState* s, int r, const uint8_t* v, int n) noexcept nogil:
    """Write a result to MMX register r (n = 8, with the x87 transition) or XMM r."""
    if n == MMX_BYTES:
        mreg_set(s, r, v)
        mmx_done(s)
    else:
        memcpy(xreg(s, r), v, XMM_BYTES)


cdef void op_pint(CPUState* s, Insn* i) noexcept nogil:
    """The two-operand packed integer instructions (opcodes listed in PINT of
    cpu/opcodes.py): d = d OP s, computed by pint()."""
    cdef uint8_t src[16]
    cdef uint8_t d[16]
    cdef int n = simd_width(i)
    if simd_enter(s, i):
        return
    int_src(s, i, src, n)
    memcpy(d, mreg(s, i.reg) if n == MMX_BYTES else xreg(s, i.reg), n)
    pint(i.op & 0xFF, d, src, n)
    int_result(s, i.reg, d, n)


cdef void op_emms(CPUState* s, Insn* i) noexcept nogil:
    if mmx_enter(s):
        return
    s.fempty = 0xFF


# ---------------------------------------------------------------------------------
# Moves

cdef void op_movd_load(CPUState* s, Insn* i) noexcept nogil:
    # 0F 6E: MOVD mm/xmm, r/m32 (zero-extended)
    cdef uint8_t v[16]
    if simd_enter(s, i):
        return
    memset(v, 0, 16)
    put32(v, rm_read(s, i, 4))
    int_result(s, i.reg, v, simd_width(i))


cdef void op_movd_store(CPUState* s, Insn* i) noexcept nogil:
    # 0F 7E: MOVD r/m32, mm/xmm
    cdef int n = simd_width(i)
    if simd_enter(s, i):
        return
    rm_write(s, i, get32(mreg(s, i.reg) if n == MMX_BYTES else xreg(s, i.reg)), 4)
    if n == MMX_BYTES:
        mmx_done(s)


cdef void op_movq_mm_load(CPUState* s, Insn* i) noexcept nogil:
    # 0F 6F: MOVQ mm, mm/m64
    cdef uint8_t v[8]
    if mmx_enter(s):
        return
    int_src(s, i, v, MMX_BYTES)
    int_result(s, i.reg, v, MMX_BYTES)


cdef void op_movq_mm_store(CPUState* s, Insn* i) noexcept nogil:
    # 0F 7F: MOVQ mm/m64, mm
    if mmx_enter(s):
        return
    if i.mod == 3:
        mreg_set(s, i.rm, mreg(s, i.reg))
    else:
        simd_write(s, i, mreg(s, i.reg), MMX_BYTES, 0)
    mmx_done(s)


cdef void op_movdq_load(CPUState* s, Insn* i) noexcept nogil:
    # 66 0F 6F MOVDQA (aligned), F3 0F 6F MOVDQU
    cdef X128 v
    sse_enter(s)
    if i.mod == 3:
        v = s.xmm[i.rm]
    else:
        simd_read(s, i, <uint8_t*>&v, XMM_BYTES, i.mp == MP_66)
    s.xmm[i.reg] = v


cdef void op_movdq_store(CPUState* s, Insn* i) noexcept nogil:
    # 66 0F 7F MOVDQA (aligned), F3 0F 7F MOVDQU
    sse_enter(s)
    if i.mod == 3:
        s.xmm[i.rm] = s.xmm[i.reg]
    else:
        simd_write(s, i, xreg(s, i.reg), XMM_BYTES, i.mp == MP_66)


cdef void op_movq_xmm_load(CPUState* s, Insn* i) noexcept nogil:
    # F3 0F 7E: MOVQ xmm, xmm/m64 (upper quadword zeroed)
    cdef uint64_t v
    sse_enter(s)
    if i.mod == 3:
        v = s.xmm[i.rm].q[0]
    else:
        simd_read(s, i, <uint8_t*>&v, 8, 0)
    s.xmm[i.reg].q[0] = v
    s.xmm[i.reg].q[1] = 0


cdef void op_movq_xmm_store(CPUState* s, Insn* i) noexcept nogil:
    # 66 0F D6: MOVQ xmm/m64, xmm (a register destination gets its upper half zeroed)
    sse_enter(s)
    if i.mod == 3:
        s.xmm[i.rm].q[0] = s.xmm[i.reg].q[0]
        s.xmm[i.rm].q[1] = 0
    else:
        simd_write(s, i, xreg(s, i.reg), 8, 0)


cdef bint mmx_xmm_enter(CPUState* s, Insn* i) noexcept nogil:
    """SSE/SSE2 instructions between MMX and XMM registers (MOVQ2DQ, MOVDQ2Q, the MMX
    conversions): SSE checks, then a pending x87 exception. Returns 1: do not run."""
    sse_enter(s)
    x87_release(s)
    return (s.fsw & FSW_ES) != 0 and fpu_pending(s)


cdef void op_movq2dq(CPUState* s, Insn* i) noexcept nogil:
    # F3 0F D6: MOVQ2DQ xmm, mm (register operands only)
    if i.mod != 3:
        ud(s)
    if mmx_xmm_enter(s, i):
        return
    s.xmm[i.reg].q[0] = s.fpr[i.rm].sig
    s.xmm[i.reg].q[1] = 0
    mmx_done(s)


cdef void op_movdq2q(CPUState* s, Insn* i) noexcept nogil:
    # F2 0F D6: MOVDQ2Q mm, xmm (register operands only)
    if i.mod != 3:
        ud(s)
    if mmx_xmm_enter(s, i):
        return
    mreg_set(s, i.reg, xreg(s, i.rm))
    mmx_done(s)


cdef void op_movnt(CPUState* s, Insn* i) noexcept nogil:
    # non-temporal stores (memory only; caching hints have no effect here):
    # 0F E7 MOVNTQ m64, mm; 66 0F E7 MOVNTDQ, 0F 2B MOVNTPS, 66 0F 2B MOVNTPD (aligned m128)
    if i.mod == 3:
        ud(s)
    if (i.op & 0xFF) == 0xE7 and i.mp == MP_NONE:
        if mmx_enter(s):
            return
        simd_write(s, i, mreg(s, i.reg), MMX_BYTES, 0)
        mmx_done(s)
        return
    sse_enter(s)
    simd_write(s, i, xreg(s, i.reg), XMM_BYTES, 1)


cdef void op_movnti(CPUState* s, Insn* i) noexcept nogil:
    # 0F C3: MOVNTI m32, r32 (SSE2; no CR0/CR4 conditions)
    if i.mod == 3:
        ud(s)
    rm_write(s, i, s.regs[i.reg], 4)


cdef void op_maskmov(CPUState* s, Insn* i) noexcept nogil:
    """0F F7 MASKMOVQ mm, mm / 66 0F F7 MASKMOVDQU xmm, xmm: store the bytes of the
    first operand whose mask byte (second operand) has its top bit set to DS:(E)DI
    (segment override allowed). Only the selected bytes are accessed: all of them are
    checked before any is written."""
    cdef int n = simd_width(i), k
    cdef uint32_t lin[16]
    cdef uint32_t off
    cdef uint8_t* data
    cdef uint8_t* mask
    if i.mod != 3:
        ud(s)
    if simd_enter(s, i):
        return
    data = mreg(s, i.reg) if n == MMX_BYTES else xreg(s, i.reg)
    mask = mreg(s, i.rm) if n == MMX_BYTES else xreg(s, i.rm)
    off = s.regs[EDI] & i.amask
    for k in range(n):
        if mask[k] & 0x80:
            lin[k] = seg_check(s, i.seg, (off + k) & i.amask, 1, 1)
            translate(s, lin[k], 1, s.cpl == 3)
    for k in range(n):
        if mask[k] & 0x80:
            wr8(s, lin[k], data[k])
    if n == MMX_BYTES:
        mmx_done(s)


# ---------------------------------------------------------------------------------
# Shuffles, inserts, extracts, masks

cdef void op_pshuf(CPUState* s, Insn* i) noexcept nogil:
    # 0F 70: PSHUFW mm (words), 66 PSHUFD (dwords), F3 PSHUFHW / F2 PSHUFLW (the high /
    # low four words; the other quadword is copied)
    cdef uint16_t a[8]
    cdef uint16_t r[8]
    cdef uint32_t ad[4]
    cdef uint32_t rd_[4]
    cdef int k, base
    cdef int n = MMX_BYTES if i.mp == MP_NONE else XMM_BYTES
    if simd_enter(s, i):
        return
    if i.mp == MP_66:
        int_src(s, i, <uint8_t*>ad, n)
        for k in range(4):
            rd_[k] = ad[(i.imm >> (2 * k)) & 3]
        int_result(s, i.reg, <uint8_t*>rd_, n)
        return
    int_src(s, i, <uint8_t*>a, n)
    memcpy(r, a, n)
    base = 4 if i.mp == MP_F3 else 0
    for k in range(4):
        r[base + k] = a[base + ((i.imm >> (2 * k)) & 3)]
    int_result(s, i.reg, <uint8_t*>r, n)


cdef void op_pshift_imm(CPUState* s, Insn* i) noexcept nogil:
    """0F 71/72/73 groups: shifts by imm8 (register operands only). /2 PSRL, /4 PSRA,
    /6 PSLL of words (71), dwords (72), quadwords (73, no PSRA); 66 0F 73 /3 PSRLDQ
    and /7 PSLLDQ shift the whole XMM register by bytes."""
    cdef int grp = i.op & 0xFF
    cdef int n = simd_width(i)
    cdef int opc = 0, k
    cdef uint8_t cnt[16]
    cdef uint8_t d[16]
    cdef uint8_t r[16]
    if i.mod != 3:
        ud(s)
    if i.reg == 2:
        opc = grp + 0x60                     # D1 D2 D3
    elif i.reg == 4 and grp != 0x73:
        opc = grp + 0x70                     # E1 E2
    elif i.reg == 6:
        opc = grp + 0x80                     # F1 F2 F3
    elif not (grp == 0x73 and n == XMM_BYTES and (i.reg == 3 or i.reg == 7)):
        ud(s)
    if simd_enter(s, i):
        return
    memcpy(d, mreg(s, i.rm) if n == MMX_BYTES else xreg(s, i.rm), n)
    if opc:
        memset(cnt, 0, 16)
        cnt[0] = <uint8_t>i.imm
        pint(opc, d, cnt, n)
        int_result(s, i.rm, d, n)
        return
    memset(r, 0, 16)
    for k in range(16):
        if i.reg == 3 and k + i.imm < 16:
            r[k] = d[k + i.imm]              # PSRLDQ
        elif i.reg == 7 and k >= <int>i.imm:
            r[k] = d[k - i.imm]              # PSLLDQ
    int_result(s, i.rm, r, n)


cdef void op_pinsrw(CPUState* s, Insn* i) noexcept nogil:
    # 0F C4: PINSRW mm/xmm, r32/m16, imm8
    cdef uint8_t v[2]
    cdef uint8_t d[16]
    cdef int n = simd_width(i)
    cdef int k = i.imm & (n // 2 - 1)
    if simd_enter(s, i):
        return
    if i.mod == 3:
        put16(v, s.regs[i.rm])
    else:
        simd_read(s, i, v, 2, 0)
    memcpy(d, mreg(s, i.reg) if n == MMX_BYTES else xreg(s, i.reg), n)
    memcpy(d + 2 * k, v, 2)
    int_result(s, i.reg, d, n)


cdef void op_pextrw(CPUState* s, Insn* i) noexcept nogil:
    # 0F C5: PEXTRW r32, mm/xmm, imm8 (register operands only)
    cdef int n = simd_width(i)
    cdef int k = i.imm & (n // 2 - 1)
    if i.mod != 3:
        ud(s)
    if simd_enter(s, i):
        return
    s.regs[i.reg] = get16((mreg(s, i.rm) if n == MMX_BYTES else xreg(s, i.rm)) + 2 * k)
    if n == MMX_BYTES:
        mmx_done(s)


cdef void op_pmovmskb(CPUState* s, Insn* i) noexcept nogil:
    # 0F D7: PMOVMSKB r32, mm/xmm: the top bit of each byte (register operands only)
    cdef int n = simd_width(i), k
    cdef uint8_t* v
    cdef uint32_t m = 0
    if i.mod != 3:
        ud(s)
    if simd_enter(s, i):
        return
    v = mreg(s, i.rm) if n == MMX_BYTES else xreg(s, i.rm)
    for k in range(n):
        m |= <uint32_t>(v[k] >> 7) << k
    s.regs[i.reg] = m
    if n == MMX_BYTES:
        mmx_done(s)
