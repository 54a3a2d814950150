/*
 * Start-up and BIOS call stubs of the demo program (loaded at 1000:0000). The C code is
 * compiled with gcc -m16: 32-bit calling convention (calll/retl, arguments on the
 * stack) in 16-bit code, one 64 KiB segment for code, data and stack.
 */
        .code16
        .section .text.start
        .globl _start
_start:
        cli
        mov %cs, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $0xFFF0, %esp
        sti
        cld
        movzbl %dl, %eax
        pushl %eax
        calll demo_main
1:      hlt
        jmp 1b

/*
 * void bios_int(int vector, struct regs *r): load EAX..EDI and ES from *r, INT vector,
 * store them back with the flags. The vector is patched into the INT instruction.
 */
        .text
        .globl bios_int
bios_int:
        pushl %ebp
        movl %esp, %ebp
        pushal
        push %es
        movl 8(%ebp), %eax
        movb %al, %cs:intno
        movl 12(%ebp), %esi
        movl 0(%esi), %eax
        movl 4(%esi), %ebx
        movl 8(%esi), %ecx
        movl 12(%esi), %edx
        movl 20(%esi), %edi
        mov 24(%esi), %es
        movl 16(%esi), %esi
        pushl %ebp
        .byte 0xCD                      /* INT imm8 */
intno:  .byte 0
        popl %ebp
        pushl %esi
        movl 12(%ebp), %esi
        movl %eax, 0(%esi)
        movl %ebx, 4(%esi)
        movl %ecx, 8(%esi)
        movl %edx, 12(%esi)
        popl %eax
        movl %eax, 16(%esi)
        movl %edi, 20(%esi)
        mov %es, 24(%esi)
        pushf
        pop %ax
        mov %ax, 26(%esi)
        pop %es
        popal
        popl %ebp
        retl
