/* The video BIOS's read-only data in ROM: fonts, mode parameter and DAC tables,
 * VBE strings. It lives in section .vgarom, which bios.ld places in the E segment
 * (0xE0000-0xEFFFF), outside the 16-bit code's data segment: the 16-bit code never
 * dereferences these objects, it reads them through far pointers E000:rom_off(x)
 * (peekb, farcopy) and hands such far pointers to callers (INT 1Fh/43h, INT 10h
 * AX=1130h, VBE). The generated part comes from bios/vgadata.py. */
#ifndef VGAROM_H
#define VGAROM_H

#include "types.h"

#define VGAROM __attribute__((section(".vgarom"), aligned(1)))
#define VGAROM_SEG 0xE000

/* offset in VGAROM_SEG of an object in .vgarom (linked at 0xE0000-0xEFFFF) */
#define rom_off(x) ((uint16_t)(uint32_t)(x))

extern const uint8_t vga_font8[2048], vga_font14[3584], vga_font16[4096];
extern const uint8_t vga_pal_cga[192], vga_pal_ega[192], vga_pal_mono[192],
    vga_pal_256[768];

#endif
