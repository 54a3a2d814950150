# Segment registers and processor modes (included by cpu/interp.pyx).
# Protected-mode descriptor loading with its checks lives in cpu/protmode.pxi.

cdef enum:
    AR_TYPE = 0x0F
    AR_S = 0x10
    AR_DPL = 0x60
    AR_P = 0x80
    AR_DB = 0x4000
    AR_G = 0x8000
    AR_DATA_RW = 0x93         # present, DPL 0, data read/write, accessed


cdef void seg_refresh(CPUState* s, int sg) noexcept nogil:
    """Recompute the fast-check fields of a segment from its descriptor cache."""
    cdef Seg* d = &s.seg[sg]
    cdef uint32_t t = d.ar & AR_TYPE
    cdef bint flat
    s.chain_epoch += 1                    # CS, the mode: block links are stale
    if not (s.cr0 & CR0_PE) or (s.flags & F_VM):
        # real and virtual-8086 mode: no type checks, limit from the cache
        d.lo = 0
        d.hi = d.limit
        d.rd_ok = 1
        d.wr_ok = 1
    elif not d.valid:
        d.lo = 1
        d.hi = 0
        d.rd_ok = 0
        d.wr_ok = 0
    elif (d.ar & AR_S) and not (t & 8) and (t & 4):
        # expand-down data: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFFU
        d.lo = d.limit + 1
        d.hi = 0xFFFFFFFFU if d.ar & AR_DB else 0xFFFF
        d.rd_ok = 1
        d.wr_ok = (t & 2) != 0
        if d.limit == 0xFFFFFFFFU:
            d.lo = 1
            d.hi = 0
    else:
        d.lo = 0
        d.hi = d.limit
        if t & 8:
            d.rd_ok = (t & 2) != 0
            d.wr_ok = 0
        else:
            d.rd_ok = 1
            d.wr_ok = (t & 2) != 0
    d.rspan = <int64_t>(d.hi - d.lo) if d.rd_ok and d.lo <= d.hi else -1
    d.wspan = <int64_t>(d.hi - d.lo) if d.wr_ok and d.lo <= d.hi else -1
    flat = d.base == 0 and d.lo == 0 and d.hi == 0xFFFFFFFFU
    s.flat_r = (s.flat_r & ~(1 << sg)) | ((<int>(flat and d.rd_ok != 0)) << sg)
    s.flat_w = (s.flat_w & ~(1 << sg)) | ((<int>(flat and d.wr_ok != 0)) << sg)
    if sg == SEG_CS:
        s.code32 = (d.ar & AR_DB) != 0 and (s.cr0 & CR0_PE) != 0 and not (s.flags & F_VM)
        s.eip_mask = 0xFFFFFFFFU if s.code32 else 0xFFFF
    elif sg == SEG_SS:
        s.stack32 = (d.ar & AR_DB) != 0 and (s.cr0 & CR0_PE) != 0 and not (s.flags & F_VM)


cdef void load_seg_real(CPUState* s, int sg, uint32_t sel) noexcept nogil:
    """Real mode: base = selector * 16; the limit and attributes stay (unreal mode).
    Virtual-8086 mode: 64 KiB read/write data at DPL 3 (Intel SDM vol. 3A, 20.1.1)."""
    cdef Seg* d = &s.seg[sg]
    d.sel = <uint16_t>sel
    d.base = (sel & 0xFFFF) << 4
    d.valid = 1
    if s.flags & F_VM:
        d.limit = 0xFFFF
        d.ar = 0xF3 if sg != SEG_CS else 0xFB
    elif sg == SEG_CS:
        # a real-mode far transfer makes CS a 16-bit segment (what Bochs and QEMU do)
        d.ar &= ~(<uint32_t>AR_DB)
    seg_refresh(s, sg)


cdef void load_seg(CPUState* s, int sg, uint32_t sel) noexcept nogil:
    """MOV/POP/LDS-style load of a data or stack segment register in any mode."""
    if (s.cr0 & CR0_PE) and not (s.flags & F_VM):
        load_seg_prot(s, sg, <uint16_t>sel)
    else:
        load_seg_real(s, sg, sel)


cdef void ss_shadow(CPUState* s) noexcept nogil:
    """MOV SS / POP SS (not LSS): no interrupt or debug trap until the next instruction
    completes (SDM 6.8.3). STI's shadow holds back interrupts only, hence two fields."""
    s.inhibit_until = s.icount + 2
    s.db_hold_until = s.icount + 2
    kick(s)


cdef void set_seg_cache(CPUState* s, int sg, uint16_t sel, uint32_t base, uint32_t limit,
                        uint32_t ar, bint valid) noexcept nogil:
    cdef Seg* d = &s.seg[sg]
    d.sel = sel
    d.base = base
    d.limit = limit
    d.ar = ar
    d.valid = valid
    seg_refresh(s, sg)


cdef void update_mode(CPUState* s) noexcept nogil:
    """Re-derive everything that depends on CR0/CR4/EFER/EFLAGS.VM and the CPL."""
    cdef int k
    cdef uint8_t old_paging = s.paging, old_pae = s.pae, old_nxe = s.nxe
    s.pmode = (s.cr0 & CR0_PE) != 0 and not (s.flags & F_VM)
    s.v86 = (s.flags & F_VM) != 0
    s.paging = (s.cr0 & CR0_PG) != 0 and (s.cr0 & CR0_PE) != 0
    s.pae = s.paging and (s.cr4 & CR4_PAE) != 0
    s.nxe = s.pae and (s.efer & 0x800) != 0
    if not (s.cr0 & CR0_PE):
        s.cpl = 0
    elif s.v86:
        s.cpl = 3
    for k in range(8):
        seg_refresh(s, k)
    if old_paging != s.paging or old_pae != s.pae or old_nxe != s.nxe:
        tlb_flush(s, 0)
    update_perms(s)
    kick(s)


cdef void write_eflags(CPUState* s, uint32_t v, uint32_t mask) noexcept nogil:
    """Write the EFLAGS bits in mask (POPF, IRET, task switch...); bit 1 reads as one."""
    cdef uint32_t old = get_eflags(s)
    cdef uint32_t new = ((old & ~mask) | (v & mask)) | 2
    new &= ~(<uint32_t>0xFFC08028U)        # reserved bits read as zero
    s.flags = new
    s.lf_op = LF_NONE
    if (old ^ new) & F_VM:
        update_mode(s)
    elif (old ^ new) & F_AC:
        update_perms(s)
    kick(s)                          # IF/TF may have changed


cdef void set_a20(CPUState* s, bint enabled) noexcept nogil:
    cdef uint32_t m = 0xFFFFFFFFU if enabled else 0xFFEFFFFFU
    if m != s.a20_mask:
        s.a20_mask = m
        tlb_flush(s, 0)
