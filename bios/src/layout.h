/* Where pyx86's BIOS keeps things: shared by the C code (16- and 32-bit), the
 * assembly entry code and (as symbols) the linker script.
 *
 * ROM: 128 KiB at 0xE0000-0xFFFFF (and its alias below 4 GiB).
 *   0xE0000-0xEFFFF  32-bit flat POST code (runs once, from ROM)
 *   0xF0000-0xFDFFF  16-bit service code (CS = F000), then the initial image of the
 *                    16-bit data, which POST copies into the EBDA
 *   0xFE000-0xFFFFF  IBM-compatible fixed entry points and tables, reset vector
 * RAM the BIOS owns at run time: the IVT, the BDA (0x400) and the EBDA at the top of
 * conventional memory. The EBDA holds the standard EBDA fields, the private data
 * (struct bios_private), the 16-bit code's data (its .rodata/.data/.bss: the 16-bit
 * C code runs with DS = SS = EBDA_SEG) and the stack the service routines run on.
 */
#ifndef LAYOUT_H
#define LAYOUT_H

#define EBDA_SEG        0x9E00
#define EBDA_BASE       0x9E000
#define EBDA_KIB        8
#define BASE_MEM_KIB    (EBDA_BASE / 1024)        /* what INT 12h reports: 632 */
#define PRIV_OFF        0x0100                    /* struct bios_private in the EBDA */
#define DATA16_OFF      0x0200                    /* the 16-bit C data in the EBDA */
#define DATA16_END      0x1800                    /* ... must end below here */
#define STACK16_TOP     0x2000                    /* service stack: EBDA_SEG:1FF8 down */

#define POST_STACK_TOP  0x70000                   /* 32-bit POST: stack and .bss */
#define POST_BSS        0x10000

#define SEL_CODE32      0x08                      /* the BIOS's GDT (in ROM) */
#define SEL_DATA32      0x10
#define SEL_CODE16      0x18                      /* base 0xF0000, 64 KiB */
#define SEL_DATA16      0x20                      /* base 0, 64 KiB: real-mode limits */

#define BIOS_SEG        0xF000

/* the PIIX4 power management block where POST puts it (pci.c; the FADT of
 * emu/acpi.py says the same), and its sleep control (hw/piix.py) */
#define PM_BASE         0xB000
#define PM1_CNT         0x04
#define PM1_SLP_EN      0x2000
#define PM1_SLP_TYP_S5  0

#endif
