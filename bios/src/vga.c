/* VGA register programming for the BIOS video modes (IBM VGA Technical Reference:
 * the register values of the standard modes; FreeVGA for the register semantics).
 * Shared by POST (32-bit) and INT 10h (16-bit): port I/O only. */
#include "vga.h"

static const struct vga_mode modes[] = {
    {   /* mode 03h: 80x25 text, 16 colours, 9x16 cells, 720x400 */
        .mode = 0x03, .text = 1, .cols = 80, .rows = 25, .char_height = 16,
        .seg = 0xB800, .page_size = 0x1000, .misc = 0x67,
        .seq = { 0x03, 0x00, 0x03, 0x00, 0x02 },
        .crtc = { 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D,
                  0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96,
                  0xB9, 0xA3, 0xFF },
        .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF },
        .attr = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                  0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00 },
    },
    {   /* mode 13h: 320x200, 256 colours, linear (chain-4) */
        .mode = 0x13, .text = 0, .cols = 40, .rows = 25, .char_height = 8,
        .seg = 0xA000, .page_size = 0, .misc = 0x63,
        .seq = { 0x03, 0x01, 0x0F, 0x00, 0x0E },
        .crtc = { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00,
                  0x00, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96,
                  0xB9, 0xA3, 0xFF },
        .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF },
        .attr = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                  0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00 },
    },
};

const struct vga_mode *vga_find_mode(uint8_t mode)
{
    for (unsigned i = 0; i < ARRAY_SIZE(modes); i++)
        if (modes[i].mode == mode)
            return &modes[i];
    return NULL;
}

/* The default DAC: entries 0-63 are the EGA's rgbRGB colours (bit 2/5 red, 1/4 green,
 * 0/3 blue; the low bit of each pair is 2/3 intensity, the high one 1/3), which the
 * text mode's attribute palette points into; 64-255 stay black in text mode. For the
 * 256-colour mode: the 16 CGA colours, then 16 greys, then the rest a colour ramp. */
static void load_dac(const struct vga_mode *m)
{
    outb(VGA_DAC_W, 0);
    for (unsigned i = 0; i < 256; i++) {
        uint8_t rgb[3];
        if (m->text) {
            if (i < 64) {
                rgb[0] = (i & 4 ? 0x2A : 0) + (i & 0x20 ? 0x15 : 0);
                rgb[1] = (i & 2 ? 0x2A : 0) + (i & 0x10 ? 0x15 : 0);
                rgb[2] = (i & 1 ? 0x2A : 0) + (i & 0x08 ? 0x15 : 0);
            } else {
                rgb[0] = rgb[1] = rgb[2] = 0;
            }
        } else if (i < 16) {
            uint8_t hi = i & 8 ? 0x15 : 0;
            rgb[0] = (i & 4 ? 0x2A : 0) + hi;
            rgb[1] = (i & 2 ? 0x2A : 0) + hi;
            rgb[2] = (i & 1 ? 0x2A : 0) + hi;
            if (i == 6)
                rgb[1] = 0x15;                  /* brown, not dark yellow */
        } else if (i < 32) {
            rgb[0] = rgb[1] = rgb[2] = (uint8_t)((i - 16) * 63 / 15);
        } else {
            rgb[0] = (uint8_t)((i * 7) & 63);
            rgb[1] = (uint8_t)((i * 3) & 63);
            rgb[2] = (uint8_t)((i * 5) & 63);
        }
        outb(VGA_DAC_DATA, rgb[0]);
        outb(VGA_DAC_DATA, rgb[1]);
        outb(VGA_DAC_DATA, rgb[2]);
    }
}

void vga_program(const struct vga_mode *m)
{
    inb(VGA_IS1);
    outb(VGA_ATTR, 0x00);                       /* palette access: screen off */
    outb(VGA_MISC_W, m->misc);
    outb(VGA_SEQ, 0x00);
    outb(VGA_SEQ + 1, 0x01);                    /* synchronous reset */
    for (unsigned i = 1; i < sizeof(m->seq); i++) {
        outb(VGA_SEQ, i);
        outb(VGA_SEQ + 1, m->seq[i]);
    }
    outb(VGA_SEQ, 0x00);
    outb(VGA_SEQ + 1, m->seq[0]);
    outb(VGA_CRTC, 0x11);                       /* unlock CRTC 0-7 */
    outb(VGA_CRTC + 1, m->crtc[0x11] & 0x7F);
    for (unsigned i = 0; i < sizeof(m->crtc); i++) {
        outb(VGA_CRTC, i);
        outb(VGA_CRTC + 1, m->crtc[i]);
    }
    for (unsigned i = 0; i < sizeof(m->gc); i++) {
        outb(VGA_GC, i);
        outb(VGA_GC + 1, m->gc[i]);
    }
    inb(VGA_IS1);                               /* attribute flip-flop to index */
    for (unsigned i = 0; i < sizeof(m->attr); i++) {
        outb(VGA_ATTR, i);
        outb(VGA_ATTR, m->attr[i]);
    }
    load_dac(m);
    inb(VGA_IS1);
    outb(VGA_ATTR, 0x20);                       /* palette done: screen on */
}

void vga_set_cursor_pos(uint16_t offset)
{
    outb(VGA_CRTC, 0x0E);
    outb(VGA_CRTC + 1, offset >> 8);
    outb(VGA_CRTC, 0x0F);
    outb(VGA_CRTC + 1, offset & 0xFF);
}

void vga_set_cursor_shape(uint8_t start, uint8_t end)
{
    outb(VGA_CRTC, 0x0A);
    outb(VGA_CRTC + 1, start);
    outb(VGA_CRTC, 0x0B);
    outb(VGA_CRTC + 1, end);
}

void vga_set_start(uint16_t offset)
{
    outb(VGA_CRTC, 0x0C);
    outb(VGA_CRTC + 1, offset >> 8);
    outb(VGA_CRTC, 0x0D);
    outb(VGA_CRTC + 1, offset & 0xFF);
}
