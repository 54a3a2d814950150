# System instructions (included by cpu/interp.pyx): descriptor-table registers
# (LGDT/LIDT/SGDT/SIDT), LMSW/SMSW, INVLPG, CLTS, INVD/WBINVD, MOV to/from control and
# debug registers, RDMSR/WRMSR, RDTSC, RDPMC, CPUID, SYSENTER/SYSEXIT.
# Intel SDM vol. 2 (instruction pages), vol. 3A ch. 2 (control registers), ch. 4
# (paging, TLB invalidation), ch. 17 (debug registers, TSC), vol. 4 (MSRs).

# ---------------------------------------------------------------------------------
# CPUID: the one place that says what this CPU implements.

cdef enum:
    # CPUID.01H:EDX feature bits (SDM vol. 2A, CPUID, "Feature Information")
    CPUID_FPU = 1 << 0
    CPUID_VME = 1 << 1
    CPUID_DE = 1 << 2
    CPUID_PSE = 1 << 3
    CPUID_TSC = 1 << 4
    CPUID_MSR = 1 << 5
    CPUID_PAE = 1 << 6
    CPUID_MCE = 1 << 7
    CPUID_CX8 = 1 << 8
    CPUID_APIC = 1 << 9
    CPUID_SEP = 1 << 11
    CPUID_MTRR = 1 << 12
    CPUID_PGE = 1 << 13
    CPUID_MCA = 1 << 14
    CPUID_CMOV = 1 << 15
    CPUID_PAT = 1 << 16
    CPUID_PSE36 = 1 << 17
    CPUID_CLFSH = 1 << 19
    CPUID_MMX = 1 << 23
    CPUID_FXSR = 1 << 24
    CPUID_SSE = 1 << 25
    CPUID_SSE2 = 1 << 26
    # CPUID.80000001H:EDX
    CPUID_EXT_NX = 1 << 20

    # What this CPU advertises: exactly what the interpreter implements. Not (yet)
    # implemented, hence absent: VME, MCE, MCA, PSE36. A later feature adds its bit
    # here; CR4 follows (cr4_valid_bits). APIC is added by cpuid_leaf when the platform
    # attached a local APIC.
    CPUID1_EDX = (CPUID_FPU | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE |
                  CPUID_CX8 | CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_CMOV | CPUID_PAT |
                  CPUID_CLFSH | CPUID_MMX | CPUID_FXSR | CPUID_SSE | CPUID_SSE2)
    # CPUID.01H:EBX bits 15:8: the CLFLUSH line size in 8-byte units (64 bytes)
    CPUID1_EBX = 8 << 8
    CPUID_EXT1_EDX = CPUID_EXT_NX          # PAE paging honours XD with EFER.NXE

    # Basic leaves 0-2 like a Pentium III "Coppermine" (leaf 3, the processor serial
    # number, is absent as on parts with it disabled); extended leaves up to the
    # brand string.
    CPUID_MAX_BASIC = 2
    CPUID_MAX_EXT = 0x80000004U

# leaf 2: cache/TLB descriptors of a Coppermine (01 02 03 04: TLBs, 08/0C: 16 KiB L1
# I/D, 82: 256 KiB 8-way L2 with 32-byte lines); AL = 1 means "execute CPUID 2 once"
cdef uint32_t CPUID2_EAX = 0x03020101U
cdef uint32_t CPUID2_EDX = 0x0C040882U
cdef char* CPUID_BRAND = b"pyx86 P6-class CPU"


cdef uint32_t cr4_valid_bits() noexcept nogil:
    """CR4 bits software may set: those whose feature CPUID advertises (SDM 2.5;
    setting any other bit is #GP(0)). PCE goes with RDPMC, which every P6 has."""
    cdef uint32_t m = CR4_PCE
    if CPUID1_EDX & CPUID_VME:
        m |= CR4_VME | CR4_PVI
    if CPUID1_EDX & CPUID_TSC:
        m |= CR4_TSD
    if CPUID1_EDX & CPUID_DE:
        m |= CR4_DE
    if CPUID1_EDX & CPUID_PSE:
        m |= CR4_PSE
    if CPUID1_EDX & CPUID_PAE:
        m |= CR4_PAE
    if CPUID1_EDX & CPUID_MCE:
        m |= CR4_MCE
    if CPUID1_EDX & CPUID_PGE:
        m |= CR4_PGE
    if CPUID1_EDX & CPUID_FXSR:
        m |= CR4_OSFXSR
    if CPUID1_EDX & CPUID_SSE:
        m |= CR4_OSXMMEXCPT
    return m


cdef inline uint32_t brand_dword(int k) noexcept nogil:
    """Dword k (0-11) of the 48-byte NUL-padded brand string."""
    cdef uint32_t v = 0
    cdef int b, n = 0
    while CPUID_BRAND[n]:
        n += 1
    for b in range(4):
        if 4 * k + b < n:
            v |= (<uint32_t><uint8_t>CPUID_BRAND[4 * k + b]) << (8 * b)
    return v


cdef void cpuid_leaf(CPUState* s, uint32_t leaf, uint32_t* eax, uint32_t* ebx,
                     uint32_t* ecx, uint32_t* edx) noexcept nogil:
    cdef int k
    # Intel: a leaf above the highest basic or extended leaf returns the data of the
    # highest basic leaf (SDM vol. 2A, CPUID, "INPUT EAX = 0").
    if (leaf > CPUID_MAX_BASIC and leaf < 0x80000000U) or leaf > CPUID_MAX_EXT:
        leaf = CPUID_MAX_BASIC
    eax[0] = ebx[0] = ecx[0] = edx[0] = 0
    if leaf == 0:
        eax[0] = CPUID_MAX_BASIC
        ebx[0] = 0x756E6547U               # "Genu"
        edx[0] = 0x49656E69U               # "ineI"
        ecx[0] = 0x6C65746EU               # "ntel"
    elif leaf == 1:
        # EBX: brand index 0 (use the brand string), CLFLUSH line size, APIC ID 0
        eax[0] = CPUID_SIGNATURE
        ebx[0] = CPUID1_EBX
        edx[0] = CPUID1_EDX
        # the flag follows IA32_APIC_BASE[11] (SDM vol. 3A, 10.4.3)
        if s.apic_base_out != NULL and s.apic_base & APIC_BASE_ENABLE:
            edx[0] |= CPUID_APIC
    elif leaf == 2:
        eax[0] = CPUID2_EAX
        edx[0] = CPUID2_EDX
    elif leaf == 0x80000000U:
        eax[0] = CPUID_MAX_EXT
    elif leaf == 0x80000001U:
        edx[0] = CPUID_EXT1_EDX
    else:
        k = 4 * (leaf - 0x80000002U)
        eax[0] = brand_dword(k)
        ebx[0] = brand_dword(k + 1)
        ecx[0] = brand_dword(k + 2)
        edx[0] = brand_dword(k + 3)


cdef void op_cpuid(CPUState* s, Insn* i) noexcept nogil:
    if intercepted(s, ICPT_CPUID, s.regs[EAX]):
        return
    cpuid_leaf(s, s.regs[EAX], &s.regs[EAX], &s.regs[EBX], &s.regs[ECX], &s.regs[EDX])


# ---------------------------------------------------------------------------------
# Privilege

cdef inline void require_cpl0(CPUState* s) noexcept nogil:
    """Privileged instructions: #GP(0) unless CPL 0 (virtual-8086 mode runs at CPL 3)."""
    if s.cpl != 0:
        gp(s, 0)


# ---------------------------------------------------------------------------------
# Descriptor-table registers, MSW

cdef void load_dtr(CPUState* s, Insn* i, uint32_t* base, uint32_t* limit) noexcept nogil:
    """LGDT/LIDT: 16-bit limit, then the base; a 16-bit operand size loads 24 bits."""
    cdef uint32_t off, lim, b
    if i.mod == 3:
        ud(s)
    require_cpl0(s)
    off = ea(s, i)
    lim = vrd(s, i.seg, off, 2)
    b = vrd(s, i.seg, (off + 2) & i.amask, 4)
    if i.osize == 2:
        b &= 0xFFFFFF
    base[0] = b
    limit[0] = lim


cdef void store_dtr(CPUState* s, Insn* i, uint32_t base, uint32_t limit) noexcept nogil:
    """SGDT/SIDT (not privileged on P6): with a 16-bit operand size the P6 stores 24
    bits of base and a zero byte (SDM vol. 2B, SGDT, P6-era operation)."""
    cdef uint32_t off, lin_lim, lin_base
    if i.mod == 3:
        ud(s)
    off = ea(s, i)
    lin_lim = seg_check(s, i.seg, off, 2, 1)
    lin_base = seg_check(s, i.seg, (off + 2) & i.amask, 4, 1)
    probe_write(s, lin_lim, 2)
    probe_write(s, lin_base, 4)
    if i.osize == 2:
        base &= 0xFFFFFF
    wr16(s, lin_lim, limit)
    wr32(s, lin_base, base)


cdef void op_sgdt(CPUState* s, Insn* i) noexcept nogil:
    store_dtr(s, i, s.gdt_base, s.gdt_limit)


cdef void op_sidt(CPUState* s, Insn* i) noexcept nogil:
    store_dtr(s, i, s.idt_base, s.idt_limit)


cdef void op_lgdt(CPUState* s, Insn* i) noexcept nogil:
    load_dtr(s, i, &s.gdt_base, &s.gdt_limit)


cdef void op_lidt(CPUState* s, Insn* i) noexcept nogil:
    load_dtr(s, i, &s.idt_base, &s.idt_limit)


cdef void op_smsw(CPUState* s, Insn* i) noexcept nogil:
    """Not privileged. A 32-bit register destination gets all of CR0 (P6 behaviour;
    the SDM calls the upper half undefined); memory always gets 16 bits."""
    if i.mod == 3:
        set_reg(s, i.rm, s.cr0, i.osize)
    else:
        vwr(s, i.seg, ea(s, i), s.cr0 & 0xFFFF, 2)


cdef void op_lmsw(CPUState* s, Insn* i) noexcept nogil:
    """Loads CR0 bits 0-3 (PE MP EM TS); it can set PE but never clear it."""
    cdef uint32_t v
    require_cpl0(s)
    v = rm_read(s, i, 2)
    write_cr0(s, (s.cr0 & ~(<uint32_t>0xE)) | (v & 0xF))


# ---------------------------------------------------------------------------------
# Control registers

cdef enum:
    # CR0 bits that exist; the rest read as zero and ignore writes. ET is hardwired
    # to 1 on P6 (SDM vol. 3A, 2.5).
    CR0_VALID = 0xE005003FU


cdef void write_cr0(CPUState* s, uint32_t v) noexcept nogil:
    """MOV CR0 / LMSW. #GP(0) on PG without PE or NW without CD (SDM vol. 2B, MOV CR).
    Changing PG or WP invalidates every TLB entry, global ones too (SDM 4.10.4.1):
    the cached write permissions of supervisor accesses depend on WP."""
    cdef uint32_t old = s.cr0
    v = (v & CR0_VALID) | CR0_ET
    if (v & CR0_PG) and not (v & CR0_PE):
        gp(s, 0)
    if (v & CR0_NW) and not (v & CR0_CD):
        gp(s, 0)
    s.cr0 = v
    if (old ^ v) & (CR0_PG | CR0_WP):
        tlb_flush(s, 0)
    update_mode(s)


cdef void write_cr4(CPUState* s, uint32_t v) noexcept nogil:
    """MOV CR4: unsupported bits are #GP(0). PSE/PAE/PGE changes flush the whole TLB
    (toggling PGE is the architectural way to drop global entries, SDM 4.10.4.1)."""
    cdef uint32_t old = s.cr4
    if v & ~cr4_valid_bits():
        gp(s, 0)
    s.cr4 = v
    if (old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE):
        tlb_flush(s, 0)
    update_mode(s)
    update_breakpoints(s)                  # CR4.DE enables I/O breakpoints


cdef void write_cr3(CPUState* s, uint32_t v) noexcept nogil:
    """MOV CR3 drops the non-global TLB entries. The PAE PDPTEs are read at walk time
    (see cpu/paging.pxi), so nothing is checked here."""
    s.cr3 = v
    tlb_flush(s, 1)


cdef inline void check_cr_access(CPUState* s, Insn* i) noexcept nogil:
    # CR1 and CR5-CR7 do not exist: #UD, a decode-time fault that ranks above #GP
    if i.reg == 1 or i.reg > 4:
        ud(s)
    require_cpl0(s)


cdef void op_mov_Rd_Cd(CPUState* s, Insn* i) noexcept nogil:
    """MOV r32, CRn (0F 20). Always 32 bits; ModRM.mod is ignored (register form)."""
    cdef uint32_t v
    check_cr_access(s, i)
    if intercepted(s, ICPT_CR_READ, i.reg):
        return
    if i.reg == 0:
        v = s.cr0
    elif i.reg == 2:
        v = s.cr2
    elif i.reg == 3:
        v = s.cr3
    else:
        v = s.cr4
    s.regs[i.rm] = v


cdef void op_mov_Cd_Rd(CPUState* s, Insn* i) noexcept nogil:
    """MOV CRn, r32 (0F 22)."""
    cdef uint32_t v = s.regs[i.rm]
    check_cr_access(s, i)
    if intercepted(s, ICPT_CR_WRITE, i.reg):
        return
    if i.reg == 0:
        write_cr0(s, v)
    elif i.reg == 2:
        s.cr2 = v
    elif i.reg == 3:
        write_cr3(s, v)
    else:
        write_cr4(s, v)


# ---------------------------------------------------------------------------------
# Debug registers (SDM vol. 3A, 17.2); what they make the CPU do is in cpu/debug.pxi.


cdef int dr_index(CPUState* s, Insn* i) noexcept nogil:
    """The debug register a MOV DR names, after the privilege and GD checks. DR4/DR5
    are aliases of DR6/DR7 unless CR4.DE makes them #UD."""
    cdef int n = i.reg
    require_cpl0(s)
    if s.dr[7] & DR7_GD:
        # general detect: #DB (a fault) before the access; the handler may then use
        # the debug registers because GD is cleared on entry (17.2.4)
        s.dr[6] |= DR6_BD
        s.dr[7] &= ~(<uint32_t>DR7_GD)
        raise_exc(s, EXC_DB, 0, 0)
    if n == 4 or n == 5:
        if s.cr4 & CR4_DE:
            ud(s)
        n += 2
    return n


cdef void op_mov_Rd_Dd(CPUState* s, Insn* i) noexcept nogil:
    """MOV r32, DRn (0F 21)."""
    cdef int n = dr_index(s, i)
    if intercepted(s, ICPT_DR_ACCESS, i.reg):
        return
    s.regs[i.rm] = s.dr[n]


cdef void op_mov_Dd_Rd(CPUState* s, Insn* i) noexcept nogil:
    """MOV DRn, r32 (0F 23)."""
    cdef int n = dr_index(s, i)
    cdef uint32_t v = s.regs[i.rm]
    if intercepted(s, ICPT_DR_ACCESS, i.reg | 0x10):
        return
    if n == 6:
        v = (v & DR6_WRITABLE) | DR6_FIXED
    elif n == 7:
        v = (v & DR7_WRITABLE) | DR7_FIXED
    s.dr[n] = v
    if n == 7:
        update_breakpoints(s)


# ---------------------------------------------------------------------------------
# Cache and TLB control

cdef void op_clts(CPUState* s, Insn* i) noexcept nogil:
    require_cpl0(s)
    s.cr0 &= ~(<uint32_t>CR0_TS)


cdef void op_invd(CPUState* s, Insn* i) noexcept nogil:
    require_cpl0(s)                        # no caches are modelled
    intercepted(s, ICPT_INVD, 0)


cdef void op_wbinvd(CPUState* s, Insn* i) noexcept nogil:
    require_cpl0(s)
    intercepted(s, ICPT_WBINVD, 0)


cdef void op_invlpg(CPUState* s, Insn* i) noexcept nogil:
    """INVLPG m: drop the translation of the page holding the linear address, global
    or not. No segment limit check: the instruction never faults on its operand."""
    if i.mod == 3:
        ud(s)
    cdef uint32_t lin
    require_cpl0(s)
    lin = s.seg[i.seg].base + ea(s, i)
    if intercepted(s, ICPT_INVLPG, lin):
        return
    tlb_flush_page(s, lin)


# ---------------------------------------------------------------------------------
# Model-specific registers (SDM vol. 4, "Pentium III" and architectural MSRs)

cdef enum:
    MSR_TSC = 0x10
    MSR_PLATFORM_ID = 0x17
    MSR_APIC_BASE = 0x1B
    MSR_BIOS_SIGN_ID = 0x8B
    MSR_MTRRCAP = 0xFE
    MSR_SYSENTER_CS = 0x174
    MSR_SYSENTER_ESP = 0x175
    MSR_SYSENTER_EIP = 0x176
    MSR_MCG_CAP = 0x179
    MSR_MCG_STATUS = 0x17A
    MSR_MISC_ENABLE = 0x1A0
    MSR_MTRR_PHYS_FIRST = 0x200            # PhysBase0, PhysMask0, ... PhysMask7
    MSR_MTRR_PHYS_LAST = 0x20F
    MSR_MTRR_FIX64K = 0x250
    MSR_MTRR_FIX16K_80000 = 0x258
    MSR_MTRR_FIX16K_A0000 = 0x259
    MSR_MTRR_FIX4K_FIRST = 0x268           # C0000 ... F8000
    MSR_MTRR_FIX4K_LAST = 0x26F
    MSR_PAT = 0x277
    MSR_MTRR_DEF_TYPE = 0x2FF
    MSR_EFER = 0xC0000080U

    EFER_NXE = 0x800
    APIC_BASE_BSP = 0x100
    APIC_BASE_ENABLE = 0x800
    # 8 variable ranges, fixed ranges, write-combining
    MTRRCAP_VALUE = 0x508

# physical addresses are 36 bits wide (MAXPHYADDR with PAE and no leaf 80000008H)
cdef uint64_t PHYS_RSVD = 0xFFFFFFF000000000ULL


cdef inline bint mem_type_ok(uint64_t t, bint pat) noexcept nogil:
    """UC, WC, WT, WP, WB; the PAT also has UC- (7). 2 and 3 are reserved."""
    return t == 0 or t == 1 or (4 <= t <= 6) or (pat and t == 7)


cdef bint mem_types_ok(uint64_t v, bint pat) noexcept nogil:
    """Every byte of a fixed-range MTRR or of the PAT is a valid memory type."""
    cdef int k
    for k in range(8):
        if not mem_type_ok((v >> (8 * k)) & 0xFF, pat):
            return 0
    return 1


cdef int fixed_mtrr_index(uint32_t msr) noexcept nogil:
    """Index into CPUState.mtrr_fixed, or -1."""
    if msr == MSR_MTRR_FIX64K:
        return 0
    if msr == MSR_MTRR_FIX16K_80000:
        return 1
    if msr == MSR_MTRR_FIX16K_A0000:
        return 2
    if MSR_MTRR_FIX4K_FIRST <= msr <= MSR_MTRR_FIX4K_LAST:
        return 3 + <int>(msr - MSR_MTRR_FIX4K_FIRST)
    return -1


cdef inline uint64_t read_tsc(CPUState* s) noexcept nogil:
    """The TSC counts retired instructions, so runs are reproducible."""
    return s.icount + s.tsc_offset


cdef bint msr_read(CPUState* s, uint32_t msr, uint64_t* v) noexcept nogil:
    """Value of an MSR; 0 when it does not exist (the caller raises #GP(0))."""
    cdef int k = fixed_mtrr_index(msr)
    if k >= 0:
        v[0] = s.mtrr_fixed[k]
    elif MSR_MTRR_PHYS_FIRST <= msr <= MSR_MTRR_PHYS_LAST:
        v[0] = s.mtrr_var[msr - MSR_MTRR_PHYS_FIRST]
    elif msr == MSR_TSC:
        v[0] = read_tsc(s)
    elif msr == MSR_APIC_BASE:
        v[0] = s.apic_base
    elif msr == MSR_SYSENTER_CS:
        v[0] = s.sysenter_cs
    elif msr == MSR_SYSENTER_ESP:
        v[0] = s.sysenter_esp
    elif msr == MSR_SYSENTER_EIP:
        v[0] = s.sysenter_eip
    elif msr == MSR_EFER:
        v[0] = s.efer
    elif msr == MSR_PAT:
        v[0] = s.pat
    elif msr == MSR_MISC_ENABLE:
        v[0] = s.misc_enable
    elif msr == MSR_MTRR_DEF_TYPE:
        v[0] = s.mtrr_def_type
    elif msr == MSR_MTRRCAP:
        v[0] = MTRRCAP_VALUE
    elif msr == MSR_PLATFORM_ID or msr == MSR_BIOS_SIGN_ID:
        v[0] = 0                           # platform 0; no microcode update loaded
    elif msr == MSR_MCG_CAP or msr == MSR_MCG_STATUS:
        v[0] = 0                           # no machine-check banks
    else:
        return 0
    return 1


cdef bint msr_write(CPUState* s, uint32_t msr, uint64_t v) noexcept nogil:
    """Write an MSR; 0 when it does not exist, is read-only or v sets reserved bits."""
    cdef int k = fixed_mtrr_index(msr)
    if k >= 0:
        if not mem_types_ok(v, 0):
            return 0
        s.mtrr_fixed[k] = v
    elif MSR_MTRR_PHYS_FIRST <= msr <= MSR_MTRR_PHYS_LAST:
        if msr & 1:
            # PhysMask: bits 10:0 reserved, 11 = valid
            if v & (PHYS_RSVD | 0x7FF):
                return 0
        elif (v & (PHYS_RSVD | 0xF00)) or not mem_type_ok(v & 0xFF, 0):
            return 0
        s.mtrr_var[msr - MSR_MTRR_PHYS_FIRST] = v
    elif msr == MSR_TSC:
        # P6: only the low 32 bits are written, the high half is cleared (SDM 17.17)
        s.tsc_offset = (v & 0xFFFFFFFFU) - s.icount
    elif msr == MSR_APIC_BASE:
        # base 35:12, enable 11; BSP (8) is read-only; the rest is reserved
        if v & (PHYS_RSVD | 0x6FF):
            return 0
        s.apic_base = (v & ~(<uint64_t>APIC_BASE_BSP)) | (s.apic_base & APIC_BASE_BSP)
        if s.apic_base_out != NULL:
            x87_release(s)
            s.apic_base_out(s.io_ctx, s.apic_base)
    elif msr == MSR_SYSENTER_CS:
        s.sysenter_cs = v & 0xFFFFFFFFU    # 32-bit MSRs on IA-32: EDX is ignored
    elif msr == MSR_SYSENTER_ESP:
        s.sysenter_esp = v & 0xFFFFFFFFU
    elif msr == MSR_SYSENTER_EIP:
        s.sysenter_eip = v & 0xFFFFFFFFU
    elif msr == MSR_EFER:
        # only NXE exists (no long mode, no SYSCALL)
        if v & ~(<uint64_t>EFER_NXE):
            return 0
        s.efer = v
        update_mode(s)
    elif msr == MSR_PAT:
        if not mem_types_ok(v, 1):
            return 0
        s.pat = v
    elif msr == MSR_MISC_ENABLE:
        s.misc_enable = v
    elif msr == MSR_MTRR_DEF_TYPE:
        # type 7:0, FE 10, E 11
        if (v & ~(<uint64_t>0xCFF)) or not mem_type_ok(v & 0xFF, 0):
            return 0
        s.mtrr_def_type = v
    elif msr == MSR_BIOS_SIGN_ID:
        pass                               # the microcode-revision query protocol writes 0
    elif msr == MSR_MCG_STATUS:
        return v == 0                      # only 0 may be written (SDM vol. 3B, 15.3.1.2)
    else:
        return 0                           # unknown, or read-only (MTRRcap, MCG_CAP, ...)
    return 1


cdef void op_rdmsr(CPUState* s, Insn* i) noexcept nogil:
    cdef uint64_t v
    require_cpl0(s)
    if intercepted(s, ICPT_RDMSR, s.regs[ECX]):
        return
    if not msr_read(s, s.regs[ECX], &v):
        gp(s, 0)
    s.regs[EAX] = <uint32_t>v
    s.regs[EDX] = <uint32_t>(v >> 32)


cdef void op_wrmsr(CPUState* s, Insn* i) noexcept nogil:
    require_cpl0(s)
    if intercepted(s, ICPT_WRMSR, s.regs[ECX]):
        return
    if not msr_write(s, s.regs[ECX], (<uint64_t>s.regs[EDX] << 32) | s.regs[EAX]):
        gp(s, 0)


cdef void op_rdtsc(CPUState* s, Insn* i) noexcept nogil:
    cdef uint64_t t
    if (s.cr4 & CR4_TSD) and s.cpl != 0:
        gp(s, 0)
    if intercepted(s, ICPT_RDTSC, 0):
        return
    t = read_tsc(s)
    s.regs[EAX] = <uint32_t>t
    s.regs[EDX] = <uint32_t>(t >> 32)


cdef void op_rdpmc(CPUState* s, Insn* i) noexcept nogil:
    """The two P6 performance counters exist but count nothing (they read as 0)."""
    if not (s.cr4 & CR4_PCE) and s.cpl != 0:
        gp(s, 0)
    if s.regs[ECX] > 1:
        gp(s, 0)
    if intercepted(s, ICPT_RDPMC, s.regs[ECX]):
        return
    s.regs[EAX] = 0
    s.regs[EDX] = 0


# ---------------------------------------------------------------------------------
# SYSENTER / SYSEXIT (SDM vol. 2B): flat 4 GiB segments from IA32_SYSENTER_CS, no
# descriptor-table reads.

cdef enum:
    AR_FLAT_CODE = 0xC09B                  # G, D, present, DPL 0, code exec/read accessed
    AR_FLAT_DATA = 0xC093                  # G, B, present, DPL 0, data read/write accessed
    AR_DPL3 = 0x60


cdef void enter_flat(CPUState* s, uint16_t cs, uint32_t dpl_bits, int cpl) noexcept nogil:
    set_seg_cache(s, SEG_CS, cs, 0, 0xFFFFFFFFU, AR_FLAT_CODE | dpl_bits, 1)
    set_seg_cache(s, SEG_SS, <uint16_t>(cs + 8), 0, 0xFFFFFFFFU, AR_FLAT_DATA | dpl_bits, 1)
    s.cpl = cpl
    update_perms(s)
    kick(s)


cdef void op_sysenter(CPUState* s, Insn* i) noexcept nogil:
    cdef uint16_t cs = <uint16_t>(s.sysenter_cs & 0xFFFC)
    if not (s.cr0 & CR0_PE) or cs == 0:
        gp(s, 0)
    s.flags &= ~(<uint32_t>(F_VM | F_IF | F_RF))
    if s.v86:
        update_mode(s)                     # leaving virtual-8086 mode
    enter_flat(s, cs, 0, 0)
    s.regs[ESP] = <uint32_t>s.sysenter_esp
    s.eip = <uint32_t>s.sysenter_eip


cdef void op_sysexit(CPUState* s, Insn* i) noexcept nogil:
    cdef uint16_t cs = <uint16_t>(s.sysenter_cs & 0xFFFC)
    if not (s.cr0 & CR0_PE) or cs == 0 or s.cpl != 0:
        gp(s, 0)
    # CS = SYSENTER_CS + 16, SS = SYSENTER_CS + 24, both with RPL 3
    enter_flat(s, <uint16_t>((cs + 16) | 3), AR_DPL3, 3)
    s.regs[ESP] = s.regs[ECX]
    s.eip = s.regs[EDX]
