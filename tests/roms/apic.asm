; The local APIC and the I/O APIC as an OS uses them (Intel SDM vol. 3A, ch. 10;
; 82093AA data sheet): CPUID reports the APIC, IA32_APIC_BASE is 0xFEE00900 after
; reset with the registers there; the APIC timer in periodic mode interrupts through
; an IDT gate and each handler EOIs; the register page moves with the MSR's base; the
; PIT's IRQ0 arrives through I/O APIC input 2 with the 8259 masked; clearing the MSR's
; enable bit hides the page and the CPUID flag; an INIT IPI to itself restarts the CPU
; at the reset vector with its MSRs kept (SDM vol. 3A, 9.1) and the APIC in its reset
; state (10.4.7.3). A marker in RAM (which INIT leaves alone) tells the second start.
.include "boot.inc"

.equ APIC, 0xFEE00000
.equ APIC_MOVED, 0xFED00000
.equ IOAPIC, 0xFEC00000
.equ A_VERSION, APIC + 0x30
.equ A_TPR, APIC + 0x80
.equ A_EOI, APIC + 0xB0
.equ A_SVR, APIC + 0xF0
.equ A_ISR2, APIC + 0x120       ; ISR bits 64-95 (vectors 40h and 50h live here)
.equ A_LVT_TIMER, APIC + 0x320
.equ A_LVT_LINT0, APIC + 0x350
.equ A_TIMER_INIT, APIC + 0x380
.equ A_TIMER_CUR, APIC + 0x390
.equ A_TIMER_DIV, APIC + 0x3E0
.equ A_MOVED_VERSION, APIC_MOVED + 0x30
.equ IO_SEL, IOAPIC
.equ IO_WIN, IOAPIC + 0x10

.equ MSR_APIC_BASE, 0x1B
.equ BASE_VALUE, 0xFEE00900     ; base, global enable, BSP
.equ MOVED_VALUE, 0xFED00900
.equ DISABLED_VALUE, 0xFEE00100
.equ CPUID_APIC, 0x200
.equ VERSION_VALUE, 0x00040014
.equ TIMER_VECTOR, 0x40
.equ PIT_VECTOR, 0x50
.equ PERIODIC, 0x20000
.equ MASKED, 0x10000
.equ LVT_TIMER_VALUE, PERIODIC | TIMER_VECTOR
.equ LVT_TIMER_OFF, MASKED | PERIODIC | TIMER_VECTOR
.equ TIMER_COUNT, 20000         ; divide by 1 at 100 MHz: 200 us
.equ TICKS, DATA + 0x00         ; timer interrupts counted by the handler
.equ IRQS, DATA + 0x04          ; I/O APIC interrupts counted by the handler
.equ ISR_SEEN, DATA + 0x08      ; the ISR dword the timer handler saw
.equ MARKER, 0x20000            ; outside what boot.inc clears
.equ MARKER_VALUE, 0x1A1C1A1C
.equ MSR_SYSENTER_CS, 0x174
.equ KEPT_CS, 0x1234
.equ A_ICR_LO, APIC + 0x300
.equ A_ICR_HI, APIC + 0x310
.equ INIT_SELF, 0x4500          ; INIT, level assert, physical destination (APIC 0)
.equ IDT_TIMER, IDT + TIMER_VECTOR * 8
.equ IDT_PIT, IDT + PIT_VECTOR * 8

.code32
main:
    cmp dword ptr [MARKER], MARKER_VALUE
    je after_init
    mov al, 0xFF                ; the 8259 pair stays out of it (LINT0 is in virtual-
    out 0x21, al                ; wire mode after reset)
    out 0xA1, al
    gate IDT_TIMER, timer_handler, SEL_CODE0, ACC_INT32
    gate IDT_PIT, pit_handler, SEL_CODE0, ACC_INT32

; -- 10: CPUID.01H:EDX.APIC, IA32_APIC_BASE, the registers after reset -------------
    post 0x10
    mov eax, 1
    cpuid
    expect_bits edx, CPUID_APIC, CPUID_APIC, "CPUID.01H:EDX.APIC"
    mov ecx, MSR_APIC_BASE
    rdmsr
    expect eax, BASE_VALUE, "IA32_APIC_BASE after reset"
    expect_mem A_VERSION, VERSION_VALUE, "APIC version register"
    expect_mem A_SVR, 0xFF, "SVR after reset (software disabled)"
    expect_mem A_LVT_LINT0, 0x700, "LVT LINT0 after reset (ExtINT)"

; -- 11: the timer, periodic: three interrupts through vector 40h, each EOIed -------
    post 0x11
    setd A_SVR, 0x1FF           ; software enable, spurious vector FFh
    setd A_TPR, 0
    setd A_TIMER_DIV, 0xB       ; divide by 1
    setd A_LVT_TIMER, LVT_TIMER_VALUE
    setd A_TIMER_INIT, TIMER_COUNT
    mov eax, dword ptr [A_TIMER_CUR]
    cmp eax, TIMER_COUNT
    ja bad_count
    cmp eax, 0
    je bad_count
    sti
wait_ticks:
    hlt
    cmp dword ptr [TICKS], 3
    jb wait_ticks
    cli
    setd A_LVT_TIMER, LVT_TIMER_OFF
    expect_mem ISR_SEEN, 1, "ISR bit of vector 40h in the handler"
    expect_mem A_ISR2, 0, "ISR after the EOIs"

; -- 12: IA32_APIC_BASE moves the page -----------------------------------------------
    post 0x12
    mov ecx, MSR_APIC_BASE
    xor edx, edx
    mov eax, MOVED_VALUE
    wrmsr
    expect_mem A_MOVED_VERSION, VERSION_VALUE, "version at the moved base"
    expect_mem A_VERSION, 0xFFFFFFFF, "the old base after the move"
    mov eax, BASE_VALUE
    wrmsr
    expect_mem A_VERSION, VERSION_VALUE, "version back at 0xFEE00000"

; -- 13: the PIT (ISA IRQ0) through I/O APIC input 2, edge, fixed, to APIC 0 --------
    post 0x13
    setd IO_SEL, 0x01
    expect_mem IO_WIN, 0x00170011, "I/O APIC version"
    setd IO_SEL, 0x15           ; entry 2, high dword: destination APIC 0
    setd IO_WIN, 0
    setd IO_SEL, 0x14           ; entry 2, low dword: vector 50h, unmasked
    setd IO_WIN, PIT_VECTOR
    mov al, 0x34                ; counter 0, LSB then MSB, mode 2
    out 0x43, al
    mov al, 0xA9                ; 1193: about 1 ms
    out 0x40, al
    mov al, 0x04
    out 0x40, al
    sti
wait_irqs:
    hlt
    cmp dword ptr [IRQS], 2
    jb wait_irqs
    cli
    setd IO_SEL, 0x14
    setd IO_WIN, MASKED | PIT_VECTOR
    expect_mem TICKS, 3, "no timer interrupt after masking it"

; -- 14: clearing the global enable bit hides the APIC ------------------------------
    post 0x14
    mov ecx, MSR_APIC_BASE
    xor edx, edx
    mov eax, DISABLED_VALUE
    wrmsr
    expect_mem A_VERSION, 0xFFFFFFFF, "the page while globally disabled"
    mov eax, 1
    cpuid
    expect_bits edx, CPUID_APIC, 0, "CPUID.01H:EDX.APIC while globally disabled"
    mov ecx, MSR_APIC_BASE
    xor edx, edx
    mov eax, BASE_VALUE
    wrmsr
    expect_mem A_SVR, 0xFF, "SVR after the enable bit comes back (reset state)"

; -- 15: INIT IPI to this CPU (then 01, 02 again: boot.inc runs from the reset vector)
    post 0x15
    mov ecx, MSR_SYSENTER_CS
    xor edx, edx
    mov eax, KEPT_CS
    wrmsr
    setd A_SVR, 0x1FF
    setd MARKER, MARKER_VALUE
    setd A_ICR_HI, 0
    setd A_ICR_LO, INIT_SELF
    fail "execution went on after an INIT IPI to this CPU"

; -- 16: after INIT: MSRs kept, the APIC in its reset state -------------------------
after_init:
    post 0x16
    setd MARKER, 0
    mov ecx, MSR_SYSENTER_CS
    rdmsr
    expect eax, KEPT_CS, "SYSENTER_CS kept across INIT"
    expect_mem A_SVR, 0xFF, "SVR after INIT"
    jmp pass

bad_count:
    fail "timer current count right after the initial count was written"

timer_handler:
    push eax
    mov eax, dword ptr [A_ISR2]
    mov dword ptr [ISR_SEEN], eax
    inc dword ptr [TICKS]
    mov dword ptr [A_EOI], 0
    pop eax
    iretd

pit_handler:
    inc dword ptr [IRQS]
    mov dword ptr [A_EOI], 0
    iretd

.include "lib.inc"
test_name:
    .asciz "apic"
