; Call gates and conforming code (SDM vol. 3A, 5.8): CALL from ring 3 through a
; 32-bit call gate to ring 0 with three parameters copied to the new stack and RETF
; back; a conforming segment called from ring 3 runs at CPL 3; a gate whose DPL is
; below CPL, and a gate to a segment that is not present, fault.
.include "boot.inc"

.equ SEL_GATE, 0x40             ; call gate, DPL 3 -> code0:cg_target, 3 parameters
.equ SEL_CONF, 0x48             ; conforming code, DPL 0, flat
.equ SEL_GATE0, 0x50            ; call gate, DPL 0 -> code0:cg_target
.equ SEL_GATE_NP, 0x58          ; call gate, DPL 3 -> SEL_CODE_NP
.equ SEL_CODE_NP, 0x60          ; code, DPL 0, not present

.equ R0_ESP, DATA + 0x00        ; seen by cg_target in ring 0
.equ R0_CS, DATA + 0x04
.equ R0_SS, DATA + 0x08
.equ R0_FRAME, DATA + 0x10      ; 7 dwords from its ESP up
.equ R3_ESP, DATA + 0x40        ; seen by ring 3 after the RETF
.equ R3_EAX, DATA + 0x44
.equ R3_DS, DATA + 0x48
.equ R3_ES, DATA + 0x4C
.equ R3_CS, DATA + 0x50

.code32
main:
    gate GDT+SEL_GATE, cg_target, SEL_CODE0, ACC_CALL32|ACC_DPL3, 3
    desc GDT+SEL_CONF, 0, 0xFFFFF, 0x9F, 0xC
    gate GDT+SEL_GATE0, cg_target, SEL_CODE0, ACC_CALL32, 0
    gate GDT+SEL_GATE_NP, cg_target, SEL_CODE_NP, ACC_CALL32|ACC_DPL3, 0
    desc GDT+SEL_CODE_NP, 0, 0xFFFFF, 0x1B, 0xC

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
    jmp pass

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

; -- ring 3 ---------------------------------------------------------------------------
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
