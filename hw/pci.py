"""The PCI bus: configuration mechanism #1, function config spaces, BAR decoding and
INTx wires.

Configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): a 32-bit
write to CONFIG_ADDRESS (0xCF8) selects bus/device/function/register with bit 31 as
the enable; CONFIG_DATA (0xCFC-0xCFF) then reads or writes that function's config
space at any width. Only 32-bit accesses reach CONFIG_ADDRESS, so byte port 0xCF9
stays free for the PIIX reset control register. Bus 0 is the only bus; an absent
function reads as all ones (vendor 0xFFFF), which is how enumeration finds the end.

A PciDevice is one function's 256-byte type-0 header plus the handlers behind its
BARs. The bus decodes a BAR only while the COMMAND register enables its space (bit 0
I/O, bit 1 memory) and the BAR holds an address: sizing writes all ones to a BAR,
and firmware does that with decoding off. A memory BAR never covers guest RAM or the
firmware ROM (the chipset decodes those first on a real board), so such a window is
simply not mapped; an I/O BAR that would collide with a fixed ISA device is not
mapped either, with a notice, instead of stealing its ports.

Interrupts: a function's INTx# pin (config 0x3D, 1 = INTA#) in slot S reaches the
chipset's PIRQ[(S + pin - 1) mod 4] (the usual swizzle of i440FX boards). PIRQ wires
are shared and level-triggered: a PIRQ is high while any device drives it. The
chipset (the PIIX's PIRQ route control) decides where each PIRQ goes.
"""
from emu.portbus import PortConflict

CONFIG_ADDRESS = 0xCF8
CONFIG_DATA = 0xCFC

# header registers
VENDOR_ID, DEVICE_ID, COMMAND, STATUS = 0x00, 0x02, 0x04, 0x06
REVISION, CLASS_CODE, CACHE_LINE, LATENCY, HEADER_TYPE = 0x08, 0x09, 0x0C, 0x0D, 0x0E
BAR0, SUBSYS_VENDOR, SUBSYS_ID, ROM_BAR = 0x10, 0x2C, 0x2E, 0x30
INTERRUPT_LINE, INTERRUPT_PIN = 0x3C, 0x3D

CMD_IO, CMD_MEMORY, CMD_MASTER, CMD_INTX_DISABLE = 0x1, 0x2, 0x4, 0x400
STATUS_INTERRUPT = 0x08
BAR_IO, BAR_MEM_PREFETCH = 0x1, 0x8
ROM_ENABLE = 0x1
PAGE = 0x1000
NPIRQ = 4


class Bar:
    """What one base address register decodes: I/O ports or memory."""
    __slots__ = ("index", "size", "io", "read", "write", "widths", "dev", "buffer",
                 "prefetch", "mapped")

    def __init__(self, index, size, io, read=None, write=None, widths=(1, 2, 4),
                 dev=None, buffer=None, prefetch=False):
        if size & (size - 1) or size < (4 if io else PAGE):
            raise ValueError("BAR%d: size %#x must be a power of two, at least %d"
                             % (index, size, 4 if io else PAGE))
        self.index, self.size, self.io = index, size, io
        self.read, self.write, self.widths = read, write, widths
        self.dev, self.buffer, self.prefetch = dev, buffer, prefetch
        self.mapped = None              # address the bus decodes it at now, or None

    @property
    def reg(self):
        return BAR0 + 4 * self.index

    def type_bits(self):
        return BAR_IO if self.io else (BAR_MEM_PREFETCH if self.prefetch else 0)


class PciDevice:
    """One PCI function. Subclasses add registers by overriding config_read for
    computed values and config_written to act on writes; the writable bits of the
    plain registers are in `wmask`."""

    def __init__(self, name, vendor, device, class_code, revision=0, header_type=0,
                 subsys=None, irq_pin=0):
        self.name = name
        self.config = bytearray(256)
        self.wmask = bytearray(256)
        self.bars = {}
        self.rom = None                  # expansion ROM bytes (padded to its BAR size)
        self.rom_mapped = None
        self.bus = None
        self.slot = self.func = None
        self.irq = None
        self._intx = False
        self._put(VENDOR_ID, vendor, 2)
        self._put(DEVICE_ID, device, 2)
        self._put(REVISION, revision, 1)
        self._put(CLASS_CODE, class_code, 3)
        self._put(HEADER_TYPE, header_type, 1)
        if subsys is not None:
            self._put(SUBSYS_VENDOR, subsys[0], 2)
            self._put(SUBSYS_ID, subsys[1], 2)
        self._put(INTERRUPT_PIN, irq_pin, 1)
        self.set_writable(COMMAND, CMD_IO | CMD_MEMORY | CMD_MASTER | 0x40 | 0x100
                          | CMD_INTX_DISABLE, 2)
        self.set_writable(CACHE_LINE, 0xFF, 1)
        self.set_writable(LATENCY, 0xFF, 1)
        self.set_writable(INTERRUPT_LINE, 0xFF, 1)
        self._power_on = bytes(self.config)

    # -- building the function ------------------------------------------------------
    def _put(self, off, value, size):
        self.config[off:off + size] = value.to_bytes(size, "little")

    def get(self, off, size):
        return int.from_bytes(self.config[off:off + size], "little")

    def set_writable(self, off, mask, size):
        self.wmask[off:off + size] = mask.to_bytes(size, "little")

    def set_power_on(self):
        """Take the current config space as the one RESET restores (call once the
        subclass has set its own registers)."""
        self._power_on = bytes(self.config)

    def add_io_bar(self, index, size, read, write, widths=(1, 2, 4)):
        self._add_bar(Bar(index, size, True, read=read, write=write, widths=widths))

    def add_mem_bar(self, index, size, dev=None, buffer=None, prefetch=False):
        if (dev is None) == (buffer is None):
            raise ValueError("a memory BAR has either an MMIO device or a buffer")
        if buffer is not None and len(buffer) < size:
            raise ValueError("BAR%d: buffer smaller than the BAR" % index)
        self._add_bar(Bar(index, size, False, dev=dev, buffer=buffer, prefetch=prefetch))

    def _add_bar(self, bar):
        self.bars[bar.index] = bar
        self._put(bar.reg, bar.type_bits(), 4)
        self._power_on = bytes(self.config)

    def set_rom(self, data):
        """An expansion ROM (e.g. a VGA BIOS) behind the ROM BAR at 0x30."""
        size = PAGE
        while size < len(data):
            size <<= 1
        self.rom = bytes(data) + b"\xff" * (size - len(data))

    # -- the config space as the bus sees it -----------------------------------------
    def config_read(self, off, size):
        return self.get(off, size)

    def config_write(self, off, value, size):
        bar_regs = set()
        for k in range(size):
            o = off + k
            byte = (value >> (8 * k)) & 0xFF
            if BAR0 <= o < BAR0 + 24 or ROM_BAR <= o < ROM_BAR + 4:
                bar_regs.add(o & ~3)
                self.config[o] = byte
                continue
            if o == STATUS + 1 or o == STATUS:
                # status bits 8-15 are write-one-to-clear error bits
                if o == STATUS + 1:
                    self.config[o] &= ~byte & 0xFF
                continue
            m = self.wmask[o]
            self.config[o] = (self.config[o] & ~m) | (byte & m)
        for reg in bar_regs:
            self._fix_bar(reg)
        if bar_regs or off <= COMMAND < off + size or off <= COMMAND + 1 < off + size:
            if self.bus is not None:
                self.bus.decode(self)
            self._drive_intx()
        self.config_written(off, size)

    def _fix_bar(self, reg):
        """A BAR keeps only its address bits above the size (that is what sizing reads
        back) plus its read-only type bits."""
        value = self.get(reg, 4)
        if reg == ROM_BAR:
            if self.rom is None:
                self._put(reg, 0, 4)
            else:
                self._put(reg, (value & ~(len(self.rom) - 1) & 0xFFFFF800) | (value & ROM_ENABLE), 4)
            return
        bar = self.bars.get((reg - BAR0) // 4)
        if bar is None:
            self._put(reg, 0, 4)
        else:
            self._put(reg, (value & ~(bar.size - 1) & 0xFFFFFFF0) | bar.type_bits(), 4)

    def config_written(self, off, size):
        """Hook for subclasses: config bytes off..off+size-1 were written."""

    def bar_address(self, index):
        bar = self.bars[index]
        return self.get(bar.reg, 4) & (0xFFFFFFFC if bar.io else 0xFFFFFFF0)

    # -- INTx --------------------------------------------------------------------------
    def set_intx(self, level):
        """The function's interrupt output (what dev.irq.set drives)."""
        self._intx = bool(level)
        self._drive_intx()

    def _drive_intx(self):
        level = self._intx and not self.get(COMMAND, 2) & CMD_INTX_DISABLE
        status = self.get(STATUS, 2)
        self._put(STATUS, (status | STATUS_INTERRUPT) if self._intx
                  else (status & ~STATUS_INTERRUPT), 2)
        if self.bus is not None:
            self.bus.intx(self, level)

    def reset(self):
        self.config[:] = self._power_on
        self._intx = False
        if self.bus is not None:
            self.bus.decode(self)
            self.bus.intx(self, False)


class IntxWire:
    """dev.irq: what a PCI function's logic drives; same face as hw.irq.IrqLine."""
    __slots__ = ("dev",)

    def __init__(self, dev):
        self.dev = dev

    def set(self, level):
        self.dev.set_intx(level)

    def raise_(self):
        self.dev.set_intx(True)

    def lower(self):
        self.dev.set_intx(False)

    @property
    def level(self):
        return self.dev._intx


class PciBus:
    """Bus 0 behind configuration mechanism #1.

    ports: the emu.portbus.PortBus (for I/O BARs); mem: the emu.memory.Memory (for
    memory BARs); protected: (start, end) physical ranges no memory BAR may cover
    (RAM, firmware); log: callable for one-line notices."""

    def __init__(self, ports, mem, protected=(), log=None):
        self.ports = ports
        self.mem = mem
        self.protected = list(protected)
        self.log = log or (lambda msg: None)
        self.functions = {}              # (slot, func) -> PciDevice
        self.address = 0
        self.pirq_router = None          # callable(pirq, level)
        self._pirq_count = [0] * NPIRQ
        self._intx_high = set()

    def add(self, dev, slot, func=0):
        if (slot, func) in self.functions:
            raise ValueError("PCI %02x.%d is taken by %s" % (slot, func,
                                                             self.functions[slot, func].name))
        dev.bus, dev.slot, dev.func = self, slot, func
        dev.irq = IntxWire(dev)
        self.functions[slot, func] = dev
        return dev

    def attach(self, bus):
        bus.claim("pci-config-address", CONFIG_ADDRESS, 1, self._read_address,
                  self._write_address, widths=(4,))
        bus.claim("pci-config-data", CONFIG_DATA, 4, self._read_data, self._write_data,
                  widths=(1, 2, 4))

    def reset(self):
        self.address = 0
        for dev in self.functions.values():
            dev.reset()

    # -- configuration mechanism #1 ----------------------------------------------------
    def _read_address(self, port, size):
        return self.address

    def _write_address(self, port, value, size):
        self.address = value & 0x80FFFFFC

    def _target(self, port):
        a = self.address
        if not a & 0x80000000 or (a >> 16) & 0xFF:
            return None, 0
        dev = self.functions.get(((a >> 11) & 0x1F, (a >> 8) & 7))
        return dev, (a & 0xFC) | (port & 3)

    def _read_data(self, port, size):
        dev, off = self._target(port)
        if dev is None:
            return (1 << (8 * size)) - 1
        return dev.config_read(off, size)

    def _write_data(self, port, value, size):
        dev, off = self._target(port)
        if dev is not None:
            dev.config_write(off, value, size)

    def config_read(self, slot, func, off, size):
        """Firmware-side access for tests and loaders."""
        dev = self.functions.get((slot, func))
        return (1 << (8 * size)) - 1 if dev is None else dev.config_read(off, size)

    def config_write(self, slot, func, off, value, size):
        dev = self.functions.get((slot, func))
        if dev is not None:
            dev.config_write(off, value, size)

    # -- BAR decoding --------------------------------------------------------------------
    def decode(self, dev):
        """Map or unmap every BAR of dev after its COMMAND or a BAR changed."""
        command = dev.get(COMMAND, 2)
        for bar in dev.bars.values():
            enabled = command & (CMD_IO if bar.io else CMD_MEMORY)
            want = dev.bar_address(bar.index) if enabled else None
            if want == 0 or (want is not None and not self._fits(bar, want)):
                want = None
            if want != bar.mapped:
                self._unmap(dev, bar)
                if want is not None:
                    self._map(dev, bar, want)
        self._decode_rom(dev, command)

    def _fits(self, bar, addr):
        end = addr + bar.size
        if bar.io:
            return end <= 0x10000
        if end > 1 << 32:
            return False
        return not any(addr < hi and lo < end for lo, hi in self.protected)

    def _map(self, dev, bar, addr):
        if bar.io:
            try:
                self.ports.claim("%s BAR%d" % (dev.name, bar.index), addr, bar.size,
                                 bar.read, bar.write, bar.widths)
            except PortConflict as e:
                self.log("PCI %s: BAR%d at port %#x not decoded: %s"
                         % (dev.name, bar.index, addr, e))
                return
        elif bar.buffer is not None:
            self.mem.map_buffer(addr, bar.buffer, size=bar.size)
        else:
            self.mem.map_mmio(addr, bar.size, bar.dev)
        bar.mapped = addr

    def _unmap(self, dev, bar):
        if bar.mapped is None:
            return
        if bar.io:
            self.ports.release(bar.mapped, bar.size)
        else:
            self.mem.unmap(bar.mapped, bar.size)
        bar.mapped = None

    def _decode_rom(self, dev, command):
        if dev.rom is None:
            return
        value = dev.get(ROM_BAR, 4)
        addr = value & 0xFFFFF800
        want = addr if (command & CMD_MEMORY and value & ROM_ENABLE and addr) else None
        if want is not None and (want + len(dev.rom) > 1 << 32 or any(
                want < hi and lo < want + len(dev.rom) for lo, hi in self.protected)):
            want = None
        if want == dev.rom_mapped:
            return
        if dev.rom_mapped is not None:
            self.mem.unmap(dev.rom_mapped, len(dev.rom))
            dev.rom_mapped = None
        if want is not None:
            self.mem.map_rom(want, dev.rom)
            dev.rom_mapped = want

    # -- interrupts ----------------------------------------------------------------------
    def pirq_of(self, dev):
        """The PIRQ (0 = PIRQA) dev's INTx pin is wired to, or None without a pin."""
        pin = dev.get(INTERRUPT_PIN, 1)
        if not 1 <= pin <= 4:
            return None
        return (dev.slot + pin - 1) % NPIRQ

    def intx(self, dev, level):
        pirq = self.pirq_of(dev)
        if pirq is None:
            return
        key = (dev.slot, dev.func)
        if level == (key in self._intx_high):
            return
        if level:
            self._intx_high.add(key)
            self._pirq_count[pirq] += 1
        else:
            self._intx_high.discard(key)
            self._pirq_count[pirq] -= 1
        if self.pirq_router is not None and self._pirq_count[pirq] == (1 if level else 0):
            self.pirq_router(pirq, level)

    def pirq_level(self, pirq):
        return self._pirq_count[pirq] > 0
