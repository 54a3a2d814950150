/*
 * The demo disk's boot sector: loads the program that follows it (sectors 1..N,
 * N patched in by images/demo.py at `sectors`) to 1000:0000 with INT 13h, one
 * sector at a time through CHS from the drive's INT 13h AH=08h geometry (so the same
 * image boots as a hard disk or a floppy), then jumps there with DL = the drive.
 */
        .code16
        .text
        .globl _start
_start:
        cli
        xor %ax, %ax
        mov %ax, %ds
        mov %ax, %ss
        mov $0x7C00, %sp
        sti
        cld
        mov %dl, drive
        mov $0x08, %ah                  /* geometry: CL[5:0] sectors, DH heads - 1 */
        xor %di, %di
        mov %di, %es
        int $0x13
        jc fail
        and $0x3F, %cl
        mov %cl, spt
        inc %dh
        mov %dh, heads
        mov $0x1000, %ax
        mov %ax, %es
        xor %bx, %bx                    /* ES:BX = where the next sector goes */
        mov $1, %si                     /* LBA */
next:   cmp sectors, %si
        ja done
        mov %si, %ax                    /* LBA -> C/H/S */
        xor %dx, %dx
        movzbw spt, %cx
        div %cx
        inc %dl
        mov %dl, %cl                    /* sector */
        xor %dx, %dx
        movzbw heads, %di
        div %di
        mov %dl, %dh                    /* head */
        mov %al, %ch                    /* cylinder low 8 bits */
        shl $6, %ah
        or %ah, %cl                     /* cylinder bits 8-9 */
        mov drive, %dl
        mov $0x0201, %ax
        int $0x13
        jc fail
        mov %es, %ax
        add $0x20, %ax                  /* 512 bytes further */
        mov %ax, %es
        inc %si
        jmp next
done:   mov drive, %dl
        ljmp $0x1000, $0
fail:   mov $msg, %si
1:      lodsb
        test %al, %al
        jz 2f
        mov $0x0E, %ah
        mov $7, %bx
        int $0x10
        jmp 1b
2:      hlt
        jmp 2b

msg:    .asciz "pyx86 demo: disk read error"
drive:  .byte 0
spt:    .byte 0
heads:  .byte 0
        .org 0x1F0
sectors: .word 0
        .org 0x1FE
        .byte 0x55, 0xAA
