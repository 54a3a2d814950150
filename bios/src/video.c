/* INT 10h: the video services of a VGA BIOS for the standard modes 00h-07h and
 * 0Dh-13h (IBM VGA Technical Reference, BIOS chapter; Ralf Brown's interrupt list for
 * the details software relies on); AH=4Fh, VBE, is vbe.c. State lives in the BDA
 * (mode, columns, page size/start, cursor per page, cursor shape, active page, CRTC
 * port, rows, character height, the VGA's control/switch/flag bytes at 87h-8Ah)
 * where DOS and boot loaders read it directly. Text goes to the regen buffer; in
 * graphics modes characters are drawn from the font INT 43h points at (and INT 1Fh
 * for characters 80h-FFh in the CGA modes 4-6). */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "vbe.h"
#include "vga.h"
#include "vgarom.h"
#include "video.h"

#define PAGES 8
#define IVT_1F (0x1F * 4)
#define IVT_43 (0x43 * 4)

/* BDA 87h: video control; 89h: VGA flags (IBM VGA Technical Reference, BIOS data) */
#define CTL_NO_CURSOR_EMU 0x01
#define CTL_NO_CLEAR 0x80
#define FLAG_VGA 0x01
#define FLAG_GREY 0x02
#define FLAG_MONO 0x04
#define FLAG_NO_PALETTE 0x08
#define FLAG_400 0x10
#define FLAG_SWITCH 0x40
#define FLAG_200 0x80

/* 9-dot alternate glyph tables (INT 10h AX=1130h BH=5/7): none, just the end mark */
static const uint8_t font_alt_none[1] VGAROM = { 0 };

/* INT 10h AH=1Bh's static functionality table (IBM VGA Technical Reference) */
static const uint8_t functionality[16] VGAROM = {
    0xFF, 0xE0, 0x0F,               /* modes 00h-07h, 0Dh-0Fh, 10h-13h */
    0, 0, 0, 0,
    0x07,                           /* text scan lines: 200, 350, 400 */
    8,                              /* character blocks */
    2,                              /* active blocks at once */
    0xFF,                           /* all modes, grey summing, fonts, palette loading,
                                       cursor emulation, EGA palette, DAC, colour pages */
    0x0E,                           /* save/restore state, blink/intensity, DCC */
    0, 0,
    0x00,                           /* no save pointer table functions */
    0,
};

static uint8_t cols(void) { return bda_get8(BDA_VIDEO_COLS); }
static uint8_t rows(void) { return bda_get8(BDA_VIDEO_ROWS) + 1; }
static uint8_t char_height(void) { return bda_get8(BDA_CHAR_HEIGHT); }
static uint8_t active_page(void) { return bda_get8(BDA_VIDEO_PAGE); }

/* the current BIOS mode's descriptor; -1 in a VBE mode or a mode we did not set */
static int cur_mode(struct vga_mode *m)
{
    if (vbe_active())
        return -1;
    return vga_find_mode(bda_get8(BDA_VIDEO_MODE) & 0x7F, m);
}

static uint16_t page_base(uint8_t page) { return page * bda_get16(BDA_VIDEO_PAGE_SIZE); }

static uint16_t cell_offset(uint8_t page, uint8_t row, uint8_t col)
{
    return page_base(page) + (row * cols() + col) * 2;
}

static void fill_words(uint16_t seg, uint16_t off, uint16_t v, uint16_t n)
{
    uint32_t d = off, c = n;
    asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep stosw\n\tpopw %%es"
                 : "+D"(d), "+c"(c) : "a"(v), "r"(seg) : "memory");
}

static void fill_bytes(uint16_t seg, uint16_t off, uint8_t v, uint16_t n)
{
    uint32_t d = off, c = n;
    asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep stosb\n\tpopw %%es"
                 : "+D"(d), "+c"(c) : "a"(v), "r"(seg) : "memory");
}

static void get_cursor(uint8_t page, uint8_t *row, uint8_t *col)
{
    uint16_t pos = bda_get16(BDA_CURSOR_POS + 2 * (page & 7));
    *row = pos >> 8;
    *col = pos & 0xFF;
}

static void set_cursor(uint8_t page, uint8_t row, uint8_t col)
{
    page &= PAGES - 1;
    bda_set16(BDA_CURSOR_POS + 2 * page, row << 8 | col);
    if (page == active_page())
        vga_set_cursor_pos(page_base(page) / 2 + row * cols() + col);
}

/* AH=01h: CH = start line (bit 5: no cursor), CL = end line. With cursor emulation
 * on (BDA 87h bit 0 clear) a CGA shape for 8-line cells is scaled to the current
 * cell: the CGA underline 6-7 becomes the two lines above the cell's last. */
static void set_cursor_shape(uint8_t start, uint8_t end)
{
    bda_set16(BDA_CURSOR_SHAPE, start << 8 | end);
    uint8_t h = char_height();
    if (!(bda_get8(BDA_VIDEO_CTL) & CTL_NO_CURSOR_EMU) && h > 8 && start < 8 && end < 8 &&
        start <= end) {
        uint8_t s = start * h / 8, e = (end + 1) * h / 8 - 1;
        if (end == 7) {
            e = h - 2;
            if (start >= 6)
                s = e - (7 - start);
        }
        start = s;
        end = e;
    }
    vga_set_cursor_shape(start, end);
}

static void video_bda_init(void)
{
    if (bda_get8(BDA_VGA_FLAGS) & FLAG_VGA)
        return;
    bda_set8(BDA_VGA_FLAGS, FLAG_VGA | FLAG_400 | FLAG_SWITCH);
    bda_set8(BDA_VIDEO_SWITCHES, 0xF9);         /* EGA switches: colour 80x25 hi-res */
    bda_set8(BDA_VIDEO_CTL, 0x60);              /* 256 KiB, cursor emulation on */
    bda_set8(BDA_VIDEO_DCC, 0x08);
}

static void clear_screen(const struct vga_mode *m)
{
    switch (m->model) {
    case MM_TEXT:
        fill_words(m->seg, 0, 0x0720, 0x4000);
        break;
    case MM_CGA:
        fill_words(m->seg, 0, 0, 0x4000);
        break;
    default:                                    /* all planes: map mask 0Fh */
        fill_words(m->seg, 0, 0, 0x8000);
        break;
    }
}

static uint16_t rom_font(uint8_t height)
{
    return height == 8 ? rom_off(vga_font8) :
           height == 14 ? rom_off(vga_font14) : rom_off(vga_font16);
}

int video_set_mode(uint8_t al)
{
    uint8_t noclear = al & 0x80, mode = al & 0x7F;
    struct vga_mode m;
    if (vga_find_mode(mode, &m))
        return -1;
    video_bda_init();
    vbe_disable();
    uint8_t flags = bda_get8(BDA_VGA_FLAGS);
    vga_text_lines(&m, flags & FLAG_200 ? LINES_200 : flags & FLAG_400 ? LINES_400 : LINES_350);
    vga_program(&m.p);
    if (!(flags & FLAG_NO_PALETTE))
        vga_load_dac_rom(m.pal, flags & FLAG_GREY);
    if (!noclear)
        clear_screen(&m);
    uint8_t h = m.p.char_height;
    if (m.model == MM_TEXT)
        vga_load_font(VGAROM_SEG, rom_font(h), 256, 0, 0, h);

    int mono = !(m.p.misc & 1);
    bda_set8(BDA_VIDEO_MODE, mode);
    bda_set16(BDA_VIDEO_COLS, m.p.cols);
    bda_set16(BDA_VIDEO_PAGE_SIZE, m.p.page_size);
    bda_set16(BDA_VIDEO_PAGE_START, 0);
    for (int p = 0; p < PAGES; p++)
        bda_set16(BDA_CURSOR_POS + 2 * p, 0);
    bda_set8(BDA_VIDEO_PAGE, 0);
    bda_set16(BDA_CRTC_BASE, mono ? VGA_CRTC_MONO : VGA_CRTC);
    bda_set8(BDA_VIDEO_MSR, m.cga_mode | (mode == 0 || mode == 2 || mode == 5 ? 0x04 : 0));
    bda_set8(BDA_VIDEO_PALETTE, mode == 0x06 ? 0x3F : 0x30);
    bda_set8(BDA_VIDEO_ROWS, m.p.rows_m1);
    bda_set16(BDA_CHAR_HEIGHT, h);
    bda_set8(BDA_VIDEO_CTL, (bda_get8(BDA_VIDEO_CTL) & 0x7F) | noclear);
    bda_set8(BDA_VGA_FLAGS, (bda_get8(BDA_VGA_FLAGS) & ~FLAG_MONO) | (mono ? FLAG_MONO : 0));
    /* equipment word bits 4-5: initial video mode, 11 monochrome, 10 80x25 colour */
    uint16_t eq = bda_get16(BDA_EQUIPMENT) & ~0x30;
    bda_set16(BDA_EQUIPMENT, eq | (mono ? 0x30 : 0x20));
    pokew(0, IVT_1F, rom_off(vga_font8) + 128 * 8);
    pokew(0, IVT_1F + 2, VGAROM_SEG);
    if (m.model != MM_TEXT) {
        pokew(0, IVT_43, rom_font(h));
        pokew(0, IVT_43 + 2, VGAROM_SEG);
    }
    if (m.model == MM_TEXT) {
        if (mono)
            set_cursor_shape(0x0B, 0x0C);
        else
            set_cursor_shape(0x06, 0x07);
        vga_set_cursor_pos(0);
    }
    return 0;
}

/* ---- graphics-mode pixels and glyphs ---- */

/* CGA modes: even lines at 0, odd lines at 2000h, 80 bytes a line */
static uint16_t cga_line(uint16_t y) { return (y & 1) * 0x2000 + (y >> 1) * 80; }

static void put_pixel(const struct vga_mode *m, uint8_t page, uint16_t x, uint16_t y,
                      uint8_t colour)
{
    if (x >= m->width || y >= m->height)
        return;
    uint16_t off;
    uint8_t shift, mask, v;
    switch (m->model) {
    case MM_CGA:
        if (m->bpp == 2) {
            off = cga_line(y) + x / 4;
            shift = (3 - (x & 3)) * 2;
            mask = 3 << shift;
            v = (colour & 3) << shift;
        } else {
            off = cga_line(y) + x / 8;
            shift = 7 - (x & 7);
            mask = 1 << shift;
            v = (colour & 1) << shift;
        }
        {
            uint8_t old = peekb(m->seg, off);
            pokeb(m->seg, off, colour & 0x80 ? old ^ v : (old & ~mask) | v);
        }
        break;
    case MM_PLANAR:
        off = page_base(page) + y * (m->width / 8) + x / 8;
        vga_gc_write(0x05, 0x02);               /* write mode 2: colour to planes */
        vga_gc_write(0x08, 0x80 >> (x & 7));
        vga_gc_write(0x03, colour & 0x80 ? 0x18 : 0x00);
        peekb(m->seg, off);                     /* the latches */
        pokeb(m->seg, off, colour);
        vga_gc_write(0x03, 0x00);
        vga_gc_write(0x08, 0xFF);
        vga_gc_write(0x05, 0x00);
        break;
    case MM_LINEAR:
        pokeb(m->seg, y * m->width + x, colour);
        break;
    }
}

static uint8_t get_pixel(const struct vga_mode *m, uint8_t page, uint16_t x, uint16_t y)
{
    if (x >= m->width || y >= m->height)
        return 0;
    uint8_t v = 0;
    switch (m->model) {
    case MM_CGA:
        if (m->bpp == 2)
            return peekb(m->seg, cga_line(y) + x / 4) >> ((3 - (x & 3)) * 2) & 3;
        return peekb(m->seg, cga_line(y) + x / 8) >> (7 - (x & 7)) & 1;
    case MM_PLANAR: {
        uint16_t off = page_base(page) + y * (m->width / 8) + x / 8;
        for (uint8_t p = 0; p < 4; p++) {
            vga_gc_write(0x04, p);
            v |= (peekb(m->seg, off) >> (7 - (x & 7)) & 1) << p;
        }
        vga_gc_write(0x04, 0x00);
        return v;
    }
    case MM_LINEAR:
        return peekb(m->seg, y * m->width + x);
    }
    return 0;
}

/* the far pointer (seg << 16 | off) of glyph ch of the current graphics font */
static uint32_t glyph_ptr(const struct vga_mode *m, uint8_t ch)
{
    uint8_t h = char_height();
    uint16_t vec = IVT_43;
    if (m->model == MM_CGA && ch >= 0x80) {
        vec = IVT_1F;
        ch -= 0x80;
    }
    return (uint32_t)peekw(0, vec + 2) << 16 | (uint16_t)(peekw(0, vec) + ch * h);
}

/* byte address of scan line r of character cell (row, col), and its width in bytes */
static uint16_t cell_line(const struct vga_mode *m, uint8_t page, uint8_t row, uint8_t col,
                          uint8_t r)
{
    uint16_t y = row * char_height() + r;
    switch (m->model) {
    case MM_CGA:
        return cga_line(y) + col * m->bpp;
    case MM_PLANAR:
        return page_base(page) + y * (m->width / 8) + col;
    default:
        return y * m->width + col * 8;
    }
}

static void planar_set_reset(uint8_t colour, uint8_t xor)
{
    vga_gc_write(0x00, colour & 0x0F);
    vga_gc_write(0x01, 0x0F);
    vga_gc_write(0x03, xor ? 0x18 : 0x00);
}

static void planar_restore(void)
{
    vga_gc_write(0x00, 0x00);
    vga_gc_write(0x01, 0x00);
    vga_gc_write(0x03, 0x00);
    vga_gc_write(0x05, 0x00);
    vga_gc_write(0x08, 0xFF);
}

/* draw ch in colour attr at a cell (attr bit 7: XOR onto what is there, not in 13h) */
static void gfx_char(const struct vga_mode *m, uint8_t page, uint8_t row, uint8_t col,
                     uint8_t ch, uint8_t attr)
{
    uint8_t h = char_height(), glyph[32];
    uint32_t g = glyph_ptr(m, ch);
    if (h > sizeof(glyph) || col >= cols() || row >= rows())
        return;
    farcopy(EBDA_SEG, (uint16_t)(uint32_t)glyph, g >> 16, g & 0xFFFF, h);
    int xor = attr & 0x80 && m->model != MM_LINEAR;
    if (m->model == MM_PLANAR)
        planar_set_reset(attr, xor);
    for (uint8_t r = 0; r < h; r++) {
        uint16_t off = cell_line(m, page, row, col, r);
        uint8_t bits = glyph[r];
        switch (m->model) {
        case MM_CGA:
            if (m->bpp == 2) {
                uint16_t v = 0;
                for (int b = 0; b < 8; b++)
                    if (bits & (0x80 >> b))
                        v |= (attr & 3) << (14 - 2 * b);
                v = v >> 8 | v << 8;            /* pixels 0-3 in the first byte */
                pokew(m->seg, off, xor ? peekw(m->seg, off) ^ v : v);
            } else {
                uint8_t v = attr & 1 ? bits : 0;
                pokeb(m->seg, off, xor ? peekb(m->seg, off) ^ v : v);
            }
            break;
        case MM_PLANAR:
            if (!xor) {                         /* background 0 first */
                vga_gc_write(0x00, 0);
                vga_gc_write(0x08, 0xFF);
                peekb(m->seg, off);
                pokeb(m->seg, off, 0);
                vga_gc_write(0x00, attr & 0x0F);
            }
            vga_gc_write(0x08, bits);
            peekb(m->seg, off);
            pokeb(m->seg, off, 0);
            break;
        default:
            for (int b = 0; b < 8; b++)
                pokeb(m->seg, off + b, bits & (0x80 >> b) ? attr : 0);
            break;
        }
    }
    if (m->model == MM_PLANAR)
        planar_restore();
}

/* AH=08h in graphics modes: the character whose glyph matches the cell's lit pixels */
static uint8_t gfx_read_char(const struct vga_mode *m, uint8_t page, uint8_t row, uint8_t col)
{
    uint8_t h = char_height(), cell[32], glyph[32];
    if (h > sizeof(cell))
        return 0;
    for (uint8_t r = 0; r < h; r++) {
        uint8_t bits = 0;
        uint16_t y = row * h + r;
        for (uint8_t b = 0; b < 8; b++)
            if (get_pixel(m, page, col * 8 + b, y))
                bits |= 0x80 >> b;
        cell[r] = bits;
    }
    for (uint16_t ch = 0; ch < 256; ch++) {
        uint32_t g = glyph_ptr(m, ch);
        farcopy(EBDA_SEG, (uint16_t)(uint32_t)glyph, g >> 16, g & 0xFFFF, h);
        if (!memcmp(glyph, cell, h))
            return ch;
    }
    return 0;
}

/* graphics scroll: copy a row of cells, or fill one with a colour */
static void gfx_copy_row(const struct vga_mode *m, uint8_t page, uint8_t dst, uint8_t src,
                         uint8_t c0, uint8_t c1)
{
    uint16_t width = (c1 - c0 + 1) * (m->model == MM_CGA ? m->bpp :
                                      m->model == MM_PLANAR ? 1 : 8);
    if (m->model == MM_PLANAR) {
        vga_gc_write(0x05, 0x01);               /* write mode 1: latches, all planes */
    }
    for (uint8_t r = 0; r < char_height(); r++)
        farcopy(m->seg, cell_line(m, page, dst, c0, r), m->seg, cell_line(m, page, src, c0, r),
                width);
    if (m->model == MM_PLANAR)
        vga_gc_write(0x05, 0x00);
}

static void gfx_fill_row(const struct vga_mode *m, uint8_t page, uint8_t row, uint8_t c0,
                         uint8_t c1, uint8_t colour)
{
    uint16_t width = (c1 - c0 + 1);
    uint8_t v = colour;
    if (m->model == MM_CGA) {
        width *= m->bpp;
        v = m->bpp == 2 ? (colour & 3) * 0x55 : (colour & 1 ? 0xFF : 0);
    } else if (m->model == MM_LINEAR) {
        width *= 8;
    } else {
        planar_set_reset(colour, 0);
    }
    for (uint8_t r = 0; r < char_height(); r++)
        fill_bytes(m->seg, cell_line(m, page, row, c0, r), v, width);
    if (m->model == MM_PLANAR)
        planar_restore();
}

/* scroll the window (r0,c0)-(r1,c1) of the active page up (n > 0) or down (n < 0)
 * by |n| lines; n == 0 or |n| > height clears it; new lines get attr (text) or
 * colour attr (graphics) */
static void scroll(int n, uint8_t attr, uint8_t r0, uint8_t c0, uint8_t r1, uint8_t c1)
{
    struct vga_mode m;
    if (cur_mode(&m))
        return;
    if (r1 >= rows())
        r1 = rows() - 1;
    if (c1 >= cols())
        c1 = cols() - 1;
    if (r0 > r1 || c0 > c1)
        return;
    uint8_t page = active_page();
    int height = r1 - r0 + 1;
    uint16_t width = (c1 - c0 + 1) * 2;
    int lines = n < 0 ? -n : n;
    if (lines == 0 || lines > height)
        lines = height;
    for (int i = 0; i < height; i++) {
        /* up: fill from the top; down: from the bottom, so no row is read after it
         * was overwritten */
        int row = n >= 0 ? r0 + i : r1 - i;
        int src = n >= 0 ? row + lines : row - lines;
        int copy = i < height - lines;
        if (m.model != MM_TEXT) {
            if (copy)
                gfx_copy_row(&m, page, row, src, c0, c1);
            else
                gfx_fill_row(&m, page, row, c0, c1, attr);
            continue;
        }
        uint16_t dst_off = cell_offset(page, row, c0);
        if (copy)
            farcopy(m.seg, dst_off, m.seg, cell_offset(page, src, c0), width);
        else
            fill_words(m.seg, dst_off, attr << 8 | ' ', width / 2);
    }
}

/* AH=09h/0Ah: count copies of ch from the cursor on (the cursor stays); graphics
 * modes draw them in colour attr */
static void write_cells(uint8_t page, uint8_t ch, uint8_t attr, uint16_t count, int with_attr)
{
    struct vga_mode m;
    uint8_t row, col;
    if (cur_mode(&m))
        return;
    get_cursor(page, &row, &col);
    if (m.model != MM_TEXT) {
        for (; count && col < cols(); count--, col++)
            gfx_char(&m, page, row, col, ch, attr);
        return;
    }
    uint16_t off = cell_offset(page, row, col);
    uint16_t end = page_base(page) + rows() * cols() * 2;
    for (; count && off < end; count--, off += 2) {
        pokeb(m.seg, off, ch);
        if (with_attr)
            pokeb(m.seg, off + 1, attr);
    }
}

/* teletype output on the page: control characters BEL, BS, LF, CR; scrolls the page
 * up at the bottom (text: with the attribute under the cursor; graphics: colour 0).
 * attr: the colour of characters in graphics modes. */
static void teletype(uint8_t page, uint8_t c, uint8_t attr, int use_attr)
{
    struct vga_mode m;
    uint8_t row, col;
    if (cur_mode(&m))
        return;
    get_cursor(page, &row, &col);
    switch (c) {
    case 7:
        return;
    case 8:
        if (col)
            col--;
        break;
    case 10:
        row++;
        break;
    case 13:
        col = 0;
        break;
    default:
        if (m.model != MM_TEXT) {
            gfx_char(&m, page, row, col, c, attr);
        } else {
            uint16_t off = cell_offset(page, row, col);
            pokeb(m.seg, off, c);
            if (use_attr)
                pokeb(m.seg, off + 1, attr);
        }
        if (++col >= cols()) {
            col = 0;
            row++;
        }
    }
    if (row >= rows()) {
        row = rows() - 1;
        uint8_t fill = 0;
        if (m.model == MM_TEXT)
            fill = peekb(m.seg, cell_offset(page, row, col) + 1);
        uint8_t saved = active_page();
        bda_set8(BDA_VIDEO_PAGE, page);         /* scroll() works on the active page */
        scroll(1, fill, 0, 0, row, cols() - 1);
        bda_set8(BDA_VIDEO_PAGE, saved);
    }
    set_cursor(page, row, col);
}

void video_putc(uint8_t c)
{
    teletype(active_page(), c, 0x07, 0);
}

void video_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            video_putc('\r');
        video_putc(*s);
    }
}

static void write_string(struct regs *r)
{
    uint8_t page = r->bx.h & 7, row0, col0;
    get_cursor(page, &row0, &col0);
    set_cursor(page, r->dx.h, r->dx.l);
    uint16_t p = r->bp.x;
    for (uint16_t n = r->cx.x; n; n--) {
        uint8_t c = peekb(r->es, p++);
        uint8_t attr = r->bx.l;
        if (r->ax.l & 2)
            attr = peekb(r->es, p++);
        teletype(page, c, attr, 1);
    }
    if (!(r->ax.l & 1))
        set_cursor(page, row0, col0);
}

static void select_page(uint8_t page)
{
    struct vga_mode m;
    uint8_t row, col;
    if (cur_mode(&m) || page >= m.pages)
        return;
    uint16_t base = page_base(page);
    bda_set8(BDA_VIDEO_PAGE, page);
    bda_set16(BDA_VIDEO_PAGE_START, base);
    vga_set_start(m.model == MM_TEXT ? base / 2 : base);
    if (m.model == MM_TEXT) {
        get_cursor(page, &row, &col);
        set_cursor(page, row, col);
    }
}

/* AH=0Bh: CGA colour selection. BH=0: background (graphics) and border colour from
 * BL (bit 4: intensified foreground palette in the CGA modes); BH=1: CGA palette
 * BL=0 green/red/brown, 1 cyan/magenta/white (modes 4 and 5) */
static void cga_palette(uint8_t bh, uint8_t bl)
{
    struct vga_mode m;
    if (cur_mode(&m))
        return;
    uint8_t pal = bda_get8(BDA_VIDEO_PALETTE);
    if (bh == 0) {
        uint8_t c = (bl & 0x07) | (bl & 0x08 ? 0x10 : 0);   /* IRGB -> the 64-colour form */
        pal = (pal & 0xE0) | (bl & 0x1F);
        vga_attr_write(0x11, c);
        if (m.model != MM_TEXT) {
            vga_attr_write(0x00, c);
            for (uint8_t i = 1; i < 4 && m.model == MM_CGA; i++)
                vga_attr_write(i, (vga_attr_read(i) & 0xEF) | (bl & 0x10));
        }
    } else if (m.model == MM_CGA) {
        pal = (pal & 0xDF) | (bl & 1 ? 0x20 : 0);
        for (uint8_t i = 1; i < 4; i++)
            vga_attr_write(i, (vga_attr_read(i) & 0x10) | (2 * i + (bl & 1)));
    }
    bda_set8(BDA_VIDEO_PALETTE, pal);
}

/* ---- AH=10h: palette registers and DAC ---- */

static void set_dac_checked(uint8_t i, uint8_t rr, uint8_t gg, uint8_t bb)
{
    if (bda_get8(BDA_VGA_FLAGS) & FLAG_GREY)
        rr = gg = bb = vga_grey(rr, gg, bb);
    vga_set_dac(i, rr, gg, bb);
}

static void palette(struct regs *r)
{
    uint8_t rr, gg, bb;
    switch (r->ax.l) {
    case 0x00:
        if (r->bx.l < 0x14)
            vga_attr_write(r->bx.l, r->bx.h);
        break;
    case 0x01:
        vga_attr_write(0x11, r->bx.h);
        break;
    case 0x02:
        for (uint8_t i = 0; i < 16; i++)
            vga_attr_write(i, peekb(r->es, r->dx.x + i));
        vga_attr_write(0x11, peekb(r->es, r->dx.x + 16));
        break;
    case 0x03: {                                /* BL=0 intensity, 1 blink */
        uint8_t v = vga_attr_read(0x10);
        vga_attr_write(0x10, r->bx.l & 1 ? v | 0x08 : v & ~0x08);
        uint8_t pal = bda_get8(BDA_VIDEO_MSR);
        bda_set8(BDA_VIDEO_MSR, r->bx.l & 1 ? pal | 0x20 : pal & ~0x20);
        break;
    }
    case 0x07:
        if (r->bx.l < 0x14)
            r->bx.h = vga_attr_read(r->bx.l);
        break;
    case 0x08:
        r->bx.h = vga_attr_read(0x11);
        break;
    case 0x09:
        for (uint8_t i = 0; i < 16; i++)
            pokeb(r->es, r->dx.x + i, vga_attr_read(i));
        pokeb(r->es, r->dx.x + 16, vga_attr_read(0x11));
        break;
    case 0x10:
        set_dac_checked(r->bx.l, r->dx.h, r->cx.h, r->cx.l);
        break;
    case 0x12:
        for (uint16_t i = 0; i < r->cx.x; i++) {
            uint16_t p = r->dx.x + 3 * i;
            set_dac_checked(r->bx.x + i, peekb(r->es, p), peekb(r->es, p + 1),
                            peekb(r->es, p + 2));
        }
        break;
    case 0x13: {
        uint8_t mc = vga_attr_read(0x10);
        if (r->bx.l == 0) {                     /* paging mode: BH=1 16 pages of 16 */
            vga_attr_write(0x10, r->bx.h & 1 ? mc | 0x80 : mc & ~0x80);
        } else if (r->bx.l == 1) {              /* select page BH */
            vga_attr_write(0x14, mc & 0x80 ? r->bx.h & 0x0F : (r->bx.h & 3) << 2);
        }
        break;
    }
    case 0x15:
        vga_get_dac(r->bx.l, &rr, &gg, &bb);
        r->dx.h = rr;
        r->cx.h = gg;
        r->cx.l = bb;
        break;
    case 0x17:
        for (uint16_t i = 0; i < r->cx.x; i++) {
            uint16_t p = r->dx.x + 3 * i;
            vga_get_dac(r->bx.x + i, &rr, &gg, &bb);
            pokeb(r->es, p, rr);
            pokeb(r->es, p + 1, gg);
            pokeb(r->es, p + 2, bb);
        }
        break;
    case 0x18:
        outb(VGA_PEL_MASK, r->bx.l);
        break;
    case 0x19:
        r->bx.l = inb(VGA_PEL_MASK);
        break;
    case 0x1A: {
        uint8_t mc = vga_attr_read(0x10), sel = vga_attr_read(0x14);
        r->bx.l = mc >> 7;
        r->bx.h = mc & 0x80 ? sel & 0x0F : (sel >> 2) & 3;
        break;
    }
    case 0x1B:
        vga_grey_dac(r->bx.l, r->cx.x);
        break;
    default:
        break;
    }
}

/* ---- AH=11h: character generator ---- */

static void set_vector(uint16_t vec, uint16_t seg, uint16_t off)
{
    pokew(0, vec, off);
    pokew(0, vec + 2, seg);
}

/* after loading a font into a text mode (AL=1xh): the character height and the
 * rows that fit the vertical display, and what follows from them */
static void text_recalc(uint8_t h)
{
    uint8_t c9 = vga_crtc_read(0x09), c7 = vga_crtc_read(0x07);
    uint16_t vde = (vga_crtc_read(0x12) | (c7 & 0x02) << 7 | (c7 & 0x40) << 3) + 1;
    uint8_t scan = c9 & 0x80 ? 2 : 1;
    uint8_t n = vde / scan / h;
    vga_set_char_height(h);
    vde = n * h * scan - 1;
    uint8_t prot = vga_crtc_read(0x11);
    vga_crtc_write(0x11, prot & 0x7F);
    vga_crtc_write(0x12, vde & 0xFF);
    vga_crtc_write(0x07, (c7 & ~0x42) | (vde >> 7 & 0x02) | (vde >> 3 & 0x40));
    vga_crtc_write(0x11, prot);
    bda_set8(BDA_VIDEO_ROWS, n - 1);
    bda_set16(BDA_CHAR_HEIGHT, h);
    bda_set16(BDA_VIDEO_PAGE_SIZE, ((n * cols() * 2) + 0xFF) & ~0xFF);
    set_cursor_shape(0x06, 0x07);
}

static void graphics_font(uint16_t seg, uint16_t off, uint8_t h, struct regs *r)
{
    static const uint8_t row_counts[4] = { 0, 14, 25, 43 };
    set_vector(IVT_43, seg, off);
    bda_set16(BDA_CHAR_HEIGHT, h);
    uint8_t n = r->bx.l == 0 ? r->dx.l : row_counts[r->bx.l & 3];
    if (r->bx.l <= 3 && n)
        bda_set8(BDA_VIDEO_ROWS, n - 1);
}

static void font_info(struct regs *r)
{
    uint16_t seg = VGAROM_SEG, off;
    switch (r->bx.h) {
    case 0:
        seg = peekw(0, IVT_1F + 2);
        off = peekw(0, IVT_1F);
        break;
    case 1:
        seg = peekw(0, IVT_43 + 2);
        off = peekw(0, IVT_43);
        break;
    case 2:
        off = rom_off(vga_font14);
        break;
    case 3:
        off = rom_off(vga_font8);
        break;
    case 4:
        off = rom_off(vga_font8) + 128 * 8;
        break;
    case 6:
        off = rom_off(vga_font16);
        break;
    default:                                    /* 5, 7: the 9-dot alternates */
        off = rom_off(font_alt_none);
        break;
    }
    r->es = seg;
    r->bp.x = off;
    r->cx.x = char_height();
    r->dx.l = rows() - 1;
}

static void char_generator(struct regs *r)
{
    uint8_t al = r->ax.l, block = r->bx.l;
    switch (al) {
    case 0x00:
    case 0x10:
        vga_load_font(r->es, r->bp.x, r->cx.x, r->dx.x, block, r->bx.h);
        if (al == 0x10)
            text_recalc(r->bx.h);
        break;
    case 0x01:
    case 0x11:
        vga_load_font(VGAROM_SEG, rom_off(vga_font14), 256, 0, block, 14);
        if (al == 0x11)
            text_recalc(14);
        break;
    case 0x02:
    case 0x12:
        vga_load_font(VGAROM_SEG, rom_off(vga_font8), 256, 0, block, 8);
        if (al == 0x12)
            text_recalc(8);
        break;
    case 0x04:
    case 0x14:
        vga_load_font(VGAROM_SEG, rom_off(vga_font16), 256, 0, block, 16);
        if (al == 0x14)
            text_recalc(16);
        break;
    case 0x03:
        vga_seq_write(0x03, block);
        break;
    case 0x20:
        set_vector(IVT_1F, r->es, r->bp.x);
        break;
    case 0x21:
        graphics_font(r->es, r->bp.x, r->cx.l, r);
        break;
    case 0x22:
        graphics_font(VGAROM_SEG, rom_off(vga_font14), 14, r);
        break;
    case 0x23:
        graphics_font(VGAROM_SEG, rom_off(vga_font8), 8, r);
        break;
    case 0x24:
        graphics_font(VGAROM_SEG, rom_off(vga_font16), 16, r);
        break;
    case 0x30:
        font_info(r);
        break;
    default:
        break;
    }
}

/* ---- AH=12h: alternate select ---- */

static void flag_bit(uint8_t bda, uint8_t bit, int on)
{
    uint8_t v = bda_get8(bda);
    bda_set8(bda, on ? v | bit : v & ~bit);
}

static void alternate_select(struct regs *r)
{
    uint8_t al = r->ax.l;
    switch (r->bx.l) {
    case 0x10:                                  /* EGA/VGA information */
        r->bx.h = bda_get16(BDA_CRTC_BASE) == VGA_CRTC_MONO;
        r->bx.l = 3;                            /* 256 KiB */
        r->cx.h = 0;                            /* feature connector bits */
        r->cx.l = bda_get8(BDA_VIDEO_SWITCHES) & 0x0F;
        return;
    case 0x20:                                  /* alternate print screen: INT 05h is
                                                   the only print screen there is */
        break;
    case 0x30: {                                /* text scan lines at the next mode set */
        if (al > 2) {
            r->ax.l = 0;
            return;
        }
        uint8_t f = bda_get8(BDA_VGA_FLAGS) & ~(FLAG_200 | FLAG_400);
        bda_set8(BDA_VGA_FLAGS, f | (al == 0 ? FLAG_200 : al == 2 ? FLAG_400 : 0));
        uint8_t sw = bda_get8(BDA_VIDEO_SWITCHES) & 0xF0;
        bda_set8(BDA_VIDEO_SWITCHES, sw | (al == 0 ? 0x08 : 0x09));
        break;
    }
    case 0x31:
        flag_bit(BDA_VGA_FLAGS, FLAG_NO_PALETTE, al & 1);
        break;
    case 0x32:                                  /* video (memory and ports) on/off */
        outb(VGA_ENABLE, al & 1 ? 0 : 1);
        break;
    case 0x33:
        flag_bit(BDA_VGA_FLAGS, FLAG_GREY, !(al & 1));
        break;
    case 0x34:
        flag_bit(BDA_VIDEO_CTL, CTL_NO_CURSOR_EMU, al & 1);
        break;
    case 0x35:                                  /* display switching: one adapter, so
                                                   nothing to switch */
        break;
    case 0x36:
        vga_screen(!(al & 1));
        break;
    default:
        return;
    }
    r->ax.l = 0x12;
}

/* ---- AH=1Bh: functionality/state information ---- */

static void state_info(struct regs *r)
{
    uint16_t es = r->es, di = r->di.x;
    pokew(es, di, rom_off(functionality));
    pokew(es, di + 2, VGAROM_SEG);
    farcopy(es, di + 0x04, BDA_SEG, BDA_VIDEO_MODE, 0x1E);     /* BDA 49h-66h */
    pokeb(es, di + 0x22, rows());
    pokew(es, di + 0x23, char_height());
    int mono = bda_get16(BDA_CRTC_BASE) == VGA_CRTC_MONO;
    pokeb(es, di + 0x25, mono ? 0x07 : 0x08);  /* active display combination */
    pokeb(es, di + 0x26, 0);
    struct vga_mode m;
    uint16_t colours = 0;
    uint8_t pages = 1, lines = 2;
    if (!cur_mode(&m)) {
        colours = m.pal == PAL_MONO ? 0 : m.bpp == 8 ? 256 : 1 << m.bpp;
        if (m.model == MM_TEXT)
            colours = mono ? 0 : 16;
        pages = m.pages;
        lines = m.model == MM_TEXT ? (bda_get8(BDA_VGA_FLAGS) & FLAG_200 ? 0 :
                                      bda_get8(BDA_VGA_FLAGS) & FLAG_400 ? 2 : 1) :
                m.height == 200 ? 0 : m.height == 350 ? 1 : 3;
    }
    pokew(es, di + 0x27, colours);
    pokeb(es, di + 0x29, pages);
    pokeb(es, di + 0x2A, lines);
    uint8_t cms = vga_seq_read(0x03);
    pokeb(es, di + 0x2B, (cms & 3) | (cms >> 2 & 4));          /* block for attr bit 3 = 0 */
    pokeb(es, di + 0x2C, (cms >> 2 & 3) | (cms >> 3 & 4));
    uint8_t f = bda_get8(BDA_VGA_FLAGS), ctl = bda_get8(BDA_VIDEO_CTL);
    pokeb(es, di + 0x2D, (f & FLAG_GREY) | (mono ? 0x04 : 0) | (f & FLAG_NO_PALETTE) |
                         (ctl & CTL_NO_CURSOR_EMU ? 0 : 0x10) |
                         (vga_attr_read(0x10) & 0x08 ? 0x20 : 0));
    for (uint8_t i = 0x2E; i < 0x31; i++)
        pokeb(es, di + i, 0);
    pokeb(es, di + 0x31, 3);                    /* 256 KiB */
    pokeb(es, di + 0x32, 0);
    for (uint8_t i = 0x33; i < 0x40; i++)
        pokeb(es, di + i, 0);
    r->ax.l = 0x1B;
}

/* ---- AH=1Ch: save/restore video state (also VBE 4F04h) ---- */

#define HW_STATE 68
#define BDA_STATE 46
#define DAC_STATE 771

uint16_t video_state_size(uint16_t mask)
{
    return (mask & 1 ? HW_STATE : 0) + (mask & 2 ? BDA_STATE : 0) +
           (mask & 4 ? DAC_STATE : 0);
}

/* hardware: indices, feature, misc, sequencer, CRTC, attribute, GC, CRTC port */
static uint16_t save_hw(uint16_t es, uint16_t p)
{
    uint16_t crtc = vga_crtc_port();
    pokeb(es, p++, inb(VGA_SEQ));
    pokeb(es, p++, inb(crtc));
    pokeb(es, p++, inb(VGA_GC));
    inb(crtc + 6);
    uint8_t aidx = inb(VGA_ATTR);
    pokeb(es, p++, aidx);
    pokeb(es, p++, inb(VGA_FEATURE_R));
    pokeb(es, p++, inb(VGA_MISC_R));
    for (uint8_t i = 0; i < 5; i++)
        pokeb(es, p++, vga_seq_read(i));
    for (uint8_t i = 0; i < 25; i++) {
        outb(crtc, i);
        pokeb(es, p++, inb(crtc + 1));
    }
    for (uint8_t i = 0; i < 21; i++)
        pokeb(es, p++, vga_attr_read(i));
    for (uint8_t i = 0; i < 9; i++)
        pokeb(es, p++, vga_gc_read(i));
    pokew(es, p, crtc);
    return p + 2;
}

static uint16_t restore_hw(uint16_t es, uint16_t p)
{
    uint16_t crtc = peekw(es, p + 66);
    uint16_t q = p + 6;
    vga_seq_write(0x00, 0x01);
    outb(VGA_MISC_W, peekb(es, p + 5));
    for (uint8_t i = 1; i < 5; i++)
        vga_seq_write(i, peekb(es, q + i));
    vga_seq_write(0x00, peekb(es, q));
    q += 5;
    outb(crtc, 0x11);
    outb(crtc + 1, peekb(es, q + 0x11) & 0x7F);
    for (uint8_t i = 0; i < 25; i++) {
        outb(crtc, i);
        outb(crtc + 1, peekb(es, q + i));
    }
    q += 25;
    inb(crtc + 6);
    for (uint8_t i = 0; i < 21; i++) {
        outb(VGA_ATTR, i);
        outb(VGA_ATTR, peekb(es, q + i));
    }
    q += 21;
    for (uint8_t i = 0; i < 9; i++)
        vga_gc_write(i, peekb(es, q + i));
    outb(crtc + 6, peekb(es, p + 4));           /* feature control */
    outb(VGA_SEQ, peekb(es, p));
    outb(crtc, peekb(es, p + 1));
    outb(VGA_GC, peekb(es, p + 2));
    inb(crtc + 6);
    outb(VGA_ATTR, peekb(es, p + 3) | ATTR_PAS);
    return p + HW_STATE;
}

/* the BDA's video data (49h-66h, 84h-8Ah), equipment byte, INT 1Fh and 43h */
static uint16_t save_bda(uint16_t es, uint16_t p, int restore)
{
    static const struct { uint16_t seg, off; uint8_t n; } parts[] = {
        { BDA_SEG, BDA_VIDEO_MODE, 0x1E }, { BDA_SEG, BDA_VIDEO_ROWS, 7 },
        { BDA_SEG, BDA_EQUIPMENT, 1 }, { 0, IVT_1F, 4 }, { 0, IVT_43, 4 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
        if (restore)
            farcopy(parts[i].seg, parts[i].off, es, p, parts[i].n);
        else
            farcopy(es, p, parts[i].seg, parts[i].off, parts[i].n);
        p += parts[i].n;
    }
    return p + 1;                               /* one spare byte: 46 */
}

static uint16_t save_dac(uint16_t es, uint16_t p)
{
    pokeb(es, p, inb(VGA_DAC_R) & 3);
    pokeb(es, p + 1, inb(VGA_DAC_W));
    pokeb(es, p + 2, inb(VGA_PEL_MASK));
    outb(VGA_DAC_R, 0);
    for (uint16_t i = 0; i < 768; i++)
        pokeb(es, p + 3 + i, inb(VGA_DAC_DATA));
    return p + DAC_STATE;
}

static uint16_t restore_dac(uint16_t es, uint16_t p)
{
    outb(VGA_PEL_MASK, peekb(es, p + 2));
    outb(VGA_DAC_W, 0);
    for (uint16_t i = 0; i < 768; i++)
        outb(VGA_DAC_DATA, peekb(es, p + 3 + i));
    outb(VGA_DAC_W, peekb(es, p + 1));
    return p + DAC_STATE;
}

uint16_t video_state(uint8_t op, uint16_t mask, uint16_t es, uint16_t p)
{
    if (mask & 1)
        p = op == 1 ? save_hw(es, p) : restore_hw(es, p);
    if (mask & 2)
        p = save_bda(es, p, op == 2);
    if (mask & 4)
        p = op == 1 ? save_dac(es, p) : restore_dac(es, p);
    return p;
}

static void save_state(struct regs *r)
{
    uint16_t mask = r->cx.x;
    switch (r->ax.l) {
    case 0x00:
        r->bx.x = (video_state_size(mask) + 63) / 64;
        break;
    case 0x01:
    case 0x02:
        video_state(r->ax.l, mask, r->es, r->bx.x);
        break;
    default:
        return;
    }
    r->ax.l = 0x1C;
}

HANDLER handle_10(struct regs *r)
{
    uint8_t page = r->bx.h & 7, row, col;
    struct vga_mode m;
    switch (r->ax.h) {
    case 0x00:
        if (video_set_mode(r->ax.l) == 0) {
            uint8_t md = r->ax.l & 0x7F;
            /* what IBM's VGA BIOS returns: 20h for mode 6 and above 7, else 30h */
            r->ax.l = md > 7 || md == 6 ? 0x20 : 0x30;
        }
        break;
    case 0x01:
        set_cursor_shape(r->cx.h, r->cx.l);
        break;
    case 0x02:
        set_cursor(page, r->dx.h, r->dx.l);
        break;
    case 0x03:
        get_cursor(page, &row, &col);
        r->dx.h = row;
        r->dx.l = col;
        r->cx.x = bda_get16(BDA_CURSOR_SHAPE);
        break;
    case 0x04:                                  /* light pen: not triggered (none) */
        r->ax.h = 0;
        break;
    case 0x05:
        select_page(r->ax.l);
        break;
    case 0x06:
        scroll(r->ax.l, r->bx.h, r->cx.h, r->cx.l, r->dx.h, r->dx.l);
        break;
    case 0x07:
        scroll(r->ax.l ? -(int)r->ax.l : 0, r->bx.h, r->cx.h, r->cx.l, r->dx.h, r->dx.l);
        break;
    case 0x08:
        if (cur_mode(&m))
            break;
        get_cursor(page, &row, &col);
        if (m.model == MM_TEXT) {
            r->ax.x = peekw(m.seg, cell_offset(page, row, col));
        } else {
            r->ax.l = gfx_read_char(&m, page, row, col);
            r->ax.h = 0;
        }
        break;
    case 0x09:
    case 0x0A:
        write_cells(page, r->ax.l, r->bx.l, r->cx.x, r->ax.h == 0x09);
        break;
    case 0x0B:
        cga_palette(r->bx.h, r->bx.l);
        break;
    case 0x0C:
        if (!cur_mode(&m) && m.model != MM_TEXT)
            put_pixel(&m, page, r->cx.x, r->dx.x, r->ax.l);
        break;
    case 0x0D:
        if (!cur_mode(&m) && m.model != MM_TEXT)
            r->ax.l = get_pixel(&m, page, r->cx.x, r->dx.x);
        break;
    case 0x0E:
        teletype(active_page(), r->ax.l, r->bx.l, 0);
        break;
    case 0x0F:
        r->ax.l = bda_get8(BDA_VIDEO_MODE) | (bda_get8(BDA_VIDEO_CTL) & CTL_NO_CLEAR);
        r->ax.h = cols();
        r->bx.h = active_page();
        break;
    case 0x10:
        palette(r);
        break;
    case 0x11:
        char_generator(r);
        break;
    case 0x12:
        alternate_select(r);
        break;
    case 0x13:
        write_string(r);
        break;
    case 0x1A:
        if (r->ax.l == 0x00) {                  /* display combination: VGA */
            r->ax.l = 0x1A;
            r->bx.x = bda_get16(BDA_CRTC_BASE) == VGA_CRTC_MONO ? 0x0007 : 0x0008;
        } else if (r->ax.l == 0x01) {
            r->ax.l = 0x1A;
        }
        break;
    case 0x1B:
        if (r->bx.x == 0)
            state_info(r);
        break;
    case 0x1C:
        save_state(r);
        break;
    case 0x4F:
        handle_vbe(r);
        break;
    default:
        log_printf("int10: AX=%04x not supported\n", r->ax.x);
        break;
    }
}
