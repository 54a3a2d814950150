#ifndef VGA_H
#define VGA_H

#include "types.h"

#define VGA_MISC_W 0x3C2
#define VGA_SEQ 0x3C4
#define VGA_DAC_W 0x3C8
#define VGA_DAC_DATA 0x3C9
#define VGA_GC 0x3CE
#define VGA_CRTC 0x3D4
#define VGA_ATTR 0x3C0
#define VGA_IS1 0x3DA

struct vga_mode {
    uint8_t mode;               /* BIOS mode number */
    uint8_t text;
    uint8_t cols, rows;         /* text columns and rows (character cells) */
    uint8_t char_height;
    uint16_t seg;               /* video memory segment */
    uint16_t page_size;         /* bytes per page (text) */
    uint8_t misc;
    uint8_t seq[5];
    uint8_t crtc[25];
    uint8_t gc[9];
    uint8_t attr[21];
};

const struct vga_mode *vga_find_mode(uint8_t mode);
void vga_program(const struct vga_mode *m);
void vga_set_cursor_pos(uint16_t offset);
void vga_set_cursor_shape(uint8_t start, uint8_t end);
void vga_set_start(uint16_t offset);

#endif
