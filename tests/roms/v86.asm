; Virtual-8086 mode (SDM vol. 3A, chapter 20): enter by IRETD with VM set, run
; real-mode code (segment arithmetic, a 64 KiB limit), INT n with IOPL 3 through a
; DPL-3 gate to a ring-0 handler that reflects it into the real-mode IVT, INT3 is not
; IOPL-sensitive; with IOPL 0, CLI/STI/INT n/IRET/PUSHF are #GP(0) and a ring-0
; monitor emulates them; HLT (CPL 3) is #GP and ends each session; LAR is #UD;
; IRETD in v8086 mode keeps VM and IOPL; a gate to non-ring-0 code is #GP(selector).
.include "boot.inc"

.equ V86_SS, 0x2000             ; linear 0x20000, SP 0x1000
.equ V86_SP, 0x1000
.equ V86_DS, 0x2100             ; linear 0x21000
.equ V86_ES, 0x2200
.equ V86_FS, 0x2300
.equ V86_GS, 0x2400
.equ V86_CS, 0xF000             ; the v8086 code runs from the ROM's alias below 1 MiB
.equ VDS, V86_DS * 16           ; linear address of the v8086 DS
.equ IVT30, 0x30 * 4
.equ IVT31, 0x31 * 4
.equ IDT3, IDT + 3 * 8
.equ IDT13, IDT + 13 * 8
.equ IDT30, IDT + 0x30 * 8
.equ IDT32, IDT + 0x32 * 8
.equ STUB13, exc_stubs + 13 * 16

.equ VIF, DATA + 0x00           ; the monitor's virtual IF (0 or F_IF)
.equ V86_RET_ESP, DATA + 0x04   ; enter_v86's stack, for the way back
.equ MON_COUNT, DATA + 0x08     ; #GPs the monitor emulated or ended a session with
.equ MON_ERRS, DATA + 0x0C      ; their error codes ORed
.equ MON_OPS, DATA + 0x10       ; opcode bytes, in order (16)
.equ MON_IPS, DATA + 0x20       ; their IPs, words (16)
.equ H30_FRAME, DATA + 0x40     ; INT 30 handler: 9 frame dwords,
.equ H30_ESP, DATA + 0x64       ; its ESP,
.equ H30_SEGS, DATA + 0x68      ; DS ES FS GS in the handler,
.equ H30_EFLAGS, DATA + 0x78    ; its EFLAGS
.equ BP_FRAME, DATA + 0x80      ; #BP handler: EIP CS EFLAGS

.code32
main:
    gate IDT30, int30_handler, SEL_CODE0, ACC_INT32|ACC_DPL3
    gate IDT3, bp_handler, SEL_CODE0, ACC_INT32|ACC_DPL3
    gate IDT13, monitor, SEL_CODE0, ACC_INT32
    gate IDT32, int30_handler, SEL_CODE3, ACC_INT32|ACC_DPL3
    .equ ISR30, isr30 - 0xF0000
    .equ ISR31, isr31 - 0xF0000
    setw IVT30, ISR30           ; real-mode IVT at linear 0
    setw IVT30+2, V86_CS
    setw IVT31, ISR31
    setw IVT31+2, V86_CS

; -- 10: IOPL 3: INT 30 to ring 0 (reflected to the IVT), INT3, 64 KiB limit, HLT -----
    post 0x10
    on_fault_iret v86a_after_big_ip
    mov eax, v86a - 0xF0000
    mov ebx, F_IOPL3|2
    call enter_v86
    ; the INT 30 frame in ring 0: EIP CS EFLAGS ESP SS ES DS FS GS, on the TSS stack
    .equ V86A_AFTER30, v86a_after30 - 0xF0000
    expect_mem H30_FRAME, V86A_AFTER30, "INT 30 frame: EIP"
    expect_mem H30_FRAME+4, V86_CS, "INT 30 frame: CS"
    expect_mem_bits H30_FRAME+8, F_VM|F_IOPL3|F_IF, F_VM|F_IOPL3, "INT 30 frame: EFLAGS"
    expect_mem H30_FRAME+12, V86_SP, "INT 30 frame: ESP"
    expect_mem H30_FRAME+16, V86_SS, "INT 30 frame: SS"
    expect_mem H30_FRAME+20, V86_GS, "INT 30 frame: ES (set by the v8086 code)"
    expect_mem H30_FRAME+24, V86_DS, "INT 30 frame: DS"
    expect_mem H30_FRAME+28, V86_FS, "INT 30 frame: FS"
    expect_mem H30_FRAME+32, V86_GS, "INT 30 frame: GS"
    expect_mem H30_ESP, STACK0_TOP-36, "INT 30 handler ESP"
    expect_mem H30_SEGS, 0, "INT 30 handler: DS nulled"
    expect_mem H30_SEGS+4, 0, "INT 30 handler: ES nulled"
    expect_mem H30_SEGS+8, 0, "INT 30 handler: FS nulled"
    expect_mem H30_SEGS+12, 0, "INT 30 handler: GS nulled"
    expect_mem_bits H30_EFLAGS, F_VM|F_IF|F_TF|F_NT, 0, "INT 30 handler EFLAGS"
    ; what the v8086 code and its interrupt routine stored
    expect_w VDS+0x10, 0x1234, "v8086 store through DS"
    expect_w VDS+0x12, V86_DS, "v8086 MOV AX, DS"
    expect_w V86_GS*16, 0xBEEF, "v8086 store through ES = 0x2400"
    expect_w VDS+0x14, 0x3030, "CX from the reflected interrupt routine"
    expect_w VDS+0x16, V86_SP, "SP after the v8086 IRET"
    expect_w VDS+0x20, V86A_AFTER30, "IP pushed by the reflection"
    expect_w VDS+0x22, V86_CS, "CS pushed by the reflection"
    expect_w VDS+0x18, 0x3002, "v8086 PUSHF after POPF of IOPL 0 at IOPL 3"
    expect_w VDS+0x1C, 0x3002, "v8086 PUSHF after IRETD of VM 0, IOPL 0"
    ; INT3 at IOPL 3: a trap through the DPL-3 gate
    .equ V86A_AFTER_INT3, v86a_after_int3 - 0xF0000
    expect_mem BP_FRAME, V86A_AFTER_INT3, "INT3 frame: EIP"
    expect_mem_bits BP_FRAME+8, F_VM, F_VM, "INT3 frame: VM"
    ; a 32-bit address beyond 0xFFFF: #GP(0) (to the library through the monitor)
    .equ V86A_BIG, v86a_big - 0xF0000
    expect_fault 13, 0, V86A_BIG, "v8086 access beyond 64 KiB"
    expect_w VDS+0x1A, 0x5555, "v8086 code resumed after the #GP"
    ; HLT ended the session: #GP(0) at the HLT
    .equ V86A_HLT, v86a_hlt - 0xF0000
    expect_mem MON_COUNT, 1, "IOPL 3: #GPs seen by the monitor"
    expect_mem MON_ERRS, 0, "IOPL 3: #GP error codes"
    expect_mem_bits MON_OPS, 0xFF, 0xF4, "IOPL 3: the #GP is the HLT"
    expect_w MON_IPS, V86A_HLT, "IOPL 3: HLT IP"

; -- 11: IOPL 0: CLI, STI, INT 31, IRET, PUSHF are #GP(0), emulated by the monitor --
    post 0x11
    mov dword ptr [MON_COUNT], 0
    mov dword ptr [VIF], F_IF
    mov eax, v86b - 0xF0000
    mov ebx, 2
    call enter_v86
    expect_mem MON_COUNT, 6, "IOPL 0: #GPs seen by the monitor"
    expect_mem MON_ERRS, 0, "IOPL 0: #GP error codes"
    expect_mem MON_OPS, 0xCFCDFBFA, "IOPL 0: CLI, STI, INT 31, IRET, PUSHF, HLT faulted"
    expect_mem_bits MON_OPS+4, 0xFFFF, 0xF49C, "IOPL 0: ... in this order"
    .equ V86B_INT31, v86b_int31 - 0xF0000
    .equ ISR31_IRET, isr31_iret - 0xF0000
    expect_w MON_IPS+4, V86B_INT31, "IOPL 0: INT 31 faulted at its own IP"
    expect_w MON_IPS+6, ISR31_IRET, "IOPL 0: IRET faulted at its own IP"
    expect_w VDS+0x30, 0x3131, "DX from the interrupt routine"
    expect_w VDS+0x32, F_IF|2, "emulated PUSHF: virtual IF after STI + INT + IRET"
    expect_w VDS+0x34, V86_SP, "SP after the emulated IRET"
    .equ V86B_AFTER_INT3, v86b_after_int3 - 0xF0000
    expect_mem BP_FRAME, V86B_AFTER_INT3, "INT3 at IOPL 0 goes through the IDT"

; -- 12: LAR in v8086 mode is #UD -------------------------------------------------------
    post 0x12
    mov dword ptr [MON_COUNT], 0
    on_fault_iret v86c_after_lar_ip
    mov eax, v86c - 0xF0000
    mov ebx, 2
    call enter_v86
    .equ V86C_LAR, v86c_lar - 0xF0000
    expect_fault 6, -1, V86C_LAR, "LAR in v8086 mode"
    expect_mem caught_cs, V86_CS, "#UD frame CS"
    expect_mem caught_esp, STACK0_TOP-36, "#UD frame position"
    expect_w VDS+0x40, 0x6666, "v8086 code resumed after the #UD"
    expect_mem MON_COUNT, 1, "only HLT reached the monitor"

; -- 13: INT n (IOPL 3) through a gate to DPL-3 code: #GP(code selector) --------------
    post 0x13
    on_fault int32_faulted
    mov eax, v86d - 0xF0000
    mov ebx, F_IOPL3|2
    call enter_v86
    fail "INT 32 to a DPL-3 handler from v8086 mode did not fault"
int32_faulted:
    .equ V86D_INT32, v86d - 0xF0000
    expect_fault 13, SEL_CODE3, V86D_INT32, "v8086 INT to DPL-3 code"
    expect_mem caught_cs, V86_CS, "v8086 INT to DPL-3 code: frame CS"
    jmp pass

; Enter v8086 mode at V86_CS:EAX with EFLAGS = EBX | VM; returns when the v8086 code
; executes HLT (the monitor's way out). Clobbers everything but ESP.
enter_v86:
    mov dword ptr [V86_RET_ESP], esp
    push32 V86_GS
    push32 V86_FS
    push32 V86_DS
    push32 V86_ES
    push32 V86_SS
    push32 V86_SP
    or ebx, F_VM
    push ebx
    push32 V86_CS
    push eax
    xor eax, eax                ; upper register halves are zero in v8086 mode
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    iretd

; -- ring 0: the v8086 monitor (#GP handler) ---------------------------------------------
; Frame: error code, EIP CS EFLAGS ESP SS ES DS FS GS. Emulates CLI, STI, INT n, IRET
; and PUSHF for v8086 code; HLT returns from enter_v86; anything else goes on to the
; library's #GP stub (the catcher).
monitor:
    test dword ptr ss:[esp + 12], F_VM
    jz mon_other
    cmp dword ptr ss:[esp], 0   ; IOPL-sensitive instructions fault with #GP(0)
    jne mon_other
    push eax
    push ecx
    push edx
    push esi
    push ebp
    lea ebp, [esp + 24]         ; EBP -> the frame's EIP
    mov eax, SEL_DATA0
    mov ds, ax
    movzx esi, word ptr [ebp + 4]
    shl esi, 4
    add esi, dword ptr [ebp]    ; ESI -> the faulting instruction (linear)
    movzx eax, byte ptr [esi]
    cmp al, 0xF4
    je mon_log
    cmp al, 0xFA
    je mon_log
    cmp al, 0xFB
    je mon_log
    cmp al, 0xCD
    je mon_log
    cmp al, 0xCF
    je mon_log
    cmp al, 0x9C
    je mon_log
    pop ebp
    pop esi
    pop edx
    pop ecx
    pop eax
mon_other:
    jmp STUB13
mon_log:
    mov ecx, dword ptr [MON_COUNT]
    mov byte ptr [MON_OPS + ecx], al
    mov edx, dword ptr [ebp]
    mov word ptr [MON_IPS + ecx * 2], dx
    mov edx, dword ptr [ebp - 4]
    or dword ptr [MON_ERRS], edx
    inc dword ptr [MON_COUNT]
    cmp al, 0xF4
    je mon_hlt
    cmp al, 0xFA
    je mon_cli
    cmp al, 0xFB
    je mon_sti
    cmp al, 0xCD
    je mon_int
    cmp al, 0xCF
    je mon_iret
mon_pushf:                      ; push FLAGS with the virtual IF
    call v86_sp_sub2
    mov eax, dword ptr [ebp + 8]
    and eax, 0x0CD5             ; arithmetic flags and DF
    or eax, dword ptr [VIF]
    or eax, 2
    mov word ptr [edx], ax
    inc dword ptr [ebp]
    jmp mon_done
mon_cli:
    mov dword ptr [VIF], 0
    inc dword ptr [ebp]
    jmp mon_done
mon_sti:
    mov dword ptr [VIF], F_IF
    inc dword ptr [ebp]
    jmp mon_done
mon_int:
    movzx eax, byte ptr [esi + 1]
    mov edx, dword ptr [ebp]
    add edx, 2
    call reflect
    jmp mon_done
mon_iret:                       ; pop IP, CS, FLAGS from the v8086 stack
    movzx esi, word ptr [ebp + 16]
    shl esi, 4
    movzx ecx, word ptr [ebp + 12]
    add esi, ecx
    movzx eax, word ptr [esi]
    mov dword ptr [ebp], eax
    movzx eax, word ptr [esi + 2]
    mov dword ptr [ebp + 4], eax
    movzx eax, word ptr [esi + 4]
    mov edx, eax
    and edx, F_IF
    mov dword ptr [VIF], edx
    and eax, 0x0CD5
    and dword ptr [ebp + 8], 0xFFFFF32A
    or dword ptr [ebp + 8], eax
    add ecx, 6
    mov dword ptr [ebp + 12], ecx
mon_done:
    pop ebp
    pop esi
    pop edx
    pop ecx
    pop eax
    add esp, 4                  ; the error code
    iretd
mon_hlt:                        ; end of the session: back to enter_v86's caller
    mov eax, SEL_DATA0
    mov es, ax
    mov esp, dword ptr [V86_RET_ESP]
    ret

; EDX := linear address of the v8086 stack top after SP -= 2 (EBP -> frame)
v86_sp_sub2:
    movzx edx, word ptr [ebp + 12]
    sub edx, 2
    mov dword ptr [ebp + 12], edx
    movzx ecx, word ptr [ebp + 16]
    shl ecx, 4
    add edx, ecx
    ret

; Reflect interrupt EAX into the v8086 code's IVT, returning to IP EDX: push FLAGS
; (virtual IF), CS, IP on the v8086 stack, clear the virtual IF, jump to the vector.
; EBP -> the frame's EIP.
reflect:
    push edx
    call v86_sp_sub2            ; FLAGS
    mov ecx, dword ptr [ebp + 8]
    and ecx, 0x3CD5             ; IOPL, arithmetic flags, DF
    or ecx, dword ptr [VIF]
    or ecx, 2
    mov word ptr [edx], cx
    call v86_sp_sub2            ; CS
    mov ecx, dword ptr [ebp + 4]
    mov word ptr [edx], cx
    call v86_sp_sub2            ; IP
    pop ecx
    mov word ptr [edx], cx
    mov dword ptr [VIF], 0
    mov ecx, dword ptr [eax * 4]
    movzx edx, cx
    mov dword ptr [ebp], edx
    shr ecx, 16
    mov dword ptr [ebp + 4], ecx
    ret

; INT 30 at IOPL 3 arrives here straight from v8086 mode: record, then reflect it
int30_handler:
    push ebp
    lea ebp, [esp + 4]
    mov dword ptr ss:[H30_ESP], ebp
    push eax
    push ecx
    push edx
    mov eax, ds
    mov dword ptr ss:[H30_SEGS], eax
    mov eax, es
    mov dword ptr ss:[H30_SEGS + 4], eax
    mov eax, fs
    mov dword ptr ss:[H30_SEGS + 8], eax
    mov eax, gs
    mov dword ptr ss:[H30_SEGS + 12], eax
    pushfd
    pop eax
    mov dword ptr ss:[H30_EFLAGS], eax
    mov eax, SEL_DATA0
    mov ds, ax
    xor ecx, ecx
h30_copy:
    mov eax, dword ptr [ebp + ecx * 4]
    mov dword ptr [H30_FRAME + ecx * 4], eax
    inc ecx
    cmp ecx, 9
    jb h30_copy
    mov eax, 0x30
    mov edx, dword ptr [ebp]
    call reflect
    pop edx
    pop ecx
    pop eax
    pop ebp
    iretd

bp_handler:                     ; INT3 from v8086 mode: record EIP CS EFLAGS
    push eax
    mov eax, dword ptr [esp + 4]
    mov dword ptr ss:[BP_FRAME], eax
    mov eax, dword ptr [esp + 8]
    mov dword ptr ss:[BP_FRAME + 4], eax
    mov eax, dword ptr [esp + 12]
    mov dword ptr ss:[BP_FRAME + 8], eax
    pop eax
    iretd

; -- v8086 code (CS = F000, DS = 2100, SS:SP = 2000:1000) ------------------------------
.code16
v86a:                           ; IOPL 3
    mov ax, 0x1234
    mov word ptr [0x10], ax
    mov ax, ds
    mov word ptr [0x12], ax
    mov bx, 0x2400
    mov es, bx
    mov word ptr es:[0], 0xBEEF
    mov cx, 0x1111
    int 0x30
v86a_after30:
    mov word ptr [0x14], cx
    mov word ptr [0x16], sp
    int3
v86a_after_int3:
    push 0x0002                 ; POPF in v8086 mode cannot change IOPL
    popf
    pushf
    pop ax
    mov word ptr [0x18], ax
    mov ebx, 0x10000
v86a_big:
    mov eax, dword ptr [ebx]
v86a_after_big:
    mov word ptr [0x1A], 0x5555
    .byte 0x66, 0x6A, 0x02      ; PUSH dword 2: an EFLAGS image without VM and IOPL
    .byte 0x66, 0x0E            ; PUSH dword CS
    .byte 0x66, 0x68            ; PUSH dword offset
    .long v86a_after_iretd_ip
    .byte 0x66, 0xCF            ; IRETD
v86a_after_iretd:
    pushf
    pop ax
    mov word ptr [0x1C], ax
v86a_hlt:
    hlt

v86b:                           ; IOPL 0
    cli
    sti
v86b_int31:
    int 0x31
    mov word ptr [0x30], dx
    int3
v86b_after_int3:
    pushf
    pop ax
    mov word ptr [0x32], ax
    mov word ptr [0x34], sp
    hlt

v86d:
    int 0x32
    hlt

v86c:
v86c_lar:
    lar ax, bx
v86c_after_lar:
    mov word ptr [0x40], 0x6666
    hlt

isr30:                          ; real-mode interrupt routines (IVT 30, 31)
    mov cx, 0x3030
    mov bp, sp
    mov ax, word ptr [bp]
    mov word ptr [0x20], ax
    mov ax, word ptr [bp + 2]
    mov word ptr [0x22], ax
    iret
isr31:
    mov dx, 0x3131
isr31_iret:
    iret

.code32
.equ v86a_after_big_ip, v86a_after_big - 0xF0000
.equ v86a_after_iretd_ip, v86a_after_iretd - 0xF0000
.equ v86c_after_lar_ip, v86c_after_lar - 0xF0000
.include "lib.inc"
test_name:
    .asciz "v86"
