; The debug trap bit (T) of a TSS (SDM vol. 3A, 7.2.1 and 17.3.1.5): a task switch
; to a TSS with T set raises #DB in the new task, after the switch and before the
; new task's first instruction, with DR6.BT set.
.include "boot.inc"

.equ SEL_TSS_T, 0x40            ; task D: T bit set
.equ STACK_D, 0x68000
.equ D_RAN, DATA + 0x00

.code32
main:
    post 0x10
    desc GDT+SEL_TSS_T, TSS1, 0x67, ACC_TSS32, 0
    setd TSS1+TSS_EIP, task_d
    setd TSS1+TSS_EFLAGS, 2
    setd TSS1+TSS_ESP, STACK_D
    setd TSS1+TSS_CS, SEL_CODE0
    setd TSS1+TSS_SS, SEL_DATA0
    setd TSS1+TSS_DS, SEL_DATA0
    setd TSS1+TSS_ES, SEL_DATA0
    setw TSS1+TSS_T, 1
    xor eax, eax
    mov dr6, eax
    on_fault_iret task_d_body   ; the catcher IRETs to task D's body
    jmpf SEL_TSS_T, 0
    expect_mem D_RAN, 1, "task D did not run"
    jmp pass

task_d:
    fail "task D ran its first instruction without the T-bit trap"
task_d_body:
    expect_mem caught_vec, 1, "T-bit trap: vector"
    expect_mem caught_eip, task_d, "T-bit trap: EIP (the new task's first instruction)"
    expect_mem caught_esp, STACK_D-12, "T-bit trap: frame on the new task's stack"
    mov eax, dr6
    expect_bits eax, 0xC000, 0x8000, "DR6.BT set (and BS clear)"
    str eax
    expect eax, SEL_TSS_T, "TR in the trap handler"
    mov dword ptr [D_RAN], 1
    jmpf SEL_TSS0, 0

.include "lib.inc"
test_name:
    .asciz "tss_trap"
