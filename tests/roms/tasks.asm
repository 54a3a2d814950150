; Task switches (SDM vol. 3A, chapter 7): JMP to a TSS and back, CALL through a task
; gate and IRET through the back link, INT through an IDT task gate, an exception
; with its error code on the new task's stack; busy bits, NT, the back link, CR0.TS,
; saved and loaded state, the new task's LDT; JMP to a busy TSS, IRET to a task that
; is not busy, a TSS below the minimum limit; a task switch into v8086 mode (VM in
; the TSS's EFLAGS) and out of it through a task gate.
.include "boot.inc"

.equ SEL_TSS1, 0x40             ; task B
.equ SEL_TSS2, 0x48             ; task C: the #GP handler task
.equ SEL_TASKGATE, 0x50         ; task gate -> SEL_TSS1
.equ SEL_LDT, 0x58              ; task B's LDT
.equ SEL_TSS_SHORT, 0x60        ; 32-bit TSS with limit 0x50 < 0x67
.equ SEL_TSS_V, 0x68            ; task V: v8086 mode
.equ TSS_V, 0x6C00
.equ IDT61, IDT + 0x61 * 8
.equ V_IP, v86task - 0xF0000
.equ V_AFTER_INT, v86task_after - 0xF0000
.equ LDT_BASE, DATA + 0x800
.equ LDT_DATA, 0x0C             ; LDT entry 1, RPL 0: data at LDT_DATA_BASE
.equ LDT_DATA_BASE, DATA + 0x100
.equ STACK_B, 0x60000
.equ STACK_C, 0x64000
.equ B_FLAGS, F_ZF|F_CF|2       ; task B's initial EFLAGS
.equ GDT_TSS0_HI, GDT + SEL_TSS0 + 4
.equ GDT_TSS1_HI, GDT + SEL_TSS1 + 4
.equ IDT13, IDT + 13 * 8
.equ IDT60, IDT + 0x60 * 8
.equ STUB13, exc_stubs + 13 * 16
.equ TSS0_EIP, TSS0 + TSS_EIP
.equ NOT_NT, ~F_NT

.code32
main:
    desc GDT+SEL_TSS1, TSS1, 0x67, ACC_TSS32, 0
    desc GDT+SEL_TSS2, TSS2, 0x67, ACC_TSS32, 0
    desc GDT+SEL_TSS_SHORT, TSS3, 0x50, ACC_TSS32, 0
    desc GDT+SEL_TASKGATE, 0, 0, ACC_TASK_GATE, 0
    setw GDT+SEL_TASKGATE+2, SEL_TSS1
    desc GDT+SEL_LDT, LDT_BASE, 0xF, ACC_LDT, 0
    desc LDT_BASE+8, LDT_DATA_BASE, 0xFF, 0x93, 0x4
    setd LDT_DATA_BASE+0x10, 0x5EED
    ; task B
    setd TSS1+TSS_EIP, task_b
    setd TSS1+TSS_EFLAGS, B_FLAGS
    setd TSS1+TSS_EAX, 0xB0B00001
    setd TSS1+TSS_EBX, 0xB0B00002
    setd TSS1+TSS_ESP, STACK_B
    setd TSS1+TSS_CS, SEL_CODE0
    setd TSS1+TSS_SS, SEL_DATA0
    setd TSS1+TSS_DS, LDT_DATA
    setd TSS1+TSS_ES, SEL_DATA0
    setd TSS1+TSS_GS, SEL_DATA0
    setd TSS1+TSS_LDT, SEL_LDT
    ; task C
    setd TSS2+TSS_EIP, task_c
    setd TSS2+TSS_EFLAGS, 2
    setd TSS2+TSS_ESP, STACK_C
    setd TSS2+TSS_CS, SEL_CODE0
    setd TSS2+TSS_SS, SEL_DATA0
    setd TSS2+TSS_DS, SEL_DATA0
    setd TSS2+TSS_ES, SEL_DATA0

; -- 10: JMP to task B and back (B checks its side, then JMPs to TSS0) -------------
    post 0x10
    mov eax, 0xA0A00001
    mov esi, 0xA0A00005
    jmpf SEL_TSS1, 0
a_after_jmp:
    mov ebx, eax
    mov eax, SEL_DATA0          ; (DS was restored from TSS0 too)
    expect ebx, 0xA0A00001, "A: EAX after returning by JMP"
    expect esi, 0xA0A00005, "A: ESI after returning by JMP"
    expect esp, STACK_MAIN, "A: ESP after returning by JMP"
    str eax
    expect eax, SEL_TSS0, "A: TR"
    sldt eax
    expect eax, 0, "A: LDTR (from TSS0)"
    expect_mem_bits GDT_TSS0_HI, 0xF00, 0xB00, "A: TSS0 busy again"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0x900, "A: TSS1 available after JMP away"
    expect_mem TSS1+TSS_EIP, b_resume1, "A: B's EIP saved in TSS1"
    expect_mem TSS1+TSS_EAX, 0xB0B0B0B0, "A: B's EAX saved in TSS1"
    expect_mem TSS1+TSS_DS, SEL_DATA0, "A: B's DS saved in TSS1"
    mov eax, cr0
    expect_bits eax, 8, 8, "A: CR0.TS after a task switch"
    clts

; -- 11: CALL through a task gate, IRET back through the back link -----------------
    post 0x11
    callf SEL_TASKGATE, 0
a_after_call:
    pushfd
    pop ebx
    expect_bits ebx, F_NT, 0, "A: NT after IRET from the nested task"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0x900, "A: TSS1 available after IRET"
    expect_mem_bits GDT_TSS0_HI, 0xF00, 0xB00, "A: TSS0 still busy"
    expect_mem_bits TSS1+TSS_EFLAGS, F_NT, 0, "A: IRET cleared NT in B's saved EFLAGS"
    expect_mem TSS1+TSS_EIP, b_resume2, "A: B's EIP after its IRET"

; -- 12: INT 60 through an IDT task gate ------------------------------------------------
    post 0x12
    gate IDT60, 0, SEL_TSS1, ACC_TASK_GATE
    int 0x60
    expect_mem TSS1+TSS_EIP, b_resume3, "A: B's EIP after the INT task return"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0x900, "A: TSS1 available after INT + IRET"

; -- 13: #GP through an IDT task gate: the error code goes on task C's stack ---------
    post 0x13
    gate IDT13, 0, SEL_TSS2, ACC_TASK_GATE
    mov eax, 0x1238             ; beyond the GDT limit
a_fault:
    mov ds, ax
a_after_fault:
    gate IDT13, STUB13, SEL_CODE0, ACC_INT32
    expect_mem TSS2+TSS_LINK, SEL_TSS0, "A: C's back link"
    expect_mem_bits GDT+SEL_TSS2+4, 0xF00, 0x900, "A: TSS2 available after C's IRET"
    expect_mem DATA, 0x1238, "C: error code on its stack"
    expect_mem DATA+4, STACK_C, "C: ESP after popping the error code"
    expect_mem DATA+8, a_fault, "C: A's saved EIP is the faulting instruction"

; -- 14: faults: JMP to a busy TSS, IRET to a task that is not busy, short TSS ------
    post 0x14
    on_fault busy_faulted
    jmpf SEL_TSS0, 0
busy_jmp_end:
    fail "JMP to the busy TSS0 did not fault"
busy_faulted:
    expect_fault 13, SEL_TSS0, busy_jmp_end-7, "JMP to a busy TSS"

    setd TSS0+TSS_LINK, SEL_TSS1
    on_fault link_faulted
    pushfd
    or dword ptr [esp], F_NT
    popfd
iret_nt:
    iretd
    fail "IRET with NT to an available TSS did not fault"
link_faulted:
    expect_fault 10, SEL_TSS1, iret_nt, "IRET to a task that is not busy"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0x900, "TSS1 still available after #TS"
    setd TSS0+TSS_LINK, 0

    on_fault short_faulted
short_jmp:
    jmpf SEL_TSS_SHORT, 0
    fail "JMP to a TSS with limit 0x50 did not fault"
short_faulted:
    expect_fault 10, SEL_TSS_SHORT, short_jmp, "JMP to a TSS below the minimum limit"
    str eax
    expect eax, SEL_TSS0, "TR after the failed switch"

; -- 15: JMP to a task in v8086 mode; INT 61 there goes through a task gate back -------
    post 0x15
    desc GDT+SEL_TSS_V, TSS_V, 0x67, ACC_TSS32, 0
    setd TSS_V+TSS_EIP, V_IP
    setd TSS_V+TSS_EFLAGS, F_VM|F_IOPL3|2
    setd TSS_V+TSS_ESP, 0x1000
    setd TSS_V+TSS_CS, 0xF000
    setd TSS_V+TSS_SS, 0x2000
    setd TSS_V+TSS_DS, 0x2100
    setd TSS_V+TSS_ES, 0x2200
    setd TSS_V+TSS_FS, 0x2300
    setd TSS_V+TSS_GS, 0x2400
    gate IDT61, 0, SEL_TSS0, ACC_TASK_GATE|ACC_DPL3
    jmpf SEL_TSS_V, 0
    pushfd
    pop ebx
    expect_bits ebx, F_NT|F_VM, F_NT, "A: NT after INT through a task gate from v8086"
    expect_mem TSS0+TSS_LINK, SEL_TSS_V, "A: back link to the v8086 task"
    expect_w 0x21010, 0x2100, "V: DS in v8086 mode"
    expect_w 0x21012, 0xF000, "V: CS in v8086 mode"
    expect_w 0x21014, 0x1000, "V: SP in v8086 mode"
    expect_mem TSS_V+TSS_EIP, V_AFTER_INT, "A: V's IP saved after its INT"
    expect_mem_bits TSS_V+TSS_EFLAGS, F_VM|F_IOPL3, F_VM|F_IOPL3, "A: V's EFLAGS saved with VM"
    expect_mem TSS_V+TSS_CS, 0xF000, "A: V's CS saved"
    expect_mem TSS_V+TSS_DS, 0x2100, "A: V's DS saved"
    expect_mem TSS_V+TSS_GS, 0x2400, "A: V's GS saved"
    expect_mem_bits GDT+SEL_TSS_V+4, 0xF00, 0xB00, "A: V's TSS busy (it is nested)"
    pushfd
    and dword ptr [esp], NOT_NT
    popfd
    jmp pass

; -- task B ---------------------------------------------------------------------------
task_b:                         ; entered by JMP: state from TSS1
    pushfd
    pop ecx
    mov edx, dword ptr [0x10]   ; DS is LDT_DATA, read through the new LDT
    mov esi, ds
    mov ebp, eax
    mov eax, SEL_DATA0
    mov ds, ax
    expect ebp, 0xB0B00001, "B: EAX from TSS1"
    expect ebx, 0xB0B00002, "B: EBX from TSS1"
    expect ecx, B_FLAGS, "B: EFLAGS from TSS1 (JMP keeps the image's NT = 0)"
    expect edx, 0x5EED, "B: data through DS from its LDT"
    expect esi, LDT_DATA, "B: DS selector"
    expect esp, STACK_B, "B: ESP"
    str eax
    expect eax, SEL_TSS1, "B: TR"
    sldt eax
    expect eax, SEL_LDT, "B: LDTR"
    mov eax, cr0
    expect_bits eax, 8, 8, "B: CR0.TS"
    expect_mem_bits GDT_TSS0_HI, 0xF00, 0x900, "B: TSS0 available after JMP"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0xB00, "B: TSS1 busy"
    expect_mem TSS1+TSS_LINK, 0, "B: JMP wrote no back link"
    expect_mem TSS0+TSS_EIP, a_after_jmp, "B: A's EIP saved in TSS0"
    expect_mem TSS0+TSS_EAX, 0xA0A00001, "B: A's EAX saved in TSS0"
    expect_mem TSS0+TSS_ESI, 0xA0A00005, "B: A's ESI saved in TSS0"
    expect_mem TSS0+TSS_ESP, STACK_MAIN, "B: A's ESP saved in TSS0"
    expect_mem TSS0+TSS_CS, SEL_CODE0, "B: A's CS saved in TSS0"
    expect_mem TSS0+TSS_DS, SEL_DATA0, "B: A's DS saved in TSS0"
    clts
    mov eax, 0xB0B0B0B0
    jmpf SEL_TSS0, 0

b_resume1:                      ; entered by CALL through the task gate
    pushfd
    pop ebx
    expect_bits ebx, F_NT, F_NT, "B: NT in a task entered by CALL"
    expect_mem TSS1+TSS_LINK, SEL_TSS0, "B: back link after CALL"
    expect_mem_bits GDT_TSS0_HI, 0xF00, 0xB00, "B: TSS0 stays busy under CALL"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0xB00, "B: TSS1 busy under CALL"
    expect_mem TSS0+TSS_EIP, a_after_call, "B: A's EIP saved by CALL"
    iretd

b_resume2:                      ; entered by INT 60 through the IDT task gate
    pushfd
    pop ebx
    expect_bits ebx, F_NT, F_NT, "B: NT in a task entered by INT"
    expect_mem TSS1+TSS_LINK, SEL_TSS0, "B: back link after INT"
    expect_mem_bits GDT_TSS1_HI, 0xF00, 0xB00, "B: TSS1 busy under INT"
    iretd
b_resume3:
    fail "task B entered a fourth time"

; -- task C: #GP handler ------------------------------------------------------------------
task_c:
    pop eax
    mov dword ptr [DATA], eax
    mov dword ptr [DATA + 4], esp
    mov eax, dword ptr [TSS0_EIP]
    mov dword ptr [DATA + 8], eax
    setd TSS0+TSS_EIP, a_after_fault    ; skip the faulting MOV DS
    iretd
    fail "task C entered twice"

.code16
v86task:                        ; task V, in v8086 mode at F000
    mov ax, ds
    mov word ptr [0x10], ax
    mov ax, cs
    mov word ptr [0x12], ax
    mov ax, sp
    mov word ptr [0x14], ax
    int 0x61
v86task_after:
    hlt

.code32
.include "lib.inc"
test_name:
    .asciz "tasks"
