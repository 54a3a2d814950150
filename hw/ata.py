"""An IDE channel (the cable with its two drive positions) and the ATA hard disk.

What the host sees of a channel (ATA/ATAPI-6, T13/1410D, clauses 5-7 and 9):
the command block at base+0..7 (0x1F0 primary, 0x170 secondary): data, error/features,
sector count, LBA low/mid/high (sector number, cylinder low/high), device/head,
status/command; and the control block at 0x3F6/0x376: alternate status on reads,
device control (nIEN bit 1, SRST bit 2, HOB bit 7) on writes. Port 0x3F7/0x377 is not
decoded here (on a PC 0x3F7 is the floppy controller's digital input register).

Both devices on the cable see every register write; only the selected one (device
register bit 4) executes commands, drives reads and drives INTRQ, and only while
nIEN is 0. Register writes are two-deep for the 48-bit feature set: the previous
value stays readable with device control HOB=1, and any command block write clears
HOB. When device 1 is selected but only device 0 is present, device 0 answers
(ATA-6 "device 0 only" rules): register writes complete as if device 0 were
selected, the command register is ignored except EXECUTE DEVICE DIAGNOSTIC, status
and alternate status read 00h and the other registers read device 0's values. A
channel with no device at all has nothing driving its data lines: every read floats
to FFh. (Device 0 absent with device 1 present is not a valid ATA configuration;
it is handled the same way with the roles swapped.)

Reset: SRST (set, then cleared) and EXECUTE DEVICE DIAGNOSTIC put each device's
signature in its task file (ATA: sector count 01h, LBA low 01h, mid 00h, high 00h,
device 00h; PACKET devices: 01h/01h/14h/EBh/00h), error 01h (passed), device 0
selected. A reset raises no interrupt; diagnostics complete with device 0's.

The ATA disk (AtaDisk) implements the general, 48-bit address, multiple, power
management and PACKET-less command sets listed in AtaDisk.COMMANDS: PIO transfers in
DRQ blocks of one sector (or of the SET MULTIPLE MODE block for READ/WRITE MULTIPLE)
with an interrupt per block, DMA through the channel's bus master (hw/ide.py), CHS
addressing through the current translation (INITIALIZE DEVICE PARAMETERS) and
28/48-bit LBA. After a data command the address registers hold the last sector
transferred and the sector count what is left, as ATA-3 specified. Errors: an
address outside the medium is IDNF, a write to a read-only image is WP + ABRT, an
unknown command is ABRT.
"""
from emu.diskimage import SECTOR

# status register
ST_ERR, ST_DRQ, ST_DSC, ST_DF, ST_DRDY, ST_BSY = 0x01, 0x08, 0x10, 0x20, 0x40, 0x80
ST_READY = ST_DRDY | ST_DSC
# error register
ER_ABRT, ER_IDNF, ER_WP = 0x04, 0x10, 0x40      # WP: write protected (ATA-6 8.62)
DIAG_PASSED = 0x01
# device control register
CTL_NIEN, CTL_SRST, CTL_HOB = 0x02, 0x04, 0x80
# device register
DEV_SELECT, DEV_LBA = 0x10, 0x40

# task file register offsets in the command block
REG_DATA, REG_ERROR, REG_NSECT, REG_LBAL, REG_LBAM, REG_LBAH, REG_DEVICE, REG_STATUS = \
    range(8)

PRIMARY = (0x1F0, 0x3F6, 14)            # command block, control block, IRQ
SECONDARY = (0x170, 0x376, 15)

MAX_MULTIPLE = 16                        # sectors per READ/WRITE MULTIPLE block
DEFAULT_HEADS, DEFAULT_SPT, MAX_CYLINDERS = 16, 63, 16383
LBA28_MAX = 0x0FFFFFFF


def ata_string(text, nbytes):
    """An IDENTIFY string field: space padded, two characters per word with the first
    one in the word's high byte (so the byte stream of the page swaps each pair)."""
    raw = text.encode("ascii").ljust(nbytes)[:nbytes]
    return [(raw[k] << 8) | raw[k + 1] for k in range(0, nbytes, 2)]


def identify_checksum(words):
    """Word 255: signature A5h in the low byte, and a high byte that makes the 512
    bytes of the page sum to 0 (ATA-6 8.15.61)."""
    words[255] = 0xA5
    total = sum((w & 0xFF) + (w >> 8) for w in words) & 0xFF
    words[255] = 0xA5 | (((-total) & 0xFF) << 8)


def page_bytes(words):
    return b"".join(w.to_bytes(2, "little") for w in words)


class Source:
    """The data of a data-in transfer, handed out as the host takes it: leading bytes
    and then `count` sectors of `image` from `lba`, read when needed (a long
    transfer never sits in memory whole). `drive.reads` counts the sectors read."""

    def __init__(self, drive, data=b"", image=None, lba=0, count=0):
        self.drive = drive
        self.data = bytes(data)
        self.image = image
        self.lba = lba
        self.count = count
        self.ssize = image.sector_size if image is not None else SECTOR
        self.remaining = len(self.data) + count * self.ssize

    def take(self, n):
        n = min(n, self.remaining)
        while len(self.data) < n and self.count:
            k = min(self.count, max(1, -(-(n - len(self.data)) // self.ssize)))
            self.data += self.image.read(self.lba, k)
            self.drive.reads += k
            self.lba += k
            self.count -= k
        out, self.data = self.data[:n], self.data[n:]
        self.remaining -= n
        return out


class Sink:
    """Where a data-out transfer to the medium goes: whole sectors are written as they
    fill. `drive.writes` counts the sectors written."""

    def __init__(self, drive, image, lba, count):
        self.drive = drive
        self.image = image
        self.lba = lba
        self.ssize = image.sector_size
        self.remaining = count * self.ssize
        self.pending = bytearray()

    def put(self, data):
        self.pending += data[:self.remaining]
        self.remaining -= min(len(data), self.remaining)
        whole = len(self.pending) // self.ssize
        if whole:
            self.image.write(self.lba, bytes(self.pending[:whole * self.ssize]))
            del self.pending[:whole * self.ssize]
            self.drive.writes += whole
            self.lba += whole


class DmaRequest:
    """A device waiting for the bus master: `to_memory` transfers take bytes from
    `source` (Source.take), the others give them to `sink` (a callable). `done` runs
    when all `remaining` bytes have moved."""
    __slots__ = ("to_memory", "source", "sink", "remaining", "done")

    def __init__(self, to_memory, remaining, done, source=None, sink=None):
        self.to_memory = to_memory
        self.remaining = remaining
        self.done = done
        self.source = source
        self.sink = sink


class Device:
    """What every device on the cable has: its copy of the task file, status and
    error, the PIO data buffer with its DRQ block, and its INTRQ."""

    is_packet = False

    def __init__(self):
        self.channel = None
        self.unit = 0
        self.reads = 0                  # sectors read from / written to the medium,
        self.writes = 0                 # for a UI activity indicator
        self.power_on()

    def power_on(self):
        self.regs = [0] * 8             # indexed by REG_*; REG_ERROR holds features
        self.hob = [0] * 8              # the previous content of each register
        self.error = DIAG_PASSED
        self.intrq = False
        self._end_transfer()
        self.set_signature()
        self.status = self.reset_status()

    # -- registers ------------------------------------------------------------------------
    def latch(self, reg, value):
        self.hob[reg] = self.regs[reg]
        self.regs[reg] = value

    def set_signature(self):
        r = self.regs
        r[REG_NSECT], r[REG_LBAL] = 1, 1
        r[REG_LBAM], r[REG_LBAH] = self.SIGNATURE
        r[REG_DEVICE] = 0

    def reset_status(self):
        return ST_READY

    @property
    def features(self):
        return self.regs[REG_ERROR]

    # -- reset ------------------------------------------------------------------------------
    def reset_begin(self):
        """SRST asserted (or RESET-): abandon everything, be busy."""
        self._end_transfer()
        self.intrq = False
        self.status = ST_BSY

    def reset_end(self):
        """The end of a reset or of diagnostics: signature, ready."""
        self.set_signature()
        self.error = DIAG_PASSED
        self.status = self.reset_status()

    # -- PIO data transfers ---------------------------------------------------------------
    def _end_transfer(self):
        self.buf = bytearray()
        self.pos = self.end = 0
        self.out = False                # host-to-device block
        self.on_block = None

    def pio_in(self, data, on_block):
        """Offer one DRQ block to the host; on_block runs once it is read."""
        self.buf = bytearray(data)
        self.pos, self.end, self.out = 0, len(data), False
        self.on_block = on_block
        self.status = self.ready_status() | ST_DRQ

    def pio_out(self, nbytes, on_block):
        """Ask the host for one DRQ block; on_block(data) runs once it is written."""
        self.buf = bytearray(nbytes)
        self.pos, self.end, self.out = 0, nbytes, True
        self.on_block = on_block
        self.status = self.ready_status() | ST_DRQ

    def data_read(self, size):
        if not self.status & ST_DRQ or self.out:
            return (1 << (8 * size)) - 1
        chunk = self.buf[self.pos:self.pos + size]
        self.pos += size
        value = int.from_bytes(chunk.ljust(size, b"\0"), "little")
        if self.pos >= self.end:
            self._block_done()
        return value

    def data_write(self, value, size):
        if not self.status & ST_DRQ or not self.out:
            return
        n = min(size, self.end - self.pos)
        self.buf[self.pos:self.pos + n] = value.to_bytes(size, "little")[:n]
        self.pos += size
        if self.pos >= self.end:
            self._block_done()

    def _block_done(self):
        callback, data, out = self.on_block, bytes(self.buf[:self.end]), self.out
        self._end_transfer()
        self.status &= ~ST_DRQ
        if out:
            callback(data)
        else:
            callback()

    # -- completion -------------------------------------------------------------------------
    def interrupt(self):
        self.intrq = True
        self.channel.update_irq()

    def complete(self, irq=True):
        self._end_transfer()
        self.status = self.ready_status()
        if irq:
            self.interrupt()

    def ready_status(self):
        return ST_READY

    def abort(self, error=ER_ABRT):
        self._end_transfer()
        self.error = error
        self.status = self.ready_status() | ST_ERR
        self.interrupt()

    # -- commands -----------------------------------------------------------------------------
    def command(self, cmd):
        """The command register was written while this device is selected."""
        handler = self.COMMANDS.get(cmd)
        self._end_transfer()
        self.error = 0
        self.status = (self.status & ~(ST_ERR | ST_DRQ | ST_DF)) | ST_BSY
        if self.intrq:                  # writing the command register acknowledges
            self.intrq = False
            self.channel.update_irq()
        if handler is None:
            self.abort()
        else:
            handler(self, cmd)

    def cmd_device_diagnostic(self, cmd):
        self.channel.diagnostic()


class AtaDisk(Device):
    """An ATA hard disk on a DiskImage (512-byte sectors)."""

    SIGNATURE = (0x00, 0x00)
    MODEL = "PYX86 HARDDISK"
    FIRMWARE = "1.0"

    def __init__(self, image, serial="PYX86-0001"):
        if image.sector_size != SECTOR:
            raise ValueError("an ATA disk needs 512-byte sectors")
        self.image = image
        self.serial = serial
        self.sectors = image.sectors
        self.cylinders = max(1, min(self.sectors // (DEFAULT_HEADS * DEFAULT_SPT),
                                    MAX_CYLINDERS))
        super().__init__()

    @property
    def default_geometry(self):
        return self.cylinders, DEFAULT_HEADS, DEFAULT_SPT

    def power_on(self):
        self.geometry = self.default_geometry                         # CHS translation
        self.multiple = 0                                             # disabled
        self.write_cache = True
        self.mode_mwdma = 2                                           # selected modes
        self.mode_udma = None
        self.dma_busy = False
        super().power_on()

    # -- addressing -----------------------------------------------------------------------
    def _address28(self):
        """The LBA of the command's first sector, or None for an invalid CHS address."""
        r = self.regs
        if r[REG_DEVICE] & DEV_LBA:
            return ((r[REG_DEVICE] & 0xF) << 24) | (r[REG_LBAH] << 16) | \
                (r[REG_LBAM] << 8) | r[REG_LBAL]
        cyls, heads, spt = self.geometry
        c = (r[REG_LBAH] << 8) | r[REG_LBAM]
        h = r[REG_DEVICE] & 0xF
        s = r[REG_LBAL]
        if not (1 <= s <= spt and h < heads and c < cyls):
            return None
        return (c * heads + h) * spt + s - 1

    def _address48(self):
        r, p = self.regs, self.hob
        return (p[REG_LBAH] << 40) | (p[REG_LBAM] << 32) | (p[REG_LBAL] << 24) | \
            (r[REG_LBAH] << 16) | (r[REG_LBAM] << 8) | r[REG_LBAL]

    def _set_position(self, lba, left, ext):
        """After a transfer: the address of the last sector moved, the count left."""
        r, p = self.regs, self.hob
        r[REG_NSECT] = left & 0xFF
        if ext:
            p[REG_NSECT] = (left >> 8) & 0xFF
            r[REG_LBAL], r[REG_LBAM], r[REG_LBAH] = \
                lba & 0xFF, (lba >> 8) & 0xFF, (lba >> 16) & 0xFF
            p[REG_LBAL], p[REG_LBAM], p[REG_LBAH] = \
                (lba >> 24) & 0xFF, (lba >> 32) & 0xFF, (lba >> 40) & 0xFF
        elif r[REG_DEVICE] & DEV_LBA:
            r[REG_LBAL], r[REG_LBAM], r[REG_LBAH] = \
                lba & 0xFF, (lba >> 8) & 0xFF, (lba >> 16) & 0xFF
            r[REG_DEVICE] = (r[REG_DEVICE] & 0xF0) | ((lba >> 24) & 0xF)
        else:
            _, heads, spt = self.geometry
            c, rest = divmod(lba, heads * spt)
            h, s = divmod(rest, spt)
            r[REG_LBAL], r[REG_LBAM], r[REG_LBAH] = s + 1, c & 0xFF, (c >> 8) & 0xFF
            r[REG_DEVICE] = (r[REG_DEVICE] & 0xF0) | h

    def _range(self, ext):
        """(lba, count) of the command, or None after aborting it with IDNF."""
        if ext:
            lba = self._address48()
            count = (self.hob[REG_NSECT] << 8) | self.regs[REG_NSECT] or 0x10000
        else:
            lba = self._address28()
            count = self.regs[REG_NSECT] or 0x100
        if lba is None or lba + count > self.sectors:
            self.abort(ER_IDNF)
            return None
        return lba, count

    # -- PIO reads and writes -------------------------------------------------------------
    def cmd_read_pio(self, cmd):
        ext = cmd in (0x24, 0x29)
        block = self.multiple if cmd in (0xC4, 0x29) else 1
        if not block:
            return self.abort()
        rng = self._range(ext)
        if rng is not None:
            self._xfer = (rng[0], rng[1], block, ext)
            self._read_block()

    def _read_block(self):
        lba, left, block, ext = self._xfer
        n = min(left, block)
        data = self.image.read(lba, n)
        self.reads += n
        self._xfer = (lba + n, left - n, block, ext)
        self._set_position(lba + n - 1, left - n, ext)
        self.pio_in(data, self._read_block_done)
        self.interrupt()

    def _read_block_done(self):
        if self._xfer[1]:
            self._read_block()
        else:
            self.complete(irq=False)     # PIO data-in: the last block needs no INTRQ

    def cmd_write_pio(self, cmd):
        ext = cmd in (0x34, 0x39)
        block = self.multiple if cmd in (0xC5, 0x39) else 1
        if not block:
            return self.abort()
        rng = self._range(ext)
        if rng is None:
            return
        if self.image.readonly:
            return self.abort(ER_WP | ER_ABRT)
        self._xfer = (rng[0], rng[1], block, ext)
        self.pio_out(min(rng[1], block) * SECTOR, self._write_block_done)

    def _write_block_done(self, data):
        lba, left, block, ext = self._xfer
        n = len(data) // SECTOR
        self.image.write(lba, data)
        self.writes += n
        left -= n
        self._xfer = (lba + n, left, block, ext)
        self._set_position(lba + n - 1, left, ext)
        if left:
            self.pio_out(min(left, block) * SECTOR, self._write_block_done)
            self.interrupt()
        else:
            self.complete()

    # -- DMA ------------------------------------------------------------------------------------
    def cmd_dma(self, cmd):
        ext = cmd in (0x25, 0x35)
        write = cmd in (0xCA, 0xCB, 0x35)
        rng = self._range(ext)
        if rng is None:
            return
        lba, count = rng
        if write and self.image.readonly:
            return self.abort(ER_WP | ER_ABRT)
        done = lambda: self._dma_done(lba, count, ext)
        if write:
            sink = Sink(self, self.image, lba, count)
            req = DmaRequest(False, count * SECTOR, done, sink=sink.put)
        else:
            req = DmaRequest(True, count * SECTOR, done,
                             source=Source(self, image=self.image, lba=lba, count=count))
        # the drive is in its data phase until the bus master has moved everything
        self.status = ST_READY | ST_DRQ
        self.channel.dma_start(self, req)

    def _dma_done(self, lba, count, ext):
        self._set_position(lba + count - 1, 0, ext)
        self.complete()

    # -- other data commands --------------------------------------------------------------
    def cmd_verify(self, cmd):
        rng = self._range(cmd == 0x42)
        if rng is not None:
            self._set_position(rng[0] + rng[1] - 1, 0, cmd == 0x42)
            self.complete()

    def cmd_seek(self, cmd):
        lba = self._address28()
        if lba is None or lba >= self.sectors:
            return self.abort(ER_IDNF)
        self.complete()

    def cmd_identify(self, cmd):
        self.pio_in(page_bytes(self.identify_words()), lambda: self.complete(irq=False))
        self.interrupt()

    def cmd_init_params(self, cmd):
        heads = (self.regs[REG_DEVICE] & 0xF) + 1
        spt = self.regs[REG_NSECT]
        if not spt:
            return self.abort()
        self.geometry = (min(self.sectors // (heads * spt), 0xFFFF), heads, spt)
        self.complete()

    def cmd_set_multiple(self, cmd):
        n = self.regs[REG_NSECT]
        if n > MAX_MULTIPLE or n & (n - 1):
            return self.abort()
        self.multiple = n
        self.complete()

    def cmd_set_features(self, cmd):
        sub = self.features
        if sub == 0x03:                 # set transfer mode from the sector count
            mode = self.regs[REG_NSECT]
            kind, n = mode >> 3, mode & 7
            if mode in (0, 1) or (kind == 1 and n <= 4):
                pass                    # PIO modes need no state here
            elif kind == 4 and n <= 2:
                self.mode_mwdma, self.mode_udma = n, None
            elif kind == 8 and n <= 5:
                self.mode_mwdma, self.mode_udma = None, n
            else:
                return self.abort()
        elif sub == 0x02:
            self.write_cache = True
        elif sub == 0x82:
            self.write_cache = False
        self.complete()

    def cmd_flush(self, cmd):
        self.image.flush()
        self.complete()

    def cmd_check_power(self, cmd):
        self.regs[REG_NSECT] = 0xFF     # active or idle
        self.complete()

    def cmd_nodata(self, cmd):
        """Power management and RECALIBRATE: nothing to do but succeed."""
        self.complete()

    # -- IDENTIFY DEVICE ------------------------------------------------------------------------
    def identify_words(self):
        """The 256-word IDENTIFY DEVICE page (ATA-6 8.15, table 29)."""
        w = [0] * 256
        cyls, heads, spt = self.default_geometry
        w[0] = 0x0040                              # fixed device
        w[1], w[3], w[6] = cyls, heads, spt        # default CHS geometry
        w[10:20] = ata_string(self.serial, 20)
        w[23:27] = ata_string(self.FIRMWARE, 8)
        w[27:47] = ata_string(self.MODEL, 40)
        w[47] = 0x8000 | MAX_MULTIPLE
        w[49] = 0x0F00                             # IORDY, IORDY disable, LBA, DMA
        w[50] = 0x4000
        w[51] = w[52] = 0x0200                     # obsolete PIO/DMA timing: mode 2
        w[53] = 0x0007                             # words 54-58, 64-70 and 88 valid
        ccyls, cheads, cspt = self.geometry
        w[54], w[55], w[56] = ccyls, cheads, cspt
        current = min(ccyls * cheads * cspt, 0xFFFFFFFF)
        w[57], w[58] = current & 0xFFFF, current >> 16
        w[59] = 0x0100 | self.multiple             # multiple setting valid
        lba28 = min(self.sectors, LBA28_MAX)
        w[60], w[61] = lba28 & 0xFFFF, lba28 >> 16
        w[63] = 0x0007 | ((1 << (8 + self.mode_mwdma)) if self.mode_mwdma is not None
                          else 0)
        w[64] = 0x0003                             # PIO modes 3 and 4
        w[65] = w[66] = w[67] = w[68] = 120        # ns: MWDMA and PIO cycle times
        w[80] = 0x007E                             # ATA-1 .. ATA-6
        w[82] = 0x4028                             # NOP, write cache, power management
        w[83] = 0x7400                             # FLUSH CACHE (EXT), 48-bit address
        w[84] = 0x4000
        w[85] = 0x4008 | (0x20 if self.write_cache else 0)
        w[86] = 0x3400
        w[87] = 0x4000
        w[88] = 0x003F | ((1 << (8 + self.mode_udma)) if self.mode_udma is not None
                          else 0)
        # hardware reset result: this device passed, 80-conductor cable detected
        w[93] = 0x6000 | (0x0B00 if self.unit else 0x000B)
        w[100] = self.sectors & 0xFFFF
        w[101] = (self.sectors >> 16) & 0xFFFF
        w[102] = (self.sectors >> 32) & 0xFFFF
        w[103] = (self.sectors >> 48) & 0xFFFF
        identify_checksum(w)
        return w

    COMMANDS = {}


def _table(cls, entries):
    for codes, handler in entries:
        for code in codes:
            cls.COMMANDS[code] = handler


_table(AtaDisk, [
    ((0x20, 0x21, 0x24, 0xC4, 0x29), AtaDisk.cmd_read_pio),
    ((0x30, 0x31, 0x34, 0xC5, 0x39), AtaDisk.cmd_write_pio),
    ((0xC8, 0xC9, 0x25, 0xCA, 0xCB, 0x35), AtaDisk.cmd_dma),
    ((0x40, 0x41, 0x42), AtaDisk.cmd_verify),
    ((0x70,), AtaDisk.cmd_seek),
    (range(0x10, 0x20), AtaDisk.cmd_nodata),               # RECALIBRATE
    ((0x90,), AtaDisk.cmd_device_diagnostic),
    ((0x91,), AtaDisk.cmd_init_params),
    ((0xC6,), AtaDisk.cmd_set_multiple),
    ((0xE7, 0xEA), AtaDisk.cmd_flush),
    ((0xE0, 0xE1, 0xE2, 0xE3, 0xE6), AtaDisk.cmd_nodata),  # STANDBY/IDLE (IMMEDIATE), SLEEP
    ((0xE5,), AtaDisk.cmd_check_power),
    ((0xEC,), AtaDisk.cmd_identify),
    ((0xEF,), AtaDisk.cmd_set_features),
])


class Channel:
    """One IDE cable: the task-file ports, up to two devices, INTRQ on `irq` (an
    IrqLine-like object) and, when a bus master engine is attached (`bm`, see
    hw/ide.py), the DMA request of the device in a DMA data phase."""

    def __init__(self, name, base, ctl_port, irq):
        self.name = name
        self.base = base
        self.ctl_port = ctl_port
        self.irq = irq
        self.devices = [None, None]
        self.bm = None
        self.dma = None                  # the pending DmaRequest, or None
        self.ctl = 0
        self.selected = 0

    def connect(self, unit, device):
        device.channel = self
        device.unit = unit
        self.devices[unit] = device

    def attach(self, bus):
        bus.claim(self.name, self.base, 1, self._read_data, self._write_data,
                  widths=(1, 2, 4))
        bus.claim(self.name, self.base + 1, 7, self._read, self._write)
        bus.claim(self.name + " control", self.ctl_port, 1, self._read_ctl,
                  self._write_ctl)

    def reset(self):
        """RESET-: every device to its power-on state, device 0 selected."""
        self.ctl = 0
        self.selected = 0
        self.dma = None
        for d in self.devices:
            if d is not None:
                d.power_on()
        self.update_irq()

    # -- who answers ----------------------------------------------------------------------
    @property
    def present(self):
        return self.devices[0] is not None or self.devices[1] is not None

    def _responder(self):
        """(device answering reads, whether it is the selected one)."""
        d = self.devices[self.selected]
        if d is not None:
            return d, True
        return self.devices[self.selected ^ 1], False

    def update_irq(self):
        d = self.devices[self.selected]
        self.irq.set(d is not None and d.intrq and not self.ctl & CTL_NIEN)

    # -- ports ----------------------------------------------------------------------------------
    def _read_data(self, port, size):
        d = self.devices[self.selected]
        if d is None:
            return (1 << (8 * size)) - 1
        return d.data_read(size)

    def _write_data(self, port, value, size):
        d = self.devices[self.selected]
        if d is not None:
            d.data_write(value, size)

    def _read(self, port, size):
        reg = port - self.base
        d, selected = self._responder()
        if d is None:
            return 0xFF
        if reg == REG_STATUS:
            if not selected:
                return 0
            if d.intrq:
                d.intrq = False
                self.update_irq()
            return d.status
        if reg == REG_ERROR:
            return d.error
        if reg == REG_DEVICE:
            return d.regs[REG_DEVICE]
        return (d.hob if self.ctl & CTL_HOB else d.regs)[reg]

    def _write(self, port, value, size):
        reg = port - self.base
        if reg == REG_STATUS:
            return self._command(value)
        self.ctl &= ~CTL_HOB
        for d in self.devices:
            if d is not None:
                d.latch(reg, value)
        if reg == REG_DEVICE:
            self.selected = 1 if value & DEV_SELECT else 0
            self.update_irq()

    def _command(self, cmd):
        d = self.devices[self.selected]
        if d is None:
            if cmd == 0x90 and self.present:
                self.diagnostic()
            return
        if d.status & ST_BSY and not (cmd == 0x08 and d.is_packet):
            return                        # a busy device takes no command
        d.command(cmd)

    def _read_ctl(self, port, size):
        d, selected = self._responder()
        if d is None:
            return 0xFF
        return d.status if selected else 0

    def _write_ctl(self, port, value, size):
        old = self.ctl
        self.ctl = value & (CTL_NIEN | CTL_SRST | CTL_HOB)
        if value & CTL_SRST and not old & CTL_SRST:
            self.dma = None
            for d in self.devices:
                if d is not None:
                    d.reset_begin()
        elif old & CTL_SRST and not value & CTL_SRST:
            self.selected = 0
            for d in self.devices:
                if d is not None:
                    d.reset_end()
        self.update_irq()

    # -- channel-wide operations ---------------------------------------------------------------
    def diagnostic(self):
        """EXECUTE DEVICE DIAGNOSTIC: both devices run it; device 0 reports."""
        self.dma = None
        self.selected = 0
        for d in self.devices:
            if d is not None:
                d.reset_begin()
                d.reset_end()
        first = self.devices[0] or self.devices[1]
        first.interrupt()

    def dma_start(self, device, request):
        self.dma = request
        if self.bm is not None:
            self.bm.dma_ready()

    def dma_finish(self):
        """The bus master moved the whole request."""
        req, self.dma = self.dma, None
        req.done()
