"""Screen dumps of the VGA: text modes as UTF-8 text, graphics as PNG.

`dump_screen(vga, path)` writes a text mode's characters (code page 437 shown as
Unicode, trailing spaces removed, one line per row) unless the path ends in .png;
graphics modes, and text modes dumped to a .png, are written as the rendered picture.
The PNG encoder is the minimal one of the PNG specification (ISO/IEC 15948): IHDR
(8-bit RGB, no interlace), one zlib IDAT of scan lines with filter type 0, IEND.
"""
import struct
import zlib

from hw import vga_render

# code page 437 glyphs of 0x00-0x1F and 0x7F (the codec maps those to control codes)
_CP437_LOW = (" ☺☻♥♦♣♠•◘○◙♂♀♪♫☼"
              "►◄↕‼¶§▬↨↑↓→←∟↔▲▼")
CP437 = tuple(_CP437_LOW[i] if i < 32 else "⌂" if i == 0x7F else bytes([i]).decode("cp437")
              for i in range(256))

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def text_lines(vga):
    """A text mode's screen as lines of Unicode text, or None in graphics modes."""
    snap = vga.text_snapshot()
    if snap is None:
        return None
    cols, rows, cells = snap
    return ["".join(CP437[ch] for ch, _ in cells[r * cols:(r + 1) * cols]).rstrip(" ")
            for r in range(rows)]


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(width, height, rgb):
    """PNG file bytes for width x height RGB24 pixels (rows top to bottom)."""
    stride = width * 3
    raw = bytearray()
    for y in range(height):
        raw.append(0)                                   # filter type 0: none
        raw += rgb[y * stride:(y + 1) * stride]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", ihdr) +
            _chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + _chunk(b"IEND", b""))


def xrgb_png(width, height, xrgb):
    """PNG file bytes for width x height XRGB32 pixels (B, G, R, x; rows packed)."""
    rgb = bytearray(width * height * 3)
    if width * height:
        vga_render.xrgb_to_rgb(memoryview(xrgb)[:width * height * 4], memoryview(rgb))
    return encode_png(width, height, rgb)


def screenshot_png(vga):
    """The rendered picture as PNG bytes."""
    return xrgb_png(*vga.render())


def dump_screen(vga, path):
    """Write the screen to path: text for text modes (unless path ends in .png), PNG
    otherwise. Returns "text" or "png", what was written."""
    path = str(path)
    lines = None if path.lower().endswith(".png") else text_lines(vga)
    if lines is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        return "text"
    with open(path, "wb") as f:
        f.write(screenshot_png(vga))
    return "png"
