; The I/O permission bitmap (SDM vol. 1, 19.5): at CPL 3 with IOPL 0 every port of an
; access needs its bit clear, bits beyond the TSS limit count as set; CPL <= IOPL
; skips the bitmap; in v8086 mode the bitmap applies whatever IOPL is. Ring 3 writes
; POST code 33 through the bitmap.
.include "boot.inc"

.equ SEL_TSS_IO, 0x40           ; TSS0 again, with a limit that covers a bitmap
.equ IOMAP, 0x68
.equ BITMAP, TSS0 + IOMAP       ; ports 0-0x3FF, then an all-ones byte
.equ TSS_IO_LIMIT, IOMAP + 0x80
.equ V86_CS, 0xF000
.equ BUF, DATA + 0x100

.code32
main:
    mov edi, BITMAP             ; all ports denied ...
    mov ecx, 0x81
    mov al, 0xFF
    rep stosb byte ptr es:[edi], al
    and byte ptr [BITMAP + 0x80 / 8], 0xFE          ; ... but 0x80,
    and byte ptr [BITMAP + 0xE9 / 8], 0xFD          ; 0xE9 (0xEA stays denied)
    mov byte ptr [BITMAP + 0x3F8 / 8], 0            ; and 0x3F8-0x3FF
    mov dx, 0x3FF               ; COM1's scratch register: what ring 3 must read back
    mov al, 0x5A
    out dx, al
    setw TSS0+TSS_IOMAP, IOMAP
    desc GDT+SEL_TSS_IO, TSS0, TSS_IO_LIMIT, ACC_TSS32, 0
    mov eax, SEL_TSS_IO         ; LTR caches the limit
    ltr ax

; -- 10: allowed ports at CPL 3, IOPL 0 ------------------------------------------------
    post 0x10
    mov eax, r3_allowed
    mov ebx, 2
    call run_ring3
    expect ebx, 0xE9, "IN AL, 0xE9 at CPL 3"
    expect esi, 0x5A, "IN AL, DX with DX = 0x3FF (COM1 scratch) at CPL 3"
    expect_mem BUF, 0x00E9E9E9, "REP INSB from 0xE9 at CPL 3"

; -- 11: denied: a clear bit is not enough for every byte of the access ----------------
    post 0x11
.macro denied code, insn, what
    on_fault x\@_caught
    mov eax, \code
    mov ebx, 2
    call run_ring3
    fail "\what: no fault"
x\@_caught:
    expect_fault 13, 0, \insn, "\what"
.endm
    denied r3_in_ea, r3_in_ea, "IN AL, 0xEA (bit set)"
    denied r3_in_ax_e9, r3_in_ax_e9, "IN AX, 0xE9 (0xEA's bit set)"
    denied r3_out_81, r3_out_81, "OUT 0x81, AL"
    denied r3_in_ax_3ff, r3_in_ax_3ff_insn, "IN AX, DX with DX = 0x3FF (0x400 is past the bitmap)"
    denied r3_in_400, r3_in_400_insn, "IN AL, DX with DX = 0x400 (the all-ones byte)"
    denied r3_in_800, r3_in_800_insn, "IN AL, DX with DX = 0x800 (beyond the TSS limit)"
    denied r3_outsb, r3_outsb_insn, "OUTSB to 0xEA"

; -- 12: CPL <= IOPL: no bitmap ---------------------------------------------------------------
    post 0x12
    mov eax, r3_in_ea
    mov ebx, F_IOPL3|2
    call run_ring3
    expect ebx, 0xFF, "IN AL, 0xEA at CPL 3, IOPL 3"
    in al, 0xEA                 ; CPL 0, IOPL 0
    movzx eax, al
    expect eax, 0xFF, "IN AL, 0xEA at CPL 0"

; -- 13: v8086 mode with IOPL 3 still uses the bitmap --------------------------------------
    post 0x13
    on_fault v86_caught
    push32 0
    push32 0
    push32 0
    push32 0
    push32 0x2000
    push32 0x1000
    push32 F_VM|F_IOPL3|2
    push32 V86_CS
    .equ V86_IP, v86_code - 0xF0000
    push32 V86_IP
    xor ebx, ebx
    iretd
v86_caught:
    .equ V86_DENIED, v86_denied - 0xF0000
    expect ebx, 0xE9, "v8086: IN AL, 0xE9"
    expect_fault 13, 0, V86_DENIED, "v8086 with IOPL 3: IN AL, 0xEA"
    expect_mem_bits caught_eflags, F_VM, F_VM, "v8086: VM in the #GP frame"
    jmp pass

; -- ring 3 --------------------------------------------------------------------------------
r3_allowed:
    mov al, 0x33
    out 0x80, al
    in al, 0xE9
    movzx ebx, al
    mov dx, 0x3FF
    in al, dx
    movzx esi, al
    mov dx, 0xE9
    mov edi, BUF
    mov ecx, 3
    rep insb byte ptr es:[edi], dx
    int 0x7F
r3_in_ea:
    in al, 0xEA
    movzx ebx, al
    int 0x7F
r3_in_ax_e9:
    in ax, 0xE9
    int 0x7F
r3_out_81:
    out 0x81, al
    int 0x7F
r3_in_ax_3ff:
    mov dx, 0x3FF
r3_in_ax_3ff_insn:
    in ax, dx
    int 0x7F
r3_in_400:
    mov dx, 0x400
r3_in_400_insn:
    in al, dx
    int 0x7F
r3_in_800:
    mov dx, 0x800
r3_in_800_insn:
    in al, dx
    int 0x7F
r3_outsb:
    mov dx, 0xEA
    mov esi, BUF
r3_outsb_insn:
    outsb dx, byte ptr [esi]
    int 0x7F

.code16
v86_code:
    in al, 0xE9
    mov bl, al
v86_denied:
    in al, 0xEA
    hlt

.code32
.include "lib.inc"
test_name:
    .asciz "iobitmap"
