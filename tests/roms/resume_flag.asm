; EFLAGS.RF in exception frames (SDM vol. 3A, 17.3.1.1): the EFLAGS image pushed for a
; fault-class exception has RF = 1 (so that IRET restarts the instruction without
; an instruction breakpoint firing again); software interrupts and traps push the
; RF the program had, 0. A fault through a task gate saves RF = 1 in the old TSS.
.include "boot.inc"

.equ SEL_TSS_GP, 0x40           ; #GP handler task (step 12)
.equ IDT13, IDT + 13 * 8
.equ IDT40, IDT + 0x40 * 8
.equ STUB13, exc_stubs + 13 * 16
.equ INT40_FLAGS, DATA + 0x00
.equ TSS0_EIP, TSS0 + TSS_EIP
.equ TSS0_EFLAGS, TSS0 + TSS_EFLAGS

.code32
main:
; -- 10: faults push RF = 1 ---------------------------------------------------------------
    post 0x10
    on_fault ud_caught
ud_insn:
    ud2
ud_caught:
    expect_fault 6, -1, ud_insn, "UD2"
    expect_mem_bits caught_eflags, F_RF, F_RF, "RF in the #UD frame"
    mov eax, 0x1238
    on_fault gp_caught
gp_insn:
    mov ds, ax
gp_caught:
    expect_fault 13, 0x1238, gp_insn, "MOV DS with a bad selector"
    expect_mem_bits caught_eflags, F_RF, F_RF, "RF in the #GP frame"
    xor ecx, ecx
    on_fault de_caught
de_insn:
    div ecx
de_caught:
    expect_fault 0, -1, de_insn, "DIV by zero"
    expect_mem_bits caught_eflags, F_RF, F_RF, "RF in the #DE frame"

; -- 11: software interrupts and traps push RF = 0 --------------------------------------
    post 0x11
    gate IDT40, int40_handler, SEL_CODE0, ACC_INT32
    int 0x40
    expect_mem_bits INT40_FLAGS, F_RF, 0, "RF in an INT 40 frame"
    on_fault bp_caught
    int3
bp_caught:
    expect_mem caught_vec, 3, "INT3"
    expect_mem_bits caught_eflags, F_RF, 0, "RF in the #BP frame"

; -- 12: a fault through a task gate saves RF = 1 in the old task's TSS -----------------
    post 0x12
    desc GDT+SEL_TSS_GP, TSS1, 0x67, ACC_TSS32, 0
    setd TSS1+TSS_EIP, gp_task
    setd TSS1+TSS_EFLAGS, 2
    setd TSS1+TSS_ESP, 0x60000
    setd TSS1+TSS_CS, SEL_CODE0
    setd TSS1+TSS_SS, SEL_DATA0
    setd TSS1+TSS_DS, SEL_DATA0
    setd TSS1+TSS_ES, SEL_DATA0
    gate IDT13, 0, SEL_TSS_GP, ACC_TASK_GATE
    mov eax, 0x1238
task_gp_insn:
    mov ds, ax
task_gp_after:
    gate IDT13, STUB13, SEL_CODE0, ACC_INT32
    expect_mem DATA+0x10, task_gp_insn, "saved EIP: the faulting instruction"
    expect_mem_bits DATA+0x14, F_RF, F_RF, "RF in the EFLAGS saved by the fault's task switch"
    jmp pass

int40_handler:
    mov eax, dword ptr [esp + 8]
    mov dword ptr [INT40_FLAGS], eax
    iretd

gp_task:                        ; record the old task's saved EIP and EFLAGS, skip the fault
    add esp, 4
    mov eax, dword ptr [TSS0_EIP]
    mov dword ptr [DATA + 0x10], eax
    mov eax, dword ptr [TSS0_EFLAGS]
    mov dword ptr [DATA + 0x14], eax
    setd TSS0+TSS_EIP, task_gp_after
    iretd

.include "lib.inc"
test_name:
    .asciz "resume_flag"
