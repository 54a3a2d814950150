# Protected-mode control transfers (included by cpu/interp.pyx): far JMP/CALL to code
# segments and through call gates, far RET and IRET (same and outer privilege, return
# to virtual-8086 mode), and interrupt/exception delivery through the IDT.
# Descriptors and their checks are in cpu/descriptors.pxi, task switches and the I/O
# permission bitmap in cpu/tasks.pxi.
#
# Every check, stack read and page fault that can happen comes before the first
# register changes: faults longjmp and the run loop only rolls back EIP and ESP.
# Frames for a new stack are checked for room first, then written at the privilege of
# the new stack, then the registers are committed.

cdef enum:
    # system descriptor types (S = 0), SDM vol. 3A table 3-2
    DT_TSS16 = 1
    DT_LDT = 2
    DT_TSS16_BUSY = 3
    DT_CALL16 = 4
    DT_TASK_GATE = 5
    DT_INT16 = 6
    DT_TRAP16 = 7
    DT_TSS32 = 9
    DT_TSS32_BUSY = 0xB
    DT_CALL32 = 0xC
    DT_INT32 = 0xE
    DT_TRAP32 = 0xF
    DT_BUSY = 2               # busy bit of a TSS type, and 32-bit bit (8) of TSS/gates
    DT_32 = 8
    # code/data type bits (S = 1)
    T_ACCESSED = 1
    T_RW = 2                  # data: writable; code: readable
    T_EC = 4                  # data: expand-down; code: conforming
    T_CODE = 8
    # what started a task switch (SDM 7.3, table 7-2)
    TS_JMP = 0
    TS_CALL = 1               # CALL, or an interrupt/exception through a task gate
    TS_IRET = 2
    MAX_FRAME = 40            # call gate: SS ESP, 31 parameters, CS EIP


ctypedef struct Desc:
    uint32_t lo               # low dword of the descriptor
    uint32_t hi               # high dword
    uint32_t addr             # linear address it was read from


ctypedef struct Frame:
    uint32_t v[MAX_FRAME]     # values in push order
    int n
    int size                  # 2 or 4 bytes per slot


cdef inline void frame_add(Frame* f, uint32_t v) noexcept nogil:
    f.v[f.n] = v
    f.n += 1


cdef inline bint stack_fits(uint32_t ar, uint32_t limit, uint32_t off, int size) noexcept nogil:
    """Is off..off+size-1 inside a stack (data) segment, expand-down aware?"""
    cdef uint32_t end = off + <uint32_t>(size - 1)
    if end < off:
        return 0
    if ar & T_EC:
        return off > limit and end <= (0xFFFFFFFFU if ar & AR_DB else 0xFFFF)
    return end <= limit


cdef uint32_t frame_place(CPUState* s, Frame* f, uint32_t ar, uint32_t limit, uint32_t esp,
                          uint32_t err) noexcept nogil:
    """#SS(err) unless every slot of the frame fits below esp; returns the new ESP
    (only SP changes on a 16-bit stack)."""
    cdef uint32_t mask = 0xFFFFFFFFU if ar & AR_DB else 0xFFFF
    cdef int k
    for k in range(f.n):
        if not stack_fits(ar, limit, (esp - <uint32_t>((k + 1) * f.size)) & mask, f.size):
            raise_exc(s, EXC_SS, err, 1)
    return (esp & ~mask) | ((esp - <uint32_t>(f.n * f.size)) & mask)


cdef void priv_wr(CPUState* s, uint32_t lin, uint32_t v, int size, bint user) noexcept nogil:
    """Write with an explicit privilege: a new stack is written at its own level."""
    cdef int k
    watch(s, lin, size, 1)
    if (lin & 0xFFF) + size <= 0x1000:
        phys_write(s, translate(s, lin, 1, user), v, size)
        return
    for k in range(size):
        translate(s, lin + k, 1, user)     # both pages first: no half-done write
    for k in range(size):
        phys_write(s, translate(s, lin + k, 1, user), (v >> (8 * k)) & 0xFF, 1)


cdef void frame_write(CPUState* s, Frame* f, uint32_t base, uint32_t ar, uint32_t esp,
                      bint user) noexcept nogil:
    cdef uint32_t mask = 0xFFFFFFFFU if ar & AR_DB else 0xFFFF
    cdef int k
    for k in range(f.n):
        priv_wr(s, base + ((esp - <uint32_t>((k + 1) * f.size)) & mask), f.v[k], f.size, user)


cdef void push_frame_here(CPUState* s, Frame* f, uint32_t err) noexcept nogil:
    """Check the frame against the current stack; written later by commit_frame_here."""
    frame_place(s, f, s.seg[SEG_SS].ar, s.seg[SEG_SS].limit, s.regs[ESP], err)


cdef void commit_frame_here(CPUState* s, Frame* f) noexcept nogil:
    cdef Seg* ss = &s.seg[SEG_SS]
    cdef uint32_t nesp = frame_place(s, f, ss.ar, ss.limit, s.regs[ESP], 0)
    frame_write(s, f, ss.base, ss.ar, s.regs[ESP], s.cpl == 3)
    s.regs[ESP] = nesp


cdef void tss_stack(CPUState* s, int level, uint32_t* ss, uint32_t* esp,
                    uint32_t ext) noexcept nogil:
    """SS:ESP for privilege level `level` from the current TSS (SDM 7.2.1, 7.2.2)."""
    cdef Seg* tr = &s.seg[SEG_TR]
    cdef uint32_t pos
    if tr.ar & DT_32:
        pos = 4 + 8 * level
        if pos + 5 > tr.limit:
            raise_exc(s, EXC_TS, sel_err(tr.sel) | ext, 1)
        esp[0] = sys_rd(s, tr.base + pos, 4)
        ss[0] = sys_rd(s, tr.base + pos + 4, 2)
    else:
        pos = 2 + 4 * level
        if pos + 3 > tr.limit:
            raise_exc(s, EXC_TS, sel_err(tr.sel) | ext, 1)
        esp[0] = sys_rd(s, tr.base + pos, 2)
        ss[0] = sys_rd(s, tr.base + pos + 2, 2)


cdef void commit_cs(CPUState* s, uint32_t sel, Desc* d, int cpl, uint32_t eip) noexcept nogil:
    """Load CS (RPL = the new CPL) and EIP; the descriptor has passed every check.
    Setting the A bit may fault (#PF), so when other registers change first, their
    callers set it beforehand."""
    set_accessed(s, d)
    load_desc(s, SEG_CS, (sel & 0xFFFC) | cpl, d)
    s.cpl = cpl
    update_perms(s)
    s.eip = eip


cdef void commit_ss(CPUState* s, uint32_t sel, Desc* d, uint32_t esp) noexcept nogil:
    set_accessed(s, d)
    load_desc(s, SEG_SS, sel, d)
    s.regs[ESP] = esp


cdef void null_outer_data_segs(CPUState* s) noexcept nogil:
    """After a return to an outer level, data segment registers the new CPL may not use
    become null (SDM: RET, IRET; 5.8.6)."""
    cdef int sg
    cdef Seg* d
    for sg in range(SEG_GS + 1):
        d = &s.seg[sg]
        if sg == SEG_CS or sg == SEG_SS or not d.valid:
            continue
        if (d.ar & (AR_S | T_CODE | T_EC)) == (AR_S | T_CODE | T_EC):
            continue                       # conforming code stays usable
        if ((d.ar >> 5) & 3) < s.cpl:
            load_null(s, sg, 0)


# ---- far JMP / CALL -----------------------------------------------------------------
cdef void check_direct_cs(CPUState* s, uint32_t sel, Desc* d) noexcept nogil:
    """JMP/CALL straight to a code segment: conforming DPL <= CPL, else DPL = CPL and
    RPL <= CPL; the CPL never changes (SDM 5.8.2)."""
    if not desc_code(d):
        gp(s, sel_err(sel))
    if desc_conforming(d):
        if desc_dpl(d) > s.cpl:
            gp(s, sel_err(sel))
    elif <int>(sel & 3) > s.cpl or desc_dpl(d) != s.cpl:
        gp(s, sel_err(sel))
    if not desc_present(d):
        raise_exc(s, EXC_NP, sel_err(sel), 1)


cdef void check_gate_access(CPUState* s, uint32_t sel, Desc* g) noexcept nogil:
    """A gate or TSS named by JMP/CALL: DPL >= CPL and >= RPL, present."""
    if desc_dpl(g) < s.cpl or desc_dpl(g) < <int>(sel & 3):
        gp(s, sel_err(sel))
    if not desc_present(g):
        raise_exc(s, EXC_NP, sel_err(sel), 1)


cdef void gate_target(CPUState* s, Desc* g, Desc* cd) noexcept nogil:
    """Read the code segment a call gate points to: code, DPL <= CPL, present."""
    cdef uint32_t css = gate_selector(g)
    if sel_null(css):
        gp(s, 0)
    read_desc(s, css, cd, EXC_GP, 0)
    if not desc_code(cd) or desc_dpl(cd) > s.cpl:
        gp(s, sel_err(css))
    if not desc_present(cd):
        raise_exc(s, EXC_NP, sel_err(css), 1)


cdef void task_via_selector(CPUState* s, uint32_t sel, Desc* d, int source) noexcept nogil:
    """JMP/CALL naming a TSS descriptor or a task gate (SDM 7.3, JMP and CALL)."""
    cdef uint32_t tsel = sel
    cdef Desc td
    if desc_dpl(d) < s.cpl or desc_dpl(d) < <int>(sel & 3):
        gp(s, sel_err(sel))
    # TSS descriptors live only in the GDT (SDM 7.2.2); a named TSS must be available
    if desc_type(d) != DT_TASK_GATE and ((sel & 4) or (desc_type(d) & DT_BUSY)):
        gp(s, sel_err(sel))
    if not desc_present(d):
        raise_exc(s, EXC_NP, sel_err(sel), 1)
    if desc_type(d) == DT_TASK_GATE:
        tsel = gate_selector(d)
        tss_from_gate(s, tsel, &td, EXC_GP, 0)
    else:
        td = d[0]
    task_switch(s, tsel, &td, source, 0)


cdef void far_jump_prot(CPUState* s, uint16_t sel, uint32_t off, int osize) noexcept nogil:
    """JMP ptr16:16/32 and JMP m16:16/32 in protected mode (SDM: JMP)."""
    cdef Desc d, cd
    cdef int t
    if sel_null(sel):
        gp(s, 0)
    read_desc(s, sel, &d, EXC_GP, 0)
    if desc_segment(&d):
        check_direct_cs(s, sel, &d)
        if osize == 2:
            off &= 0xFFFF
        if off > desc_limit(&d):
            gp(s, 0)
        commit_cs(s, sel, &d, s.cpl, off)
        return
    t = desc_type(&d)
    if t == DT_CALL16 or t == DT_CALL32:
        check_gate_access(s, sel, &d)
        gate_target(s, &d, &cd)
        # a JMP never changes privilege: non-conforming targets need DPL = CPL
        if not desc_conforming(&cd) and desc_dpl(&cd) != s.cpl:
            gp(s, sel_err(gate_selector(&d)))
        off = gate_offset(&d)
        if off > desc_limit(&cd):
            gp(s, 0)
        commit_cs(s, gate_selector(&d), &cd, s.cpl, off)
    elif t == DT_TASK_GATE or t == DT_TSS16 or t == DT_TSS32 or t == DT_TSS16_BUSY or \
            t == DT_TSS32_BUSY:
        task_via_selector(s, sel, &d, TS_JMP)
    else:
        gp(s, sel_err(sel))


cdef void far_call_prot(CPUState* s, uint16_t sel, uint32_t off, int osize) noexcept nogil:
    """CALL ptr16:16/32 and CALL m16:16/32 in protected mode (SDM: CALL)."""
    cdef Desc d
    cdef Frame f
    cdef int t
    if sel_null(sel):
        gp(s, 0)
    read_desc(s, sel, &d, EXC_GP, 0)
    if desc_segment(&d):
        check_direct_cs(s, sel, &d)
        if osize == 2:
            off &= 0xFFFF
        f.n = 0
        f.size = osize
        frame_add(&f, s.seg[SEG_CS].sel)
        frame_add(&f, s.eip)
        push_frame_here(s, &f, 0)
        if off > desc_limit(&d):
            gp(s, 0)
        commit_frame_here(s, &f)
        commit_cs(s, sel, &d, s.cpl, off)
        return
    t = desc_type(&d)
    if t == DT_CALL16 or t == DT_CALL32:
        check_gate_access(s, sel, &d)
        call_gate(s, &d)
    elif t == DT_TASK_GATE or t == DT_TSS16 or t == DT_TSS32 or t == DT_TSS16_BUSY or \
            t == DT_TSS32_BUSY:
        task_via_selector(s, sel, &d, TS_CALL)
    else:
        gp(s, sel_err(sel))


cdef void call_gate(CPUState* s, Desc* g) noexcept nogil:
    """CALL through a call gate, to an inner level with a stack switch and parameter
    copy, or at the same level (SDM 5.8.5, 5.8.6)."""
    cdef Desc cd, sd
    cdef Frame f
    cdef uint32_t css = gate_selector(g), off = gate_offset(g)
    cdef uint32_t nss, nesp, top, nparams = g.hi & 0x1F
    cdef int k, dpl
    cdef int size = 4 if desc_type(g) & DT_32 else 2
    gate_target(s, g, &cd)
    dpl = desc_dpl(&cd)
    f.n = 0
    f.size = size
    if not desc_conforming(&cd) and dpl < s.cpl:
        tss_stack(s, dpl, &nss, &nesp, 0)
        check_stack_desc(s, nss, dpl, &sd, EXC_TS, 0)
        frame_add(&f, s.seg[SEG_SS].sel)
        frame_add(&f, s.regs[ESP])
        for k in range(<int>nparams - 1, -1, -1):
            frame_add(&f, stack_read(s, k * size, size))
        frame_add(&f, s.seg[SEG_CS].sel)
        frame_add(&f, s.eip)
        top = nesp
        nesp = frame_place(s, &f, desc_ar(&sd), desc_limit(&sd), top, sel_err(nss))
        if off > desc_limit(&cd):
            gp(s, 0)
        frame_write(s, &f, desc_base(&sd), desc_ar(&sd), top, 0)
        set_accessed(s, &cd)
        commit_ss(s, nss, &sd, nesp)
        commit_cs(s, css, &cd, dpl, off)
    else:
        frame_add(&f, s.seg[SEG_CS].sel)
        frame_add(&f, s.eip)
        push_frame_here(s, &f, 0)
        if off > desc_limit(&cd):
            gp(s, 0)
        commit_frame_here(s, &f)
        commit_cs(s, css, &cd, s.cpl, off)


# ---- far RET ------------------------------------------------------------------------
cdef void far_ret_prot(CPUState* s, int osize, uint32_t imm) noexcept nogil:
    """RETF [imm16] in protected mode, to the same or an outer level (SDM: RET)."""
    cdef Desc cd, sd
    cdef uint32_t off = stack_read(s, 0, osize)
    cdef uint32_t sel = stack_read(s, osize, 2)
    cdef uint32_t nesp, nss
    cdef int rpl = sel & 3
    check_return_cs(s, sel, &cd)
    if osize == 2:
        off &= 0xFFFF
    if rpl == s.cpl:
        if off > desc_limit(&cd):
            gp(s, 0)
        commit_cs(s, sel, &cd, rpl, off)
        set_sp(s, s.regs[ESP] + <uint32_t>(2 * osize) + imm)
        return
    # outer level: the caller's SS:ESP sits above the parameters being released
    nesp = stack_read(s, 2 * osize + imm, osize)
    nss = stack_read(s, 3 * osize + imm, 2)
    check_stack_desc(s, nss, rpl, &sd, EXC_GP, 0)
    if off > desc_limit(&cd):
        gp(s, 0)
    set_accessed(s, &sd)
    commit_cs(s, sel, &cd, rpl, off)
    load_desc(s, SEG_SS, nss, &sd)
    set_sp(s, nesp + imm)
    null_outer_data_segs(s)


# ---- IRET ---------------------------------------------------------------------------
cdef inline uint32_t iret_flags_mask(CPUState* s, int osize) noexcept nogil:
    """EFLAGS bits IRET may change at the current (pre-return) CPL; VM is handled by
    the virtual-8086 return itself (SDM: IRET)."""
    cdef uint32_t mask = F_ARITH | F_TF | F_DF | F_NT | F_RF | F_AC | F_ID
    if s.cpl <= ((s.flags & F_IOPL) >> 12):
        mask |= F_IF
    if s.cpl == 0:
        mask |= F_IOPL | F_VIF | F_VIP
    if osize == 2:
        mask &= 0xFFFF
    return mask


cdef void iret_prot(CPUState* s, int osize) noexcept nogil:
    """IRET with CR0.PE = 1: in virtual-8086 mode, nested-task return, return to
    virtual-8086 mode, same or outer privilege (SDM: IRET)."""
    cdef Desc cd, sd
    cdef uint32_t off, sel, fl, nesp, nss, mask
    cdef int rpl
    if s.flags & F_VM:
        iret_in_v86(s, osize)
    elif s.flags & F_NT:
        iret_task(s)
    else:
        off = stack_read(s, 0, osize)
        sel = stack_read(s, osize, 2)
        fl = stack_read(s, 2 * osize, osize)
        if osize == 4 and (fl & F_VM) and s.cpl == 0:
            iret_to_v86(s, off, sel, fl)
        else:
            check_return_cs(s, sel, &cd)
            rpl = sel & 3
            if osize == 2:
                off &= 0xFFFF
            mask = iret_flags_mask(s, osize)
            if rpl == s.cpl:
                if off > desc_limit(&cd):
                    gp(s, 0)
                commit_cs(s, sel, &cd, rpl, off)
                set_sp(s, s.regs[ESP] + <uint32_t>(3 * osize))
                write_eflags(s, fl, mask)
            else:
                nesp = stack_read(s, 3 * osize, osize)
                nss = stack_read(s, 4 * osize, 2)
                check_stack_desc(s, nss, rpl, &sd, EXC_GP, 0)
                if off > desc_limit(&cd):
                    gp(s, 0)
                set_accessed(s, &sd)
                set_accessed(s, &cd)
                write_eflags(s, fl, mask)
                commit_cs(s, sel, &cd, rpl, off)
                load_desc(s, SEG_SS, nss, &sd)
                set_sp(s, nesp)
                null_outer_data_segs(s)
    s.nmi_blocked = 0


cdef void iret_in_v86(CPUState* s, int osize) noexcept nogil:
    """IRET inside virtual-8086 mode: real-mode style at IOPL 3, else #GP(0) so the
    monitor can emulate it (SDM 20.2.7). VM, IOPL, VIF and VIP keep their values."""
    cdef uint32_t off, sel, fl
    if (s.flags & F_IOPL) != F_IOPL:
        gp(s, 0)
    off = stack_read(s, 0, osize)
    sel = stack_read(s, osize, 2)
    fl = stack_read(s, 2 * osize, osize)
    if off > 0xFFFF:
        gp(s, 0)                           # beyond the 64 KiB v8086 code segment
    load_seg_real(s, SEG_CS, sel)
    s.eip = off
    set_sp(s, s.regs[ESP] + <uint32_t>(3 * osize))
    if osize == 4:
        write_eflags(s, fl, (F_ARITH | F_TF | F_IF | F_DF | F_NT | F_RF | F_AC | F_ID))
    else:
        write_eflags(s, fl, (F_ARITH | F_TF | F_IF | F_DF | F_NT))


cdef void iret_to_v86(CPUState* s, uint32_t off, uint32_t sel, uint32_t fl) noexcept nogil:
    """IRETD at CPL 0 with VM = 1 in the EFLAGS image: the stack also holds ESP, SS,
    ES, DS, FS, GS of the virtual-8086 task (SDM: IRET, RETURN-TO-VIRTUAL-8086-MODE)."""
    cdef uint32_t v[6]
    cdef int k
    for k in range(6):
        v[k] = stack_read(s, 12 + 4 * k, 4)
    if off > 0xFFFF:
        gp(s, 0)                           # beyond the 64 KiB v8086 code segment
    write_eflags(s, fl, 0xFFFFFFFFU)       # VM = 1: update_mode makes the CPL 3
    load_seg_real(s, SEG_CS, sel)
    load_seg_real(s, SEG_SS, v[1])
    load_seg_real(s, SEG_ES, v[2])
    load_seg_real(s, SEG_DS, v[3])
    load_seg_real(s, SEG_FS, v[4])
    load_seg_real(s, SEG_GS, v[5])
    s.regs[ESP] = v[0]
    s.eip = off


cdef void iret_task(CPUState* s) noexcept nogil:
    """IRET with NT = 1: return to the task in the back link of the current TSS."""
    cdef uint32_t link = sys_rd(s, s.seg[SEG_TR].base, 2)
    cdef Desc d
    cdef int t
    if (link & 4) or not fetch_desc(s, link, &d):
        raise_exc(s, EXC_TS, sel_err(link), 1)
    t = desc_type(&d)
    if desc_segment(&d) or (t != DT_TSS16_BUSY and t != DT_TSS32_BUSY):
        raise_exc(s, EXC_TS, sel_err(link), 1)
    if not desc_present(&d):
        raise_exc(s, EXC_NP, sel_err(link), 1)
    task_switch(s, link, &d, TS_IRET, 0)


# ---- interrupt and exception delivery ---------------------------------------------------
cdef void deliver_prot(CPUState* s, int vec, bint has_err, uint32_t err, int kind) noexcept nogil:
    """Deliver vec through the IDT (SDM 6.10-6.14, INT n pseudocode); also from
    virtual-8086 mode (SDM 20.3). Faults found here carry the IDT bit and, unless a
    software interrupt is being delivered, the EXT bit."""
    cdef uint32_t ext = 0 if (kind == KIND_SOFT or kind == KIND_SOFT_EXC) else 1
    cdef uint32_t gerr = <uint32_t>vec * 8 + 2 + ext
    cdef Desc g
    cdef int t
    if <uint32_t>vec * 8 + 7 > s.idt_limit:
        gp(s, gerr)
    g.addr = s.idt_base + <uint32_t>vec * 8
    g.lo = sys_rd(s, g.addr, 4)
    g.hi = sys_rd(s, g.addr + 4, 4)
    t = desc_type(&g)
    if desc_segment(&g) or not (t == DT_TASK_GATE or t == DT_INT16 or t == DT_TRAP16 or
                                t == DT_INT32 or t == DT_TRAP32):
        gp(s, gerr)
    if not ext and desc_dpl(&g) < s.cpl:
        gp(s, gerr)                        # INT n / INT3 / INTO need gate DPL >= CPL
    if not desc_present(&g):
        raise_exc(s, EXC_NP, gerr, 1)
    if t == DT_TASK_GATE:
        interrupt_task(s, &g, has_err, err, ext)
    else:
        interrupt_gate(s, &g, has_err, err, ext)


cdef void interrupt_task(CPUState* s, Desc* g, bint has_err, uint32_t err,
                         uint32_t ext) noexcept nogil:
    """Task gate in the IDT: switch tasks as CALL does, then push the error code on
    the new task's stack (SDM 6.12.2)."""
    cdef uint32_t tsel = gate_selector(g)
    cdef Desc td
    tss_from_gate(s, tsel, &td, EXC_GP, ext)
    task_switch(s, tsel, &td, TS_CALL, ext)
    if has_err:
        push(s, err, 4 if desc_type(&td) & DT_32 else 2)


cdef void interrupt_gate(CPUState* s, Desc* g, bint has_err, uint32_t err,
                         uint32_t ext) noexcept nogil:
    """Interrupt or trap gate: to an inner level with a stack switch (always so from
    virtual-8086 mode, which also saves and nulls the data segments) or at the same
    level (SDM 6.12.1, 20.3.1.1)."""
    cdef Desc cd, sd
    cdef Frame f
    cdef uint32_t css = gate_selector(g), off = gate_offset(g)
    cdef uint32_t nss, nesp, top
    cdef bint v86 = (s.flags & F_VM) != 0
    cdef int dpl, sg
    f.n = 0
    f.size = 4 if desc_type(g) & DT_32 else 2
    if sel_null(css):
        gp(s, ext)
    read_desc(s, css, &cd, EXC_GP, ext)
    if not desc_code(&cd) or desc_dpl(&cd) > s.cpl:
        gp(s, sel_err(css) | ext)
    if not desc_present(&cd):
        raise_exc(s, EXC_NP, sel_err(css) | ext, 1)
    dpl = desc_dpl(&cd)
    if v86 and (desc_conforming(&cd) or dpl != 0):
        gp(s, sel_err(css) | ext)          # a v8086 task may only interrupt to ring 0
    if not desc_conforming(&cd) and dpl < s.cpl:
        tss_stack(s, dpl, &nss, &nesp, ext)
        check_stack_desc(s, nss, dpl, &sd, EXC_TS, ext)
        if v86:
            frame_add(&f, s.seg[SEG_GS].sel)
            frame_add(&f, s.seg[SEG_FS].sel)
            frame_add(&f, s.seg[SEG_DS].sel)
            frame_add(&f, s.seg[SEG_ES].sel)
        frame_add(&f, s.seg[SEG_SS].sel)
        frame_add(&f, s.regs[ESP])
        add_return_frame(s, &f, has_err, err)
        top = nesp
        nesp = frame_place(s, &f, desc_ar(&sd), desc_limit(&sd), top, sel_err(nss) | ext)
        if off > desc_limit(&cd):
            gp(s, ext)
        frame_write(s, &f, desc_base(&sd), desc_ar(&sd), top, 0)
        set_accessed(s, &cd)
        commit_ss(s, nss, &sd, nesp)
        if v86:
            for sg in range(SEG_GS + 1):
                if sg != SEG_CS and sg != SEG_SS:
                    load_null(s, sg, 0)
    else:
        dpl = s.cpl
        add_return_frame(s, &f, has_err, err)
        push_frame_here(s, &f, ext)
        if off > desc_limit(&cd):
            gp(s, ext)
        commit_frame_here(s, &f)
    commit_cs(s, css, &cd, dpl, off)
    s.flags &= ~(<uint32_t>(F_TF | F_NT | F_RF | F_VM))
    if not (desc_type(g) & 1):
        s.flags &= ~(<uint32_t>F_IF)       # interrupt gate (trap gates leave IF)
    if v86:
        update_mode(s)


cdef inline void add_return_frame(CPUState* s, Frame* f, bint has_err,
                                  uint32_t err) noexcept nogil:
    frame_add(f, get_eflags(s))
    frame_add(f, s.seg[SEG_CS].sel)
    frame_add(f, s.eip)
    if has_err:
        frame_add(f, err)
