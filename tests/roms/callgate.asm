; Call gates and conforming code (SDM vol. 3A, 5.8): CALL from ring 3 through a
; 32-bit call gate to ring 0 with three parameters copied to the new stack and RETF
; back; a conforming segment called from ring 3 runs at CPL 3; a gate whose DPL is
; below CPL, and a gate to a segment that is not present, fault. A gate to ring 2
; takes SS2:ESP2 from the TSS and RETF nulls the segment registers ring 3 may not
; use; a ring-1 stack that does not fit is #TS; RETF checks the popped SS; a 16-bit
; call gate pushes words and copies word parameters.
.include "boot.inc"

.equ SEL_GATE, 0x40             ; call gate, DPL 3 -> code0:cg_target, 3 parameters
.equ SEL_CONF, 0x48             ; conforming code, DPL 0, flat
.equ SEL_GATE0, 0x50            ; call gate, DPL 0 -> code0:cg_target
.equ SEL_GATE_NP, 0x58          ; call gate, DPL 3 -> SEL_CODE_NP
.equ SEL_CODE_NP, 0x60          ; code, DPL 0, not present
.equ SEL_CODE2, 0x68            ; code, DPL 2, flat
.equ SEL_DATA2, 0x70            ; data, DPL 2, flat
.equ SEL_GATE2, 0x78            ; call gate, DPL 3 -> SEL_CODE2:cg2_target, 1 parameter
.equ SEL_CODE1, 0x80            ; code, DPL 1, flat
.equ SEL_GATE1, 0x88            ; call gate, DPL 3 -> SEL_CODE1:cg_target
.equ STACK2_TOP, 0x78000        ; TSS0.ESP2 (SS2 = SEL_DATA2 | 2)
.equ SEL_CODE0_F, 0x90          ; code, DPL 0, base 0xF0000, limit 0xFFFF, 32-bit
.equ SEL_CODE3_F, 0x98          ; code, DPL 3, base 0xF0000, limit 0xFFFF, 32-bit
.equ SEL_GATE16, 0xA0           ; 16-bit call gate, DPL 3 -> SEL_CODE0_F, 2 words
.equ STACK3_LOW, 0xFFF0         ; a ring-3 stack a 16-bit SP can hold
.equ CG16_TARGET, cg16_target - 0xF0000
.equ R3_F_ENTRY, r3_gate16_call - 0xF0000
.equ R3_F_AFTER, r3_after_gate16 - 0xF0000
.equ R16_ESP, DATA + 0xA0       ; seen by cg16_target
.equ R16_FRAME, DATA + 0xA4     ; 6 words from its SP up
.equ R16_BACK_ESP, DATA + 0xB0  ; ring 3 after the 16-bit RETF

.equ R0_ESP, DATA + 0x00        ; seen by cg_target in ring 0
.equ R0_CS, DATA + 0x04
.equ R0_SS, DATA + 0x08
.equ R0_FRAME, DATA + 0x10      ; 7 dwords from its ESP up
.equ R3_ESP, DATA + 0x40        ; seen by ring 3 after the RETF
.equ R3_EAX, DATA + 0x44
.equ R3_DS, DATA + 0x48
.equ R3_ES, DATA + 0x4C
.equ R3_CS, DATA + 0x50
.equ R2_ESP, DATA + 0x60        ; seen by cg2_target in ring 2
.equ R2_CS, DATA + 0x64
.equ R2_SS, DATA + 0x68
.equ R2_FRAME, DATA + 0x70      ; 5 dwords
.equ R3_FS, DATA + 0x90         ; seen by ring 3 after the RETF from ring 2
.equ R3_GS, DATA + 0x94

.code32
main:
    gate GDT+SEL_GATE, cg_target, SEL_CODE0, ACC_CALL32|ACC_DPL3, 3
    desc GDT+SEL_CONF, 0, 0xFFFFF, 0x9F, 0xC
    gate GDT+SEL_GATE0, cg_target, SEL_CODE0, ACC_CALL32, 0
    gate GDT+SEL_GATE_NP, cg_target, SEL_CODE_NP, ACC_CALL32|ACC_DPL3, 0
    desc GDT+SEL_CODE_NP, 0, 0xFFFFF, 0x1B, 0xC
    desc GDT+SEL_CODE2, 0, 0xFFFFF, 0xDB, 0xC
    desc GDT+SEL_DATA2, 0, 0xFFFFF, 0xD3, 0xC
    gate GDT+SEL_GATE2, cg2_target, SEL_CODE2, ACC_CALL32|ACC_DPL3, 1
    desc GDT+SEL_CODE1, 0, 0xFFFFF, 0xBB, 0xC
    gate GDT+SEL_GATE1, cg_target, SEL_CODE1, ACC_CALL32|ACC_DPL3, 0
    setd TSS0+TSS_ESP1, 0x77000
    setd TSS0+TSS_SS1, DATA3_RPL3   ; unusable at ring 1
    setd TSS0+TSS_ESP2, STACK2_TOP
    setd TSS0+TSS_SS2, SEL_DATA2|2
    desc GDT+SEL_CODE0_F, 0xF0000, 0xFFFF, 0x9B, 0x4
    desc GDT+SEL_CODE3_F, 0xF0000, 0xFFFF, 0xFB, 0x4
    gate GDT+SEL_GATE16, CG16_TARGET, SEL_CODE0_F, ACC_CALL16|ACC_DPL3, 2

; -- 10: ring 3 -> call gate -> ring 0 -> RETF 12 -> ring 3 ------------------------
    post 0x10
    mov eax, r3_gate_call
    mov ebx, 0x2
    call run_ring3
    ; the ring-0 side: stack from TSS0 (SS0:ESP0), then caller's SS, ESP, the
    ; parameters in the caller's order, CS, EIP (SDM vol. 3A, figure 5-13)
    expect_mem R0_ESP, STACK0_TOP-28, "ring-0 ESP"
    expect_mem R0_CS, SEL_CODE0, "ring-0 CS"
    expect_mem R0_SS, SEL_DATA0, "ring-0 SS"
    expect_mem R0_FRAME, r3_after_gate, "frame: return EIP"
    expect_mem R0_FRAME+4, CODE3_RPL3, "frame: return CS"
    expect_mem R0_FRAME+8, 0xC3, "frame: parameter 3"
    expect_mem R0_FRAME+12, 0xB2, "frame: parameter 2"
    expect_mem R0_FRAME+16, 0xA1, "frame: parameter 1"
    expect_mem R0_FRAME+20, STACK3_TOP-12, "frame: caller ESP"
    expect_mem R0_FRAME+24, DATA3_RPL3, "frame: caller SS"
    ; back in ring 3: RETF 12 released the parameters on both stacks; DS (DPL 0,
    ; loaded by the ring-0 code) was nulled on the way out, ES (DPL 3) kept
    expect_mem R3_ESP, STACK3_TOP, "ring-3 ESP after RETF 12"
    expect_mem R3_EAX, 0x600DF00D, "EAX from ring 0"
    expect_mem R3_DS, 0, "DS after RETF to ring 3"
    expect_mem R3_ES, DATA3_RPL3, "ES after RETF to ring 3"
    expect_mem R3_CS, CODE3_RPL3, "CS after RETF"

; -- 11: conforming code called from ring 3 keeps CPL 3 ---------------------------
    post 0x11
    mov eax, r3_conf_call
    mov ebx, 0x2
    call run_ring3
    expect ebx, SEL_CONF|3, "CS in conforming code (RPL = CPL 3)"
    expect ecx, STACK3_TOP-8, "ESP in conforming code (same stack)"
    expect edx, DATA3_RPL3, "SS in conforming code"
    expect esi, CODE3_RPL3, "CS after RETF from conforming code"

; -- 12: faults: gate DPL < CPL, nonconforming ring-0 code, target not present ----
    post 0x12
    on_fault gate0_faulted
    mov eax, r3_gate0_call
    mov ebx, 0x2
    call run_ring3
    fail "CALL through a DPL-0 gate from ring 3 did not fault"
gate0_faulted:
    expect_fault 13, SEL_GATE0, r3_gate0_call, "gate DPL 0 from CPL 3"
    expect_mem caught_cs, CODE3_RPL3, "gate DPL 0 from CPL 3: CS"

    on_fault code0_faulted
    mov eax, r3_jmp_code0
    mov ebx, 0x2
    call run_ring3
    fail "JMP from ring 3 to ring-0 code did not fault"
code0_faulted:
    expect_fault 13, SEL_CODE0, r3_jmp_code0, "JMP to nonconforming ring-0 code"

    on_fault np_faulted
    mov eax, r3_gate_np_call
    mov ebx, 0x2
    call run_ring3
    fail "call gate to a not-present segment did not fault"
np_faulted:
    expect_fault 11, SEL_CODE_NP, r3_gate_np_call, "gate to a not-present segment"

; -- 13: ring 3 -> ring 2: the stack from SS2:ESP2; RETF nulls DS and GS (DPL 2) ------
    post 0x13
    mov eax, r3_gate2_call
    mov ebx, 0x2
    call run_ring3
    expect_mem R2_CS, SEL_CODE2|2, "ring-2 CS"
    expect_mem R2_SS, SEL_DATA2|2, "ring-2 SS (TSS0.SS2)"
    expect_mem R2_ESP, STACK2_TOP-20, "ring-2 ESP (TSS0.ESP2 - 5 dwords)"
    expect_mem R2_FRAME, r3_after_gate2, "ring-2 frame: EIP"
    expect_mem R2_FRAME+4, CODE3_RPL3, "ring-2 frame: CS"
    expect_mem R2_FRAME+8, 0xD2, "ring-2 frame: parameter"
    expect_mem R2_FRAME+12, STACK3_TOP-4, "ring-2 frame: ESP"
    expect_mem R2_FRAME+16, DATA3_RPL3, "ring-2 frame: SS"
    expect_mem R3_ESP, STACK3_TOP, "ring-3 ESP after RETF 4 from ring 2"
    expect_mem R3_DS, 0, "DS (DPL 2) after RETF to ring 3"
    expect_mem R3_FS, DATA3_RPL3, "FS (DPL 3) after RETF to ring 3"
    expect_mem R3_GS, 0, "GS (DPL 2) after RETF to ring 3"

; -- 14: a ring-1 stack whose selector does not fit ring 1: #TS(SS1) ---------------------
    post 0x14
    on_fault ts_faulted
    mov eax, r3_gate1_call
    mov ebx, 0x2
    call run_ring3
    fail "call gate to ring 1 with SS1 of RPL 3 did not fault"
ts_faulted:
    expect_fault 10, SEL_DATA3, r3_gate1_call, "ring-1 stack with RPL 3: #TS"
    expect_mem caught_cs, CODE3_RPL3, "#TS frame: CS"

; -- 15: RETF to ring 3 with an SS whose RPL is not 3: #GP(SS) ---------------------------
    post 0x15
    on_fault retf_faulted
    push32 SEL_DATA3|2
    push32 STACK3_TOP
    push32 CODE3_RPL3
    push32 r3_gate0_call
retf_bad_ss:
    retf
    fail "RETF with SS RPL 2 to CS RPL 3 did not fault"
retf_faulted:
    expect_fault 13, SEL_DATA3, retf_bad_ss, "RETF to ring 3 with SS RPL 2"
    expect_mem caught_cs, SEL_CODE0, "RETF fault: still in ring 0"

; -- 16: a 16-bit call gate: IP, CS, word parameters, SP, SS as words ----------------
    post 0x16
    call enter_ring3_f
    expect_mem R16_ESP, STACK0_TOP-12, "16-bit gate: ring-0 ESP (6 words pushed)"
    expect_w R16_FRAME, R3_F_AFTER, "16-bit gate frame: IP"
    expect_w R16_FRAME+2, SEL_CODE3_F|3, "16-bit gate frame: CS"
    expect_w R16_FRAME+4, 0x2222, "16-bit gate frame: parameter 2"
    expect_w R16_FRAME+6, 0x1111, "16-bit gate frame: parameter 1"
    expect_w R16_FRAME+8, STACK3_LOW-4, "16-bit gate frame: SP"
    expect_w R16_FRAME+10, DATA3_RPL3, "16-bit gate frame: SS"
    expect_mem R16_BACK_ESP, STACK3_LOW, "ring-3 ESP after the 16-bit RETF 4"
    jmp pass

enter_ring3_f:                  ; run_ring3 for SEL_CODE3_F:r3_gate16_call, ESP 0xFFF0
    mov dword ptr [ring3_esp], esp
    mov eax, DATA3_RPL3
    mov ds, ax
    mov es, ax
    push32 DATA3_RPL3
    push32 STACK3_LOW
    push 2
    push32 SEL_CODE3_F|3
    push32 R3_F_ENTRY
    iretd

; -- ring 0: the call gate's target --------------------------------------------------
cg_target:
    mov dword ptr ss:[R0_ESP], esp
    mov eax, cs
    mov dword ptr ss:[R0_CS], eax
    mov eax, ss
    mov dword ptr ss:[R0_SS], eax
    xor ecx, ecx
cg_copy:
    mov eax, dword ptr [esp + ecx * 4]
    mov dword ptr ss:[R0_FRAME + ecx * 4], eax
    inc ecx
    cmp ecx, 7
    jb cg_copy
    mov eax, SEL_DATA0
    mov ds, ax
    mov eax, 0x600DF00D
    retf 12

; -- ring 0 through the 16-bit gate (CS base 0xF0000) -----------------------------------
cg16_target:
    mov dword ptr ss:[R16_ESP], esp
    mov eax, dword ptr [esp]
    mov dword ptr ss:[R16_FRAME], eax
    mov eax, dword ptr [esp + 4]
    mov dword ptr ss:[R16_FRAME + 4], eax
    mov eax, dword ptr [esp + 8]
    mov dword ptr ss:[R16_FRAME + 8], eax
    .byte 0x66, 0xCA, 0x04, 0x00    ; RETF 4 with 16-bit operands

; -- ring 2: the gate's target --------------------------------------------------------
cg2_target:
    mov dword ptr ss:[R2_ESP], esp
    mov eax, cs
    mov dword ptr ss:[R2_CS], eax
    mov eax, ss
    mov dword ptr ss:[R2_SS], eax
    xor ecx, ecx
cg2_copy:
    mov eax, dword ptr [esp + ecx * 4]
    mov dword ptr ss:[R2_FRAME + ecx * 4], eax
    inc ecx
    cmp ecx, 5
    jb cg2_copy
    mov eax, SEL_DATA2|2
    mov ds, ax
    mov gs, ax
    mov eax, DATA3_RPL3
    mov fs, ax
    retf 4

; -- ring 3 ---------------------------------------------------------------------------
r3_gate2_call:
    push 0xD2
    callf SEL_GATE2|3, 0
r3_after_gate2:
    mov dword ptr ss:[R3_ESP], esp
    mov eax, ds
    mov dword ptr ss:[R3_DS], eax
    mov eax, fs
    mov dword ptr ss:[R3_FS], eax
    mov eax, gs
    mov dword ptr ss:[R3_GS], eax
    int 0x7F
r3_gate16_call:                 ; ring 3 in SEL_CODE3_F (base 0xF0000): offsets < 64 KiB
    .byte 0x66, 0x68            ; PUSH word 0x1111
    .word 0x1111
    .byte 0x66, 0x68            ; PUSH word 0x2222
    .word 0x2222
    callf SEL_GATE16|3, 0
r3_after_gate16:
    mov dword ptr ss:[R16_BACK_ESP], esp
    int 0x7F

r3_gate1_call:
    callf SEL_GATE1|3, 0
    int 0x7F

r3_gate_call:
    push 0xA1
    push 0xB2
    push 0xC3
    mov eax, 0x11111111
    callf SEL_GATE|3, 0         ; the offset is ignored: the gate supplies it
r3_after_gate:
    mov dword ptr ss:[R3_ESP], esp
    mov dword ptr ss:[R3_EAX], eax
    mov eax, ds
    mov dword ptr ss:[R3_DS], eax
    mov eax, es
    mov dword ptr ss:[R3_ES], eax
    mov eax, cs
    mov dword ptr ss:[R3_CS], eax
    int 0x7F

r3_conf_call:
    callf SEL_CONF|3, conf_target
    mov esi, cs
    int 0x7F
conf_target:
    mov ebx, cs
    mov ecx, esp
    mov edx, ss
    retf

r3_gate0_call:
    callf SEL_GATE0|3, 0
    int 0x7F
r3_jmp_code0:
    jmpf SEL_CODE0, 0
r3_gate_np_call:
    callf SEL_GATE_NP|3, 0
    int 0x7F

.include "lib.inc"
test_name:
    .asciz "callgate"
