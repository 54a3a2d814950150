# Segment descriptors (included by cpu/interp.pyx): reading them from the GDT/LDT, the
# checks made when a segment register is loaded in protected mode, and the descriptor
# instructions SLDT STR LLDT LTR VERR VERW LAR LSL ARPL.
# Intel SDM vol. 3A: 3.4-3.5 (selectors, descriptors), 5.5-5.10 (privilege checks).
# The descriptor types and the Desc struct are declared in cpu/protmode.pxi.

# ---- descriptor fields --------------------------------------------------------------
cdef inline uint32_t sel_err(uint32_t sel) noexcept nogil:
    """Error code naming a selector: index and TI, RPL bits cleared (SDM 6.13)."""
    return sel & 0xFFFC


cdef inline bint sel_null(uint32_t sel) noexcept nogil:
    return (sel & 0xFFFC) == 0


cdef inline uint32_t desc_base(Desc* d) noexcept nogil:
    return (d.lo >> 16) | ((d.hi & 0xFF) << 16) | (d.hi & 0xFF000000U)


cdef inline uint32_t desc_limit(Desc* d) noexcept nogil:
    cdef uint32_t lim = (d.lo & 0xFFFF) | (d.hi & 0xF0000)
    if d.hi & 0x800000:
        lim = (lim << 12) | 0xFFF          # G = 1: 4 KiB units
    return lim


cdef inline uint32_t desc_ar(Desc* d) noexcept nogil:
    return (d.hi >> 8) & 0xF0FF


cdef inline int desc_type(Desc* d) noexcept nogil:
    return (d.hi >> 8) & 0xF


cdef inline int desc_dpl(Desc* d) noexcept nogil:
    return (d.hi >> 13) & 3


cdef inline bint desc_present(Desc* d) noexcept nogil:
    return (d.hi & 0x8000) != 0


cdef inline bint desc_segment(Desc* d) noexcept nogil:
    """Code or data segment (S = 1), as opposed to a system descriptor."""
    return (d.hi & 0x1000) != 0


cdef inline bint desc_code(Desc* d) noexcept nogil:
    return desc_segment(d) and (desc_type(d) & T_CODE) != 0


cdef inline bint desc_conforming(Desc* d) noexcept nogil:
    return desc_code(d) and (desc_type(d) & T_EC) != 0


cdef inline bint desc_writable_data(Desc* d) noexcept nogil:
    return desc_segment(d) and (desc_type(d) & (T_CODE | T_RW)) == T_RW


cdef inline bint desc_readable(Desc* d) noexcept nogil:
    """Data, or code with R = 1: what DS/ES/FS/GS may hold."""
    return desc_segment(d) and (desc_type(d) & (T_CODE | T_RW)) != T_CODE


cdef inline uint32_t gate_selector(Desc* d) noexcept nogil:
    return d.lo >> 16


cdef inline uint32_t gate_offset(Desc* d) noexcept nogil:
    if desc_type(d) & DT_32:
        return (d.lo & 0xFFFF) | (d.hi & 0xFFFF0000U)
    return d.lo & 0xFFFF


# ---- reading descriptors --------------------------------------------------------------
cdef bint fetch_desc(CPUState* s, uint32_t sel, Desc* d) noexcept nogil:
    """Read the descriptor sel selects; 0 when its index lies beyond the GDT/LDT limit
    (or TI = 1 while LDTR holds a null selector)."""
    cdef uint32_t base, limit
    if sel & 4:
        if not s.seg[SEG_LDTR].valid:
            return 0
        base = s.seg[SEG_LDTR].base
        limit = s.seg[SEG_LDTR].limit
    else:
        base = s.gdt_base
        limit = s.gdt_limit
    if (sel | 7) > limit:
        return 0
    d.addr = base + (sel & 0xFFF8)
    d.lo = sys_rd(s, d.addr, 4)
    d.hi = sys_rd(s, d.addr + 4, 4)
    return 1


cdef void read_desc(CPUState* s, uint32_t sel, Desc* d, int vec, uint32_t ext) noexcept nogil:
    """fetch_desc, faulting with vec(selector + EXT) when the index is out of bounds."""
    if not fetch_desc(s, sel, d):
        raise_exc(s, vec, sel_err(sel) | ext, 1)


cdef void set_accessed(CPUState* s, Desc* d) noexcept nogil:
    """Set the A bit of a code/data descriptor in memory (SDM 3.4.5.1)."""
    if not (d.hi & 0x100):
        d.hi |= 0x100
        sys_wr(s, d.addr + 5, (d.hi >> 8) & 0xFF, 1)


cdef void load_desc(CPUState* s, int sg, uint32_t sel, Desc* d) noexcept nogil:
    """Fill a segment register's cache from a checked descriptor."""
    set_seg_cache(s, sg, <uint16_t>sel, desc_base(d), desc_limit(d), desc_ar(d), 1)


cdef void load_null(CPUState* s, int sg, uint32_t sel) noexcept nogil:
    """A null selector in DS/ES/FS/GS (or LDTR): the register is unusable until reloaded."""
    s.seg[sg].sel = <uint16_t>sel
    s.seg[sg].valid = 0
    seg_refresh(s, sg)


# ---- checks shared by MOV Sreg, far transfers and task switches -----------------------
cdef void check_stack_desc(CPUState* s, uint32_t sel, int cpl, Desc* d, int vec,
                           uint32_t ext) noexcept nogil:
    """SS must be a present writable data segment with RPL = DPL = cpl; faults with
    vec (#GP for MOV/POP/LSS/RET, #TS for stack switches), #SS when not present."""
    if sel_null(sel):
        raise_exc(s, vec, ext, 1)
    read_desc(s, sel, d, vec, ext)
    if <int>(sel & 3) != cpl or not desc_writable_data(d) or desc_dpl(d) != cpl:
        raise_exc(s, vec, sel_err(sel) | ext, 1)
    if not desc_present(d):
        raise_exc(s, EXC_SS, sel_err(sel) | ext, 1)


cdef void check_data_desc(CPUState* s, uint32_t sel, int cpl, Desc* d, int vec,
                          uint32_t ext) noexcept nogil:
    """DS/ES/FS/GS (non-null): readable, and unless conforming code, DPL >= CPL and RPL."""
    cdef int dpl
    read_desc(s, sel, d, vec, ext)
    if not desc_readable(d):
        raise_exc(s, vec, sel_err(sel) | ext, 1)
    dpl = desc_dpl(d)
    if not desc_conforming(d) and (<int>(sel & 3) > dpl or cpl > dpl):
        raise_exc(s, vec, sel_err(sel) | ext, 1)
    if not desc_present(d):
        raise_exc(s, EXC_NP, sel_err(sel) | ext, 1)


cdef void check_return_cs(CPUState* s, uint32_t sel, Desc* d) noexcept nogil:
    """CS popped by RETF/IRET: code, RPL >= CPL, DPL = RPL (conforming: DPL <= RPL)."""
    cdef int rpl = sel & 3
    if sel_null(sel):
        gp(s, 0)
    read_desc(s, sel, d, EXC_GP, 0)
    if not desc_code(d) or rpl < s.cpl:
        gp(s, sel_err(sel))
    if desc_conforming(d):
        if desc_dpl(d) > rpl:
            gp(s, sel_err(sel))
    elif desc_dpl(d) != rpl:
        gp(s, sel_err(sel))
    if not desc_present(d):
        raise_exc(s, EXC_NP, sel_err(sel), 1)


cdef void load_seg_prot(CPUState* s, int sg, uint16_t sel) noexcept nogil:
    """MOV/POP/LDS-style load of SS/DS/ES/FS/GS in protected mode (SDM: MOV, 5.7)."""
    cdef Desc d
    if sg == SEG_SS:
        check_stack_desc(s, sel, s.cpl, &d, EXC_GP, 0)
    elif sel_null(sel):
        load_null(s, sg, sel)
        return
    else:
        check_data_desc(s, sel, s.cpl, &d, EXC_GP, 0)
    set_accessed(s, &d)
    load_desc(s, sg, sel, &d)


# ---- descriptor instructions ------------------------------------------------------------
cdef inline void require_pmode(CPUState* s) noexcept nogil:
    """These instructions are #UD in real-address and virtual-8086 mode."""
    if not s.pmode:
        ud(s)


cdef inline void set_zf_to(CPUState* s, bint v) noexcept nogil:
    materialize_flags(s)
    if v:
        s.flags |= F_ZF
    else:
        s.flags &= ~(<uint32_t>F_ZF)


cdef inline void store_selector(CPUState* s, Insn* i, uint32_t sel) noexcept nogil:
    """SLDT/STR: a register gets the selector zero-extended (P6), memory 16 bits."""
    if i.mod == 3:
        set_reg(s, i.rm, sel, i.osize)
    else:
        vwr(s, i.seg, ea(s, i), sel, 2)


cdef void op_sldt(CPUState* s, Insn* i) noexcept nogil:
    require_pmode(s)
    store_selector(s, i, s.seg[SEG_LDTR].sel)


cdef void op_str(CPUState* s, Insn* i) noexcept nogil:
    require_pmode(s)
    store_selector(s, i, s.seg[SEG_TR].sel)


cdef void op_lldt(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t sel
    cdef Desc d
    require_pmode(s)
    if s.cpl != 0:
        gp(s, 0)
    sel = rm_read(s, i, 2)
    if sel_null(sel):
        load_null(s, SEG_LDTR, sel)
        return
    if sel & 4:
        gp(s, sel_err(sel))                # the LDT descriptor lives in the GDT
    read_desc(s, sel, &d, EXC_GP, 0)
    if desc_segment(&d) or desc_type(&d) != DT_LDT:
        gp(s, sel_err(sel))
    if not desc_present(&d):
        raise_exc(s, EXC_NP, sel_err(sel), 1)
    load_desc(s, SEG_LDTR, sel, &d)


cdef void op_ltr(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t sel, t
    cdef Desc d
    require_pmode(s)
    if s.cpl != 0:
        gp(s, 0)
    sel = rm_read(s, i, 2)
    if sel_null(sel):
        gp(s, 0)
    if sel & 4:
        gp(s, sel_err(sel))
    read_desc(s, sel, &d, EXC_GP, 0)
    t = desc_type(&d)
    if desc_segment(&d) or (t != DT_TSS16 and t != DT_TSS32):
        gp(s, sel_err(sel))                # must be an available TSS
    if not desc_present(&d):
        raise_exc(s, EXC_NP, sel_err(sel), 1)
    d.hi |= DT_BUSY << 8
    sys_wr(s, d.addr + 5, (d.hi >> 8) & 0xFF, 1)
    load_desc(s, SEG_TR, sel, &d)


cdef bint verify_seg(CPUState* s, uint32_t sel, bint write) noexcept nogil:
    """VERR/VERW: would a data access through sel be allowed at the CPL? (no faults
    for bad selectors: they just answer no)."""
    cdef Desc d
    cdef int dpl
    if sel_null(sel) or not fetch_desc(s, sel, &d) or not desc_segment(&d):
        return 0
    if desc_code(&d):
        if write or not (desc_type(&d) & T_RW):
            return 0
        if desc_conforming(&d):
            return 1
    elif write and not (desc_type(&d) & T_RW):
        return 0
    dpl = desc_dpl(&d)
    return dpl >= s.cpl and dpl >= <int>(sel & 3)


cdef void op_verr(CPUState* s, Insn* i) noexcept nogil:
    require_pmode(s)
    set_zf_to(s, verify_seg(s, rm_read(s, i, 2), 0))


cdef void op_verw(CPUState* s, Insn* i) noexcept nogil:
    require_pmode(s)
    set_zf_to(s, verify_seg(s, rm_read(s, i, 2), 1))


cdef bint lar_lsl_visible(CPUState* s, uint32_t sel, Desc* d, bint lsl) noexcept nogil:
    """May LAR (lsl = 0) or LSL (lsl = 1) report this descriptor? SDM: LAR, LSL tables."""
    cdef int t, dpl
    if sel_null(sel) or not fetch_desc(s, sel, d):
        return 0
    t = desc_type(d)
    if desc_segment(d):
        if desc_conforming(d):
            return 1
    elif not (t == DT_TSS16 or t == DT_LDT or t == DT_TSS16_BUSY or t == DT_TSS32 or
              t == DT_TSS32_BUSY or
              (not lsl and (t == DT_CALL16 or t == DT_TASK_GATE or t == DT_CALL32))):
        return 0
    dpl = desc_dpl(d)
    return dpl >= s.cpl and dpl >= <int>(sel & 3)


cdef void op_lar(CPUState* s, Insn* i) noexcept nogil:
    cdef Desc d
    cdef bint ok
    require_pmode(s)
    ok = lar_lsl_visible(s, rm_read(s, i, 2), &d, 0)
    if ok:
        set_reg(s, i.reg, d.hi & (0x00FFFF00U if i.osize == 4 else 0xFF00), i.osize)
    set_zf_to(s, ok)


cdef void op_lsl(CPUState* s, Insn* i) noexcept nogil:
    cdef Desc d
    cdef bint ok
    require_pmode(s)
    ok = lar_lsl_visible(s, rm_read(s, i, 2), &d, 1)
    if ok:
        set_reg(s, i.reg, desc_limit(&d), i.osize)
    set_zf_to(s, ok)


cdef void op_arpl(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t lin = 0, dst, src
    require_pmode(s)
    src = get_reg(s, i.reg, 2)
    if i.mod == 3:
        dst = get_reg(s, i.rm, 2)
    else:
        lin = seg_check(s, i.seg, ea(s, i), 2, 1)
        probe_write(s, lin, 2)
        dst = rd16(s, lin)
    if (dst & 3) < (src & 3):
        dst = (dst & 0xFFFC) | (src & 3)
        if i.mod == 3:
            set_reg(s, i.rm, dst, 2)
        else:
            wr16(s, lin, dst)
        set_zf_to(s, 1)
    else:
        set_zf_to(s, 0)
