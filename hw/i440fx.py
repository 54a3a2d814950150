"""The i440FX host bridge: the Intel 82441FX PCI and memory controller (PMC), PCI
function 00:00.0, 8086:1237 revision 02, class 0x060000 (host bridge).

Follows the 82441FX data sheet (Intel order no. 290549), as far as an emulated board
needs it:

- PAM0-PAM6 (config 0x59-0x5F), the programmable attribute map of the BIOS and
  option-ROM area 0xC0000-0xFFFFF. PAM0's high nibble controls the 64 KiB F segment;
  each nibble of PAM1-PAM6 (low nibble first) one 16 KiB granule of 0xC0000-0xEFFFF.
  In a nibble, bit 0 RE sends reads to DRAM and bit 1 WE sends writes to DRAM;
  what DRAM does not take goes to PCI (bit 2, cache enable, is reserved on the
  82441FX: P6 caching is the MTRRs' business). So per granule:
      RE WE = 0 0   reads and writes go to PCI           (power-on state)
              1 0   reads from DRAM, writes to PCI       (write-protected shadow)
              0 1   reads from PCI, writes to DRAM       (copying ROM into shadow RAM)
              1 1   DRAM
  "PCI" below 1 MiB is what the PIIX decodes there: the BIOS flash, whose last
  128 KiB (all of a smaller image) show at 0xE0000-0xFFFFF, ending at 1 MiB, as in
  QEMU's pc machine, and ISA option ROMs placed with add_isa_rom (read-only);
  nothing else (reads float high, writes are dropped). A BIOS finds an ISA ROM only
  while its granule still reads PCI, or after shadowing it (WE copy, then RE). The
  top-of-4-GiB flash window never changes: firmware copies itself from there into
  shadow RAM (SeaBIOS sets PAM to 0x30/0x33, copies from 0xFFFE0000 up, then
  write-protects with 0x10/0x11).
  The granules are remapped in emu.memory.Memory: DRAM = map_ram, write-protected
  DRAM = map_ram(readonly=True) (PCI-side writes hit ROM or nothing, so dropping
  them is exact), the PCI side = the flash bytes mapped read-only or unmapped; the
  "write DRAM, read PCI" granules are MMIO pages of a small shim that reads the
  flash bytes and stores into guest RAM (slow, but only used while copying).
- SMRAM control (0x72), power-on 0x02: C_BASE_SEG (bits 2:0) reads 010, so the
  compatible SMRAM is the DRAM under 0xA0000-0xBFFFF; G_SMRAME, D_LCK, D_CLS and
  D_OPEN with the lock rule (D_LCK set clears D_OPEN and makes the register
  read-only except D_CLS until reset). The window shows DRAM (SMRAM) while D_OPEN
  is set, or while the CPU is in SMM (its SMIACT#: smm(level), wired to
  cpu.on_smm) with G_SMRAME set; otherwise it goes to PCI, which is the VGA's
  legacy window (`vga_window(mem)` maps it back). The remap happens on every
  change of those inputs (QEMU's i440FX decodes the same way). Approximated:
  D_CLS, which sends SMM data accesses (not code fetches) to PCI, is not modelled;
  in SMM both go to SMRAM (SeaBIOS, like most SMM code, never sets it).
- The other device-specific registers (0x40-0xFF: DRAM row boundaries 0x60-0x67,
  DRAM control and timing, error command/status, ...) are stored as written and do
  nothing; firmware learns the memory size from the CMOS (hw/rtc.py fill_config),
  not from this chip.
"""
from hw.pci import PciDevice

VENDOR_INTEL = 0x8086
DEVICE_82441FX = 0x1237
REVISION = 0x02
CLASS_HOST_BRIDGE = 0x060000

PAM0 = 0x59
NPAM = 7
PAM_RE, PAM_WE = 0x1, 0x2
DRB0 = 0x60                          # DRAM row boundary registers 0x60-0x67 (stored)
SMRAM = 0x72
SMRAM_C_BASE_SEG = 0x02              # 010: SMRAM at 0xA0000 (read-only field)
SMRAM_G_SMRAME, SMRAM_D_LCK, SMRAM_D_CLS, SMRAM_D_OPEN = 0x08, 0x10, 0x20, 0x40
SMRAM_BASE, SMRAM_SIZE = 0xA0000, 0x20000      # C_BASE_SEG 010

ISA_BIOS_TOP = 0x100000              # the flash's low window ends at 1 MiB ...
ISA_BIOS_MAX = 128 * 1024            # ... and is at most 0xE0000-0xFFFFF
SHADOW_BASE = 0xC0000
PAGE = 0x1000


def _granules():
    """(address, size, PAM register, nibble shift) of every shadow granule."""
    out = [(0xF0000, 0x10000, PAM0, 4)]
    for k in range(12):
        out.append((SHADOW_BASE + 0x4000 * k, 0x4000, PAM0 + 1 + k // 2, 4 * (k % 2)))
    return out


GRANULES = _granules()


class _ShadowWrite:
    """MMIO behind granules in "write DRAM, read PCI" mode: reads see the PCI side
    (the ROMs there or nothing), writes land in guest RAM."""

    def __init__(self, ram, roms):
        self.ram = ram
        self.roms = roms                 # [(address, bytearray)] on the PCI side

    def _byte(self, addr):
        for base, data in self.roms:
            if base <= addr < base + len(data):
                return data[addr - base]
        return 0xFF

    def mmio_read(self, addr, size):
        value = 0
        for k in range(size):
            value |= self._byte(addr + k) << (8 * k)
        return value

    def mmio_write(self, addr, value, size):
        self.ram[addr:addr + size] = value.to_bytes(size, "little")


class I440fx(PciDevice):
    """The host bridge. mem: the emu.memory.Memory whose 0xA0000-0xFFFFF it maps;
    rom: the whole firmware image (its tail is the PCI side below 1 MiB);
    vga_window: callable(mem) mapping the PCI side of 0xA0000-0xBFFFF (the VGA's
    legacy window), None when nothing is there."""

    def __init__(self, mem, rom, vga_window=None):
        super().__init__("i440FX host bridge", VENDOR_INTEL, DEVICE_82441FX,
                         CLASS_HOST_BRIDGE, revision=REVISION)
        self.mem = mem
        low = min(len(rom), ISA_BIOS_MAX)
        self.pci_roms = [(ISA_BIOS_TOP - low, bytearray(rom[len(rom) - low:]))]
        self._shadow_write = _ShadowWrite(memoryview(mem.ram_view()), self.pci_roms)
        self.set_writable(0x40, (1 << (8 * 0xC0)) - 1, 0xC0)
        self.set_writable(PAM0, 0x70, 1)             # PAM0 low nibble is reserved
        for reg in range(PAM0 + 1, PAM0 + NPAM):
            self.set_writable(reg, 0x77, 1)          # bits 7 and 3 are reserved
        self.set_writable(SMRAM, SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_D_CLS
                          | SMRAM_D_OPEN, 1)
        self._put(0x04, 0x0006, 2)                   # memory space, bus master
        self._put(0x06, 0x0280, 2)                   # fast back-to-back, medium DEVSEL
        self._put(SMRAM, SMRAM_C_BASE_SEG, 1)
        for k in range(8):
            self._put(DRB0 + k, 0x01, 1)
        self.set_power_on()
        self._modes = [None] * len(GRANULES)
        self._apply_pam()
        self.vga_window = vga_window
        self.in_smm = False
        self._smram_shown = None
        self._apply_smram()

    # -- config space --------------------------------------------------------------------
    def config_write(self, off, value, size):
        smram = self.get(SMRAM, 1)
        super().config_write(off, value, size)
        if off <= SMRAM < off + size:
            new = self.get(SMRAM, 1)
            if smram & SMRAM_D_LCK:
                new = (smram & ~SMRAM_D_CLS) | (new & SMRAM_D_CLS)
            elif new & SMRAM_D_LCK:
                new &= ~SMRAM_D_OPEN
            self._put(SMRAM, new, 1)
            self._apply_smram()

    def config_written(self, off, size):
        if off < PAM0 + NPAM and PAM0 < off + size:
            self._apply_pam()

    def reset(self):
        super().reset()
        self._apply_pam()
        self.in_smm = False
        self._apply_smram()

    # -- SMRAM -----------------------------------------------------------------------------
    def smm(self, level):
        """The CPU's SMIACT#: it entered (True) or left (False) SMM."""
        self.in_smm = bool(level)
        self._apply_smram()

    def smram_shown(self):
        """True while 0xA0000-0xBFFFF decodes to DRAM (SMRAM) rather than PCI."""
        smram = self.get(SMRAM, 1)
        return bool(smram & SMRAM_D_OPEN
                    or self.in_smm and smram & SMRAM_G_SMRAME)

    def _apply_smram(self):
        shown = self.smram_shown()
        if shown == self._smram_shown:
            return
        self._smram_shown = shown
        if shown:
            self.mem.map_ram(SMRAM_BASE, SMRAM_SIZE)
        elif self.vga_window is not None:
            self.vga_window(self.mem)
        else:
            self.mem.unmap(SMRAM_BASE, SMRAM_SIZE)

    def add_isa_rom(self, addr, data):
        """An ISA-bus ROM (whole pages at a page address in 0xC0000-0xDFFFF) on the
        PCI side of the shadow area."""
        end = addr + len(data)
        if addr & (PAGE - 1) or len(data) & (PAGE - 1) or not data:
            raise ValueError("ISA ROM at %#x: not whole pages" % addr)
        if addr < SHADOW_BASE or end > self.pci_roms[0][0] or end > 0xE0000:
            raise ValueError("ISA ROM at %#x+%#x: outside 0xC0000-0xDFFFF or over "
                             "the BIOS" % (addr, len(data)))
        if any(addr < b + len(d) and b < end for b, d in self.pci_roms):
            raise ValueError("ISA ROM at %#x overlaps another ROM" % addr)
        self.pci_roms.append((addr, bytearray(data)))
        self._modes = [None] * len(GRANULES)       # remap with the new PCI side
        self._apply_pam()

    # -- the shadow map ------------------------------------------------------------------
    def pam_mode(self, addr):
        """RE|WE bits of the granule holding addr (0xC0000-0xFFFFF)."""
        for base, size, reg, shift in GRANULES:
            if base <= addr < base + size:
                return (self.get(reg, 1) >> shift) & (PAM_RE | PAM_WE)
        raise ValueError("%#x is outside the PAM area" % addr)

    def _apply_pam(self):
        for k, (base, size, reg, shift) in enumerate(GRANULES):
            mode = (self.get(reg, 1) >> shift) & (PAM_RE | PAM_WE)
            if mode != self._modes[k]:
                self._modes[k] = mode
                self._map(base, size, mode)

    def _map(self, base, size, mode):
        mem = self.mem
        if mode == PAM_RE | PAM_WE:
            mem.map_ram(base, size)
        elif mode == PAM_RE:
            mem.map_ram(base, size, readonly=True)
        elif mode == PAM_WE:
            mem.map_mmio(base, size, self._shadow_write)
        else:
            self._map_pci_side(base, size)

    def _map_pci_side(self, base, size):
        """The ROM pages the PCI side has in the granule, nothing elsewhere."""
        for page in range(base, base + size, PAGE):
            for rom_base, data in self.pci_roms:
                if rom_base <= page < rom_base + len(data):
                    self.mem.map_buffer(page, data, offset=page - rom_base, size=PAGE,
                                        readonly=True)
                    break
            else:
                self.mem.unmap(page, PAGE)
