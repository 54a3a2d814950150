; Real-mode workload: 16-bit code of the kind a BIOS runs (segment:offset data,
; near and far calls, 32-bit counters kept in two words). It avoids shifts,
; multiply/divide and string instructions, so shifts are spelled as additions.
; Keystone's 16-bit mode emits 32-bit CALL/RET/near JMP, so those use the call16,
; callf16, jmp16 macros of bench/roms/build.py.

.equ DATA_SEG, 0x1000           ; data at 0x10000: 1024-word table, then variables
.equ TABLE, 0x0000
.equ COUNT, 0x0800              ; rounds left, 32-bit (keystone makes [X + 2] a
.equ COUNT_HI, 0x0802           ; 32-bit address, so each word gets its own name)
.equ SCRATCH, 0x0804
.equ STACK_SEG, 0x7000

.code16
entry:
    cli
    cld
    mov al, 0x01                ; POST 01: started
    out 0x80, al
    mov ax, STACK_SEG
    mov ss, ax
    mov sp, 0xFFFE
    mov ax, DATA_SEG
    mov ds, ax
    mov es, ax
    xor si, si                  ; TABLE[i] = i * 0x9E37
    xor ax, ax
    mov cx, 1024
init_table:
    mov word ptr [si + TABLE], ax
    add ax, 0x9E37
    add si, 2
    loop init_table
    mov word ptr [COUNT], ITERATIONS & 0xFFFF
    mov word ptr [COUNT_HI], ITERATIONS >> 16
    mov bx, 0x5678              ; checksum in dx:bx
    mov dx, 0x1234

round:
; -- ALU on registers --------------------------------------------------------------
    mov ax, bx
    add ax, word ptr [COUNT]
    adc dx, 0x1234
    sub ax, 0x3141
    sbb dx, ax
    xor ax, dx
    or dx, 0x0101
    and ax, 0x0FFF
    not dx
    neg ax
    inc dx
    dec ax
    lea cx, [bx + si + 0x40]
    cmp cx, ax
    adc bx, cx
    cbw
    xchg al, ah
    add bx, ax
    xor dx, cx

; -- memory: read-modify-write 16 words of the table at a moving window --------------
    mov si, word ptr [COUNT]
    and si, 0x3F0
    add si, si
    mov cx, 16
mem_loop:
    mov ax, word ptr [si + TABLE]
    add ax, bx
    add ax, ax                  ; rotate left by one, without ROL
    adc ax, 0
    mov word ptr [si + TABLE], ax
    xor bx, ax
    add dx, word ptr [si + TABLE + 2]
    add si, 2
    loop mem_loop

; -- data-dependent branches on the bits of the checksum -----------------------------
    mov ax, bx
    mov cx, 8
br_loop:
    or ax, ax
    jns br_clear
    add bx, dx
    inc bx
    jmp br_next
br_clear:
    xor bx, 0x5555
br_next:
    add ax, ax
    loop br_loop

; -- calls: near with a frame, far, recursion ------------------------------------
    push bx
    call16 leaf_mix
    add sp, 2
    add dx, ax
    callf16 far_mix
    mov ax, 5
    call16 fib
    add bx, ax

; -- the 32-bit round counter ----------------------------------------------------
    sub word ptr [COUNT], 1
    sbb word ptr [COUNT_HI], 0
    mov ax, word ptr [COUNT]
    or ax, word ptr [COUNT_HI]
    jz done
    jmp16 round
done:
    mov al, 0x04                ; POST 04: workload done
    out 0x80, al
    mov ax, cs                  ; XLAT reads the digit table through DS
    mov ds, ax
    mov ax, dx
    call16 print_word
    mov ax, bx
    call16 print_word
    mov al, 0x0A
    out 0xE9, al
    mov al, 0
    out 0xF4, al
    mov dx, 0x8900
    mov si, shutdown_magic - 0xF0000
    mov cx, 8
send_magic:
    mov al, byte ptr cs:[si]
    out dx, al
    inc si
    loop send_magic
    cli
    hlt

; ax = (word [sp+2] ^ 0x5bd1) + its double, via a BP frame
leaf_mix:
    push bp
    mov bp, sp
    mov ax, word ptr [bp + 4]
    xor ax, 0x5BD1
    mov cx, ax
    add ax, ax
    add ax, cx
    pop bp
    ret16

; far procedure: mixes dx:bx with all registers saved around it
far_mix:
    pusha
    mov ax, dx
    xchg ah, al
    not ax
    mov word ptr [SCRATCH], ax
    popa
    xor bx, word ptr [SCRATCH]
    retf16

; ax = fib(ax), naive recursion with the argument in a register
fib:
    cmp ax, 2
    jb fib_done
    push cx
    dec ax
    push ax
    call16 fib
    mov cx, ax
    pop ax
    dec ax
    call16 fib
    add ax, cx
    pop cx
fib_done:
    ret16

; print ax as 4 hex digits (DS = CS)
print_word:
    push bx
    push dx
    mov dx, ax
    mov cx, 4
digit:
    xor al, al
    add dx, dx
    adc al, al
    add dx, dx
    adc al, al
    add dx, dx
    adc al, al
    add dx, dx
    adc al, al
    mov bx, hex_digits - 0xF0000
    xlatb
    out 0xE9, al
    loop digit
    pop dx
    pop bx
    ret16

hex_digits:
    .ascii "0123456789abcdef"
shutdown_magic:
    .ascii "Shutdown"
