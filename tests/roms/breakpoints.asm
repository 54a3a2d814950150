; Debug-register breakpoints (SDM vol. 3A, 17.2 and 17.3.1): an instruction breakpoint
; in DR0 is a fault before the instruction (DR6.B0, RF pushed 0; the handler sets RF
; to go on); a data write breakpoint in DR1 is a trap after the write (DR6.B1) that
; reads do not trigger; a read/write breakpoint in DR2 also fires on reads.
.include "boot.inc"

.equ IDT1, IDT + 8
.equ WATCH, DATA + 0x40         ; DR1: write, 4 bytes
.equ WATCH_RW, DATA + 0x48      ; DR2: read/write, 4 bytes
.equ DB_COUNT, DATA + 0x00
.equ DB_EIPS, DATA + 0x10       ; frame EIPs of the #DBs
.equ DB_DR6S, DATA + 0x30       ; DR6 at each
.equ DB_FLAGS, DATA + 0x50      ; frame EFLAGS of the first
; DR7: L0 (execute, 1 byte), L1 (RW=01 write, LEN=11), L2 (RW=11 read/write, LEN=11)
.equ DR7_VALUE, 0x1 | 0x4 | 0x10 | (0xD << 20) | (0xF << 24)

.code32
main:
    post 0x10
    gate IDT1, db_handler, SEL_CODE0, ACC_INT32
    xor eax, eax
    mov dr6, eax
    mov eax, bp_insn
    mov dr0, eax
    mov eax, WATCH
    mov dr1, eax
    mov eax, WATCH_RW
    mov dr2, eax
    mov eax, DR7_VALUE
    mov dr7, eax
bp_insn:
    mov ebx, 0x1234             ; instruction breakpoint: #DB before this runs
    mov eax, dword ptr [WATCH]  ; a read: no #DB for a write breakpoint
    mov dword ptr [WATCH], eax  ; a write: #DB after it
after_write:
    mov eax, dword ptr [WATCH_RW]   ; a read: #DB for a read/write breakpoint
after_read:
    xor eax, eax
    mov dr7, eax
    expect ebx, 0x1234, "the instruction at the breakpoint ran after the #DB"
    expect_mem DB_COUNT, 3, "debug exceptions"
    expect_mem DB_EIPS, bp_insn, "instruction breakpoint: a fault at the instruction"
    expect_mem_bits DB_DR6S, 0xF, 1, "instruction breakpoint: DR6.B0"
    expect_mem_bits DB_FLAGS, F_RF, 0, "instruction breakpoint: RF pushed 0"
    expect_mem DB_EIPS+4, after_write, "write breakpoint: a trap after the write"
    expect_mem_bits DB_DR6S+4, 0x2, 0x2, "write breakpoint: DR6.B1"
    expect_mem DB_EIPS+8, after_read, "read/write breakpoint: a trap after the read"
    expect_mem_bits DB_DR6S+8, 0x4, 0x4, "read/write breakpoint: DR6.B2"
    jmp pass

; #DB: log EIP, DR6 (then clear it) and the first frame's EFLAGS; set RF to go on
db_handler:
    push eax
    push ecx
    mov ecx, dword ptr [DB_COUNT]
    mov eax, dword ptr [esp + 8]
    mov dword ptr [DB_EIPS + ecx * 4], eax
    mov eax, dr6
    mov dword ptr [DB_DR6S + ecx * 4], eax
    test ecx, ecx
    jnz db_not_first
    mov eax, dword ptr [esp + 16]
    mov dword ptr [DB_FLAGS], eax
db_not_first:
    inc dword ptr [DB_COUNT]
    xor eax, eax
    mov dr6, eax
    or dword ptr [esp + 16], F_RF
    pop ecx
    pop eax
    iretd

.include "lib.inc"
test_name:
    .asciz "breakpoints"
