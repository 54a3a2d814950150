/* The real-mode side of the BIOS: reset entry, the switch to 32-bit POST and back,
 * the interrupt entry path into the 16-bit C handlers, and the IBM-compatible fixed
 * entry points at F000:E000-FFFF (IBM PC/AT Technical Reference, BIOS listing;
 * Ralf Brown's interrupt list for the addresses software relies on).
 *
 * Interrupt entry: each vector's stub pushes its C handler's address and jumps to
 * entry_common, which saves every register as a struct regs (regs.h) on the caller's
 * stack, copies that frame to the BIOS stack in the EBDA (unless the interrupted code
 * is already on it: a nested interrupt), calls the handler with DS = SS = EBDA_SEG
 * (what the -m16 C code assumes), copies the frame back and returns with IRET, so the
 * handler returns values (and FLAGS) by changing the struct.
 */
#include "layout.h"

#define REGS_SIZE 50        /* pushal 32 + gs fs es ds 8 + handler 4 + ip cs flags 6 */
#define REGS_HANDLER 40
#define FRAME16 (STACK16_TOP - 64)  /* the copied frame; caller SS:ESP after it */

    .code16
    .section .note.GNU-stack, "", @progbits
    .section .text16, "ax"

/* ---- the BIOS's GDT: POST, the return to real mode, INT 15h AH=87h ---- */
    .balign 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* SEL_CODE32: flat 4 GiB code */
    .quad 0x00CF92000000FFFF        /* SEL_DATA32: flat 4 GiB data */
    .quad 0x00009A0F0000FFFF        /* SEL_CODE16: base 0xF0000, 64 KiB */
    .quad 0x000092000000FFFF        /* SEL_DATA16: base 0, 64 KiB (real-mode limits) */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt + 0xF0000
ivt_desc:
    .word 0x3FF
    .long 0

/* ---- power-on and reset ---- */
    .globl reset16
reset16:
    cli
    cld
    /* CMOS shutdown status byte (0x0F): 05h = EOI and jump through 0040:0067,
     * 0Ah = jump through 0040:0067: how 286-era software comes back from protected
     * mode through a reset. Everything else boots. The byte is cleared either way. */
    movb $0x8F, %al
    outb %al, $0x70
    inb $0x71, %al
    movb %al, %bl
    movb $0x8F, %al
    outb %al, $0x70
    xorb %al, %al
    outb %al, $0x71
    cmpb $0x05, %bl
    je resume_eoi
    cmpb $0x0A, %bl
    je resume_jump
    lgdtl %cs:gdt_desc
    movl %cr0, %eax
    orb $1, %al
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $post32_entry
resume_eoi:
    movb $0x20, %al
    outb %al, $0x20
resume_jump:
    xorw %ax, %ax
    movw %ax, %ds
    ljmp *0x467

/* POST's end: entered from 32-bit code through SEL_CODE16; back to real mode with
 * real-mode segment limits, then boot through INT 19h. */
    .globl to_real16
to_real16:
    movw $SEL_DATA16, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl %cr0, %eax
    andb $0xFE, %al
    movl %eax, %cr0
    ljmp $BIOS_SEG, $1f
1:  xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $0x7C00, %esp
    lidtl %cs:ivt_desc
    movb $0x0D, %al             /* CMOS index without bit 7: NMI back on */
    outb %al, $0x70
    movw $0x0003, %ax           /* the screen: VGA text mode 3 */
    int $0x10
    /* the 16-bit part of POST (option ROMs): called like an interrupt handler */
    pushfw
    pushw %cs
    pushw $1f
    pushl $post16
    jmp entry_common
1:
    /* fall through */

/* boot (again): INT 19h on a fresh stack; INT 18h comes here to retry, so its own
 * frames do not pile up */
    .globl boot_again
boot_again:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $0x7C00, %esp
    sti
    int $0x19
2:  hlt
    jmp 2b

/* ---- interrupt entry ---- */
.macro SERVICE name, handler
    .globl \name
\name:
    pushl $\handler
    jmp entry_common
.endm

entry_common:
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    pushal
    cld
    movw %ss, %ax
    cmpw $EBDA_SEG, %ax
    jne 1f
    /* nested: already on the BIOS stack (ESP's high half is 0 there) */
    movw %ax, %ds
    movw %ax, %es
    movl %esp, %eax
    calll *REGS_HANDLER(%esp)
    jmp entry_return
1:  movw %ax, %ds               /* DS:SI = the frame on the caller's stack */
    movzwl %sp, %esi
    movw $EBDA_SEG, %ax
    movw %ax, %es
    movl $FRAME16, %edi
    movl %esp, %es:REGS_SIZE(%edi)
    movw %ss, %es:REGS_SIZE+4(%edi)
    movl $REGS_SIZE / 2, %ecx
    rep movsw
    movw %ax, %ss
    movl $FRAME16, %esp
    movw %ax, %ds
    movl %esp, %eax
    calll *REGS_HANDLER(%esp)
    /* the (changed) frame back to the caller's stack, then that stack back */
    movl %esp, %esi
    lesl REGS_SIZE(%esi), %edi
    movl $REGS_SIZE / 2, %ecx
    rep movsw
    lssl REGS_SIZE(%esp), %esp
entry_return:
    popal
    popw %gs
    popw %fs
    popw %es
    popw %ds
    addw $4, %sp
    iret

SERVICE int08_entry, handle_08
SERVICE int09_entry, handle_09
SERVICE int0e_entry, handle_0e
SERVICE int10_entry, handle_10
SERVICE int11_entry, handle_11
SERVICE int12_entry, handle_12
SERVICE int13_entry, handle_13
SERVICE int15_entry, handle_15
SERVICE int16_entry, handle_16
SERVICE int18_entry, handle_18
SERVICE int19_entry, handle_19
SERVICE int1a_entry, handle_1a
SERVICE int70_entry, handle_70
SERVICE unsupported_entry, handle_unsupported

/* vectors nobody handles: IRET, with an EOI for the hardware interrupt vectors */
    .globl default_iret, default_irq_master, default_irq_slave
default_iret:
    iret
default_irq_master:
    pushw %ax
    movb $0x20, %al
    outb %al, $0x20
    popw %ax
    iret
default_irq_slave:
    pushw %ax
    movb $0x20, %al
    outb %al, $0xA0
    outb %al, $0x20
    popw %ax
    iret

/* IRQ13, the coprocessor error (FERR#) of an x87 in MS-DOS compatibility mode: as
 * the PC/AT BIOS does, clear the latch (any write to port F0h, which also asserts
 * IGNNE# so the faulting instruction can run), EOI both PICs and hand the error to
 * the NMI handler, where DOS-era software expects it (IBM AT Technical Reference). */
    .globl int75_entry
int75_entry:
    pushw %ax
    xorb %al, %al
    outb %al, $0xF0
    movb $0x20, %al
    outb %al, $0xA0
    outb %al, $0x20
    popw %ax
    int $0x02
    iret

/* void boot_jump(uint32_t drive): start a boot sector loaded at 0000:7C00 with
 * DL = drive, a stack below it and interrupts enabled (BIOS Boot Specification);
 * boot_jump_far(drive, seg << 16 | off) starts it at seg:off (El Torito's load
 * segment). */
    .globl boot_jump, boot_jump_far
boot_jump:
    movl $0x7C00, %edx
boot_jump_far:
    cli
    movl %edx, %ecx
    movl %eax, %edx
    xorl %eax, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $0x7C00, %esp
    movl %ecx, %eax
    shrl $16, %eax
    pushw %ax
    pushw %cx
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    sti
    lretw

/* void pm_copy(uint32_t dst, uint32_t src, uint32_t len): copy len bytes between two
 * linear addresses anywhere below 4 GiB, for INT 15h AH=87h: a short trip into
 * protected mode with the BIOS's GDT (the caller's GDTR is put back). */
    .globl pm_copy
pm_copy:
    pushl %esi
    pushl %edi
    pushw %ds
    pushw %es
    movl %eax, %edi
    movl %edx, %esi
    subl $8, %esp
    sgdtl (%esp)
    pushfl
    cli
    lgdtl %cs:gdt_desc
    movl %cr0, %eax
    orb $1, %al
    movl %eax, %cr0
    ljmp $SEL_CODE16, $1f
1:  movw $SEL_DATA32, %ax
    movw %ax, %ds
    movw %ax, %es
    rep movsb %ds:(%esi), %es:(%edi)
    movw $SEL_DATA16, %ax
    movw %ax, %ds
    movw %ax, %es
    movl %cr0, %eax
    andb $0xFE, %al
    movl %eax, %cr0
    ljmp $BIOS_SEG, $2f
2:  lgdtl 4(%esp)
    popfl
    addl $8, %esp
    popw %es
    popw %ds
    popl %edi
    popl %esi
    retl

/* VBE 4F01h's WinFuncPtr: a far call that switches the bank as AX=4F05h does */
    .globl vbe_window_func
vbe_window_func:
    pushw %ax
    movw $0x4F05, %ax
    int $0x10
    popw %ax
    lret

/* ---- fixed entry points and tables at F000:E000-FFFF ---- */
.macro AT addr
    .org \addr - 0xE000, 0xFF
.endm

    .section .fixed, "ax"
    .globl fixed_start
fixed_start:
AT 0xE05B                           /* POST entry */
    jmp reset16
AT 0xE2C3                           /* INT 02h NMI */
    iret
AT 0xE3FE                           /* INT 13h disk */
    jmp int13_entry
AT 0xE6F2                           /* INT 19h bootstrap */
    jmp int19_entry
AT 0xE6F5                           /* INT 15h AH=C0h configuration table */
    .globl config_table
config_table:
    .word 8                         /* bytes that follow */
    .byte 0xFC                      /* model: AT */
    .byte 0x01                      /* submodel */
    .byte 0x00                      /* BIOS revision */
    .byte 0x74                      /* feature 1: 2nd 8259, RTC, INT 09h calls INT 15h
                                       AH=4Fh, EBDA allocated */
    .byte 0x40                      /* feature 2: INT 16h AH=09h supported */
    .byte 0, 0, 0
AT 0xE739                           /* INT 14h serial */
    jmp unsupported_entry
AT 0xE82E                           /* INT 16h keyboard */
    jmp int16_entry
AT 0xE987                           /* INT 09h keyboard IRQ */
    jmp int09_entry
AT 0xEC59                           /* INT 40h floppy (relocated INT 13h) */
    jmp int13_entry
AT 0xEF57                           /* INT 0Eh floppy IRQ */
    jmp int0e_entry
AT 0xEFC7                           /* INT 1Eh diskette parameters: 1.44 MB */
    .globl diskette_params
diskette_params:
    .byte 0xDF, 0x02                /* specify: step rate/head unload, head load/DMA */
    .byte 0x25                      /* motor off delay (ticks) */
    .byte 0x02                      /* 512 bytes per sector */
    .byte 18                        /* sectors per track */
    .byte 0x1B                      /* gap length */
    .byte 0xFF                      /* data length */
    .byte 0x54                      /* format gap */
    .byte 0xF6                      /* format fill byte */
    .byte 0x0F                      /* head settle (ms) */
    .byte 0x08                      /* motor start (1/8 s) */
AT 0xEFD2                           /* INT 17h printer */
    jmp unsupported_entry
AT 0xF065                           /* INT 10h video */
    jmp int10_entry
AT 0xF841                           /* INT 12h memory size */
    jmp int12_entry
AT 0xF84D                           /* INT 11h equipment */
    jmp int11_entry
AT 0xF859                           /* INT 15h system services */
    jmp int15_entry
AT 0xFA6E                           /* the 8x8 font's characters 00h-7Fh, where CGA
                                       graphics software expects them (the rest: INT 1Fh) */
#include "font8x8_gen.inc"
AT 0xFE6E                           /* INT 1Ah time of day */
    jmp int1a_entry
AT 0xFEA5                           /* INT 08h timer IRQ */
    jmp int08_entry
AT 0xFF53                           /* dummy IRET */
    iret
AT 0xFF54                           /* INT 05h print screen: not supported */
    iret
AT 0xFFF0                           /* reset vector */
    ljmp $BIOS_SEG, $reset16
AT 0xFFF5
    .ascii "11/24/25"               /* BIOS date */
AT 0xFFFE
    .byte 0xFC                      /* model byte: AT */
    .byte 0x00
