"""The PIIX3 IDE interface: PCI function 00:01.1 (8086:7010), two IDE channels in
compatibility mode and their bus master DMA engines.

Following the Intel 82371SB (PIIX3) data sheet and the "Programming Interface for
Bus Master IDE Controller" (revision 1.0): class code 01 01 80 (mass storage, IDE,
programming interface 80h: both channels fixed in compatibility mode, bus master
capable). The channels always sit at the legacy addresses (primary 1F0h-1F7h, 3F6h,
IRQ14; secondary 170h-177h, 376h, IRQ15). The IDE timing registers IDETIM (40h-41h
primary, 42h-43h secondary) and SIDETIM (44h) read back what firmware writes, but
their IDE decode enable bit (15) does not gate the ports here: the channels decode
from power-on whatever IDETIM holds, so a BIOS that never programs IDETIM still
finds its disks. To say so, IDETIM comes out of reset with bit 15 set (the data
sheet's default is 0000h); Linux's ata_piix reads that bit to decide whether a
channel is enabled. Clearing it hides nothing from a driver that ignores it. The
function has no INTx pin: the channels interrupt on the ISA IRQs.

BAR4 holds the 16 bus master registers, 8 per channel (primary at +0, secondary at
+8): command (bit 0 start/stop, bit 3 direction: 1 = the engine writes memory, i.e.
a device-to-memory transfer), status (bit 0 active, bit 1 error and bit 2 interrupt
write-one-to-clear, bits 5-6 "drive 0/1 DMA capable" plain read/write for software,
bit 7 simplex = 0) and the physical region descriptor table address (dword
aligned). A PRD is 8 bytes: memory address (bit 0 ignored), byte count in the low
16 bits of the second dword (bit 0 ignored, 0 = 64 KiB) and EOT in bit 31.

A transfer moves when the engine is started and the selected device has a DMA
request, whatever the order in which software did the two. The whole request moves
at once, DMA_LATENCY_NS after both are true, through emu.memory.Memory's bus-master
read/write (which respects ROM and MMIO and invalidates decoded code). The interrupt
status bit latches the channel's interrupt line rising; the Interrupt/Active
combinations after a transfer are the spec's: a PRD table that ends exactly with the
transfer clears Active, a larger one leaves it set, and a table that runs out (EOT
passed with data left) clears Active without an interrupt or error, leaving the
device waiting for the rest (the spec's "PRDs smaller than the transfer" case; a
restart with a new table continues it). Error (bit 1) reports PCI master/target
aborts, which cannot happen here.
"""
from hw.ata import PRIMARY, SECONDARY, Channel
from hw.pci import PciDevice

VENDOR_INTEL, DEVICE_PIIX3_IDE = 0x8086, 0x7010
CLASS_IDE_COMPAT_BM = 0x010180
IDETIM, SIDETIM = 0x40, 0x44
IDETIM_DECODE = 0x8000
BM_BAR = 4
BM_SIZE = 16

BM_CMD_START, BM_CMD_TO_MEMORY = 0x01, 0x08
BM_ST_ACTIVE, BM_ST_ERROR, BM_ST_INTR = 0x01, 0x02, 0x04
BM_ST_DMA_CAP = 0x60
PRD_EOT = 0x80000000
DMA_LATENCY_NS = 20_000


class ChannelIrq:
    """The wire from a channel's INTRQ to its ISA IRQ, tapped by the bus master's
    interrupt status bit (which latches every rising edge)."""
    __slots__ = ("line", "bm", "level")

    def __init__(self, line, bm):
        self.line = line
        self.bm = bm
        self.level = False

    def set(self, level):
        level = bool(level)
        if level and not self.level:
            self.bm.status |= BM_ST_INTR
        self.level = level
        self.line.set(level)

    def raise_(self):
        self.set(True)

    def lower(self):
        self.set(False)

    @property
    def masked(self):
        return self.line.masked


class BusMaster:
    """One channel's DMA engine."""

    def __init__(self, name, channel, mem, clock, line):
        self.channel = channel
        self.mem = mem
        self.timer = clock.timer(name + " DMA", self._transfer, line)
        channel.bm = self
        channel.irq = ChannelIrq(line, self)
        self.reset()

    def reset(self):
        self.command = 0
        self.status = 0
        self.prd_table = 0
        self.timer.cancel()
        self._prd_next = 0              # address of the next descriptor to fetch
        self._region = None             # [address, bytes left, last] of the current one

    # -- registers (offsets 0-7 of the channel's half of BAR4) --------------------------
    def read(self, off):
        if off == 0:
            return self.command
        if off == 2:
            return self.status
        if 4 <= off < 8:
            return (self.prd_table >> (8 * (off - 4))) & 0xFF
        return 0

    def write(self, off, value):
        if off == 0:
            self._write_command(value)
        elif off == 2:
            self.status = ((self.status & ~(value & (BM_ST_ERROR | BM_ST_INTR)))
                           & ~BM_ST_DMA_CAP) | (value & BM_ST_DMA_CAP)
        elif 4 <= off < 8:
            shift = 8 * (off - 4)
            self.prd_table = ((self.prd_table & ~(0xFF << shift)) | (value << shift)) \
                & 0xFFFFFFFC

    def _write_command(self, value):
        old = self.command
        self.command = value & (BM_CMD_START | BM_CMD_TO_MEMORY)
        if value & BM_CMD_START and not old & BM_CMD_START:
            self.status |= BM_ST_ACTIVE
            self._prd_next = self.prd_table
            self._region = None
            self.dma_ready()
        elif old & BM_CMD_START and not value & BM_CMD_START:
            # stopping abandons the transfer state; the device keeps waiting
            self.status &= ~BM_ST_ACTIVE
            self.timer.cancel()

    # -- moving data ----------------------------------------------------------------------
    def dma_ready(self):
        """The engine was started or a device has a request: move it after a while."""
        if (self.status & BM_ST_ACTIVE and self.channel.dma is not None
                and not self.timer.armed):
            self.timer.arm_in(DMA_LATENCY_NS)

    def _next_region(self):
        """Fetch the next descriptor; False when the table had ended already."""
        if self._region is not None and self._region[2]:
            return False
        raw = self.mem.read(self._prd_next, 8)
        self._prd_next = (self._prd_next + 8) & 0xFFFFFFFF
        addr = int.from_bytes(raw[0:4], "little") & 0xFFFFFFFE
        word = int.from_bytes(raw[4:8], "little")
        count = (word & 0xFFFE) or 0x10000
        self._region = [addr, count, bool(word & PRD_EOT)]
        return True

    def _transfer(self):
        req = self.channel.dma
        if req is None or not self.status & BM_ST_ACTIVE:
            return
        while req.remaining:
            if self._region is None or not self._region[1]:
                if not self._next_region():
                    self.status &= ~BM_ST_ACTIVE     # PRDs smaller than the transfer
                    return
            region = self._region
            n = min(region[1], req.remaining)
            if req.to_memory:
                self.mem.write(region[0], req.source.take(n))
            else:
                req.sink(self.mem.read(region[0], n))
            region[0] += n
            region[1] -= n
            req.remaining -= n
        if not self._region[1] and self._region[2]:
            self.status &= ~BM_ST_ACTIVE             # the table ended with the data
        self.channel.dma_finish()


class PiixIde(PciDevice):
    """PIIX3 function 1: `channels[0]` primary, `channels[1]` secondary (hw.ata.Channel);
    irq14/irq15 are the ISA IRQ lines, mem the physical address space for DMA."""

    def __init__(self, mem, clock, irq14, irq15):
        super().__init__("PIIX3 IDE", VENDOR_INTEL, DEVICE_PIIX3_IDE, CLASS_IDE_COMPAT_BM)
        self.set_writable(0x04, 0x0005, 2)       # COMMAND: I/O space, bus master only
        self.set_writable(IDETIM, 0xF3FF, 2)
        self.set_writable(IDETIM + 2, 0xF3FF, 2)
        self.set_writable(SIDETIM, 0xFF, 1)
        self._put(IDETIM, IDETIM_DECODE, 2)
        self._put(IDETIM + 2, IDETIM_DECODE, 2)
        self.add_io_bar(BM_BAR, BM_SIZE, self._bm_read, self._bm_write, widths=(1, 2, 4))
        self.set_power_on()
        self.channels = []
        self.engines = []
        for name, (base, ctl, _), line in (("ide0", PRIMARY, irq14),
                                           ("ide1", SECONDARY, irq15)):
            ch = Channel(name, base, ctl, line)
            self.channels.append(ch)
            self.engines.append(BusMaster(name, ch, mem, clock, line))

    def attach(self, bus):
        """The legacy channel ports (the BAR is decoded by the PCI bus)."""
        for ch in self.channels:
            ch.attach(bus)

    def connect(self, channel, unit, device):
        self.channels[channel].connect(unit, device)

    def reset(self):
        super().reset()
        for ch, bm in zip(self.channels, self.engines):
            bm.reset()
            ch.reset()

    def _bm_read(self, port, size):
        base = self.bar_address(BM_BAR)
        value = 0
        for k in range(size):
            off = (port + k - base) & (BM_SIZE - 1)
            value |= self.engines[off >> 3].read(off & 7) << (8 * k)
        return value

    def _bm_write(self, port, value, size):
        base = self.bar_address(BM_BAR)
        for k in range(size):
            off = (port + k - base) & (BM_SIZE - 1)
            self.engines[off >> 3].write(off & 7, (value >> (8 * k)) & 0xFF)
