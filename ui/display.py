"""What a window shows: display sources and the frames they hand out.

A display source has one method,

    frame(since) -> Frame | None

where `since` is the `gen` of the last frame the caller took (None: it has none).
It returns None when nothing changed since then, else a Frame whose `dirty` lists the
rectangles that differ from frame `since` (the whole picture when the size changed or
since is None). Pixels are XRGB32: 4 bytes per pixel, B, G, R, unused, rows top to
bottom `pitch` bytes apart, which is SDL's SDL_PIXELFORMAT_RGB888 on a little-endian
host. Sources never copy a picture that did not change.

VgaSource adapts hw/vga.py's adapter: it renders only when the VGA's update token
moved (register or video memory writes, blink phases, the VBE framebuffer's
contents) and compares the new picture with the last one row by row, so a blinking
cursor becomes a dirty rectangle of its text row, not of the whole screen.
"""
from dataclasses import dataclass, field

BYTES_PER_PIXEL = 4


@dataclass
class Frame:
    width: int
    height: int
    pitch: int
    pixels: bytearray                  # XRGB32, see the module doc
    gen: int
    dirty: list = field(default_factory=list)      # [(x, y, w, h), ...]

    def packed(self):
        """The pixels with rows `width * 4` bytes apart (a copy only if padded)."""
        row = self.width * BYTES_PER_PIXEL
        if self.pitch == row:
            return self.pixels
        return b"".join(self.pixels[y * self.pitch:y * self.pitch + row]
                        for y in range(self.height))


def dirty_rows(old, new, width, height, pitch):
    """The bands of rows (x, y, w, h), full width, where two same-sized pictures
    differ; one memcmp per row."""
    bands = []
    start = None
    row = width * BYTES_PER_PIXEL
    for y in range(height):
        a = y * pitch
        same = old[a:a + row] == new[a:a + row]
        if not same and start is None:
            start = y
        elif same and start is not None:
            bands.append((0, start, width, y - start))
            start = None
    if start is not None:
        bands.append((0, start, width, height - start))
    return bands


class VgaSource:
    """The display source of a hw.vga.Vga: render() -> (w, h, XRGB32 bytearray),
    update_token() -> a value that moves whenever the picture may have changed."""

    def __init__(self, vga):
        self.vga = vga
        self._token = object()
        self._last = None            # the last Frame handed out
        self._gen = 0

    def frame(self, since):
        token = self.vga.update_token()
        last = self._last
        if last is not None and since == last.gen and token == self._token:
            return None
        self._token = token
        width, height, pixels = self.vga.render()
        pitch = width * BYTES_PER_PIXEL
        if last is not None and since == last.gen and (width, height) == (
                last.width, last.height):
            dirty = dirty_rows(last.pixels, pixels, width, height, pitch)
            if not dirty:
                return None          # e.g. a blink phase that changed no pixel
        else:
            dirty = [(0, 0, width, height)]
        self._gen += 1
        self._last = Frame(width, height, pitch, pixels, self._gen, dirty)
        return self._last
