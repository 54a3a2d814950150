; Interrupts and IRET (SDM vol. 3A, 6.12): INT n from ring 3 through a DPL-3
; interrupt gate switches to the TSS stack and clears IF, a trap gate keeps IF, IRET
; returns to ring 3; INT n / INT3 through a DPL-0 gate from ring 3 is #GP with the
; IDT error code; INT3 and INTO are traps; a ring-0 interrupt pushes no stack
; pointer; a 16-bit gate pushes words; CPL > IOPL: CLI faults, POPFD keeps IF and IOPL;
; a handler in conforming code runs at CPL 3 on the ring-3 stack; a gate to code
; of a higher DPL is #GP.
.include "boot.inc"

.equ SEL_CODE_F, 0x40           ; 32-bit code, base 0xF0000, limit 0xFFFF (16-bit gate
                                ; offsets reach the ROM through it)
.equ SEL_CONF, 0x48            ; conforming code, DPL 0, flat
.equ R0_ESP, DATA + 0x00        ; recorded by the ring-0 handlers
.equ R0_EFLAGS, DATA + 0x04
.equ R0_CS, DATA + 0x08
.equ R0_SS, DATA + 0x0C
.equ R0_FRAME, DATA + 0x10      ; 5 dwords
.equ R3_ESP, DATA + 0x40        ; recorded back in ring 3
.equ R3_EFLAGS, DATA + 0x44

.equ IDT40, IDT + 0x40 * 8
.equ IDT41, IDT + 0x41 * 8
.equ IDT42, IDT + 0x42 * 8
.equ IDT44, IDT + 0x44 * 8
.equ IDT45, IDT + 0x45 * 8
.equ IDT46, IDT + 0x46 * 8
.equ IDT3, IDT + 3 * 8
.equ STUB3, exc_stubs + 3 * 16

.code32
main:
    gate IDT40, int_handler, SEL_CODE0, ACC_INT32|ACC_DPL3
    gate IDT41, int_handler, SEL_CODE0, ACC_TRAP32|ACC_DPL3
    gate IDT42, int_handler, SEL_CODE0, ACC_INT32
    desc GDT+SEL_CODE_F, 0xF0000, 0xFFFF, 0x9B, 0x4
    desc GDT+SEL_CONF, 0, 0xFFFFF, 0x9F, 0xC
    gate IDT45, int_handler, SEL_CONF, ACC_INT32|ACC_DPL3
    gate IDT46, int_handler, SEL_CODE3, ACC_INT32

; -- 10: INT 40 from ring 3: interrupt gate, stack switch, IRETD back --------------
    post 0x10
    mov eax, r3_int40
    mov ebx, F_IF|2
    call run_ring3
    expect ebx, 0x5678, "EBX set by the handler"
    expect_mem R0_ESP, STACK0_TOP-20, "handler ESP (TSS0.ESP0 - 5 dwords)"
    expect_mem R0_CS, SEL_CODE0, "handler CS"
    expect_mem R0_SS, SEL_DATA0, "handler SS (TSS0.SS0)"
    expect_mem R0_FRAME, r3_after_int40, "frame EIP"
    expect_mem R0_FRAME+4, CODE3_RPL3, "frame CS"
    expect_mem R0_FRAME+8, F_IF|F_CF|2, "frame EFLAGS"
    expect_mem R0_FRAME+12, STACK3_TOP, "frame ESP"
    expect_mem R0_FRAME+16, DATA3_RPL3, "frame SS"
    ; the gate cleared IF (and TF, NT, RF, VM), arithmetic flags untouched
    expect_mem_bits R0_EFLAGS, 0x3FFFF, F_CF|2, "EFLAGS in an interrupt-gate handler"
    expect_mem R3_ESP, STACK3_TOP, "ring-3 ESP after IRETD"
    expect_mem_bits R3_EFLAGS, F_IF|F_CF, F_IF|F_CF, "ring-3 EFLAGS after IRETD"

; -- 11: INT 41 through a trap gate keeps IF ---------------------------------------
    post 0x11
    mov eax, r3_int41
    mov ebx, F_IF|2
    call run_ring3
    expect_mem_bits R0_EFLAGS, 0x3FFFF, F_IF|2, "EFLAGS in a trap-gate handler"
    expect_mem R0_FRAME, r3_after_int41, "trap gate frame EIP"

; -- 12: INT n and INT3 through DPL-0 gates from ring 3: #GP(vector * 8 + 2) -------
    post 0x12
    on_fault int42_faulted
    mov eax, r3_int42
    mov ebx, 2
    call run_ring3
    fail "INT 42 through a DPL-0 gate from ring 3 did not fault"
int42_faulted:
    expect_fault 13, 0x42*8+2, r3_int42, "INT 42 (gate DPL 0) from ring 3"
    on_fault int3_faulted
    mov eax, r3_int3
    mov ebx, 2
    call run_ring3
    fail "INT3 through a DPL-0 gate from ring 3 did not fault"
int3_faulted:
    expect_fault 13, 3*8+2, r3_int3, "INT3 (gate DPL 0) from ring 3"
    ; with a DPL-3 gate INT3 is a trap: the frame points past it
    gate IDT3, STUB3, SEL_CODE0, ACC_INT32|ACC_DPL3
    on_fault bp_caught
    mov eax, r3_int3
    mov ebx, 2
    call run_ring3
    fail "INT3 through a DPL-3 gate was not delivered"
bp_caught:
    expect_fault 3, -1, r3_int3+1, "INT3 (gate DPL 3)"
    expect_mem caught_esp, STACK0_TOP-20, "INT3 frame position"

; -- 13: INTO: nothing with OF clear, a trap with OF set ----------------------------
    post 0x13
    on_fault into_caught
    xor eax, eax                ; OF = 0
    into
    mov eax, 0x7FFFFFFF
    add eax, 1                  ; OF = 1
into_insn:
    into
into_next:
    fail "INTO with OF set did not trap"
into_caught:
    expect_fault 4, -1, into_next, "INTO"
    expect_mem caught_cs, SEL_CODE0, "INTO frame CS"
    expect_mem caught_esp, STACK_MAIN-12, "INTO frame: no stack switch in ring 0"

; -- 14: a ring-0 INT through a 16-bit interrupt gate pushes FLAGS, CS, IP ----------
    post 0x14
    .equ INT16_TARGET, int16_handler - 0xF0000
    gate IDT44, INT16_TARGET, SEL_CODE_F, 0x86
    jmpf SEL_CODE_F, in_code_f - 0xF0000
in_code_f:
    push 2
    popfd
    mov edx, esp
    int 0x44
after_int44:
    mov ecx, esp
    jmpf SEL_CODE0, back_flat
back_flat:
    sub edx, esi
    expect edx, 6, "16-bit gate: bytes pushed"
    expect_mem_bits R0_FRAME, 0xFFFF, after_int44-0xF0000, "16-bit gate: IP"
    expect_w R0_FRAME+2, SEL_CODE_F, "16-bit gate: CS"
    expect_w R0_FRAME+4, 2, "16-bit gate: FLAGS"
    expect ecx, STACK_MAIN, "ESP after the 16-bit IRET"

; -- 15: CPL 3 > IOPL 0: CLI is #GP(0); POPFD leaves IF and IOPL alone --------------
    post 0x15
    on_fault cli_faulted
    mov eax, r3_cli
    mov ebx, F_IF|2
    call run_ring3
    fail "CLI at CPL 3 with IOPL 0 did not fault"
cli_faulted:
    expect_fault 13, 0, r3_cli, "CLI at CPL 3, IOPL 0"
    mov eax, r3_popfd
    mov ebx, F_IF|2
    call run_ring3
    expect_bits ebx, F_IF|F_IOPL3|F_CF, F_IF|F_CF, "EFLAGS after POPFD at CPL 3, IOPL 0"
    ; IOPL 3: CLI works and POPFD changes IF, but still not IOPL
    mov eax, r3_cli_iopl3
    mov ebx, F_IOPL3|F_IF|2
    call run_ring3
    expect_bits ebx, F_IF|F_IOPL3, F_IOPL3, "EFLAGS after CLI at CPL 3, IOPL 3"
    expect_bits ecx, F_IF|F_IOPL3, F_IF|F_IOPL3, "EFLAGS after POPFD at CPL 3, IOPL 3"
    ; IRETD at CPL 3, IOPL 0 to CPL 3: IF and IOPL of the image are ignored
    mov eax, r3_iretd
    mov ebx, F_IF|2
    call run_ring3
    expect_bits ebx, F_IF|F_IOPL3|F_CF, F_IF|F_CF, "EFLAGS after IRETD at CPL 3, IOPL 0"
    expect ecx, STACK3_TOP, "ESP after a same-level IRETD"

; -- 16: a handler in conforming code: no privilege change, no stack switch ------------
    post 0x16
    mov eax, r3_int45
    mov ebx, 2
    call run_ring3
    expect_mem R0_CS, SEL_CONF|3, "conforming handler CS (CPL stays 3)"
    expect_mem R0_SS, DATA3_RPL3, "conforming handler SS (no switch)"
    expect_mem R0_ESP, STACK3_TOP-12, "conforming handler ESP (3 dwords)"
    expect_mem R0_FRAME, r3_after_int45, "conforming handler frame: EIP"
    expect_mem R0_FRAME+4, CODE3_RPL3, "conforming handler frame: CS"
    expect_mem R3_ESP, STACK3_TOP, "ring-3 ESP after IRETD from conforming code"

; -- 17: a gate to code of a higher DPL than CPL: #GP(selector) -------------------------
    post 0x17
    on_fault dpl_faulted
int46:
    int 0x46
    fail "INT to a DPL-3 handler from ring 0 did not fault"
dpl_faulted:
    expect_fault 13, SEL_CODE3, int46, "interrupt gate to DPL-3 code from ring 0"
    jmp pass

; -- ring 0 handlers -------------------------------------------------------------------
int_handler:                    ; records its state and the frame, returns EBX = 0x5678
    mov dword ptr ss:[R0_ESP], esp
    pushfd
    pop eax
    mov dword ptr ss:[R0_EFLAGS], eax
    mov eax, cs
    mov dword ptr ss:[R0_CS], eax
    mov eax, ss
    mov dword ptr ss:[R0_SS], eax
    xor ecx, ecx
copy_frame:
    mov eax, dword ptr [esp + ecx * 4]
    mov dword ptr ss:[R0_FRAME + ecx * 4], eax
    inc ecx
    cmp ecx, 5
    jb copy_frame
    mov ebx, 0x5678
    iretd

int16_handler:                  ; entered through SEL_CODE_F: 32-bit code, 16-bit frame
    mov esi, esp
    mov eax, dword ptr ss:[esp]
    mov dword ptr ss:[R0_FRAME], eax
    mov eax, dword ptr ss:[esp + 4]
    mov dword ptr ss:[R0_FRAME + 4], eax
    iret                        ; 66 CF: pops IP, CS, FLAGS

; -- ring 3 ---------------------------------------------------------------------------
r3_int40:
    mov ebx, 0x1234
    stc
    int 0x40
r3_after_int40:
    mov dword ptr [R3_ESP], esp
    pushfd
    pop eax
    mov dword ptr [R3_EFLAGS], eax
    int 0x7F

r3_int45:
    int 0x45
r3_after_int45:
    mov dword ptr [R3_ESP], esp
    int 0x7F

r3_int41:
    int 0x41
r3_after_int41:
    int 0x7F

r3_int42:
    int 0x42
    int 0x7F

r3_int3:
    int3
    int 0x7F

r3_cli:
    cli
    int 0x7F

r3_popfd:                       ; try to clear IF and set IOPL 3 (and CF)
    push 0x3001
    popfd
    pushfd
    pop ebx
    int 0x7F

r3_iretd:                       ; same-level IRETD with IF clear and IOPL 3 (and CF)
    push 0x3003
    push32 CODE3_RPL3
    push32 r3_after_iretd
    iretd
r3_after_iretd:
    pushfd
    pop ebx
    mov ecx, esp
    int 0x7F

r3_cli_iopl3:
    cli
    pushfd
    pop ebx
    push32 F_IF|2               ; IOPL 0 and IF in the image
    popfd
    pushfd
    pop ecx
    int 0x7F

.include "lib.inc"
test_name:
    .asciz "interrupts"
