"""An ATAPI CD/DVD-ROM drive: the PACKET command protocol on an IDE channel and the
MMC commands a BIOS, Linux's sr/cdrom drivers and installers use.

PACKET protocol (ATA/ATAPI-6 9.8 and 9.9, SFF-8020i): after the A0h command the
drive asks for the 12-byte command packet (DRQ=1, interrupt reason CoD=1 IO=0, no
interrupt: IDENTIFY PACKET DEVICE word 0 says "DRQ within 50 us"). A data-in command
answers in DRQ blocks no larger than the byte count limit the host put in LBA
mid/high before A0h (an odd limit is rounded down to an even size; 0 is taken as
the largest even count); each block is announced with IO=1 CoD=0, its byte count in
LBA mid/high, and an interrupt. Completion is IO=1 CoD=1, DRDY, an interrupt, and
CHK (ERR) with the sense key in the error register's high nibble when the command
failed. With features bit 0 set the data moves through the bus master instead.

Sense data (SPC/MMC fixed format, returned by REQUEST SENSE): NOT READY / MEDIUM NOT
PRESENT (02/3A, qualifier 01 tray closed, 02 tray open), UNIT ATTENTION / NOT READY
TO READY CHANGE (06/28) once after a medium arrives, ILLEGAL REQUEST (05) with
invalid command opcode 20, LBA out of range 21, invalid field in CDB 24, saving
parameters not supported 39, medium removal prevented 53/02. The unit attention is
reported by the first command that is not INQUIRY, REQUEST SENSE, GET CONFIGURATION
or GET EVENT STATUS NOTIFICATION (those never fail because of it, MMC-3 4.1.6.1).

The disc is a DiskImage of 2048-byte sectors shown as one data track (track 1 at LBA
0, control 4) in one complete session; a disc larger than a 90-minute CD reports the
DVD-ROM profile. The host changes discs with insert(image)/eject(); START STOP UNIT
opens and closes the tray (keeping the disc in it) unless PREVENT ALLOW MEDIUM
REMOVAL locked it.
"""
import struct

from hw.ata import (Device, DmaRequest, ER_ABRT, REG_LBAH, REG_LBAM, REG_NSECT, ST_DRDY,
                    ST_DRQ, Source, ata_string, identify_checksum, page_bytes)

CD_SECTOR = 2048
IR_COD, IR_IO = 0x01, 0x02               # interrupt reason (sector count register)
PACKET_SIZE = 12
CD_MAX_SECTORS = 405000                  # 90 minutes of 75 frames a second

NO_SENSE, NOT_READY, ILLEGAL_REQUEST, UNIT_ATTENTION = 0x0, 0x2, 0x5, 0x6
ASC_INVALID_OPCODE, ASC_LBA_RANGE, ASC_INVALID_FIELD = 0x20, 0x21, 0x24
ASC_SAVING, ASC_REMOVAL_PREVENTED, ASC_NO_MEDIUM, ASC_MEDIUM_CHANGED = 0x39, 0x53, 0x3A, 0x28

EV_NONE, EV_NEW_MEDIA, EV_MEDIA_REMOVAL = 0, 2, 3
PROFILE_CDROM, PROFILE_DVDROM = 0x0008, 0x0010


class Sense(Exception):
    """The command ends with CHECK CONDITION and this sense key/ASC/ASCQ."""

    def __init__(self, key, asc, ascq=0):
        super().__init__(key, asc, ascq)
        self.sense = (key, asc, ascq)


def be16(b):
    return (b[0] << 8) | b[1]


def be32(b):
    return int.from_bytes(b[:4], "big")


def msf(lba):
    """Minute/second/frame of a logical block (the 2-second lead-in pregap)."""
    f = lba + 150
    return f // 4500, (f // 75) % 60, f % 75


def address(lba, use_msf):
    if use_msf:
        m, s, f = msf(lba)
        return bytes((0, m, s, f))
    return struct.pack(">I", lba & 0xFFFFFFFF)


class AtapiCdrom(Device):
    """An ATAPI CD/DVD-ROM drive holding `image` (2048-byte sectors) or no disc."""

    is_packet = True
    SIGNATURE = (0x14, 0xEB)
    MODEL = "PYX86 DVD-ROM"
    VENDOR = "PYX86"
    FIRMWARE = "1.0"

    def __init__(self, image=None, serial="PYX86-CD01"):
        self.serial = serial
        self.image = None
        self.tray_image = None           # a disc in the open tray
        self.tray_open = False
        self.locked = False
        self.unit_attention = False
        self.media_event = EV_NONE
        if image is not None:
            self._check_image(image)
            self.image = image
        super().__init__()

    def power_on(self):
        self.sense = (NO_SENSE, 0, 0)
        self.locked = False
        self.mode_mwdma, self.mode_udma = 2, None
        self.dma_packet = False
        self._src = None
        super().power_on()

    @staticmethod
    def _check_image(image):
        if image.sector_size != CD_SECTOR:
            raise ValueError("a CD-ROM image needs 2048-byte sectors")

    # -- the host's side ----------------------------------------------------------------
    def insert(self, image):
        """Put a disc in (closing the tray); the guest sees a media change."""
        self._check_image(image)
        self.image = image
        self.tray_image = None
        self.tray_open = False
        self.unit_attention = True
        self.media_event = EV_NEW_MEDIA

    def eject(self):
        """Take the disc out (the user's eject wins over the guest's lock)."""
        old = self.image or self.tray_image
        self.image = self.tray_image = None
        self.media_event = EV_MEDIA_REMOVAL
        return old

    # -- status ---------------------------------------------------------------------------
    def reset_status(self):
        return 0                         # PACKET devices clear DRDY after a reset

    def ready_status(self):
        return ST_DRDY

    # -- ATA commands --------------------------------------------------------------------
    def cmd_identify_packet(self, cmd):
        self.pio_in(page_bytes(self.identify_words()), lambda: self.complete(irq=False))
        self.interrupt()

    def cmd_not_ata(self, cmd):
        """ATA-only commands abort and show the PACKET signature, so a host can tell
        what answered (ATA-6 8.15 / 8.27: IDENTIFY DEVICE, READ SECTORS)."""
        self.set_signature()
        self.abort()

    def cmd_device_reset(self, cmd):
        self.reset_begin()
        self.reset_end()

    def cmd_set_features(self, cmd):
        if self.features == 0x03:
            mode = self.regs[REG_NSECT]
            kind, n = mode >> 3, mode & 7
            if kind == 4 and n <= 2:
                self.mode_mwdma, self.mode_udma = n, None
            elif kind == 8 and n <= 5:
                self.mode_mwdma, self.mode_udma = None, n
            elif not (mode in (0, 1) or (kind == 1 and n <= 4)):
                return self.abort()
        self.complete()

    def cmd_check_power(self, cmd):
        self.regs[REG_NSECT] = 0xFF
        self.complete()

    def cmd_nodata(self, cmd):
        self.complete()

    def identify_words(self):
        """IDENTIFY PACKET DEVICE (ATA-6 8.16, table 37)."""
        w = [0] * 256
        # ATAPI, CD-ROM device type 5, removable, DRQ within 50 us, 12-byte packets
        w[0] = 0x8000 | (0x05 << 8) | 0x80 | 0x40
        w[10:20] = ata_string(self.serial, 20)
        w[23:27] = ata_string(self.FIRMWARE, 8)
        w[27:47] = ata_string(self.MODEL, 40)
        w[49] = 0x0F00                   # IORDY, IORDY disable, LBA, DMA
        w[50] = 0x4000
        w[53] = 0x0006                   # words 64-70 and 88 valid
        w[63] = 0x0007 | ((1 << (8 + self.mode_mwdma)) if self.mode_mwdma is not None
                          else 0)
        w[64] = 0x0003
        w[65] = w[66] = w[67] = w[68] = 120
        w[80] = 0x007E
        w[82] = 0x4210                   # NOP, DEVICE RESET, PACKET
        w[83] = 0x4000
        w[84] = 0x4000
        w[85] = 0x4210
        w[87] = 0x4000
        w[88] = 0x003F | ((1 << (8 + self.mode_udma)) if self.mode_udma is not None
                          else 0)
        w[93] = 0x6000 | (0x0B00 if self.unit else 0x000B)
        identify_checksum(w)
        return w

    # -- the PACKET command -------------------------------------------------------------
    def cmd_packet(self, cmd):
        self.dma_packet = bool(self.features & 1)
        self.regs[REG_NSECT] = IR_COD
        self.pio_out(PACKET_SIZE, self._packet_received)

    def _packet_received(self, cdb):
        limit = self.regs[REG_LBAM] | (self.regs[REG_LBAH] << 8)
        try:
            reply = self.execute(cdb)
        except Sense as e:
            return self._fail(e.sense)
        if reply is None or not reply.remaining:
            return self._finish()
        if self.dma_packet:
            self.regs[REG_NSECT] = IR_IO
            self.status = ST_DRDY | ST_DRQ
            self.channel.dma_start(self, DmaRequest(True, reply.remaining, self._finish,
                                                    source=reply))
            return
        self._src = reply
        self._limit = (limit & ~1) or 0xFFFE
        self._send_block()

    def _send_block(self):
        n = min(self._src.remaining, self._limit)
        self.regs[REG_LBAM], self.regs[REG_LBAH] = n & 0xFF, n >> 8
        self.regs[REG_NSECT] = IR_IO
        self.pio_in(self._src.take(n), self._block_sent)
        self.interrupt()

    def _block_sent(self):
        if self._src.remaining:
            self._send_block()
        else:
            self._src = None
            self._finish()

    def _finish(self):
        self.regs[REG_NSECT] = IR_IO | IR_COD
        self.complete()

    def _fail(self, sense):
        self.sense = sense
        self.regs[REG_NSECT] = IR_IO | IR_COD
        self.abort((sense[0] << 4) | (ER_ABRT if sense[1] == ASC_INVALID_OPCODE else 0))

    # -- MMC commands ---------------------------------------------------------------------
    def execute(self, cdb):
        """Run one command packet: None (no data), a Source (data for the host), or
        raise Sense."""
        op = cdb[0]
        handler = PACKET_COMMANDS.get(op)
        if handler is None:
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_OPCODE)
        if self.unit_attention and op not in (0x03, 0x12, 0x46, 0x4A):
            self.unit_attention = False
            raise Sense(UNIT_ATTENTION, ASC_MEDIUM_CHANGED)
        result = handler(self, cdb)
        if op != 0x03:
            self.sense = (NO_SENSE, 0, 0)
        if result is None or isinstance(result, Source):
            return result
        return Source(self, data=result)

    def _medium(self):
        if self.image is None:
            raise Sense(NOT_READY, ASC_NO_MEDIUM, 2 if self.tray_open else 1)
        return self.image

    @staticmethod
    def _cut(data, alloc):
        return bytes(data[:alloc])

    def _read_range(self, lba, count):
        image = self._medium()
        if lba + count > image.sectors:
            raise Sense(ILLEGAL_REQUEST, ASC_LBA_RANGE)
        if not count:
            return None
        return Source(self, image=image, lba=lba, count=count)

    def pkt_test_unit_ready(self, cdb):
        self._medium()

    def pkt_request_sense(self, cdb):
        key, asc, ascq = self.sense
        if key == NO_SENSE and self.unit_attention:
            self.unit_attention = False
            key, asc, ascq = UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0
        self.sense = (NO_SENSE, 0, 0)
        data = bytearray(18)
        data[0] = 0x70                   # current error, fixed format
        data[2] = key
        data[7] = 10                     # additional sense length
        data[12], data[13] = asc, ascq
        return self._cut(data, cdb[4])

    def pkt_inquiry(self, cdb):
        if cdb[1] & 1:                   # vital product data pages: not supported
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        data = bytearray(36)
        data[0] = 0x05                   # CD/DVD device
        data[1] = 0x80                   # removable medium
        data[2] = 0x00                   # no claim of conformance to a SCSI standard
        data[3] = 0x21                   # ATAPI transport version 2, response format 1
        data[4] = 31
        data[8:16] = self.VENDOR.encode().ljust(8)
        data[16:32] = self.MODEL.encode().ljust(16)
        data[32:36] = self.FIRMWARE.encode().ljust(4)
        return self._cut(data, be16(cdb[3:5]))

    def pkt_read_capacity(self, cdb):
        image = self._medium()
        return struct.pack(">II", image.sectors - 1, CD_SECTOR)

    def pkt_read10(self, cdb):
        return self._read_range(be32(cdb[2:6]), be16(cdb[7:9]))

    def pkt_read12(self, cdb):
        return self._read_range(be32(cdb[2:6]), be32(cdb[6:10]))

    def pkt_read_cd(self, cdb):
        sector_type = (cdb[1] >> 2) & 7
        if sector_type not in (0, 2):    # any type, or mode 1: what a data disc has
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        lba = be32(cdb[2:6])
        count = int.from_bytes(cdb[6:9], "big")
        fields = cdb[9] & 0xF8
        if fields not in (0, 0x10):      # user data only: no sync, headers, EDC/ECC
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        source = self._read_range(lba, count)
        return source if fields else None

    def pkt_seek(self, cdb):
        if be32(cdb[2:6]) >= self._medium().sectors:
            raise Sense(ILLEGAL_REQUEST, ASC_LBA_RANGE)

    # -- MODE SENSE -------------------------------------------------------------------------
    def _page_error_recovery(self, changeable):
        page = bytearray(12)
        page[0], page[1] = 0x01, 10
        if not changeable:
            page[3] = 5                  # read retry count
        return page

    def _page_capabilities(self, changeable):
        """The CD/DVD capabilities and mechanical status page (MMC-2 5.5.10)."""
        page = bytearray(20)
        page[0], page[1] = 0x2A, 18
        if changeable:
            return page
        page[2] = 0x0B                   # reads CD-R, CD-RW, DVD-ROM
        page[4] = 0x70                   # mode 2 form 1 and 2, multi-session
        page[6] = 0x29 | (0x02 if self.locked else 0)   # tray, eject, lock (state)
        struct.pack_into(">HHHH", page, 8, 2822, 256, 512, 2822)   # 16x, volume
        return page                      # levels, buffer KiB, current speed

    def _mode_sense(self, cdb, ten):
        control, code = cdb[2] >> 6, cdb[2] & 0x3F
        alloc = be16(cdb[7:9]) if ten else cdb[4]
        if control == 3:
            raise Sense(ILLEGAL_REQUEST, ASC_SAVING)
        pages = {0x01: self._page_error_recovery, 0x2A: self._page_capabilities}
        if code == 0x3F:
            body = b"".join(bytes(make(control == 1)) for make in pages.values())
        elif code in pages:
            body = bytes(pages[code](control == 1))
        else:
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        if self.image is not None:
            medium = 0x01                # 120 mm CD-ROM, data only
        else:
            medium = 0x71 if self.tray_open else 0x70
        if ten:
            header = struct.pack(">HBBHH", len(body) + 6, medium, 0, 0, 0)
        else:
            header = bytes((len(body) + 3, medium, 0, 0))
        return self._cut(header + body, alloc)

    def pkt_mode_sense6(self, cdb):
        return self._mode_sense(cdb, False)

    def pkt_mode_sense10(self, cdb):
        return self._mode_sense(cdb, True)

    # -- table of contents and disc information ------------------------------------------
    def pkt_read_toc(self, cdb):
        image = self._medium()
        use_msf = bool(cdb[1] & 2)
        fmt = cdb[2] & 0x0F or cdb[9] >> 6     # older hosts put it in the control byte
        track = cdb[6]
        alloc = be16(cdb[7:9])

        def entry(number, lba):
            return bytes((0, 0x14, number, 0)) + address(lba, use_msf)

        if fmt == 0:
            if 1 < track < 0xAA or track > 0xAA:
                raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
            body = (entry(1, 0) if track <= 1 else b"") + entry(0xAA, image.sectors)
        elif fmt == 1:                   # multi-session: first track of the last session
            body = entry(1, 0)
        elif fmt == 2:                   # raw TOC: points A0, A1, A2 and track 1
            body = b""
            for point, (pm, ps, pf) in ((0xA0, (1, 0, 0)), (0xA1, (1, 0, 0)),
                                        (0xA2, msf(image.sectors)), (1, msf(0))):
                body += bytes((1, 0x14, 0, point, 0, 0, 0, 0, pm, ps, pf))
        else:
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        return self._cut(struct.pack(">HBB", len(body) + 2, 1, 1) + body, alloc)

    def pkt_read_subchannel(self, cdb):
        self._medium()
        use_msf = bool(cdb[1] & 2)
        alloc = be16(cdb[7:9])
        body = b""
        if cdb[2] & 0x40:                # SubQ data wanted
            fmt = cdb[3]
            if fmt == 1:                 # current position: the start of the data track
                body = bytes((1, 0x14, 1, 1)) + address(0, use_msf) + address(0, use_msf)
            elif fmt in (2, 3):          # no media catalogue number / ISRC (not valid)
                body = bytes((fmt,)) + bytes(19 if fmt == 2 else 23)
            else:
                raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        header = struct.pack(">BBH", 0, 0x15, len(body))    # no current audio status
        return self._cut(header + body, alloc)

    def pkt_read_disc_info(self, cdb):
        self._medium()
        data = bytearray(34)
        struct.pack_into(">H", data, 0, 32)
        data[2] = 0x0E                   # last session complete, disc complete
        data[3] = data[4] = data[5] = data[6] = 1
        data[7] = 0x20                   # unrestricted use
        data[8] = 0x00                   # CD-DA or CD-ROM
        data[16:24] = b"\xff" * 8        # no lead-in / lead-out times to report
        return self._cut(data, be16(cdb[7:9]))

    # -- features and events ------------------------------------------------------------------
    def current_profile(self):
        if self.image is None:
            return 0
        return PROFILE_DVDROM if self.image.sectors > CD_MAX_SECTORS else PROFILE_CDROM

    def _features(self):
        """(feature code, current, bytes) in code order (MMC-3 5.3)."""
        profile = self.current_profile()
        medium = profile != 0

        def feature(code, version, current, data):
            flags = (version << 2) | 0x02 * (code in (0, 1, 3)) | (1 if current else 0)
            return code, current, struct.pack(">HBB", code, flags, len(data)) + data

        profiles = b"".join(struct.pack(">HBB", p, 1 if p == profile else 0, 0)
                            for p in (PROFILE_DVDROM, PROFILE_CDROM))
        mech = 0x29 | (0x04 if self.locked else 0)     # tray, eject, lock, locked
        return [
            feature(0x0000, 0, True, profiles),
            feature(0x0001, 1, True, struct.pack(">IB3x", 2, 0)),   # ATAPI interface
            feature(0x0003, 0, True, bytes((mech, 0, 0, 0))),
            feature(0x0010, 0, medium, struct.pack(">IHBB", CD_SECTOR, 1, 0, 0)),
            feature(0x001E, 1, profile == PROFILE_CDROM, bytes(4)),
            feature(0x001F, 0, profile == PROFILE_DVDROM, bytes(4)),
        ]

    def pkt_get_configuration(self, cdb):
        rt = cdb[1] & 3
        start = be16(cdb[2:4])
        body = b""
        for code, current, data in self._features():
            if rt == 2:
                if code == start:
                    body += data
            elif code >= start and (rt == 0 or current):
                body += data
        header = struct.pack(">I2xH", len(body) + 4, self.current_profile())
        return self._cut(header + body, be16(cdb[7:9]))

    def pkt_get_event_status(self, cdb):
        if not cdb[1] & 1:               # only polled operation is supported
            raise Sense(ILLEGAL_REQUEST, ASC_INVALID_FIELD)
        alloc = be16(cdb[7:9])
        if not cdb[4] & 0x10:            # no class we support was asked for
            return self._cut(struct.pack(">HBB", 2, 0x80, 0x10), alloc)
        event, self.media_event = self.media_event, EV_NONE
        status = (0x02 if self.image is not None else 0) | (0x01 if self.tray_open else 0)
        return self._cut(struct.pack(">HBB", 6, 0x04, 0x10)
                         + bytes((event, status, 0, 0)), alloc)

    # -- the mechanism ---------------------------------------------------------------------
    def pkt_start_stop(self, cdb):
        loej, start = cdb[4] & 2, cdb[4] & 1
        if not loej:
            return None                  # spin up/down: nothing to do
        if start:                        # close the tray
            if self.tray_open:
                self.tray_open = False
                if self.tray_image is not None:
                    self.image, self.tray_image = self.tray_image, None
                    self.unit_attention = True
                    self.media_event = EV_NEW_MEDIA
            return None
        if self.locked:
            raise Sense(ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 2)
        if self.image is not None:
            self.tray_image, self.image = self.image, None
            self.media_event = EV_MEDIA_REMOVAL
        self.tray_open = True
        return None

    def pkt_prevent_allow(self, cdb):
        self.locked = bool(cdb[4] & 1)

    def pkt_mechanism_status(self, cdb):
        data = struct.pack(">BB3sB2x", 0, 0x10 if self.tray_open else 0, bytes(3), 0)
        return self._cut(data, be16(cdb[8:10]))

    def pkt_nothing(self, cdb):
        """SET CD SPEED: accepted, nothing changes."""


PACKET_COMMANDS = {
    0x00: AtapiCdrom.pkt_test_unit_ready,
    0x03: AtapiCdrom.pkt_request_sense,
    0x12: AtapiCdrom.pkt_inquiry,
    0x1A: AtapiCdrom.pkt_mode_sense6,
    0x1B: AtapiCdrom.pkt_start_stop,
    0x1E: AtapiCdrom.pkt_prevent_allow,
    0x25: AtapiCdrom.pkt_read_capacity,
    0x28: AtapiCdrom.pkt_read10,
    0x2B: AtapiCdrom.pkt_seek,
    0x42: AtapiCdrom.pkt_read_subchannel,
    0x43: AtapiCdrom.pkt_read_toc,
    0x46: AtapiCdrom.pkt_get_configuration,
    0x4A: AtapiCdrom.pkt_get_event_status,
    0x51: AtapiCdrom.pkt_read_disc_info,
    0x5A: AtapiCdrom.pkt_mode_sense10,
    0xA8: AtapiCdrom.pkt_read12,
    0xBB: AtapiCdrom.pkt_nothing,
    0xBD: AtapiCdrom.pkt_mechanism_status,
    0xBE: AtapiCdrom.pkt_read_cd,
}

AtapiCdrom.COMMANDS = {
    0x08: AtapiCdrom.cmd_device_reset,
    0x20: AtapiCdrom.cmd_not_ata,
    0x21: AtapiCdrom.cmd_not_ata,
    0x90: AtapiCdrom.cmd_device_diagnostic,
    0xA0: AtapiCdrom.cmd_packet,
    0xA1: AtapiCdrom.cmd_identify_packet,
    0xE0: AtapiCdrom.cmd_nodata,
    0xE1: AtapiCdrom.cmd_nodata,
    0xE2: AtapiCdrom.cmd_nodata,
    0xE3: AtapiCdrom.cmd_nodata,
    0xE5: AtapiCdrom.cmd_check_power,
    0xE6: AtapiCdrom.cmd_nodata,
    0xEC: AtapiCdrom.cmd_not_ata,
    0xEF: AtapiCdrom.cmd_set_features,
}
