; MOV SS and POP SS hold back the single-step trap (SDM vol. 3A, 6.8.3): with TF set,
; no #DB comes after them; it comes after the instruction that follows, so a stack
; switch (MOV SS; MOV ESP) is never interrupted half done.
.include "boot.inc"

.equ IDT1, IDT + 8
.equ DB_COUNT, DATA + 0x00      ; traps seen
.equ DB_EIPS, DATA + 0x10       ; their EIPs
.equ NOT_TF, ~F_TF

.code32
main:
    post 0x10
    gate IDT1, db_log_handler, SEL_CODE0, ACC_INT32
    mov eax, SEL_DATA0
    push eax
    pushfd
    or dword ptr [esp], F_TF
    popfd
    nop                         ; trap 1 after this
mov_ss:
    mov ss, ax                  ; no trap after this ...
    nop                         ; ... but after this one
after_mov_ss:
pop_ss:
    .byte 0x17                  ; POP SS (no trap after it)
    nop
after_pop_ss:
    nop                         ; trap 4 clears TF
    expect_mem DB_COUNT, 4, "single-step traps"
    expect_mem DB_EIPS, mov_ss, "trap 1: after the NOP"
    expect_mem DB_EIPS+4, after_mov_ss, "trap 2: after the instruction after MOV SS"
    expect_mem DB_EIPS+8, after_pop_ss, "trap 3: after the instruction after POP SS"
    jmp pass

; #DB: log EIPs; TF stays on until the fourth trap
db_log_handler:
    push eax
    push ecx
    mov ecx, dword ptr ss:[DB_COUNT]
    mov eax, dword ptr [esp + 8]
    mov dword ptr ss:[DB_EIPS + ecx * 4], eax
    inc ecx
    mov dword ptr ss:[DB_COUNT], ecx
    cmp ecx, 4
    jb db_log_done
    and dword ptr [esp + 16], NOT_TF
db_log_done:
    pop ecx
    pop eax
    iretd

.include "lib.inc"
test_name:
    .asciz "movss_trap"
