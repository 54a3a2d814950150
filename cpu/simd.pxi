# MMX/SSE/SSE2 mechanics (included by cpu/interp.pyx before cpu/ops_mmx.pxi and
# cpu/ops_sse.pxi): the checks every instruction starts with, operand access, the
# MMX/x87 aliasing, MXCSR exception handling, and the host operations.
#
# Exactness. Floating-point SIMD arithmetic and conversions run on the host's SSE unit,
# which implements the very same IEEE 754 single/double arithmetic as the Pentium III
# and 4, with the same x86-specific rules (NaN propagation from the first source
# operand, the QNaN indefinite, MIN/MAX returning the second operand for NaNs and
# zeros, the integer indefinite 80000000h of conversions, DAZ and FTZ). The guest's
# rounding control, DAZ and FTZ are loaded into the host MXCSR around the operation
# with every exception masked, and the host's flags tell which exceptions occurred;
# the guest's masks decide the response here (SDM vol. 1, 11.5). RCPPS/RCPSS/RSQRTPS/
# RSQRTSS return the host's approximation, which the SDM bounds by a relative error of
# 1.5 * 2^-12 on every implementation (the exact bits differ between vendors).
# Integer SIMD is plain C below: it is fully specified.

cdef extern from *:
    """
    #if !defined(__x86_64__) && !defined(__i386__)
    #error "pyx86's SSE runs on the host SSE unit: build it on an x86 host"
    #endif

    /* One host SSE operation: xmm0 = 16 bytes at d, xmm1 = 16 bytes at s, run body
       under the MXCSR csr, store xmm0 back to d; returns the MXCSR after it (the
       exception flags). The host MXCSR is restored. */
    typedef uint32_t (*sx_fn)(uint32_t csr, void* d, const void* s);
    #define SX(name, body) \
    static uint32_t name(uint32_t csr, void* d, const void* s) { \
        uint32_t old = 0, out = 0; \
        __asm__ volatile("stmxcsr %[old]; ldmxcsr %[csr]; movups (%[d]), %%xmm0; " \
                         "movups (%[s]), %%xmm1; " body "; movups %%xmm0, (%[d]); " \
                         "stmxcsr %[out]; ldmxcsr %[old]" \
            : [old] "+m"(old), [out] "=m"(out) \
            : [csr] "m"(csr), [d] "r"(d), [s] "r"(s) \
            : "memory", "cc", "eax", "xmm0", "xmm1"); \
        return out; }
    #define SX4(op) SX(sx_##op##ps, #op "ps %%xmm1, %%xmm0") \
                    SX(sx_##op##pd, #op "pd %%xmm1, %%xmm0") \
                    SX(sx_##op##ss, #op "ss %%xmm1, %%xmm0") \
                    SX(sx_##op##sd, #op "sd %%xmm1, %%xmm0")
    SX4(add) SX4(mul) SX4(sub) SX4(div) SX4(min) SX4(max) SX4(sqrt)
    SX(sx_rcpps, "rcpps %%xmm1, %%xmm0") SX(sx_rcpss, "rcpss %%xmm1, %%xmm0")
    SX(sx_rsqrtps, "rsqrtps %%xmm1, %%xmm0") SX(sx_rsqrtss, "rsqrtss %%xmm1, %%xmm0")
    #define SXC(k) SX(sx_cmpps##k, "cmpps $" #k ", %%xmm1, %%xmm0") \
                   SX(sx_cmppd##k, "cmppd $" #k ", %%xmm1, %%xmm0") \
                   SX(sx_cmpss##k, "cmpss $" #k ", %%xmm1, %%xmm0") \
                   SX(sx_cmpsd##k, "cmpsd $" #k ", %%xmm1, %%xmm0")
    SXC(0) SXC(1) SXC(2) SXC(3) SXC(4) SXC(5) SXC(6) SXC(7)
    /* (U)COMISS/SD: the host's EFLAGS (SF ZF AF PF CF as LAHF gives them) in d[0] */
    #define SXF(name, insn) SX(name, insn " %%xmm1, %%xmm0; lahf; movzbl %%ah, %%eax; " \
                                     "movd %%eax, %%xmm0")
    SXF(sx_comiss, "comiss") SXF(sx_ucomiss, "ucomiss")
    SXF(sx_comisd, "comisd") SXF(sx_ucomisd, "ucomisd")
    /* conversions: to a general register (result in d[0..3]), from one (s[0..3]) */
    #define SXI(name, insn) SX(name, insn " %%xmm1, %%eax; movd %%eax, %%xmm0")
    SXI(sx_cvtss2si, "cvtss2si") SXI(sx_cvttss2si, "cvttss2si")
    SXI(sx_cvtsd2si, "cvtsd2si") SXI(sx_cvttsd2si, "cvttsd2si")
    SX(sx_cvtsi2ss, "cvtsi2ssl (%[s]), %%xmm0") SX(sx_cvtsi2sd, "cvtsi2sdl (%[s]), %%xmm0")
    /* CVTPI2PS: two integers to the low two singles, the upper two kept */
    SX(sx_cvtpi2ps, "cvtdq2ps %%xmm1, %%xmm1; movsd %%xmm1, %%xmm0")
    #define SXV(insn) SX(sx_##insn, #insn " %%xmm1, %%xmm0")
    SXV(cvtps2dq) SXV(cvttps2dq) SXV(cvtdq2ps) SXV(cvtps2pd) SXV(cvtpd2ps) SXV(cvtss2sd)
    SXV(cvtsd2ss) SXV(cvtdq2pd) SXV(cvtpd2dq) SXV(cvttpd2dq)

    /* 0F 51-5F by (opcode & 15, mandatory prefix = ps pd ss sd) */
    static const sx_fn sx_arith_tab[16][4] = {
        [0x1] = {sx_sqrtps, sx_sqrtpd, sx_sqrtss, sx_sqrtsd},
        [0x2] = {sx_rsqrtps, 0, sx_rsqrtss, 0},
        [0x3] = {sx_rcpps, 0, sx_rcpss, 0},
        [0x8] = {sx_addps, sx_addpd, sx_addss, sx_addsd},
        [0x9] = {sx_mulps, sx_mulpd, sx_mulss, sx_mulsd},
        [0xC] = {sx_subps, sx_subpd, sx_subss, sx_subsd},
        [0xD] = {sx_minps, sx_minpd, sx_minss, sx_minsd},
        [0xE] = {sx_divps, sx_divpd, sx_divss, sx_divsd},
        [0xF] = {sx_maxps, sx_maxpd, sx_maxss, sx_maxsd}};
    #define SXC4(k) {sx_cmpps##k, sx_cmppd##k, sx_cmpss##k, sx_cmpsd##k}
    static const sx_fn sx_cmp_tab[8][4] = {SXC4(0), SXC4(1), SXC4(2), SXC4(3), SXC4(4),
                                           SXC4(5), SXC4(6), SXC4(7)};
    /* 0F 2E (UCOMIS) / 2F (COMIS) by (opcode & 1, 66) */
    static const sx_fn sx_comis_tab[2][2] = {{sx_ucomiss, sx_ucomisd},
                                             {sx_comiss, sx_comisd}};
    /* conversions by (row, mandatory prefix): rows 2A 2C 2D 5A 5B E6. The MMX forms
       compute on XMM registers: CVTPS2PI is CVTPS2DQ of the two low singles, etc. */
    static const sx_fn sx_cvt_tab[6][4] = {
        {sx_cvtpi2ps, sx_cvtdq2pd, sx_cvtsi2ss, sx_cvtsi2sd},
        {sx_cvttps2dq, sx_cvttpd2dq, sx_cvttss2si, sx_cvttsd2si},
        {sx_cvtps2dq, sx_cvtpd2dq, sx_cvtss2si, sx_cvtsd2si},
        {sx_cvtps2pd, sx_cvtpd2ps, sx_cvtss2sd, sx_cvtsd2ss},
        {sx_cvtdq2ps, sx_cvtps2dq, sx_cvttps2dq, 0},
        {0, sx_cvttpd2dq, sx_cvtdq2pd, sx_cvtpd2dq}};
    static inline sx_fn sx_arith(int op, int kind) { return sx_arith_tab[op][kind]; }
    static inline sx_fn sx_cmp(int pred, int kind) { return sx_cmp_tab[pred][kind]; }
    static inline sx_fn sx_comis(int ordered, int dbl) { return sx_comis_tab[ordered][dbl]; }
    static inline sx_fn sx_cvt(int row, int kind) { return sx_cvt_tab[row][kind]; }

    /* Packed integer operations on n = 8 (MMX) or 16 (XMM) bytes, by the opcode byte
       after 0F (the MMX and SSE2 forms share it): d = d OP s. Shift counts are the
       whole low quadword of s. */
    typedef union { uint8_t b[16]; int8_t sb[16]; uint16_t w[8]; int16_t sw[8];
                    uint32_t d[4]; int32_t sd[4]; uint64_t q[2]; int64_t sq[2]; } V128;
    static inline int64_t sat(int64_t v, int64_t lo, int64_t hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }
    static inline int absd(int a, int b) { return a > b ? a - b : b - a; }
    static void pint(int opc, uint8_t* dst, const uint8_t* src, int n) {
        V128 a, b, r;
        int k, nb = n, nw = n / 2, nd = n / 4, nq = n / 8;
        uint64_t c;
        memset(&a, 0, 16); memset(&b, 0, 16); memset(&r, 0, 16);
        memcpy(&a, dst, n); memcpy(&b, src, n);
        c = b.q[0];
        switch (opc) {
        case 0x60: for (k = 0; k < nb / 2; k++) { r.b[2*k] = a.b[k]; r.b[2*k+1] = b.b[k]; } break;
        case 0x61: for (k = 0; k < nw / 2; k++) { r.w[2*k] = a.w[k]; r.w[2*k+1] = b.w[k]; } break;
        case 0x62: for (k = 0; k < nd / 2; k++) { r.d[2*k] = a.d[k]; r.d[2*k+1] = b.d[k]; } break;
        case 0x6C: r.q[0] = a.q[0]; r.q[1] = b.q[0]; break;
        case 0x68: for (k = 0; k < nb / 2; k++) { r.b[2*k] = a.b[nb/2+k]; r.b[2*k+1] = b.b[nb/2+k]; } break;
        case 0x69: for (k = 0; k < nw / 2; k++) { r.w[2*k] = a.w[nw/2+k]; r.w[2*k+1] = b.w[nw/2+k]; } break;
        case 0x6A: for (k = 0; k < nd / 2; k++) { r.d[2*k] = a.d[nd/2+k]; r.d[2*k+1] = b.d[nd/2+k]; } break;
        case 0x6D: r.q[0] = a.q[1]; r.q[1] = b.q[1]; break;
        case 0x63: for (k = 0; k < nw; k++) { r.sb[k] = sat(a.sw[k], -128, 127);
                                              r.sb[nw+k] = sat(b.sw[k], -128, 127); } break;
        case 0x67: for (k = 0; k < nw; k++) { r.b[k] = sat(a.sw[k], 0, 255);
                                              r.b[nw+k] = sat(b.sw[k], 0, 255); } break;
        case 0x6B: for (k = 0; k < nd; k++) { r.sw[k] = sat(a.sd[k], -32768, 32767);
                                              r.sw[nd+k] = sat(b.sd[k], -32768, 32767); } break;
        case 0x64: for (k = 0; k < nb; k++) r.b[k] = a.sb[k] > b.sb[k] ? 0xFF : 0; break;
        case 0x65: for (k = 0; k < nw; k++) r.w[k] = a.sw[k] > b.sw[k] ? 0xFFFF : 0; break;
        case 0x66: for (k = 0; k < nd; k++) r.d[k] = a.sd[k] > b.sd[k] ? 0xFFFFFFFFu : 0; break;
        case 0x74: for (k = 0; k < nb; k++) r.b[k] = a.b[k] == b.b[k] ? 0xFF : 0; break;
        case 0x75: for (k = 0; k < nw; k++) r.w[k] = a.w[k] == b.w[k] ? 0xFFFF : 0; break;
        case 0x76: for (k = 0; k < nd; k++) r.d[k] = a.d[k] == b.d[k] ? 0xFFFFFFFFu : 0; break;
        case 0xD1: for (k = 0; k < nw; k++) r.w[k] = c > 15 ? 0 : a.w[k] >> c; break;
        case 0xD2: for (k = 0; k < nd; k++) r.d[k] = c > 31 ? 0 : a.d[k] >> c; break;
        case 0xD3: for (k = 0; k < nq; k++) r.q[k] = c > 63 ? 0 : a.q[k] >> c; break;
        case 0xE1: for (k = 0; k < nw; k++) r.sw[k] = a.sw[k] >> (c > 15 ? 15 : c); break;
        case 0xE2: for (k = 0; k < nd; k++) r.sd[k] = a.sd[k] >> (c > 31 ? 31 : c); break;
        case 0xF1: for (k = 0; k < nw; k++) r.w[k] = c > 15 ? 0 : a.w[k] << c; break;
        case 0xF2: for (k = 0; k < nd; k++) r.d[k] = c > 31 ? 0 : a.d[k] << c; break;
        case 0xF3: for (k = 0; k < nq; k++) r.q[k] = c > 63 ? 0 : a.q[k] << c; break;
        case 0xD4: for (k = 0; k < nq; k++) r.q[k] = a.q[k] + b.q[k]; break;
        case 0xFB: for (k = 0; k < nq; k++) r.q[k] = a.q[k] - b.q[k]; break;
        case 0xD5: for (k = 0; k < nw; k++) r.w[k] = (uint16_t)((int32_t)a.sw[k] * b.sw[k]); break;
        case 0xE5: for (k = 0; k < nw; k++) r.w[k] = (uint16_t)(((int32_t)a.sw[k] * b.sw[k]) >> 16); break;
        case 0xE4: for (k = 0; k < nw; k++) r.w[k] = (uint16_t)(((uint32_t)a.w[k] * b.w[k]) >> 16); break;
        case 0xF4: for (k = 0; k < nq; k++) r.q[k] = (uint64_t)a.d[2*k] * b.d[2*k]; break;
        case 0xF5: for (k = 0; k < nd; k++)
                       r.d[k] = (uint32_t)((int64_t)a.sw[2*k] * b.sw[2*k] +
                                           (int64_t)a.sw[2*k+1] * b.sw[2*k+1]); break;
        case 0xD8: for (k = 0; k < nb; k++) r.b[k] = sat((int)a.b[k] - b.b[k], 0, 255); break;
        case 0xD9: for (k = 0; k < nw; k++) r.w[k] = sat((int)a.w[k] - b.w[k], 0, 65535); break;
        case 0xDC: for (k = 0; k < nb; k++) r.b[k] = sat((int)a.b[k] + b.b[k], 0, 255); break;
        case 0xDD: for (k = 0; k < nw; k++) r.w[k] = sat((int)a.w[k] + b.w[k], 0, 65535); break;
        case 0xE8: for (k = 0; k < nb; k++) r.sb[k] = sat((int)a.sb[k] - b.sb[k], -128, 127); break;
        case 0xE9: for (k = 0; k < nw; k++) r.sw[k] = sat((int)a.sw[k] - b.sw[k], -32768, 32767); break;
        case 0xEC: for (k = 0; k < nb; k++) r.sb[k] = sat((int)a.sb[k] + b.sb[k], -128, 127); break;
        case 0xED: for (k = 0; k < nw; k++) r.sw[k] = sat((int)a.sw[k] + b.sw[k], -32768, 32767); break;
        case 0xF8: for (k = 0; k < nb; k++) r.b[k] = a.b[k] - b.b[k]; break;
        case 0xF9: for (k = 0; k < nw; k++) r.w[k] = a.w[k] - b.w[k]; break;
        case 0xFA: for (k = 0; k < nd; k++) r.d[k] = a.d[k] - b.d[k]; break;
        case 0xFC: for (k = 0; k < nb; k++) r.b[k] = a.b[k] + b.b[k]; break;
        case 0xFD: for (k = 0; k < nw; k++) r.w[k] = a.w[k] + b.w[k]; break;
        case 0xFE: for (k = 0; k < nd; k++) r.d[k] = a.d[k] + b.d[k]; break;
        case 0xDA: for (k = 0; k < nb; k++) r.b[k] = a.b[k] < b.b[k] ? a.b[k] : b.b[k]; break;
        case 0xDE: for (k = 0; k < nb; k++) r.b[k] = a.b[k] > b.b[k] ? a.b[k] : b.b[k]; break;
        case 0xEA: for (k = 0; k < nw; k++) r.sw[k] = a.sw[k] < b.sw[k] ? a.sw[k] : b.sw[k]; break;
        case 0xEE: for (k = 0; k < nw; k++) r.sw[k] = a.sw[k] > b.sw[k] ? a.sw[k] : b.sw[k]; break;
        case 0xDB: for (k = 0; k < nq; k++) r.q[k] = a.q[k] & b.q[k]; break;
        case 0xDF: for (k = 0; k < nq; k++) r.q[k] = ~a.q[k] & b.q[k]; break;
        case 0xEB: for (k = 0; k < nq; k++) r.q[k] = a.q[k] | b.q[k]; break;
        case 0xEF: for (k = 0; k < nq; k++) r.q[k] = a.q[k] ^ b.q[k]; break;
        case 0xE0: for (k = 0; k < nb; k++) r.b[k] = (a.b[k] + b.b[k] + 1) >> 1; break;
        case 0xE3: for (k = 0; k < nw; k++) r.w[k] = ((uint32_t)a.w[k] + b.w[k] + 1) >> 1; break;
        case 0xF6: for (k = 0; k < nb; k++) r.q[k / 8] += absd(a.b[k], b.b[k]); break;
        }
        memcpy(dst, &r, n);
    }
    """
    ctypedef uint32_t (*sx_fn)(uint32_t csr, void* d, const void* s) noexcept nogil
    sx_fn sx_arith(int op, int kind) noexcept nogil
    sx_fn sx_cmp(int pred, int kind) noexcept nogil
    sx_fn sx_comis(int ordered, int dbl) noexcept nogil
    sx_fn sx_cvt(int row, int kind) noexcept nogil
    void pint(int opc, uint8_t* dst, const uint8_t* src, int n) noexcept nogil


cdef enum:
    # operand widths by mandatory prefix: packed single/double 16 bytes, scalars 4/8
    MMX_BYTES = 8
    XMM_BYTES = 16
    FXSAVE_BYTES = 512


# ---------------------------------------------------------------------------------
# The checks each instruction starts with (SDM vol. 3A, 2.5 and table 13-1; vol. 2,
# "Exceptions" sections: an instruction first checks CR0.EM/CR4.OSFXSR (#UD), then
# CR0.TS (#NM), then - MMX only - a pending x87 exception (#MF)).

cdef bint mmx_enter(CPUState* s) noexcept nogil:
    """Before an MMX instruction (including the SSE integer extensions on MMX
    registers). Returns 1 when it must not run now (the DOS-compatible FERR# freeze)."""
    x87_release(s)                        # MMX registers are the x87's (cpu/x87_host.pxi)
    if s.cr0 & CR0_EM:
        ud(s)
    if s.cr0 & CR0_TS:
        raise_exc(s, EXC_NM, 0, 0)
    return (s.fsw & FSW_ES) != 0 and fpu_pending(s)


cdef void sse_enter(CPUState* s) noexcept nogil:
    """Before an instruction on XMM registers or MXCSR."""
    if (s.cr0 & CR0_EM) or not (s.cr4 & CR4_OSFXSR):
        ud(s)
    if s.cr0 & CR0_TS:
        raise_exc(s, EXC_NM, 0, 0)


cdef inline void mmx_done(CPUState* s) noexcept nogil:
    """Every MMX instruction but EMMS: x87 TOP = 0 and all registers valid (SDM vol. 1,
    9.5.1). The x87 pointers and opcode are not touched."""
    s.ftop = 0
    s.fempty = 0


# ---------------------------------------------------------------------------------
# Registers

cdef inline uint8_t* mreg(CPUState* s, int r) noexcept nogil:
    return <uint8_t*>&s.fpr[r].sig


cdef inline void mreg_set(CPUState* s, int r, const void* v) noexcept nogil:
    """An MMX write: the significand, with the exponent field all ones (SDM vol. 1,
    9.5.1: an MMX register then reads as a NaN or infinity from the x87)."""
    memcpy(&s.fpr[r].sig, v, 8)
    s.fpr[r].se = 0xFFFF


cdef inline uint8_t* xreg(CPUState* s, int r) noexcept nogil:
    return <uint8_t*>&s.xmm[r]


# ---------------------------------------------------------------------------------
# Memory operands. 16-byte operands of the aligned forms #GP(0) when their linear
# address is not a multiple of 16; operands of 8 bytes or less are subject to #AC
# (CR0.AM, EFLAGS.AC, CPL 3), 16-byte ones are not. Reads and writes happen whole
# before any register changes, and writes are probed first, so faults are restartable.

cdef uint32_t simd_lin(CPUState* s, Insn* i, int n, bint write, bint aligned) noexcept nogil:
    cdef uint32_t lin = seg_check(s, i.seg, ea(s, i), n, write)
    if aligned and (lin & 15):
        gp(s, 0)
    if n <= 8:
        check_align(s, lin, n)
    return lin


cdef void lin_read(CPUState* s, uint32_t lin, uint8_t* buf, int n) noexcept nogil:
    cdef int k = 0
    cdef uint32_t v
    while k + 4 <= n and not ((lin + k) & 3):
        v = rd32(s, lin + k)
        memcpy(buf + k, &v, 4)
        k += 4
    while k < n:
        buf[k] = <uint8_t>rd8(s, lin + k)
        k += 1


cdef void lin_write(CPUState* s, uint32_t lin, const uint8_t* buf, int n) noexcept nogil:
    cdef int k = 0
    cdef uint32_t v
    cdef bint user = s.cpl == 3
    translate(s, lin, 1, user)                 # both ends: n <= 512 spans <= 2 pages
    translate(s, lin + n - 1, 1, user)
    while k + 4 <= n and not ((lin + k) & 3):
        memcpy(&v, buf + k, 4)
        wr32(s, lin + k, v)
        k += 4
    while k < n:
        wr8(s, lin + k, buf[k])
        k += 1


cdef inline void simd_read(CPUState* s, Insn* i, uint8_t* buf, int n, bint aligned) noexcept nogil:
    lin_read(s, simd_lin(s, i, n, 0, aligned), buf, n)


cdef inline void simd_write(CPUState* s, Insn* i, const uint8_t* buf, int n,
                            bint aligned) noexcept nogil:
    lin_write(s, simd_lin(s, i, n, 1, aligned), buf, n)


# ---------------------------------------------------------------------------------
# MXCSR and SIMD floating-point exceptions

cdef inline uint32_t host_csr(CPUState* s) noexcept nogil:
    """The host MXCSR for an operation: the guest's rounding, DAZ and FTZ, every
    exception masked (so the host computes the masked responses) and no flags."""
    return (s.mxcsr & (MXCSR_RC | MXCSR_FTZ | MXCSR_DAZ)) | MXCSR_MASKS


cdef void simd_fp_flags(CPUState* s, uint32_t out) noexcept nogil:
    """Take the exception flags of a host operation (SDM vol. 1, 11.5.1-11.5.2). With an
    unmasked one the destination must stay unchanged: this raises #XM (CR4.OSXMMEXCPT)
    or #UD. An unmasked pre-computation exception (IE DE ZE) suppresses the
    post-computation flags (OE UE PE)."""
    cdef uint32_t ex = out & MXCSR_EXC
    cdef uint32_t unmasked = ex & ~(s.mxcsr >> 7) & MXCSR_EXC
    if unmasked:
        if unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE):
            ex &= MXCSR_IE | MXCSR_DE | MXCSR_ZE
        s.mxcsr |= ex
        if s.cr4 & CR4_OSXMMEXCPT:
            raise_exc(s, EXC_XM, 0, 0)
        ud(s)
    s.mxcsr |= ex


cdef void simd_reset(CPUState* s) noexcept nogil:
    """RESET: XMM registers zero, MXCSR 1F80h (SDM vol. 3A, table 9-1)."""
    memset(s.xmm, 0, sizeof(s.xmm))
    s.mxcsr = MXCSR_RESET
