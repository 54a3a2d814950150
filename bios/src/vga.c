/* VGA register programming for the BIOS video modes: the standard modes' register
 * values (IBM VGA Technical Reference, "Video Parameter Table"; FreeVGA for the
 * register semantics), their variants for 200 and 350 scan lines, the DAC, the
 * attribute controller's flip-flop dance and loading fonts into plane 2. */
#include "farptr.h"
#include "vga.h"
#include "vgarom.h"

#define TEXT_ATTR { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, \
                    0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08 }
#define EGA16_ATTR { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, \
                     0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00 }
#define CGA16_ATTR { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12, \
                     0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x0F, 0x00 }
#define TEXT_GC { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF }
#define PLANAR_GC { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF }
#define CRTC_80X25 { 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, \
                     0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, \
                     0xB9, 0xA3, 0xFF }
#define CRTC_640X200 { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0xC0, 0x00, \
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x00, 0x96, \
                       0xB9, 0xE3, 0xFF }
#define CRTC_640X350 { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x40, 0x00, \
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0x85, 0x5D, 0x28, 0x0F, 0x63, \
                       0xBA, 0xE3, 0xFF }
#define CRTC_640X480(mode_ctl) { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, \
                                 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x8C, \
                                 0xDF, 0x28, 0x00, 0xE7, 0x04, mode_ctl, 0xFF }

/* modes 00h/02h/05h are 01h/03h/04h (they differ only on a CGA's composite output) */
static const struct vga_mode modes[] VGAROM = {
    { 0x01, MM_TEXT, 4, PAL_EGA, 8, 0x28, 0xB800, 360, 400,
      { 40, 24, 16, 0x0800, { 0x08, 0x03, 0x00, 0x02 }, 0x67,
        { 0x2D, 0x27, 0x28, 0x90, 0x2B, 0xA0, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
          0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x14, 0x1F, 0x96, 0xB9, 0xA3, 0xFF },
        TEXT_ATTR, TEXT_GC } },
    { 0x03, MM_TEXT, 4, PAL_EGA, 8, 0x29, 0xB800, 720, 400,
      { 80, 24, 16, 0x1000, { 0x00, 0x03, 0x00, 0x02 }, 0x67, CRTC_80X25, TEXT_ATTR,
        TEXT_GC } },
    { 0x04, MM_CGA, 2, PAL_CGA, 1, 0x2A, 0xB800, 320, 200,
      { 40, 24, 8, 0x4000, { 0x09, 0x03, 0x00, 0x02 }, 0x63,
        { 0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2, 0xFF },
        { 0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14,
          0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00 },
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x00, 0xFF } } },
    { 0x06, MM_CGA, 1, PAL_CGA, 1, 0x1E, 0xB800, 640, 200,
      { 80, 24, 8, 0x4000, { 0x01, 0x01, 0x00, 0x06 }, 0x63,
        { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x00, 0x96, 0xB9, 0xC2, 0xFF },
        { 0x00, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
          0x17, 0x17, 0x17, 0x01, 0x00, 0x01, 0x00 },
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0D, 0x00, 0xFF } } },
    { 0x07, MM_TEXT, 4, PAL_MONO, 8, 0x29, 0xB000, 720, 400,
      { 80, 24, 16, 0x1000, { 0x00, 0x03, 0x00, 0x02 }, 0x66, CRTC_80X25,
        { 0x00, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x10, 0x18, 0x18, 0x18, 0x18,
          0x18, 0x18, 0x18, 0x0E, 0x00, 0x0F, 0x08 },
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0A, 0x00, 0xFF } } },
    { 0x0D, MM_PLANAR, 4, PAL_CGA, 8, 0x29, 0xA000, 320, 200,
      { 40, 24, 8, 0x2000, { 0x09, 0x0F, 0x00, 0x06 }, 0x63,
        { 0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC0, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xE3, 0xFF },
        CGA16_ATTR, PLANAR_GC } },
    { 0x0E, MM_PLANAR, 4, PAL_CGA, 4, 0x29, 0xA000, 640, 200,
      { 80, 24, 8, 0x4000, { 0x01, 0x0F, 0x00, 0x06 }, 0x63, CRTC_640X200, CGA16_ATTR,
        PLANAR_GC } },
    { 0x0F, MM_PLANAR, 1, PAL_MONO, 2, 0x29, 0xA000, 640, 350,
      { 80, 24, 14, 0x8000, { 0x01, 0x0F, 0x00, 0x06 }, 0xA2, CRTC_640X350,
        { 0x00, 0x08, 0x00, 0x00, 0x18, 0x18, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
          0x18, 0x00, 0x00, 0x0B, 0x00, 0x05, 0x00 },
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x05, 0xFF } } },
    { 0x10, MM_PLANAR, 4, PAL_EGA, 2, 0x29, 0xA000, 640, 350,
      { 80, 24, 14, 0x8000, { 0x01, 0x0F, 0x00, 0x06 }, 0xA3, CRTC_640X350, EGA16_ATTR,
        PLANAR_GC } },
    { 0x11, MM_PLANAR, 1, PAL_EGA, 1, 0x29, 0xA000, 640, 480,
      { 80, 29, 16, 0xA000, { 0x01, 0x0F, 0x00, 0x06 }, 0xE3, CRTC_640X480(0xC3),
        { 0x00, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
          0x3F, 0x3F, 0x3F, 0x01, 0x00, 0x0F, 0x00 },
        PLANAR_GC } },
    { 0x12, MM_PLANAR, 4, PAL_EGA, 1, 0x29, 0xA000, 640, 480,
      { 80, 29, 16, 0xA000, { 0x01, 0x0F, 0x00, 0x06 }, 0xE3, CRTC_640X480(0xE3),
        EGA16_ATTR, PLANAR_GC } },
    { 0x13, MM_LINEAR, 8, PAL_256, 1, 0x29, 0xA000, 320, 200,
      { 40, 24, 8, 0xFA00, { 0x01, 0x0F, 0x00, 0x0E }, 0x63,
        { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF },
        { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
          0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00 },
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF } } },
};

/* the mode's descriptor, copied from ROM into *m; -1 for modes we do not have */
int vga_find_mode(uint8_t mode, struct vga_mode *m)
{
    if (mode == 0x00 || mode == 0x02)
        mode++;
    else if (mode == 0x05)
        mode = 0x04;
    for (unsigned i = 0; i < ARRAY_SIZE(modes); i++) {
        if (peekb(VGAROM_SEG, rom_off(&modes[i].mode)) == mode) {
            farcopy(EBDA_SEG, (uint16_t)(uint32_t)m, VGAROM_SEG, rom_off(&modes[i]),
                    sizeof(*m));
            return 0;
        }
    }
    return -1;
}

/* The text modes' 350- and 200-line forms (what an EGA showed): same horizontal
 * timing, 8-dot cells on the 25 MHz clock (mode 7 keeps its 9-dot cells), the 8x14
 * font in the 350-line frame or the 8x8 font double scanned in the 400-line one. */
void vga_text_lines(struct vga_mode *m, int lines)
{
    struct vga_params *p = &m->p;
    uint8_t *c = p->crtc;
    if (m->model != MM_TEXT || lines == LINES_400)
        return;
    if (m->mode != 0x07) {
        p->seq[0] |= 0x01;                      /* 8-dot characters */
        p->attr[0x10] &= ~0x04;                 /* no 9th-column line graphics */
        p->attr[0x13] = 0x00;                   /* and no 9-dot panning */
    }
    if (lines == LINES_350 || m->mode == 0x07) {
        p->misc = m->mode == 0x07 ? 0xA6 : 0xA3;
        p->char_height = 14;
        c[0x09] = 0x4D;
        c[0x0A] = 0x0B;
        c[0x0B] = 0x0C;
        c[0x10] = 0x83;
        c[0x11] = 0x85;
        c[0x12] = 0x5D;
        c[0x15] = 0x63;
        c[0x16] = 0xBA;
    } else {
        p->misc = 0x63;
        p->char_height = 8;
        m->pal = PAL_CGA;
        c[0x09] = 0xC7;                         /* double scan, 8 lines */
        c[0x0A] = 0x06;
        c[0x0B] = 0x07;
    }
}

uint16_t vga_crtc_port(void)
{
    return inb(VGA_MISC_R) & 1 ? VGA_CRTC : VGA_CRTC_MONO;
}

static void attr_index_reset(void)
{
    inb(vga_crtc_port() + 6);                   /* input status 1: flip-flop to index */
}

uint8_t vga_attr_read(uint8_t index)
{
    attr_index_reset();
    uint8_t pas = inb(VGA_ATTR) & ATTR_PAS;
    outb(VGA_ATTR, index | pas);
    uint8_t v = inb(VGA_ATTR_R);
    attr_index_reset();
    outb(VGA_ATTR, pas);
    return v;
}

/* palette registers 0-0Fh take writes only with the palette address source off
 * (screen blanked): the write happens there and the screen comes back on */
void vga_attr_write(uint8_t index, uint8_t v)
{
    attr_index_reset();
    uint8_t pas = inb(VGA_ATTR) & ATTR_PAS;
    outb(VGA_ATTR, index);
    outb(VGA_ATTR, v);
    outb(VGA_ATTR, pas);
}

uint8_t vga_seq_read(uint8_t index)
{
    outb(VGA_SEQ, index);
    return inb(VGA_SEQ + 1);
}

void vga_seq_write(uint8_t index, uint8_t v)
{
    outb(VGA_SEQ, index);
    outb(VGA_SEQ + 1, v);
}

uint8_t vga_gc_read(uint8_t index)
{
    outb(VGA_GC, index);
    return inb(VGA_GC + 1);
}

void vga_gc_write(uint8_t index, uint8_t v)
{
    outb(VGA_GC, index);
    outb(VGA_GC + 1, v);
}

uint8_t vga_crtc_read(uint8_t index)
{
    uint16_t port = vga_crtc_port();
    outb(port, index);
    return inb(port + 1);
}

void vga_crtc_write(uint8_t index, uint8_t v)
{
    uint16_t port = vga_crtc_port();
    outb(port, index);
    outb(port + 1, v);
}

/* screen on/off through the sequencer's clocking mode bit 5 (INT 10h AX=1201h BL=36h) */
void vga_screen(int on)
{
    uint8_t v = vga_seq_read(0x01);
    vga_seq_write(0x01, on ? v & ~0x20 : v | 0x20);
}

void vga_program(const struct vga_params *p)
{
    attr_index_reset();
    outb(VGA_ATTR, 0x00);                       /* palette access: screen off */
    vga_seq_write(0x00, 0x01);                  /* synchronous reset */
    outb(VGA_MISC_W, p->misc);
    for (unsigned i = 0; i < sizeof(p->seq); i++)
        vga_seq_write(i + 1, p->seq[i]);
    vga_seq_write(0x00, 0x03);
    uint16_t crtc = p->misc & 1 ? VGA_CRTC : VGA_CRTC_MONO;
    outb(crtc, 0x11);                           /* unlock CRTC 0-7 */
    outb(crtc + 1, p->crtc[0x11] & 0x7F);
    for (unsigned i = 0; i < sizeof(p->crtc); i++) {
        outb(crtc, i);
        outb(crtc + 1, p->crtc[i]);
    }
    for (unsigned i = 0; i < sizeof(p->gc); i++)
        vga_gc_write(i, p->gc[i]);
    inb(crtc + 6);
    for (unsigned i = 0; i < sizeof(p->attr); i++) {
        outb(VGA_ATTR, i);
        outb(VGA_ATTR, p->attr[i]);
    }
    outb(VGA_ATTR, 0x14);                       /* colour select */
    outb(VGA_ATTR, 0x00);
    outb(VGA_ATTR, ATTR_PAS);                   /* palette done: screen on */
    outb(VGA_PEL_MASK, 0xFF);
}

/* IBM's grey-scale summing: 30% red, 59% green, 11% blue */
uint8_t vga_grey(uint8_t r, uint8_t g, uint8_t b)
{
    uint16_t v = (77 * r + 151 * g + 28 * b + 0x80) >> 8;
    return v > 0x3F ? 0x3F : v;
}

void vga_set_dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b)
{
    outb(VGA_DAC_W, index);
    outb(VGA_DAC_DATA, r);
    outb(VGA_DAC_DATA, g);
    outb(VGA_DAC_DATA, b);
}

void vga_get_dac(uint8_t index, uint8_t *r, uint8_t *g, uint8_t *b)
{
    outb(VGA_DAC_R, index);
    *r = inb(VGA_DAC_DATA);
    *g = inb(VGA_DAC_DATA);
    *b = inb(VGA_DAC_DATA);
}

void vga_grey_dac(uint8_t first, uint16_t count)
{
    for (uint16_t i = 0; i < count; i++) {
        uint8_t r, g, b, idx = first + i;
        vga_get_dac(idx, &r, &g, &b);
        uint8_t y = vga_grey(r, g, b);
        vga_set_dac(idx, y, y, y);
    }
}

/* a mode set's DAC: the 64-entry tables fill 0-3Fh and the rest goes black */
void vga_load_dac_rom(int pal, int grey)
{
    uint16_t off, n = 64;
    switch (pal) {
    case PAL_CGA:
        off = rom_off(vga_pal_cga);
        break;
    case PAL_MONO:
        off = rom_off(vga_pal_mono);
        break;
    case PAL_256:
        off = rom_off(vga_pal_256);
        n = 256;
        break;
    default:
        off = rom_off(vga_pal_ega);
        break;
    }
    for (uint16_t i = 0; i < 256; i++) {
        uint8_t r = 0, g = 0, b = 0;
        if (i < n) {
            r = peekb(VGAROM_SEG, off + 3 * i);
            g = peekb(VGAROM_SEG, off + 3 * i + 1);
            b = peekb(VGAROM_SEG, off + 3 * i + 2);
        }
        if (grey)
            r = g = b = vga_grey(r, g, b);
        vga_set_dac(i, r, g, b);
    }
}

/* Plane 2 (the character generator) at A000:0 for the CPU, as the IBM VGA Technical
 * Reference's font loading sequence does; vga_planes_end() goes back to text mode's
 * odd/even addressing at B800 (B000 with the monochrome CRTC). */
void vga_planes_begin(void)
{
    vga_seq_write(0x00, 0x01);
    vga_seq_write(0x02, 0x04);                  /* map mask: plane 2 */
    vga_seq_write(0x04, 0x07);                  /* sequential, extended memory */
    vga_seq_write(0x00, 0x03);
    vga_gc_write(0x04, 0x02);                   /* read map 2 */
    vga_gc_write(0x05, 0x00);                   /* write mode 0, sequential */
    vga_gc_write(0x06, 0x04);                   /* A000 64 KiB, text */
}

void vga_planes_end(void)
{
    vga_seq_write(0x00, 0x01);
    vga_seq_write(0x02, 0x03);
    vga_seq_write(0x04, 0x03);
    vga_seq_write(0x00, 0x03);
    vga_gc_write(0x04, 0x00);
    vga_gc_write(0x05, 0x10);
    vga_gc_write(0x06, vga_crtc_port() == VGA_CRTC ? 0x0E : 0x0A);
}

/* count glyphs of `height` bytes from seg:off into character generator block `block`
 * (0-7: 8 KiB apart in the order of the sequencer's character map select), from
 * character `first` on; each glyph takes 32 bytes there */
void vga_load_font(uint16_t seg, uint16_t off, uint16_t count, uint16_t first,
                   uint8_t block, uint8_t height)
{
    static const uint16_t block_base[8] = { 0x0000, 0x4000, 0x8000, 0xC000,
                                            0x2000, 0x6000, 0xA000, 0xE000 };
    uint16_t base = block_base[block & 7];
    vga_planes_begin();
    for (uint16_t c = 0; c < count && first + c < 256; c++) {
        uint16_t dst = base + (first + c) * 32;
        farcopy(0xA000, dst, seg, off + c * height, height);
        for (uint8_t r = height; r < 32; r++)
            pokeb(0xA000, dst + r, 0);
    }
    vga_planes_end();
}

/* a text mode's character height: CRTC maximum scan line, the cursor at the cell's
 * bottom, the underline row and the number of rows that fit the frame */
void vga_set_char_height(uint8_t height)
{
    uint8_t v = vga_crtc_read(0x09);
    vga_crtc_write(0x09, (v & 0xE0) | ((height - 1) & 0x1F));
    vga_crtc_write(0x0A, height - 3 < 0 ? 0 : height - 3);
    vga_crtc_write(0x0B, height - 2 < 0 ? 0 : height - 2);
    uint8_t ul = vga_crtc_read(0x14);
    if ((ul & 0x1F) != 0x1F && (ul & 0x1F))
        vga_crtc_write(0x14, (ul & 0xE0) | ((height - 1) & 0x1F));
}

void vga_set_cursor_pos(uint16_t offset)
{
    vga_crtc_write(0x0E, offset >> 8);
    vga_crtc_write(0x0F, offset & 0xFF);
}

void vga_set_cursor_shape(uint8_t start, uint8_t end)
{
    vga_crtc_write(0x0A, start);
    vga_crtc_write(0x0B, end);
}

void vga_set_start(uint16_t offset)
{
    vga_crtc_write(0x0C, offset >> 8);
    vga_crtc_write(0x0D, offset & 0xFF);
}
