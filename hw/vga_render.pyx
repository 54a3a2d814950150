# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The VGA's display pipeline in C: video memory -> XRGB32 pixels.

Video memory is the adapter's VRAM bytearray. The VGA's four 64 KiB planes are kept
plane-interleaved in its first 256 KiB: byte k of plane p is vram[4*k + p], so the four
bytes the CRTC fetches for one address are adjacent. The output is one uint32 per pixel,
0x00RRGGBB in host (little-endian) order, i.e. the bytes B, G, R, 0 -- the layout of an
SDL ARGB8888 texture and of a 32 bpp VBE framebuffer.

Addressing follows the CRTC (IBM VGA Technical Reference, CRTC registers 0x13, 0x14,
0x17): a character/pixel-group address counter advances once per character clock and
by 2 x Offset per row; its value reaches memory shifted left by 0 (byte mode), 1 (word
mode: bit 0 is MA13 or MA15) or 2 (doubleword mode: rotated); CRTC 0x17 bits 0-1 (when
0) put row-scan-counter bits 0-1 on memory address bits 13-14 (CGA/Hercules banks).

Palettes arrive resolved: `pal` is the colour of each value the pipeline can produce
(16 entries after the attribute controller, or 256 entries for 8 bpp).
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t

cdef enum:
    PLANE_MASK = 0xFFFF


cdef inline uint32_t crtc_addr(uint32_t c, int shift, int wrap15) noexcept nogil:
    """Plane offset the CRTC outputs for address counter value c."""
    c &= 0xFFFF
    if shift == 1:
        if wrap15:
            return ((c << 1) | (c >> 15)) & PLANE_MASK
        return ((c << 1) | ((c >> 13) & 1)) & PLANE_MASK
    if shift == 2:
        return ((c << 2) | (c >> 14)) & PLANE_MASK
    return c


cdef inline uint32_t bank_bits(uint32_t a, int cms, int rsc) noexcept nogil:
    """CRTC 0x17 bits 0 and 1 clear: row scan counter bits 0/1 replace MA13/MA14."""
    if not (cms & 1):
        a = (a & ~0x2000U) | ((<uint32_t>rsc & 1) << 13)
    if not (cms & 2):
        a = (a & ~0x4000U) | (((<uint32_t>rsc >> 1) & 1) << 14)
    return a


def render_text(const uint8_t[::1] vram, uint8_t[::1] out, int cols, int rows, int cw,
                int ch, int hdouble, uint32_t start, uint32_t stride, int shift,
                int wrap15, uint32_t font_a, uint32_t font_b, const uint32_t[::1] pal,
                int blink_attr, int blink_on, int linegfx, int cursor, int cur_start,
                int cur_end, int underline):
    """Alphanumeric mode: cols x rows cells of cw (8/9) x ch dots, each dot doubled
    horizontally when hdouble. font_a/font_b: plane-2 offsets of the character maps
    chosen by attribute bit 3 set/clear. blink_attr: attribute bit 7 blinks (else it
    is background intensity); blink_on: blinking characters are visible now.
    cursor: address counter value of the cursor cell, or -1 for none;
    underline: scan line of the monochrome underline, or -1."""
    cdef uint32_t* o = <uint32_t*>&out[0]
    cdef int width = cols * cw * (2 if hdouble else 1)
    cdef int r, col, y, x, k, step = 2 if hdouble else 1
    cdef uint32_t c, a, glyph, fgc, bgc
    cdef uint8_t code, attr, bits
    cdef int fg, bg, ninth, dot
    cdef uint32_t* line
    for r in range(rows):
        for col in range(cols):
            c = start + <uint32_t>r * stride + <uint32_t>col
            a = crtc_addr(c, shift, wrap15)
            code = vram[a * 4]
            attr = vram[a * 4 + 1]
            fg = attr & 15
            bg = attr >> 4
            if blink_attr:
                bg &= 7
                if attr & 0x80 and not blink_on:
                    fg = bg
            fgc = pal[fg]
            bgc = pal[bg]
            glyph = (font_a if attr & 8 else font_b) + <uint32_t>code * 32
            for y in range(ch):
                bits = vram[((glyph + <uint32_t>y) & PLANE_MASK) * 4 + 2]
                if y == underline and (attr & 0x77) == 1:
                    bits = 0xFF
                if <int>(c & 0xFFFF) == cursor and cur_start <= y <= cur_end:
                    bits = 0xFF
                ninth = bits & 1 if (linegfx and 0xC0 <= code <= 0xDF) else 0
                line = o + (<Py_ssize_t>(r * ch + y)) * width + col * cw * step
                for x in range(cw):
                    if x < 8:
                        dot = (bits >> (7 - x)) & 1
                    else:
                        dot = ninth
                    for k in range(step):
                        line[x * step + k] = fgc if dot else bgc


def render_graphics(const uint8_t[::1] vram, uint8_t[::1] out, int width, int height,
                    int kind, uint32_t start, uint32_t stride, int shift, int wrap15,
                    int rep, int msl1, int cms, int split, int pan, int split_pan,
                    int plane_enable, const uint32_t[::1] pal):
    """VGA graphics: kind 0 = 16 colours from 4 planes (8 pixels per address),
    1 = CGA 2 bits per pixel from planes 0/1 (shift register interleave), 2 = 256
    colours, one byte per plane (4 pixels per address; pal has 256 entries).
    Output line y is scan line y*rep of the frame (rep folds the repeated scan lines
    of a character row); msl1 = scan lines per row; split: first output line after
    the line compare (the address counter restarts at 0), or height.
    pan: pixels to skip at the left (attribute register 0x13)."""
    cdef uint32_t* o = <uint32_t*>&out[0]
    cdef int y, x, sc, row, rsc, px, bit, idx, p
    cdef uint32_t base, a
    cdef uint8_t b
    cdef int ppa = 4 if kind == 2 else 8       # pixels per address
    for y in range(height):
        if y < split:
            sc = y * rep
            base = start
            px = pan
        else:
            sc = (y - split) * rep
            base = 0
            px = split_pan
        row = sc // msl1
        rsc = sc % msl1
        base += <uint32_t>row * stride
        for x in range(width):
            a = bank_bits(crtc_addr(base + <uint32_t>(px // ppa), shift, wrap15), cms, rsc)
            bit = px % ppa
            if kind == 2:
                o[0] = pal[vram[a * 4 + bit]]
            elif kind == 1:
                b = vram[a * 4 + (bit >> 2)]
                o[0] = pal[(b >> (6 - 2 * (bit & 3))) & 3]
            else:
                idx = 0
                for p in range(4):
                    idx |= ((vram[a * 4 + p] >> (7 - bit)) & 1) << p
                o[0] = pal[idx & plane_enable]
            o += 1
            px += 1


def render_linear(const uint8_t[::1] vram, uint8_t[::1] out, int width, int height,
                  int bpp, Py_ssize_t start, Py_ssize_t pitch, const uint32_t[::1] pal):
    """Packed-pixel framebuffer (VBE): bpp 8 (through pal), 15 (x:5:5:5), 16 (5:6:5),
    24 (bytes B, G, R) or 32 (B, G, R, x). Pixels beyond VRAM are black."""
    cdef uint32_t* o = <uint32_t*>&out[0]
    cdef Py_ssize_t size = vram.shape[0]
    cdef int bytespp = (bpp + 7) // 8
    cdef int y, x
    cdef Py_ssize_t p
    cdef uint32_t v, r, g, b
    for y in range(height):
        p = start + y * pitch
        for x in range(width):
            if p < 0 or p + bytespp > size:
                o[0] = 0
            elif bpp == 8:
                o[0] = pal[vram[p]]
            elif bpp == 32 or bpp == 24:
                o[0] = (<uint32_t>vram[p + 2] << 16) | (<uint32_t>vram[p + 1] << 8) | vram[p]
            else:
                v = vram[p] | (<uint32_t>vram[p + 1] << 8)
                if bpp == 15:
                    r = (v >> 10) & 31
                    g = (v >> 5) & 31
                    g = (g << 3) | (g >> 2)
                else:
                    r = (v >> 11) & 31
                    g = (v >> 5) & 63
                    g = (g << 2) | (g >> 4)
                b = v & 31
                o[0] = (((r << 3) | (r >> 2)) << 16) | (g << 8) | ((b << 3) | (b >> 2))
            o += 1
            p += bytespp


def xrgb_to_rgb(const uint8_t[::1] src, uint8_t[::1] dst):
    """XRGB32 pixels (bytes B, G, R, x) -> RGB24 (bytes R, G, B)."""
    cdef Py_ssize_t i, n = src.shape[0] // 4
    for i in range(n):
        dst[3 * i] = src[4 * i + 2]
        dst[3 * i + 1] = src[4 * i + 1]
        dst[3 * i + 2] = src[4 * i]
