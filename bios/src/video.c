/* INT 10h: the video services for the VGA text mode 03h (and mode 13h's mode set),
 * as in the IBM VGA Technical Reference and Ralf Brown's interrupt list. State lives in
 * the BDA (mode, columns, page size/start, cursor per page, cursor shape, active
 * page, rows, character height) where DOS and boot loaders read it directly. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "vga.h"
#include "video.h"

#define PAGES 8

static uint8_t cols(void) { return bda_get8(BDA_VIDEO_COLS); }
static uint8_t rows(void) { return bda_get8(BDA_VIDEO_ROWS) + 1; }
static int text_mode(void)
{
    uint8_t m = bda_get8(BDA_VIDEO_MODE);
    return m <= 3 || m == 7;
}
static uint16_t page_base(uint8_t page) { return page * bda_get16(BDA_VIDEO_PAGE_SIZE); }

static uint16_t cell_offset(uint8_t page, uint8_t row, uint8_t col)
{
    return page_base(page) + (row * cols() + col) * 2;
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
    if (page == bda_get8(BDA_VIDEO_PAGE) && text_mode())
        vga_set_cursor_pos(page_base(page) / 2 + row * cols() + col);
}

int video_set_mode(uint8_t mode)
{
    uint8_t keep = mode & 0x80;                 /* bit 7: do not clear video memory */
    mode &= 0x7F;
    const struct vga_mode *m = vga_find_mode(mode == 2 ? 3 : mode);
    if (!m)
        return -1;
    vga_program(m);
    if (!keep) {
        if (m->text) {
            for (uint16_t i = 0; i < 0x8000; i += 2)
                pokew(m->seg, i, 0x0720);
        } else {
            for (uint32_t i = 0; i < 0x10000; i += 4)
                pokel(m->seg, i, 0);
        }
    }
    bda_set8(BDA_VIDEO_MODE, mode);
    bda_set16(BDA_VIDEO_COLS, m->text ? m->cols : 40);
    bda_set16(BDA_VIDEO_PAGE_SIZE, m->text ? m->page_size : 0x2000);
    bda_set16(BDA_VIDEO_PAGE_START, 0);
    for (int p = 0; p < PAGES; p++)
        bda_set16(BDA_CURSOR_POS + 2 * p, 0);
    bda_set8(BDA_VIDEO_PAGE, 0);
    bda_set16(BDA_CRTC_BASE, VGA_CRTC);
    bda_set8(BDA_VIDEO_MSR, m->text ? 0x29 : 0x09);
    bda_set8(BDA_VIDEO_PALETTE, 0x30);
    bda_set8(BDA_VIDEO_ROWS, m->rows - 1);
    bda_set16(BDA_CHAR_HEIGHT, m->char_height);
    bda_set8(BDA_VIDEO_CTL, 0x60 | keep);
    bda_set8(BDA_VIDEO_SWITCHES, 0xF9);
    bda_set8(BDA_VGA_FLAGS, 0x51);              /* 400 lines, VGA active, default palette */
    bda_set8(BDA_VIDEO_DCC, 0x08);
    if (m->text) {
        bda_set16(BDA_CURSOR_SHAPE, 0x0D0E);    /* start 13, end 14 (high, low) */
        vga_set_cursor_shape(0x0D, 0x0E);
        vga_set_cursor_pos(0);
    }
    return 0;
}

/* scroll the window (r0,c0)-(r1,c1) of the active page up (n > 0) or down (n < 0)
 * by |n| lines; n == 0 or |n| > height clears it; new lines get attribute attr */
static void scroll(int n, uint8_t attr, uint8_t r0, uint8_t c0, uint8_t r1, uint8_t c1)
{
    if (!text_mode())
        return;
    if (r1 >= rows())
        r1 = rows() - 1;
    if (c1 >= cols())
        c1 = cols() - 1;
    if (r0 > r1 || c0 > c1)
        return;
    uint8_t page = bda_get8(BDA_VIDEO_PAGE);
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
        uint16_t dst_off = cell_offset(page, row, c0);
        if (i < height - lines) {
            farcopy(0xB800, dst_off, 0xB800, cell_offset(page, src, c0), width);
        } else {
            for (uint16_t k = 0; k < width; k += 2)
                pokew(0xB800, dst_off + k, attr << 8 | ' ');
        }
    }
}

static void write_cells(uint8_t page, uint8_t ch, uint8_t attr, uint16_t count, int with_attr)
{
    uint8_t row, col;
    if (!text_mode())
        return;
    get_cursor(page, &row, &col);
    uint16_t off = cell_offset(page, row, col);
    uint16_t end = page_base(page) + rows() * cols() * 2;
    for (; count && off < end; count--, off += 2) {
        pokeb(0xB800, off, ch);
        if (with_attr)
            pokeb(0xB800, off + 1, attr);
    }
}

/* teletype output on the page: control characters BEL, BS, LF, CR; scrolls the page
 * up at the bottom with the attribute under the cursor */
static void teletype(uint8_t page, uint8_t c)
{
    uint8_t row, col;
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
        if (text_mode())
            pokeb(0xB800, cell_offset(page, row, col), c);
        if (++col >= cols()) {
            col = 0;
            row++;
        }
    }
    if (row >= rows()) {
        row = rows() - 1;
        uint8_t attr = text_mode() ? peekb(0xB800, cell_offset(page, row, col) + 1) : 0;
        scroll(1, attr, 0, 0, row, cols() - 1);
    }
    set_cursor(page, row, col);
}

void video_putc(uint8_t c)
{
    teletype(bda_get8(BDA_VIDEO_PAGE), c);
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
        if (c == 7 || c == 8 || c == 10 || c == 13) {
            teletype(page, c);
        } else {
            write_cells(page, c, attr, 1, 1);
            teletype(page, c);
        }
    }
    if (!(r->ax.l & 1))
        set_cursor(page, row0, col0);
}

HANDLER handle_10(struct regs *r)
{
    uint8_t page = r->bx.h & 7, row, col;
    switch (r->ax.h) {
    case 0x00:
        if (video_set_mode(r->ax.l) == 0) {
            uint8_t m = r->ax.l & 0x7F;
            r->ax.l = m == 0x13 ? 0x20 : 0x30;  /* what IBM's VGA BIOS returns */
        }
        break;
    case 0x01:
        bda_set8(BDA_CURSOR_SHAPE, r->cx.l);
        bda_set8(BDA_CURSOR_SHAPE + 1, r->cx.h);
        vga_set_cursor_shape(r->cx.h, r->cx.l);
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
    case 0x05:
        if (r->ax.l < PAGES && text_mode()) {
            bda_set8(BDA_VIDEO_PAGE, r->ax.l);
            bda_set16(BDA_VIDEO_PAGE_START, page_base(r->ax.l));
            vga_set_start(page_base(r->ax.l) / 2);
            get_cursor(r->ax.l, &row, &col);
            set_cursor(r->ax.l, row, col);
        }
        break;
    case 0x06:
        scroll(r->ax.l, r->bx.h, r->cx.h, r->cx.l, r->dx.h, r->dx.l);
        break;
    case 0x07:
        scroll(r->ax.l ? -(int)r->ax.l : 0, r->bx.h, r->cx.h, r->cx.l, r->dx.h, r->dx.l);
        break;
    case 0x08:
        if (text_mode()) {
            get_cursor(page, &row, &col);
            r->ax.x = peekw(0xB800, cell_offset(page, row, col));
        }
        break;
    case 0x09:
    case 0x0A:
        write_cells(page, r->ax.l, r->bx.l, r->cx.x, r->ax.h == 0x09);
        break;
    case 0x0E:
        video_putc(r->ax.l);
        break;
    case 0x0F:
        r->ax.l = bda_get8(BDA_VIDEO_MODE) | (bda_get8(BDA_VIDEO_CTL) & 0x80);
        r->ax.h = cols();
        r->bx.h = bda_get8(BDA_VIDEO_PAGE);
        break;
    case 0x12:
        if (r->bx.l == 0x10) {                  /* EGA/VGA information */
            r->bx.h = 0;                        /* colour */
            r->bx.l = 3;                        /* 256 KiB */
            r->cx.x = 0x0009;                   /* switches: EGA colour 80x25 */
        }
        break;
    case 0x13:
        write_string(r);
        break;
    case 0x1A:
        if (r->ax.l == 0x00) {                  /* display combination: VGA colour */
            r->ax.l = 0x1A;
            r->bx.x = 0x0008;
        } else if (r->ax.l == 0x01) {
            r->ax.l = 0x1A;
        }
        break;
    default:
        log_printf("int10: AX=%04x not supported\n", r->ax.x);
        break;
    }
}
