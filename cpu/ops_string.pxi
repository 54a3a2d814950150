# String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE
# (included by cpu/interp.pyx).
#
# The source is seg:(E)SI (segment override allowed, default DS), the destination is
# always ES:(E)DI; the address size picks SI/DI/CX or ESI/EDI/ECX (Insn.amask) and
# EFLAGS.DF the direction. Intel SDM vol. 2B "REP/REPE/REPZ/REPNE/REPNZ".
#
# A repeated instruction updates ECX/ESI/EDI after every iteration, so a fault leaves
# them pointing at the faulting element while the run loop rewinds EIP to the
# instruction. Every iteration counts as one executed instruction; when the run
# loop's instruction budget (stop_at) is used up before the count is, EIP is rewound
# too and the instruction resumes after interrupts and traps are serviced (the SDM
# allows an interrupt between iterations; a single-step trap follows each one).

from libc.string cimport memmove

cdef enum:
    STR_MOVS = 0
    STR_CMPS = 1
    STR_STOS = 2
    STR_LODS = 3
    STR_SCAS = 4
    STR_INS = 5
    STR_OUTS = 6


cdef inline void step_index(CPUState* s, int r, uint32_t delta, uint32_t am) noexcept nogil:
    """Advance SI/DI (am 0xFFFF, bits 16-31 kept) or ESI/EDI by delta."""
    s.regs[r] = (s.regs[r] & ~am) | ((s.regs[r] + delta) & am)


cdef void string_step(CPUState* s, int kind, int sg, int size, uint32_t am) noexcept nogil:
    """One iteration of a string instruction, without the count."""
    cdef uint32_t delta = <uint32_t>(-size) if s.flags & F_DF else <uint32_t>size
    cdef uint32_t v, lin, port = s.regs[EDX] & 0xFFFF
    if kind == STR_MOVS:
        v = vrd(s, sg, s.regs[ESI] & am, size)
        vwr(s, SEG_ES, s.regs[EDI] & am, v, size)
        step_index(s, ESI, delta, am)
        step_index(s, EDI, delta, am)
    elif kind == STR_STOS:
        vwr(s, SEG_ES, s.regs[EDI] & am, s.regs[EAX], size)
        step_index(s, EDI, delta, am)
    elif kind == STR_LODS:
        v = vrd(s, sg, s.regs[ESI] & am, size)
        set_reg(s, EAX, v, size)
        step_index(s, ESI, delta, am)
    elif kind == STR_CMPS:
        v = vrd(s, sg, s.regs[ESI] & am, size)
        alu(s, 7, v, vrd(s, SEG_ES, s.regs[EDI] & am, size), 8 * size)
        step_index(s, ESI, delta, am)
        step_index(s, EDI, delta, am)
    elif kind == STR_SCAS:
        alu(s, 7, get_reg(s, EAX, size), vrd(s, SEG_ES, s.regs[EDI] & am, size), 8 * size)
        step_index(s, EDI, delta, am)
    elif kind == STR_INS:
        # the destination is checked before the port is read (reads can have effects)
        check_io(s, port, size)
        lin = seg_check(s, SEG_ES, s.regs[EDI] & am, size, 1)
        probe_write(s, lin, size)
        wr(s, lin, port_read(s, port, size), size)
        step_index(s, EDI, delta, am)
    else:
        check_io(s, port, size)
        v = vrd(s, sg, s.regs[ESI] & am, size)
        port_write(s, port, v, size)
        step_index(s, ESI, delta, am)


cdef inline uint32_t fast_room(CPUState* s, int sg, uint32_t off, int size, uint32_t am,
                               bint write, uint8_t** host) noexcept nogil:
    """How many elements from sg:off on lie in one TLB-mapped page, inside the segment
    and below the address-size wrap; sets host to where the first one is. 0 when any
    access would need the slow path (faults, MMIO, code pages, alignment checks)."""
    cdef Seg* d = &s.seg[sg]
    cdef uint32_t top = d.hi if d.hi < am else am      # last valid offset
    cdef uint32_t lin = d.base + off
    cdef uint32_t n
    cdef TLBEntry* e = &s.tlb[(lin >> 12) & TLB_MASK]
    if not (d.wr_ok if write else d.rd_ok) or off < d.lo or off > top or top - off < <uint32_t>(size - 1):
        return 0
    if e.tag != (lin >> 12) or not (e.perm & (s.perm_w if write else s.perm_r)):
        return 0
    n = (top - off - (size - 1)) / size + 1
    if n > (0x1000 - (lin & 0xFFF)) / size:
        n = (0x1000 - (lin & 0xFFF)) / size
    host[0] = e.host + (lin & 0xFFF)
    return n


cdef uint32_t rep_fast(CPUState* s, int kind, int sg, int size, uint32_t am,
                       uint32_t budget) noexcept nogil:
    """Up to budget iterations of a forward REP MOVS/STOS done in bulk, as long as every
    element stays in one already-mapped page; returns how many (0: use string_step)."""
    cdef uint8_t* dst = NULL
    cdef uint8_t* src = NULL
    cdef uint32_t n = s.regs[ECX] & am, k, m, nbytes
    cdef uint32_t v = s.regs[EAX]
    if s.flags & F_DF:
        return 0
    if n > budget:
        n = budget
    m = fast_room(s, SEG_ES, s.regs[EDI] & am, size, am, 1, &dst)
    if m < n:
        n = m
    if kind == STR_MOVS:
        m = fast_room(s, sg, s.regs[ESI] & am, size, am, 0, &src)
        if m < n:
            n = m
        # a destination just above the source would re-copy copied data element by
        # element; only the part before the overlap is a plain memmove
        if n and dst > src and <uint64_t>(dst - src) < n * size:
            n = <uint32_t>(dst - src) / size
    if n == 0:
        return 0
    nbytes = n * size
    if kind == STR_MOVS:
        memmove(dst, src, nbytes)
        step_index(s, ESI, nbytes, am)
    elif size == 1:
        memset(dst, v & 0xFF, nbytes)
    else:
        for k in range(n):
            memcpy(dst + k * size, &v, size)
    step_index(s, EDI, nbytes, am)
    s.regs[ECX] = (s.regs[ECX] & ~am) | ((s.regs[ECX] - n) & am)
    return n


cdef inline uint32_t rep_budget(CPUState* s) noexcept nogil:
    """Iterations the run loop's budget still allows, the current one included."""
    if s.stop_at <= s.icount:
        return 1
    if s.stop_at - s.icount > 0xFFFFFFFFU:
        return 0xFFFFFFFFU
    return <uint32_t>(s.stop_at - s.icount)


cdef void string_op(CPUState* s, Insn* i, int kind, int size) noexcept nogil:
    cdef uint32_t am = i.amask, n
    cdef int sg = i.seg
    cdef uint8_t rep = i.rep
    if rep == REP_NONE:
        string_step(s, kind, sg, size, am)
        return
    if (s.regs[ECX] & am) == 0:
        return
    while True:
        n = 0
        if kind == STR_MOVS or kind == STR_STOS:
            n = rep_fast(s, kind, sg, size, am, rep_budget(s))
        if n == 0:
            string_step(s, kind, sg, size, am)
            s.regs[ECX] = (s.regs[ECX] & ~am) | ((s.regs[ECX] - 1) & am)
            n = 1
        s.icount += n - 1                  # the run loop counts the last iteration
        if (s.regs[ECX] & am) == 0:
            return
        if (kind == STR_CMPS or kind == STR_SCAS) and get_zf(s) != (rep == REP_E):
            return
        if s.icount + 1 >= s.stop_at:
            s.eip = s.prev_eip             # resume here after servicing events
            return
        s.icount += 1


cdef void op_movsb(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_MOVS, 1)


cdef void op_movsw(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_MOVS, i.osize)


cdef void op_cmpsb(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_CMPS, 1)


cdef void op_cmpsw(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_CMPS, i.osize)


cdef void op_stosb(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_STOS, 1)


cdef void op_stosw(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_STOS, i.osize)


cdef void op_lodsb(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_LODS, 1)


cdef void op_lodsw(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_LODS, i.osize)


cdef void op_scasb(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_SCAS, 1)


cdef void op_scasw(CPUState* s, Insn* i) noexcept nogil:
    string_op(s, i, STR_SCAS, i.osize)


cdef inline void string_io(CPUState* s, Insn* i, int kind, int size) noexcept nogil:
    """INS/OUTS: the intercept point sees the whole (REP) instruction once."""
    cdef uint32_t port = s.regs[EDX] & 0xFFFF
    check_io(s, port, size)
    if io_intercepted(s, port, size, kind == STR_INS, 1):
        return
    string_op(s, i, kind, size)


cdef void op_insb(CPUState* s, Insn* i) noexcept nogil:
    string_io(s, i, STR_INS, 1)


cdef void op_insw(CPUState* s, Insn* i) noexcept nogil:
    string_io(s, i, STR_INS, i.osize)


cdef void op_outsb(CPUState* s, Insn* i) noexcept nogil:
    string_io(s, i, STR_OUTS, 1)


cdef void op_outsw(CPUState* s, Insn* i) noexcept nogil:
    string_io(s, i, STR_OUTS, i.osize)
