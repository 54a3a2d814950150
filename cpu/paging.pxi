# Page-table walks (included by cpu/interp.pyx): 32-bit paging with 4 MiB pages
# (CR4.PSE) and PAE paging with 2 MiB pages and execute-disable (EFER.NXE).
# Intel SDM vol. 3A, 4.3 (32-bit paging), 4.4 (PAE), 4.6 (access rights), 4.7 (#PF).
#
# Decision: PAE PDPTEs are read at walk time instead of being cached at CR3 load, so a
# bad PDPTE gives #PF(RSVD) on use rather than #GP on MOV CR3 (Bochs offers the same).

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

# MAXPHYADDR is 36 (PAE): bits 36-62 of PAE entries are reserved
cdef uint64_t PAE_RSVD_HI = 0x7FFFFFF000000000ULL


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
                        uint8_t* perm_out, uint8_t* glob_out) noexcept nogil:
    """Physical address of the 4 KiB frame mapping lin; sets A/D bits, raises #PF."""
    cdef uint64_t pdpte, pde, pte = 0, frame, pde_addr, pte_addr
    cdef uint32_t pde32, pte32
    cdef bint rw, us, nx = 0, large, dirty
    cdef uint32_t err = pf_code(acc, user, s)
    cdef uint8_t perm
    if not s.pae:
        pde_addr = (s.cr3 & 0xFFFFF000U) | ((lin >> 20) & 0xFFC)
        pde32 = phys_read(s, pde_addr, 4)
        if not (pde32 & PTE_P):
            page_fault(s, lin, err)
        large = (pde32 & PTE_PS) and (s.cr4 & CR4_PSE)
        if large:
            rw = (pde32 & PTE_RW) != 0
            us = (pde32 & PTE_US) != 0
            frame = (pde32 & 0xFFC00000U) | (lin & 0x3FF000)
            dirty = (pde32 & PTE_D) != 0
            glob_out[0] = (pde32 & PTE_G) != 0 and (s.cr4 & CR4_PGE) != 0
        else:
            pte_addr = (pde32 & 0xFFFFF000U) | ((lin >> 10) & 0xFFC)
            pte32 = phys_read(s, pte_addr, 4)
            if not (pte32 & PTE_P):
                page_fault(s, lin, err)
            rw = (pde32 & pte32 & PTE_RW) != 0
            us = (pde32 & pte32 & PTE_US) != 0
            frame = pte32 & 0xFFFFF000U
            dirty = (pte32 & PTE_D) != 0
            glob_out[0] = (pte32 & PTE_G) != 0 and (s.cr4 & CR4_PGE) != 0
        check_access(s, lin, acc, user, rw, us, 0, err)
        # accessed/dirty bits, only once the access is known to be allowed
        if not (pde32 & PTE_A) or (large and acc == 1 and not dirty):
            pde32 |= PTE_A
            if large and acc == 1:
                pde32 |= PTE_D
            phys_write(s, pde_addr, pde32, 4)
        if not large and (not (pte32 & PTE_A) or (acc == 1 and not dirty)):
            pte32 |= PTE_A
            if acc == 1:
                pte32 |= PTE_D
            phys_write(s, pte_addr, pte32, 4)
    else:
        pdpte = phys_read64(s, (s.cr3 & 0xFFFFFFE0U) | ((lin >> 27) & 0x18))
        if not (pdpte & PTE_P):
            page_fault(s, lin, err)
        if (pdpte & (0x1E6 | PAE_RSVD_HI | 0x8000000000000000ULL)):
            page_fault(s, lin, err | PFE_P | PFE_RSVD)
        pde_addr = (pdpte & 0xFFFFFF000ULL) | ((lin >> 18) & 0xFF8)
        pde = phys_read64(s, pde_addr)
        if not (pde & PTE_P):
            page_fault(s, lin, err)
        if (pde & PAE_RSVD_HI) or ((pde >> 63) and not s.nxe):
            page_fault(s, lin, err | PFE_P | PFE_RSVD)
        large = (pde & PTE_PS) != 0
        if large:
            if pde & 0x1FE000:
                page_fault(s, lin, err | PFE_P | PFE_RSVD)
            rw = (pde & PTE_RW) != 0
            us = (pde & PTE_US) != 0
            nx = s.nxe and (pde >> 63)
            frame = (pde & 0xFFFE00000ULL) | (lin & 0x1FF000)
            dirty = (pde & PTE_D) != 0
            glob_out[0] = (pde & PTE_G) != 0 and (s.cr4 & CR4_PGE) != 0
        else:
            pte_addr = (pde & 0xFFFFFF000ULL) | ((lin >> 9) & 0xFF8)
            pte = phys_read64(s, pte_addr)
            if not (pte & PTE_P):
                page_fault(s, lin, err)
            if (pte & PAE_RSVD_HI) or ((pte >> 63) and not s.nxe):
                page_fault(s, lin, err | PFE_P | PFE_RSVD)
            rw = (pde & pte & PTE_RW) != 0
            us = (pde & pte & PTE_US) != 0
            nx = s.nxe and ((pde | pte) >> 63)
            frame = pte & 0xFFFFFF000ULL
            dirty = (pte & PTE_D) != 0
            glob_out[0] = (pte & PTE_G) != 0 and (s.cr4 & CR4_PGE) != 0
        check_access(s, lin, acc, user, rw, us, nx, err)
        if not (pde & PTE_A) or (large and acc == 1 and not dirty):
            pde |= PTE_A
            if large and acc == 1:
                pde |= PTE_D
            phys_write(s, pde_addr, <uint32_t>pde, 4)
        if not large and (not (pte & PTE_A) or (acc == 1 and not dirty)):
            pte |= PTE_A
            if acc == 1:
                pte |= PTE_D
            phys_write(s, pte_addr, <uint32_t>pte, 4)
    if acc == 1:
        dirty = 1
    # what the TLB entry may allow without another walk
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
    return frame


cdef inline uint64_t phys_read64(CPUState* s, uint64_t pa) noexcept nogil:
    return phys_read(s, pa, 4) | (<uint64_t>phys_read(s, pa + 4, 4) << 32)


cdef void check_access(CPUState* s, uint32_t lin, int acc, bint user, bint rw, bint us,
                       bint nx, uint32_t err) noexcept nogil:
    """Intel SDM 4.6: user accesses need U/S; writes need R/W (supervisor: with CR0.WP)."""
    if user and not us:
        page_fault(s, lin, err | PFE_P)
    if acc == 1 and not rw and (user or (s.cr0 & CR0_WP)):
        page_fault(s, lin, err | PFE_P)
    if acc == 2 and nx:
        page_fault(s, lin, err | PFE_P)
