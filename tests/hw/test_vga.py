"""The VGA + Bochs VBE adapter: registers, video memory paths, rendering, screen dumps."""
import struct
import zlib

import pytest

from emu.screendump import dump_screen, text_lines
from hw.vga import (FRAME_NS, LINE_NS, VBE_ENABLED, VBE_GETCAPS, VBE_LFB_ENABLED,
                    VBE_NOCLEARMEM, VBE_8BIT_DAC, Vga, ega_palette, load_font)
from emu.machine import Machine, Stop
from tests.hw.harness import HandClock, Ports

A0000 = 0xA0000
B8000 = 0xB8000
PLANES = 0x40000


class Rig(Ports):
    def __init__(self):
        self.clock = HandClock()
        self.vga = Vga(self.clock)
        super().__init__(self.vga)

    def outw(self, port, value):
        self.bus.port_write(port, value, 2)

    def inw(self, port):
        return self.bus.port_read(port, 2)

    def seq(self, index, value):
        self.outb(0x3C4, index)
        self.outb(0x3C5, value)

    def gc(self, index, value):
        self.outb(0x3CE, index)
        self.outb(0x3CF, value)

    def vbe(self, index, value=None):
        self.outw(0x1CE, index)
        if value is None:
            return self.inw(0x1CF)
        self.outw(0x1CF, value)

    def wb(self, addr, value):
        self.vga.mmio_write(addr, value, 1)

    def rb(self, addr):
        return self.vga.mmio_read(addr, 1)

    def plane(self, p, offset):
        return self.vga.vram[offset * 4 + p]

    def pixels(self):
        w, h, buf = self.vga.render()
        return w, h, [int.from_bytes(buf[i:i + 4], "little") for i in range(0, len(buf), 4)]


@pytest.fixture
def rig():
    return Rig()


def rgb6(r, g, b):
    """0x00RRGGBB of a 6-bit DAC triplet."""
    s = lambda c: c << 2 | c >> 4
    return s(r) << 16 | s(g) << 8 | s(b)


def ega(i):
    p = ega_palette()
    return rgb6(p[3 * i], p[3 * i + 1], p[3 * i + 2])


# -- registers ---------------------------------------------------------------------------
def test_attribute_flip_flop_reset_by_input_status_1(rig):
    rig.outb(0x3C2, 0x01)                   # colour: status 1 at 0x3DA
    rig.inb(0x3DA)
    rig.outb(0x3C0, 0x05)                   # index
    rig.outb(0x3C0, 0x2A)                   # data
    assert rig.inb(0x3C0) == 0x05
    assert rig.inb(0x3C1) == 0x2A
    rig.outb(0x3C0, 0x06)                   # the flip-flop is back at "index"
    rig.outb(0x3C0, 0x11)
    assert rig.vga.attr[6] == 0x11 and rig.vga.attr[5] == 0x2A
    rig.outb(0x3C0, 0x07)                   # index, then reset before the data byte
    rig.inb(0x3DA)
    rig.outb(0x3C0, 0x32)                   # an index again: PAS set, index 0x12
    assert rig.inb(0x3C0) == 0x32
    assert rig.vga.attr[7] == 0
    rig.outb(0x3C0, 0x0F)                   # data for 0x12 (colour plane enable)
    assert rig.vga.attr[0x12] == 0x0F


def test_mono_and_colour_crtc_ports_follow_misc_bit0(rig):
    rig.outb(0x3C2, 0x00)                   # monochrome addressing
    rig.outb(0x3B4, 0x0E)
    rig.outb(0x3B5, 0x12)
    assert rig.vga.crtc[0x0E] == 0x12
    assert rig.inb(0x3D4) == 0xFF and rig.inb(0x3D5) == 0xFF
    rig.outb(0x3D4, 0x0F)                   # not decoded
    assert rig.vga.crtc_index == 0x0E
    rig.outb(0x3C0, 0x01)
    rig.inb(0x3DA)                          # not decoded: does not reset the flip-flop
    rig.outb(0x3C0, 0x3F)
    assert rig.vga.attr[1] == 0x3F
    rig.outb(0x3C2, 0x01)
    assert rig.inb(0x3CC) == 0x01
    rig.outb(0x3D4, 0x0E)
    assert rig.inb(0x3D5) == 0x12 and rig.inb(0x3B5) == 0xFF


def test_crtc_write_protect_keeps_registers_0_to_7_but_line_compare_bit(rig):
    rig.outb(0x3C2, 0x01)
    rig.outb(0x3D4, 0x11)
    rig.outb(0x3D5, 0x80)
    rig.outb(0x3D4, 0x01)
    rig.outb(0x3D5, 0x4F)
    assert rig.vga.crtc[1] == 0
    rig.outb(0x3D4, 0x07)
    rig.outb(0x3D5, 0xFF)
    assert rig.vga.crtc[7] == 0x10
    rig.outb(0x3D4, 0x09)
    rig.outb(0x3D5, 0x4F)
    assert rig.vga.crtc[9] == 0x4F


def test_word_write_to_index_port_sets_index_and_data(rig):
    rig.outw(0x3C4, 0x0F02)                 # out dx, ax: SR2 = 0x0F
    assert rig.vga.seq[2] == 0x0F
    rig.outw(0x3CE, 0x0508)
    assert rig.vga.gc[8] == 0x05


def test_dac_auto_increment_and_six_bit_components(rig):
    rig.outb(0x3C8, 0xFF)
    rig.outb(0x3C9, 0x01, 0x02, 0x03, 0xFF, 0x3F, 0x40)    # entries 255 and 0 (wraps)
    assert rig.inb(0x3C8) == 0x01
    assert rig.inb(0x3C7) == 0                               # write mode
    assert bytes(rig.vga.dac[765:768]) == b"\x01\x02\x03"
    assert bytes(rig.vga.dac[0:3]) == b"\x3F\x3F\x00"
    rig.outb(0x3C7, 0xFF)
    assert rig.inb(0x3C7) == 3
    assert [rig.inb(0x3C9) for _ in range(6)] == [1, 2, 3, 0x3F, 0x3F, 0]
    rig.outb(0x3C6, 0x0F)
    assert rig.inb(0x3C6) == 0x0F


def test_input_status_follows_virtual_time(rig):
    rig.outb(0x3C2, 0x01)
    assert rig.inb(0x3DA) & 0x09 == 0                        # top of the frame, displaying
    rig.clock.advance(412 * LINE_NS + 10)
    assert rig.inb(0x3DA) & 0x09 == 0x09                     # vertical retrace
    rig.clock.advance(3 * LINE_NS)
    assert rig.inb(0x3DA) & 0x09 == 0x01                     # blanking, retrace over
    rig.clock.advance_to(FRAME_NS * 5 + LINE_NS * 10 + LINE_NS * 9 // 10)
    assert rig.inb(0x3DA) & 0x09 == 0x01                     # horizontal blank


# -- video memory --------------------------------------------------------------------
def planar(rig):
    rig.vga.set_mode(0x12)


def fill_latches(rig, offset, values):
    """Put `values` (one byte per plane) at plane offset and load them into the latches."""
    for p, v in enumerate(values):
        rig.vga.vram[offset * 4 + p] = v
    rig.rb(A0000 + offset)


def test_write_mode_0_set_reset_bitmask_and_map_mask(rig):
    planar(rig)
    fill_latches(rig, 0x10, [0x11, 0x22, 0x33, 0x44])
    rig.gc(1, 0x05)                         # enable set/reset for planes 0 and 2
    rig.gc(0, 0x01)                         # set/reset: plane 0 ones, plane 2 zeros
    rig.gc(8, 0xF0)                         # bit mask: high nibble from the data
    rig.seq(2, 0x0D)                        # map mask: planes 0, 2, 3
    rig.wb(A0000 + 0x10, 0xA5)
    assert [rig.plane(p, 0x10) for p in range(4)] == [0xF1, 0x22, 0x03, 0xA4]


def test_write_mode_0_rotate_and_logical_functions(rig):
    planar(rig)
    for func, expect in ((0, 0x0F), (1, 0x0F & 0x3C), (2, 0x0F | 0x3C), (3, 0x0F ^ 0x3C)):
        fill_latches(rig, 0x20, [0x3C] * 4)
        rig.gc(3, func << 3 | 4)            # rotate right by 4
        rig.wb(A0000 + 0x20, 0xF0)
        assert [rig.plane(p, 0x20) for p in range(4)] == [expect] * 4


def test_write_mode_1_copies_latches(rig):
    planar(rig)
    fill_latches(rig, 0x30, [1, 2, 3, 4])
    rig.gc(5, 0x01)
    rig.gc(8, 0x00)                         # the bit mask does not apply in mode 1
    rig.wb(A0000 + 0x31, 0xEE)
    assert [rig.plane(p, 0x31) for p in range(4)] == [1, 2, 3, 4]


def test_write_mode_2_colour_expansion(rig):
    planar(rig)
    fill_latches(rig, 0x40, [0xFF, 0x00, 0xFF, 0x00])
    rig.gc(5, 0x02)
    rig.gc(8, 0x0F)
    rig.wb(A0000 + 0x40, 0x06)              # colour 6: planes 1 and 2
    assert [rig.plane(p, 0x40) for p in range(4)] == [0xF0, 0x0F, 0xFF, 0x00]


def test_write_mode_3_set_reset_through_rotated_data_mask(rig):
    planar(rig)
    fill_latches(rig, 0x50, [0x00, 0xFF, 0x00, 0xFF])
    rig.gc(5, 0x03)
    rig.gc(0, 0x0C)                         # colour 12: planes 2 and 3
    rig.gc(8, 0x7E)
    rig.gc(3, 0x01)                         # rotate right 1: 0x0F -> 0x87
    rig.wb(A0000 + 0x50, 0x0F)              # mask = 0x7E & 0x87 = 0x06
    assert [rig.plane(p, 0x50) for p in range(4)] == [0x00, 0xF9, 0x06, 0xFF]


def test_read_modes(rig):
    planar(rig)
    fill_latches(rig, 0x60, [0x0F, 0x33, 0x55, 0xFF])
    rig.gc(4, 2)
    assert rig.rb(A0000 + 0x60) == 0x55
    rig.gc(5, 0x08)                         # read mode 1: colour compare
    rig.gc(2, 0x0B)                         # colour 1011
    rig.gc(7, 0x0F)
    # pixel colours, bit 7..0: plane bits (p3 p2 p1 p0)
    expect = 0
    for bit in range(8):
        colour = sum(((v >> bit) & 1) << p for p, v in enumerate([0x0F, 0x33, 0x55, 0xFF]))
        expect |= (colour == 0x0B) << bit
    assert rig.rb(A0000 + 0x60) == expect
    rig.gc(7, 0x00)                         # nothing cared about: all match
    assert rig.rb(A0000 + 0x60) == 0xFF


def test_chain4_addressing(rig):
    rig.vga.set_mode(0x13)
    for a in (0, 1, 2, 3, 4, 0x1235, 0xFFFF):
        rig.wb(A0000 + a, a & 0xFF ^ 0x5A)
        assert rig.vga.vram[(a & ~3) * 4 + (a & 3)] == a & 0xFF ^ 0x5A
        assert rig.rb(A0000 + a) == a & 0xFF ^ 0x5A
    rig.seq(2, 0x0E)                        # plane 0 masked off
    rig.wb(A0000 + 8, 0x77)
    assert rig.vga.vram[8 * 4] == 0
    assert rig.rb(0xB0000) == 0xFF          # the 64 KiB map ends at 0xAFFFF


def test_odd_even_text_addressing_and_font_loading(rig):
    rig.vga.set_mode(0x03)
    rig.wb(B8000 + 0x100, ord("X"))
    rig.wb(B8000 + 0x101, 0x1E)
    assert rig.plane(0, 0x100) == ord("X") and rig.plane(1, 0x100) == 0x1E
    assert rig.plane(2, 0x100) == 0 and rig.plane(1, 0x101) == 0
    assert rig.rb(B8000 + 0x100) == ord("X") and rig.rb(B8000 + 0x101) == 0x1E
    assert rig.rb(A0000) == 0xFF            # mode 3 maps only 0xB8000-0xBFFFF
    # the font load sequence a BIOS uses: plane 2 only, sequential, at 0xA0000
    rig.seq(2, 0x04)
    rig.seq(4, 0x07)
    rig.gc(4, 0x02)
    rig.gc(5, 0x00)
    rig.gc(6, 0x04)
    rig.wb(A0000 + 0x41 * 32 + 3, 0x81)
    assert rig.plane(2, 0x41 * 32 + 3) == 0x81
    assert rig.plane(0, 0x41 * 32 + 3) == 0
    assert rig.rb(A0000 + 0x41 * 32 + 3) == 0x81


# -- text rendering ------------------------------------------------------------------
def cell_pixels(px, width, col, row, cw=9, ch=16):
    return [[px[(row * ch + y) * width + col * cw + x] for x in range(cw)] for y in range(ch)]


def glyph_pixels(font, code, fg, bg, ninth_copies=False):
    out = []
    for y in range(16):
        bits = font[code * 16 + y]
        line = [fg if bits >> (7 - x) & 1 else bg for x in range(8)]
        line.append(line[7] if ninth_copies else bg)
        out.append(line)
    return out


def put(rig, col, row, text, attr):
    for i, ch in enumerate(text):
        a = B8000 + (row * 80 + col + i) * 2
        rig.wb(a, ch)
        rig.wb(a + 1, attr)


def test_text_glyphs_pixel_exact_with_9th_column_rule(rig):
    rig.vga.set_text_mode_3()
    font = load_font()
    put(rig, 2, 1, b"A\xC4\xB3", 0x1E)
    put(rig, 0, 24, b"z", 0x70)
    w, h, px = rig.pixels()
    assert (w, h) == (720, 400)
    yellow, blue = ega(0x3E), ega(0x01)
    assert cell_pixels(px, w, 2, 1) == glyph_pixels(font, ord("A"), yellow, blue)
    # 0xC0-0xDF extend their 8th column (line graphics enable); 0xB3 does not
    assert cell_pixels(px, w, 3, 1) == glyph_pixels(font, 0xC4, yellow, blue, True)
    assert cell_pixels(px, w, 4, 1) == glyph_pixels(font, 0xB3, yellow, blue)
    assert cell_pixels(px, w, 0, 24) == glyph_pixels(font, ord("z"), ega(0), ega(0x07))
    assert set(px[720 * 48:720 * 64]) == {ega(0)}   # row 3: light grey spaces on black
    assert set(px[:720 * 13]) == {ega(0)}
    assert px[720 * 13:720 * 13 + 9] == [ega(7)] * 8 + [ega(0)]   # cursor lines 13-14


def test_text_cursor_shape_position_and_blink(rig):
    rig.vga.set_text_mode_3()
    rig.outb(0x3C2, 0x67)
    for index, value in ((0x0A, 0x0E), (0x0B, 0x0F), (0x0E, 0x00), (0x0F, 81)):
        rig.outb(0x3D4, index)
        rig.outb(0x3D5, value)
    w, h, px = rig.pixels()                 # frame 0: cursor on
    cell = cell_pixels(px, w, 1, 1)
    grey = ega(0x07)
    assert cell[14][:8] == [grey] * 8 and cell[15][:8] == [grey] * 8
    assert cell[13] == [ega(0)] * 9
    rig.clock.advance(FRAME_NS * 8)         # cursor off phase
    w, h, px = rig.pixels()
    assert set(sum(cell_pixels(px, w, 1, 1), [])) == {ega(0)}
    rig.outb(0x3D4, 0x0A)
    rig.outb(0x3D5, 0x2E)                   # bit 5: cursor off
    rig.clock.advance(FRAME_NS * 8)
    w, h, px = rig.pixels()
    assert set(sum(cell_pixels(px, w, 1, 1), [])) == {ega(0)}


def test_text_blink_attribute(rig):
    rig.vga.set_text_mode_3()
    font = load_font()
    put(rig, 5, 5, b"B", 0x9C)              # blinking light red on blue
    w, h, px = rig.pixels()
    assert cell_pixels(px, w, 5, 5) == glyph_pixels(font, ord("B"), ega(0x3C), ega(1))
    token = rig.vga.update_token()
    rig.clock.advance(FRAME_NS * 16)
    assert rig.vga.update_token() != token
    w, h, px = rig.pixels()
    assert set(sum(cell_pixels(px, w, 5, 5), [])) == {ega(1)}
    rig.inb(0x3DA)
    rig.outb(0x3C0, 0x30)                   # mode control: blink off -> bright background
    rig.outb(0x3C0, 0x04)
    w, h, px = rig.pixels()
    assert cell_pixels(px, w, 5, 5) == glyph_pixels(font, ord("B"), ega(0x3C), ega(0x39))


def test_text_8_dot_cells_and_50_rows(rig):
    rig.vga.set_text_mode_3()
    rig.seq(1, 0x01)                        # 8-dot characters
    rig.outb(0x3D4, 0x09)
    rig.outb(0x3D5, 0x47)                   # 8 scan lines per row
    info = rig.vga.mode_info()
    assert (info.kind, info.cols, info.rows, info.width, info.height) == \
        ("text", 80, 50, 640, 400)
    put(rig, 0, 49, b"Q", 0x0F)
    w, h, px = rig.pixels()
    font = load_font()
    cell = [[px[(49 * 8 + y) * w + x] for x in range(8)] for y in range(8)]
    assert cell == [row[:8] for row in glyph_pixels(font, ord("Q"), ega(0x3F), ega(0))[:8]]
    cols, rows, cells = rig.vga.text_snapshot()
    assert (cols, rows) == (80, 50) and cells[49 * 80] == (ord("Q"), 0x0F)


# -- graphics rendering --------------------------------------------------------------
def test_mode_13h_frame(rig):
    rig.vga.set_mode(0x13)
    rig.outb(0x3C8, 0)
    for i in range(256):
        rig.outb(0x3C9, i & 63, (i >> 2) & 63, 63 - (i & 63))
    for y in range(200):
        for x in range(0, 320, 7):
            rig.wb(A0000 + y * 320 + x, (x + y) & 0xFF)
    w, h, px = rig.pixels()
    assert (w, h) == (320, 200)
    for y in range(200):
        for x in range(0, 320, 7):
            i = (x + y) & 0xFF
            assert px[y * 320 + x] == rgb6(i & 63, (i >> 2) & 63, 63 - (i & 63))
    assert px[1] == rgb6(0, 0, 63)          # untouched pixels are colour 0


def test_unchained_256_colour_mode_x(rig):
    rig.vga.set_mode(0x13)
    rig.seq(4, 0x06)                        # chain-4 off
    rig.outb(0x3D4, 0x14)
    rig.outb(0x3D5, 0x00)                   # doubleword mode off
    rig.outb(0x3D4, 0x17)
    rig.outb(0x3D5, 0xE3)                   # byte mode
    rig.vga.load_dac(0, bytes([0, 0, 0, 63, 0, 0, 0, 63, 0, 0, 0, 63]))
    rig.seq(2, 1 << 2)                      # plane 2 = pixels 2, 6, 10, ...
    rig.wb(A0000 + 80 * 3 + 1, 3)           # pixel (6, 3)
    rig.seq(2, 0x0F)
    rig.wb(A0000 + 80 * 5, 1)               # pixels 0-3 of line 5
    w, h, px = rig.pixels()
    assert (w, h) == (320, 200)
    assert px[3 * 320 + 6] == rgb6(0, 0, 63)
    assert px[3 * 320 + 5] == 0 and px[3 * 320 + 7] == 0
    assert px[5 * 320:5 * 320 + 5] == [rgb6(63, 0, 0)] * 4 + [0]


def test_mode_12h_planar_pixels_through_attribute_palette(rig):
    rig.vga.set_mode(0x12)
    rig.vga.load_dac(0, ega_palette())
    rig.inb(0x3DA)
    rig.outb(0x3C0, 0x06)
    rig.outb(0x3C0, 0x3F)                   # palette 6 -> DAC 0x3F (white)
    rig.outb(0x3C0, 0x20)
    rig.gc(5, 0x02)                         # write mode 2
    rig.gc(8, 0x81)
    rig.rb(A0000 + 80 * 479 + 79)
    rig.wb(A0000 + 80 * 479 + 79, 0x06)     # pixels 632 and 639 of the last line
    rig.gc(8, 0x20)
    rig.rb(A0000 + 1)
    rig.wb(A0000 + 1, 0x0C)                 # pixel 10 of line 0: colour 12
    w, h, px = rig.pixels()
    assert (w, h) == (640, 480)
    last = px[479 * 640:]
    assert last[632] == rgb6(63, 63, 63) and last[639] == rgb6(63, 63, 63)
    assert last[633:639] == [0] * 6
    assert px[10] == ega(0x3C) and px[9] == 0 and px[11] == 0
    rig.inb(0x3DA)
    rig.outb(0x3C0, 0x32)                   # colour plane enable: planes 0 and 1 only
    rig.outb(0x3C0, 0x03)
    w, h, px = rig.pixels()
    assert px[10] == 0 and px[479 * 640 + 632] == ega(0x02)


def test_screen_blank_without_palette_address_source(rig):
    rig.vga.set_mode(0x13)
    rig.wb(A0000, 1)
    rig.vga.load_dac(1, bytes([63, 63, 63]))
    assert rig.pixels()[2][0] == rgb6(63, 63, 63)
    rig.inb(0x3DA)
    rig.outb(0x3C0, 0x00)                   # PAS = 0: the CPU owns the palette
    assert set(rig.pixels()[2]) == {0}


# -- Bochs VBE -----------------------------------------------------------------------
def vbe_mode(rig, xres, yres, bpp, flags=VBE_LFB_ENABLED):
    rig.vbe(4, 0)
    rig.vbe(1, xres)
    rig.vbe(2, yres)
    rig.vbe(3, bpp)
    rig.vbe(4, VBE_ENABLED | flags)


def test_vbe_identification_and_caps(rig):
    assert rig.vbe(0) == 0xB0C5
    rig.vbe(0, 0xB0C2)
    assert rig.vbe(0) == 0xB0C2
    rig.vbe(0, 0x1234)                      # not an interface ID: ignored
    assert rig.vbe(0) == 0xB0C2
    assert rig.vbe(0xA) == 256              # 16 MiB in 64 KiB units
    rig.vbe(4, VBE_GETCAPS)
    assert (rig.vbe(1), rig.vbe(2), rig.vbe(3)) == (2560, 1600, 32)
    rig.vbe(4, 0)
    rig.vbe(1, 1024)
    assert rig.vbe(1) == 1024
    rig.vbe(1, 1023)                        # not a multiple of 8
    rig.vbe(3, 12)                          # not a VBE depth
    assert (rig.vbe(1), rig.vbe(3)) == (1024, 8)


def test_vbe_640x480x32_lfb_bytes_appear_in_render(rig):
    vga = rig.vga
    vga.vram[:16] = b"\xAA" * 16
    vbe_mode(rig, 640, 480, 32)
    assert vga.vram[:16] == bytes(16)       # enabling clears the framebuffer
    assert rig.vbe(4) == VBE_ENABLED | VBE_LFB_ENABLED
    assert (rig.vbe(6), rig.vbe(7)) == (640, 16 * 1024 * 1024 // 2560)
    assert vga.mode_info().kind == "graphics" and vga.mode_info().bpp == 32
    token = vga.update_token()
    frame = bytes((i * 7 + (i >> 10)) & 0xFF if i % 4 != 3 else 0
                  for i in range(640 * 480 * 4))
    vga.vram[:len(frame)] = frame           # what the guest's LFB writes do
    assert vga.update_token() != token
    w, h, buf = vga.render()
    assert (w, h) == (640, 480) and bytes(buf) == frame


def test_vbe_depths_virtual_width_offsets_and_bank(rig):
    vga = rig.vga
    vbe_mode(rig, 320, 200, 16, flags=0)
    rig.vbe(6, 512)                         # virtual width 512 pixels = 1024 bytes
    assert rig.vbe(6) == 512
    rig.vbe(5, 1)                           # bank 1: VRAM 0x10000-0x1FFFF at 0xA0000
    # pixel (x=12, y=70) at 70*1024 + 24 = 0x11818 -> bank 1 offset 0x1818
    rig.wb(A0000 + 0x1818, 0x1F)            # 5:6:5 = 0xFF1F: red 31, green 56, blue 31
    rig.wb(A0000 + 0x1819, 0xFF)
    assert vga.vram[0x11818:0x1181A] == b"\x1F\xFF"
    assert rig.rb(A0000 + 0x1818) == 0x1F
    w, h, px = rig.pixels()
    g = 56 << 2 | 56 >> 4
    assert px[70 * 320 + 12] == 0xFF << 16 | g << 8 | 0xFF
    rig.vbe(8, 4)                           # X offset 4 pixels, Y offset 60 lines
    rig.vbe(9, 60)
    w, h, px = rig.pixels()
    assert px[10 * 320 + 8] == 0xFF << 16 | g << 8 | 0xFF
    rig.vbe(4, 0)
    rig.vbe(3, 24)
    rig.vbe(4, VBE_ENABLED | VBE_NOCLEARMEM)
    assert vga.vram[0x11818] == 0x1F        # NOCLEARMEM kept VRAM
    vga.vram[3 * 320 * 1 + 3 * 5:3 * 320 + 3 * 5 + 3] = b"\x01\x02\x03"
    w, h, px = rig.pixels()
    assert px[320 + 5] == 0x030201
    rig.vbe(4, 0)
    rig.vbe(3, 15)
    rig.vbe(4, VBE_ENABLED)
    vga.vram[0:2] = (31 << 10 | 1 << 5).to_bytes(2, "little")
    assert rig.pixels()[2][0] == 0xFF << 16 | 0x08 << 8


def test_vbe_8bpp_uses_dac_and_8_bit_dac_option(rig):
    vbe_mode(rig, 640, 480, 8, flags=VBE_8BIT_DAC)
    rig.outb(0x3C8, 9)
    rig.outb(0x3C9, 0x80, 0x40, 0xFF)       # 8-bit components kept whole
    rig.vga.vram[5] = 9
    assert rig.pixels()[2][5] == 0x8040FF
    rig.vbe(4, VBE_ENABLED)                 # back to 6-bit: entries scale down
    assert bytes(rig.vga.dac[27:30]) == bytes([0x20, 0x10, 0x3F])


def test_vbe_disabled_gives_back_vga_window(rig):
    vbe_mode(rig, 640, 480, 8, flags=0)
    rig.wb(A0000 + 5, 0x42)
    assert rig.vga.vram[5] == 0x42
    rig.vbe(4, 0)
    rig.vga.set_mode(0x13)
    rig.wb(A0000 + 5, 0x43)
    assert rig.vga.vram[4 * 4 + 1] == 0x43 and rig.vga.vram[5] == 0x42


# -- screen dumps --------------------------------------------------------------------
def decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == \
            zlib.crc32(kind + body)
        chunks.setdefault(kind, []).append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert (depth, ctype, interlace) == (8, 2, 0) and b"IEND" in chunks
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    rows = []
    for y in range(h):
        line = raw[y * (3 * w + 1):(y + 1) * (3 * w + 1)]
        assert line[0] == 0
        rows.append([int.from_bytes(line[1 + 3 * x:4 + 3 * x], "big") for x in range(w)])
    return w, h, rows


def test_dump_text_mode_as_utf8(rig, tmp_path):
    rig.vga.set_text_mode_3()
    put(rig, 0, 0, b"Hello, world   ", 0x07)
    put(rig, 3, 2, b"\xC9\xCD\xBB \x01 \x7F", 0x1F)
    path = tmp_path / "screen.txt"
    assert dump_screen(rig.vga, path) == "text"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 26 and lines[25] == ""
    assert lines[0] == "Hello, world"
    assert lines[1] == ""
    assert lines[2] == "   ╔═╗ ☺ ⌂"
    assert text_lines(rig.vga)[:3] == lines[:3]


def test_dump_graphics_as_png_matches_render(rig, tmp_path):
    rig.vga.set_mode(0x13)
    rig.vga.load_dac(0, bytes(range(48)))
    for a in range(0, 64000, 37):
        rig.wb(A0000 + a, a % 16)
    path = tmp_path / "screen.png"
    assert dump_screen(rig.vga, path) == "png"
    w, h, rows = decode_png(path.read_bytes())
    rw, rh, px = rig.pixels()
    assert (w, h) == (rw, rh) == (320, 200)
    assert [p for row in rows for p in row] == px


def test_dump_text_mode_to_png(rig, tmp_path):
    rig.vga.set_text_mode_3()
    put(rig, 10, 10, b"PNG", 0x4E)
    path = tmp_path / "text.png"
    assert dump_screen(rig.vga, path) == "png"
    w, h, rows = decode_png(path.read_bytes())
    rw, rh, px = rig.pixels()
    assert (w, h) == (720, 400)
    assert [p for row in rows for p in row] == px


# -- in the machine ------------------------------------------------------------------
def test_guest_code_drives_text_and_vbe_through_the_machine():
    from tests.emu.roms import rom16
    from tests.hw.test_machine import exit_with
    text = """
mov ax, 0xb800
mov es, ax
xor di, di
mov ax, 0x1f48
stosw
mov ax, 0x1f69
stosw
mov dx, 0x3d4
mov ax, 0x020f
out dx, ax
"""
    vbe = """
mov dx, 0x1ce
mov ax, 1
out dx, ax
inc dx
mov ax, 320
out dx, ax
dec dx
mov ax, 2
out dx, ax
inc dx
mov ax, 200
out dx, ax
dec dx
mov ax, 3
out dx, ax
inc dx
mov ax, 32
out dx, ax
dec dx
mov ax, 4
out dx, ax
inc dx
mov ax, 1
out dx, ax
mov ax, 0xa000
mov es, ax
mov di, 4
mov eax, 0x00123456
stosd
"""
    m = Machine(rom16(text + exit_with(0)))
    m.vga.set_text_mode_3()
    assert m.run(max_instructions=10_000).stop is Stop.DEBUG_EXIT
    cols, rows, cells = m.vga.text_snapshot()
    assert cells[:3] == [(ord("H"), 0x1F), (ord("i"), 0x1F), (ord(" "), 0x07)]
    assert m.vga.crtc[0x0F] == 2
    m.reset()                                   # RESET: registers to 0, VRAM kept
    assert not any(m.vga.crtc) and not any(m.vga.seq) and m.vga.vram[0] == ord("H")
    m = Machine(rom16(vbe + exit_with(0)))
    assert m.run(max_instructions=10_000).stop is Stop.DEBUG_EXIT
    w, h, buf = m.vga.render()
    assert (w, h) == (320, 200) and buf[4:8] == b"\x56\x34\x12\x00"


def test_pci_function_and_linear_framebuffer_bar():
    from emu.memory import Memory
    from hw.pci import CMD_MEMORY, COMMAND, PciBus, ROM_BAR
    from hw.vga import VgaPci
    rig = Rig()
    mem = Memory(16 << 20)
    pci = PciBus(rig.bus, mem, protected=[(0, 16 << 20)])
    pci.attach(rig.bus)
    dev = pci.add(VgaPci(rig.vga), 2)
    dev.set_rom(b"\x55\xaa\x40" + bytes(100))
    assert pci.config_read(2, 0, 0, 4) == 0x11111234
    assert pci.config_read(2, 0, 0x08, 4) >> 8 == 0x030000
    pci.config_write(2, 0, 0x10, 0xFFFFFFFF, 4)          # sizing: 16 MiB, prefetchable
    assert pci.config_read(2, 0, 0x10, 4) == 0xFF000008
    pci.config_write(2, 0, 0x10, 0xE0000000, 4)
    pci.config_write(2, 0, ROM_BAR, 0xE1000001, 4)
    pci.config_write(2, 0, COMMAND, CMD_MEMORY, 2)
    assert dev.lfb_address() == 0xE0000000
    assert mem.read(0xE1000000, 3) == b"\x55\xaa\x40"
    vbe_mode(rig, 640, 480, 32)
    mem.write(0xE0000000 + (479 * 640 + 639) * 4, b"\x11\x22\x33\x00")
    assert rig.vga.vram[(479 * 640 + 639) * 4] == 0x11
    assert rig.pixels()[2][-1] == 0x332211
    pci.config_write(2, 0, COMMAND, 0, 2)                # memory decoding off
    assert mem.read(0xE0000000, 1) == b"\xff"


def test_cga_mode_4_interleaved_banks_and_2bpp_pixels(rig):
    rig.vga.set_mode(0x04)
    rig.vga.load_dac(0, ega_palette())
    assert (rig.vga.mode_info().width, rig.vga.mode_info().height,
            rig.vga.mode_info().bpp) == (320, 200, 2)
    rig.wb(B8000 + 0, 0xE4)                 # line 0, pixels 0-3: colours 3, 2, 1, 0
    rig.wb(B8000 + 1, 0x40)                 # line 0, pixel 4: colour 1 (odd byte)
    rig.wb(B8000 + 0x2000 + 80, 0xC0)       # line 3 (odd bank, second row), pixel 0
    assert rig.rb(B8000 + 1) == 0x40
    w, h, px = rig.pixels()
    c = [ega(a) for a in (0x00, 0x13, 0x15, 0x17)]
    assert px[:6] == [c[3], c[2], c[1], c[0], c[1], c[0]]
    assert px[3 * 320] == c[3] and px[320] == c[0] and px[2 * 320] == c[0]


def test_line_compare_splits_the_screen(rig):
    rig.vga.set_mode(0x12)
    rig.vga.load_dac(0, ega_palette())
    rig.outb(0x3D4, 0x0C)
    rig.outb(0x3D5, 0x10)                   # start address 0x1000 (line 51.2)
    rig.outb(0x3D4, 0x18)
    rig.outb(0x3D5, 99)                     # line compare 99 (bits 8/9 cleared)
    rig.outb(0x3D4, 0x07)
    rig.outb(0x3D5, 0x3E & ~0x10)
    rig.outb(0x3D4, 0x09)
    rig.outb(0x3D5, 0x00)
    rig.vga.vram[0x1000 * 4:0x1000 * 4 + 4] = b"\x80\x00\x00\x00"   # top: colour 1
    rig.vga.vram[0:4] = b"\x80\x80\x00\x00"                         # split: colour 3
    w, h, px = rig.pixels()
    assert px[0] == ega(0x01) and px[99 * 640] == 0
    assert px[100 * 640] == ega(0x03)


def test_40_column_text_doubles_dots(rig):
    rig.vga.set_text_mode_3()
    rig.seq(1, 0x08)                        # dot clock / 2, 9-dot cells
    rig.outb(0x3D4, 0x11)
    rig.outb(0x3D5, 0x0E)                   # unprotect CRTC 0-7
    rig.outb(0x3D4, 0x01)
    rig.outb(0x3D5, 39)                     # 40 characters
    rig.outb(0x3D4, 0x13)
    rig.outb(0x3D5, 20)
    info = rig.vga.mode_info()
    assert (info.cols, info.rows, info.width, info.height) == (40, 25, 720, 400)
    rig.wb(B8000 + 80 + 2, 0xDB)            # full block at cell (1, 1): byte 82
    rig.wb(B8000 + 80 + 3, 0x0F)
    rig.wb(B8000 + 80 + 4, ord("|"))        # cell (2, 1): column 4 of "|" is set
    rig.wb(B8000 + 80 + 5, 0x0F)
    w, h, px = rig.pixels()
    line = px[20 * 720:21 * 720]
    assert line[18:36] == [ega(0x3F)] * 18  # 9th column extends 0xDB, all doubled
    bits = load_font()[ord("|") * 16 + 4]
    assert line[36:54] == [ega(0x3F) if bits >> (7 - x // 2) & 1 else ega(0)
                           for x in range(16)] + [ega(0)] * 2


def test_vbe_4bpp_is_planar(rig):
    vbe_mode(rig, 640, 480, 4)
    rig.inb(0x3DA)
    for i in range(16):
        rig.outb(0x3C0, i, i)               # identity attribute palette
    rig.outb(0x3C0, 0x20)
    rig.vga.load_dac(5, bytes([10, 20, 30]))
    assert rig.vbe(6) == 640
    rig.vga.vram[(80 * 2 + 1) * 4 + 0] = 0x80
    rig.vga.vram[(80 * 2 + 1) * 4 + 2] = 0x80   # pixel (8, 2): planes 0 and 2
    w, h, px = rig.pixels()
    assert (w, h) == (640, 480) and px[2 * 640 + 8] == rgb6(10, 20, 30)
    assert px[2 * 640 + 9] == 0


def test_update_token_tracks_writes_and_stays_when_idle(rig):
    rig.vga.set_mode(0x13)
    token = rig.vga.update_token()
    rig.clock.advance(FRAME_NS * 40)
    assert rig.vga.update_token() == token  # graphics: nothing moves by itself
    rig.wb(A0000 + 9, 1)
    assert rig.vga.update_token() != token
    token = rig.vga.update_token()
    rig.outb(0x3C8, 1)
    rig.outb(0x3C9, 5)
    assert rig.vga.update_token() != token


def test_any_register_values_render_without_fault(rig):
    import random
    rnd = random.Random(1234)
    vga = rig.vga
    vga.vram[:PLANES] = rnd.randbytes(PLANES)
    for _ in range(300):
        vga.program(rnd.randrange(256), rnd.randbytes(5), rnd.randbytes(25),
                    rnd.randbytes(9), rnd.randbytes(21))
        vga.seq[1] &= ~0x20
        info = vga.mode_info()
        w, h, buf = vga.render()
        assert (w, h) == (info.width, info.height) and len(buf) == w * h * 4
        if info.kind == "text":
            cols, rows, cells = vga.text_snapshot()
            assert len(cells) == cols * rows


def test_vga_mode_set_turns_vbe_and_its_8_bit_dac_off(rig):
    vbe_mode(rig, 640, 480, 8, flags=VBE_8BIT_DAC)
    rig.vga.load_dac(1, bytes([0xFC, 0x80, 0x04]))
    rig.vga.set_mode(0x13)
    assert not rig.vga.vbe_active and rig.vbe(4) == 0
    assert bytes(rig.vga.dac[3:6]) == bytes([0x3F, 0x20, 0x01])
