; A triple fault on purpose (SDM vol. 3A, 6.15, interrupt 8): a #GP whose gate is not
; present becomes #NP, contributory after contributory is #DF, and the #DF gate is
; not present either: shutdown. A PC resets (POST 01 02 10 again); `pyx86 run
; --no-reboot` stops with exit status 6.
.include "boot.inc"

.equ IDT8, IDT + 8 * 8
.equ IDT13, IDT + 13 * 8
.equ STUB8, exc_stubs + 8 * 16
.equ STUB13, exc_stubs + 13 * 16

.code32
main:
    post 0x10
    mov esi, s_about
    call puts
    gate IDT13, STUB13, SEL_CODE0, ACC_INT32&0x7F   ; not present
    gate IDT8, STUB8, SEL_CODE0, ACC_INT32&0x7F
    mov eax, 0x1238             ; beyond the GDT: #GP
    mov ds, ax
    fail "still running after a triple fault"

s_about:
    .asciz "triplefault: #GP and #DF gates not present\n"

.include "lib.inc"
test_name:
    .asciz "triplefault"
