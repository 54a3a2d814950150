"""Generate the video BIOS's ROM data at build time (called by bios/build.py):

- the character sets, code page 437: 8x16 from hw/font8x16.bin (the IBM VGA ROM
  font the VGA device model uses too), 8x14 and 8x8 from the bitmap files
  bios/fonts/vga8x14.txt and vga8x8.txt (derived from the 8x16 by
  bios/fonts/derive.py);
- the DAC tables a VGA BIOS loads at a mode set (IBM VGA Technical Reference):
  the 64-entry CGA-compatible, EGA (rgbRGB) and monochrome tables, and the default
  256-colour table of mode 13h.

Output: vgadata_gen.c, the arrays in section .vgarom (placed in the E segment by
bios.ld, read by the 16-bit code through far pointers), and font8x8_gen.inc, the
first 128 characters of the 8x8 set as assembler .byte lines for the fixed address
F000:FA6E where CGA-era software expects them (entry_16.S includes it).
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
FONT16 = HERE.parent / "hw" / "font8x16.bin"
FONT_TXT = {14: HERE / "fonts" / "vga8x14.txt", 8: HERE / "fonts" / "vga8x8.txt"}
INPUTS = (FONT16, *FONT_TXT.values(), pathlib.Path(__file__))


def read_font_txt(path, height):
    """256 glyphs of `height` rows from a bios/fonts bitmap file, as bytes."""
    glyphs = {}
    cur = None
    for line in path.read_text().splitlines():
        if not line or line.startswith(";"):
            continue
        if line.startswith("char "):
            cur = int(line[5:], 16)
            glyphs[cur] = []
            continue
        if len(line) != 8 or set(line) - set(".#"):
            raise ValueError("%s: bad glyph row %r" % (path, line))
        glyphs[cur].append(int(line.replace("#", "1").replace(".", "0"), 2))
    if sorted(glyphs) != list(range(256)) or any(len(g) != height for g in glyphs.values()):
        raise ValueError("%s: needs 256 glyphs of %d rows" % (path, height))
    return bytes(b for c in range(256) for b in glyphs[c])


def fonts():
    f16 = FONT16.read_bytes()
    if len(f16) != 4096:
        raise ValueError("%s: not 256 glyphs of 16 bytes" % FONT16)
    return {8: read_font_txt(FONT_TXT[8], 8), 14: read_font_txt(FONT_TXT[14], 14), 16: f16}


def palette_ega():
    """rgbRGB: bits 2/1/0 add 2/3 of red/green/blue, bits 5/4/3 add 1/3."""
    return bytes(0x2A * (i >> hi & 1) + 0x15 * (i >> lo & 1)
                 for i in range(64) for hi, lo in ((2, 5), (1, 4), (0, 3)))


def palette_cga():
    """The 200-line modes' table: bits 2/1/0 red/green/blue at 2/3, bit 4 adds 1/3 to
    all three (intensity), bits 3 and 5 ignored; colour 6 is brown (green 1/3)."""
    out = []
    for i in range(64):
        inten = 0x15 if i & 0x10 else 0
        rgb = [0x2A * (i >> b & 1) + inten for b in (2, 1, 0)]
        if i & 0x17 == 6:
            rgb[1] = 0x15
        out += rgb
    return bytes(out)


def palette_mono():
    """Monochrome: bit 3 gives 2/3 white (normal), bit 4 adds 1/3 (intense)."""
    return bytes(v for i in range(64)
                 for v in [0x2A * (i >> 3 & 1) + 0x15 * (i >> 4 & 1)] * 3)


# mode 13h's default: the 16 colours, 16 greys, then 24 hues at 3 intensities x 3
# saturations (levels: the low component, three ramp steps, the high component)
GREYS = (0x00, 0x05, 0x08, 0x0B, 0x0E, 0x11, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x2D,
         0x32, 0x38, 0x3F)
HUE_LEVELS = ((0x00, 0x10, 0x1F, 0x2F, 0x3F), (0x1F, 0x27, 0x2F, 0x37, 0x3F),
              (0x2D, 0x31, 0x36, 0x3A, 0x3F), (0x00, 0x07, 0x0E, 0x15, 0x1C),
              (0x0E, 0x11, 0x15, 0x18, 0x1C), (0x14, 0x16, 0x18, 0x1A, 0x1C),
              (0x00, 0x04, 0x08, 0x0C, 0x10), (0x08, 0x0A, 0x0C, 0x0E, 0x10),
              (0x0B, 0x0C, 0x0D, 0x0F, 0x10))


def _hues(lv):
    """Blue -> magenta -> red -> yellow -> green -> cyan -> back to blue in 24 steps;
    lv[0] is the low component, lv[4] the high one, lv[1..3] the ramp between."""
    seq = []
    for k in range(4):
        seq.append((k, 0, 4))                        # red up (blue high)
    for k in range(4):
        seq.append((4, 0, 4 - k))                    # blue down
    for k in range(4):
        seq.append((4, k, 0))                        # green up
    for k in range(4):
        seq.append((4 - k, 4, 0))                    # red down
    for k in range(4):
        seq.append((0, 4, k))                        # blue up
    for k in range(4):
        seq.append((0, 4 - k, 4))                    # green down
    return bytes(lv[c] for rgb in seq for c in rgb)


def palette_256():
    out = bytearray()
    ega = palette_ega()
    for c in (0, 1, 2, 3, 4, 5, 0x14, 7, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F):
        out += ega[c * 3:c * 3 + 3]
    for g in GREYS:
        out += bytes((g, g, g))
    for lv in HUE_LEVELS:
        out += _hues(lv)
    out += bytes(8 * 3)
    assert len(out) == 768
    return bytes(out)


def _c_array(name, data, comment):
    lines = ["/* %s */" % comment,
             "const uint8_t %s[%d] VGAROM = {" % (name, len(data))]
    for i in range(0, len(data), 16):
        lines.append("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",")
    lines.append("};")
    return "\n".join(lines)


def generate(outdir):
    """Write vgadata_gen.c and font8x8_gen.inc into outdir."""
    outdir = pathlib.Path(outdir)
    f = fonts()
    parts = ["/* GENERATED by bios/vgadata.py from hw/font8x16.bin and the bios/fonts bitmaps:",
             " * do not edit. The video BIOS's ROM data (section .vgarom, E segment). */",
             '#include "vgarom.h"', ""]
    parts.append(_c_array("vga_font8", f[8], "8x8 character set (INT 43h in 200-line modes)"))
    parts.append(_c_array("vga_font14", f[14], "8x14 character set (350-line modes)"))
    parts.append(_c_array("vga_font16", f[16], "8x16 character set (400/480-line modes)"))
    parts.append(_c_array("vga_pal_cga", palette_cga(), "DAC: 200-line modes"))
    parts.append(_c_array("vga_pal_ega", palette_ega(), "DAC: EGA rgbRGB"))
    parts.append(_c_array("vga_pal_mono", palette_mono(), "DAC: monochrome"))
    parts.append(_c_array("vga_pal_256", palette_256(), "DAC: mode 13h default"))
    (outdir / "vgadata_gen.c").write_text("\n".join(parts) + "\n")
    inc = ["/* GENERATED by bios/vgadata.py: the 8x8 characters 00h-7Fh for F000:FA6E */"]
    for c in range(128):
        inc.append("    .byte " + ", ".join("0x%02x" % b for b in f[8][c * 8:c * 8 + 8]))
    (outdir / "font8x8_gen.inc").write_text("\n".join(inc) + "\n")
