; The same workload with paging on: 4 KiB pages identity-mapping the first 16 MiB.
; The WALK block cycles through 2048 pages, so translations keep missing the TLB.
.include "layout.inc"
.include "pm_boot.inc"

.code32
main:
    mov edi, PT0                ; PTEs: frame i, present + writable
    mov eax, 0x003
    mov ecx, 4096
pt_fill:
    stosd
    add eax, 0x1000
    loop pt_fill
    mov edi, PD                 ; PDEs 0-3 -> the 4 tables, the rest not present
    mov eax, PT0 + 3
    mov ecx, 4
pd_fill:
    stosd
    add eax, 0x1000
    loop pd_fill
    xor eax, eax
    mov ecx, 1020
    rep stosd
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp paged                   ; code is identity-mapped, so no far jump is needed
paged:
    mov al, 0x03                ; POST 03: paging on
    out 0x80, al
    call workload
    jmp finish

.include "kernel32.inc"
.include "finish32.inc"
