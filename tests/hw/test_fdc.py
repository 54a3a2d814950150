"""The 82077AA driven through its ports the way a BIOS or the Linux floppy driver does,
with DMA channel 2 of hw.dma moving the data."""
import os

import pytest

from emu.diskimage import DiskImage, ImageError
from emu.memory import Memory
from hw import fdc as F
from hw.dma import Dma
from hw.irq import IrqLine
from tests.hw.harness import HandClock, Ports, Wires
from tests.hw.test_dma import program8, unmask_cascade

MIB = 1 << 20
MS = 1_000_000
BUF = 0x10000                           # DMA buffer in guest memory
DOR_ON = 0x1C                           # drive 0, DMA/IRQ gate, not reset, motor 0
MSR, FIFO, DOR, DIR = 0x3F4, 0x3F5, 0x3F2, 0x3F7
DMA_WRITE, DMA_READ = 0x46, 0x4A        # single mode, channel 2: to / from memory


def sector_bytes(lba):
    """Every sector of a test image says where it is."""
    return (b"LBA%06d" % lba).ljust(16, b".") * 32


def make_image(path, size, readonly=False):
    with open(path, "wb") as f:
        for lba in range(size // 512):
            f.write(sector_bytes(lba))
    if readonly:
        os.chmod(path, 0o444)
    return DiskImage(path, readonly=readonly, kind="floppy")


class Rig:
    def __init__(self, tmp_path, size=1474560, readonly=False):
        self.clock = HandClock()
        self.wires = Wires(self.clock)
        self.mem = Memory(4 * MIB)
        self.dma = Dma(self.mem)
        self.fdc = F.Fdc(self.clock, IrqLine(self.wires, 6), self.dma.channel(2))
        self.io = Ports(self.dma, self.fdc)
        unmask_cascade(self.io)
        self.tmp_path = tmp_path
        if size:
            self.image = make_image(tmp_path / "a.img", size, readonly)
            self.fdc.connect(0, F.geometry_of(self.image).drive)
            self.fdc.insert(0, self.image)

    # -- driver-side helpers --------------------------------------------------------
    def msr(self):
        return self.io.inb(MSR)

    def command(self, *values):
        for v in values:
            assert self.msr() & (F.MSR_RQM | F.MSR_DIO) == F.MSR_RQM, hex(self.msr())
            self.io.outb(FIFO, v)

    def result(self):
        out = []
        while self.msr() & (F.MSR_RQM | F.MSR_DIO) == F.MSR_RQM | F.MSR_DIO:
            out.append(self.io.inb(FIFO))
        assert self.msr() & 0xF0 == F.MSR_RQM
        return out

    @property
    def irq(self):
        return self.wires.level(6)

    def wait(self, ms=5):
        self.clock.advance(ms * MS)

    def sense(self):
        self.command(F.CMD_SENSE_INT)
        return self.result()

    def start(self, dor=DOR_ON):
        """Leave reset and take the four polling interrupts, as drivers do."""
        self.io.outb(DOR, 0x00)
        self.io.outb(DOR, dor)
        self.wait()
        assert self.irq
        assert [self.sense() for _ in range(4)] == [[0xC0 | d, 0] for d in range(4)]
        assert not self.irq

    def seek(self, cyl, head=0, drive=0):
        self.command(F.CMD_SEEK, head << 2 | drive, cyl)
        self.wait()
        assert self.irq
        return self.sense()

    def recalibrate(self, drive=0):
        self.command(F.CMD_RECALIBRATE, drive)
        self.wait()
        return self.sense()

    def rw(self, op, c, h, r, eot, drive=0, head=None, n=2):
        head = h if head is None else head
        self.command(op, head << 2 | drive, c, h, r, n, eot, 0x1B, 0xFF)
        self.wait()
        assert self.irq
        res = self.result()
        assert not self.irq
        return res


def lba(c, h, r, heads=2, spt=18):
    return (c * heads + h) * spt + r - 1


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    r.start()
    return r


def test_power_on_holds_reset_until_dor_is_written(tmp_path):
    r = Rig(tmp_path)
    assert r.msr() == 0                          # DOR = 0: in reset
    r.io.outb(DOR, 0x0C)
    assert r.msr() == F.MSR_RQM
    r.wait()
    assert r.irq
    assert r.sense() == [0xC0, 0]                # first sense clears INT
    assert not r.irq
    assert [r.sense() for _ in range(3)] == [[0xC1, 0], [0xC2, 0], [0xC3, 0]]
    assert r.sense() == [0x80]                   # nothing left: invalid


def test_irq_gated_by_dor_dma_bit(tmp_path):
    r = Rig(tmp_path)
    r.io.outb(DOR, 0x04)                         # out of reset, gate closed
    r.wait()
    assert not r.irq
    r.io.outb(DOR, 0x0C)
    assert r.irq


def test_dsr_software_reset(rig):
    rig.command(F.CMD_SPECIFY, 0xAF, 0x02)
    rig.io.outb(MSR, 0x80)                       # DSR reset, 500 kbit/s
    rig.wait()
    assert rig.irq
    assert [rig.sense() for _ in range(4)] == [[0xC0 | d, 0] for d in range(4)]
    rig.command(F.CMD_DUMPREG)
    regs = rig.result()
    assert regs[4:6] == [0xAF, 0x02]             # SPECIFY survives a software reset


def test_version_dumpreg_configure_lock_perpendicular(rig):
    rig.command(F.CMD_VERSION)
    assert rig.result() == [0x90]
    rig.command(F.CMD_SPECIFY, 0xDF, 0x02)
    rig.command(F.CMD_CONFIGURE, 0, 0x57, 0x05)  # EIS, POLL off, FIFO on, thr 7
    rig.command(F.CMD_PERPENDICULAR, 0x87)       # OW: drive 0 perpendicular, GAP, WGATE
    rig.command(0x94)                            # LOCK
    assert rig.result() == [0x10]
    rig.command(F.CMD_DUMPREG)
    assert rig.result() == [0, 0, 0, 0, 0xDF, 0x02, 0, 0x80 | 0x07, 0x57, 0x05]
    rig.io.outb(DOR, 0x08)                       # DOR reset ...
    rig.io.outb(DOR, DOR_ON)                     # ... locked FIFO settings survive
    rig.wait()
    for _ in range(4):
        rig.sense()
    rig.command(F.CMD_DUMPREG)
    assert rig.result()[7:] == [0x80 | 0x04, 0x07, 0x05]
    rig.command(0x14)                            # UNLOCK
    assert rig.result() == [0x00]


def test_invalid_command(rig):
    rig.command(0x1F)
    assert rig.msr() & 0xF0 == F.MSR_RQM | F.MSR_DIO | F.MSR_CB
    assert rig.result() == [0x80]
    assert not rig.irq


def test_recalibrate_and_seek(rig):
    assert rig.recalibrate() == [0x20, 0]
    rig.command(F.CMD_SEEK, 0x04, 40)
    assert rig.msr() == F.MSR_RQM | 0x01         # drive 0 busy seeking, FIFO free
    rig.wait()
    assert rig.irq
    assert rig.sense() == [0x24, 40]
    assert rig.msr() == F.MSR_RQM
    assert rig.fdc.drives[0].track == 40
    rig.command(F.CMD_SENSE_DRIVE, 0)
    assert rig.result() == [0x28]                # RDY, two-sided; not track 0
    rig.command(0xCF, 0x00, 3)                   # relative seek in by 3
    rig.wait()
    assert rig.sense() == [0x20, 43]
    rig.command(0x8F, 0x00, 43)                  # relative seek out by 43
    rig.wait()
    assert rig.sense() == [0x20, 0]
    rig.command(F.CMD_SENSE_DRIVE, 0)
    assert rig.result() == [0x38]                # track 0


def test_recalibrate_after_reset_finds_track_zero(rig):
    rig.seek(70)
    rig.start()                                  # the controller forgets: PCN 0
    assert rig.fdc.drives[0].track == 70
    assert rig.recalibrate() == [0x20, 0]
    assert rig.fdc.drives[0].track == 0


def test_recalibrate_absent_drive_fails(rig):
    assert rig.recalibrate(drive=1) == [0x71, 0]  # abnormal, seek end, equipment check


def test_read_sector_by_dma(rig):
    rig.recalibrate()
    rig.seek(7)
    rig.io.outb(0x3F7, 0)                         # 500 kbit/s for 1.44M
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    res = rig.rw(0xE6, 7, 1, 5, 18, head=1)       # MT MFM SK READ DATA
    assert res == [0x04, 0, 0, 7, 1, 6, 2]
    assert rig.mem.read(BUF, 512) == sector_bytes(lba(7, 1, 5))
    assert rig.mem.read(BUF + 512, 4) == b"\0" * 4


def test_read_multi_sector_multi_track(rig):
    rig.recalibrate()
    rig.seek(2)
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 4 * 512 - 1, DMA_WRITE)
    res = rig.rw(0xC6, 2, 0, 17, 18)              # MT: 0/17, 0/18, 1/1, 1/2
    assert res == [0x04, 0, 0, 2, 1, 3, 2]
    want = b"".join(sector_bytes(lba(2, h, s)) for h, s in ((0, 17), (0, 18),
                                                           (1, 1), (1, 2)))
    assert rig.mem.read(BUF, 4 * 512) == want


def test_tc_at_end_of_both_sides_and_end_of_cylinder(rig):
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 2 * 512 - 1, DMA_WRITE)
    assert rig.rw(0xC6, 0, 1, 17, 18, head=1) == [0x04, 0, 0, 1, 0, 1, 2]
    program8(rig.io, 2, BUF, 8 * 512 - 1, DMA_WRITE)   # more than the track has
    assert rig.rw(0x46, 0, 0, 17, 18) == [0x40, 0x80, 0, 1, 0, 1, 2]   # EN


def test_write_then_read_back(rig):
    rig.recalibrate()
    rig.seek(79)
    rig.io.outb(0x3F7, 0)
    data = bytes((i * 7) & 0xFF for i in range(1024))
    rig.mem.write(BUF, data)
    program8(rig.io, 2, BUF, 1023, DMA_READ)
    assert rig.rw(0xC5, 79, 0, 18, 18) == [0x04, 0, 0, 79, 1, 2, 2]   # 0/18, 1/1
    with open(rig.tmp_path / "a.img", "rb") as f:
        f.seek(lba(79, 0, 18) * 512)
        assert f.read(1024) == data
    assert rig.image.read(lba(79, 0, 17), 1) == sector_bytes(lba(79, 0, 17))
    assert rig.image.read(lba(79, 1, 2), 1) == sector_bytes(lba(79, 1, 2))
    rig.mem.write(BUF, bytes(1024))
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    # TC on the last sector (EOT) is a normal end: the next ID is on cylinder 80
    assert rig.rw(0x46, 79, 1, 1, 1, head=1) == [0x04, 0, 0, 80, 1, 1, 2]
    assert rig.mem.read(BUF, 512) == data[512:]


def test_write_protected_image(tmp_path):
    r = Rig(tmp_path, readonly=True)
    r.start()
    r.recalibrate()
    r.io.outb(0x3F7, 0)
    program8(r.io, 2, BUF, 511, DMA_READ)
    assert r.rw(0x45, 0, 0, 1, 18) == [0x40, 0x02, 0, 0, 0, 1, 2]   # ST1 NW
    r.command(F.CMD_SENSE_DRIVE, 0)
    assert r.result()[0] & F.ST3_WP
    assert r.image.read(0, 1) == sector_bytes(0)


def test_sector_not_found_and_wrong_cylinder(rig):
    rig.recalibrate()
    rig.seek(3)
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    assert rig.rw(0x46, 3, 0, 19, 19) == [0x40, 0x04, 0, 3, 0, 19, 2]       # ND
    assert rig.rw(0x46, 4, 0, 1, 18) == [0x40, 0x04, 0x10, 4, 0, 1, 2]      # ND, WC
    assert rig.rw(0x46, 3, 0, 1, 18, n=3) == [0x40, 0x04, 0, 3, 0, 1, 3]    # size


def test_implied_seek(rig):
    rig.recalibrate()
    rig.command(F.CMD_CONFIGURE, 0, 0x70, 0)     # EIS
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    assert rig.rw(0x46, 12, 0, 1, 18) == [0x00, 0, 0, 12, 0, 2, 2]
    assert rig.mem.read(BUF, 512) == sector_bytes(lba(12, 0, 1))
    assert rig.fdc.drives[0].track == 12


def test_wrong_data_rate_and_fm_find_no_address_mark(rig):
    rig.recalibrate()
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    rig.io.outb(0x3F7, 2)                        # 250 kbit/s: a 720K rate
    assert rig.rw(0x46, 0, 0, 1, 18) == [0x40, 0x01, 0, 0, 0, 1, 2]
    rig.io.outb(0x3F7, 0)
    assert rig.rw(0x06, 0, 0, 1, 18) == [0x40, 0x01, 0, 0, 0, 1, 2]      # FM


def test_no_media(rig):
    rig.fdc.eject(0)
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    assert rig.rw(0x46, 0, 0, 1, 18) == [0x40, 0x01, 0, 0, 0, 1, 2]
    assert rig.io.inb(DIR) & 0x80                # no disk: the line stays active
    rig.seek(1)
    assert rig.io.inb(DIR) & 0x80


def test_disk_change_line(rig):
    assert rig.io.inb(DIR) & 0x80                # set since power on
    rig.recalibrate()                            # already on track 0: no step pulse
    assert rig.io.inb(DIR) & 0x80
    rig.seek(1)
    assert not rig.io.inb(DIR) & 0x80
    rig.fdc.eject(0)
    assert rig.io.inb(DIR) & 0x80
    rig.fdc.insert(0, rig.image)
    rig.io.outb(DOR, DOR_ON & ~0x10)             # motor off: drive not selected
    assert rig.io.inb(DIR) == 0
    rig.seek(2)                                  # steps without the motor: stays
    rig.io.outb(DOR, DOR_ON)
    assert rig.io.inb(DIR) & 0x80
    rig.seek(3)
    assert rig.io.inb(DIR) == 0


def test_read_id(rig):
    rig.recalibrate()
    rig.seek(9)
    rig.io.outb(0x3F7, 0)
    rig.command(0x4A, 0x04)
    rig.wait()
    assert rig.irq
    st0, st1, st2, c, h, r, n = rig.result()
    assert (st0, st1, st2, c, h, n) == (0x04, 0, 0, 9, 1, 2)
    assert 1 <= r <= 18
    # the sector passing the head follows the rotation (300 rpm: 200 ms per turn)
    rig.clock.advance(200 * MS // 18)
    rig.command(0x4A, 0x04)
    rig.wait()
    assert rig.result()[5] == r % 18 + 1


def test_format_track(rig):
    rig.recalibrate()
    rig.seek(5)
    rig.io.outb(0x3F7, 0)
    ids = b"".join(bytes((5, 1, s, 2)) for s in range(1, 19))
    rig.mem.write(BUF, ids)
    program8(rig.io, 2, BUF, len(ids) - 1, DMA_READ)
    rig.command(0x4D, 0x04, 2, 18, 0x54, 0xF6)
    rig.wait()
    assert rig.irq
    assert rig.result()[:3] == [0x04, 0, 0]
    for s in range(1, 19):
        assert rig.image.read(lba(5, 1, s), 1) == b"\xF6" * 512
    assert rig.image.read(lba(5, 0, 18), 1) == sector_bytes(lba(5, 0, 18))
    assert rig.image.read(lba(6, 1, 1), 1) == sector_bytes(lba(6, 1, 1))
    rig.command(0x4D, 0x04, 3, 9, 0x54, 0xF6)    # 1024-byte sectors: not in this image
    rig.wait()
    assert rig.result()[:3] == [0x44, 0x01, 0]


def test_verify(rig):
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    rig.command(0x56, 0x80, 0, 0, 1, 2, 18, 0x1B, 3)     # EC=1: three sectors
    rig.wait()
    assert rig.result() == [0x00, 0, 0, 0, 0, 4, 2]
    assert rig.mem.read(BUF, 4) == b"\0" * 4


def test_read_track_reads_in_track_order(rig):
    rig.recalibrate()
    rig.seek(1)
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 3 * 512 - 1, DMA_WRITE)
    # R is ignored (reading starts at the index); a mismatching H is noted as ND
    assert rig.rw(0x42, 1, 1, 9, 18, head=0) == [0x40, 0x04, 0, 1, 1, 4, 2]
    assert rig.mem.read(BUF, 3 * 512) == b"".join(sector_bytes(lba(1, 0, s))
                                                  for s in (1, 2, 3))


def test_read_deleted_data_finds_normal_sectors(rig):
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 4 * 512 - 1, DMA_WRITE)
    # SK=0: the first sector is read, ST2 CM says it had a normal data mark
    assert rig.rw(0x4C, 0, 0, 5, 18) == [0x00, 0, 0x40, 0, 0, 6, 2]
    assert rig.mem.read(BUF, 512) == sector_bytes(4)
    # SK=1: every sector is skipped up to EOT
    assert rig.rw(0x6C, 0, 0, 16, 18) == [0x40, 0x80, 0, 1, 0, 1, 2]


def test_second_drive_and_overlapped_seeks(tmp_path):
    r = Rig(tmp_path)
    image_b = make_image(tmp_path / "b.img", 737280)
    r.fdc.connect(1, F.DRIVE_1440K)
    r.fdc.insert(1, image_b)
    assert r.fdc.cmos_types() == (4, 4)
    r.start(dor=0x3D)                            # drive B: selected, both motors on
    r.command(F.CMD_SEEK, 0x00, 10)
    r.command(F.CMD_SEEK, 0x01, 20)
    assert r.msr() == F.MSR_RQM | 0x03           # both drives busy
    r.wait()
    assert r.sense() == [0x20, 10]
    assert r.sense() == [0x21, 20]
    assert r.msr() == F.MSR_RQM
    assert r.io.inb(DIR) == 0                    # B: stepped with its disk in
    r.io.outb(0x3F7, 2)                          # 720K: 250 kbit/s
    program8(r.io, 2, BUF, 511, DMA_WRITE)
    assert r.rw(0x46, 20, 0, 9, 9, drive=1) == [0x01, 0, 0, 21, 0, 1, 2]
    assert r.mem.read(BUF, 512) == sector_bytes(lba(20, 0, 9, spt=9))


def test_reset_line_stops_a_running_command(rig):
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    rig.command(0x46, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF)   # DMA channel never programmed
    rig.wait()
    assert rig.msr() == F.MSR_CB
    rig.fdc.reset()
    assert rig.msr() == 0 and not rig.irq
    assert rig.io.inb(0x08) & 0x40 == 0          # DREQ dropped
    rig.start()


def test_read_waits_for_dma_unmask(rig):
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    program8(rig.io, 2, BUF, 511, DMA_WRITE)
    rig.io.outb(0x0A, 4 | 2)                     # mask channel 2 again
    rig.command(0x46, 0, 0, 0, 3, 2, 18, 0x1B, 0xFF)
    rig.wait()
    assert not rig.irq and rig.msr() == F.MSR_CB
    assert rig.io.inb(0x08) & 0x40               # DREQ 2 stands
    rig.io.outb(0x0A, 2)                         # unmask: the transfer runs
    assert rig.irq
    assert rig.result() == [0, 0, 0, 0, 0, 4, 2]
    assert rig.mem.read(BUF, 512) == sector_bytes(2)


def test_pio_read_and_write(rig):
    rig.command(F.CMD_SPECIFY, 0xCF, 0x03)       # ND = 1: non-DMA
    rig.recalibrate()
    rig.io.outb(0x3F7, 0)
    rig.command(0x46, 0, 0, 0, 2, 2, 3, 0x1B, 0xFF)   # sectors 2..3, no TC
    rig.wait()
    data = bytearray()
    while rig.msr() & F.MSR_NDMA:
        assert rig.msr() == F.MSR_RQM | F.MSR_DIO | F.MSR_NDMA | F.MSR_CB
        assert rig.irq                           # INT asks for each byte
        data.append(rig.io.inb(FIFO))
    assert bytes(data) == sector_bytes(1) + sector_bytes(2)
    assert rig.irq                               # result phase
    assert rig.result() == [0x40, 0x80, 0, 1, 0, 1, 2]   # EOT passed: EN
    rig.command(0x45, 0, 0, 0, 4, 2, 4, 0x1B, 0xFF)
    rig.wait()
    assert rig.msr() == F.MSR_RQM | F.MSR_NDMA | F.MSR_CB
    for i in range(512):
        rig.io.outb(FIFO, i & 0xFF)
    assert rig.result() == [0x40, 0x80, 0, 1, 0, 1, 2]
    assert rig.image.read(3, 1) == bytes(i & 0xFF for i in range(512))


def test_360k_geometry(tmp_path):
    r = Rig(tmp_path, size=368640)
    assert r.fdc.drives[0].type is F.DRIVE_360K
    assert r.fdc.cmos_types() == (1, 0)
    r.start()
    r.recalibrate()
    r.seek(39)
    r.io.outb(0x3F7, 2)                          # 250 kbit/s
    program8(r.io, 2, BUF, 511, DMA_WRITE)
    assert r.rw(0x46, 39, 1, 9, 9, head=1) == [0x04, 0, 0, 40, 1, 1, 2]
    assert r.mem.read(BUF, 512) == sector_bytes(lba(39, 1, 9, spt=9))
    r.seek(40)                                   # beyond the disk's 40 tracks
    assert r.rw(0x46, 40, 0, 1, 9) == [0x40, 0x01, 0, 40, 0, 1, 2]


@pytest.mark.parametrize("size,name,cyl,heads,spt,drive", [
    (163840, "160K", 40, 1, 8, 1), (184320, "180K", 40, 1, 9, 1),
    (327680, "320K", 40, 2, 8, 1), (368640, "360K", 40, 2, 9, 1),
    (737280, "720K", 80, 2, 9, 4), (1228800, "1.2M", 80, 2, 15, 2),
    (1474560, "1.44M", 80, 2, 18, 4), (1720320, "1.68M DMF", 80, 2, 21, 4),
    (2949120, "2.88M", 80, 2, 36, 5)])
def test_geometry_from_size(tmp_path, size, name, cyl, heads, spt, drive):
    path = tmp_path / "f.img"
    path.write_bytes(bytes(size))
    g = F.geometry_of(DiskImage(path, kind="floppy"))
    assert (g.name, g.cylinders, g.heads, g.spt, g.drive.code) == \
        (name, cyl, heads, spt, drive)


def test_unknown_size_is_an_image_error(tmp_path):
    path = tmp_path / "odd.img"
    path.write_bytes(bytes(512 * 100))
    image = DiskImage(path, kind="floppy")
    with pytest.raises(ImageError, match=r"odd.img: 51200 bytes is not a known "
                                         r"floppy size \(160K = 163840, "):
        F.geometry_of(image)


def test_insert_into_absent_drive(tmp_path):
    r = Rig(tmp_path)
    with pytest.raises(ValueError, match="no floppy drive B:"):
        r.fdc.insert(1, r.image)


def test_cmos_floppy_types():
    from hw.rtc import Rtc
    clock = HandClock()
    rtc = Rtc(clock, IrqLine(Wires(clock), 8))
    rtc.fill_config(32 * MIB)
    rtc.set_floppy_types(4, 1)
    assert rtc.cmos[0x10] == 0x41
    assert rtc.cmos[0x14] & 0xC1 == 0x41         # drives present, two of them
    rtc.set_floppy_types(4, 0)
    assert rtc.cmos[0x14] & 0xC1 == 0x01
    total = sum(rtc.cmos[0x10:0x2E])
    assert rtc.cmos[0x2E] << 8 | rtc.cmos[0x2F] == total
