/*
 * The kernel-boot option ROM: what `pyx86 run --kernel` boots through.
 *
 * An ISA-style option ROM (55 AA, size, entry at offset 3) whose initialisation hooks
 * INT 19h. When the BIOS then boots, the hook copies the pieces that emu/linuxboot.py
 * prepared from the fw_cfg device into guest memory with fw_cfg DMA and enters the
 * kernel:
 *   - Linux (no KERNEL_ENTRY item): setup code, protected-mode kernel, initrd and
 *     command line to their addresses, then CS = setup segment + 0x20, IP = 0,
 *     DS = ES = FS = GS = SS = setup segment, SP = 0xE000 (the heap end the loader
 *     wrote into the setup header), interrupts off (Linux boot.rst, "Running the
 *     kernel").
 *   - Multiboot: kernel image and information block to their addresses, the BIOS's
 *     E820 map copied into the block (mmap), mem_lower/mem_upper from INT 12h and the
 *     map, A20 on, 32-bit flat protected mode, EAX = 0x2BADB002, EBX = the block,
 *     paging off, IF = 0 (Multiboot 0.6.96, "Machine state").
 * The code is position independent: a BIOS may copy the ROM anywhere in C000-EFFF.
 * Built by bios/optionrom.py with the C toolchain's assembler (GNU as).
 */
#define FW_SELECT   0x510
#define FW_DATA     0x511
#define FW_DMA_LOW  0x518
#define KERNEL_ADDR 0x07
#define KERNEL_SIZE 0x08
#define INITRD_ADDR 0x0A
#define INITRD_SIZE 0x0B
#define KERNEL_ENTRY 0x10
#define KERNEL_DATA 0x11
#define INITRD_DATA 0x12
#define CMDLINE_ADDR 0x13
#define CMDLINE_SIZE 0x14
#define CMDLINE_DATA 0x15
#define SETUP_ADDR  0x16
#define SETUP_SIZE  0x17
#define SETUP_DATA  0x18
#define DMA_READ_SELECT 0x0A            /* READ | SELECT */

/* scratch RAM at boot time (below the 0x7C00 boot sector, never returned from) */
#define STACK_TOP   0x7C00
#define DESC        0x5F00              /* fw_cfg DMA descriptor, 16 bytes */
#define GDTR        0x5F10              /* lgdt operand: limit, base */
#define JUMP        0x5F18              /* far pointer to the 32-bit code: off32, sel */
#define MB_ENTRY    0x5F20
#define MB_INFO     0x5F24
#define MB_LOWER    0x5F28
#define MB_UPPER    0x5F2C
#define MB_COUNT    0x5F30
#define E820_BUF    0x5000              /* up to 160 records of 20 bytes */
#define E820_MAX    160

        .code16
        .text
        .globl _start
_start:
        .byte 0x55, 0xAA
        .byte 0                         /* size in blocks: set by the build */
        jmp init

init:   /* far-called by the BIOS during POST: hook INT 19h and return */
        push %ds
        push %ax
        xor %ax, %ax
        mov %ax, %ds
        movw $boot, 0x19*4
        mov %cs, 0x19*4+2
        pop %ax
        pop %ds
        lret

/* eax <- the 32-bit item %ax (traditional interface: select, 4 byte reads) */
read32:
        mov $FW_SELECT, %dx
        out %ax, %dx
        mov $FW_DATA, %dx
        mov $4, %cx
1:      in %dx, %al
        ror $8, %eax
        loop 1b
        ret

/* DMA the item %bx, %ecx bytes, to physical %edi (nothing when %ecx is 0) */
dma:
        test %ecx, %ecx
        jz 2f
        mov %bx, %ax
        shl $16, %eax
        mov $DMA_READ_SELECT, %al
        bswap %eax
        mov %eax, DESC
        bswap %ecx
        mov %ecx, DESC+4
        movl $0, DESC+8
        bswap %edi
        mov %edi, DESC+12
        mov $DESC, %eax
        bswap %eax
        mov $FW_DMA_LOW, %dx
        out %eax, %dx                   /* starts the transfer; done when OUT returns */
2:      ret

/* load item pair (addr key %si, size key %bp, data key %bx) */
load:
        mov %si, %ax
        call read32
        mov %eax, %edi
        mov %bp, %ax
        call read32
        mov %eax, %ecx
        jmp dma

boot:
        cli
        xor %ax, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $STACK_TOP, %sp
        cld
        mov $KERNEL_ADDR, %si
        mov $KERNEL_SIZE, %bp
        mov $KERNEL_DATA, %bx
        call load
        mov $INITRD_ADDR, %si
        mov $INITRD_SIZE, %bp
        mov $INITRD_DATA, %bx
        call load
        mov $KERNEL_ENTRY, %ax
        call read32
        test %eax, %eax
        jnz multiboot

linux:
        mov $CMDLINE_ADDR, %si
        mov $CMDLINE_SIZE, %bp
        mov $CMDLINE_DATA, %bx
        call load
        mov $SETUP_ADDR, %si
        mov $SETUP_SIZE, %bp
        mov $SETUP_DATA, %bx
        call load
        mov $SETUP_ADDR, %ax
        call read32
        shr $4, %eax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        mov %ax, %ss
        mov $0xE000, %sp
        add $0x20, %ax
        push %ax
        push $0
        lret

multiboot:
        mov %eax, MB_ENTRY
        mov $INITRD_ADDR, %ax
        call read32
        mov %eax, MB_INFO
        int $0x12                       /* conventional memory in KiB */
        movzwl %ax, %eax
        mov %eax, MB_LOWER
        movl $0, MB_UPPER
        /* the BIOS's memory map, and the RAM contiguous from 1 MiB for mem_upper */
        xor %ebx, %ebx
        mov $E820_BUF, %di
        xor %si, %si
3:      mov $0xE820, %eax
        mov $20, %ecx
        mov $0x534D4150, %edx           /* "SMAP" */
        int $0x15
        jc 5f
        cmp $0x534D4150, %eax
        jne 5f
        cmpl $0x100000, (%di)
        jne 4f
        cmpl $0, 4(%di)
        jne 4f
        cmpl $1, 16(%di)
        jne 4f
        mov 8(%di), %eax
        shr $10, %eax
        mov %eax, MB_UPPER
4:      add $20, %di
        inc %si
        cmp $E820_MAX, %si
        je 5f
        test %ebx, %ebx
        jnz 3b
5:      movzwl %si, %esi
        mov %esi, MB_COUNT
        in $0x92, %al                   /* fast A20 on */
        or $2, %al
        and $0xFE, %al
        out %al, $0x92
        /* GDT and far pointer at the ROM's linear address, wherever it was put */
        xor %eax, %eax
        mov %cs, %ax
        shl $4, %eax
        mov %eax, %ebx
        add $gdt, %eax
        movw $gdt_end - gdt - 1, GDTR
        mov %eax, GDTR+2
        mov %ebx, %eax
        add $pm32, %eax
        mov %eax, JUMP
        movw $0x08, JUMP+4
        lgdtl GDTR
        mov %cr0, %eax
        or $1, %al
        mov %eax, %cr0
        ljmpl *JUMP

        .code32
pm32:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        mov %ax, %ss
        mov $STACK_TOP, %esp
        mov MB_INFO, %ebx
        mov MB_LOWER, %eax
        mov %eax, 4(%ebx)
        mov MB_UPPER, %eax
        mov %eax, 8(%ebx)
        /* mmap records: a size word (20) before each E820 record */
        mov 48(%ebx), %edi
        mov $E820_BUF, %esi
        mov MB_COUNT, %ecx
        imul $24, %ecx, %eax
        mov %eax, 44(%ebx)
6:      jecxz 7f
        movl $20, (%edi)
        add $4, %edi
        push %ecx
        mov $5, %ecx
        rep movsl
        pop %ecx
        dec %ecx
        jmp 6b
7:      mov MB_ENTRY, %ecx
        mov $0x2BADB002, %eax
        jmp *%ecx

        .balign 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        /* 0x08: flat 32-bit code */
        .quad 0x00CF92000000FFFF        /* 0x10: flat data */
gdt_end:
