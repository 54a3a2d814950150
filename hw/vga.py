"""The VGA adapter with the Bochs VBE extensions (QEMU's "std" VGA, Bochs' VGA).

Registers and memory follow the IBM VGA Technical Reference: the miscellaneous output
register (0x3C2 write, 0x3CC read; bit 0 puts the CRTC and input status 1 at 0x3Dx or
the monochrome 0x3Bx), the sequencer (0x3C4/5), CRTC (0x3D4/5 or 0x3B4/5, registers
0-7 write-protected by CRTC 0x11 bit 7 except the line compare bit), graphics
controller (0x3CE/F), attribute controller (0x3C0 index/data flip-flop, 0x3C1 read;
reading input status 1 resets the flip-flop), the DAC (0x3C6 pixel mask, 0x3C7 read
index / state, 0x3C8 write index, 0x3C9 data: three 6-bit components per entry with
auto-increment) and feature control (0x3CA read, 0x3BA/0x3DA write).

Video memory: four 64 KiB planes kept plane-interleaved in the first 256 KiB of the
16 MiB VRAM (byte k of plane p is vram[4k + p], see hw/vga_render.pyx), seen through
the window at 0xA0000-0xBFFFF that GC register 6 selects. CPU accesses go through the
sequencer's map mask, chain-4 (plane = address bits 0-1) and odd/even (plane = bit 0)
addressing, the four write modes with set/reset, data rotate, the logical function
and the bit mask against the latches, and the two read modes (plane select, colour
compare). Plain writes in chain-4 and odd/even modes (write mode 0 with nothing else
set) take a short path: one bytearray store.

Bochs VBE "DISPI" (ports 0x1CE index / 0x1CF data, 16-bit; Bochs vbe.h interface IDs
0xB0C0-0xB0C5): resolution, 4/8/15/16/24/32 bpp, enable with GETCAPS, 8-bit DAC,
LFB_ENABLED and NOCLEARMEM, a 64 KiB bank at 0xA0000, a virtual width and display
offsets. The linear framebuffer is the whole VRAM, shown to the guest by the PCI
function (VgaPci, BAR0) as a mapped buffer.

Retrace timing (input status 1 bits 0 and 3) and text blinking come from guest time,
as a 70 Hz frame of 449 lines with 400 displayed and a 2-line vertical retrace.
"""
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

from hw import vga_render
from hw.pci import PciDevice

KIB = 1 << 10
MIB = 1 << 20
VRAM_SIZE = 16 * MIB
PLANES_SIZE = 256 * KIB
PLANE_MASK = 0xFFFF
WINDOW_BASE = 0xA0000
WINDOW_SIZE = 0x20000
# GC 6 bits 2-3: where the planes appear in the CPU's address space
MEMORY_MAPS = ((0xA0000, 0x20000), (0xA0000, 0x10000), (0xB0000, 0x8000), (0xB8000, 0x8000))
FONT_PATH = Path(__file__).with_name("font8x16.bin")   # IBM VGA 8x16 ROM font, code page 437

# Timing of the (nominal) 70 Hz frame: what the status bits and blinking follow
FRAME_NS = 1_000_000_000 // 70
FRAME_LINES = 449
LINE_NS = FRAME_NS // FRAME_LINES
DISPLAY_LINES = 400
VRETRACE_LINES = (412, 414)
HBLANK_FRACTION = (4, 5)             # the first 4/5 of a line are displayed

ST1_DISPLAY_OFF = 0x01               # input status 1: not in the display interval
ST1_VRETRACE = 0x08
ATTR_PAS = 0x20                      # attribute index bit 5: palette address source

# Bochs VBE (vbe.h)
VBE_PORT = 0x1CE
VBE_ID0, VBE_ID5 = 0xB0C0, 0xB0C5
(VBE_INDEX_ID, VBE_INDEX_XRES, VBE_INDEX_YRES, VBE_INDEX_BPP, VBE_INDEX_ENABLE,
 VBE_INDEX_BANK, VBE_INDEX_VIRT_WIDTH, VBE_INDEX_VIRT_HEIGHT, VBE_INDEX_X_OFFSET,
 VBE_INDEX_Y_OFFSET, VBE_INDEX_VIDEO_MEMORY_64K) = range(11)
VBE_ENABLED = 0x01
VBE_GETCAPS = 0x02
VBE_8BIT_DAC = 0x20
VBE_LFB_ENABLED = 0x40
VBE_NOCLEARMEM = 0x80
VBE_MAX_XRES = 2560
VBE_MAX_YRES = 1600
VBE_MAX_BPP = 32
VBE_BPPS = (4, 8, 15, 16, 24, 32)
VBE_BANK_SIZE = 64 * KIB

# the PCI function (QEMU's "std" VGA IDs)
PCI_VENDOR, PCI_DEVICE, PCI_CLASS, PCI_REVISION = 0x1234, 0x1111, 0x030000, 2
PCI_SUBSYS = (0x1AF4, 0x1100)

# per-plane byte masks: EXPAND[m] has 0xFF in byte p for each bit p of m
EXPAND = tuple(sum(0xFF << (8 * p) for p in range(4) if m >> p & 1) for m in range(16))
ALL_PLANES = 0xFFFFFFFF

# register sets a VGA BIOS programs for its standard modes (misc, seq 0-4, CRTC
# 0-0x18, GC 0-8, attribute 0-0x14), IBM VGA Technical Reference mode tables
MODE_TABLES = {
    0x03: (0x67,
           (0x03, 0x00, 0x03, 0x00, 0x02),
           (0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E,
            0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3,
            0xFF),
           (0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF),
           (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B,
            0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00)),
    0x04: (0x63,
           (0x03, 0x09, 0x03, 0x00, 0x02),
           (0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2,
            0xFF),
           (0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x00, 0xFF),
           (0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13,
            0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00)),
    0x12: (0xE3,
           (0x03, 0x01, 0x0F, 0x00, 0x06),
           (0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3,
            0xFF),
           (0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF),
           (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B,
            0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00)),
    0x13: (0x63,
           (0x03, 0x01, 0x0F, 0x00, 0x0E),
           (0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3,
            0xFF),
           (0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF),
           tuple(range(16)) + (0x41, 0x00, 0x0F, 0x00, 0x00)),
}


def ega_palette():
    """The 64 colours of the EGA's rgbRGB attribute bits as 6-bit DAC triplets (what a
    VGA BIOS loads for the 16-colour modes): bits 0-2 add 2/3 of blue/green/red, bits
    3-5 add 1/3."""
    out = []
    for i in range(64):
        for hi, lo in ((2, 5), (1, 4), (0, 3)):          # red, green, blue
            out.append(0x2A * (i >> hi & 1) + 0x15 * (i >> lo & 1))
    return bytes(out)


def load_font():
    """The 8x16 font: 256 glyphs of 16 bytes, code page 437 order."""
    return FONT_PATH.read_bytes()


@dataclass
class ModeInfo:
    kind: str               # "text" or "graphics"
    width: int              # pixels of the rendered picture
    height: int
    bpp: int                # 4 for text and 16-colour modes, 2 CGA, 8, 15, 16, 24, 32
    cols: int = 0           # text modes: character cells
    rows: int = 0


class Vga:
    """The VGA + Bochs VBE core: registers, VRAM and rendering (no PCI)."""

    def __init__(self, clock):
        self.clock = clock
        self.vram = bytearray(VRAM_SIZE)
        self.generation = 0
        self.reset()

    # -- wiring ------------------------------------------------------------------------
    def attach(self, bus):
        # only the ports the VGA decodes: 0x3BC-0x3BE stay free for a parallel port
        for first, count in ((0x3B4, 2), (0x3BA, 1), (0x3C0, 16), (0x3D4, 2), (0x3DA, 1)):
            bus.claim("vga", first, count, self.port_read, self.port_write)
        bus.claim("vbe", VBE_PORT, 2, self.vbe_read, self.vbe_write, widths=(2,))

    def map(self, mem):
        """Show the legacy window 0xA0000-0xBFFFF through this device."""
        mem.map_mmio(WINDOW_BASE, WINDOW_SIZE, self)

    def reset(self):
        """Power-on: every register 0 (a VGA BIOS programs a mode), VBE off; VRAM keeps
        what it holds."""
        self.misc = 0
        self.feature = 0
        self.vga_enable = 0
        self.seq_index = 0
        self.seq = bytearray(5)
        self.crtc_index = 0
        self.crtc = bytearray(0x19)
        self.gc_index = 0
        self.gc = bytearray(9)
        self.attr_index = 0
        self.attr = bytearray(0x15)
        self.attr_flip = False           # False: next 0x3C0 write is an index
        self.pel_mask = 0xFF
        self.dac = bytearray(768)
        self.dac_write = 0
        self.dac_read = 0
        self.dac_comp = 0
        self.dac_state = 0               # 0x3C7 read: 0 after a write index, 3 after read
        self.latch = 0
        self.vbe_index = 0
        self.vbe_id = VBE_ID5
        self.vbe_xres = 640
        self.vbe_yres = 480
        self.vbe_bpp = 8
        self.vbe_enable = 0
        self.vbe_bank = 0
        self.vbe_virt_width = 640
        self.vbe_virt_height = 480
        self.vbe_x_offset = 0
        self.vbe_y_offset = 0
        self._recompute()
        self.generation += 1

    def _recompute(self):
        """Cache what every memory access looks at; called after register writes."""
        self._map_base, self._map_size = MEMORY_MAPS[(self.gc[6] >> 2) & 3]
        self._chain4 = bool(self.seq[4] & 8)
        self._odd_even_write = not self.seq[4] & 4
        self._odd_even_read = bool(self.gc[5] & 0x10)
        self._fast_write = ((self.gc[5] & 3) == 0 and not self.gc[1] & 15
                            and self.gc[3] == 0 and self.gc[8] == 0xFF)
        self._banked = bool(self.vbe_enable & VBE_ENABLED) and self.vbe_bpp != 4

    # -- I/O ports -----------------------------------------------------------------------
    def _crtc_base(self):
        return 0x3D0 if self.misc & 1 else 0x3B0

    def port_read(self, port, size):
        if port in (0x3B4, 0x3B5, 0x3BA, 0x3D4, 0x3D5, 0x3DA):
            if port & 0xFFF0 != self._crtc_base():
                return 0xFF
            port &= 0xF
            if port == 0x4:
                return self.crtc_index
            if port == 0x5:
                return self.crtc[self.crtc_index] if self.crtc_index < len(self.crtc) else 0xFF
            self.attr_flip = False
            return self._status1()
        if port == 0x3C0:
            return self.attr_index
        if port == 0x3C1:
            i = self.attr_index & 0x1F
            return self.attr[i] if i < len(self.attr) else 0
        if port == 0x3C2:
            return 0                     # input status 0: no retrace interrupt, no sense
        if port == 0x3C3:
            return self.vga_enable
        if port == 0x3C4:
            return self.seq_index
        if port == 0x3C5:
            return self.seq[self.seq_index] if self.seq_index < len(self.seq) else 0xFF
        if port == 0x3C6:
            return self.pel_mask
        if port == 0x3C7:
            return self.dac_state
        if port == 0x3C8:
            return self.dac_write
        if port == 0x3C9:
            v = self.dac[self.dac_read * 3 + self.dac_comp]
            self.dac_comp += 1
            if self.dac_comp == 3:
                self.dac_comp = 0
                self.dac_read = (self.dac_read + 1) & 0xFF
            return v
        if port == 0x3CA:
            return self.feature
        if port == 0x3CC:
            return self.misc
        if port == 0x3CE:
            return self.gc_index
        if port == 0x3CF:
            return self.gc[self.gc_index] if self.gc_index < len(self.gc) else 0xFF
        return 0xFF

    def _status1(self):
        t = self.clock.now() % FRAME_NS
        line = t // LINE_NS
        v = 0
        if line >= DISPLAY_LINES or (t % LINE_NS) * HBLANK_FRACTION[1] >= \
                LINE_NS * HBLANK_FRACTION[0]:
            v |= ST1_DISPLAY_OFF
        if VRETRACE_LINES[0] <= line < VRETRACE_LINES[1]:
            v |= ST1_VRETRACE
        return v

    def port_write(self, port, value, size):
        self.generation += 1
        if port in (0x3B4, 0x3B5, 0x3BA, 0x3D4, 0x3D5, 0x3DA):
            if port & 0xFFF0 != self._crtc_base():
                return
            port &= 0xF
            if port == 0x4:
                self.crtc_index = value & 0x3F
            elif port == 0x5:
                self._crtc_write(self.crtc_index, value)
            else:
                self.feature = value
            return
        if port == 0x3C0:
            if not self.attr_flip:
                self.attr_index = value & 0x3F
            else:
                i = self.attr_index & 0x1F
                if i < len(self.attr):
                    self.attr[i] = value & 0x3F if i < 16 else value
            self.attr_flip = not self.attr_flip
        elif port == 0x3C2:
            self.misc = value
        elif port == 0x3C3:
            self.vga_enable = value & 1
        elif port == 0x3C4:
            self.seq_index = value & 7
        elif port == 0x3C5:
            if self.seq_index < len(self.seq):
                self.seq[self.seq_index] = value
                self._recompute()
        elif port == 0x3C6:
            self.pel_mask = value
        elif port == 0x3C7:
            self.dac_read = value
            self.dac_comp = 0
            self.dac_state = 3
        elif port == 0x3C8:
            self.dac_write = value
            self.dac_comp = 0
            self.dac_state = 0
        elif port == 0x3C9:
            self.dac[self.dac_write * 3 + self.dac_comp] = \
                value if self.vbe_enable & VBE_8BIT_DAC else value & 0x3F
            self.dac_comp += 1
            if self.dac_comp == 3:
                self.dac_comp = 0
                self.dac_write = (self.dac_write + 1) & 0xFF
        elif port == 0x3CE:
            self.gc_index = value & 0xF
        elif port == 0x3CF:
            if self.gc_index < len(self.gc):
                self.gc[self.gc_index] = value
                self._recompute()

    def _crtc_write(self, index, value):
        if index >= len(self.crtc):
            return
        if self.crtc[0x11] & 0x80 and index <= 7:
            if index != 7:
                return
            # protected: only the line compare bit 8 of the overflow register changes
            value = (self.crtc[7] & ~0x10) | (value & 0x10)
        self.crtc[index] = value

    # -- video memory ----------------------------------------------------------------------
    def mmio_read(self, addr, size):
        if size == 1:
            return self._readb(addr)
        v = 0
        for k in range(size):
            v |= self._readb(addr + k) << (8 * k)
        return v

    def mmio_write(self, addr, value, size):
        self.generation += 1
        if size == 1:
            self._writeb(addr, value)
        else:
            for k in range(size):
                self._writeb(addr + k, (value >> (8 * k)) & 0xFF)

    def _readb(self, addr):
        if self._banked:
            off = addr - WINDOW_BASE
            if off >= VBE_BANK_SIZE:
                return 0xFF
            return self.vram[self.vbe_bank * VBE_BANK_SIZE + off]
        off = addr - self._map_base
        if not 0 <= off < self._map_size:
            return 0xFF
        gc = self.gc
        if self._chain4:
            plane, o = off & 3, off & 0xFFFC
        elif self._odd_even_read:
            plane, o = (gc[4] & 2) | (off & 1), off & 0xFFFE
        else:
            plane, o = gc[4] & 3, off & PLANE_MASK
        i = o * 4
        latch = self.latch = int.from_bytes(self.vram[i:i + 4], "little")
        if gc[5] & 8:
            # read mode 1: 1 where every plane in colour don't care matches colour compare
            diff = (latch ^ EXPAND[gc[2] & 15]) & EXPAND[gc[7] & 15]
            return ~(diff | diff >> 8 | diff >> 16 | diff >> 24) & 0xFF
        return self.vram[i + plane]

    def _writeb(self, addr, v):
        if self._banked:
            off = addr - WINDOW_BASE
            if off < VBE_BANK_SIZE:
                self.vram[self.vbe_bank * VBE_BANK_SIZE + off] = v
            return
        off = addr - self._map_base
        if not 0 <= off < self._map_size:
            return
        mask = self.seq[2] & 15
        if self._chain4:
            plane = off & 3
            mask &= 1 << plane
            o = off & 0xFFFC
            if self._fast_write:
                if mask:
                    self.vram[o * 4 + plane] = v
                return
        elif self._odd_even_write:
            plane = off & 1
            mask &= 5 << plane
            o = off & 0xFFFE
            if self._fast_write:
                if mask & (1 << plane):
                    self.vram[o * 4 + plane] = v
                if mask & (4 << plane):
                    self.vram[o * 4 + plane + 2] = v
                return
        else:
            o = off & PLANE_MASK
        self._write_planes(o, v, mask)

    def _write_planes(self, o, v, mask):
        """Write modes 0-3 (VGA Technical Reference, GC registers 0, 1, 3, 5, 8)."""
        gc = self.gc
        mode = gc[5] & 3
        latch = self.latch
        if mode == 1:
            data = latch
        else:
            bitmask = gc[8]
            if mode == 2:
                data = EXPAND[v & 15]
            else:
                rot = gc[3] & 7
                v = ((v >> rot) | (v << (8 - rot))) & 0xFF
                if mode == 0:
                    esr = EXPAND[gc[1] & 15]
                    data = (v * 0x01010101 & ~esr) | (EXPAND[gc[0] & 15] & esr)
                else:
                    data = EXPAND[gc[0] & 15]
                    bitmask &= v
            func = (gc[3] >> 3) & 3
            if func == 1:
                data &= latch
            elif func == 2:
                data |= latch
            elif func == 3:
                data ^= latch
            bm = bitmask * 0x01010101
            data = (data & bm) | (latch & ~bm & ALL_PLANES)
        m = EXPAND[mask]
        i = o * 4
        old = int.from_bytes(self.vram[i:i + 4], "little")
        self.vram[i:i + 4] = ((old & ~m & ALL_PLANES) | (data & m)).to_bytes(4, "little")

    # -- Bochs VBE ---------------------------------------------------------------------
    def vbe_read(self, port, size):
        if port == VBE_PORT:
            return self.vbe_index
        i = self.vbe_index
        caps = self.vbe_enable & VBE_GETCAPS
        if i == VBE_INDEX_ID:
            return self.vbe_id
        if i == VBE_INDEX_XRES:
            return VBE_MAX_XRES if caps else self.vbe_xres
        if i == VBE_INDEX_YRES:
            return VBE_MAX_YRES if caps else self.vbe_yres
        if i == VBE_INDEX_BPP:
            return VBE_MAX_BPP if caps else self.vbe_bpp
        if i == VBE_INDEX_ENABLE:
            return self.vbe_enable
        if i == VBE_INDEX_BANK:
            return self.vbe_bank
        if i == VBE_INDEX_VIRT_WIDTH:
            return self.vbe_virt_width
        if i == VBE_INDEX_VIRT_HEIGHT:
            return self.vbe_virt_height
        if i == VBE_INDEX_X_OFFSET:
            return self.vbe_x_offset
        if i == VBE_INDEX_Y_OFFSET:
            return self.vbe_y_offset
        if i == VBE_INDEX_VIDEO_MEMORY_64K:
            return VRAM_SIZE // VBE_BANK_SIZE
        return 0

    def vbe_write(self, port, value, size):
        if port == VBE_PORT:
            self.vbe_index = value
            return
        self.generation += 1
        i = self.vbe_index
        enabled = self.vbe_enable & VBE_ENABLED
        if i == VBE_INDEX_ID:
            if VBE_ID0 <= value <= VBE_ID5:
                self.vbe_id = value
        elif i == VBE_INDEX_XRES:
            if not enabled and value <= VBE_MAX_XRES and not value & 7:
                self.vbe_xres = value
        elif i == VBE_INDEX_YRES:
            if not enabled and value <= VBE_MAX_YRES:
                self.vbe_yres = value
        elif i == VBE_INDEX_BPP:
            value = value or 8
            if not enabled and value in VBE_BPPS:
                self.vbe_bpp = value
        elif i == VBE_INDEX_ENABLE:
            self._vbe_set_enable(value)
        elif i == VBE_INDEX_BANK:
            if value * VBE_BANK_SIZE < VRAM_SIZE:
                self.vbe_bank = value
        elif i == VBE_INDEX_VIRT_WIDTH:
            if value >= self.vbe_xres:
                self.vbe_virt_width = value
                self.vbe_virt_height = min(0xFFFF, VRAM_SIZE // self.vbe_pitch())
        elif i == VBE_INDEX_X_OFFSET:
            self.vbe_x_offset = value
        elif i == VBE_INDEX_Y_OFFSET:
            self.vbe_y_offset = value
        self._recompute()

    def _vbe_set_enable(self, value):
        was = self.vbe_enable
        if value & VBE_ENABLED and not was & VBE_ENABLED:
            self.vbe_virt_width = self.vbe_xres
            self.vbe_virt_height = min(0xFFFF, VRAM_SIZE // max(1, self.vbe_pitch()))
            self.vbe_x_offset = self.vbe_y_offset = 0
            self.vbe_bank = 0
            if not value & VBE_NOCLEARMEM:
                end = min(VRAM_SIZE, self.vbe_pitch() * self.vbe_yres)
                self.vram[:end] = bytes(end)
        elif not value & VBE_ENABLED:
            self.vbe_bank = 0
        if (value ^ was) & VBE_8BIT_DAC:
            # Bochs keeps the colours: entries move between 6- and 8-bit scales
            if value & VBE_8BIT_DAC:
                self.dac[:] = bytes(c << 2 for c in self.dac)
            else:
                self.dac[:] = bytes(c >> 2 for c in self.dac)
        self.vbe_enable = value & (VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC |
                                   VBE_LFB_ENABLED | VBE_NOCLEARMEM)

    def vbe_pitch(self):
        """Bytes per scan line of the VBE framebuffer (per plane in 4 bpp)."""
        if self.vbe_bpp == 4:
            return self.vbe_virt_width // 8
        return self.vbe_virt_width * ((self.vbe_bpp + 7) // 8)

    @property
    def vbe_active(self):
        return bool(self.vbe_enable & VBE_ENABLED)

    # -- helpers for firmware, tests and demos -------------------------------------------
    def program(self, misc, seq, crtc, gc, attr):
        """Load a whole register set the way a BIOS mode set does (screen left on)."""
        self.misc = misc
        self.seq[:] = bytes(seq)
        self.crtc[:] = bytes(crtc)
        self.gc[:] = bytes(gc)
        self.attr[:] = bytes(attr)
        self.attr_index = ATTR_PAS
        self.attr_flip = False
        self.pel_mask = 0xFF
        self._vbe_set_enable(0)
        self._recompute()
        self.generation += 1

    def set_mode(self, mode):
        """Program standard mode 0x03, 0x04, 0x12 or 0x13 (registers only; the DAC
        and video memory are left as they are)."""
        self.program(*MODE_TABLES[mode])

    def load_dac(self, first, triplets):
        """Set DAC entries from `first` on from bytes of (r, g, b) 6-bit components."""
        self.dac[first * 3:first * 3 + len(triplets)] = triplets
        self.generation += 1

    def set_text_mode_3(self):
        """What a VGA BIOS leaves after INT 10h AX=0003h: 80x25 colour text with 9-dot
        cells, the 8x16 font in plane 2 (map 0), the EGA palette in the DAC and a
        cleared screen of light grey spaces."""
        self.set_mode(0x03)
        self.load_dac(0, ega_palette())
        font = load_font()
        glyphs = bytearray(8 * KIB)                     # 256 glyphs x 32 rows
        for c in range(256):
            glyphs[c * 32:c * 32 + 16] = font[c * 16:c * 16 + 16]
        self.vram[2:len(glyphs) * 4:4] = glyphs
        cells = 0x4000                                   # the 32 KiB window at B8000
        self.vram[0:cells * 8:8] = b" " * cells
        self.vram[1:cells * 8:8] = b"\x07" * cells

    # -- display ---------------------------------------------------------------------
    def _frame(self):
        return self.clock.now() // FRAME_NS

    def _blanked(self):
        return not self.attr_index & ATTR_PAS or self.seq[1] & 0x20

    def _dac_rgb(self):
        """The 256 DAC entries as 0x00RRGGBB."""
        d = self.dac
        if self.vbe_enable & VBE_8BIT_DAC:
            return [d[3 * i] << 16 | d[3 * i + 1] << 8 | d[3 * i + 2] for i in range(256)]
        scale = [(c & 63) << 2 | (c & 63) >> 4 for c in range(256)]
        return [scale[d[3 * i]] << 16 | scale[d[3 * i + 1]] << 8 | scale[d[3 * i + 2]]
                for i in range(256)]

    def _palette256(self):
        rgb = self._dac_rgb()
        m = self.pel_mask
        return memoryview(_uint32_array([rgb[i & m] for i in range(256)]))

    def _palette16(self):
        """Colour of each 4-bit pixel value through the attribute palette (with colour
        select and P5/P4 select, attribute registers 0x10 and 0x14) and the DAC."""
        rgb = self._dac_rgb()
        a = self.attr
        sel = a[0x14]
        out = []
        for i in range(16):
            v = a[i] & 0x3F
            if a[0x10] & 0x80:
                v = (v & 0x0F) | (sel & 3) << 4
            v |= (sel & 0x0C) << 4
            out.append(rgb[v & self.pel_mask])
        return memoryview(_uint32_array(out))

    def _crtc_geometry(self):
        c = self.crtc
        return dict(
            hde=c[1] + 1,
            vde=(c[0x12] | (c[7] & 2) << 7 | (c[7] & 0x40) << 3) + 1,
            msl1=(c[9] & 0x1F) + 1,
            dbl=c[9] >> 7,
            stride=c[0x13] * 2,
            start=c[0x0C] << 8 | c[0x0D],
            shift=2 if c[0x14] & 0x40 else (0 if c[0x17] & 0x40 else 1),
            wrap15=1 if c[0x17] & 0x20 else 0,
            cms=c[0x17] & 3,
            line_compare=c[0x18] | (c[7] & 0x10) << 4 | (c[9] & 0x40) << 3,
        )

    def _text_geometry(self):
        g = self._crtc_geometry()
        cw = 8 if self.seq[1] & 1 else 9
        hd = 2 if self.seq[1] & 8 else 1
        rows = g["vde"] // (g["msl1"] << g["dbl"])
        return g, cw, hd, g["hde"], rows

    def _graphics_kind(self):
        return 2 if self.gc[5] & 0x40 else (1 if self.gc[5] & 0x20 else 0)

    def _graphics_geometry(self):
        g = self._crtc_geometry()
        kind = self._graphics_kind()
        width = g["hde"] * (4 if kind == 2 else 8)
        banks = (0 if g["cms"] & 1 else 1) + (0 if g["cms"] & 2 else 1)
        rep = max(1, g["msl1"] >> banks)
        height = (g["vde"] >> g["dbl"]) // rep
        return g, kind, width, height, rep

    def mode_info(self):
        """What the adapter displays now (ModeInfo)."""
        if self.vbe_active:
            return ModeInfo("graphics", self.vbe_xres, self.vbe_yres, self.vbe_bpp)
        if not self.gc[6] & 1:
            g, cw, hd, cols, rows = self._text_geometry()
            return ModeInfo("text", cols * cw * hd, rows * g["msl1"], 4, cols, rows)
        g, kind, width, height, rep = self._graphics_geometry()
        return ModeInfo("graphics", width, height, (4, 2, 8)[kind])

    def render(self):
        """The current picture: (width, height, bytearray of XRGB32 pixels, rows top to
        bottom, each pixel the bytes B, G, R, 0)."""
        info = self.mode_info()
        w, h = info.width, info.height
        out = bytearray(w * h * 4)
        if w * h == 0:
            return w, h, out
        if self.vbe_active:
            self._render_vbe(out, w, h)
        elif self._blanked():
            pass
        elif info.kind == "text":
            self._render_text(out, info)
        else:
            self._render_graphics(out, w, h)
        return w, h, out

    def _render_text(self, out, info):
        g, cw, hd, cols, rows = self._text_geometry()
        s3 = self.seq[3]
        map_a = ((s3 >> 3) & 4) | ((s3 >> 2) & 3)
        map_b = ((s3 >> 2) & 4) | (s3 & 3)
        font_a = (map_a & 3) << 14 | (map_a >> 2) << 13
        font_b = (map_b & 3) << 14 | (map_b >> 2) << 13
        mode = self.attr[0x10]
        frame = self._frame()
        c = self.crtc
        cursor = -1
        if not c[0x0A] & 0x20 and not frame & 8:
            cursor = c[0x0E] << 8 | c[0x0F]
        underline = c[0x14] & 0x1F if mode & 2 else -1
        vga_render.render_text(
            memoryview(self.vram), memoryview(out), cols, rows, cw, g["msl1"],
            hd == 2, g["start"], g["stride"], g["shift"], g["wrap15"], font_a, font_b,
            self._palette16(), 1 if mode & 8 else 0, 0 if frame & 16 else 1,
            1 if mode & 4 else 0, cursor, c[0x0A] & 0x1F, c[0x0B] & 0x1F, underline)

    def _render_graphics(self, out, w, h):
        g, kind, width, height, rep = self._graphics_geometry()
        lc = g["line_compare"]
        split = h
        if lc < g["vde"]:
            split = min(h, ((lc >> g["dbl"]) // rep) + 1)
        pan = self.attr[0x13] & 0xF
        pan = (pan & 7) >> 1 if kind == 2 else (pan if pan < 8 else 0)
        split_pan = 0 if self.attr[0x10] & 0x20 else pan
        pal = self._palette256() if kind == 2 else self._palette16()
        vga_render.render_graphics(
            memoryview(self.vram), memoryview(out), w, h, kind, g["start"], g["stride"],
            g["shift"], g["wrap15"], rep, g["msl1"], g["cms"], split, pan, split_pan,
            self.attr[0x12] & 0xF, pal)

    def _render_vbe(self, out, w, h):
        bpp = self.vbe_bpp
        if bpp == 4:
            pitch = self.vbe_pitch()
            start = self.vbe_y_offset * pitch + self.vbe_x_offset // 8
            vga_render.render_graphics(
                memoryview(self.vram), memoryview(out), w, h, 0, start, pitch, 0, 0,
                1, 1, 3, h, self.vbe_x_offset & 7, 0, 0xF, self._palette16())
            return
        pitch = self.vbe_pitch()
        start = self.vbe_y_offset * pitch + self.vbe_x_offset * ((bpp + 7) // 8)
        vga_render.render_linear(memoryview(self.vram), memoryview(out), w, h, bpp,
                                 start, pitch, self._palette256())

    def update_token(self):
        """A value that changes whenever the picture may have changed: register and
        video memory writes through the ports and the window, the blink phases in text
        modes, and the visible part of a VBE framebuffer (which the guest writes
        directly through the LFB). A display loop renders only when it differs."""
        if self.vbe_active:
            pitch = self.vbe_pitch()
            start = self.vbe_y_offset * pitch
            view = memoryview(self.vram)[start:start + pitch * self.vbe_yres]
            return (self.generation, zlib.crc32(view))
        if not self.gc[6] & 1:
            return (self.generation, self._frame() >> 3)
        return (self.generation,)

    def text_snapshot(self):
        """(cols, rows, [(char, attr), ...] row by row) of a text mode, else None."""
        if self.vbe_active or self.gc[6] & 1:
            return None
        g, cw, hd, cols, rows = self._text_geometry()
        cells = []
        vram = self.vram
        for r in range(rows):
            for col in range(cols):
                a = _crtc_addr(g["start"] + r * g["stride"] + col, g["shift"], g["wrap15"])
                cells.append((vram[a * 4], vram[a * 4 + 1]))
        return cols, rows, cells


class VgaPci(PciDevice):
    """The adapter's PCI function: 1234:1111, class 0x030000 (VGA-compatible display).
    BAR0 is the linear framebuffer: all of VRAM, prefetchable memory, mapped as the
    VRAM bytearray itself so guest stores land in it with no device call. The legacy
    ports and the 0xA0000 window are decoded whatever COMMAND says, as a PC's
    primary VGA does. set_rom(data) (inherited) adds a VGA BIOS as expansion ROM."""

    def __init__(self, vga):
        super().__init__("vga", PCI_VENDOR, PCI_DEVICE, PCI_CLASS, revision=PCI_REVISION,
                         subsys=PCI_SUBSYS)
        self.vga = vga
        self.add_mem_bar(0, VRAM_SIZE, buffer=vga.vram, prefetch=True)

    def lfb_address(self):
        """Where the guest placed the framebuffer (BAR0), 0 before firmware did."""
        return self.bar_address(0)


def _crtc_addr(c, shift, wrap15):
    """Python twin of vga_render.crtc_addr, for text snapshots."""
    c &= 0xFFFF
    if shift == 1:
        return ((c << 1) | ((c >> 15) if wrap15 else (c >> 13) & 1)) & PLANE_MASK
    if shift == 2:
        return ((c << 2) | (c >> 14)) & PLANE_MASK
    return c


def _uint32_array(values):
    return array("I", values)
