/* The VGA hardware side of the video BIOS (vga.c): the standard modes' register
 * tables and the register-level operations INT 10h is built from. */
#ifndef VGA_H
#define VGA_H

#include "types.h"

#define VGA_ATTR 0x3C0
#define VGA_ATTR_R 0x3C1
#define VGA_MISC_W 0x3C2
#define VGA_ENABLE 0x3C3
#define VGA_SEQ 0x3C4
#define VGA_PEL_MASK 0x3C6
#define VGA_DAC_R 0x3C7
#define VGA_DAC_W 0x3C8
#define VGA_DAC_DATA 0x3C9
#define VGA_FEATURE_R 0x3CA
#define VGA_MISC_R 0x3CC
#define VGA_GC 0x3CE
#define VGA_CRTC 0x3D4
#define VGA_CRTC_MONO 0x3B4
#define VGA_IS1 0x3DA
#define VGA_IS1_MONO 0x3BA

#define ATTR_PAS 0x20               /* attribute index bit 5: palette done, screen on */

/* memory models */
#define MM_TEXT 0
#define MM_CGA 1                    /* CGA 2 (modes 4, 5) or 1 (mode 6) bits per pixel */
#define MM_PLANAR 2                 /* EGA/VGA 4 planes */
#define MM_LINEAR 3                 /* mode 13h: a byte per pixel (chain-4) */

/* DAC tables (vgadata.py) */
#define PAL_CGA 0
#define PAL_EGA 1
#define PAL_MONO 2
#define PAL_256 3

/* The IBM VGA BIOS's video parameter table entry (IBM VGA Technical Reference:
 * "Video Parameter Table"): 64 bytes that set up one mode. */
struct vga_params {
    uint8_t cols;                   /* character columns */
    uint8_t rows_m1;                /* character rows - 1 */
    uint8_t char_height;
    uint16_t page_size;             /* regen buffer bytes per page */
    uint8_t seq[4];                 /* sequencer registers 1-4 */
    uint8_t misc;
    uint8_t crtc[25];
    uint8_t attr[20];               /* attribute controller 0-13h */
    uint8_t gc[9];
} __attribute__((packed));

/* one BIOS mode: what INT 10h needs besides the registers */
struct vga_mode {
    uint8_t mode;
    uint8_t model;                  /* MM_* */
    uint8_t bpp;                    /* bits per pixel (graphics); 4 for text */
    uint8_t pal;                    /* PAL_* of the 400/480-line form */
    uint8_t pages;                  /* display pages */
    uint8_t cga_mode;               /* BDA 65h: the CGA mode control register */
    uint16_t seg;                   /* video memory segment */
    uint16_t width, height;         /* pixels (graphics) */
    struct vga_params p;
} __attribute__((packed));

/* scan line choices for the text modes (INT 10h AX=12xxh BL=30h) */
#define LINES_200 0
#define LINES_350 1
#define LINES_400 2

int vga_find_mode(uint8_t mode, struct vga_mode *m);
void vga_text_lines(struct vga_mode *m, int lines);
void vga_program(const struct vga_params *p);
void vga_load_dac_rom(int pal, int grey);
void vga_set_dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b);
void vga_get_dac(uint8_t index, uint8_t *r, uint8_t *g, uint8_t *b);
void vga_grey_dac(uint8_t first, uint16_t count);
uint8_t vga_grey(uint8_t r, uint8_t g, uint8_t b);
uint8_t vga_attr_read(uint8_t index);
void vga_attr_write(uint8_t index, uint8_t v);
uint8_t vga_seq_read(uint8_t index);
void vga_seq_write(uint8_t index, uint8_t v);
uint8_t vga_gc_read(uint8_t index);
void vga_gc_write(uint8_t index, uint8_t v);
uint16_t vga_crtc_port(void);
uint8_t vga_crtc_read(uint8_t index);
void vga_crtc_write(uint8_t index, uint8_t v);
void vga_screen(int on);
void vga_planes_begin(void);
void vga_planes_end(void);
void vga_load_font(uint16_t seg, uint16_t off, uint16_t count, uint16_t first,
                   uint8_t block, uint8_t height);
void vga_set_char_height(uint8_t height);
void vga_set_cursor_pos(uint16_t offset);
void vga_set_cursor_shape(uint8_t start, uint8_t end);
void vga_set_start(uint16_t offset);

#endif
