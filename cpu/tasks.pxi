# Hardware task switching and the TSS I/O permission bitmap (included by
# cpu/interp.pyx). Intel SDM vol. 3A ch. 7 (task management), vol. 1 19.5.2 (I/O
# permission bit map, 17.2.4 and 17.3.1.5 (what a task switch does to the debug
# registers, the T bit).

ctypedef struct TSSImage:
    uint32_t cr3
    uint32_t eip
    uint32_t eflags
    uint32_t regs[8]
    uint32_t sel[6]           # ES CS SS DS FS GS (SEG_* order)
    uint32_t ldt
    uint32_t trap             # T: #DB once the task is entered (32-bit TSS only)


cdef void tss_from_gate(CPUState* s, uint32_t tsel, Desc* td, int vec,
                        uint32_t ext) noexcept nogil:
    """The TSS a task gate names: in the GDT, available, present."""
    cdef int t
    if (tsel & 4) or not fetch_desc(s, tsel, td):
        raise_exc(s, vec, sel_err(tsel) | ext, 1)
    t = desc_type(td)
    if desc_segment(td) or (t != DT_TSS16 and t != DT_TSS32):
        raise_exc(s, vec, sel_err(tsel) | ext, 1)
    if not desc_present(td):
        raise_exc(s, EXC_NP, sel_err(tsel) | ext, 1)


cdef void read_tss(CPUState* s, uint32_t base, bint big, TSSImage* t) noexcept nogil:
    """The new task's state; 32-bit TSS layout in SDM fig. 7-2, 16-bit in fig. 7-11."""
    cdef int k
    if big:
        t.cr3 = sys_rd(s, base + 0x1C, 4)
        t.eip = sys_rd(s, base + 0x20, 4)
        t.eflags = sys_rd(s, base + 0x24, 4)
        for k in range(8):
            t.regs[k] = sys_rd(s, base + 0x28 + 4 * k, 4)
        for k in range(6):
            t.sel[k] = sys_rd(s, base + 0x48 + 4 * k, 2)
        t.ldt = sys_rd(s, base + 0x60, 2)
        t.trap = sys_rd(s, base + TSS32_T, 2) & 1
    else:
        # no upper register halves, FS, GS or CR3 in a 16-bit TSS; like Bochs, the
        # upper halves become all ones and FS/GS null
        t.cr3 = s.cr3
        t.eip = sys_rd(s, base + 0x0E, 2)
        t.eflags = sys_rd(s, base + 0x10, 2)
        for k in range(8):
            t.regs[k] = 0xFFFF0000U | sys_rd(s, base + 0x12 + 2 * k, 2)
        for k in range(4):
            t.sel[k] = sys_rd(s, base + 0x22 + 2 * k, 2)
        t.sel[SEG_FS] = 0
        t.sel[SEG_GS] = 0
        t.ldt = sys_rd(s, base + 0x2A, 2)
        t.trap = 0


cdef void save_tss(CPUState* s, uint32_t base, bint big, uint32_t eflags) noexcept nogil:
    """Store the dynamic fields of the outgoing task (CR3 and LDTR are not saved)."""
    cdef int k
    if big:
        sys_wr(s, base + 0x20, s.eip, 4)
        sys_wr(s, base + 0x24, eflags, 4)
        for k in range(8):
            sys_wr(s, base + 0x28 + 4 * k, s.regs[k], 4)
        for k in range(6):
            sys_wr(s, base + 0x48 + 4 * k, s.seg[k].sel, 2)
    else:
        sys_wr(s, base + 0x0E, s.eip, 2)
        sys_wr(s, base + 0x10, eflags, 2)
        for k in range(8):
            sys_wr(s, base + 0x12 + 2 * k, s.regs[k], 2)
        for k in range(4):
            sys_wr(s, base + 0x22 + 2 * k, s.seg[k].sel, 2)


cdef inline void probe_sys_write(CPUState* s, uint32_t lin, uint32_t n) noexcept nogil:
    """#PF now if lin..lin+n-1 (n <= 4 KiB) is not writable at privilege 0."""
    translate(s, lin, 1, 0)
    translate(s, lin + n - 1, 1, 0)


cdef void set_tss_busy(CPUState* s, uint32_t addr, bint busy) noexcept nogil:
    """Set or clear the busy bit in the type of the TSS descriptor at addr."""
    cdef uint32_t b = sys_rd(s, addr + 5, 1)
    sys_wr(s, addr + 5, (b | DT_BUSY) if busy else (b & ~(<uint32_t>DT_BUSY)), 1)


cdef void task_switch(CPUState* s, uint32_t nsel, Desc* nd, int source,
                      uint32_t ext) noexcept nogil:
    """Switch to the task whose TSS descriptor (already checked for type, privilege
    and presence by the caller) is nd (SDM 7.3, steps 4-13)."""
    cdef Seg* tr = &s.seg[SEG_TR]
    cdef bint nbig = (desc_type(nd) & DT_32) != 0
    cdef bint obig = (tr.ar & DT_32) != 0
    cdef uint32_t nbase = desc_base(nd)
    cdef uint32_t eflags
    cdef TSSImage t
    if desc_limit(nd) < (0x67 if nbig else 0x2B):
        raise_exc(s, EXC_TS, sel_err(nsel) | ext, 1)
    if intercepted(s, ICPT_TASK_SWITCH, nsel):
        return
    # everything that can fault comes before the outgoing task's state is touched
    read_tss(s, nbase, nbig, &t)
    if obig:
        probe_sys_write(s, tr.base + 0x20, 0x40)
    else:
        probe_sys_write(s, tr.base + 0x0E, 0x1C)
    if source == TS_CALL:
        probe_sys_write(s, nbase, 2)
    eflags = get_eflags(s)
    if source != TS_CALL and not sel_null(tr.sel):
        set_tss_busy(s, s.gdt_base + (tr.sel & 0xFFF8), 0)   # JMP, IRET: old not busy
    if source == TS_IRET:
        eflags &= ~(<uint32_t>F_NT)
    save_tss(s, tr.base, obig, eflags)
    if source == TS_CALL:
        sys_wr(s, nbase, tr.sel, 2)        # back link; the new task is nested
        t.eflags |= F_NT
    if source != TS_IRET:
        set_tss_busy(s, nd.addr, 1)
    nd.hi |= DT_BUSY << 8
    load_desc(s, SEG_TR, nsel, nd)
    s.cr0 |= CR0_TS
    s.dr[7] &= ~(<uint32_t>DR7_L)          # local breakpoints belong to the old task
    update_breakpoints(s)
    load_task_state(s, &t, nbig, ext)
    if t.trap:
        s.db_trap |= DR6_BT                # a trap before the task's first instruction
        kick(s)


cdef void load_task_state(CPUState* s, TSSImage* t, bint big, uint32_t ext) noexcept nogil:
    """Registers of the new task; faults from here on are taken in its context."""
    cdef int k
    if big and (s.cr0 & CR0_PG):
        s.cr3 = t.cr3
        tlb_flush(s, 1)
    for k in range(8):
        s.regs[k] = t.regs[k]
    s.eip = t.eip
    write_eflags(s, t.eflags, 0xFFFFFFFFU)
    for k in range(6):
        load_null(s, k, t.sel[k])          # selectors first, descriptors checked below
    load_null(s, SEG_LDTR, t.ldt)
    s.cpl = 3 if (s.flags & F_VM) else t.sel[SEG_CS] & 3
    update_perms(s)
    s.prev_eip = s.eip
    s.prev_esp = s.regs[ESP]
    load_task_ldt(s, t.ldt, ext)
    if s.flags & F_VM:
        for k in range(6):
            load_seg_real(s, k, t.sel[k])
    else:
        load_task_segs(s, t, ext)
    update_mode(s)
    if s.eip > s.seg[SEG_CS].hi:
        gp(s, 0)


cdef void load_task_ldt(CPUState* s, uint32_t sel, uint32_t ext) noexcept nogil:
    cdef Desc d
    if sel_null(sel):
        return
    if (sel & 4) or not fetch_desc(s, sel, &d) or desc_segment(&d) or \
            desc_type(&d) != DT_LDT or not desc_present(&d):
        raise_exc(s, EXC_TS, sel_err(sel) | ext, 1)
    load_desc(s, SEG_LDTR, sel, &d)


cdef void load_task_segs(CPUState* s, TSSImage* t, uint32_t ext) noexcept nogil:
    """CS, SS, then the data segments of a protected-mode task: type and privilege
    errors are #TS, absent segments #NP (#SS for SS) (SDM 7.3, table 7-1)."""
    cdef Desc d
    cdef uint32_t cs = t.sel[SEG_CS]
    cdef int cpl = cs & 3, sg
    if sel_null(cs):
        raise_exc(s, EXC_TS, ext, 1)
    read_desc(s, cs, &d, EXC_TS, ext)
    if not desc_code(&d) or (desc_dpl(&d) > cpl if desc_conforming(&d)
                             else desc_dpl(&d) != cpl):
        raise_exc(s, EXC_TS, sel_err(cs) | ext, 1)
    if not desc_present(&d):
        raise_exc(s, EXC_NP, sel_err(cs) | ext, 1)
    set_accessed(s, &d)
    load_desc(s, SEG_CS, cs, &d)
    check_stack_desc(s, t.sel[SEG_SS], cpl, &d, EXC_TS, ext)
    set_accessed(s, &d)
    load_desc(s, SEG_SS, t.sel[SEG_SS], &d)
    for sg in range(SEG_GS + 1):
        if sg != SEG_CS and sg != SEG_SS and not sel_null(t.sel[sg]):
            check_data_desc(s, t.sel[sg], cpl, &d, EXC_TS, ext)
            set_accessed(s, &d)
            load_desc(s, sg, t.sel[sg], &d)


cdef bint io_bitmap_allows(CPUState* s, uint32_t port, int size) noexcept nogil:
    """May the ports port..port+size-1 be accessed despite CPL > IOPL (or in v8086
    mode)? Only a 32-bit TSS has a bitmap; every bit must be clear, and both bytes the
    processor reads must lie within the TSS limit (SDM vol. 1, 19.5.2)."""
    cdef Seg* tr = &s.seg[SEG_TR]
    cdef uint32_t byte, bits
    if not tr.valid or (tr.ar & (AR_S | AR_TYPE)) != DT_TSS32_BUSY or tr.limit < 0x67:
        return 0
    byte = sys_rd(s, tr.base + 0x66, 2) + (port >> 3)
    if byte + 1 > tr.limit:
        return 0
    bits = sys_rd(s, tr.base + byte, 2)
    return (bits & ((<uint32_t>((1 << size) - 1)) << (port & 7))) == 0
