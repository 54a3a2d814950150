; Back to real mode (SDM vol. 3A, 9.9.2) and real-address mode rules: segment
; registers keep the limits protected mode gave them ("unreal" mode, also across a
; real-mode segment load); INT n through the IVT pushes FLAGS, CS, IP and clears IF;
; a word at offset 0xFFFF of a 64 KiB segment is #GP (vector 13 through the IVT, with
; the faulting CS:IP); then protected mode again.
.include "boot.inc"

.equ SEL_CODE16, 0x40           ; 16-bit code, base 0xF0000, limit 0xFFFF
.equ SEL_DATA16, 0x48           ; 16-bit data, base 0, limit 0xFFFF
.equ RM_SP, 0x7C00              ; real-mode stack 0000:7C00
.equ PM_ESP, DATA + 0x00
.equ RM_UNREAL, DATA + 0x04     ; read through DS = 0x1000 with the 4 GiB limit
.equ RM_INT_IP, DATA + 0x08     ; INT 50 frame: IP, CS, FLAGS (words)
.equ RM_INT_CS, DATA + 0x0A
.equ RM_INT_FLAGS, DATA + 0x0C
.equ RM_INT_SP, DATA + 0x0E     ; SP in the handler
.equ RM_INT_IN, DATA + 0x10     ; FLAGS in the handler
.equ RM_GP_IP, DATA + 0x12      ; #GP frame: IP, CS
.equ RM_GP_CS, DATA + 0x14
.equ RM_RESUME, DATA + 0x16     ; where the #GP handler continues
.equ RM_DONE, DATA + 0x18
.equ RM_GP_COUNT, DATA + 0x1A

.equ IVT13, 13 * 4
.equ IVT50, 0x50 * 4
.equ RM_GP, rm_gp - 0xF0000
.equ RM_INT50, rm_int50 - 0xF0000
.equ TO_RM16, to_rm16 - 0xF0000
.equ RM_START, rm_start - 0xF0000
.equ RM_AFTER50, rm_after50 - 0xF0000
.equ RM_GP_INSN, rm_gp_insn - 0xF0000
.equ RM_AFTER_GP, rm_after_gp - 0xF0000

.code32
main:
    post 0x10
    desc GDT+SEL_CODE16, 0xF0000, 0xFFFF, 0x9B, 0
    desc GDT+SEL_DATA16, 0, 0xFFFF, 0x93, 0
    setw IVT13, RM_GP
    setw IVT13+2, 0xF000
    setw IVT50, RM_INT50
    setw IVT50+2, 0xF000
    mov dword ptr [0x200000], 0x12345678
    mov dword ptr [PM_ESP], esp
    lidt [rm_idtr]
    jmpf SEL_CODE16, TO_RM16

.code16
to_rm16:                        ; 16-bit protected mode: 64 KiB limits for SS, ES, GS;
    mov ax, SEL_DATA16          ; DS and FS keep data0's 4 GiB
    mov ss, ax
    mov es, ax
    mov gs, ax
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    .byte 0xEA                  ; JMP F000:rm_start
    .word RM_START, 0xF000
rm_start:
    post 0x11
    xor ax, ax
    mov ss, ax
    mov sp, RM_SP
    mov es, ax
    mov ax, 0x1000              ; DS base 0x10000; the limit stays 4 GiB
    mov ds, ax
    mov esi, 0x1F0000
    mov eax, dword ptr [esi]    ; linear 0x200000
    xor bx, bx
    mov ds, bx
    mov dword ptr [RM_UNREAL], eax
    sti
    int 0x50
rm_after50:
    cli
    post 0x12
    mov word ptr [RM_RESUME], RM_AFTER_GP
rm_gp_insn:
    mov ax, word ptr es:[0xFFFF]
rm_after_gp:
    mov word ptr [RM_DONE], 1
    mov eax, cr0
    or al, 1
    mov cr0, eax
    ljmp32 SEL_CODE0, back_pm

rm_int50:                       ; real-mode interrupt routine for INT 50
    pushf
    pop ax
    mov word ptr [RM_INT_IN], ax
    mov word ptr [RM_INT_SP], sp
    mov bp, sp
    mov ax, word ptr [bp]
    mov word ptr [RM_INT_IP], ax
    mov ax, word ptr [bp + 2]
    mov word ptr [RM_INT_CS], ax
    mov ax, word ptr [bp + 4]
    mov word ptr [RM_INT_FLAGS], ax
    iret

rm_gp:                          ; vector 13 in real mode: record CS:IP, skip ahead
    inc word ptr [RM_GP_COUNT]
    mov bp, sp
    mov ax, word ptr [bp]
    mov word ptr [RM_GP_IP], ax
    mov ax, word ptr [bp + 2]
    mov word ptr [RM_GP_CS], ax
    mov ax, word ptr [RM_RESUME]
    mov word ptr [bp], ax
    iret

.code32
back_pm:
    mov eax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, dword ptr [PM_ESP]
    lidt [ram_idtr]
    post 0x13
    expect_w RM_DONE, 1, "real-mode code ran to the end"
    expect_mem RM_UNREAL, 0x12345678, "unreal mode: DS limit kept across a real-mode load"
    expect_w RM_INT_IP, RM_AFTER50, "INT 50: pushed IP"
    expect_w RM_INT_CS, 0xF000, "INT 50: pushed CS"
    expect_w RM_INT_FLAGS, F_IF|F_ZF|0x4|2, "INT 50: pushed FLAGS (IF, and ZF PF of XOR)"
    expect_w RM_INT_SP, RM_SP-6, "INT 50: SP in the handler"
    expect_w RM_INT_IN, F_ZF|0x4|2, "INT 50: FLAGS in the handler (IF clear)"
    expect_w RM_GP_COUNT, 1, "real-mode #GP count"
    expect_w RM_GP_IP, RM_GP_INSN, "real-mode #GP: IP of the faulting instruction"
    expect_w RM_GP_CS, 0xF000, "real-mode #GP: CS"
    jmp pass

rm_idtr:
    .word 0x3FF
    .long 0

.include "lib.inc"
test_name:
    .asciz "realmode"
