# x87 FPU mechanics (included by cpu/interp.pyx before cpu/ops_x87.pxi): the register
# stack and tags, the status word, exception flagging and signalling (#MF, FERR#), the
# operand memory accesses, and the host x87 operations that do the arithmetic.
#
# Exactness. The host is x86: its x87 implements the very same extended-precision
# arithmetic as the Pentium III (IEEE 754 with the x87 extensions: precision and
# rounding control, denormal operands, NaN propagation by larger significand, the
# "real indefinite", unsupported formats such as unnormals and pseudo-NaNs, biased
# results of unmasked overflow/underflow, the condition codes of FPREM and FCOM).
# So every numeric operation runs on the host x87: the guest's precision and rounding
# control are loaded into the host control word, the host flags are cleared, the
# operation runs on the 80-bit operands (or the guest's memory operand in its own
# format), and the host status word tells the exception flags, C1 ("rounded up") and
# the condition codes. Everything architectural around it is done here: the stack,
# TOP and tags, stack faults, and the response to each exception (masked: the host's
# default result; unmasked: SDM vol. 1, 4.9.2 and 8.5 - an invalid operation, denormal
# operand or divide by zero leaves the destination and the stack alone, an overflow or
# underflow stores the exponent-biased result in a register destination but nothing in
# a memory destination; then ES is set and the next waiting instruction signals it).
#
# Transcendental instructions (F2XM1, FYL2X, FYL2XP1, FPATAN) run on the host x87 too,
# which the Intel and AMD manuals specify to less than 1 ulp (SDM vol. 1, 8.3.10). So do
# FSIN, FCOS, FSINCOS and FPTAN for |x| <= pi/4 and for the special operands (zeros,
# NaNs, infinities, unsupported formats, |x| >= 2^63 which sets C2). Between pi/4 and
# 2^63 the result hinges on the argument reduction, where x87 implementations differ
# (the P6 reduces with a 66-bit pi; some hosts do worse, e.g. FSIN(pi) = -2^-64 on an
# AMD EPYC host): there the value is computed in binary128 (libquadmath: exact
# Payne-Hanek reduction, 113-bit results) and rounded to 64 bits by the guest's
# rounding control, which also gives PE and C1 - the result is the correctly rounded
# value except when the true value lies within 2^-112 of a rounding boundary.

# Host hygiene: the host x87 stack is empty on entry (x86-64 ABI) and each operation
# leaves it empty. While cpu_run runs the host control word is the guest-derived one
# of the last operation (loaded only when it changes) and host flags the guest already
# has set and masked may stay set (no FNCLEX for them); no other flag survives an
# operation, so no host exception can ever be pending. cpu_run restores the host's
# control word and clears the flags when it returns. Nothing else in the core computes
# with the x87 (SSE and the rest of the interpreter use MXCSR or integers), so the
# guest-derived word affects nothing else; libquadmath runs under the host's own word
# (q_trig). The host runs with the invalid, denormal and
# zero-divide exceptions masked so that stack movements of popping/pushing operations
# always happen; overflow, underflow and precision use the guest's masks so that an
# unmasked overflow/underflow yields the biased result the guest must see.

cdef extern from *:
    """
    #if !defined(__x86_64__) && !defined(__i386__)
    #error "pyx86's x87 runs on the host x87: build it on an x86 host"
    #endif
    #include <quadmath.h>

    typedef uint16_t (*hx_fn)(uint32_t cwk, uint16_t* hx, const void* a, const void* b,
                              void* r, void* r1);

    /* hx points to CPUState.hx: the host x87's control word (HX_CW), the exception
       flags that may be set in it (HX_FLAGS) and its own control word from before
       cpu_run (HX_OWN). The control word is loaded only when the guest-derived word
       changes - with the usual all-masked guest FCW, arithmetic and conversions share
       one word - and the flags are tracked here rather than read with FNSTSW before
       each operation (that waits for the previous operation to complete). */
    enum { HX_CW = 0, HX_FLAGS = 1, HX_OWN = 2 };

    static void hx_run_begin(uint16_t* hx) {
        uint16_t sw;
        __asm__ volatile("fnstcw %0" : "=m"(hx[HX_OWN]));
        __asm__ volatile("fnstsw %0" : "=a"(sw));
        hx[HX_CW] = hx[HX_OWN];
        hx[HX_FLAGS] = sw & 0x3f;
    }

    /* Leave the host as cpu_run found it: flags clear (so nothing can trap host code),
       then its own control word (clearing first: loading a word that unmasks a pending
       flag would arm it). */
    static void hx_run_end(uint16_t* hx) {
        if (hx[HX_FLAGS]) {
            __asm__ volatile("fnclex");
            hx[HX_FLAGS] = 0;
        }
        if (hx[HX_CW] != hx[HX_OWN]) {
            __asm__ volatile("fldcw %0" : : "m"(hx[HX_OWN]));
            hx[HX_CW] = hx[HX_OWN];
        }
    }

    /* Before an operation. cwk = host control word | keep << 16, keep being the
       exception flags the guest already has set AND masked: for those, whether this
       operation raises them again changes nothing (the flag is sticky, the response is
       the masked one the host computes), so a host flag among them may stay set and the
       costly FNCLEX (microcoded, ~45 ns on an AMD EPYC host; every inexact operation
       needs one otherwise) is skipped. keep flags are masked in every host control word
       used (see cw_arith, cw_masked), so they never arm a host exception. Any other
       flag that may be set is cleared before the control word changes. */
    static inline void hx_prepare(uint32_t cwk, uint16_t* hx) {
        uint16_t cw = (uint16_t)cwk;
        if (hx[HX_FLAGS] & ~(cwk >> 16)) {
            __asm__ volatile("fnclex");
            hx[HX_FLAGS] = 0;
        }
        if (cw != hx[HX_CW]) {
            __asm__ volatile("fldcw %0" : : "m"(cw));
            hx[HX_CW] = cw;
        }
    }

    /* One host x87 operation: prepare the flags and control word, run body. body ends
       with the host stack empty; HX_DONE stores the status word right after the
       operation and, when a flag outside keep is set, clears the flags before any
       waiting instruction, so nothing pending can trap a later host instruction. */
    #define HX(name, body) \
    static uint16_t name(uint32_t cwk, uint16_t* hx, const void* a, const void* b, \
                         void* r, void* r1) { \
        uint16_t sw = 0, cw = (uint16_t)cwk; \
        uint8_t nk = (uint8_t)(~(cwk >> 16) & 0x3f); \
        hx_prepare(cwk, hx); \
        __asm__ volatile(body \
            : [sw] "=m"(sw) \
            : [cw] "m"(cw), [nk] "q"(nk), [a] "r"(a), [b] "r"(b), [r] "r"(r), [r1] "r"(r1) \
            : "memory", "cc", "eax", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", \
              "st(6)", "st(7)"); \
        hx[HX_FLAGS] = sw & (cwk >> 16) & 0x3f; \
        return sw; }
    #define HX_DONE "fnstsw %%ax; movw %%ax, %[sw]; testb %[nk], %%al; jz 2f; fnclex; 2:"

    /* r = a OP b, a being the destination operand; b an 80-bit register (_x), m32
       real (_s), m64 real (_l), m16 integer (_w) or m32 integer (_d). */
    #define HX_ARITH(op) \
    HX(hx_##op##_x, "fldt (%[b]); fldt (%[a]); f" #op " %%st(1), %%st; " HX_DONE \
                    "; fstpt (%[r]); fstp %%st(0)") \
    HX(hx_##op##_s, "fldt (%[a]); f" #op "s (%[b]); " HX_DONE "; fstpt (%[r])") \
    HX(hx_##op##_l, "fldt (%[a]); f" #op "l (%[b]); " HX_DONE "; fstpt (%[r])") \
    HX(hx_##op##_w, "fldt (%[a]); fi" #op "s (%[b]); " HX_DONE "; fstpt (%[r])") \
    HX(hx_##op##_d, "fldt (%[a]); fi" #op "l (%[b]); " HX_DONE "; fstpt (%[r])")
    HX_ARITH(add) HX_ARITH(mul) HX_ARITH(sub) HX_ARITH(subr) HX_ARITH(div) HX_ARITH(divr)

    /* comparisons of a with b (condition codes in the returned status word) */
    HX(hx_com_x, "fldt (%[b]); fldt (%[a]); fcom %%st(1); " HX_DONE
                 "; fstp %%st(0); fstp %%st(0)")
    HX(hx_com_s, "fldt (%[a]); fcoms (%[b]); " HX_DONE "; fstp %%st(0)")
    HX(hx_com_l, "fldt (%[a]); fcoml (%[b]); " HX_DONE "; fstp %%st(0)")
    HX(hx_com_w, "fldt (%[a]); ficoms (%[b]); " HX_DONE "; fstp %%st(0)")
    HX(hx_com_d, "fldt (%[a]); ficoml (%[b]); " HX_DONE "; fstp %%st(0)")
    HX(hx_ucom_x, "fldt (%[b]); fldt (%[a]); fucom %%st(1); " HX_DONE
                  "; fstp %%st(0); fstp %%st(0)")
    HX(hx_tst, "fldt (%[a]); ftst; " HX_DONE "; fstp %%st(0)")

    /* one operand, result in its place */
    HX(hx_sqrt, "fldt (%[a]); fsqrt; " HX_DONE "; fstpt (%[r])")
    HX(hx_rndint, "fldt (%[a]); frndint; " HX_DONE "; fstpt (%[r])")
    HX(hx_sin, "fldt (%[a]); fsin; " HX_DONE "; fstpt (%[r])")
    HX(hx_cos, "fldt (%[a]); fcos; " HX_DONE "; fstpt (%[r])")
    HX(hx_f2xm1, "fldt (%[a]); f2xm1; " HX_DONE "; fstpt (%[r])")
    /* a = ST(0), b = ST(1); result for ST(0), ST(1) kept */
    HX(hx_prem, "fldt (%[b]); fldt (%[a]); fprem; " HX_DONE "; fstpt (%[r]); fstp %%st(0)")
    HX(hx_prem1, "fldt (%[b]); fldt (%[a]); fprem1; " HX_DONE "; fstpt (%[r]); fstp %%st(0)")
    HX(hx_scale, "fldt (%[b]); fldt (%[a]); fscale; " HX_DONE "; fstpt (%[r]); fstp %%st(0)")
    /* a = ST(0), b = ST(1); result for ST(1), then pop */
    HX(hx_patan, "fldt (%[b]); fldt (%[a]); fpatan; " HX_DONE "; fstpt (%[r])")
    HX(hx_yl2x, "fldt (%[b]); fldt (%[a]); fyl2x; " HX_DONE "; fstpt (%[r])")
    HX(hx_yl2xp1, "fldt (%[b]); fldt (%[a]); fyl2xp1; " HX_DONE "; fstpt (%[r])")
    /* FXTRACT: r = significand (new ST(0)), r1 = exponent (new ST(1)) */
    HX(hx_xtract, "fldt (%[a]); fxtract; " HX_DONE "; fstpt (%[r]); fstpt (%[r1])")
    /* FPTAN and FSINCOS push a second result only when the operand is in range: the
       whole host state is saved into r (FNSAVE layout, 108 bytes), which also empties
       the host stack whatever its depth; FNSAVE reinitializes the host, so the control
       word is loaded again. */
    HX(hx_ptan, "fldt (%[a]); fptan; fnsave (%[r]); fldcw %[cw]")
    HX(hx_sincos, "fldt (%[a]); fsincos; fnsave (%[r]); fldcw %[cw]")

    /* Round a normal binary128 value to the 80-bit format by the rounding control of
       fcw (bits 10-11); returns PE and C1 (rounded up) as status word bits. */
    static uint16_t q_to_x80(__float128 v, uint16_t fcw, void* out) {
        union { __float128 q; struct { uint64_t lo, hi; } w; } u;
        uint64_t sig, rest, half = 1ULL << 48;
        int sign, e, rc = (fcw >> 10) & 3, up = 0;
        uint16_t se;
        u.q = v;
        sign = (int)(u.w.hi >> 63);
        e = (int)((u.w.hi >> 48) & 0x7FFF);
        sig = (1ULL << 63) | ((u.w.hi & 0xFFFFFFFFFFFFULL) << 15) | (u.w.lo >> 49);
        rest = u.w.lo & ((1ULL << 49) - 1);
        if (rest) {
            if (rc == 0) up = rest > half || (rest == half && (sig & 1));
            else if (rc == 1) up = sign;
            else if (rc == 2) up = !sign;
        }
        if (up && ++sig == 0) {
            sig = 1ULL << 63;
            e++;
        }
        se = (uint16_t)((sign << 15) | e);
        memcpy(out, &sig, 8);
        memcpy((char*)out + 8, &se, 2);
        return (rest ? 0x20 : 0) | (up ? 0x200 : 0);
    }

    /* FSIN, FCOS, FSINCOS, FPTAN for pi/4 < |x| < 2^63 (see above): r = sin/cos/tan,
       r1 = cos (FSINCOS) or 1.0 (FPTAN). Returns the status bits of r. */
    static uint16_t q_trig(int which, const void* a, void* r, void* r1, uint16_t fcw,
                           uint16_t* hx) {
        long double x = 0;
        __float128 q, y, z = 1;
        hx_run_end(hx);
        memcpy(&x, a, 10);
        q = (__float128)x;
        if (which == 0) y = sinq(q);
        else if (which == 1) y = cosq(q);
        else if (which == 2) y = tanq(q);
        else sincosq(q, &y, &z);
        q_to_x80(z, fcw, r1);
        return q_to_x80(y, fcw, r);
    }

    /* conversions from memory formats (a) to 80 bits (r) */
    HX(hx_ld_s, "flds (%[a]); " HX_DONE "; fstpt (%[r])")
    HX(hx_ld_l, "fldl (%[a]); " HX_DONE "; fstpt (%[r])")
    HX(hx_bld, "fbld (%[a]); " HX_DONE "; fstpt (%[r])")
    /* conversions from 80 bits (a) to memory formats (r) */
    HX(hx_st_s, "fldt (%[a]); fsts (%[r]); " HX_DONE "; fstp %%st(0)")
    HX(hx_st_l, "fldt (%[a]); fstl (%[r]); " HX_DONE "; fstp %%st(0)")
    HX(hx_ist_w, "fldt (%[a]); fists (%[r]); " HX_DONE "; fstp %%st(0)")
    HX(hx_ist_d, "fldt (%[a]); fistl (%[r]); " HX_DONE "; fstp %%st(0)")
    HX(hx_ist_q, "fldt (%[a]); fistpll (%[r]); " HX_DONE)
    HX(hx_bst, "fldt (%[a]); fbstp (%[r]); " HX_DONE)

    /* constants (their rounding depends on the rounding control, as on the chip) */
    HX(hx_ld1, "fld1; " HX_DONE "; fstpt (%[r])")
    HX(hx_ldl2t, "fldl2t; " HX_DONE "; fstpt (%[r])")
    HX(hx_ldl2e, "fldl2e; " HX_DONE "; fstpt (%[r])")
    HX(hx_ldpi, "fldpi; " HX_DONE "; fstpt (%[r])")
    HX(hx_ldlg2, "fldlg2; " HX_DONE "; fstpt (%[r])")
    HX(hx_ldln2, "fldln2; " HX_DONE "; fstpt (%[r])")
    HX(hx_ldz, "fldz; " HX_DONE "; fstpt (%[r])")

    /* arithmetic by ModRM.reg of D8 (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr) and
       operand kind (x s l w d) */
    static const hx_fn hx_arith_tab[8][5] = {
        {hx_add_x, hx_add_s, hx_add_l, hx_add_w, hx_add_d},
        {hx_mul_x, hx_mul_s, hx_mul_l, hx_mul_w, hx_mul_d},
        {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0},
        {hx_sub_x, hx_sub_s, hx_sub_l, hx_sub_w, hx_sub_d},
        {hx_subr_x, hx_subr_s, hx_subr_l, hx_subr_w, hx_subr_d},
        {hx_div_x, hx_div_s, hx_div_l, hx_div_w, hx_div_d},
        {hx_divr_x, hx_divr_s, hx_divr_l, hx_divr_w, hx_divr_d}};
    static const hx_fn hx_com_tab[5] = {hx_com_x, hx_com_s, hx_com_l, hx_com_w, hx_com_d};
    static const hx_fn hx_const_tab[7] = {hx_ld1, hx_ldl2t, hx_ldl2e, hx_ldpi, hx_ldlg2,
                                          hx_ldln2, hx_ldz};
    static inline int hx_clz64(uint64_t v) { return __builtin_clzll(v); }
    static inline hx_fn hx_arith(int op, int kind) { return hx_arith_tab[op][kind]; }
    static inline hx_fn hx_com(int kind) { return hx_com_tab[kind]; }
    static inline hx_fn hx_const(int k) { return hx_const_tab[k]; }
    """
    ctypedef uint16_t (*hx_fn)(uint32_t cwk, uint16_t* hx, const void* a, const void* b,
                               void* r, void* r1) noexcept nogil
    hx_fn hx_arith(int op, int kind) noexcept nogil
    int hx_clz64(uint64_t v) noexcept nogil
    hx_fn hx_com(int kind) noexcept nogil
    hx_fn hx_const(int k) noexcept nogil
    void hx_run_begin(uint16_t* hx) noexcept nogil
    void hx_run_end(uint16_t* hx) noexcept nogil
    uint16_t q_trig(int which, const void* a, void* r, void* r1, uint16_t fcw,
                    uint16_t* hx) noexcept nogil
    uint16_t hx_ucom_x(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_tst(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_sqrt(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_rndint(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_sin(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_cos(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_f2xm1(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_prem(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_prem1(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_scale(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_patan(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_yl2x(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_yl2xp1(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_xtract(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_ptan(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_sincos(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_ld_s(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_ld_l(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_bld(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_st_s(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_st_l(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_ist_w(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_ist_d(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_ist_q(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil
    uint16_t hx_bst(uint32_t, uint16_t*, const void*, const void*, void*, void*) noexcept nogil


cdef enum:
    # operand kinds of the host operations
    K_X = 0                   # 80-bit register
    K_S = 1                   # m32 real
    K_L = 2                   # m64 real
    K_W = 3                   # m16 integer
    K_D = 4                   # m32 integer

    FCW_INIT = 0x037F         # FNINIT: all exceptions masked, 64-bit precision, nearest
    FCW_RESET = 0x0040        # after RESET (SDM vol. 3A, table 9-1)
    FCW_FIXED = 0x0040        # bit 6 always reads as 1
    FCW_RESERVED = 0xE0C0     # bits 6, 7, 13-15 cannot be written
    FCW_PC_RC = 0x0F00
    FSW_PRE = FSW_IE | FSW_DE | FSW_ZE   # detected before computing (no result if unmasked)

    Q_SIN = 0                # q_trig functions
    Q_COS = 1
    Q_TAN = 2
    Q_SINCOS = 3
    FSAVE_SIZE = 108          # 32-bit FSAVE image: environment and eight registers


# ---------------------------------------------------------------------------------
# Host control words

cdef inline uint32_t hx_keep(CPUState* s) noexcept nogil:
    """The flags the guest has set and masked, for hx_prepare (high half of cwk)."""
    return <uint32_t>(s.fsw & s.fcw & FSW_EXC) << 16


cdef inline uint32_t cw_arith(CPUState* s) noexcept nogil:
    """Host control word for an operation with a register destination (see above)."""
    return ((s.fcw & (FCW_PC_RC | FSW_OE | FSW_UE | FSW_PE)) | FCW_FIXED | FSW_PRE |
            hx_keep(s))


cdef inline uint32_t cw_masked(CPUState* s) noexcept nogil:
    """Host control word with every exception masked: conversions, memory stores."""
    return (s.fcw & FCW_PC_RC) | FCW_FIXED | FSW_EXC | hx_keep(s)


# ---------------------------------------------------------------------------------
# Register stack

cdef inline void f80_copy(F80* d, const F80* v) noexcept nogil:
    """Copy a register field by field, not as the padded 16-byte struct: a 16-byte load
    of a value just written by the host's 10-byte FSTP m80 (or by two field stores)
    cannot be store-forwarded and stalls until the stores retire; loads of 8 and 2
    bytes inside the written bytes forward."""
    d.sig = v.sig
    d.se = v.se


cdef inline F80* fst(CPUState* s, int i) noexcept nogil:
    return &s.fpr[(s.ftop + i) & 7]


cdef inline bint st_empty(CPUState* s, int i) noexcept nogil:
    return (s.fempty >> ((s.ftop + i) & 7)) & 1


cdef inline void fpu_push(CPUState* s, F80* v) noexcept nogil:
    s.ftop = (s.ftop - 1) & 7
    f80_copy(&s.fpr[s.ftop], v)
    s.fempty &= ~(1 << s.ftop)


cdef inline void fpu_pop(CPUState* s) noexcept nogil:
    s.fempty |= 1 << s.ftop
    s.ftop = (s.ftop + 1) & 7


cdef inline void set_indefinite(F80* r) noexcept nogil:
    """The real indefinite: the QNaN the masked invalid-operation response produces."""
    r.sig = 0xC000000000000000ULL
    r.se = 0xFFFF


cdef int fpu_tag(F80* r) noexcept nogil:
    """The 2-bit tag of a non-empty register: 0 valid, 1 zero, 2 special (NaN,
    infinity, denormal, pseudo-denormal or unsupported format)."""
    cdef int e = r.se & 0x7FFF
    if e == 0x7FFF:
        return 2
    if e == 0:
        return 1 if r.sig == 0 else 2
    return 0 if r.sig >> 63 else 2


cdef uint16_t fpu_tag_word(CPUState* s) noexcept nogil:
    cdef uint16_t tw = 0
    cdef int k
    for k in range(8):
        tw |= (3 if (s.fempty >> k) & 1 else fpu_tag(&s.fpr[k])) << (2 * k)
    return tw


# ---------------------------------------------------------------------------------
# Status word, exceptions and their signalling

cdef inline uint16_t fpu_sw(CPUState* s) noexcept nogil:
    return s.fsw | (s.ftop << 11)


cdef void fpu_load_sw_tw(CPUState* s, uint16_t sw, uint16_t tw) noexcept nogil:
    """A status word (with TOP) and a full tag word from an FLDENV/FRSTOR image: only
    "empty" of each tag is kept (the others follow from the contents)."""
    cdef int k
    s.ftop = (sw >> 11) & 7
    s.fsw = sw & ~FSW_TOP
    s.fempty = 0
    for k in range(8):
        if ((tw >> (2 * k)) & 3) == 3:
            s.fempty |= 1 << k


cdef inline void set_c1(CPUState* s, uint16_t sw) noexcept nogil:
    s.fsw = (s.fsw & ~FSW_C1) | (sw & FSW_C1)


cdef void fpu_ferr(CPUState* s) noexcept nogil:
    """Drive FERR#: asserted while an unmasked exception is pending in MS-DOS
    compatibility mode (CR0.NE = 0); on the P6 it goes up at the end of the
    instruction that raised it (SDM vol. 3A, 22.18.6.7 "Assertion of the FERR# Pin")."""
    cdef uint8_t level = (s.fsw & FSW_ES) != 0 and not (s.cr0 & CR0_NE)
    if level != s.ferr:
        s.ferr = level
        if s.ferr_out != NULL:
            s.ferr_out(s.io_ctx, level)


cdef void fpu_update_es(CPUState* s) noexcept nogil:
    """ES and B summarize the unmasked exception flags (after FLDCW, FLDENV, FRSTOR)."""
    if s.fsw & ~s.fcw & FSW_EXC:
        s.fsw |= FSW_ES | FSW_B
    else:
        s.fsw &= ~(FSW_ES | FSW_B)
    fpu_ferr(s)


cdef bint fpu_pend(CPUState* s) noexcept nogil:
    s.fsw |= FSW_ES | FSW_B
    fpu_ferr(s)
    return 1


cdef inline bint fpu_flag(CPUState* s, uint16_t flags) noexcept nogil:
    """Set exception flags; returns 1 when one of them is unmasked, which makes it
    pending (ES): the next waiting instruction signals it."""
    s.fsw |= flags
    if flags & ~s.fcw & FSW_EXC:
        return fpu_pend(s)
    return 0


cdef bint fpu_underflow(CPUState* s) noexcept nogil:
    """Stack underflow (an empty operand register): IE and SF with C1 = 0. Returns 1
    when unmasked (then nothing else changes); masked, the caller stores the
    indefinite and completes the instruction."""
    s.fsw &= ~FSW_C1
    return fpu_flag(s, FSW_IE | FSW_SF)


cdef bint fpu_overflow(CPUState* s) noexcept nogil:
    """Stack overflow (a push onto a non-empty register): IE and SF with C1 = 1."""
    s.fsw |= FSW_C1
    return fpu_flag(s, FSW_IE | FSW_SF)


cdef bint fpu_push_check(CPUState* s) noexcept nogil:
    """Before a push: on stack overflow apply the response. Returns 1 when the
    instruction is done (overflow; masked: the indefinite was pushed)."""
    cdef F80 q
    if st_empty(s, 7):
        return 0
    if not fpu_overflow(s):
        set_indefinite(&q)
        fpu_push(s, &q)
    return 1


cdef bint fpu_take(CPUState* s, int i, F80* r, uint16_t hsw) noexcept nogil:
    """Deliver a host result to ST(i) with the flags the operation raised. An unmasked
    invalid-operation, denormal or zero-divide exception leaves the destination alone
    and returns 0 (the caller must not pop either); otherwise C1 is the host's
    "rounded up" bit (SDM vol. 1, 8.1.3.1)."""
    cdef uint16_t ex = hsw & FSW_EXC
    if ex & ~s.fcw & FSW_PRE:
        s.fsw &= ~FSW_C1
        fpu_flag(s, ex & FSW_PRE)
        return 0
    f80_copy(fst(s, i), r)
    set_c1(s, hsw)
    fpu_flag(s, ex)
    return 1


cdef bint fpu_pending(CPUState* s) noexcept nogil:
    """A waiting instruction found ES set. Native mode (CR0.NE = 1): #MF, a fault on
    this instruction. MS-DOS compatibility mode: unless IGNNE# is asserted the CPU
    freezes before the instruction until an interrupt (the platform turns FERR# into
    IRQ13) - modelled as a halt with EIP on the instruction, so it runs again after
    the handler returns. Returns 1 when the instruction must not run now."""
    if s.cr0 & CR0_NE:
        raise_exc(s, EXC_MF, 0, 0)
    if s.ignne:
        return 0
    fpu_ferr(s)
    if s.cur != NULL:
        s.cur_redo = 1                    # the block loop rewinds (cpu/loop.pxi)
    else:
        s.eip = s.prev_eip
    s.halted = 1
    kick(s)
    return 1


cdef void fpu_init(CPUState* s) noexcept nogil:
    """FNINIT (SDM vol. 1, 8.1.9 table): registers keep their contents."""
    s.fcw = FCW_INIT
    s.fsw = 0
    s.ftop = 0
    s.fempty = 0xFF
    s.fip = s.fdp = 0
    s.fcs = s.fds = s.fop = 0
    fpu_ferr(s)


cdef void fpu_reset(CPUState* s) noexcept nogil:
    """State after RESET (SDM vol. 3A, table 9-1): FCW 0040h, FSW 0, tag word 5555h
    (all registers hold +0.0), pointers and opcode 0."""
    cdef int k
    for k in range(8):
        s.fpr[k].sig = 0
        s.fpr[k].se = 0
    fpu_init(s)
    s.fcw = FCW_RESET
    s.fempty = 0


# ---------------------------------------------------------------------------------
# Memory operands: read or written whole, before any FPU state changes, so a fault
# leaves the instruction restartable.

cdef inline uint32_t x87_addr(CPUState* s, Insn* i, int size, bint write) noexcept nogil:
    return seg_check(s, i.seg, ea(s, i), size, write)


cdef void mem_in(CPUState* s, uint32_t lin, uint8_t* buf, int n, int align) noexcept nogil:
    """Read n bytes; align is the operand's alignment for #AC (SDM vol. 3A, 6.15): the
    pieces are never wider than it, so each piece checks no more than the operand."""
    cdef int k = 0
    cdef uint32_t v
    cdef TLBEntry* e = &s.tlb[(lin >> 12) & TLB_MASK]
    if align > 4:
        check_align(s, lin, align)
    if n == 8 and e.tag == (lin >> 12) and (e.perm & s.perm_r) and (lin & 0xFFF) <= 0xFF8:
        # within one page that the TLB maps for reading: each piece would take the same
        # fast path of rd32 (the common m64 case: one copy instead of the loops)
        memcpy(buf, e.host + (lin & 0xFFF), 8)
        return
    while align >= 4 and k + 4 <= n:
        v = rd32(s, lin + k)
        memcpy(buf + k, &v, 4)
        k += 4
    while align >= 2 and k + 2 <= n:
        v = rd16(s, lin + k)
        memcpy(buf + k, &v, 2)
        k += 2
    while k < n:
        buf[k] = <uint8_t>rd8(s, lin + k)
        k += 1


cdef void mem_out(CPUState* s, uint32_t lin, const uint8_t* buf, int n,
                  int align) noexcept nogil:
    cdef int k = 0
    cdef uint32_t v = 0
    cdef TLBEntry* e = &s.tlb[(lin >> 12) & TLB_MASK]
    if align > 4:
        check_align(s, lin, align)
    probe_write(s, lin, n)
    if n == 8 and e.tag == (lin >> 12) and (e.perm & s.perm_w) and (lin & 0xFFF) <= 0xFF8:
        memcpy(e.host + (lin & 0xFFF), buf, 8)      # as in mem_in
        return
    while align >= 4 and k + 4 <= n:
        memcpy(&v, buf + k, 4)
        wr32(s, lin + k, v)
        k += 4
    while align >= 2 and k + 2 <= n:
        v = 0
        memcpy(&v, buf + k, 2)
        wr16(s, lin + k, v)
        k += 2
    while k < n:
        wr8(s, lin + k, buf[k])
        k += 1


cdef bint trig_by_quad(F80* x) noexcept nogil:
    """FSIN/FCOS/FSINCOS/FPTAN operand for q_trig: finite, pi/4 < |x| < 2^63."""
    cdef int e = x.se & 0x7FFF
    if not (x.sig >> 63) or e >= 0x3FFF + 63:
        return 0                  # unsupported, infinity, NaN, out of range; denormals are tiny
    if e > 0x3FFE:
        return 1                  # |x| >= 1
    # pi/4 = 0.C90FDAA22168C234C... * 2^0 (exponent 0x3FFE)
    return e == 0x3FFE and x.sig > 0xC90FDAA22168C234ULL



# ---------------------------------------------------------------------------------
# Exact conversions done without the host: the common loads

cdef bint float_to_x80(const uint8_t* buf, int n, F80* r) noexcept nogil:
    """m32/m64 real to 80 bits when that is exact and raises nothing: zeros and normal
    numbers. Returns 0 for denormals, infinities and NaNs (the host converts those)."""
    cdef uint64_t v = 0, f
    cdef int e, fbits = 52 if n == 8 else 23, ebits = 11 if n == 8 else 8
    cdef int emax = (1 << ebits) - 1
    memcpy(&v, buf, n)
    f = v & ((<uint64_t>1 << fbits) - 1)
    e = <int>((v >> fbits) & emax)
    r.se = <uint16_t>((v >> (8 * n - 1)) << 15)
    if e == 0:
        if f:
            return 0
        r.sig = 0
        return 1
    if e == emax:
        return 0
    r.sig = (<uint64_t>1 << 63) | (f << (63 - fbits))
    r.se |= <uint16_t>(e - (emax >> 1) + 0x3FFF)
    return 1


cdef void int_to_x80(int64_t v, F80* r) noexcept nogil:
    """FILD: every 16/32/64-bit integer is exact in 80 bits."""
    cdef uint64_t m = <uint64_t>v
    cdef int z
    r.se = 0
    if v < 0:
        m = -m
        r.se = 0x8000
    if m == 0:
        r.sig = 0
        return
    z = hx_clz64(m)
    r.sig = m << z
    r.se |= <uint16_t>(0x3FFF + 63 - z)
