"""Derive the 8x14 and 8x8 character sets (code page 437) from the IBM VGA 8x16 font
(hw/font8x16.bin) and write them as the bitmap text files vga8x14.txt and vga8x8.txt
beside this script, which the BIOS build turns into ROM data (bios/vgadata.py). Run
once when the derivation changes; the text files may be touched up by hand after it.

    python -m bios.fonts.derive

The 8x16 cell: accents rows 0-1, capitals 2-11 (baseline 11), lower case 5-11,
descenders 12-14. The derived cells keep every glyph on one baseline:
- 8x14 (the EGA/VGA 350-line font): drop one row above the baseline and one below:
  row 0 and row 15 unless they hold ink, else a row that repeats its neighbour;
- 8x8 (the CGA/VGA 200-line font): rows 2-4 -> 2 rows, the x-height band 5-11 -> 5
  rows, descenders 12-14 -> 1 row; a band shrinks by dropping rows that repeat a
  neighbour, else by OR-merging the two most alike neighbours (strokes survive).
Box drawing and block characters (B0h-DFh) take fixed rows, so lines meet across
cells: 8x14 rows 1-14; 8x8 rows 1,3,5,6,7,9,11,13 (single lines of row 7 at row 4,
double lines of rows 5 and 7 at rows 2 and 4); the shades B0h-B2h rows 0-7.
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
FONT16 = HERE.parent.parent / "hw" / "font8x16.bin"
BOX = range(0xB0, 0xE0)
SHADES = (0xB0, 0xB1, 0xB2)
BOX8_ROWS = (1, 3, 5, 6, 7, 9, 11, 13)


def glyphs16():
    data = FONT16.read_bytes()
    return [list(data[c * 16:c * 16 + 16]) for c in range(256)]


def _drop_one(rows, lo, hi, prefer):
    """Index of the row in rows[lo:hi] to drop: `prefer` if blank, else one that
    repeats its upper neighbour, else `prefer`."""
    if rows[prefer] == 0:
        return prefer
    for r in range(max(lo, 1), hi):
        if rows[r] == rows[r - 1]:
            return r
    for r in range(lo, hi):
        if rows[r] == 0:
            return r
    return prefer


def to14(c, g):
    if c in BOX:
        return g[1:15]
    rows = list(g)
    low = _drop_one(rows, 12, 16, 15)
    del rows[low]
    top = _drop_one(rows, 0, 12, 0)
    del rows[top]
    return rows


def _shrink(band, k):
    band = list(band)
    while len(band) > k:
        dup = [i for i in range(1, len(band)) if band[i] == band[i - 1]]
        if dup:
            del band[dup[-1]]
            continue
        # merge the two most alike neighbours (fewest differing pixels)
        i = min(range(1, len(band)), key=lambda i: bin(band[i] ^ band[i - 1]).count("1"))
        band[i - 1] |= band[i]
        del band[i]
    return band


def to8(c, g):
    if c in SHADES:
        return g[0:8]
    if c in BOX:
        return [g[r] for r in BOX8_ROWS]
    top = g[0:5] if g[0] or g[1] else g[2:5]
    return _shrink(top, 2) + _shrink(g[5:12], 5) + _shrink(g[12:15], 1)


def write(path, height, glyphs, how):
    lines = ["; The 8x%d character set, code page 437: 256 glyphs of %d rows, '#' = ink." %
             (height, height),
             "; %s" % how,
             "; Format: a line 'char XX' (hex code), then the rows."]
    for c, rows in enumerate(glyphs):
        assert len(rows) == height
        lines.append("char %02X" % c)
        lines += ["".join("#" if r >> (7 - b) & 1 else "." for b in range(8)) for r in rows]
    path.write_text("\n".join(lines) + "\n")


def main():
    g16 = glyphs16()
    how = "Derived from hw/font8x16.bin by bios/fonts/derive.py."
    write(HERE / "vga8x14.txt", 14, [to14(c, g) for c, g in enumerate(g16)], how)
    write(HERE / "vga8x8.txt", 8, [to8(c, g) for c, g in enumerate(g16)], how)


if __name__ == "__main__":
    main()
