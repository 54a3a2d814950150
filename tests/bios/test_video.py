"""INT 10h video services and VBE of pyx86's BIOS, checked through the VGA device's
state and its rendered picture (hw.vga): test programs start where a boot sector
starts (tests/bios/harness.py) and store results from RESULTS (0x600)."""
import pytest

from bios import vgadata
from tests.bios.harness import RESULTS, BiosPC

FONTS = vgadata.fonts()


def rgb6(c):
    return (c << 2) | (c >> 4)


def pixel(frame, x, y):
    """(r, g, b) of a rendered pixel."""
    w, h, buf = frame
    i = (y * w + x) * 4
    return buf[i + 2], buf[i + 1], buf[i]


def dac_rgb(vga, index):
    return tuple(rgb6(vga.dac[index * 3 + k]) for k in range(3))


def set_mode(mode, extra=""):
    pc = BiosPC()
    pc.run_program("""
        mov ax, %#x
        int 0x10
        mov [0x600], ax
    """ % mode + extra)
    return pc


def colour_of(vga, value, bpp):
    """The rendered colour of a pixel value: attribute palette (16-colour and CGA
    modes, with colour plane enable and colour select) and DAC."""
    if bpp == 8:
        return dac_rgb(vga, value)
    a = vga.attr
    value &= a[0x12] & 0xF
    return dac_rgb(vga, (a[value] & 0x3F) | (a[0x14] & 0x0C) << 4)


# mode: (kind, width, height, bpp, columns, rows, char height)
MODES = {
    0x00: ("text", 720, 400, 4, 40, 25, 16),     # 9-dot cells, pixels doubled
    0x01: ("text", 720, 400, 4, 40, 25, 16),
    0x02: ("text", 720, 400, 4, 80, 25, 16),
    0x03: ("text", 720, 400, 4, 80, 25, 16),
    0x04: ("graphics", 320, 200, 2, 40, 25, 8),
    0x05: ("graphics", 320, 200, 2, 40, 25, 8),
    0x06: ("graphics", 640, 200, 4, 80, 25, 8),
    0x07: ("text", 720, 400, 4, 80, 25, 16),
    0x0D: ("graphics", 320, 200, 4, 40, 25, 8),
    0x0E: ("graphics", 640, 200, 4, 80, 25, 8),
    0x0F: ("graphics", 640, 350, 4, 80, 25, 14),
    0x10: ("graphics", 640, 350, 4, 80, 25, 14),
    0x11: ("graphics", 640, 480, 4, 80, 30, 16),
    0x12: ("graphics", 640, 480, 4, 80, 30, 16),
    0x13: ("graphics", 320, 200, 8, 40, 25, 8),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_mode_set_programs_the_vga_and_the_bda(mode):
    kind, w, h, bpp, cols, rows, ch = MODES[mode]
    colour = 0x0E if bpp >= 4 and mode not in (0x0F, 0x11, 0x06) else 1
    attr = 0x1F
    # a pixel (graphics) or a character (text), read back through the BIOS
    pc = set_mode(mode, """
        mov ah, 0x0f
        int 0x10
        mov [0x602], ax
        mov [0x604], bx
        mov ax, 0x0c%02x
        xor bx, bx
        mov cx, 10
        mov dx, 10
        int 0x10
        mov ah, 0x0d
        int 0x10
        mov [0x606], ax
        mov ax, 0x0941
        mov bx, 0x00%02x
        mov cx, 1
        int 0x10
        mov ah, 0x08
        xor bh, bh
        int 0x10
        mov [0x608], ax
    """ % (colour, attr))
    vga = pc.m.vga
    info = vga.mode_info()
    assert (info.kind, info.width, info.height, info.bpp) == (kind, w, h, bpp)
    assert pc.read(0x449, 1)[0] == mode
    assert pc.word(0x44A) == cols
    assert pc.read(0x484, 1)[0] == rows - 1 and pc.word(0x485) == ch
    assert pc.word(0x463) == (0x3B4 if mode in (0x07, 0x0F) else 0x3D4)
    assert pc.results(3)[1] == cols << 8 | mode          # AH=0Fh
    frame = vga.render()
    if kind == "text":
        snap = vga.text_snapshot()
        assert snap[:2] == (cols, rows)
        assert snap[2][0] == (ord("A"), attr)
        assert pc.word(RESULTS + 8) == attr << 8 | ord("A")   # AH=08h
        return
    # the pixel at (10, 10) in its colour through the attribute palette and DAC
    assert pc.word(RESULTS + 6) & 0xFF == colour
    assert pixel(frame, 10, 10) == colour_of(vga, colour, bpp) != (0, 0, 0)
    assert pixel(frame, 11, 10) == colour_of(vga, 0, bpp)
    # 'A' drawn at cell (0, 0) from the font of the mode's height, read back by AH=08h
    glyph = FONTS[ch][0x41 * ch:0x41 * ch + ch]
    fg = colour_of(vga, attr & (1 << min(bpp, 8)) - 1, bpp)
    bg = colour_of(vga, 0, bpp)
    for y in range(ch):
        for x in range(8):
            lit = glyph[y] >> (7 - x) & 1
            assert pixel(frame, x, y) == (fg if lit else bg), (x, y)
    assert pc.word(RESULTS + 8) & 0xFF == 0x41


def test_mode3_shows_glyph_A_pixel_exact():
    pc = set_mode(0x03, """
        mov ax, 0x0941
        mov bx, 0x001f
        mov cx, 1
        int 0x10
        mov ah, 0x02
        xor bh, bh
        mov dx, 0x0500
        int 0x10
    """)
    vga = pc.m.vga
    frame = vga.render()
    white, blue = dac_rgb(vga, 0x3F), dac_rgb(vga, 0x01)
    glyph = FONTS[16][0x41 * 16:0x42 * 16]
    for y in range(16):
        for x in range(9):
            lit = x < 8 and glyph[y] >> (7 - x) & 1
            assert pixel(frame, x, y) == (white if lit else blue), (x, y)
    # the 8x16 font in plane 2, 32 bytes a character
    plane2 = bytes(vga.vram[2 + 4 * k] for k in range(0x41 * 32, 0x41 * 32 + 16))
    assert plane2 == glyph


def test_mode13_pixel_and_default_palette():
    pc = set_mode(0x13, """
        mov ax, 0x0c28
        xor bh, bh
        mov cx, 10
        mov dx, 10
        int 0x10
    """)
    vga = pc.m.vga
    assert pc.results(1) == [0x0020]
    assert bytes(vga.dac) == vgadata.palette_256()
    assert pixel(vga.render(), 10, 10) == (0xFF, 0, 0)   # colour 28h: bright red
    assert pc.read(0xA0000 + 10 * 320 + 10, 1) == b"\x28"


def test_mode12_planar_pixel():
    pc = set_mode(0x12, """
        mov ax, 0x0c0c
        xor bh, bh
        mov cx, 100
        mov dx, 200
        int 0x10
        mov ax, 0x0c8f
        mov cx, 101
        int 0x10
    """)
    vga = pc.m.vga
    off = 200 * 80 + 100 // 8
    planes = [vga.vram[off * 4 + p] for p in range(4)]
    # pixel 100 is bit 3 (colour 0Ch: planes 2, 3); pixel 101 XORed with 0Fh: bit 2
    assert planes == [0x04, 0x04, 0x0C, 0x0C]
    frame = vga.render()
    assert pixel(frame, 100, 200) == dac_rgb(vga, 0x3C)  # light red
    assert pixel(frame, 101, 200) == dac_rgb(vga, 0x3F)


def test_teletype_in_mode13_draws_glyphs_and_scrolls():
    pc = set_mode(0x13, """
        mov ax, 0x0e41
        mov bx, 0x000f
        int 0x10
        mov ah, 0x03
        xor bh, bh
        int 0x10
        mov [0x602], dx
    """)
    vga = pc.m.vga
    frame = vga.render()
    glyph = FONTS[8][0x41 * 8:0x42 * 8]
    white = dac_rgb(vga, 0x0F)
    for y in range(8):
        for x in range(8):
            lit = glyph[y] >> (7 - x) & 1
            assert pixel(frame, x, y) == (white if lit else (0, 0, 0)), (x, y)
    assert pc.word(RESULTS + 2) == 0x0001


def test_graphics_scroll_moves_cells_up():
    pc = set_mode(0x12, """
        mov ah, 0x02
        xor bh, bh
        mov dx, 0x0100
        int 0x10
        mov ax, 0x0a41
        mov bx, 0x000e
        mov cx, 1
        int 0x10
        mov ax, 0x0601
        mov bh, 0x01
        xor cx, cx
        mov dx, 0x1d4f
        int 0x10
    """)
    vga = pc.m.vga
    frame = vga.render()
    glyph = FONTS[16][0x41 * 16:0x42 * 16]
    yellow, blue = dac_rgb(vga, 0x3E), dac_rgb(vga, 0x01)
    for y in range(16):
        for x in range(8):
            lit = glyph[y] >> (7 - x) & 1
            assert pixel(frame, x, y) == (yellow if lit else (0, 0, 0)), (x, y)
    assert pixel(frame, 0, 479) == blue                  # the new bottom line


def test_font_pointers_and_fixed_8x8_font():
    pc = BiosPC()
    pc.run_program("""
        mov di, 0x600
        xor bh, bh
    next:
        push bx
        mov ax, 0x1130
        int 0x10
        mov [di], bp
        mov [di + 2], es
        mov [di + 4], cx
        mov [di + 6], dx
        add di, 8
        pop bx
        inc bh
        cmp bh, 8
        jne next
    """)
    ptrs = {}
    for bh in range(8):
        off, seg, cx, dx = pc.results(4 * bh + 4)[4 * bh:4 * bh + 4]
        ptrs[bh] = (seg << 4) + off
        assert cx == 16 and dx & 0xFF == 24                  # mode 3: 8x16, 25 rows
    assert pc.read(ptrs[2], 14 * 256) == FONTS[14]
    assert pc.read(ptrs[3], 8 * 256) == FONTS[8]
    assert pc.read(ptrs[4], 8 * 128) == FONTS[8][1024:]
    assert pc.read(ptrs[6], 16 * 256) == FONTS[16]
    assert ptrs[0] == ptrs[4]                                # INT 1Fh: 8x8 upper half
    assert pc.read(ptrs[5], 1) == b"\0"                      # no 9-dot alternates
    assert pc.read(0xFFA6E, 1024) == FONTS[8][:1024]         # F000:FA6E
    assert pc.read(0xFFE6E, 1) == b"\xe9"                    # INT 1Ah's jump after it


def test_load_8x14_font_gives_28_rows():
    pc = set_mode(0x03, """
        mov ax, 0x1111
        xor bl, bl
        int 0x10
        mov ax, 0x1130
        xor bh, bh
        int 0x10
        mov [0x602], cx
        mov [0x604], dx
    """)
    vga = pc.m.vga
    assert pc.results(3)[1:] == [14, 27]
    assert pc.read(0x484, 1) == b"\x1b"
    assert vga.mode_info().rows == 28 and vga.crtc[9] & 0x1F == 13
    plane2 = bytes(vga.vram[2 + 4 * k] for k in range(0x41 * 32, 0x41 * 32 + 14))
    assert plane2 == FONTS[14][0x41 * 14:0x42 * 14]


# (hw.vga renders double-scanned text at its single-scanned height: 200 lines)
@pytest.mark.parametrize("lines, height, rows_px, crtc9", [(0, 8, 200, 0xC7),
                                                          (1, 14, 350, 0x4D)])
def test_text_scan_lines_select(lines, height, rows_px, crtc9):
    pc = BiosPC()
    pc.run_program("""
        mov ax, 0x12%02x
        mov bl, 0x30
        int 0x10
        mov [0x600], ax
        mov ax, 0x0003
        int 0x10
    """ % lines)
    vga = pc.m.vga
    info = vga.mode_info()
    assert pc.results(1)[0] & 0xFF == 0x12
    assert (info.width, info.height, info.rows) == (640, rows_px, 25)
    assert pc.word(0x485) == height and vga.crtc[9] == crtc9


def test_palette_and_dac_functions():
    pc = set_mode(0x12, """
        mov ax, 0x1010
        mov bx, 0x0040
        mov dh, 0x3f
        mov cx, 0x1020
        int 0x10
        mov ax, 0x1015
        mov bx, 0x0040
        int 0x10
        mov [0x602], dx
        mov [0x604], cx
        mov ax, 0x1000
        mov bx, 0x2a05
        int 0x10
        mov ax, 0x1007
        mov bl, 0x05
        int 0x10
        mov [0x606], bx
        mov ax, 0x1003
        xor bl, bl
        int 0x10
        mov ax, 0x1a00
        int 0x10
        mov [0x608], ax
        mov [0x60a], bx
        mov ax, 0x1200
        mov bl, 0x33
        int 0x10
        mov ax, 0x1010
        mov bx, 0x0041
        mov dh, 0x3f
        xor cx, cx
        int 0x10
    """)
    vga = pc.m.vga
    _, dx, cx, bx, ax1a, bx1a = pc.results(6)
    assert dx >> 8 == 0x3F and cx == 0x1020
    assert bx >> 8 == 0x2A and vga.attr[5] == 0x2A
    assert not vga.attr[0x10] & 0x08                         # intensity, no blink
    assert (ax1a & 0xFF, bx1a) == (0x1A, 0x0008)
    grey = vga.dac[0x41 * 3:0x41 * 3 + 3]
    assert grey[0] == grey[1] == grey[2] == 19               # 30% of 3Fh


def test_state_info_and_save_restore():
    pc = set_mode(0x03, """
        push ds
        pop es
        mov ah, 0x1b
        xor bx, bx
        mov di, 0x1000
        int 0x10
        mov [0x602], ax
        mov ax, 0x1c00
        mov cx, 7
        int 0x10
        mov [0x604], ax
        mov [0x606], bx
        mov ax, 0x1c01
        mov cx, 7
        mov bx, 0x2000
        int 0x10
        mov ax, 0x0013
        int 0x10
        mov ax, 0x1c02
        mov cx, 7
        mov bx, 0x2000
        int 0x10
    """)
    vga = pc.m.vga
    _, ax1b, ax1c, blocks = pc.results(4)
    assert ax1b & 0xFF == 0x1B and ax1c & 0xFF == 0x1C and blocks == 14
    info = pc.read(0x1000, 64)
    assert info[4] == 3 and info[0x22] == 25 and info[0x29] == 8
    table = (info[2] | info[3] << 8) * 16 + (info[0] | info[1] << 8)
    assert pc.read(table, 3) == b"\xff\xe0\x0f"
    # registers, BDA and DAC back as mode 3 had them
    assert vga.mode_info().kind == "text" and pc.read(0x449, 1) == b"\x03"
    assert bytes(vga.dac[:192]) == vgadata.palette_ega()


def vbe_info(pc):
    pc.run_program("""
        push ds
        pop es
        mov di, 0x1000
        mov dword ptr [di], 0x32454256
        mov ax, 0x4f00
        int 0x10
        mov [0x600], ax
        mov ax, 0x4f01
        mov cx, 0x142
        mov di, 0x1400
        int 0x10
        mov [0x602], ax
        mov ax, 0x4f01
        mov cx, 0x111
        mov di, 0x1500
        int 0x10
        mov [0x604], ax
    """)


def far(pc, addr):
    off, seg = pc.word(addr), pc.word(addr + 2)
    return (seg << 4) + off


def cstr(pc, addr):
    return pc.read(addr, 64).split(b"\0")[0].decode()


def test_vbe_controller_and_mode_info():
    pc = BiosPC()
    vbe_info(pc)
    assert pc.results(3) == [0x004F] * 3
    b = 0x1000
    assert pc.read(b, 4) == b"VESA" and pc.word(b + 4) == 0x0300
    assert pc.word(b + 0x12) == 256                          # 16 MiB in 64 KiB units
    assert cstr(pc, far(pc, b + 0x06)).startswith("pyx86")
    assert cstr(pc, far(pc, b + 0x16)) == "pyx86"
    modes = []
    p = far(pc, b + 0x0E)
    while pc.word(p) != 0xFFFF:
        modes.append(pc.word(p))
        p += 2
    assert {0x100, 0x101, 0x103, 0x105, 0x107, 0x111, 0x112, 0x118, 0x11B, 0x142} <= set(modes)
    assert 0x102 not in modes
    mi = pc.read(0x1400, 256)
    word = lambda o: mi[o] | mi[o + 1] << 8          # noqa: E731
    assert word(0x12) == 640 and word(0x14) == 480 and mi[0x19] == 32
    assert word(0x10) == 2560 and word(0x32) == 2560
    assert word(0x00) & 0x99 == 0x99 and mi[0x1B] == 6       # LFB, direct colour
    assert tuple(mi[0x1F:0x27]) == (8, 16, 8, 8, 8, 0, 8, 24)
    lfb = int.from_bytes(mi[0x28:0x2C], "little")
    assert lfb and lfb == pc.m.pci.config_read(2, 0, 0x10, 4) & ~0xF   # VGA BAR0
    m16 = pc.read(0x1500, 256)
    assert tuple(m16[0x1F:0x27]) == (5, 11, 6, 5, 5, 0, 0, 0) and m16[0x19] == 16
    assert m16[0x10] | m16[0x11] << 8 == 1280


def test_vbe_set_mode_32bpp_lfb_and_draw():
    pc = BiosPC()
    pc.run_program("""
        push ds
        pop es
        mov ax, 0x4f01
        mov cx, 0x142
        mov di, 0x1400
        int 0x10
        mov ax, 0x4f02
        mov bx, 0x4142
        int 0x10
        mov [0x600], ax
        mov ax, 0x4f03
        int 0x10
        mov [0x602], bx
        mov ax, 0x4f06
        mov bl, 1
        int 0x10
        mov [0x604], bx
    """)
    assert pc.results(3) == [0x004F, 0x4142, 2560]
    vga = pc.m.vga
    info = vga.mode_info()
    assert (info.width, info.height, info.bpp) == (640, 480, 32)
    lfb = pc.dword(0x1400 + 0x28)
    pc.m.mem.write(lfb + (20 * 640 + 30) * 4, bytes((0x33, 0x66, 0x99, 0)))
    assert pixel(vga.render(), 30, 20) == (0x99, 0x66, 0x33)


def test_vbe_banked_8bpp_mode_and_dac_width():
    pc = BiosPC()
    pc.run_program("""
        mov ax, 0x4f02
        mov bx, 0x0101
        int 0x10
        mov [0x600], ax
        mov ax, 0x4f05
        xor bx, bx
        mov dx, 1
        int 0x10
        mov [0x602], ax
        mov ax, 0xa000
        mov es, ax
        mov byte ptr es:[0x0010], 0x28
        mov ax, 0x4f08
        mov bx, 0x0800
        int 0x10
        mov [0x604], ax
        mov [0x606], bx
        mov ax, 0x4f0a
        int 0x10
        mov [0x608], ax
    """)
    ax2, ax5, ax8, bx8, ax0a = pc.results(5)
    assert (ax2, ax5, ax8, bx8 >> 8, ax0a) == (0x4F, 0x4F, 0x4F, 8, 0x014F)
    vga = pc.m.vga
    off = 65536 + 0x10                                       # bank 1
    assert vga.vram[off] == 0x28
    frame = vga.render()
    assert pixel(frame, off % 640, off // 640) == (0xFC, 0, 0)   # 8-bit DAC: 3Fh << 2
