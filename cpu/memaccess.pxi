# Memory access from the CPU's point of view (included by cpu/interp.pyx):
# exceptions, segment checks, the software TLB, physical access and the stack.
#
# Fast path: linear page -> TLB entry -> host pointer, one compare and one permission
# test. Everything else (page walk, MMIO, ROM, page-crossing, alignment checks, writes
# to pages holding decoded code) goes through the *_slow functions.

# ---------------------------------------------------------------------------------
# Exceptions: recorded, then longjmp back to the run loop (cpu_run), which restores
# EIP/ESP of the faulting instruction and delivers the exception.

cdef void raise_exc(CPUState* s, int vec, uint32_t err, bint has_err) noexcept nogil:
    s.exc_vec = vec
    s.exc_err = err
    s.exc_has_err = has_err
    longjmp(s.jb, 1)


cdef inline void gp(CPUState* s, uint32_t err) noexcept nogil:
    raise_exc(s, EXC_GP, err, 1)


cdef inline void ud(CPUState* s) noexcept nogil:
    raise_exc(s, EXC_UD, 0, 0)


cdef void seg_fault(CPUState* s, int sg) noexcept nogil:
    if sg == SEG_SS:
        raise_exc(s, EXC_SS, 0, 1)
    raise_exc(s, EXC_GP, 0, 1)


cdef inline uint32_t seg_check(CPUState* s, int sg, uint32_t off, int size,
                               bint write) noexcept nogil:
    """Linear address of sg:off after the limit and access-rights checks: the offsets
    lo..hi (expand-down aware), no wrap past 4 GiB, the right to read or write, in
    one compare (Seg.rspan)."""
    cdef Seg* d = &s.seg[sg]
    if (<int64_t>(<uint32_t>(off - d.lo)) + (size - 1) >
            (d.wspan if write else d.rspan)):
        seg_fault(s, sg)
    return d.base + off


# ---------------------------------------------------------------------------------
# Physical access

cdef uint32_t phys_read(CPUState* s, uint64_t pa, int size) noexcept nogil:
    """size 1-4. Devices only see 1, 2 or 4 byte accesses: the 3-byte pieces of a
    page-crossing access are split into bytes."""
    cdef PhysMem* m = s.mem
    cdef uint8_t* h
    cdef uint32_t v = 0
    cdef int k
    if pa >> 32:
        return size_mask(8 * size)
    if ((pa & 0xFFF) + size) <= 0x1000:
        h = m.page_host[pa >> 12]
        if h:
            memcpy(&v, h + (pa & 0xFFF), size)
            return v
        if size != 3:
            x87_release(s)                # a call into Python (cpu/x87_host.pxi)
            return m.mmio_read(m.mmio_ctx, <uint32_t>pa, size)
    for k in range(size):
        v |= phys_read(s, pa + k, 1) << (8 * k)
    return v


cdef void phys_write(CPUState* s, uint64_t pa, uint32_t v, int size) noexcept nogil:
    cdef PhysMem* m = s.mem
    cdef uint32_t page = <uint32_t>(pa >> 12)
    cdef uint8_t f
    cdef int k
    if pa >> 32:
        return
    if ((pa & 0xFFF) + size) > 0x1000 or (size == 3 and (m.page_flags[page] & PG_MMIO)):
        for k in range(size):
            phys_write(s, pa + k, (v >> (8 * k)) & 0xFF, 1)
        return
    f = m.page_flags[page]
    if f & PG_CODE:
        code_written(s, <uint32_t>pa, size)
    if f & PG_ROM:
        return
    if f & PG_MMIO:
        x87_release(s)
        m.mmio_write(m.mmio_ctx, <uint32_t>pa, v, size)
        return
    memcpy(m.page_host[page] + (pa & 0xFFF), &v, size)


# ---------------------------------------------------------------------------------
# TLB

cdef inline uint32_t tlbf_denied(int k) noexcept nogil:
    """A base no linear address with TLB index k is within a page of (TLBFast)."""
    return <uint32_t>((k + 1) & TLB_MASK) << 12


cdef inline void tlbf_drop(CPUState* s, int k) noexcept nogil:
    cdef uint32_t no = tlbf_denied(k)
    s.tlbf[0][k].rbase = no
    s.tlbf[0][k].wbase = no
    s.tlbf[1][k].rbase = no
    s.tlbf[1][k].wbase = no


cdef void tlbf_fill(CPUState* s, int k) noexcept nogil:
    """Derive the fast views of entry k from its tag and permissions."""
    cdef TLBEntry* e = &s.tlb[k]
    cdef uint32_t base = e.tag << 12, no = tlbf_denied(k)
    s.tlbf[0][k].rbase = base if e.perm & P_SR else no
    s.tlbf[0][k].wbase = base if e.perm & P_SW else no
    s.tlbf[0][k].host = e.host
    s.tlbf[1][k].rbase = base if e.perm & P_UR else no
    s.tlbf[1][k].wbase = base if e.perm & P_UW else no
    s.tlbf[1][k].host = e.host


cdef void tlb_init(CPUState* s) noexcept nogil:
    cdef int k
    for k in range(TLB_SIZE):
        s.tlb[k].tag = TLB_INVALID
        s.tlb[k].glob = 0
        tlbf_drop(s, k)
        s.tlbf[2][k].rbase = tlbf_denied(k)
        s.tlbf[2][k].wbase = tlbf_denied(k)
    s.tlb_large = 0


cdef void tlb_flush(CPUState* s, bint keep_global) noexcept nogil:
    cdef int k
    s.chain_epoch += 1
    for k in range(TLB_SIZE):
        if not (keep_global and s.tlb[k].glob):
            s.tlb[k].tag = TLB_INVALID
            tlbf_drop(s, k)
    if not keep_global:
        s.tlb_large = 0


cdef void tlb_flush_page(CPUState* s, uint32_t lin) noexcept nogil:
    """INVLPG: drop the translation of lin's page, global or not.

    A large page is cached as 4 KiB pieces, and INVLPG must drop all of it (SDM
    4.10.4.1). When any piece of a large page may be cached, every entry of the
    aligned 4 MiB region goes, which covers a 2 MiB page as well (invalidating more
    than needed is allowed)."""
    cdef uint32_t page = lin >> 12
    cdef TLBEntry* e = &s.tlb[page & TLB_MASK]
    cdef int k
    s.chain_epoch += 1
    if e.tag == page:
        e.tag = TLB_INVALID
        tlbf_drop(s, page & TLB_MASK)
    if s.tlb_large:
        for k in range(TLB_SIZE):
            if (s.tlb[k].tag >> 10) == (page >> 10):
                s.tlb[k].tag = TLB_INVALID
                tlbf_drop(s, k)


cdef void update_perms(CPUState* s) noexcept nogil:
    """Which TLB permission bits the fast path may use at the current CPL.

    With alignment checking active (CR0.AM, EFLAGS.AC, CPL 3) or data breakpoints
    enabled (cpu/debug.pxi) data accesses take the slow path, which checks them;
    fetches stay fast."""
    s.chain_epoch += 1                    # the CPL may have changed
    if s.cpl == 3:
        s.perm_r = P_UR
        s.perm_w = P_UW
        s.perm_x = P_UX
        s.tlbc = &s.tlbf[1][0]
        if (s.cr0 & CR0_AM) and (s.flags & F_AC):
            s.perm_r = 0
            s.perm_w = 0
    else:
        s.perm_r = P_SR
        s.perm_w = P_SW
        s.perm_x = P_SX
        s.tlbc = &s.tlbf[0][0]
    if s.bp_write:
        s.perm_r = 0
        s.perm_w = 0
    if s.perm_r == 0:
        s.tlbc = &s.tlbf[2][0]


cdef uint64_t translate(CPUState* s, uint32_t lin, int acc, bint user) noexcept nogil:
    """Physical address of lin for a read (acc 0), write (1) or fetch (2).

    Raises #PF; fills the TLB entry when the page has host memory. A20M masks
    physical address bit 20 only (PAE addresses above 4 GiB keep their high bits)."""
    cdef uint8_t perm = P_ALL
    cdef uint8_t walk = 0
    cdef uint64_t pa
    cdef uint32_t page
    cdef TLBEntry* e
    cdef uint8_t f
    if s.paging:
        pa = page_walk(s, lin, acc, user, &perm, &walk)
    else:
        pa = lin & 0xFFFFF000U
    pa &= 0xFFFFFFFF00000000ULL | s.a20_mask
    pa |= lin & 0xFFF
    if pa >> 32:
        return pa
    page = <uint32_t>(pa >> 12)
    if s.mem.page_host[page] == NULL:
        return pa
    f = s.mem.page_flags[page]
    if f & (PG_ROM | PG_CODE):
        perm &= ~(P_SW | P_UW)
    e = &s.tlb[(lin >> 12) & TLB_MASK]
    e.tag = lin >> 12
    e.ppage = page
    e.host = s.mem.page_host[page]
    e.perm = perm
    e.glob = (walk & WALK_GLOBAL) != 0
    tlbf_fill(s, (lin >> 12) & TLB_MASK)
    if walk & WALK_LARGE:
        s.tlb_large = 1
    return pa


cdef void check_align(CPUState* s, uint32_t lin, int size) noexcept nogil:
    if (s.cpl == 3 and (lin & (size - 1)) and (s.cr0 & CR0_AM) and (s.flags & F_AC)):
        raise_exc(s, EXC_AC, 0, 1)


cdef uint32_t rd_slow(CPUState* s, uint32_t lin, int size) noexcept nogil:
    cdef uint64_t pa1, pa2
    cdef uint32_t n1, lo, hi
    cdef bint user = s.cpl == 3
    check_align(s, lin, size)
    watch(s, lin, size, 0)
    if (lin & 0xFFF) + size <= 0x1000:
        return phys_read(s, translate(s, lin, 0, user), size)
    n1 = 0x1000 - (lin & 0xFFF)
    pa1 = translate(s, lin, 0, user)
    pa2 = translate(s, lin + n1, 0, user)
    lo = phys_read(s, pa1, n1)
    hi = phys_read(s, pa2, size - n1)
    return lo | (hi << (8 * n1))


cdef void wr_slow(CPUState* s, uint32_t lin, uint32_t v, int size) noexcept nogil:
    cdef uint64_t pa1, pa2
    cdef uint32_t n1
    cdef bint user = s.cpl == 3
    check_align(s, lin, size)
    watch(s, lin, size, 1)
    if (lin & 0xFFF) + size <= 0x1000:
        phys_write(s, translate(s, lin, 1, user), v, size)
        return
    n1 = 0x1000 - (lin & 0xFFF)
    pa1 = translate(s, lin, 1, user)
    pa2 = translate(s, lin + n1, 1, user)
    phys_write(s, pa1, v & size_mask(8 * n1), n1)
    phys_write(s, pa2, v >> (8 * n1), size - n1)


cdef inline uint32_t rd8(CPUState* s, uint32_t lin) noexcept nogil:
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.rbase
    if x < 0x1000:
        return e.host[x]
    return rd_slow(s, lin, 1)


cdef inline uint32_t rd16(CPUState* s, uint32_t lin) noexcept nogil:
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.rbase
    cdef uint16_t v
    if x < 0xFFF:
        memcpy(&v, e.host + x, 2)
        return v
    return rd_slow(s, lin, 2)


cdef inline uint32_t rd32(CPUState* s, uint32_t lin) noexcept nogil:
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.rbase
    cdef uint32_t v
    if x < 0xFFD:
        memcpy(&v, e.host + x, 4)
        return v
    return rd_slow(s, lin, 4)


cdef inline void wr8(CPUState* s, uint32_t lin, uint32_t v) noexcept nogil:
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.wbase
    if x < 0x1000:
        e.host[x] = <uint8_t>v
        return
    wr_slow(s, lin, v, 1)


cdef inline void wr16(CPUState* s, uint32_t lin, uint32_t v) noexcept nogil:
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.wbase
    cdef uint16_t w = <uint16_t>v
    if x < 0xFFF:
        memcpy(e.host + x, &w, 2)
        return
    wr_slow(s, lin, v, 2)


cdef inline void wr32(CPUState* s, uint32_t lin, uint32_t v) noexcept nogil:
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.wbase
    if x < 0xFFD:
        memcpy(e.host + x, &v, 4)
        return
    wr_slow(s, lin, v, 4)


cdef inline uint32_t rd(CPUState* s, uint32_t lin, int size) noexcept nogil:
    if size == 4:
        return rd32(s, lin)
    if size == 2:
        return rd16(s, lin)
    return rd8(s, lin)


cdef inline void wr(CPUState* s, uint32_t lin, uint32_t v, int size) noexcept nogil:
    if size == 4:
        wr32(s, lin, v)
    elif size == 2:
        wr16(s, lin, v)
    else:
        wr8(s, lin, v)


cdef inline void probe_write(CPUState* s, uint32_t lin, int size) noexcept nogil:
    """Fault now if a later write of size bytes at lin would fault (no side effects)."""
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef bint user = s.cpl == 3
    if lin - e.wbase <= <uint32_t>(0x1000 - size):
        return
    check_align(s, lin, size)
    translate(s, lin, 1, user)
    if (lin & 0xFFF) + size > 0x1000:
        translate(s, (lin | 0xFFF) + 1, 1, user)


# Supervisor ("implicit") accesses: descriptor tables, TSS, IDT — always at privilege 0.
cdef uint32_t sys_rd(CPUState* s, uint32_t lin, int size) noexcept nogil:
    cdef uint32_t v = 0
    cdef int k
    watch(s, lin, size, 0)
    if (lin & 0xFFF) + size <= 0x1000:
        return phys_read(s, translate(s, lin, 0, 0), size)
    for k in range(size):
        v |= phys_read(s, translate(s, lin + k, 0, 0), 1) << (8 * k)
    return v


cdef void sys_wr(CPUState* s, uint32_t lin, uint32_t v, int size) noexcept nogil:
    cdef int k
    watch(s, lin, size, 1)
    if (lin & 0xFFF) + size <= 0x1000:
        phys_write(s, translate(s, lin, 1, 0), v, size)
        return
    for k in range(size):
        translate(s, lin + k, 1, 0)
    for k in range(size):
        phys_write(s, translate(s, lin + k, 1, 0), (v >> (8 * k)) & 0xFF, 1)


# ---------------------------------------------------------------------------------
# Segment:offset access

cdef inline uint32_t host_load(uint8_t* p, int size) noexcept nogil:
    """size (1, 2 or 4; a constant where inlined, or not) bytes at p, with no call to
    memcpy for a run-time size."""
    cdef uint32_t v
    cdef uint16_t w
    if size == 4:
        memcpy(&v, p, 4)
        return v
    if size == 2:
        memcpy(&w, p, 2)
        return w
    return p[0]


cdef inline void host_store(uint8_t* p, uint32_t v, int size) noexcept nogil:
    cdef uint16_t w = <uint16_t>v
    if size == 4:
        memcpy(p, &v, 4)
    elif size == 2:
        memcpy(p, &w, 2)
    else:
        p[0] = <uint8_t>v


cdef inline uint8_t* host_rd(CPUState* s, int sg, uint32_t off, int size) noexcept nogil:
    """Where the size bytes at sg:off are in host memory when the fast path may read
    them there (segment checks done: a violation raises), else NULL. For handlers that
    end in a tail call: on NULL they run their generic form, which redoes the access
    through the slow path, so the fast path needs no saved registers."""
    cdef uint32_t lin = off if (s.flat_r >> sg) & 1 else seg_check(s, sg, off, size, 0)
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.rbase
    if x <= <uint32_t>(0x1000 - size):
        return e.host + x
    return NULL


cdef inline uint8_t* host_wr(CPUState* s, int sg, uint32_t off, int size) noexcept nogil:
    """host_rd for a write."""
    cdef uint32_t lin = off if (s.flat_w >> sg) & 1 else seg_check(s, sg, off, size, 1)
    cdef TLBFast* e = &s.tlbc[(lin >> 12) & TLB_MASK]
    cdef uint32_t x = lin - e.wbase
    if x <= <uint32_t>(0x1000 - size):
        return e.host + x
    return NULL


cdef inline uint32_t vrd(CPUState* s, int sg, uint32_t off, int size) noexcept nogil:
    """Read size bytes at sg:off: host_rd's fast path, else the checks and rd()."""
    cdef uint8_t* h = host_rd(s, sg, off, size)
    if h != NULL:
        return host_load(h, size)
    return rd(s, seg_check(s, sg, off, size, 0), size)


cdef inline void vwr(CPUState* s, int sg, uint32_t off, uint32_t v, int size) noexcept nogil:
    cdef uint8_t* h = host_wr(s, sg, off, size)
    if h != NULL:
        host_store(h, v, size)
        return
    wr(s, seg_check(s, sg, off, size, 1), v, size)


# ---------------------------------------------------------------------------------
# Registers and operands

cdef inline uint32_t get_reg(CPUState* s, int r, int size) noexcept nogil:
    if size == 4:
        return s.regs[r]
    if size == 2:
        return s.regs[r] & 0xFFFF
    if r < 4:
        return s.regs[r] & 0xFF
    return (s.regs[r - 4] >> 8) & 0xFF


cdef inline void set_reg(CPUState* s, int r, uint32_t v, int size) noexcept nogil:
    if size == 4:
        s.regs[r] = v
    elif size == 2:
        s.regs[r] = (s.regs[r] & 0xFFFF0000U) | (v & 0xFFFF)
    elif r < 4:
        s.regs[r] = (s.regs[r] & 0xFFFFFF00U) | (v & 0xFF)
    else:
        s.regs[r - 4] = (s.regs[r - 4] & 0xFFFF00FFU) | ((v & 0xFF) << 8)


cdef inline uint32_t ea(CPUState* s, Insn* i) noexcept nogil:
    """Effective address (offset) of the memory operand."""
    return (s.regs[i.base] + (s.regs[i.index] << i.scale) + i.disp) & i.amask


cdef inline uint32_t rm_read(CPUState* s, Insn* i, int size) noexcept nogil:
    if i.mod == 3:
        return get_reg(s, i.rm, size)
    return vrd(s, i.seg, ea(s, i), size)


cdef inline void rm_write(CPUState* s, Insn* i, uint32_t v, int size) noexcept nogil:
    if i.mod == 3:
        set_reg(s, i.rm, v, size)
    else:
        vwr(s, i.seg, ea(s, i), v, size)


# ---------------------------------------------------------------------------------
# Stack

cdef inline uint32_t sp_mask(CPUState* s) noexcept nogil:
    return 0xFFFFFFFFU if s.stack32 else 0xFFFF


cdef inline void set_sp(CPUState* s, uint32_t v) noexcept nogil:
    if s.stack32:
        s.regs[ESP] = v
    else:
        s.regs[ESP] = (s.regs[ESP] & 0xFFFF0000U) | (v & 0xFFFF)


cdef inline void push(CPUState* s, uint32_t v, int size) noexcept nogil:
    cdef uint32_t nsp = (s.regs[ESP] - size) & sp_mask(s)
    vwr(s, SEG_SS, nsp, v, size)
    set_sp(s, nsp)


cdef inline uint32_t pop(CPUState* s, int size) noexcept nogil:
    cdef uint32_t sp = s.regs[ESP] & sp_mask(s)
    cdef uint32_t v = vrd(s, SEG_SS, sp, size)
    set_sp(s, sp + size)
    return v


cdef inline uint32_t stack_read(CPUState* s, uint32_t depth, int size) noexcept nogil:
    """Read the stack `depth` bytes above the top without popping."""
    return vrd(s, SEG_SS, (s.regs[ESP] + depth) & sp_mask(s), size)
