"""The Intel 82077AA floppy disk controller (PC-AT mode) at 0x3F0-0x3F5 and 0x3F7.

Port 0x3F6 is not the FDC's: it belongs to the primary IDE channel. Registers, as in
the 82077AA data sheet (Intel order no. 290166), PC-AT mode:

    0x3F0/0x3F1  SRA/SRB: not driven in PC-AT mode (read all ones)
    0x3F2        DOR: drive select (1-0), /RESET (2; 0 holds the chip in reset),
                 DMA gate (3; gates DRQ and INT in PC-AT mode), motor enables (7-4)
    0x3F3        TDR: tape drive select (bits 1-0, kept)
    0x3F4        MSR (read): RQM, DIO, NON-DMA, CB, drive 3-0 busy (seeking)
                 DSR (write): software reset (7, self-clearing), power down,
                 precompensation, data rate (1-0)
    0x3F5        FIFO: command bytes, result bytes, and non-DMA data
    0x3F7        DIR (read): bit 7 the disk change line of the selected drive (bits
                 6-0 read 0); CCR (write): data rate (1-0)

Commands: READ DATA, READ DELETED DATA, WRITE DATA, WRITE DELETED DATA, READ TRACK,
VERIFY, FORMAT TRACK, READ ID, RECALIBRATE, SEEK and RELATIVE SEEK, SENSE INTERRUPT
STATUS, SENSE DRIVE STATUS, SPECIFY, CONFIGURE, VERSION (0x90), DUMPREG, LOCK/UNLOCK,
PERPENDICULAR MODE; anything else is invalid (a one-byte result, ST0 = 0x80). Data
moves on DMA channel 2 (hw.dma) or, after SPECIFY with ND=1, through the FIFO one
byte at a time with RQM set per byte and INT raised while a byte is wanted. Read,
write, verify, READ ID, FORMAT and seeks end with IRQ6. Results follow the data
sheet: ST0-ST3 bits, the ID "of the next sector" after a transfer ended by TC, and
end of cylinder (ST1 EN, abnormal termination) when the last sector (EOT, on the last
side with MT) is passed without TC, which is how a non-DMA transfer normally ends.

The controller after reset (the RESET line holds it in reset: DOR is 0 until the BIOS
writes it; a DOR or DSR reset leaves the SPECIFY values, the data rate and locked
CONFIGURE values alone): on leaving reset it raises INT and reports, in polling mode,
a "ready changed" status for each of the four drives (ST0 0xC0-0xC3) to four SENSE
INTERRUPT STATUS commands. Its present cylinder numbers restart at 0 while the heads
stay where they were, so software recalibrates after a reset as on a real PC.

Drives and media. A drive has a type (the CMOS code: 1 360K 5.25", 2 1.2M 5.25", 3
720K 3.5", 4 1.44M 3.5", 5 2.88M 3.5") and holds a disk image (emu.diskimage) whose
size gives the geometry (MEDIA). Sector IDs are the standard ones: cylinder = the
track the head is on, head = the side, R = 1..sectors per track, N = 2 (512 bytes);
a command asking for another ID gets "no data" (ST1 ND; ST2 WC when only the cylinder
differs). Commands fail with "missing address mark" (ST1 MA) when the drive holds no
disk, reads in FM, uses a data rate the medium was not written at (so software can
sense the density), or the head is beyond the medium's tracks or sides. A read-only
image is write protected (ST1 NW; ST3 WP). The disk change line (DIR bit 7, visible
while the drive is selected in the DOR with its motor on) is set at power on, on
insert and on eject, and cleared by a step pulse to a drive that holds a disk with
its motor on (a SEEK to the present cylinder sends none). A 40-track disk in an
80-track drive is addressed by physical track (no double stepping). FORMAT TRACK
writes the fill byte into the sectors whose IDs the image can hold (N = 2, R within
the medium's sectors per track) on the track under the head; a format the image
cannot represent (another sector size or more sectors than the medium has) ends with
ST1 MA. Deleted-data marks are not stored: WRITE DELETED DATA writes normal sectors,
READ DELETED DATA finds none (SK = 1 skips every sector, SK = 0 reads the first with
ST2 CM set and stops).

Time: commands take a short virtual time, not the drive's mechanical time (a real
track-to-track step is milliseconds, which would make a floppy boot take minutes of
guest time): SETTLE_NS plus STEP_NS per step for seeks, EXEC_NS before a data command
moves data. Data reaches memory when the command's execution phase runs, and the
result phase with its interrupt follows at once.
"""
from collections import deque

from emu.diskimage import ImageError

FDC_BASE = 0x3F0
DIR_PORT = 0x3F7
DMA_CHANNEL = 2
IRQ = 6
DRIVES = 4
SECTOR = 512
SECTOR_N = 2                          # the size code of a 512-byte sector

VERSION_82077 = 0x90
EXEC_NS = 20_000                      # from command to data transfer
SETTLE_NS = 20_000                    # seek: fixed part ...
STEP_NS = 2_000                       # ... plus this per step pulse
POLL_NS = 10_000                      # leaving reset to the polling interrupt
RECAL_STEPS = 79                      # RECALIBRATE gives up after this many steps

# DOR
DOR_SELECT = 0x03
DOR_NRESET = 0x04
DOR_DMA = 0x08
DOR_MOTOR = 0x10                      # drive 0; drive n is DOR_MOTOR << n
# MSR
MSR_RQM, MSR_DIO, MSR_NDMA, MSR_CB = 0x80, 0x40, 0x20, 0x10
# DSR
DSR_RESET, DSR_POWERDOWN = 0x80, 0x40
RATE_MASK = 0x03
RATE_500K, RATE_300K, RATE_250K, RATE_1M = 0, 1, 2, 3
DIR_DSKCHG = 0x80

# status registers
ST0_IC_ABNORMAL, ST0_IC_INVALID, ST0_IC_POLL = 0x40, 0x80, 0xC0
ST0_SE, ST0_EC = 0x20, 0x10
ST1_EN, ST1_DE, ST1_OR, ST1_ND, ST1_NW, ST1_MA = 0x80, 0x20, 0x10, 0x04, 0x02, 0x01
ST2_CM, ST2_WC = 0x40, 0x10
ST3_WP, ST3_RDY, ST3_T0, ST3_TS = 0x40, 0x20, 0x10, 0x08

# command opcodes (low bits; MT 0x80, MFM 0x40, SK 0x20 where allowed)
MT, MFM, SK = 0x80, 0x40, 0x20
CMD_READ_TRACK = 0x02
CMD_SPECIFY = 0x03
CMD_SENSE_DRIVE = 0x04
CMD_WRITE = 0x05
CMD_READ = 0x06
CMD_RECALIBRATE = 0x07
CMD_SENSE_INT = 0x08
CMD_WRITE_DELETED = 0x09
CMD_READ_ID = 0x0A
CMD_READ_DELETED = 0x0C
CMD_FORMAT = 0x0D
CMD_DUMPREG = 0x0E
CMD_SEEK = 0x0F
CMD_VERSION = 0x10
CMD_PERPENDICULAR = 0x12
CMD_CONFIGURE = 0x13
CMD_LOCK = 0x14
CMD_VERIFY = 0x16
REL_SEEK_DIR = 0x40                   # RELATIVE SEEK: 1 = step in (towards the spindle)

# CONFIGURE byte 2
CFG_EIS, CFG_EFIFO, CFG_POLL, CFG_FIFOTHR = 0x40, 0x20, 0x10, 0x0F
CFG_LOCKED = CFG_EFIFO | CFG_FIFOTHR  # what LOCK keeps over a software reset
CFG_RESET = CFG_EFIFO                 # FIFO off, polling on, no implied seeks


class DriveType:
    def __init__(self, code, name, tracks, rpm):
        self.code = code              # CMOS drive type
        self.name = name
        self.tracks = tracks          # physical tracks the head can reach
        self.rpm = rpm


DRIVE_360K = DriveType(1, '360K 5.25"', 42, 300)
DRIVE_1200K = DriveType(2, '1.2M 5.25"', 83, 360)
DRIVE_720K = DriveType(3, '720K 3.5"', 83, 300)
DRIVE_1440K = DriveType(4, '1.44M 3.5"', 83, 300)
DRIVE_2880K = DriveType(5, '2.88M 3.5"', 83, 300)


class Geometry:
    def __init__(self, name, cylinders, heads, spt, rate, drive):
        self.name = name
        self.cylinders = cylinders
        self.heads = heads
        self.spt = spt
        self.rate = rate              # the data rate the medium is written at
        self.drive = drive            # the drive such a disk goes in

    @property
    def size(self):
        return self.cylinders * self.heads * self.spt * SECTOR


MEDIA = [Geometry(*g) for g in (
    ("160K", 40, 1, 8, RATE_250K, DRIVE_360K),
    ("180K", 40, 1, 9, RATE_250K, DRIVE_360K),
    ("320K", 40, 2, 8, RATE_250K, DRIVE_360K),
    ("360K", 40, 2, 9, RATE_250K, DRIVE_360K),
    ("720K", 80, 2, 9, RATE_250K, DRIVE_1440K),
    ("1.2M", 80, 2, 15, RATE_500K, DRIVE_1200K),
    ("1.44M", 80, 2, 18, RATE_500K, DRIVE_1440K),
    ("1.68M DMF", 80, 2, 21, RATE_500K, DRIVE_1440K),
    ("2.88M", 80, 2, 36, RATE_1M, DRIVE_2880K),
)]
MEDIA_BY_SIZE = {g.size: g for g in MEDIA}


def geometry_of(image):
    """The floppy format of a disk image, from its size (ImageError if none fits)."""
    g = MEDIA_BY_SIZE.get(image.size)
    if g is None:
        raise ImageError("floppy image %s: %d bytes is not a known floppy size (%s)"
                         % (image.path, image.size,
                            ", ".join("%s = %d" % (m.name, m.size) for m in MEDIA)))
    return g


class Media:
    """A disk in a drive: an image and its geometry."""

    def __init__(self, image, geometry):
        self.image = image
        self.geometry = geometry

    @property
    def readonly(self):
        return self.image.readonly

    def rate_in(self, drive_type):
        """A 5.25" double-density disk spins faster in a 1.2M drive: 300 kbit/s."""
        if drive_type is DRIVE_1200K and self.geometry.rate == RATE_250K:
            return RATE_300K
        return self.geometry.rate


class Drive:
    def __init__(self):
        self.type = None              # None: no drive connected
        self.media = None
        self.track = 0                # where the head is
        self.motor = False
        self.changed = True           # the disk change line: set at power on


class _Wait:
    """What a running command waits for."""
    TIME, DMA, HOST = "time", "dma", "host"


class Fdc:
    """The 82077AA with up to four drives; `irq` is IRQ6's IrqLine, `dma` the hw.dma
    channel 2."""

    def __init__(self, clock, irq, dma):
        self.clock = clock
        self.irq = irq
        self.dma = dma
        self.drives = [Drive() for _ in range(DRIVES)]
        self.exec_timer = clock.timer("FDC", self._resume_time, irq)
        self.poll_timer = clock.timer("FDC reset", self._poll_interrupt, irq)
        self.seek_timers = [clock.timer("FDC seek %d" % d, self._seek_done_cb(d), irq)
                            for d in range(DRIVES)]
        self.job = None
        self.waiting = None           # what the running command waits for (_Wait)
        self._running = False         # inside the command's generator
        self.reset()

    # -- configuration ------------------------------------------------------------------
    def connect(self, drive, drive_type):
        """Put a drive of drive_type (a DriveType, or None to remove it) at 0..3."""
        d = self.drives[drive]
        d.type = drive_type
        if drive_type is None:
            d.media = None

    def insert(self, drive, image):
        """Put a disk image in a drive; the disk change line goes active."""
        d = self.drives[drive]
        if d.type is None:
            raise ValueError("no floppy drive %s: connected" % "ABCD"[drive])
        d.media = Media(image, geometry_of(image))
        d.changed = True

    def eject(self, drive):
        """Take the disk out (returns its image, or None)."""
        d = self.drives[drive]
        media, d.media = d.media, None
        d.changed = True
        return None if media is None else media.image

    def cmos_types(self):
        """CMOS drive type codes of drives A: and B: (0: none)."""
        return tuple(0 if d.type is None else d.type.code for d in self.drives[:2])

    # -- the chip -----------------------------------------------------------------------
    def attach(self, bus):
        bus.claim("floppy controller", FDC_BASE, 6, self._read, self._write)
        bus.claim("floppy controller DIR/CCR", DIR_PORT, 1, self._read, self._write)

    def reset(self):
        """The RESET line: every register to its power-on value; DOR = 0 holds the
        controller in reset until software writes the DOR."""
        self.dor = 0
        self.tdr = 0
        self.rate = RATE_250K
        self.precomp = 0
        self.power_down = False
        self.srt = self.hut = self.hlt = 0
        self.nd = False
        self.locked = False
        self.config = CFG_RESET
        self.pretrk = 0
        self.perpendicular = 0
        self.last_eot = 0
        for d in self.drives:
            d.motor = False
        self._soft_reset()

    def _soft_reset(self):
        """What a DOR or DSR reset clears (data sheet: SPECIFY, data rate and the
        locked CONFIGURE fields survive; perpendicular GAP/WGATE clear)."""
        self._abort_job()
        self.exec_timer.cancel()
        self.poll_timer.cancel()
        for t in self.seek_timers:
            t.cancel()
        self.phase = "idle"
        self.cmd = bytearray()
        self.cmd_len = 0
        self.results = deque()
        self.int_pending = False
        self.sense = deque()          # (ST0, drive) for SENSE INTERRUPT STATUS
        self.busy = 0                 # MSR drive busy bits
        self.seek_st0 = [0] * DRIVES  # ST0 each running seek will report
        self.pcn = [0] * DRIVES
        keep = self.config & CFG_LOCKED if self.locked else CFG_RESET & CFG_LOCKED
        self.config = (CFG_RESET & ~CFG_LOCKED) | keep
        if not self.locked:
            self.pretrk = 0
        self.perpendicular &= 0x3C
        self.pio = None               # non-DMA execution: [buffer, position, to_host]
        self._update_irq()

    def _leave_reset(self):
        """Polling mode is on after every reset: INT with four "ready changed" drives."""
        self.sense = deque((ST0_IC_POLL | d, d) for d in range(DRIVES))
        self.poll_timer.arm_in(POLL_NS)

    def _poll_interrupt(self):
        self._interrupt()

    @property
    def in_reset(self):
        return not self.dor & DOR_NRESET

    # -- interrupt and DMA request outputs ---------------------------------------------
    def _update_irq(self):
        self.irq.set(self.int_pending and bool(self.dor & DOR_DMA))

    def _interrupt(self):
        self.int_pending = True
        self._update_irq()

    def _clear_interrupt(self):
        self.int_pending = False
        self._update_irq()

    # -- ports --------------------------------------------------------------------------
    def _read(self, port, size):
        reg = port - FDC_BASE
        if reg == 2:
            return self.dor
        if reg == 3:
            return self.tdr
        if reg == 4:
            return self._msr()
        if reg == 5:
            return self._read_fifo()
        if reg == 7:
            return self._dir()
        return 0xFF                   # SRA/SRB: PS/2 modes only

    def _write(self, port, value, size):
        reg = port - FDC_BASE
        if reg == 2:
            self._write_dor(value)
        elif reg == 3:
            self.tdr = value & 3
        elif reg == 4:
            self._write_dsr(value)
        elif reg == 5:
            self._write_fifo(value)
        elif reg == 7:
            self.rate = value & RATE_MASK

    def _write_dor(self, value):
        was_reset = self.in_reset
        self.dor = value
        for n, d in enumerate(self.drives):
            d.motor = bool(value & (DOR_MOTOR << n))
        if self.in_reset:
            if not was_reset:
                self._soft_reset()
        elif was_reset:
            self._leave_reset()
        self._update_irq()
        if value & DOR_DMA and self.waiting == _Wait.DMA:
            self._resume()

    def _write_dsr(self, value):
        self.rate = value & RATE_MASK
        self.precomp = value >> 2 & 7
        self.power_down = bool(value & DSR_POWERDOWN)
        if value & DSR_RESET and not self.in_reset:
            self._soft_reset()
            self._leave_reset()

    def _dir(self):
        d = self.drives[self.dor & DOR_SELECT]
        selected = d.type is not None and d.motor
        return DIR_DSKCHG if selected and d.changed else 0

    def _msr(self):
        if self.in_reset:
            return 0
        busy = self.busy
        if self.phase == "idle":
            return MSR_RQM | busy
        if self.phase == "command":
            return MSR_RQM | MSR_CB | busy
        if self.phase == "result":
            return MSR_RQM | MSR_DIO | MSR_CB | busy
        if self.pio is not None:      # non-DMA execution phase
            ready = MSR_RQM | (MSR_DIO if self.pio[2] else 0)
            return ready | MSR_NDMA | MSR_CB | busy
        return MSR_CB | busy

    def _read_fifo(self):
        if self.in_reset:
            return 0
        if self.phase == "result":
            value = self.results.popleft()
            self._clear_interrupt()
            if not self.results:
                self.phase = "idle"
            return value
        pio = self.pio
        if pio is not None and pio[2]:
            buf, pos = pio[0], pio[1]
            pio[1] = pos + 1
            self._pio_byte_done(pio)
            return buf[pos]
        return 0

    def _write_fifo(self, value):
        if self.in_reset:
            return
        if self.phase == "idle":
            self._clear_interrupt_for_command()
            n = _command_length(value)
            if n is None:
                self._result((ST0_IC_INVALID,), interrupt=False)
                return
            self.cmd = bytearray((value,))
            self.cmd_len = n
            self.phase = "command"
        elif self.phase == "command":
            self.cmd.append(value)
        else:
            pio = self.pio
            if pio is not None and not pio[2]:
                pio[0][pio[1]] = value
                pio[1] += 1
                self._pio_byte_done(pio)
            return
        if len(self.cmd) == self.cmd_len:
            self._execute()

    def _clear_interrupt_for_command(self):
        """A new command clears an interrupt of a finished command's result phase;
        seek and polling interrupts wait for SENSE INTERRUPT STATUS."""
        if not self.sense:
            self._clear_interrupt()

    # -- command dispatch ----------------------------------------------------------------
    def _execute(self):
        op = self.cmd[0]
        base = op & 0x1F
        if base in (CMD_READ, CMD_READ_DELETED, CMD_WRITE, CMD_WRITE_DELETED,
                    CMD_VERIFY, CMD_READ_TRACK):
            self._start(self._data_command(base))
        elif base == CMD_FORMAT:
            self._start(self._format())
        elif base == CMD_READ_ID:
            self._start(self._read_id())
        elif base == CMD_SEEK:
            self._seek()
        elif base == CMD_RECALIBRATE:
            self._recalibrate()
        elif base == CMD_SENSE_INT:
            self._sense_interrupt()
        elif base == CMD_SENSE_DRIVE:
            self._result((self._st3(self.cmd[1] & 3, self.cmd[1] >> 2 & 1),),
                         interrupt=False)
        elif base == CMD_SPECIFY:
            self.srt, self.hut = self.cmd[1] >> 4, self.cmd[1] & 0x0F
            self.hlt, self.nd = self.cmd[2] >> 1, bool(self.cmd[2] & 1)
            self.phase = "idle"
        elif base == CMD_CONFIGURE:
            self.config = self.cmd[2] & 0x7F
            self.pretrk = self.cmd[3]
            self.phase = "idle"
        elif base == CMD_PERPENDICULAR:
            value = self.cmd[1]
            keep = 0x3C if not value & 0x80 else 0
            self.perpendicular = (self.perpendicular & keep) | (value & (0x3F & ~keep))
            self.phase = "idle"
        elif base == CMD_LOCK:
            self.locked = bool(op & 0x80)
            self._result((0x10 if self.locked else 0,), interrupt=False)
        elif base == CMD_VERSION:
            self._result((VERSION_82077,), interrupt=False)
        elif base == CMD_DUMPREG:
            self._result((*self.pcn, self.srt << 4 | self.hut, self.hlt << 1 | self.nd,
                          self.last_eot, (0x80 if self.locked else 0) | self.perpendicular,
                          self.config, self.pretrk), interrupt=False)

    def _result(self, values, interrupt=True):
        self.results = deque(v & 0xFF for v in values)
        self.phase = "result"
        self.pio = None
        if interrupt:
            self._interrupt()

    def _st3(self, ds, hds):
        d = self.drives[ds]
        wp = d.media is None or d.media.readonly
        t0 = d.type is not None and d.track == 0
        return ((ST3_WP if wp else 0) | ST3_RDY | (ST3_T0 if t0 else 0) | ST3_TS
                | hds << 2 | ds)

    # -- seeks -------------------------------------------------------------------------
    def _step(self, ds, steps):
        """Send |steps| step pulses (positive: in) to a drive; the head stops at its
        end stops. A pulse with a disk in and the motor on resets the change line."""
        d = self.drives[ds]
        if d.type is None or steps == 0:
            return
        if d.media is not None and d.motor:
            d.changed = False
        d.track = min(max(d.track + steps, 0), d.type.tracks - 1)

    def _seek_started(self, ds, st0, steps):
        self.busy |= 1 << ds
        self.phase = "idle"
        self.seek_st0[ds] = st0
        self.seek_timers[ds].arm_in(SETTLE_NS + STEP_NS * steps)

    def _seek_done_cb(self, ds):
        def done():
            self.sense.append((self.seek_st0[ds], ds))
            self._interrupt()
        return done

    def _seek(self):
        op, sel, arg = self.cmd
        ds, hds = sel & 3, sel >> 2 & 1
        if op & 0x80:                 # RELATIVE SEEK
            steps = arg if op & REL_SEEK_DIR else -arg
            self.pcn[ds] = (self.pcn[ds] + steps) & 0xFF
        else:
            steps = arg - self.pcn[ds]
            self.pcn[ds] = arg
        self._step(ds, steps)
        self._seek_started(ds, ST0_SE | hds << 2 | ds, abs(steps))

    def _recalibrate(self):
        ds = self.cmd[1] & 3
        d = self.drives[ds]
        self.pcn[ds] = 0
        if d.type is None:            # no track 0 signal ever comes
            self._seek_started(ds, ST0_IC_ABNORMAL | ST0_SE | ST0_EC | ds, RECAL_STEPS)
            return
        steps = min(d.track, RECAL_STEPS)
        self._step(ds, -steps)
        st0 = ST0_SE | ds if d.track == 0 else ST0_IC_ABNORMAL | ST0_SE | ST0_EC | ds
        self._seek_started(ds, st0, steps)

    def _sense_interrupt(self):
        if not self.sense:
            self._result((ST0_IC_INVALID,), interrupt=False)
            return
        st0, ds = self.sense.popleft()
        self.busy &= ~(1 << ds)
        self._clear_interrupt()
        self._result((st0, self.pcn[ds]), interrupt=False)

    # -- running commands (generators that yield what they wait for) ------------------
    def _start(self, job):
        self.phase = "execute"
        self.job = job
        self._resume()

    def _abort_job(self):
        if self.job is not None:
            self.job.close()
        self.job = None
        self.waiting = None
        self.dma.release()

    def _resume(self):
        job = self.job
        if job is None or self._running:
            return
        self._running = True
        try:
            self.waiting = next(job)
        except StopIteration:
            self.job = None
            self.waiting = None
        finally:
            self._running = False
        if self.waiting == _Wait.DMA:
            self.dma.request(self._dma_ready)
        else:
            self.dma.release()

    def _resume_time(self):
        if self.waiting == _Wait.TIME:
            self._resume()

    def _dma_ready(self):
        if self.waiting == _Wait.DMA:
            self._resume()

    def _delay(self, ns):
        self.exec_timer.arm_in(ns)
        yield _Wait.TIME

    def _to_host(self, data):
        """Give a sector to the host; returns True when TC ended the transfer."""
        if self.nd:
            yield from self._pio(bytearray(data), to_host=True)
            return False
        off = 0
        while True:
            if self.dor & DOR_DMA:
                off += self.dma.transfer_to_memory(data[off:])
                if self.dma.terminal_count:
                    return True
                if off >= len(data):
                    return False
            yield _Wait.DMA

    def _from_host(self, n):
        """Take n bytes from the host (zero-padded when TC ends it early);
        returns (data, tc)."""
        if self.nd:
            buf = bytearray(n)
            yield from self._pio(buf, to_host=False)
            return bytes(buf), False
        data = bytearray()
        while True:
            if self.dor & DOR_DMA:
                data += self.dma.transfer_from_memory(n - len(data))
                if self.dma.terminal_count:
                    return bytes(data.ljust(n, b"\0")), True
                if len(data) >= n:
                    return bytes(data), False
            yield _Wait.DMA

    def _pio(self, buf, to_host):
        self.pio = [buf, 0, to_host]
        self._interrupt()
        while self.pio[1] < len(buf):
            yield _Wait.HOST
        self.pio = None
        self._clear_interrupt()

    def _pio_byte_done(self, pio):
        """A byte went through the FIFO: INT drops, and rises again for the next."""
        self._clear_interrupt()
        if pio[1] >= len(pio[0]):
            self._resume()
        else:
            self._interrupt()

    # -- media checks ----------------------------------------------------------------
    def _track_error(self, ds, hds, mfm):
        """ST1 bits when no sector ID can be found on the track under the head."""
        d = self.drives[ds]
        m = d.media
        if d.type is None or m is None or not mfm:
            return ST1_MA
        g = m.geometry
        if self.rate != m.rate_in(d.type) or d.track >= g.cylinders or hds >= g.heads:
            return ST1_MA
        return 0

    def _find(self, ds, hds, c, h, r, n):
        """(ST1, ST2, lba) for sector ID (c, h, r, n) on the track under the head."""
        d = self.drives[ds]
        g = d.media.geometry
        if c != d.track:
            return ST1_ND, ST2_WC, None
        if h != hds or n != SECTOR_N or not 1 <= r <= g.spt:
            return ST1_ND, 0, None
        return 0, 0, (d.track * g.heads + hds) * g.spt + r - 1

    def _implied_seek(self, ds, c):
        if self.config & CFG_EIS:
            self._step(ds, c - self.pcn[ds])
            self.pcn[ds] = c

    # -- data commands --------------------------------------------------------------
    def _data_command(self, kind):
        b = self.cmd
        op = b[0]
        mt = bool(op & MT) and kind != CMD_READ_TRACK
        ds, head = b[1] & 3, b[1] >> 2 & 1
        c, h, r, n, eot = b[2], b[3], b[4], b[5], b[6]
        sc = b[8]                                   # VERIFY with EC=1: sector count
        counted = kind == CMD_VERIFY and bool(b[1] & 0x80)
        self.last_eot = eot
        yield from self._delay(EXEC_NS)
        self._implied_seek(ds, c)
        d = self.drives[ds]
        st1 = self._track_error(ds, head, op & MFM)
        if st1:
            return self._data_result(ST0_IC_ABNORMAL, st1, 0, ds, head, c, h, r, n)
        writing = kind in (CMD_WRITE, CMD_WRITE_DELETED)
        if writing and d.media.readonly:
            return self._data_result(ST0_IC_ABNORMAL, ST1_NW, 0, ds, head, c, h, r, n)
        if kind == CMD_READ_TRACK:
            r = 1
        image = d.media.image
        st1_flags = st2_flags = 0                  # READ TRACK's mismatching IDs
        done = 0
        while True:
            st1, st2, lba = self._find(ds, head, c, h, r, n)
            g = d.media.geometry
            if st1 and kind == CMD_READ_TRACK and r <= g.spt:
                # READ TRACK reads the sectors in track order: a mismatching ID is
                # noted (ND) but the sector is read anyway
                st1_flags |= st1
                st2_flags |= st2
                st1 = st2 = 0
                lba = (d.track * g.heads + head) * g.spt + r - 1
            if st1:
                return self._data_result(ST0_IC_ABNORMAL, st1, st2, ds, head, c, h, r, n)
            tc = False
            if kind == CMD_READ_DELETED:
                if op & SK:
                    pass                            # a normal data mark: skipped
                else:
                    yield from self._to_host(image.read(lba, 1))
                    c, h, r, head, _ = self._next_id(mt, c, h, r, eot, head)
                    return self._data_result(0, 0, ST2_CM, ds, head, c, h, r, n)
            elif kind in (CMD_READ, CMD_READ_TRACK):
                tc = yield from self._to_host(image.read(lba, 1))
            elif writing:
                data, tc = yield from self._from_host(SECTOR)
                image.write(lba, data)
            done += 1
            if counted and done == sc:
                tc = True
            c, h, r, head, end = self._next_id(mt, c, h, r, eot, head)
            if tc or end and kind == CMD_VERIFY and not counted:
                ic = ST0_IC_ABNORMAL if st1_flags else 0
                return self._data_result(ic, st1_flags, st2_flags, ds, head, c, h, r, n)
            if end:
                return self._data_result(ST0_IC_ABNORMAL, ST1_EN | st1_flags, st2_flags,
                                         ds, head, c, h, r, n)

    @staticmethod
    def _next_id(mt, c, h, r, eot, head):
        """The ID after sector r, and whether the transfer ran off its end (EOT on
        the last side): data sheet table "ID information at result phase"."""
        if r != eot:
            return c, h, (r + 1) & 0xFF, head, False
        if mt and head == 0:
            return c, h ^ 1, 1, 1, False
        return (c + 1) & 0xFF, h ^ 1 if mt else h, 1, head, True

    def _data_result(self, ic, st1, st2, ds, head, c, h, r, n):
        self._result((ic | head << 2 | ds, st1, st2, c, h, r, n))

    def _read_id(self):
        ds, head = self.cmd[1] & 3, self.cmd[1] >> 2 & 1
        yield from self._delay(EXEC_NS)
        d = self.drives[ds]
        st1 = self._track_error(ds, head, self.cmd[0] & MFM)
        if st1:
            return self._data_result(ST0_IC_ABNORMAL, st1, 0, ds, head, 0, 0, 0, 0)
        r = self._sector_under_head(d)
        self._data_result(0, 0, 0, ds, head, d.track, head, r, SECTOR_N)

    def _sector_under_head(self, d):
        """The next sector ID to pass the head, from the disk's rotation in guest time."""
        spt = d.media.geometry.spt
        rev_ns = 60_000_000_000 // d.type.rpm
        return self.clock.now() % rev_ns * spt // rev_ns + 1

    def _format(self):
        _, sel, n, sc, _gap3, fill = self.cmd
        ds, head = sel & 3, sel >> 2 & 1
        self.last_eot = sc
        yield from self._delay(EXEC_NS)
        d = self.drives[ds]
        st1 = self._track_error(ds, head, self.cmd[0] & MFM)
        if not st1 and d.media.readonly:
            st1 = ST1_NW
        elif not st1 and (n != SECTOR_N or sc > d.media.geometry.spt):
            st1 = ST1_MA
        if st1:
            return self._data_result(ST0_IC_ABNORMAL, st1, 0, ds, head, 0, 0, 0, n)
        g = d.media.geometry
        sector = bytes((fill,)) * SECTOR
        idc = idh = idr = 0
        for _ in range(sc):
            ident, tc = yield from self._from_host(4)
            idc, idh, idr, idn = ident
            if idn == SECTOR_N and 1 <= idr <= g.spt:
                d.media.image.write((d.track * g.heads + head) * g.spt + idr - 1, sector)
        self._data_result(0, 0, 0, ds, head, idc, idh, idr, n)


def _command_length(op):
    """Bytes in the command phase of opcode op, or None when it is invalid."""
    base = op & 0x1F
    if base in (CMD_READ, CMD_READ_DELETED, CMD_VERIFY):
        return 9
    if base in (CMD_WRITE, CMD_WRITE_DELETED) and not op & SK:
        return 9
    if op & ~MFM == CMD_READ_TRACK:
        return 9
    if op & ~MFM == CMD_FORMAT:
        return 6
    if op & ~MFM == CMD_READ_ID:
        return 2
    if op & ~REL_SEEK_DIR == 0x80 | CMD_SEEK:
        return 3
    if op & 0x7F == CMD_LOCK:
        return 1
    return {CMD_SPECIFY: 3, CMD_SENSE_DRIVE: 2, CMD_RECALIBRATE: 2, CMD_SENSE_INT: 1,
            CMD_SEEK: 3, CMD_DUMPREG: 1, CMD_VERSION: 1, CMD_PERPENDICULAR: 2,
            CMD_CONFIGURE: 4}.get(op)
