/* INT 10h AH=4Fh: VESA BIOS Extensions 3.0 (VESA VBE Core Functions Standard 3.0)
 * over the Bochs "DISPI" interface of the VGA (hw/vga.py: index port 1CEh, data
 * 1CFh; resolution, depth, enable with linear framebuffer and no-clear bits, a 64 KiB
 * bank at A000h, virtual width and display offsets, 8-bit DAC). The framebuffer's
 * physical address is the VGA PCI function's BAR0 (00:02.0).
 *
 * Modes: the VESA numbers 100h-11Bh that DISPI can show (no 4-bit planar ones:
 * 102h/104h/106h) and, as Bochs numbers them, 32 bits per pixel at 140h (320x200),
 * 141h (640x400), 142h (640x480), 143h (800x600), 144h (1024x768), 145h (1280x1024),
 * 147h (1600x1200); modes that do not fit video memory are left out of the list.
 * AX=4F0Ah (protected-mode interface) answers "failed" (AX=014Fh): there is none. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "vbe.h"
#include "vga.h"
#include "vgarom.h"
#include "video.h"

#define DISPI_INDEX 0x1CE
#define DISPI_DATA 0x1CF
#define DISPI_ID 0
#define DISPI_XRES 1
#define DISPI_YRES 2
#define DISPI_BPP 3
#define DISPI_ENABLE 4
#define DISPI_BANK 5
#define DISPI_VIRT_WIDTH 6
#define DISPI_VIRT_HEIGHT 7
#define DISPI_X_OFFSET 8
#define DISPI_Y_OFFSET 9
#define DISPI_VIDEO_MEMORY_64K 10
#define DISPI_REGS 10               /* saved by 4F04h: indices 1-9 and the index port */
#define DISPI_ENABLED 0x01
#define DISPI_GETCAPS 0x02
#define DISPI_8BIT_DAC 0x20
#define DISPI_LFB 0x40
#define DISPI_NOCLEAR 0x80

#define VBE_OK 0x004F
#define VBE_FAILED 0x014F
#define VBE_INVALID_MODE 0x034F     /* function invalid in the current mode */

#define PCI_VGA_BDF (2 << 11)       /* 00:02.0 */
#define LFB_DEFAULT 0xE0000000U

struct vbe_mode {
    uint16_t mode, xres, yres;
    uint8_t bpp;
} __attribute__((packed));

static const struct vbe_mode vbe_modes[] VGAROM = {
    { 0x100, 640, 400, 8 }, { 0x101, 640, 480, 8 }, { 0x103, 800, 600, 8 },
    { 0x105, 1024, 768, 8 }, { 0x107, 1280, 1024, 8 },
    { 0x10D, 320, 200, 15 }, { 0x10E, 320, 200, 16 }, { 0x10F, 320, 200, 24 },
    { 0x110, 640, 480, 15 }, { 0x111, 640, 480, 16 }, { 0x112, 640, 480, 24 },
    { 0x113, 800, 600, 15 }, { 0x114, 800, 600, 16 }, { 0x115, 800, 600, 24 },
    { 0x116, 1024, 768, 15 }, { 0x117, 1024, 768, 16 }, { 0x118, 1024, 768, 24 },
    { 0x119, 1280, 1024, 15 }, { 0x11A, 1280, 1024, 16 }, { 0x11B, 1280, 1024, 24 },
    { 0x140, 320, 200, 32 }, { 0x141, 640, 400, 32 }, { 0x142, 640, 480, 32 },
    { 0x143, 800, 600, 32 }, { 0x144, 1024, 768, 32 }, { 0x145, 1280, 1024, 32 },
    { 0x147, 1600, 1200, 32 },
};

static const char oem_string[] VGAROM = "pyx86 VBE (Bochs DISPI)";
static const char oem_vendor[] VGAROM = "pyx86";
static const char oem_product[] VGAROM = "pyx86 VGA";
static const char oem_revision[] VGAROM = "1.0";

extern char vbe_window_func[];              /* entry_16.S: the 4F05h far call */

static uint16_t vbe_current;                 /* the VBE mode 4F02h set */

static uint16_t dispi_read(uint16_t index)
{
    outw(DISPI_INDEX, index);
    return inw(DISPI_DATA);
}

static void dispi_write(uint16_t index, uint16_t v)
{
    outw(DISPI_INDEX, index);
    outw(DISPI_DATA, v);
}

int vbe_active(void)
{
    return dispi_read(DISPI_ENABLE) & DISPI_ENABLED;
}

void vbe_disable(void)
{
    dispi_write(DISPI_ENABLE, 0);
}

static uint32_t pci_read(uint8_t off)
{
    outl(0xCF8, 0x80000000U | PCI_VGA_BDF | off);
    return inl(0xCFC);
}

static void pci_write(uint8_t off, uint32_t v)
{
    outl(0xCF8, 0x80000000U | PCI_VGA_BDF | off);
    outl(0xCFC, v);
}

/* the linear framebuffer: BAR0 of the VGA function as POST programmed it, or (no
 * address assigned yet) LFB_DEFAULT, assigned here with memory decoding enabled;
 * 0 when 00:02.0 is not the Bochs/QEMU VGA */
static uint32_t lfb_address(void)
{
    if (pci_read(0x00) != 0x11111234)
        return 0;
    uint32_t bar = pci_read(0x10) & ~0xFU;
    if (!bar) {
        pci_write(0x10, LFB_DEFAULT);
        bar = pci_read(0x10) & ~0xFU;
    }
    uint32_t cmd = pci_read(0x04);
    if (!(cmd & 0x02))
        pci_write(0x04, (cmd & 0xFFFF) | 0x02);
    return bar;
}

static uint32_t video_memory(void)
{
    return (uint32_t)dispi_read(DISPI_VIDEO_MEMORY_64K) << 16;
}

static uint8_t bytes_pp(uint8_t bpp) { return (bpp + 7) / 8; }

/* the mode's entry (copied from ROM) if DISPI can show it in video memory */
static int find_mode(uint16_t mode, struct vbe_mode *out)
{
    for (unsigned i = 0; i < ARRAY_SIZE(vbe_modes); i++) {
        if (peekw(VGAROM_SEG, rom_off(&vbe_modes[i].mode)) != mode)
            continue;
        farcopy(EBDA_SEG, (uint16_t)(uint32_t)out, VGAROM_SEG, rom_off(&vbe_modes[i]),
                sizeof(*out));
        return (uint32_t)out->xres * bytes_pp(out->bpp) * out->yres <= video_memory() ?
               0 : -1;
    }
    return -1;
}

static void zero(uint16_t es, uint16_t di, uint16_t n)
{
    for (uint16_t i = 0; i < n; i += 2)
        pokew(es, di + i, 0);
}

static void far_ptr(uint16_t es, uint16_t at, uint16_t seg, uint16_t off)
{
    pokew(es, at, off);
    pokew(es, at + 2, seg);
}

/* 4F00h: VbeInfoBlock; the mode list goes into its reserved area (offset 22h) */
static uint16_t controller_info(struct regs *r)
{
    uint16_t es = r->es, di = r->di.x;
    int vbe2 = peekl(es, di) == 0x32454256;    /* "VBE2": the 512-byte form */
    zero(es, di, vbe2 ? 512 : 256);
    pokel(es, di, 0x41534556);                  /* "VESA" */
    pokew(es, di + 0x04, 0x0300);
    far_ptr(es, di + 0x06, VGAROM_SEG, rom_off(oem_string));
    pokel(es, di + 0x0A, 0x00000001);           /* DAC switchable to 8 bits */
    far_ptr(es, di + 0x0E, es, di + 0x22);
    pokew(es, di + 0x12, dispi_read(DISPI_VIDEO_MEMORY_64K));
    pokew(es, di + 0x14, 0x0100);               /* OEM software revision 1.0 */
    far_ptr(es, di + 0x16, VGAROM_SEG, rom_off(oem_vendor));
    far_ptr(es, di + 0x1A, VGAROM_SEG, rom_off(oem_product));
    far_ptr(es, di + 0x1E, VGAROM_SEG, rom_off(oem_revision));
    uint16_t p = di + 0x22;
    for (unsigned i = 0; i < ARRAY_SIZE(vbe_modes); i++) {
        struct vbe_mode m;
        uint16_t mode = peekw(VGAROM_SEG, rom_off(&vbe_modes[i].mode));
        if (!find_mode(mode, &m)) {
            pokew(es, p, mode);
            p += 2;
        }
    }
    pokew(es, p, 0xFFFF);
    return VBE_OK;
}

/* red, green, blue, reserved: mask size and field position */
static void colour_fields(uint8_t bpp, uint8_t f[8])
{
    static const uint8_t fields[4][8] = {
        { 5, 10, 5, 5, 5, 0, 1, 15 },           /* 15: x:1 r:5 g:5 b:5 */
        { 5, 11, 6, 5, 5, 0, 0, 0 },            /* 16: r:5 g:6 b:5 */
        { 8, 16, 8, 8, 8, 0, 0, 0 },            /* 24: r:8 g:8 b:8 */
        { 8, 16, 8, 8, 8, 0, 8, 24 },           /* 32: x:8 r:8 g:8 b:8 */
    };
    int k = bpp == 15 ? 0 : bpp == 16 ? 1 : bpp == 24 ? 2 : 3;
    for (int i = 0; i < 8; i++)
        f[i] = bpp == 8 ? 0 : fields[k][i];
}

/* 4F01h: ModeInfoBlock */
static uint16_t mode_info(struct regs *r)
{
    struct vbe_mode m;
    if (find_mode(r->cx.x & 0x1FF, &m))
        return VBE_FAILED;
    uint16_t es = r->es, di = r->di.x;
    uint32_t lfb = lfb_address();
    uint16_t pitch = m.xres * bytes_pp(m.bpp);
    uint32_t pages = video_memory() / ((uint32_t)pitch * m.yres);
    uint8_t img = pages > 256 ? 255 : pages - 1;
    uint8_t f[8];
    colour_fields(m.bpp, f);
    zero(es, di, 256);
    pokew(es, di + 0x00, 0x1B | (lfb ? 0x80 : 0));  /* supported, extended info, colour,
                                                       graphics, linear framebuffer */
    pokeb(es, di + 0x02, 0x07);                 /* window A: exists, readable, writable */
    pokew(es, di + 0x04, 64);                   /* granularity KiB */
    pokew(es, di + 0x06, 64);                   /* size KiB */
    pokew(es, di + 0x08, 0xA000);
    far_ptr(es, di + 0x0C, BIOS_SEG, (uint16_t)(uint32_t)vbe_window_func);
    pokew(es, di + 0x10, pitch);
    pokew(es, di + 0x12, m.xres);
    pokew(es, di + 0x14, m.yres);
    pokeb(es, di + 0x16, 8);
    pokeb(es, di + 0x17, 16);
    pokeb(es, di + 0x18, 1);                    /* planes */
    pokeb(es, di + 0x19, m.bpp);
    pokeb(es, di + 0x1A, 1);                    /* banks */
    pokeb(es, di + 0x1B, m.bpp == 8 ? 0x04 : 0x06);     /* packed pixel / direct colour */
    pokeb(es, di + 0x1D, img);
    pokeb(es, di + 0x1E, 1);
    for (int i = 0; i < 8; i++) {
        pokeb(es, di + 0x1F + i, f[i]);         /* banked and ... */
        pokeb(es, di + 0x36 + i, f[i]);         /* ... linear (VBE 3.0) layouts */
    }
    pokel(es, di + 0x28, lfb);
    pokew(es, di + 0x32, pitch);
    pokeb(es, di + 0x34, img);
    pokeb(es, di + 0x35, img);
    return VBE_OK;
}

/* 4F02h: BX bits 0-8 mode, bit 14 linear framebuffer, bit 15 keep video memory */
static uint16_t set_mode(struct regs *r)
{
    uint16_t bx = r->bx.x, mode = bx & 0x1FF;
    if (mode < 0x100) {
        if (video_set_mode(mode | (bx & 0x8000 ? 0x80 : 0)))
            return VBE_FAILED;
        vbe_current = mode;
        return VBE_OK;
    }
    struct vbe_mode m;
    if (find_mode(mode, &m) || (bx & 0x4000 && !lfb_address()))
        return VBE_FAILED;
    vbe_disable();
    dispi_write(DISPI_BPP, m.bpp);
    dispi_write(DISPI_XRES, m.xres);
    dispi_write(DISPI_YRES, m.yres);
    dispi_write(DISPI_BANK, 0);
    dispi_write(DISPI_ENABLE, DISPI_ENABLED | (bx & 0x4000 ? DISPI_LFB : 0) |
                              (bx & 0x8000 ? DISPI_NOCLEAR : 0));
    if (m.bpp == 8 && !(bda_get8(BDA_VGA_FLAGS) & 0x08))
        vga_load_dac_rom(PAL_256, bda_get8(BDA_VGA_FLAGS) & 0x02);
    vbe_current = mode;
    return VBE_OK;
}

static uint16_t get_mode(struct regs *r)
{
    if (vbe_active())
        r->bx.x = vbe_current | (dispi_read(DISPI_ENABLE) & DISPI_LFB ? 0x4000 : 0);
    else
        r->bx.x = bda_get8(BDA_VIDEO_MODE);
    return VBE_OK;
}

/* 4F04h: CX bits 0-2 as INT 10h AH=1Ch, bit 3 the DISPI registers */
static uint16_t save_state(struct regs *r)
{
    uint16_t mask = r->cx.x, size = video_state_size(mask) + (mask & 8 ? 2 * DISPI_REGS : 0);
    switch (r->dx.l) {
    case 0x00:
        r->bx.x = (size + 63) / 64;
        return VBE_OK;
    case 0x01:
    case 0x02: {
        uint16_t es = r->es, p = video_state(r->dx.l, mask & 7, es, r->bx.x);
        if (!(mask & 8))
            return VBE_OK;
        if (r->dx.l == 0x01) {
            for (uint16_t i = 1; i < DISPI_REGS; i++)
                pokew(es, p + 2 * i, dispi_read(i));
            return VBE_OK;
        }
        dispi_write(DISPI_ENABLE, 0);
        dispi_write(DISPI_XRES, peekw(es, p + 2 * DISPI_XRES));
        dispi_write(DISPI_YRES, peekw(es, p + 2 * DISPI_YRES));
        dispi_write(DISPI_BPP, peekw(es, p + 2 * DISPI_BPP));
        uint16_t enable = peekw(es, p + 2 * DISPI_ENABLE);
        dispi_write(DISPI_ENABLE, enable | DISPI_NOCLEAR);
        dispi_write(DISPI_ENABLE, enable);
        static const uint8_t after[] = { DISPI_BANK, DISPI_VIRT_WIDTH, DISPI_X_OFFSET,
                                         DISPI_Y_OFFSET };
        for (unsigned i = 0; i < ARRAY_SIZE(after); i++)
            dispi_write(after[i], peekw(es, p + 2 * after[i]));
        return VBE_OK;
    }
    }
    return VBE_FAILED;
}

/* 4F05h: window A only, 64 KiB granularity */
static uint16_t bank(struct regs *r)
{
    if (!vbe_active() || dispi_read(DISPI_ENABLE) & DISPI_LFB)
        return VBE_INVALID_MODE;
    if (r->bx.l != 0)
        return VBE_FAILED;
    if (r->bx.h == 0x00)
        dispi_write(DISPI_BANK, r->dx.x);
    else if (r->bx.h == 0x01)
        r->dx.x = dispi_read(DISPI_BANK);
    else
        return VBE_FAILED;
    return VBE_OK;
}

/* 4F06h: logical scan line length */
static uint16_t scan_line(struct regs *r)
{
    if (!vbe_active())
        return VBE_INVALID_MODE;
    uint8_t bpp = bytes_pp(dispi_read(DISPI_BPP));
    uint16_t yres = dispi_read(DISPI_YRES);
    switch (r->bx.l) {
    case 0x00:
        dispi_write(DISPI_VIRT_WIDTH, r->cx.x);
        break;
    case 0x02:
        dispi_write(DISPI_VIRT_WIDTH, r->cx.x / bpp);
        break;
    case 0x01:
        break;
    case 0x03: {
        uint32_t max = video_memory() / yres;
        if (max > 0xFFFF)
            max = 0xFFFF;
        r->bx.x = max / bpp * bpp;
        r->cx.x = max / bpp;
        return VBE_OK;
    }
    default:
        return VBE_FAILED;
    }
    uint16_t width = dispi_read(DISPI_VIRT_WIDTH);
    r->bx.x = width * bpp;
    r->cx.x = width;
    r->dx.x = dispi_read(DISPI_VIRT_HEIGHT);
    return VBE_OK;
}

/* 4F07h: display start (BL bit 7: during vertical retrace, which needs no wait) */
static uint16_t display_start(struct regs *r)
{
    if (!vbe_active())
        return VBE_INVALID_MODE;
    switch (r->bx.l & 0x7F) {
    case 0x00:
        dispi_write(DISPI_X_OFFSET, r->cx.x);
        dispi_write(DISPI_Y_OFFSET, r->dx.x);
        return VBE_OK;
    case 0x01:
        r->bx.h = 0;
        r->cx.x = dispi_read(DISPI_X_OFFSET);
        r->dx.x = dispi_read(DISPI_Y_OFFSET);
        return VBE_OK;
    case 0x02: {                                /* ECX: byte address */
        uint32_t pitch = (uint32_t)dispi_read(DISPI_VIRT_WIDTH) *
                         bytes_pp(dispi_read(DISPI_BPP));
        dispi_write(DISPI_Y_OFFSET, r->cx.e / pitch);
        dispi_write(DISPI_X_OFFSET, r->cx.e % pitch / bytes_pp(dispi_read(DISPI_BPP)));
        return VBE_OK;
    }
    }
    return VBE_FAILED;
}

/* 4F08h: DAC palette width, 6 or 8 bits */
static uint16_t dac_width(struct regs *r)
{
    uint16_t en = dispi_read(DISPI_ENABLE);
    if (r->bx.l == 0x00) {
        en = r->bx.h >= 8 ? en | DISPI_8BIT_DAC : en & ~DISPI_8BIT_DAC;
        dispi_write(DISPI_ENABLE, en | DISPI_NOCLEAR);
        dispi_write(DISPI_ENABLE, en);
    } else if (r->bx.l != 0x01) {
        return VBE_FAILED;
    }
    r->bx.h = dispi_read(DISPI_ENABLE) & DISPI_8BIT_DAC ? 8 : 6;
    return VBE_OK;
}

/* 4F09h: the primary palette, ES:DI entries of blue, green, red, alignment */
static uint16_t palette_data(struct regs *r)
{
    uint16_t es = r->es, p = r->di.x;
    uint8_t op = r->bx.l & 0x7F;
    if (op > 1 || r->dx.x + r->cx.x > 256)
        return VBE_FAILED;
    for (uint16_t i = 0; i < r->cx.x; i++, p += 4) {
        uint8_t idx = r->dx.x + i, rr, gg, bb;
        if (op == 0) {
            vga_set_dac(idx, peekb(es, p + 2), peekb(es, p + 1), peekb(es, p));
        } else {
            vga_get_dac(idx, &rr, &gg, &bb);
            pokel(es, p, (uint32_t)rr << 16 | (uint32_t)gg << 8 | bb);
        }
    }
    return VBE_OK;
}

void handle_vbe(struct regs *r)
{
    uint16_t ax;
    switch (r->ax.l) {
    case 0x00:
        ax = controller_info(r);
        break;
    case 0x01:
        ax = mode_info(r);
        break;
    case 0x02:
        ax = set_mode(r);
        break;
    case 0x03:
        ax = get_mode(r);
        break;
    case 0x04:
        ax = save_state(r);
        break;
    case 0x05:
        ax = bank(r);
        break;
    case 0x06:
        ax = scan_line(r);
        break;
    case 0x07:
        ax = display_start(r);
        break;
    case 0x08:
        ax = dac_width(r);
        break;
    case 0x09:
        ax = palette_data(r);
        break;
    default:                                    /* 0Ah protected-mode interface, 0Bh+ */
        ax = VBE_FAILED;
        break;
    }
    r->ax.x = ax;
}
