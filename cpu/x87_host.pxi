# The guest's x87 on the host's x87 (included by cpu/interp.pyx after cpu/ops_x87.pxi).
#
# The host is an x87 too, with the very semantics the guest needs (see cpu/fpu.pxi):
# the same registers, TOP, tags and status word, the same masked responses to every
# exception, stack faults included. So while the guest runs with every exception
# masked (FCW bits 0-5 set: what Linux, Windows and C runtimes use), its whole x87
# state lives in the host x87 and most x87 instructions run as themselves: the
# handlers of cpu/ops_x87_host_gen.pxi (cpu/gen_x87.py) execute the guest's own opcode
# and ModRM byte, with a memory operand addressed through the TLB's host pointer.
# No 80-bit value goes through memory and no status word is read per instruction,
# which is what the per-operation path of cpu/fpu.pxi costs (FLD m80 and FNSTSW are
# microcoded, ~5 ns each on an AMD Zen 4 host).
#
# The state moves between CPUState and the host with FRSTOR/FNSAVE (x87_to_host,
# x87_to_state). It goes to the host at the first such instruction when FCW masks all
# exceptions, and back to CPUState before anything else reads or writes it: the
# generic handler (op_esc: control instructions, instructions whose host result may
# differ - FSIN and the like between pi/4 and 2^63 -, the undocumented aliases, a memory
# operand off the TLB fast path), MMX, FXSAVE/FXRSTOR, every call out of the core into
# Python (port I/O, MMIO, interrupt acknowledge, intercepts: they may read the CPU, and
# Python must find the host x87 as the ABI leaves it) and the end of cpu_run. An
# unmasked exception is never possible on the host: FLDCW that unmasks one moves the
# state back first, and the generic handlers give the guest its unmasked responses.
#
# FIP, FCS, FOP, FDP and FDS (SDM vol. 1, 8.1.8-8.1.9) are the guest's and stay in
# CPUState; the handlers update them as op_esc does.

cdef extern from *:
    """
    /* FRSTOR/FNSAVE in the 32-bit layout (no REX.W): 108 bytes. FNSAVE leaves the
       host initialized (control word 037Fh, stack empty). */
    static inline void hx87_frstor(const void* img) {
        __asm__ volatile("frstor (%0)" : : "r"(img) : "memory");
    }
    static inline void hx87_fnsave(void* img) {
        __asm__ volatile("fnsave (%0)" : : "r"(img) : "memory");
    }
    static inline uint16_t hx87_fnstsw(void) {
        uint16_t sw;
        __asm__ volatile("fnstsw %0" : "=a"(sw));
        return sw;
    }
    static inline void hx87_fldcw(uint16_t cw) {
        __asm__ volatile("fldcw %0" : : "m"(cw));
    }
    /* FSIN FCOS FSINCOS FPTAN: 1 when the host's result is the guest's, that is for
       every ST(0) but a finite one with pi/4 < |x| < 2^63 (cpu/fpu.pxi, trig_by_quad),
       here narrowed to: not a normal number, or |x| <= the largest double below pi/4.
       FXAM and FCOM leave C0 and C3 changed, which the four leave undefined (SDM
       vol. 2A; C1 and C2 they set). */
    static inline int hx87_trig_host(void) {
        static const double lo = 0.78539816339744827900, neg_lo = -0.78539816339744827900;
        uint16_t sw;
        __asm__ volatile("fxam; fnstsw %0" : "=a"(sw));
        if ((sw & 0x4500) != 0x0400)
            return 1;                               /* not a normal number */
        if (sw & 0x0200) {                          /* C1: negative */
            __asm__ volatile("fcoml %1; fnstsw %0" : "=a"(sw) : "m"(neg_lo) : "cc");
            return (sw & 0x0100) == 0;              /* not below -lo */
        }
        __asm__ volatile("fcoml %1; fnstsw %0" : "=a"(sw) : "m"(lo) : "cc");
        return (sw & 0x4500) != 0;                  /* not above lo */
    }
    """
    void hx87_frstor(const void* img) noexcept nogil
    void hx87_fnsave(void* img) noexcept nogil
    uint16_t hx87_fnstsw() noexcept nogil
    void hx87_fldcw(uint16_t cw) noexcept nogil
    bint hx87_trig_host() noexcept nogil
    enum:
        HX_CW
        HX_FLAGS


cdef bint x87_to_host(CPUState* s) noexcept nogil:
    """Load the guest x87 into the host when FCW masks every exception (then nothing
    is pending either); returns 0 when it does not."""
    cdef uint8_t img[FSAVE_SIZE]
    cdef int k
    if (s.fcw & FSW_EXC) != FSW_EXC or (s.fsw & FSW_ES):
        return 0
    memset(img, 0, FSAVE_SIZE)
    put16(img, s.fcw)
    put16(img + 4, fpu_sw(s))
    put16(img + 8, fpu_tag_word(s))
    for k in range(8):
        memcpy(img + 28 + 10 * k, fst(s, k), 10)
    hx87_frstor(img)
    s.x87_on_host = 1
    return 1


cdef void x87_to_state(CPUState* s) noexcept nogil:
    """Move the guest x87 from the host back into CPUState; the host is left
    initialized, as cpu/fpu.pxi's host operations expect it."""
    cdef uint8_t img[FSAVE_SIZE]
    cdef int k
    hx87_fnsave(img)
    s.hx[<int>HX_CW] = FCW_INIT
    s.hx[<int>HX_FLAGS] = 0
    fpu_load_sw_tw(s, get16(img + 4), get16(img + 8))
    for k in range(8):
        memcpy(fst(s, k), img + 28 + 10 * k, 10)
    s.x87_on_host = 0


cdef inline void x87_release(CPUState* s) noexcept nogil:
    """Before code that reads the x87 state in CPUState, or that must find the host
    x87 as the ABI leaves it (calls into Python)."""
    if s.x87_on_host:
        x87_to_state(s)


cdef inline bint x87_host_ready(CPUState* s) noexcept nogil:
    """The start of a host-executed x87 instruction: #NM (SDM vol. 3A, 2.5), then 1
    when the state is (now) on the host, 0 when the generic handler must run it."""
    if s.cr0 & (CR0_EM | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
    if s.x87_on_host:
        return 1
    return x87_to_host(s)


cdef inline void x87_host_done(CPUState* s, uint16_t fop) noexcept nogil:
    """A numeric instruction with register operands was the last one (op_esc)."""
    s.fip = insn_eip(s)
    s.fcs = s.seg[SEG_CS].sel
    s.fop = fop


cdef inline void x87_host_done_m(CPUState* s, Insn* i, uint32_t off) noexcept nogil:
    """The same with a memory operand at i.seg:off."""
    s.fip = insn_eip(s)
    s.fcs = s.seg[SEG_CS].sel
    s.fop = ((i.op & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm
    s.fdp = off
    s.fds = s.seg[i.seg].sel


cdef inline uint8_t x87_host_cc(CPUState* s) noexcept nogil:
    """The guest's CF, PF and ZF at their EFLAGS positions, for SAHF before FCMOVcc."""
    return ((F_CF if get_cf(s) else 0) | (F_PF if get_pf(s) else 0) |
            (F_ZF if get_zf(s) else 0))


# The control instructions that need no state move (the others run in op_esc).

cdef void x87h_fnstsw_ax(CPUState* s, Insn* i) noexcept nogil:
    # DF E0
    if not x87_host_ready(s):
        op_esc(s, i)
        return
    set_reg(s, EAX, hx87_fnstsw(), 2)
    chain(s, i)


cdef void x87h_fnstsw_m(CPUState* s, Insn* i) noexcept nogil:
    # DD /7
    if not x87_host_ready(s):
        op_esc(s, i)
        return
    vwr(s, i.seg, ea(s, i), hx87_fnstsw(), 2)


cdef void x87h_fnstcw(CPUState* s, Insn* i) noexcept nogil:
    # D9 /7: FCW is always in CPUState
    if s.cr0 & (CR0_EM | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
    vwr(s, i.seg, ea(s, i), s.fcw, 2)


cdef void x87h_fldcw(CPUState* s, Insn* i) noexcept nogil:
    # D9 /5. A word that unmasks an exception takes the state back (the generic
    # handler then makes a flagged one pending).
    cdef uint16_t cw
    if not x87_host_ready(s):
        op_esc(s, i)
        return
    cw = (vrd(s, i.seg, ea(s, i), 2) & ~FCW_RESERVED) | FCW_FIXED
    if (cw & FSW_EXC) != FSW_EXC:
        op_esc(s, i)
        return
    if s.x87_on_host:            # not if the read went out to MMIO (x87_release)
        hx87_fldcw(cw)
    s.fcw = cw
