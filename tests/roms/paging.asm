; Paging (SDM vol. 3A, chapter 4): 4 KiB and 4 MiB (PSE) pages, accessed and dirty
; bits, #PF error codes and CR2 for supervisor and user accesses (not present, read
; only, supervisor page, U/S and R/W combined from PDE and PTE), CR0.WP, a REP STOSD
; that faults part way, a read-modify-write across into a read-only page that changes
; nothing, INVLPG, global pages (INVLPG and a CR4.PGE toggle drop them), the page
; directory mapped as a page table; then PAE with EFER.NXE: execute-disable is a #PF
; with the I/D bit, and with NXE clear the XD bit is reserved (RSVD).
.include "boot.inc"

.equ PD, 0x100000               ; 32-bit paging structures
.equ PT0, 0x101000              ; 4 KiB pages for 0-4 MiB
.equ PT3, 0x102000              ; 0xC00000: PDE supervisor, PTE user
.equ PT4, 0x103000              ; 0x1000000: PDE read-only, PTE writable
.equ PDPT, 0x104000             ; PAE structures
.equ PD_PAE, 0x105000
.equ PT_PAE, 0x106000           ; 4 KiB pages for 2-4 MiB

.equ P_NP, 0x200000             ; not present
.equ P_RO, 0x201000             ; user, read-only
.equ P_SUP, 0x202000            ; supervisor, writable
.equ P_AD, 0x203000             ; user, writable, A and D clear
.equ P_ALIAS, 0x204000          ; maps frame 0x204000, later 0x205000
.equ P_NX, 0x206000             ; PAE: execute-disable
.equ P_X, 0x207000              ; PAE: executable
.equ P_RO2, 0x209000            ; user, read-only, after a writable user page
.equ BIG, 0x400000              ; 4 MiB page -> physical 0x800000
.equ BIG_ALIAS, 0x800000        ; 4 MiB page, identity
.equ LOW_U, 0xC00000            ; via PT3
.equ LOW_RW, 0x1000000          ; via PT4

.equ PTE_NP, PT0 + 0x200 * 4
.equ PTE_RO, PT0 + 0x201 * 4
.equ PTE_SUP, PT0 + 0x202 * 4
.equ PTE_AD, PT0 + 0x203 * 4
.equ PTE_ALIAS, PT0 + 0x204 * 4
.equ PTE_RO2, PT0 + 0x209 * 4
.equ PDE1, PD + 4
.equ PDE2, PD + 8
.equ PDE3, PD + 12
.equ PDE4, PD + 16
.equ PAE_PTE_NP, PT_PAE
.equ PAE_PTE_NX_HI, PT_PAE + 6 * 8 + 4
.equ PD_PAE_1, PD_PAE + 8

.equ CR0_PG, 0x80000000
.equ CR0_WP, 0x10000
.equ CR4_PSE, 0x10
.equ CR4_PGE, 0x80
.equ NOT_CR4_PGE, ~CR4_PGE
.equ PG_G, 0x100
.equ SELF_PD, 0xFFFFF000        ; PD[1023] -> PD: the directory at the top page
.equ SELF_PT0, 0xFFC00000       ; ... and PT0 at the bottom of the top 4 MiB
.equ PD_LAST, PD + 1023 * 4
.equ CR4_PAE, 0x20
.equ MSR_EFER, 0xC0000080
.equ EFER_NXE, 0x800
.equ NOT_CR0_WP, ~CR0_WP
.equ NOT_CR0_PG, ~CR0_PG
.equ NOT_EFER_NXE, ~EFER_NXE
.equ PG_A, 0x20
.equ PG_D, 0x40

.code32
main:
; -- 10: 32-bit paging with 4 KiB and 4 MiB pages ------------------------------------
    post 0x10
    xor eax, eax                ; clear PD, PT0, PT3, PT4
    mov edi, PD
    mov ecx, 4 * 1024
    rep stosd
    mov edi, PT0                ; PT0: identity, present, writable, user
    mov eax, 7
pt0_fill:
    stosd
    add eax, 0x1000
    cmp edi, PT0 + 4096
    jb pt0_fill
    setd PTE_NP, 0
    setd PTE_RO, P_RO|5
    setd PTE_SUP, P_SUP|3
    setd PTE_ALIAS, P_ALIAS|7
    setd PTE_RO2, P_RO2|5
    setd PD, PT0|7
    setd PDE1, BIG_ALIAS|0x87   ; PS: 4 MiB page
    setd PDE2, BIG_ALIAS|0x87
    setd PDE3, PT3|3            ; supervisor
    setd PT3, LOW_U|7
    setd PDE4, PT4|5            ; read-only
    setd PT4, LOW_RW|7
    mov dword ptr [P_ALIAS], 0x1111     ; the two frames P_ALIAS maps, in turn
    mov dword ptr [P_ALIAS + 0x1000], 0x2222
    mov dword ptr [P_RO], 0x0F0F
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp paging_on               ; the code is identity-mapped
paging_on:
    expect_mem P_ALIAS, 0x1111, "read through a 4 KiB page"

; -- 11: accessed and dirty bits ---------------------------------------------------------
    post 0x11
    expect_mem_bits PD, PG_A, PG_A, "PDE 0 accessed"
    expect_mem_bits PTE_AD, PG_A|PG_D, 0, "PTE A/D before any access"
    mov eax, dword ptr [P_AD]
    expect_mem_bits PTE_AD, PG_A|PG_D, PG_A, "PTE A/D after a read"
    mov dword ptr [P_AD], 1
    expect_mem_bits PTE_AD, PG_A|PG_D, PG_A|PG_D, "PTE A/D after a write"

; -- 12: supervisor faults: error code, CR2, EIP, nothing changed -----------------------
    post 0x12
    on_fault np_read_faulted
    mov ebx, 0x1234
np_read:
    mov ebx, dword ptr [P_NP + 0x10]
    fail "read of a not-present page did not fault"
np_read_faulted:
    expect_fault 14, 0, np_read, "supervisor read, not present"
    expect_mem caught_cr2, P_NP+0x10, "CR2 after a read"
    expect ebx, 0x1234, "destination register after the fault"

    on_fault np_write_faulted
np_write:
    mov dword ptr [P_NP + 0x20], 1
    fail "write to a not-present page did not fault"
np_write_faulted:
    expect_fault 14, 2, np_write, "supervisor write, not present"
    expect_mem caught_cr2, P_NP+0x20, "CR2 after a write"

    on_fault np_fetch_faulted
    mov eax, P_NP
    call eax
    fail "fetch from a not-present page did not fault"
np_fetch_faulted:
    expect_fault 14, 0, P_NP, "supervisor fetch, not present (no I/D without NXE)"
    expect_mem caught_cr2, P_NP, "CR2 after a fetch"

    on_fault split_faulted
split_read:
    mov ebx, dword ptr [P_NP - 2]
    fail "read across into a not-present page did not fault"
split_faulted:
    expect_fault 14, 0, split_read, "read across a page boundary"
    expect_mem caught_cr2, P_NP, "CR2 of a page-crossing read: the second page"

    ; REP STOSD into the not-present page: two dwords land, then #PF with ECX and
    ; EDI telling how far it got (the instruction restarts from there)
    on_fault stos_faulted
    mov edi, P_NP - 8
    mov ecx, 4
    mov eax, 0x57057057
stos:
    rep stosd dword ptr es:[edi], eax
    fail "REP STOSD into a not-present page did not fault"
stos_faulted:
    expect_fault 14, 2, stos, "REP STOSD into a not-present page"
    expect ecx, 2, "ECX after the faulting REP STOSD"
    expect edi, P_NP, "EDI after the faulting REP STOSD"
    expect_mem P_NP-8, 0x57057057, "first dword stored"
    expect_mem P_NP-4, 0x57057057, "second dword stored"

; -- 13: user faults (CPL 3): U/S and R/W of PDE and PTE combined ----------------------
    post 0x13
.macro user_fault code, err, eip, cr2, what
    on_fault x\@_faulted
    mov eax, \code
    mov ebx, 2
    call run_ring3
    fail "\what: no fault"
x\@_faulted:
    expect_fault 14, \err, \eip, "\what"
    expect_mem caught_cr2, \cr2, "\what: CR2"
    expect_mem caught_cs, CODE3_RPL3, "\what: CS"
.endm
    user_fault r3_np_read, 4, r3_np_read, P_NP, "user read, not present"
    user_fault r3_ro_write, 7, r3_ro_write, P_RO, "user write, read-only page"
    user_fault r3_sup_read, 5, r3_sup_read, P_SUP, "user read, supervisor page"
    user_fault r3_sup_fetch, 5, P_SUP, P_SUP, "user fetch, supervisor page"
    user_fault r3_pde_u, 5, r3_pde_u, LOW_U, "user read, PDE supervisor and PTE user"
    user_fault r3_pde_rw, 7, r3_pde_rw, LOW_RW, "user write, PDE read-only and PTE writable"
    expect_mem caught_old_esp, STACK3_TOP, "#PF frame: ring-3 ESP"
    mov eax, r3_reads
    mov ebx, 2
    call run_ring3
    expect ebx, 0x0F0F, "user read of a read-only page"
    expect ecx, 0, "user read, PDE read-only and PTE writable"
    ; ADD to a dword whose upper half is in the read-only page: all or nothing
    mov dword ptr [P_RO2 - 4], 0xFFFF0000
    mov dword ptr [P_RO2], 0x0F0F
    user_fault r3_split_add, 7, r3_split_add, P_RO2, "user ADD across into a read-only page"
    expect_mem P_RO2-4, 0xFFFF0000, "the writable half after the faulting ADD"
    expect_mem P_RO2, 0x0F0F, "the read-only half after the faulting ADD"

; -- 14: CR0.WP: supervisor writes to read-only pages --------------------------------------
    post 0x14
    mov dword ptr [P_RO], 0xAAAA
    expect_mem P_RO, 0xAAAA, "supervisor write to a read-only page with WP = 0"
    expect_mem_bits PTE_RO, PG_D, PG_D, "dirty bit of that write"
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    on_fault wp_faulted
wp_write:
    mov dword ptr [P_RO], 0xBBBB
    fail "supervisor write to a read-only page with WP = 1 did not fault"
wp_faulted:
    expect_fault 14, 3, wp_write, "supervisor write, read-only page, WP = 1"
    expect_mem P_RO, 0xAAAA, "the page after the faulting write"
    mov eax, cr0
    and eax, NOT_CR0_WP
    mov cr0, eax

; -- 15: a 4 MiB page ------------------------------------------------------------------------
    post 0x15
    expect_mem_bits PDE1, PG_A|PG_D, 0, "4 MiB PDE A/D before any access"
    mov dword ptr [BIG + 0x123], 0xB16B16
    expect_mem BIG_ALIAS+0x123, 0xB16B16, "4 MiB page maps physical 0x800000"
    expect_mem_bits PDE1, PG_A|PG_D, PG_A|PG_D, "4 MiB PDE A/D after a write"
    expect_mem_bits PDE2, PG_A|PG_D, PG_A, "4 MiB PDE A/D after a read"

; -- 16: INVLPG makes a changed PTE visible ---------------------------------------------------
    post 0x16
    expect_mem P_ALIAS, 0x1111, "P_ALIAS before the remap"
    setd PTE_ALIAS, P_ALIAS+0x1007
    invlpg [P_ALIAS]
    expect_mem P_ALIAS, 0x2222, "P_ALIAS after the remap and INVLPG"
    ; a global page: INVLPG drops it too, and so does turning CR4.PGE off
    mov eax, cr4
    or eax, CR4_PGE
    mov cr4, eax
    setd PTE_ALIAS, P_ALIAS|PG_G|7
    invlpg [P_ALIAS]
    expect_mem P_ALIAS, 0x1111, "global P_ALIAS after INVLPG"
    setd PTE_ALIAS, P_ALIAS+0x1000|PG_G|7
    invlpg [P_ALIAS]
    expect_mem P_ALIAS, 0x2222, "global P_ALIAS remapped, after INVLPG"
    setd PTE_ALIAS, P_ALIAS|PG_G|7
    mov eax, cr4
    and eax, NOT_CR4_PGE
    mov cr4, eax
    expect_mem P_ALIAS, 0x1111, "global P_ALIAS remapped, after clearing CR4.PGE"
    ; the page directory as its own last page table
    setd PD_LAST, PD|3
    expect_mem SELF_PD, PT0|PG_A|7, "PD[0] through the self-map"
    expect_mem SELF_PT0+0x204*4, P_ALIAS|PG_G|PG_A|7, "PT0 entry through the self-map"
    setd PD_LAST, 0
    invlpg [SELF_PD]
    invlpg [SELF_PT0]

; -- 17: PAE with EFER.NXE: execute-disable -----------------------------------------------
    post 0x17
    mov eax, 1
    cpuid
    test edx, 0x40
    jnz have_pae
    fail "CPUID.1:EDX.PAE is clear"
have_pae:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jae have_ext
    fail "CPUID has no leaf 0x80000001"
have_ext:
    mov eax, 0x80000001
    cpuid
    test edx, 0x100000
    jnz have_nx
    fail "CPUID.80000001:EDX.NX is clear"
have_nx:
    mov eax, cr0                ; paging off to change the paging mode
    and eax, NOT_CR0_PG
    mov cr0, eax
    xor eax, eax
    mov edi, PDPT
    mov ecx, 3 * 1024
    rep stosd
    setd PDPT, PD_PAE|1         ; PDPTEs have no R/W or U/S bits
    setd PD_PAE, 0x87           ; 2 MiB page, identity
    setd PD_PAE_1, PT_PAE|7
    mov edi, PT_PAE             ; 2-4 MiB in 4 KiB pages, identity
    mov eax, P_NP|7
pt_pae_fill:
    mov dword ptr [edi], eax
    add eax, 0x1000
    add edi, 8
    cmp edi, PT_PAE + 4096
    jb pt_pae_fill
    setd PAE_PTE_NP, 0
    setd PAE_PTE_NX_HI, 0x80000000      ; XD
    mov byte ptr [P_NX], 0xC3   ; RET in both pages
    mov byte ptr [P_X], 0xC3
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp pae_on
pae_on:
    mov eax, P_X
    call eax
    expect_mem_bits P_NX, 0xFF, 0xC3, "data read from an execute-disable page"
    on_fault nx_faulted
    mov eax, P_NX
    call eax
    fail "fetch from an execute-disable page did not fault"
nx_faulted:
    expect_fault 14, 0x11, P_NX, "supervisor fetch, execute-disable (P, I/D)"
    expect_mem caught_cr2, P_NX, "CR2 of the execute-disable fetch"
    on_fault pae_np_faulted
    mov eax, P_NP
    call eax
    fail "PAE: fetch from a not-present page did not fault"
pae_np_faulted:
    expect_fault 14, 0x10, P_NP, "supervisor fetch, not present (I/D)"
    on_fault pae_np_read_faulted
pae_np_read:
    mov eax, dword ptr [P_NP]
    fail "PAE: read of a not-present page did not fault"
pae_np_read_faulted:
    expect_fault 14, 0, pae_np_read, "PAE: supervisor read, not present"
    user_fault r3_nx_fetch, 0x15, P_NX, P_NX, "user fetch, execute-disable (P, U, I/D)"

; -- 18: with EFER.NXE clear, XD is a reserved bit -------------------------------------------
    post 0x18
    mov ecx, MSR_EFER
    rdmsr
    and eax, NOT_EFER_NXE
    wrmsr
    mov eax, cr3                ; flush the TLB
    mov cr3, eax
    on_fault rsvd_faulted
rsvd_read:
    mov eax, dword ptr [P_NX]
    fail "XD set with NXE clear did not fault"
rsvd_faulted:
    expect_fault 14, 9, rsvd_read, "XD with NXE clear (P, RSVD)"
    mov eax, P_X                ; the other pages still work
    call eax
    jmp pass

r3_np_read:
    mov eax, dword ptr [P_NP]
    int 0x7F
r3_ro_write:
    mov dword ptr [P_RO], eax
    int 0x7F
r3_sup_read:
    mov eax, dword ptr [P_SUP]
    int 0x7F
r3_sup_fetch:
    mov eax, P_SUP
    jmp eax
r3_pde_u:
    mov eax, dword ptr [LOW_U]
    int 0x7F
r3_pde_rw:
    mov dword ptr [LOW_RW], eax
    int 0x7F
r3_reads:
    mov ebx, dword ptr [P_RO]
    mov ecx, dword ptr [LOW_RW]
    int 0x7F
r3_split_add:
    add dword ptr [P_RO2 - 2], 0x10001
    int 0x7F
r3_nx_fetch:
    mov eax, P_NX
    call eax
    int 0x7F

.include "lib.inc"
test_name:
    .asciz "paging"
