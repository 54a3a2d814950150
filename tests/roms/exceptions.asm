; Exceptions, their classes and their order (SDM vol. 3A, 6.5, 6.9, 6.15): #DE;
; a memory operand's #GP or #PF comes before the divide's #DE; segment limit before
; paging; CS limit before the code fetch's #PF before decoding's #UD; more than 15
; bytes is #GP; LOCK where not allowed is #UD; TF traps after the instruction after
; POPFD, before the next instruction's fault; double faults: contributory then
; contributory is #DF(0), contributory then #PF (reading the IDT) is served serially,
; #PF then #PF is #DF (here through a task gate), benign then contributory is serial;
; stack accesses (pushes, [EBP]) beyond SS's limit, expand-down included, are #SS;
; BOUND is a fault; #AC needs CPL 3, CR0.AM and EFLAGS.AC.
.include "boot.inc"

.equ SEL_SMALL, 0x40            ; data, base 0, limit 0xFFF
.equ SEL_LIMITED, 0x48          ; data, base 0x300000, limit 0xFFF
.equ SEL_CODE_LIM, 0x50         ; code, base 0x300000, limit 0xFFF
.equ SEL_TSS_DF, 0x58           ; the double-fault task
.equ SEL_STACK_ED3, 0x60        ; data, DPL 3, expand-down, B: offsets 0x1000-0xFFFFFFFF
.equ SEL_STACK_SM3, 0x68        ; data, DPL 3, base 0x60000, limit 0xFFFF
.equ SEL_GRAN, 0x70             ; data, limit 0 with G = 1: offsets 0-0xFFF
.equ SEL_XONLY, 0x78            ; code, execute-only, flat
.equ ED_BASE, 0x200000

.equ PD, 0x100000
.equ PT0, 0x101000              ; 4 KiB pages for 0-4 MiB, identity
.equ CODE_PG, 0x300000          ; present: code is written here
.equ NP_PG, 0x301000            ; not present
.equ IDT2_NP, 0x304000          ; not present: gates 0-13 of IDT2
.equ IDT2_P, 0x305000           ; present: gates 14-31 of IDT2
.equ IDT2, IDT2_P - 14 * 8
.equ BAD_STACK, 0x306000        ; not present
.equ STACK_DF, 0x64000
.equ PTE_NP_PG, PT0 + (NP_PG >> 12) * 4
.equ PTE_IDT2_NP, PT0 + (IDT2_NP >> 12) * 4
.equ PTE_BAD_STACK, PT0 + (BAD_STACK >> 12) * 4

.equ BOUNDS, DATA + 0x60        ; BOUND's pair: 10, 20
.equ DB_COUNT, DATA + 0x00      ; the #DB handler: traps seen,
.equ DB_EIP, DATA + 0x04        ; the last frame's EIP,
.equ DB_DR6, DATA + 0x08        ; DR6
.equ DF_ERR, DATA + 0x10        ; the #DF task: error code,
.equ DF_LINK, DATA + 0x14       ; back link, EFLAGS, CR2
.equ DF_EFLAGS, DATA + 0x18
.equ DF_CR2, DATA + 0x1C
.equ GOOD_ESP, DATA + 0x20
.equ DF_SAVED_EIP, DATA + 0x24  ; the main task's EIP and ESP as the #DF switch saved
.equ DF_SAVED_ESP, DATA + 0x28
.equ TSS0_EIP, TSS0 + TSS_EIP
.equ TSS0_ESP, TSS0 + TSS_ESP
.equ IDT2_DESC, DATA + 0x30     ; LIDT operand for IDT2
.equ MAIN_IDT_DESC, DATA + 0x38

.equ IDT0, IDT
.equ IDT1, IDT + 8
.equ IDT3, IDT + 3 * 8
.equ IDT6, IDT + 6 * 8
.equ IDT8, IDT + 8 * 8
.equ IDT13, IDT + 13 * 8
.equ IDT14, IDT + 14 * 8
.equ STUB0, exc_stubs
.equ STUB3, exc_stubs + 3 * 16
.equ STUB6, exc_stubs + 6 * 16
.equ STUB8, exc_stubs + 8 * 16
.equ STUB13, exc_stubs + 13 * 16
.equ NOT_TF, ~F_TF
.equ F_AC, 0x40000
.equ CR0_AM, 0x40000
.equ NOT_CR0_AM, ~CR0_AM
.equ DR6_BS, 0x4000

.code32
main:
    desc GDT+SEL_SMALL, 0, 0xFFF, 0x93, 0x4
    desc GDT+SEL_LIMITED, CODE_PG, 0xFFF, 0x93, 0x4
    desc GDT+SEL_CODE_LIM, CODE_PG, 0xFFF, 0x9B, 0x4
    desc GDT+SEL_TSS_DF, TSS1, 0x67, ACC_TSS32, 0
    desc GDT+SEL_STACK_ED3, ED_BASE, 0xFFF, 0xF7, 0x4
    desc GDT+SEL_STACK_SM3, 0x60000, 0xFFFF, 0xF3, 0x4
    desc GDT+SEL_GRAN, DATA, 0, 0x93, 0xC
    desc GDT+SEL_XONLY, 0, 0xFFFFF, 0x99, 0xC
    xor eax, eax                ; paging: identity with three holes
    mov edi, PD
    mov ecx, 1024
    rep stosd
    mov edi, PT0
    mov eax, 7
pt0_fill:
    stosd
    add eax, 0x1000
    cmp edi, PT0 + 4096
    jb pt0_fill
    setd PTE_NP_PG, 0
    setd PTE_IDT2_NP, 0
    setd PTE_BAD_STACK, 0
    setd PD, PT0|7
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp paged
paged:

; -- 10: divide errors are faults ----------------------------------------------------------
    post 0x10
    mov eax, 0x1234
    mov edx, 0x5678
    xor ecx, ecx
    on_fault de0_caught
de0:
    div ecx
    fail "DIV by zero did not fault"
de0_caught:
    mov esi, eax
    expect esi, 0x1234, "EAX after #DE"
    expect edx, 0x5678, "EDX after #DE"
    expect_fault 0, -1, de0, "DIV by zero"
    mov edx, 1                  ; quotient 0x100000000 does not fit
    xor eax, eax
    mov ecx, 1
    on_fault de1_caught
de1:
    div ecx
    fail "DIV overflow did not fault"
de1_caught:
    expect_fault 0, -1, de1, "DIV overflow"
    mov edx, -1                 ; 0x80000000 / -1 does not fit a signed dword
    mov eax, 0x80000000
    mov ecx, -1
    on_fault de2_caught
de2:
    idiv ecx
    fail "IDIV overflow did not fault"
de2_caught:
    expect_fault 0, -1, de2, "IDIV overflow"

; -- 11: the operand's fault comes before the divide's ---------------------------------
    post 0x11
    mov eax, SEL_SMALL
    mov es, ax
    xor edx, edx
    on_fault divgp_caught
divgp:
    div dword ptr es:[0x1000]   ; beyond ES's limit (and it holds 0)
    fail "DIV with an operand beyond the limit did not fault"
divgp_caught:
    expect_fault 13, 0, divgp, "DIV: #GP for the operand, not #DE"
    on_fault divpf_caught
divpf:
    div dword ptr [NP_PG]
    fail "DIV with an operand in a not-present page did not fault"
divpf_caught:
    expect_fault 14, 0, divpf, "DIV: #PF for the operand, not #DE"

; -- 12: segment limit before paging ---------------------------------------------------
    post 0x12
    mov eax, 0xC2C2C2C2
    mov cr2, eax
    mov eax, SEL_LIMITED        ; offsets 0xFFE-0x1001 are beyond the limit and
    mov es, ax                  ; cross into the not-present page
    on_fault limit_caught
limit_read:
    mov eax, dword ptr es:[0xFFE]
    fail "read beyond the segment limit did not fault"
limit_caught:
    expect_fault 13, 0, limit_read, "limit violation into a not-present page: #GP"
    mov eax, cr2
    expect eax, 0xC2C2C2C2, "CR2 untouched by the #GP"
    ; G = 1 scales the limit: 0 means offsets up to 0xFFF
    mov eax, SEL_GRAN
    mov es, ax
    mov al, byte ptr es:[0xFFF]
    on_fault gran_caught
gran_read:
    mov eax, dword ptr es:[0xFFD]
    fail "dword read across a 4 KiB-granular limit did not fault"
gran_caught:
    expect_fault 13, 0, gran_read, "dword across a 4 KiB-granular limit"
    ; code segments: never writable, readable only when the type says so
    on_fault cs_write_caught
cs_write:
    mov dword ptr cs:[DATA], eax
    fail "a write through CS did not fault"
cs_write_caught:
    expect_fault 13, 0, cs_write, "write through CS"
    mov eax, SEL_XONLY
    on_fault xonly_caught
xonly_load:
    mov es, ax
    fail "MOV ES, execute-only code did not fault"
xonly_caught:
    expect_fault 13, SEL_XONLY, xonly_load, "MOV ES, execute-only code segment"
    on_fault xonly_cs_caught
    jmpf SEL_XONLY, xonly_cs_read
xonly_cs_read:
    mov eax, dword ptr cs:[DATA]
    fail "a read through an execute-only CS did not fault"
xonly_cs_caught:
    expect_fault 13, 0, xonly_cs_read, "read through an execute-only CS"
    expect_mem caught_cs, SEL_XONLY, "CS of that #GP"

; -- 13: fetch and decode: CS limit, then #PF, then #UD; 15 bytes; LOCK ------------------
    post 0x13
    mov word ptr [CODE_PG + 0xFFE], 0x0B0F  ; UD2 at the end of the page
    on_fault ud2_caught
    mov eax, CODE_PG + 0xFFE
    jmp eax
ud2_caught:
    expect_fault 6, -1, CODE_PG+0xFFE, "UD2 at the end of a page"
    mov byte ptr [CODE_PG + 0xFFF], 0x0F    ; now UD2 runs into the next page
    on_fault split_caught
    mov eax, CODE_PG + 0xFFF
    jmp eax
split_caught:
    expect_fault 14, 0, CODE_PG+0xFFF, "UD2 across into a not-present page: #PF"
    expect_mem caught_cr2, NP_PG, "CR2 of the split fetch"
    on_fault cslimit_caught
    jmpf SEL_CODE_LIM, 0xFFF
cslimit_caught:
    expect_fault 13, 0, 0xFFF, "UD2 across the CS limit: #GP before #PF"
    expect_mem caught_cs, SEL_CODE_LIM, "CS of the #GP"
    on_fault len16_caught
len15:
    .rept 14
    .byte 0x3E
    .endr
    nop                         ; 15 bytes: fine
len16:
    .rept 15
    .byte 0x3E
    .endr
    nop                         ; 16 bytes: #GP(0)
    fail "a 16-byte instruction did not fault"
len16_caught:
    expect_fault 13, 0, len16, "instruction longer than 15 bytes"
    on_fault lock_nop_caught
lock_nop:
    .byte 0xF0, 0x90
    fail "LOCK NOP did not fault"
lock_nop_caught:
    expect_fault 6, -1, lock_nop, "LOCK NOP"
    lock add dword ptr [DATA + 0x40], 1     ; a lockable form
    on_fault lock_reg_caught
lock_reg:
    .byte 0xF0, 0x01, 0xD8      ; LOCK ADD EAX, EBX
    fail "LOCK ADD to a register did not fault"
lock_reg_caught:
    expect_fault 6, -1, lock_reg, "LOCK ADD to a register"
    expect_mem DATA+0x40, 1, "LOCK ADD to memory"

; -- 14: single-step traps: after the instruction after POPFD, before a fault -------------
    post 0x14
    gate IDT1, db_handler, SEL_CODE0, ACC_INT32
    xor eax, eax
    mov dr6, eax
    mov dword ptr [caught_count], 0
    pushfd
    or dword ptr [esp], F_TF
    popfd                       ; TF on: no trap after the POPFD itself
    nop
tf_after_nop:
    nop                         ; (the handler cleared TF)
    expect_mem DB_COUNT, 1, "single-step traps"
    expect_mem DB_EIP, tf_after_nop, "single-step trap EIP"
    expect_mem_bits DB_DR6, DR6_BS, DR6_BS, "DR6.BS"
    mov dword ptr [caught_count], 0
    mov eax, 0x1238             ; beyond the GDT
    on_fault tf_fault_caught
    pushfd
    or dword ptr [esp], F_TF
    popfd
    nop
tf_fault:
    mov ds, ax
    fail "MOV DS with a bad selector did not fault"
tf_fault_caught:
    expect_mem caught_count, 2, "exceptions: the trap, then the fault"
    expect_w caught_log, 0x0D01, "#DB (of the NOP) before #GP (of the MOV)"
    expect_mem DB_EIP, tf_fault, "#DB frame EIP: the faulting instruction"
    expect_fault 13, 0x1238, tf_fault, "#GP after the trap"

; -- 15: contributory + contributory: #DF(0); contributory + #PF: serial -------------------
    post 0x15
    gate IDT13, STUB13, SEL_CODE0, ACC_INT32&0x7F    ; not present
    mov eax, 0x1238
    on_fault df_caught
df_fault:
    mov ds, ax
    fail "#GP with a not-present gate did not fault"
df_caught:
    expect_fault 8, 0, df_fault, "#GP, gate not present: #DF"
    expect_mem caught_cs, SEL_CODE0, "#DF frame CS"
    gate IDT13, STUB13, SEL_CODE0, ACC_INT32
    ; IDT2: gate 13 on a not-present page, gate 14 on the next page
    mov esi, IDT14
    mov edi, IDT2_P
    mov ecx, 18 * 2
    rep movsd dword ptr es:[edi], dword ptr [esi]
    sidt [MAIN_IDT_DESC]
    mov word ptr [IDT2_DESC], IDT_LIMIT
    mov dword ptr [IDT2_DESC + 2], IDT2
    lidt [IDT2_DESC]
    mov eax, 0x1238
    on_fault idtpf_caught
idtpf_fault:
    mov ds, ax
    fail "#GP with its gate on a not-present page did not fault"
idtpf_caught:
    lidt [MAIN_IDT_DESC]
    expect_fault 14, 0, idtpf_fault, "#GP whose gate is on a not-present page: #PF"
    expect_mem caught_cr2, IDT2+13*8, "CR2: the #GP gate"

; -- 16: #PF while delivering #PF: #DF, through a task gate ---------------------------------
    post 0x16
    setd TSS0+TSS_CR3, PD       ; CR3 comes from the TSS on a task switch
    setd TSS1+TSS_CR3, PD
    setd TSS1+TSS_EIP, df_task
    setd TSS1+TSS_EFLAGS, 2
    setd TSS1+TSS_ESP, STACK_DF
    setd TSS1+TSS_CS, SEL_CODE0
    setd TSS1+TSS_SS, SEL_DATA0
    setd TSS1+TSS_DS, SEL_DATA0
    setd TSS1+TSS_ES, SEL_DATA0
    gate IDT8, 0, SEL_TSS_DF, ACC_TASK_GATE
    mov dword ptr [GOOD_ESP], esp
    mov esp, BAD_STACK + 0x10
pf_pf:
    mov eax, dword ptr [NP_PG]  ; #PF; pushing its frame: #PF again
    fail "#PF on a not-present stack did not double fault"
df_task_returned:
    gate IDT8, STUB8, SEL_CODE0, ACC_INT32
    expect esp, STACK_MAIN, "ESP in the main task after the #DF task"
    expect_mem DF_ERR, 0, "#DF error code on the task's stack"
    expect_mem DF_LINK, SEL_TSS0, "#DF task's back link"
    expect_mem_bits DF_EFLAGS, F_NT, F_NT, "#DF task's NT"
    mov eax, dword ptr [DF_CR2]
    and eax, 0xFFFFF000
    expect eax, BAD_STACK, "CR2 in the #DF task: the stack page"
    expect_mem DF_SAVED_EIP, pf_pf, "main task's EIP saved by the #DF switch"
    expect_mem DF_SAVED_ESP, BAD_STACK+0x10, "main task's ESP saved by the #DF switch"
    expect_mem_bits GDT+SEL_TSS_DF+4, 0xF00, 0x900, "#DF TSS available after its IRET"

; -- 17: benign + contributory: served one after the other -----------------------------------
    post 0x17
    gate IDT3, STUB3, SEL_CODE0, ACC_INT32&0x7F     ; not present
    on_fault bp_np_caught
bp_np:
    int3
    fail "INT3 with a not-present gate did not fault"
bp_np_caught:
    expect_fault 11, 3*8+2, bp_np, "INT3, gate not present: #NP (IDT)"
    gate IDT6, STUB6, SEL_CODE0, ACC_INT32&0x7F     ; not present
    on_fault ud_np_caught
ud_np:
    ud2
    fail "UD2 with a not-present gate did not fault"
ud_np_caught:
    expect_fault 11, 6*8+3, ud_np, "#UD, gate not present: #NP (IDT, EXT)"
    gate IDT6, STUB6, SEL_CODE0, ACC_INT32
    gate IDT0, STUB0, SEL_CODE0, ACC_INT32&0x7F     ; #DE is contributory
    xor ecx, ecx
    on_fault de_np_caught
de_np:
    div ecx
    fail "#DE with a not-present gate did not fault"
de_np_caught:
    expect_fault 8, 0, de_np, "#DE, gate not present: #DF"

; -- 18: stack limits (at CPL 3, so that #SS is delivered on the TSS stack) --------------
    post 0x18
    on_fault ed_caught
    mov eax, r3_ed
    mov ebx, 2
    call run_ring3
    fail "PUSH below an expand-down stack's limit did not fault"
ed_caught:
    expect_fault 12, 0, r3_ed_push, "PUSH below an expand-down limit: #SS(0)"
    expect_mem caught_old_esp, 0x1000, "#SS frame: ESP before the faulting PUSH"
    expect_mem caught_old_ss, SEL_STACK_ED3|3, "#SS frame: SS"
    expect_mem ED_BASE+0x1000, 0x11111111, "the PUSH at the lowest valid offset"
    on_fault ebp_caught
    mov eax, r3_ebp
    mov ebx, 2
    call run_ring3
    fail "[EBP] beyond SS's limit did not fault"
ebp_caught:
    expect_fault 12, 0, r3_ebp_insn, "[EBP] beyond SS's limit: #SS(0)"
    expect edx, 0x5A5A5A5A, "[EBP - 0x10] within the limit"

; -- 19: BOUND, alignment check ---------------------------------------------------------
    post 0x19
    mov dword ptr [BOUNDS], 10
    mov dword ptr [BOUNDS + 4], 20
    mov eax, 20
    bound eax, qword ptr [BOUNDS]   ; in range: nothing
    mov eax, 21
    on_fault br_caught
br_insn:
    bound eax, qword ptr [BOUNDS]
    fail "BOUND out of range did not fault"
br_caught:
    expect_fault 5, -1, br_insn, "BOUND out of range: #BR"
    mov eax, cr0
    or eax, CR0_AM
    mov cr0, eax
    mov eax, dword ptr [DATA + 0x41]    ; CPL 0: no #AC
    mov eax, r3_ac
    mov ebx, 2                  ; AC clear: no #AC
    call run_ring3
    on_fault ac_caught
    mov eax, r3_ac
    mov ebx, F_AC|2
    call run_ring3
    fail "misaligned access at CPL 3 with AM and AC did not fault"
ac_caught:
    expect_fault 17, 0, r3_ac, "misaligned access at CPL 3 with AM and AC: #AC(0)"
    mov eax, cr0
    and eax, NOT_CR0_AM
    mov cr0, eax
    jmp pass

r3_ed:
    mov eax, SEL_STACK_ED3|3
    mov ss, ax
    mov esp, 0x1004
    push 0x11111111
r3_ed_push:
    push 0x22222222
    int 0x7F
r3_ac:
    mov eax, dword ptr [DATA + 0x41]
    int 0x7F
r3_ebp:
    mov dword ptr [0x6FFF0], 0x5A5A5A5A
    mov eax, SEL_STACK_SM3|3
    mov ss, ax
    mov esp, 0xFF00
    mov ebp, 0x10000
    mov edx, dword ptr [ebp - 0x10]
r3_ebp_insn:
    mov eax, dword ptr [ebp]
    int 0x7F

; #DB: record EIP and DR6, clear TF in the frame, log the vector like the catcher
db_handler:
    push eax
    push ecx
    mov eax, dr6
    mov dword ptr ss:[DB_DR6], eax
    mov eax, dword ptr [esp + 8]
    mov dword ptr ss:[DB_EIP], eax
    and dword ptr [esp + 16], NOT_TF
    inc dword ptr ss:[DB_COUNT]
    mov ecx, dword ptr ss:[caught_count]
    and ecx, 31
    mov byte ptr ss:[caught_log + ecx], 1
    inc dword ptr ss:[caught_count]
    pop ecx
    pop eax
    iretd

; the double-fault task: record, repair the main task's ESP and EIP, IRET to it
df_task:
    pop eax
    mov dword ptr [DF_ERR], eax
    mov eax, dword ptr [TSS1]
    mov dword ptr [DF_LINK], eax
    pushfd
    pop eax
    mov dword ptr [DF_EFLAGS], eax
    mov eax, cr2
    mov dword ptr [DF_CR2], eax
    mov eax, dword ptr [TSS0_EIP]
    mov dword ptr [DF_SAVED_EIP], eax
    mov eax, dword ptr [TSS0_ESP]
    mov dword ptr [DF_SAVED_ESP], eax
    mov eax, dword ptr [GOOD_ESP]
    setd TSS0+TSS_ESP, eax
    setd TSS0+TSS_EIP, df_task_returned
    iretd
    fail "the #DF task ran twice"

.include "lib.inc"
test_name:
    .asciz "exceptions"
