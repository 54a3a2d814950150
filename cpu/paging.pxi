# Page-table walks (included by cpu/interp.pyx): 32-bit paging with 4 MiB pages
# (CR4.PSE) and PAE paging with 2 MiB pages and execute-disable (EFER.NXE).
# Intel SDM vol. 3A, 4.3 (32-bit paging), 4.4 (PAE), 4.6 (access rights), 4.7 (#PF),
# 4.8 (accessed and dirty flags).
#
# Decision: PAE PDPTEs are read at walk time instead of being cached at CR3 load, so a
# bad PDPTE gives #PF(RSVD) on use rather than #GP on MOV CR3 (Bochs offers the same).
# Paging-structure reads and writes are physical accesses, so A20M masks them too.

cdef enum:
    PTE_P = 1
    PTE_RW = 2
    PTE_US = 4
    PTE_A = 0x20
    PTE_D = 0x40
    PTE_PS = 0x80
    PTE_G = 0x100
    PFE_P = 1                 # #PF error code: protection violation (page present)
    PFE_W = 2
    PFE_U = 4
    PFE_RSVD = 8
    PFE_I = 16
    WALK_GLOBAL = 1           # page_walk flags: the translation is global (CR4.PGE, G)
    WALK_LARGE = 2            # it comes from a 4 MiB or 2 MiB page
    # 4 MiB PDE bits 21:13: without PSE-36 they are reserved (SDM 4.3, table 4-4, M = 32)
    PDE4M_RSVD = 0x3FE000

# MAXPHYADDR is 36 (PAE): bits 36-62 of PAE entries are reserved
cdef uint64_t PAE_RSVD_HI = 0x7FFFFFF000000000ULL


cdef inline uint32_t pt_read32(CPUState* s, uint64_t pa) noexcept nogil:
    return phys_read(s, pa & (0xFFFFFFFF00000000ULL | s.a20_mask), 4)


cdef inline uint64_t pt_read64(CPUState* s, uint64_t pa) noexcept nogil:
    return pt_read32(s, pa) | (<uint64_t>pt_read32(s, pa + 4) << 32)


cdef inline void pt_set_bits(CPUState* s, uint64_t pa, uint32_t low) noexcept nogil:
    """Write back the low dword of an entry (A and D live there)."""
    phys_write(s, pa & (0xFFFFFFFF00000000ULL | s.a20_mask), low, 4)


cdef void page_fault(CPUState* s, uint32_t lin, uint32_t err) noexcept nogil:
    s.cr2 = lin
    raise_exc(s, EXC_PF, err, 1)


cdef inline uint32_t pf_code(int acc, bint user, CPUState* s) noexcept nogil:
    cdef uint32_t e = 0
    if acc == 1:
        e |= PFE_W
    if user:
        e |= PFE_U
    if acc == 2 and s.nxe:
        e |= PFE_I
    return e


cdef uint64_t page_walk(CPUState* s, uint32_t lin, int acc, bint user,
                        uint8_t* perm_out, uint8_t* flags_out) noexcept nogil:
    """Physical address of the 4 KiB frame mapping lin; sets A/D bits, raises #PF.

    perm_out gets the P_* rights a TLB entry may grant without another walk,
    flags_out the WALK_* bits."""
    cdef uint64_t pdpte, pde, pte = 0, frame, pde_addr, pte_addr = 0
    cdef bint rw, us, nx = 0, large, dirty, glob
    cdef uint32_t err = pf_code(acc, user, s)
    cdef uint8_t perm
    if not s.pae:
        pde_addr = (s.cr3 & 0xFFFFF000U) | ((lin >> 20) & 0xFFC)
        pde = pt_read32(s, pde_addr)
        if not (pde & PTE_P):
            page_fault(s, lin, err)
        large = (pde & PTE_PS) and (s.cr4 & CR4_PSE)
        if large:
            if pde & PDE4M_RSVD:
                page_fault(s, lin, err | PFE_P | PFE_RSVD)
            frame = (pde & 0xFFC00000U) | (lin & 0x3FF000)
        else:
            pte_addr = (pde & 0xFFFFF000U) | ((lin >> 10) & 0xFFC)
            pte = pt_read32(s, pte_addr)
            if not (pte & PTE_P):
                page_fault(s, lin, err)
            frame = pte & 0xFFFFF000U
    else:
        pdpte = pt_read64(s, (s.cr3 & 0xFFFFFFE0U) | ((lin >> 27) & 0x18))
        if not (pdpte & PTE_P):
            page_fault(s, lin, err)
        # PDPTE bits 2:1, 8:5 and 63:36 are reserved (SDM 4.4.1)
        if pdpte & (0x1E6 | PAE_RSVD_HI | 0x8000000000000000ULL):
            page_fault(s, lin, err | PFE_P | PFE_RSVD)
        pde_addr = (pdpte & 0xFFFFFF000ULL) | ((lin >> 18) & 0xFF8)
        pde = pt_read64(s, pde_addr)
        if not (pde & PTE_P):
            page_fault(s, lin, err)
        if (pde & PAE_RSVD_HI) or ((pde >> 63) and not s.nxe):
            page_fault(s, lin, err | PFE_P | PFE_RSVD)
        large = (pde & PTE_PS) != 0
        if large:
            if pde & 0x1FE000:             # 2 MiB PDE bits 20:13
                page_fault(s, lin, err | PFE_P | PFE_RSVD)
            frame = (pde & 0xFFFE00000ULL) | (lin & 0x1FF000)
        else:
            pte_addr = (pde & 0xFFFFFF000ULL) | ((lin >> 9) & 0xFF8)
            pte = pt_read64(s, pte_addr)
            if not (pte & PTE_P):
                page_fault(s, lin, err)
            if (pte & PAE_RSVD_HI) or ((pte >> 63) and not s.nxe):
                page_fault(s, lin, err | PFE_P | PFE_RSVD)
            frame = pte & 0xFFFFFF000ULL
        nx = s.nxe and ((pde | pte) >> 63)
    # the rights are the AND of R/W and of U/S over the levels used (SDM 4.6)
    if large:
        rw = (pde & PTE_RW) != 0
        us = (pde & PTE_US) != 0
        dirty = (pde & PTE_D) != 0
        glob = (pde & PTE_G) != 0
    else:
        rw = (pde & pte & PTE_RW) != 0
        us = (pde & pte & PTE_US) != 0
        dirty = (pte & PTE_D) != 0
        glob = (pte & PTE_G) != 0
    check_access(s, lin, acc, user, rw, us, nx, err)
    # accessed flags in every entry used, dirty in the final one on a write; only
    # once the access is known to be allowed (SDM 4.8)
    if large:
        if not (pde & PTE_A) or (acc == 1 and not dirty):
            pt_set_bits(s, pde_addr, <uint32_t>pde | PTE_A | (PTE_D if acc == 1 else 0))
    else:
        if not (pde & PTE_A):
            pt_set_bits(s, pde_addr, <uint32_t>pde | PTE_A)
        if not (pte & PTE_A) or (acc == 1 and not dirty):
            pt_set_bits(s, pte_addr, <uint32_t>pte | PTE_A | (PTE_D if acc == 1 else 0))
    if acc == 1:
        dirty = 1
    # a clean page keeps no write right in the TLB, so its first write walks again
    # and sets D
    perm = P_SR
    if rw or not (s.cr0 & CR0_WP):
        perm |= P_SW
    if not nx:
        perm |= P_SX
    if us:
        perm |= P_UR
        if rw:
            perm |= P_UW
        if not nx:
            perm |= P_UX
    if not dirty:
        perm &= ~(P_SW | P_UW)
    perm_out[0] = perm
    flags_out[0] = 0
    if glob and (s.cr4 & CR4_PGE):
        flags_out[0] |= WALK_GLOBAL
    if large:
        flags_out[0] |= WALK_LARGE
    return frame


cdef void check_access(CPUState* s, uint32_t lin, int acc, bint user, bint rw, bint us,
                       bint nx, uint32_t err) noexcept nogil:
    """Intel SDM 4.6: user accesses need U/S; writes need R/W (supervisor: with CR0.WP)."""
    if user and not us:
        page_fault(s, lin, err | PFE_P)
    if acc == 1 and not rw and (user or (s.cr0 & CR0_WP)):
        page_fault(s, lin, err | PFE_P)
    if acc == 2 and nx:
        page_fault(s, lin, err | PFE_P)
