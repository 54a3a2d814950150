; SYSENTER / SYSEXIT (SDM vol. 2B; vol. 3A, 5.8.7): CPUID.SEP, the three MSRs, a
; ring 3 -> ring 0 -> ring 3 round trip with the fixed flat segments SYSENTER_CS,
; +8, +16|3, +24|3, EFLAGS (SYSENTER clears IF, VM, RF; SYSEXIT changes none), the
; RPL bits of SYSENTER_CS ignored; #GP(0) for SYSEXIT at CPL 3 and for a null
; SYSENTER_CS; SYSENTER from v8086 mode lands in ring 0 with VM clear.
.include "boot.inc"

.equ MSR_CS, 0x174
.equ MSR_ESP, 0x175
.equ MSR_EIP, 0x176
.equ SYS_STACK, 0x7C000
.equ R3_STACK, STACK3_TOP - 0x100
.equ K_ESP, DATA + 0x00         ; seen by the SYSENTER target
.equ K_CS, DATA + 0x04
.equ K_SS, DATA + 0x08
.equ K_EFLAGS, DATA + 0x0C
.equ U_ESP, DATA + 0x10         ; seen back in ring 3
.equ U_CS, DATA + 0x14
.equ U_SS, DATA + 0x18
.equ U_EFLAGS, DATA + 0x1C
.equ K_CR0, DATA + 0x20         ; CR0 read by the SYSENTER target (CPL 0 only)
.equ V86_SYS_IP, v86_sysenter - 0xF0000

.code32
main:
    mov eax, 1
    cpuid
    test edx, 0x800
    jnz have_sep
    fail "CPUID.1:EDX.SEP is clear"
have_sep:

; -- 10: the MSRs hold what is written -----------------------------------------------
    post 0x10
    mov ecx, MSR_CS
    mov eax, SEL_CODE0
    xor edx, edx
    wrmsr
    mov ecx, MSR_ESP
    mov eax, SYS_STACK
    wrmsr
    mov ecx, MSR_EIP
    mov eax, sys_entry
    wrmsr
    mov ecx, MSR_CS
    rdmsr
    expect eax, SEL_CODE0, "SYSENTER_CS"
    mov ecx, MSR_ESP
    rdmsr
    expect eax, SYS_STACK, "SYSENTER_ESP"
    mov ecx, MSR_EIP
    rdmsr
    expect eax, sys_entry, "SYSENTER_EIP"

; -- 11: ring 3 -> SYSENTER -> ring 0 -> SYSEXIT -> ring 3 ------------------------------
    post 0x11
    mov eax, r3_sysenter
    mov ebx, F_IF|2
    call run_ring3
    expect ebx, 0xA5A5, "EBX from the kernel side"
    expect_mem K_CS, SEL_CODE0, "CS after SYSENTER"
    expect_mem K_SS, SEL_DATA0, "SS after SYSENTER"
    expect_mem K_ESP, SYS_STACK, "ESP after SYSENTER"
    expect_mem_bits K_EFLAGS, F_IF|F_VM|F_RF|F_CF, F_CF, "EFLAGS after SYSENTER"
    expect_mem U_CS, CODE3_RPL3, "CS after SYSEXIT"
    expect_mem U_SS, DATA3_RPL3, "SS after SYSEXIT"
    expect_mem U_ESP, R3_STACK, "ESP after SYSEXIT (ECX)"
    expect_mem_bits U_EFLAGS, F_IF|F_CF, F_CF, "EFLAGS after SYSEXIT (IF stays clear)"

; -- 12: SYSENTER_CS with RPL 3: the RPL bits are ignored -------------------------------
    post 0x12
    mov ecx, MSR_CS
    mov eax, SEL_CODE0|3
    xor edx, edx
    wrmsr
    mov eax, r3_sysenter
    mov ebx, 2
    call run_ring3
    expect_mem K_CS, SEL_CODE0, "CS after SYSENTER (SYSENTER_CS RPL 3)"
    expect_mem K_SS, SEL_DATA0, "SS after SYSENTER (SYSENTER_CS RPL 3)"
    expect_mem U_CS, CODE3_RPL3, "CS after SYSEXIT (SYSENTER_CS RPL 3)"
    expect_mem U_SS, DATA3_RPL3, "SS after SYSEXIT (SYSENTER_CS RPL 3)"

; -- 13: #GP(0): SYSEXIT at CPL 3, SYSENTER and SYSEXIT with SYSENTER_CS null --------------
    post 0x13
    on_fault sysexit3_caught
    mov eax, r3_sysexit
    mov ebx, 2
    call run_ring3
    fail "SYSEXIT at CPL 3 did not fault"
sysexit3_caught:
    expect_fault 13, 0, r3_sysexit, "SYSEXIT at CPL 3"
    mov ecx, MSR_CS
    xor eax, eax
    xor edx, edx
    wrmsr
    on_fault sysenter0_caught
    mov eax, r3_sysenter_insn
    mov ebx, 2
    call run_ring3
    fail "SYSENTER with SYSENTER_CS = 0 did not fault"
sysenter0_caught:
    expect_fault 13, 0, r3_sysenter_insn, "SYSENTER with SYSENTER_CS = 0"
    on_fault sysexit0_caught
    mov ecx, R3_STACK
    mov edx, r3_after_sysexit
sysexit0:
    sysexit
    fail "SYSEXIT with SYSENTER_CS = 0 did not fault"
sysexit0_caught:
    expect_fault 13, 0, sysexit0, "SYSEXIT with SYSENTER_CS = 0"

; -- 14: SYSENTER from v8086 mode ---------------------------------------------------------
    post 0x14
    mov ecx, MSR_CS
    mov eax, SEL_CODE0
    xor edx, edx
    wrmsr
    mov dword ptr [K_CR0], 0
    mov dword ptr [K_CS], 0
    call enter_v86
    expect_mem K_CS, SEL_CODE0, "CS after SYSENTER from v8086 mode"
    expect_mem K_SS, SEL_DATA0, "SS after SYSENTER from v8086 mode"
    expect_mem K_ESP, SYS_STACK, "ESP after SYSENTER from v8086 mode"
    expect_mem_bits K_CR0, 1, 1, "MOV from CR0 after SYSENTER from v8086 mode (CPL 0)"
    expect_mem U_CS, CODE3_RPL3, "CS after SYSEXIT (protected mode, not v8086)"
    expect_mem U_ESP, R3_STACK, "ESP after SYSEXIT"
    jmp pass

enter_v86:                      ; like run_ring3, into v8086 mode at F000:v86_sysenter
    mov dword ptr [ring3_esp], esp
    push32 0
    push32 0
    push32 0
    push32 0
    push32 0x2000
    push32 0x1000
    push32 F_VM|2
    push32 0xF000
    push32 V86_SYS_IP
    mov ecx, R3_STACK
    mov edx, r3_after_sysexit
    iretd

; -- ring 0: the SYSENTER target ---------------------------------------------------------
sys_entry:
    mov dword ptr ss:[K_ESP], esp
    pushfd
    pop eax
    mov dword ptr ss:[K_EFLAGS], eax
    mov eax, cs
    mov dword ptr ss:[K_CS], eax
    mov eax, ss
    mov dword ptr ss:[K_SS], eax
    mov eax, cr0
    mov dword ptr ss:[K_CR0], eax
    mov ebx, 0xA5A5
    sysexit                     ; to EDX with ESP = ECX, as ring 3 set them

; -- ring 3 ---------------------------------------------------------------------------------
r3_sysenter:
    mov ecx, R3_STACK
    mov edx, r3_after_sysexit
    stc
r3_sysenter_insn:
    sysenter
r3_after_sysexit:               ; (DS may hold a v8086 segment: stores go through SS)
    mov dword ptr ss:[U_ESP], esp
    pushfd
    pop eax
    mov dword ptr ss:[U_EFLAGS], eax
    mov eax, cs
    mov dword ptr ss:[U_CS], eax
    mov eax, ss
    mov dword ptr ss:[U_SS], eax
    int 0x7F
r3_sysexit:
    sysexit
    int 0x7F

.code16
v86_sysenter:
    sysenter

.code32
.include "lib.inc"
test_name:
    .asciz "sysenter"
