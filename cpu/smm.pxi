# System Management Mode (included by cpu/interp.pyx): SMI delivery, the SMRAM state
# save area and RSM. Intel SDM vol. 3, chapter "System Management Mode" (ch. 34 in the
# 2016-2022 editions): "SMRAM State Save Map" (32-bit processors), "Processor Register
# Initialization in SMM", "SMM Revision Identifier", "Auto HALT Restart", "SMBASE
# Relocation", "NMI Handling While in SMM".
#
# An SMI (CPU.smi(), latched in PEND_SMI) is taken at an instruction boundary outside
# SMM: the CPU tells the chipset (smm_out: SMIACT#, so SMRAM is decoded), writes its
# state to SMBASE + 8000H + 7E00H..7FFFH and starts the handler at SMBASE:8000H in a
# real-address-like mode with 4 GiB limits. RSM (0F AA) reloads everything from the
# save area, including an SMBASE the handler wrote there.
#
# The save map is the P6 family's 32-bit one. Revision 00020000H: SMBASE relocation
# (bit 17) and no I/O instruction restart (bit 16), the value SeaBIOS requires for its
# 32-bit map (and QEMU's 32-bit CPUs report). The documented fields sit where the SDM
# puts them; the descriptor caches, GDTR/IDTR and CR4 go into the map's reserved
# area at the offsets QEMU's 32-bit CPUs use (the SDM leaves those undocumented), so
# firmware that copies or edits saved states (SeaBIOS's 32-bit calls through SMM
# restore an older save area with RSM) finds a complete CPU state. Segment
# attributes are stored in the VMX access-rights format: descriptor bits 40-47 in
# bits 0-7, 52-55 in bits 12-15, bit 16 "unusable" for a null selector loaded in
# protected mode.
#
# Not modelled: I/O instruction restart (the revision says so: the field at 7F00H is
# written 0 and ignored by RSM), the x87/SSE state (an SMI handler saves what it uses,
# as on hardware), IA32_EFER (only NXE exists; it keeps its value through SMM).

cdef enum:
    SMM_REVISION = 0x00020000
    SMBASE_DEFAULT = 0x30000
    SMM_ENTRY = 0x8000                    # EIP of the handler; the map is at SMBASE + 8000H
    SMM_EFLAGS = 0x2
    AR_UNUSABLE = 0x10000                 # access-rights bit of a null (unusable) segment
    AR_SAVED = 0xF0FF                     # the descriptor bits an attribute field holds

    # offsets from SMBASE + 8000H of the 32-bit state save map
    SMS_CR0 = 0x7FFC
    SMS_CR3 = 0x7FF8
    SMS_EFLAGS = 0x7FF4
    SMS_EIP = 0x7FF0
    SMS_EDI = 0x7FEC                      # EDI down to EAX at 7FD0H: regs[7] .. regs[0]
    SMS_EAX = 0x7FD0
    SMS_DR6 = 0x7FCC
    SMS_DR7 = 0x7FC8
    SMS_TR_SEL = 0x7FC4
    SMS_LDTR_SEL = 0x7FC0
    SMS_SEL = 0x7FA8                      # ES CS SS DS FS GS selectors, 4 bytes apart
    SMS_CACHE_LO = 0x7F84                 # ES CS SS caches: attributes, limit, base
    SMS_CACHE_HI = 0x7F2C                 # DS FS GS caches
    SMS_LDTR_CACHE = 0x7F78
    SMS_GDTR = 0x7F70                     # limit, base
    SMS_TR_CACHE = 0x7F5C
    SMS_IDTR = 0x7F54                     # limit, base
    SMS_CR4 = 0x7F14
    SMS_AUTO_HALT = 0x7F02                # word: bit 0 set = the SMI interrupted a HLT
    SMS_IO_RESTART = 0x7F00               # word
    SMS_REVISION = 0x7EFC
    SMS_SMBASE = 0x7EF8


cdef inline uint32_t sms_cache(int sg) noexcept nogil:
    """Offset of a segment register's cache (attributes, limit, base) in the map."""
    if sg == SEG_LDTR:
        return SMS_LDTR_CACHE
    if sg == SEG_TR:
        return SMS_TR_CACHE
    if sg < SEG_DS:
        return SMS_CACHE_LO + 12 * sg
    return SMS_CACHE_HI + 12 * (sg - SEG_DS)


cdef inline uint32_t sms_selector(int sg) noexcept nogil:
    if sg == SEG_LDTR:
        return SMS_LDTR_SEL
    if sg == SEG_TR:
        return SMS_TR_SEL
    return SMS_SEL + 4 * sg


cdef inline void sms_put(CPUState* s, uint32_t off, uint32_t v) noexcept nogil:
    phys_write(s, <uint64_t>s.smbase + SMM_ENTRY + off, v, 4)


cdef inline uint32_t sms_get(CPUState* s, uint32_t off) noexcept nogil:
    return phys_read(s, <uint64_t>s.smbase + SMM_ENTRY + off, 4)


cdef void smm_signal(CPUState* s, int level) noexcept nogil:
    """SMIACT#: the chipset switches the SMRAM decode (which remaps memory, flushing
    the TLB) before the save area is written and after it is read back."""
    s.in_smm = level
    if s.smm_out != NULL:
        x87_release(s)
        s.smm_out(s.io_ctx, level)


cdef void smm_save_state(CPUState* s, bint halted) noexcept nogil:
    cdef int k
    cdef Seg* d
    cdef uint32_t ar, c
    sms_put(s, SMS_CR0, s.cr0)
    sms_put(s, SMS_CR3, s.cr3)
    sms_put(s, SMS_EFLAGS, get_eflags(s))
    sms_put(s, SMS_EIP, s.eip)
    for k in range(8):
        sms_put(s, SMS_EAX + 4 * k, s.regs[k])
    sms_put(s, SMS_DR6, s.dr[6])
    sms_put(s, SMS_DR7, s.dr[7])
    for k in range(8):
        d = &s.seg[k]
        ar = d.ar & AR_SAVED
        if not d.valid:
            ar |= AR_UNUSABLE
        c = sms_cache(k)
        sms_put(s, sms_selector(k), d.sel)
        sms_put(s, c, ar)
        sms_put(s, c + 4, d.limit)
        sms_put(s, c + 8, d.base)
    sms_put(s, SMS_GDTR, s.gdt_limit)
    sms_put(s, SMS_GDTR + 4, s.gdt_base)
    sms_put(s, SMS_IDTR, s.idt_limit)
    sms_put(s, SMS_IDTR + 4, s.idt_base)
    sms_put(s, SMS_CR4, s.cr4)
    # the two restart words share a dword: auto HALT restart is the high one
    sms_put(s, SMS_IO_RESTART, (<uint32_t>halted) << 16)
    sms_put(s, SMS_REVISION, SMM_REVISION)
    sms_put(s, SMS_SMBASE, s.smbase)


cdef void smm_enter(CPUState* s) noexcept nogil:
    """Take a latched SMI ("Processor Register Initialization in SMM")."""
    cdef bint halted = s.halted
    cdef int k
    s.pending &= ~(<uint32_t>PEND_SMI)
    s.halted = 0
    smm_signal(s, 1)
    smm_save_state(s, halted)
    s.smm_nmi_blocked = s.nmi_blocked
    s.nmi_blocked = 1                     # until RSM (or an IRET in the handler)
    s.tf_trap = 0
    s.flags = SMM_EFLAGS
    s.lf_op = LF_NONE
    s.cr0 &= ~(<uint32_t>(CR0_PE | CR0_EM | CR0_TS | CR0_PG))
    s.cr4 = 0
    s.dr[7] = DR7_FIXED
    for k in range(SEG_LDTR):
        set_seg_cache(s, k, 0, 0, 0xFFFFFFFFU, AR_DATA_RW, 1)
    set_seg_cache(s, SEG_CS, <uint16_t>(s.smbase >> 4), s.smbase, 0xFFFFFFFFU, 0x9B, 1)
    s.eip = SMM_ENTRY
    update_mode(s)                        # CPL 0, paging off (flushes the TLB)
    update_breakpoints(s)


cdef bint smm_state_valid(uint32_t cr0, uint32_t cr4) noexcept nogil:
    """RSM enters shutdown on a saved state no MOV CR could make ("Exiting SMM")."""
    if (cr0 & CR0_PG) and not (cr0 & CR0_PE):
        return 0
    if (cr0 & CR0_NW) and not (cr0 & CR0_CD):
        return 0
    return (cr4 & ~cr4_valid_bits()) == 0


cdef void smm_shutdown(CPUState* s) noexcept nogil:
    """Shutdown from an instruction: exception_entry treats any fault raised while a
    double fault is being delivered as the triple fault."""
    s.exc_depth = 1
    s.exc_first = EXC_DF
    raise_exc(s, EXC_GP, 0, 0)


cdef void op_rsm(CPUState* s, Insn* i) noexcept nogil:
    """RSM (0F AA): #UD outside SMM; back to the state in the save area."""
    cdef uint32_t cr0, cr3, cr4, eflags, eip, restart, c, ar
    cdef uint32_t regs[8]
    cdef uint32_t sel[8]
    cdef uint32_t cache[8][3]
    cdef uint32_t dtr[4]
    cdef uint32_t dr6, dr7, smbase
    cdef int k
    cdef Seg* d
    if not s.in_smm:
        ud(s)
    cr0 = sms_get(s, SMS_CR0)
    cr3 = sms_get(s, SMS_CR3)
    cr4 = sms_get(s, SMS_CR4)
    if not smm_state_valid(cr0, cr4):
        smm_shutdown(s)
    eflags = sms_get(s, SMS_EFLAGS)
    eip = sms_get(s, SMS_EIP)
    for k in range(8):
        regs[k] = sms_get(s, SMS_EAX + 4 * k)
        c = sms_cache(k)
        sel[k] = sms_get(s, sms_selector(k))
        cache[k][0] = sms_get(s, c)
        cache[k][1] = sms_get(s, c + 4)
        cache[k][2] = sms_get(s, c + 8)
    dtr[0] = sms_get(s, SMS_GDTR)
    dtr[1] = sms_get(s, SMS_GDTR + 4)
    dtr[2] = sms_get(s, SMS_IDTR)
    dtr[3] = sms_get(s, SMS_IDTR + 4)
    dr6 = sms_get(s, SMS_DR6)
    dr7 = sms_get(s, SMS_DR7)
    restart = sms_get(s, SMS_IO_RESTART)
    # the revision has bit 17 set: the SMBASE field is reloaded (SMBASE relocation)
    smbase = sms_get(s, SMS_SMBASE)
    smm_signal(s, 0)
    memcpy(s.regs, regs, sizeof(regs))
    s.cr0 = (cr0 & CR0_VALID) | CR0_ET
    s.cr3 = cr3
    s.cr4 = cr4
    s.flags = (eflags & ~(<uint32_t>0xFFC08028U)) | 2
    s.lf_op = LF_NONE
    for k in range(8):
        d = &s.seg[k]
        ar = cache[k][0]
        d.sel = <uint16_t>sel[k]
        d.ar = ar & AR_SAVED
        d.limit = cache[k][1]
        d.base = cache[k][2]
        d.valid = not (ar & AR_UNUSABLE)
    s.gdt_limit, s.gdt_base = dtr[0] & 0xFFFF, dtr[1]
    s.idt_limit, s.idt_base = dtr[2] & 0xFFFF, dtr[3]
    s.dr[6] = (dr6 & DR6_WRITABLE) | DR6_FIXED
    s.dr[7] = (dr7 & DR7_WRITABLE) | DR7_FIXED
    # the CPL is SS.DPL in protected mode; update_mode sets it for real and v8086 mode
    s.cpl = (s.seg[SEG_SS].ar & AR_DPL) >> 5
    s.smbase = smbase
    s.nmi_blocked = s.smm_nmi_blocked
    update_mode(s)
    update_breakpoints(s)
    tlb_flush(s, 0)
    s.eip = eip & s.eip_mask
    # auto HALT restart: back into the HLT (its EIP was saved past it), unless the
    # handler cleared the flag to continue after it
    s.halted = (restart >> 16) & 1
    kick(s)
