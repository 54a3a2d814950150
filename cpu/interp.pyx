# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, overflowcheck=False
"""The x86 interpreter: one compilation unit so every helper inlines into the handlers.

Instruction groups live in cpu/ops_*.pxi, mechanisms (flags, memory, decoding, modes,
protected mode, the run loop) in the other cpu/*.pxi files; all are included here.
The per-instruction path is nogil C: Python is only entered for port I/O and MMIO.
"""
from libc.stdint cimport (uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t,
                          int32_t, int64_t)
from libc.stdlib cimport calloc, malloc, free
from libc.string cimport memcpy, memset
from libc.setjmp cimport setjmp, longjmp, jmp_buf
from cpu.state cimport *
from emu.memory cimport Memory, PhysMem, PG_ROM, PG_MMIO, PG_CODE, NPAGES

include "flags.pxi"
include "memaccess.pxi"
include "paging.pxi"
include "segments.pxi"
include "decode.pxi"
include "intercept.pxi"
include "debug.pxi"
include "loop.pxi"
include "protmode.pxi"
include "descriptors.pxi"
include "tasks.pxi"
include "ops_alu.pxi"
include "ops_move.pxi"
include "ops_control.pxi"
include "ops_io.pxi"
include "ops_shift.pxi"
include "ops_muldiv.pxi"
include "ops_bcd.pxi"
include "ops_bit.pxi"
include "ops_string.pxi"
include "ops_system.pxi"
include "smm.pxi"
include "fpu.pxi"
include "ops_x87.pxi"
include "x87_host.pxi"
include "ops_x87_host_gen.pxi"
include "simd.pxi"
include "ops_mmx.pxi"
include "ops_sse.pxi"
include "ops_fast.pxi"
include "ops_fast_gen.pxi"
include "optable.pxi"

init_parity()
init_optable()
init_fast_tables()
init_blocks()
init_x87()
init_x87_host()

STOP_NAMES = {STOP_SLICE: "slice", STOP_HLT: "hlt", STOP_TRIPLE: "triple-fault",
              STOP_REQUEST: "stop-request"}
SEG_NAMES = ("es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr")
REG_NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")


class PageFault(Exception):
    """A translation that would raise #PF: the faulting address (what CR2 would get)
    and the error code (P W U RSVD I bits, Intel SDM vol. 3A, 4.7)."""

    def __init__(self, cr2, error_code):
        super().__init__("#PF at %#010x, error code %#x" % (cr2, error_code))
        self.cr2 = cr2
        self.error_code = error_code


cdef bint try_translate(CPUState* s, uint32_t lin, int acc, bint user,
                        uint64_t* pa) noexcept nogil:
    """translate() outside an instruction: its #PF longjmps back here (returns 0)."""
    if setjmp(s.jb):
        return 0
    pa[0] = translate(s, lin, acc, user)
    return 1


cdef uint32_t _port_in(void* ctx, uint16_t port, int size) noexcept nogil:
    with gil:
        return (<CPU>ctx)._port_in(port, size)


cdef void _port_out(void* ctx, uint16_t port, uint32_t val, int size) noexcept nogil:
    with gil:
        (<CPU>ctx)._port_out(port, val, size)


cdef int _intr_ack(void* ctx) noexcept nogil:
    with gil:
        return (<CPU>ctx)._intr_ack()


cdef bint _intercept(void* ctx, int reason, uint32_t qual) noexcept nogil:
    with gil:
        return (<CPU>ctx)._intercept(reason, qual)


INTERCEPT_REASONS = ("cpuid", "hlt", "invlpg", "io", "rdmsr", "wrmsr", "cr_read", "cr_write",
                     "dr_access", "rdtsc", "rdpmc", "invd", "wbinvd", "pause", "task_switch",
                     "exception", "intr", "nmi", "soft_int", "shutdown")

cdef void _apic_base_out(void* ctx, uint64_t value) noexcept nogil:
    with gil:
        (<CPU>ctx)._apic_base(value)


cdef void _ferr_out(void* ctx, int level) noexcept nogil:
    with gil:
        (<CPU>ctx)._ferr(level)


cdef void _smm_out(void* ctx, int level) noexcept nogil:
    with gil:
        (<CPU>ctx)._smm(level)


cdef class CPU:
    """A P6-class IA-32 CPU attached to a Memory, a port bus and an interrupt controller.

    io:   object with port_read(port, size) -> int and port_write(port, value, size)
    intc: object with ack() -> vector (or -1 when nothing is pending)
    """

    def __cinit__(self, Memory mem, io=None, intc=None):
        self.s = <CPUState*>calloc(1, sizeof(CPUState))
        if self.s == NULL:
            raise MemoryError()
        self.s.icache = <Insn*>calloc(ICACHE_SIZE, sizeof(Insn))
        self.s.code_chunks = <uint64_t*>calloc(NPAGES, sizeof(uint64_t))
        self.s.blocks = <Block*>calloc(BLOCK_SIZE, sizeof(Block))
        self.s.bpool = <Insn*>calloc(BPOOL_SIZE, sizeof(Insn))
        self.s.code_gen = <uint32_t*>calloc(NPAGES, sizeof(uint32_t))
        if (self.s.icache == NULL or self.s.code_chunks == NULL or self.s.blocks == NULL
                or self.s.bpool == NULL or self.s.code_gen == NULL):
            raise MemoryError()
        tlb_init(self.s)
        self.s.chain_epoch = 1            # links of zeroed blocks (epoch 0) never match
        update_perms(self.s)
        self.mem = mem
        self.io = io
        self.intc = intc
        self.error = None
        self.s.mem = &mem.pm
        mem.pm.code_write = code_page_written
        mem.pm.code_ctx = <void*>self.s
        mem.pm.remap = memory_remapped
        self.s.port_in = _port_in
        self.s.port_out = _port_out
        self.s.intr_ack = _intr_ack
        self.s.ferr_out = _ferr_out
        self.on_ferr = None
        self.s.smm_out = _smm_out
        self.on_smm = None
        self.s.io_ctx = <void*>self
        self.s.a20_mask = 0xFFFFFFFFU
        self.reset()

    def __dealloc__(self):
        if self.s != NULL:
            if self.mem is not None and self.mem.pm.code_ctx == <void*>self.s:
                self.mem.pm.code_write = NULL
                self.mem.pm.remap = NULL
            free(self.s.icache)
            free(self.s.code_chunks)
            free(self.s.blocks)
            free(self.s.bpool)
            free(self.s.code_gen)
            free(self.s)

    # -- callbacks from the C core -------------------------------------------------
    def _port_in(self, int port, int size):
        if self.io is None:
            return 0xFFFFFFFFU
        try:
            return self.io.port_read(port, size)
        except BaseException as e:
            self._fail(e)
            return 0xFFFFFFFFU

    def _port_out(self, int port, uint32_t val, int size):
        if self.io is None:
            return
        try:
            self.io.port_write(port, val, size)
        except BaseException as e:
            self._fail(e)

    def _intr_ack(self):
        if self.intc is None:
            return -1
        try:
            return self.intc.ack()
        except BaseException as e:
            self._fail(e)
            return -1

    def _intercept(self, int reason, uint32_t qual):
        try:
            return bool(self.intercept_cb(INTERCEPT_REASONS[reason], qual))
        except BaseException as e:
            self._fail(e)
            return False

    def set_intercepts(self, reasons, callback):
        """Ask callback(reason, qual) at the intercept point for each named reason
        (INTERCEPT_REASONS). It returns True when it took the event over: the
        instruction then completes without its own effect. Debuggers trace with it;
        an empty set removes the hook."""
        cdef uint32_t mask = 0
        for r in reasons:
            mask |= 1 << INTERCEPT_REASONS.index(r)
        self.intercept_cb = callback
        self.s.intercepts = mask
        self.s.intercept_fn = _intercept
        self.s.intercept_ctx = <void*>self

    def _apic_base(self, uint64_t value):
        try:
            self.apic.base_written(value)
        except BaseException as e:
            self._fail(e)

    def attach_apic(self, apic):
        """Give the CPU its local APIC: apic.base_written(value) hears every write of
        IA32_APIC_BASE (the CPU keeps the MSR), and CPUID.01H:EDX reports the APIC
        while the MSR's global enable bit is set. None detaches it."""
        self.apic = apic
        self.s.apic_base_out = NULL
        if apic is not None:
            self.s.apic_base_out = _apic_base_out

    @property
    def apic_base(self):
        """IA32_APIC_BASE (MSR 1BH)."""
        return self.s.apic_base

    def _ferr(self, int level):
        if self.on_ferr is None:
            return
        try:
            self.on_ferr(level)
        except BaseException as e:
            self._fail(e)

    def _smm(self, int level):
        if self.on_smm is None:
            return
        try:
            self.on_smm(bool(level))
        except BaseException as e:
            self._fail(e)

    def _fail(self, e):
        if self.error is None:
            self.error = e
        self.request_stop()

    # -- control -------------------------------------------------------------------
    def reset(self):
        """Power-on / RESET state (Intel SDM vol. 3A, 9.1.1)."""
        cdef CPUState* s = self.s
        cdef int k
        memset(s.regs, 0, sizeof(s.regs))
        s.regs[EDX] = CPUID_SIGNATURE
        s.eip = 0xFFF0
        s.flags = 2
        s.lf_op = LF_NONE
        s.cr0 = 0x60000010
        s.cr2 = 0
        s.cr3 = 0
        s.cr4 = 0
        s.efer = 0
        memset(s.dr, 0, sizeof(s.dr))
        s.dr[6] = 0xFFFF0FF0U
        s.dr[7] = 0x400
        for k in range(8):
            set_seg_cache(s, k, 0, 0, 0xFFFF, AR_DATA_RW, 1)
        set_seg_cache(s, SEG_CS, 0xF000, 0xFFFF0000U, 0xFFFF, 0x9B, 1)
        set_seg_cache(s, SEG_LDTR, 0, 0, 0xFFFF, 0x82, 1)
        set_seg_cache(s, SEG_TR, 0, 0, 0xFFFF, 0x8B, 1)
        s.gdt_base = 0
        s.gdt_limit = 0xFFFF
        s.idt_base = 0
        s.idt_limit = 0xFFFF
        s.apic_base = 0xFEE00900U
        s.pat = 0x0007040600070406
        s.misc_enable = 1
        s.mtrr_def_type = 0
        memset(s.mtrr_fixed, 0, sizeof(s.mtrr_fixed))
        memset(s.mtrr_var, 0, sizeof(s.mtrr_var))
        s.sysenter_cs = s.sysenter_esp = s.sysenter_eip = 0
        s.tsc_offset = <uint64_t>0 - s.icount     # the TSC restarts from 0
        s.halted = 0
        s.nmi_blocked = 0
        s.tf_trap = 0
        s.inhibit_until = 0
        s.db_trap = 0
        s.db_hold_until = 0
        s.exc_depth = 0
        s.pending &= ~(<uint32_t>(PEND_NMI | PEND_RESET | PEND_SMI))
        s.smbase = SMBASE_DEFAULT
        if s.in_smm:
            s.in_smm = 0
            self._smm(0)
        s.cpl = 0
        s.paging = s.pae = s.nxe = 0
        s.ignne = 0
        fpu_reset(s)
        simd_reset(s)
        update_mode(s)
        update_breakpoints(s)
        tlb_flush(s, 0)
        icache_flush(s)

    def init(self):
        """The INIT signal (an INIT IPI): as RESET, except that the x87 FPU and SSE
        state, the MSRs (MTRRs, PAT, SYSENTER, EFER, APIC base, TSC) and CR0.CD/NW keep
        their values (SDM vol. 3A, 9.1 and table 9-1). TLBs and decoded code go."""
        cdef CPUState* s = self.s
        cdef CPUState* kept = <CPUState*>malloc(sizeof(CPUState))
        if kept == NULL:
            raise MemoryError()
        memcpy(kept, s, sizeof(CPUState))
        self.reset()
        memcpy(s.fpr, kept.fpr, sizeof(s.fpr))
        s.fcw, s.fsw, s.ftop, s.fempty = kept.fcw, kept.fsw, kept.ftop, kept.fempty
        s.fop, s.fcs, s.fip, s.fds, s.fdp = kept.fop, kept.fcs, kept.fip, kept.fds, kept.fdp
        memcpy(s.xmm, kept.xmm, sizeof(s.xmm))
        s.mxcsr = kept.mxcsr
        s.efer, s.apic_base, s.pat, s.misc_enable = (kept.efer, kept.apic_base, kept.pat,
                                                     kept.misc_enable)
        s.mtrr_def_type = kept.mtrr_def_type
        memcpy(s.mtrr_fixed, kept.mtrr_fixed, sizeof(s.mtrr_fixed))
        memcpy(s.mtrr_var, kept.mtrr_var, sizeof(s.mtrr_var))
        s.sysenter_cs, s.sysenter_esp = kept.sysenter_cs, kept.sysenter_esp
        s.sysenter_eip = kept.sysenter_eip
        s.tsc_offset = kept.tsc_offset
        s.smbase = kept.smbase             # INIT leaves SMBASE alone (SMBASE relocation)
        s.cr0 = (s.cr0 & ~(<uint32_t>(CR0_CD | CR0_NW))) | (kept.cr0 & (CR0_CD | CR0_NW))
        free(kept)
        fpu_ferr(s)
        update_mode(s)

    def run(self, uint64_t budget):
        """Execute up to budget instructions; returns the STOP_* reason."""
        cdef int r
        r = cpu_run(self.s, budget)
        err = self.error
        if err is None:
            err = self.mem.take_error()
        if err is not None:
            self.error = None
            raise err
        return r

    def request_stop(self):
        self.s.pending |= PEND_STOP
        kick(self.s)

    def clear_stop(self):
        self.s.pending &= ~(<uint32_t>PEND_STOP)

    def advance_tsc(self, uint64_t ticks):
        """Time passed without instructions (a HLT the clock skipped): the TSC counts
        it, so it keeps pace with the platform timers (a TSC that stood still while
        the PIT ran on would be seen as unstable by an OS's clock watchdog)."""
        self.s.tsc_offset += ticks

    def stall(self, uint64_t ticks):
        """Guest time passes inside the executing instruction (a slow bus cycle,
        emu.clock.Clock.stall): the TSC counts it, and the slice, whose end stands for
        a guest time, ends that many instructions sooner."""
        cdef CPUState* s = self.s
        s.tsc_offset += ticks
        s.slice_end = s.slice_end - ticks if s.slice_end > s.icount + ticks else s.icount
        kick(s)                         # the run loop takes the new end from service()

    def set_intr(self, bint level):
        self.s.intr = level
        if level:
            kick(self.s)

    def nmi(self):
        self.s.pending |= PEND_NMI
        kick(self.s)

    def smi(self):
        """The SMI# input: latched, and taken at the next instruction boundary
        outside SMM (in SMM it waits for RSM); it ends a HLT, which the handler's RSM
        returns to. on_smm(level) hears SMM entry (True) and exit (False), before
        the state save area is written and after it is read: the chipset decodes
        SMRAM by it."""
        self.s.pending |= PEND_SMI
        kick(self.s)

    @property
    def in_smm(self):
        return bool(self.s.in_smm)

    @property
    def smi_pending(self):
        return bool(self.s.pending & PEND_SMI)

    @property
    def smbase(self):
        """SMBASE: where the next SMI saves the state (SMBASE + FE00H) and enters
        (SMBASE + 8000H). 30000H after RESET; an SMI handler relocates it."""
        return self.s.smbase

    def set_a20(self, bint enabled):
        set_a20(self.s, enabled)

    @property
    def a20(self):
        return self.s.a20_mask == 0xFFFFFFFFU

    # -- state access (loaders, tests, debugger, register dumps) --------------------
    @property
    def icount(self):
        return cur_icount(self.s)       # exact during an MMIO or port callback too

    @property
    def halted(self):
        return bool(self.s.halted)

    @halted.setter
    def halted(self, bint v):
        """False resumes a CPU stopped by HLT at the current EIP (debugger, tests)."""
        self.s.halted = v

    @property
    def interrupts_enabled(self):
        return bool(self.s.flags & F_IF)

    @property
    def eip(self):
        return self.s.eip

    @eip.setter
    def eip(self, uint32_t v):
        self.s.eip = v & self.s.eip_mask

    @property
    def eflags(self):
        return get_eflags(self.s)

    @eflags.setter
    def eflags(self, uint32_t v):
        write_eflags(self.s, v, 0xFFFFFFFFU)

    @property
    def cpl(self):
        return self.s.cpl

    def get_reg(self, name):
        return self.s.regs[REG_NAMES.index(name)]

    def set_reg(self, name, uint32_t v):
        self.s.regs[REG_NAMES.index(name)] = v

    def get_seg(self, name):
        cdef Seg* d = &self.s.seg[SEG_NAMES.index(name)]
        return dict(sel=d.sel, base=d.base, limit=d.limit, ar=d.ar, valid=bool(d.valid))

    def set_seg(self, name, uint16_t sel, uint32_t base, uint32_t limit, uint32_t ar,
                bint valid=True):
        """Load a segment's descriptor cache directly (firmware loaders, tests)."""
        set_seg_cache(self.s, SEG_NAMES.index(name), sel, base, limit, ar, valid)

    def load_seg_real(self, name, uint16_t sel):
        load_seg_real(self.s, SEG_NAMES.index(name), sel)

    def get_cr(self, int n):
        return {0: self.s.cr0, 2: self.s.cr2, 3: self.s.cr3, 4: self.s.cr4}[n]

    def set_cr(self, int n, uint32_t v):
        if n == 0:
            self.s.cr0 = v
        elif n == 2:
            self.s.cr2 = v
        elif n == 3:
            self.s.cr3 = v
        elif n == 4:
            self.s.cr4 = v
        else:
            raise ValueError("no CR%d" % n)
        update_mode(self.s)
        update_breakpoints(self.s)
        tlb_flush(self.s, 0)

    def set_dtr(self, name, uint32_t base, uint32_t limit):
        if name == "gdtr":
            self.s.gdt_base, self.s.gdt_limit = base, limit
        elif name == "idtr":
            self.s.idt_base, self.s.idt_limit = base, limit
        else:
            raise ValueError(name)

    def get_dtr(self, name):
        if name == "gdtr":
            return self.s.gdt_base, self.s.gdt_limit
        if name == "idtr":
            return self.s.idt_base, self.s.idt_limit
        raise ValueError(name)

    def state(self):
        """All registers a register dump shows, as a dict."""
        cdef CPUState* s = self.s
        d = {n: s.regs[k] for k, n in enumerate(REG_NAMES)}
        d.update(eip=s.eip, eflags=get_eflags(s), cpl=s.cpl, cr0=s.cr0, cr2=s.cr2,
                 cr3=s.cr3, cr4=s.cr4, efer=s.efer, icount=s.icount,
                 gdtr=(s.gdt_base, s.gdt_limit), idtr=(s.idt_base, s.idt_limit))
        for k, n in enumerate(SEG_NAMES):
            d[n] = self.get_seg(n)
        return d

    def dump(self):
        """A multi-line register dump in the style of Bochs/QEMU."""
        st = self.state()
        r = st
        mode = ("v8086" if st["eflags"] & F_VM else "protected" if st["cr0"] & 1 else "real")
        lines = [
            "EAX=%08x EBX=%08x ECX=%08x EDX=%08x" % (r["eax"], r["ebx"], r["ecx"], r["edx"]),
            "ESI=%08x EDI=%08x EBP=%08x ESP=%08x" % (r["esi"], r["edi"], r["ebp"], r["esp"]),
            "EIP=%08x EFL=%08x [%s] CPL=%d %s mode" % (r["eip"], r["eflags"],
                                                      _flag_letters(r["eflags"]), r["cpl"], mode),
        ]
        for n in SEG_NAMES:
            g = st[n]
            lines.append("%-4s=%04x %08x %08x %04x" % (n.upper(), g["sel"], g["base"],
                                                       g["limit"], g["ar"]))
        lines.append("GDT=     %08x %08x" % st["gdtr"])
        lines.append("IDT=     %08x %08x" % st["idtr"])
        lines.append("CR0=%08x CR2=%08x CR3=%08x CR4=%08x EFER=%016x" % (
            r["cr0"], r["cr2"], r["cr3"], r["cr4"], r["efer"]))
        lines.append("instructions=%d" % r["icount"])
        return "\n".join(lines)

    def translate(self, uint32_t lin, int access, bint user):
        """Physical address of linear address lin for a read (access 0), write (1) or
        instruction fetch (2) at user (CPL 3) or supervisor privilege.

        Walks the page tables exactly as that access would: sets accessed/dirty bits,
        fills the TLB, applies A20M. Raises PageFault instead of #PF; CR2 is left as
        it was (the fault address is in the exception)."""
        cdef CPUState* s = self.s
        cdef uint64_t pa = 0
        cdef bint ok
        # a device or debugger callback may call this in the middle of cpu_run: keep
        # the run loop's jump target and fault record intact
        cdef jmp_buf saved_jb
        cdef uint32_t cr2 = s.cr2, exc_err = s.exc_err
        cdef int exc_vec = s.exc_vec
        cdef uint8_t exc_has_err = s.exc_has_err
        if not 0 <= access <= 2:
            raise ValueError("access must be 0 (read), 1 (write) or 2 (fetch)")
        memcpy(&saved_jb, &s.jb, sizeof(jmp_buf))
        ok = try_translate(s, lin, access, user, &pa)
        memcpy(&s.jb, &saved_jb, sizeof(jmp_buf))
        fault = (s.cr2, s.exc_err)
        s.cr2, s.exc_vec, s.exc_err, s.exc_has_err = cr2, exc_vec, exc_err, exc_has_err
        if not ok:
            raise PageFault(*fault)
        return pa

    # -- x87 ------------------------------------------------------------------------
    @property
    def ferr(self):
        """FERR# output: an unmasked x87 exception is pending with CR0.NE = 0. The
        platform routes it to IRQ13; on_ferr(level) is called when it changes."""
        return bool(self.s.ferr)

    @property
    def ignne(self):
        return bool(self.s.ignne)

    @ignne.setter
    def ignne(self, bint level):
        """IGNNE# input (a PC chipset asserts it when port F0h is written, until
        FERR# drops): waiting FP instructions then run despite a pending exception."""
        self.s.ignne = level

    def fpu_state(self):
        """The x87 state: physical registers as (significand, sign/exponent) pairs,
        control/status (with TOP)/full tag words, last instruction and operand."""
        cdef CPUState* s = self.s
        return dict(regs=[(s.fpr[k].sig, s.fpr[k].se) for k in range(8)],
                    fcw=s.fcw, fsw=fpu_sw(s), ftw=fpu_tag_word(s), top=s.ftop,
                    empty=s.fempty, fip=s.fip, fcs=s.fcs, fop=s.fop, fdp=s.fdp,
                    fds=s.fds)

    def simd_state(self):
        """The SSE state: XMM0-7 as 128-bit integers, and MXCSR."""
        cdef CPUState* s = self.s
        return dict(xmm=[int(s.xmm[k].q[0]) | (int(s.xmm[k].q[1]) << 64) for k in range(8)],
                    mxcsr=s.mxcsr)

    def read_virt(self, name, uint32_t off, int size):
        """Read size bytes at segment:offset through segmentation (base only) and
        paging, as a supervisor read (debuggers, register dumps); raises PageFault."""
        cdef uint32_t lin = self.s.seg[SEG_NAMES.index(name)].base + off
        cdef int k
        value = 0
        for k in range(size):
            value |= phys_read(self.s, self.translate(lin + k, 0, False), 1) << (8 * k)
        return value


def _flag_letters(uint32_t f):
    out = []
    for bit, ch in ((F_OF, "O"), (F_DF, "D"), (F_IF, "I"), (F_TF, "T"), (F_SF, "S"),
                    (F_ZF, "Z"), (F_AF, "A"), (F_PF, "P"), (F_CF, "C")):
        out.append(ch if f & bit else "-")
    return "".join(out)
