"""The PIIX3 IDE function and ATA disks, driven through the ports the way BIOS and
Linux drivers drive them (ATA/ATAPI-6, PIIX bus master IDE)."""
import pytest

from emu.diskimage import DiskImage
from hw.ata import AtaDisk
from tests.hw.idekit import Rig, make_image, pattern

P = 0x1F0           # primary command block
CTL = 0x3F6
S = 0x170


@pytest.fixture
def rig(tmp_path):
    r = Rig()
    r.disk = AtaDisk(make_image(tmp_path / "hda.img", 4096))
    r.ide.connect(0, 0, r.disk)
    return r


def status(rig, base=P):
    return rig.inb(base + 7)


def regs(rig, base=P):
    return [rig.inb(base + k) for k in range(1, 7)]


# -- the PCI function ---------------------------------------------------------------------
def test_pci_function_identity_and_registers(rig):
    cfg = lambda off, size=4: rig.pci.config_read(1, 1, off, size)
    assert cfg(0) == 0x70108086
    assert cfg(0x08) >> 8 == 0x010180          # IDE, compatibility, bus master
    assert cfg(0x3D, 1) == 0                   # legacy IRQs, no INTx pin
    assert cfg(0x20) == 0xC001                 # BAR4: 16 I/O ports
    rig.pci.config_write(1, 1, 0x20, 0xFFFFFFFF, 4)
    assert cfg(0x20) == 0xFFFFFFF1
    rig.pci.config_write(1, 1, 0x20, 0xC001, 4)
    assert cfg(0x40) == 0x80008000             # both channels decoded from reset
    rig.pci.config_write(1, 1, 0x40, 0xFFFFFFFF, 4)
    assert cfg(0x40) == 0xF3FFF3FF
    rig.pci.config_write(1, 1, 0x40, 0, 4)     # decode "disabled": ports still answer
    assert status(rig) == 0x50
    rig.outd(0xC004, 0x12345677)
    assert rig.ind(0xC004) == 0x12345674       # PRD table pointer is dword aligned
    rig.outb(0xC002, 0x60)
    assert rig.inb(0xC002) == 0x60             # DMA capable bits are plain R/W


# -- IDENTIFY -------------------------------------------------------------------------------
def identify(rig, base=P, dev=0):
    rig.outb(base + 6, 0xA0 | (dev << 4))
    rig.outb(base + 7, 0xEC)
    assert rig.irq(14 if base == P else 15)
    assert status(rig, base) == 0x58
    raw = rig.read_block(base, 512)
    assert status(rig, base) == 0x50
    return raw, [int.from_bytes(raw[k:k + 2], "little") for k in range(0, 512, 2)]


def test_identify_page(rig):
    raw, w = identify(rig)
    assert raw[54:54 + 14] == b"YP8X 6AHDRIDKS"   # pairs swapped on the byte stream
    text = b"".join(x.to_bytes(2, "big") for x in w[27:47])
    assert text.rstrip() == b"PYX86 HARDDISK"
    assert (w[1], w[3], w[6]) == (4, 16, 63)       # 4096 // (16 * 63) cylinders
    assert w[60] | (w[61] << 16) == 4096
    assert w[100] | (w[101] << 16) == 4096 and w[102] == w[103] == 0
    assert w[49] & 0x0300 == 0x0300                # LBA and DMA
    assert w[53] & 7 == 7
    assert w[63] & 0x07 == 0x07 and w[63] & 0x0400  # MWDMA 0-2, mode 2 selected
    assert w[88] & 0x3F == 0x3F
    assert w[64] == 0x03
    assert w[83] & 0x0400 and w[86] & 0x0400       # 48-bit supported and enabled
    assert w[83] & 0x3000 == 0x3000                # FLUSH CACHE (EXT)
    assert w[82] & 0x20 and w[85] & 0x20           # write cache on
    assert w[47] & 0xFF == 16
    assert sum(raw) & 0xFF == 0 and raw[510] == 0xA5


def test_identify_large_disk_caps_chs_and_lba28(tmp_path):
    path = tmp_path / "big.img"
    sectors = (1 << 28) + 12345                # 128 GiB + a bit, sparse
    with open(path, "wb") as f:
        f.truncate(sectors * 512)
    r = Rig()
    r.ide.connect(0, 0, AtaDisk(DiskImage(path)))
    raw, w = identify(r)
    assert w[1] == 16383
    assert w[60] | (w[61] << 16) == 0x0FFFFFFF
    assert w[100] | (w[101] << 16) | (w[102] << 32) == sectors


# -- PIO reads and writes -------------------------------------------------------------------
def test_read_by_chs_with_default_and_set_translation(rig):
    # cylinder 1, head 2, sector 3 with 16 heads, 63 sectors: LBA (1*16+2)*63+2
    rig.taskfile(P, 0xA2, nsect=1, lbal=3, lbam=1, lbah=0)
    rig.outb(P + 7, 0x20)
    assert rig.irq()
    assert rig.read_block(P, 512) == pattern(1136)
    assert status(rig) == 0x50
    # INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors
    rig.taskfile(P, 0xA3, nsect=17)
    rig.outb(P + 7, 0x91)
    assert status(rig) == 0x50
    rig.taskfile(P, 0xA1, nsect=2, lbal=5, lbam=2)     # C2 H1 S5 -> (2*4+1)*17+4
    rig.outb(P + 7, 0x20)
    assert rig.read_block(P, 512) == pattern(157)
    assert rig.read_block(P, 512) == pattern(158)
    assert regs(rig)[1:] == [0, 6, 2, 0, 0xA1]           # last sector read: C2 H1 S6
    _, w = identify(rig)
    assert (w[54], w[55], w[56]) == (4096 // 68, 4, 17)
    rig.taskfile(P, 0xA0, nsect=1, lbal=18)              # sector 18 > 17: no such sector
    rig.outb(P + 7, 0x20)
    assert status(rig) == 0x51 and rig.inb(P + 1) == 0x10


def test_read_lba28_interrupt_per_sector_and_32bit_port(rig):
    rig.lba28(P, 100, 3)
    rig.outb(P + 7, 0x20)
    for k in range(3):
        assert rig.irq()
        assert rig.inb(CTL) == 0x58 and rig.irq()     # alternate status: no acknowledge
        assert status(rig) == 0x58 and not rig.irq()
        assert rig.read_block(P, 512, width=4) == pattern(100 + k)
    assert not rig.irq()                              # no interrupt after the last block
    assert status(rig) == 0x50
    assert regs(rig) == [0, 0, 102, 0, 0, 0xE0]


def test_sector_count_zero_means_256(rig):
    rig.lba28(P, 4096 - 256, 0)
    rig.outb(P + 7, 0x40)                            # READ VERIFY
    assert status(rig) == 0x50
    rig.lba28(P, 4096 - 255, 0)
    rig.outb(P + 7, 0x40)
    assert status(rig) == 0x51 and rig.inb(P + 1) == 0x10    # IDNF


def test_lba48_hob_readback_and_read_ext(rig):
    rig.lba48(P, 0x0000_0000_0F07, 2)
    rig.outb(CTL, 0x80)                              # HOB: the previous contents
    assert regs(rig)[1:5] == [0, 0, 0, 0]
    rig.outb(CTL, 0x00)
    assert regs(rig)[1:5] == [2, 0x07, 0x0F, 0]
    rig.outb(CTL, 0x80)
    rig.outb(P + 2, 2)                               # a register write clears HOB
    assert rig.inb(P + 2) == 2
    rig.lba48(P, 0xF07, 2)
    rig.outb(P + 7, 0x24)
    assert rig.read_block(P, 512) == pattern(0xF07)
    assert rig.read_block(P, 512) == pattern(0xF08)
    assert status(rig) == 0x50
    rig.lba48(P, 0x1234_5678_9ABC, 1)
    rig.outb(CTL, 0x80)
    assert regs(rig)[1:5] == [0, 0x56, 0x34, 0x12]
    rig.outb(CTL, 0)
    assert regs(rig)[1:5] == [1, 0xBC, 0x9A, 0x78]
    rig.outb(P + 7, 0x24)
    assert status(rig) == 0x51 and rig.inb(P + 1) == 0x10


def test_lba48_count_zero_means_65536(tmp_path):
    path = tmp_path / "sparse.img"
    with open(path, "wb") as f:
        f.truncate(70000 * 512)
    r = Rig()
    r.ide.connect(0, 0, AtaDisk(DiskImage(path)))
    r.lba48(P, 70000 - 65536, 0)
    r.outb(P + 7, 0x42)                              # READ VERIFY EXT
    assert status(r) == 0x50
    r.outb(CTL, 0x80)
    assert regs(r)[1:5] == [0, 0, 0, 0]
    r.outb(CTL, 0)
    assert regs(r)[1:5] == [0, (69999) & 0xFF, 69999 >> 8 & 0xFF, 69999 >> 16]
    r.lba48(P, 70000 - 65535, 0)
    r.outb(P + 7, 0x42)
    assert status(r) == 0x51 and r.inb(P + 1) == 0x10


def test_write_sectors_and_read_back(rig, tmp_path):
    data = [bytes([0xA0 + k]) * 512 for k in range(2)]
    rig.lba28(P, 7, 2)
    rig.outb(P + 7, 0x30)
    assert status(rig) == 0x58 and not rig.irq()     # first block: DRQ, no interrupt
    rig.write_block(P, data[0])
    assert rig.irq() and status(rig) == 0x58
    rig.write_block(P, data[1], width=4)
    assert rig.irq() and status(rig) == 0x50
    assert rig.disk.writes == 2
    with open(tmp_path / "hda.img", "rb") as f:
        f.seek(7 * 512)
        assert f.read(1024) == data[0] + data[1]
        assert f.read(512) == pattern(9)


def test_write_to_read_only_image_aborts(tmp_path):
    r = Rig()
    make_image(tmp_path / "ro.img", 64)
    r.ide.connect(0, 0, AtaDisk(DiskImage(tmp_path / "ro.img", readonly=True)))
    r.lba28(P, 1, 1)
    r.outb(P + 7, 0x30)
    assert r.irq() and status(r) == 0x51
    assert r.inb(P + 1) == 0x44                      # WP + ABRT
    r.lba28(P, 1, 1)
    r.outb(P + 7, 0xCA)
    assert status(r) == 0x51 and r.inb(P + 1) == 0x44


def test_read_write_multiple(rig):
    rig.lba28(P, 0, 4)
    rig.outb(P + 7, 0xC4)                            # multiple mode not set yet
    assert status(rig) == 0x51 and rig.inb(P + 1) == 0x04
    rig.taskfile(P, 0xE0, nsect=3)
    rig.outb(P + 7, 0xC6)
    assert status(rig) == 0x51                       # not a power of two
    rig.taskfile(P, 0xE0, nsect=4)
    rig.outb(P + 7, 0xC6)
    assert status(rig) == 0x50
    rig.lba28(P, 20, 10)
    rig.outb(P + 7, 0xC4)
    for first, n in ((20, 4), (24, 4), (28, 2)):
        assert rig.irq() and status(rig) == 0x58
        assert rig.read_block(P, n * 512) == b"".join(pattern(first + k) for k in range(n))
    assert not rig.irq() and status(rig) == 0x50
    rig.lba48(P, 40, 6)
    rig.outb(P + 7, 0x39)                            # WRITE MULTIPLE EXT
    assert status(rig) == 0x58 and not rig.irq()
    rig.write_block(P, b"\x11" * 2048)
    assert rig.irq() and status(rig) == 0x58
    rig.write_block(P, b"\x22" * 1024)
    assert rig.irq() and status(rig) == 0x50
    assert rig.disk.image.read(40, 6) == b"\x11" * 2048 + b"\x22" * 1024
    _, w = identify(rig)
    assert w[59] == 0x0104


# -- interrupts, reset, device selection ---------------------------------------------------
def test_nien_masks_intrq(rig):
    rig.outb(CTL, 0x02)
    rig.lba28(P, 1, 1)
    rig.outb(P + 7, 0x20)
    assert not rig.irq()
    assert rig.inb(CTL) == 0x58                      # polled instead
    rig.outb(CTL, 0x00)                              # the pending interrupt shows now
    assert rig.irq()
    assert status(rig) == 0x58 and not rig.irq()


def test_srst_signature_and_no_interrupt(rig):
    rig.lba28(P, 9, 9)
    rig.outb(P + 7, 0x20)
    rig.outb(CTL, 0x04)
    assert rig.inb(CTL) & 0x80                      # busy while SRST is set
    assert not rig.irq()
    rig.outb(CTL, 0x00)
    assert not rig.irq()
    assert status(rig) == 0x50
    assert regs(rig) == [0x01, 0x01, 0x01, 0x00, 0x00, 0x00]


def test_absent_slave_rules(rig):
    rig.outb(P + 6, 0xB0)                            # select device 1: not there
    assert status(rig) == 0 and rig.inb(CTL) == 0
    rig.outb(P + 2, 0x55)                            # device 0 latches the write
    assert rig.inb(P + 2) == 0x55
    rig.outb(P + 7, 0xEC)                            # ignored
    assert not rig.irq() and status(rig) == 0
    rig.outb(P + 6, 0xA0)
    assert status(rig) == 0x50 and rig.inb(P + 2) == 0x55
    rig.outb(P + 6, 0xB0)
    rig.outb(P + 7, 0x90)                            # diagnostics run anyway
    assert rig.irq()
    assert rig.inb(P + 6) & 0x10 == 0                # device 0 selected, reporting
    assert status(rig) == 0x50 and rig.inb(P + 1) == 0x01


def test_empty_channel_floats(rig):
    assert [rig.inb(S + k) for k in range(1, 8)] == [0xFF] * 7
    assert rig.inb(0x376) == 0xFF
    rig.outb(S + 7, 0xEC)
    assert not rig.irq(15)


def test_master_and_slave(rig, tmp_path):
    slave = AtaDisk(make_image(tmp_path / "hdb.img", 200), serial="SLAVE")
    rig.ide.connect(0, 1, slave)
    _, w = identify(rig, dev=1)
    assert w[60] == 200
    assert b"".join(x.to_bytes(2, "big") for x in w[10:20]).rstrip() == b"SLAVE"
    rig.lba28(P, 5, 1, dev=1)
    rig.outb(P + 7, 0x20)
    assert rig.read_block(P, 512) == pattern(5)
    assert slave.reads == 1 and rig.disk.reads == 0


def test_unknown_command_and_misc(rig):
    rig.outb(P + 6, 0xA0)
    rig.outb(P + 7, 0xFF)
    assert rig.irq() and status(rig) == 0x51 and rig.inb(P + 1) == 0x04
    for cmd in (0x10, 0xE0, 0xE1, 0xE3, 0xE7, 0xEA):
        rig.outb(P + 7, cmd)
        assert rig.irq() and status(rig) == 0x50, hex(cmd)
    rig.outb(P + 7, 0xE5)
    assert rig.inb(P + 2) == 0xFF
    rig.taskfile(P, 0xA0, nsect=0x22, features=0x03)     # MWDMA 2
    rig.outb(P + 7, 0xEF)
    assert status(rig) == 0x50
    rig.taskfile(P, 0xA0, nsect=0x45, features=0x03)     # UDMA 5
    rig.outb(P + 7, 0xEF)
    _, w = identify(rig)
    assert w[88] == 0x203F and w[63] == 0x0007
    rig.taskfile(P, 0xA0, nsect=0x4F, features=0x03)
    rig.outb(P + 7, 0xEF)
    assert status(rig) == 0x51
    rig.taskfile(P, 0xA0, features=0x82)                 # write cache off
    rig.outb(P + 7, 0xEF)
    _, w = identify(rig)
    assert not w[85] & 0x20


# -- bus master DMA --------------------------------------------------------------------------
def test_dma_read_two_region_prd(rig):
    rig.mem.write(0x20000 - 4, b"\xEE" * 1032)
    rig.prd_table(0x8000, [(0x10000, 512, False), (0x20000, 1024, True)])
    rig.bm_setup(0x8000, to_memory=True)
    rig.lba28(P, 10, 3)
    rig.outb(P + 7, 0xC8)
    assert status(rig) & 0x88 != 0x80 and not rig.irq()
    rig.bm_start(to_memory=True)
    assert rig.inb(rig.bm()) == 0x09 and rig.inb(rig.bm() + 2) == 0x01
    rig.settle()
    assert rig.irq()
    assert rig.inb(rig.bm() + 2) == 0x04                # interrupt, not active
    assert rig.mem.read(0x10000, 512) == pattern(10)
    assert rig.mem.read(0x20000, 1024) == pattern(11) + pattern(12)
    assert rig.mem.read(0x20000 - 4, 4) == b"\xEE" * 4
    assert rig.mem.read(0x20400, 4) == b"\xEE" * 4
    rig.outb(rig.bm(), 0x08)                            # stop
    assert status(rig) == 0x50 and not rig.irq()
    rig.outb(rig.bm() + 2, 0x04)
    assert rig.inb(rig.bm() + 2) == 0
    assert regs(rig)[2] == 12


def test_dma_engine_started_before_command(rig):
    rig.prd_table(0x8000, [(0x30000, 512, True)])
    rig.bm_setup(0x8000, to_memory=True)
    rig.bm_start(to_memory=True)
    rig.settle()
    assert rig.inb(rig.bm() + 2) == 0x01                # nothing to move yet
    rig.lba48(P, 77, 1)
    rig.outb(P + 7, 0x25)
    rig.settle()
    assert rig.irq() and rig.inb(rig.bm() + 2) == 0x04
    assert rig.mem.read(0x30000, 512) == pattern(77)


def test_dma_write(rig):
    rig.mem.write(0x40000, b"\x5A" * 512)
    rig.mem.write(0x50000, b"\xA5" * 512)
    rig.prd_table(0x8000, [(0x40000, 512, False), (0x50000, 512, True)])
    rig.bm_setup(0x8000, to_memory=False)
    rig.lba28(P, 300, 2)
    rig.outb(P + 7, 0xCA)
    rig.bm_start(to_memory=False)
    rig.settle()
    assert rig.irq() and rig.inb(rig.bm() + 2) == 0x04
    assert status(rig) == 0x50
    assert rig.disk.image.read(300, 2) == b"\x5A" * 512 + b"\xA5" * 512
    assert rig.disk.writes == 2


def test_prd_table_larger_than_transfer_keeps_active(rig):
    rig.prd_table(0x8000, [(0x10000, 0, True)])         # 0 = 64 KiB
    rig.bm_setup(0x8000, to_memory=True)
    rig.lba28(P, 1, 2)
    rig.outb(P + 7, 0xC8)
    rig.bm_start(to_memory=True)
    rig.settle()
    assert rig.inb(rig.bm() + 2) == 0x05                # interrupt and still active
    assert rig.mem.read(0x10000, 1024) == pattern(1) + pattern(2)


def test_prd_table_too_short(rig):
    rig.prd_table(0x8000, [(0x10000, 512, True)])
    rig.bm_setup(0x8000, to_memory=True)
    rig.lba28(P, 30, 2)
    rig.outb(P + 7, 0xC8)
    rig.bm_start(to_memory=True)
    rig.settle()
    # the spec's error combination: neither active nor interrupt, error bit clear
    assert rig.inb(rig.bm() + 2) == 0x00
    assert not rig.irq()
    assert status(rig) & 0x08                           # the drive still wants to move data
    assert rig.mem.read(0x10000, 512) == pattern(30)
    # a new table for the rest finishes the command
    rig.outb(rig.bm(), 0x08)
    rig.prd_table(0x9000, [(0x11000, 512, True)])
    rig.outd(rig.bm() + 4, 0x9000)
    rig.bm_start(to_memory=True)
    rig.settle()
    assert rig.irq() and rig.inb(rig.bm() + 2) == 0x04
    assert rig.mem.read(0x11000, 512) == pattern(31)


def test_dma_without_engine_waits_and_srst_cancels(rig):
    rig.lba28(P, 1, 1)
    rig.outb(P + 7, 0xC8)
    rig.settle()
    assert not rig.irq() and status(rig) & 0x08
    rig.outb(CTL, 0x04)
    rig.outb(CTL, 0x00)
    rig.prd_table(0x8000, [(0x10000, 512, True)])
    rig.bm_setup(0x8000, to_memory=True)
    rig.bm_start(to_memory=True)
    rig.settle()
    assert not rig.irq() and rig.inb(rig.bm() + 2) == 0x01
    assert status(rig) == 0x50


def test_secondary_channel_dma_and_irq15(tmp_path):
    r = Rig()
    r.ide.connect(1, 0, AtaDisk(make_image(tmp_path / "hdc.img", 64)))
    r.prd_table(0x8000, [(0x10000, 512, True)])
    r.bm_setup(0x8000, to_memory=True, channel=1)
    r.lba28(S, 3, 1)
    r.outb(S + 7, 0xC8)
    r.bm_start(to_memory=True, channel=1)
    r.settle()
    assert r.irq(15) and not r.irq(14)
    assert r.inb(r.bm(1) + 2) == 0x04 and r.inb(r.bm(0) + 2) == 0
    assert r.mem.read(0x10000, 512) == pattern(3)


def test_reset_line_restores_power_on_state(rig):
    rig.taskfile(P, 0xA0, nsect=4)
    rig.outb(P + 7, 0xC6)
    rig.outb(rig.bm(), 0x09)
    rig.ide.reset()
    assert rig.inb(rig.bm()) == 0xFF                    # BAR4 and COMMAND cleared
    rig.pci.config_write(1, 1, 0x20, 0xC001, 4)
    rig.pci.config_write(1, 1, 0x04, 0x0005, 2)
    assert rig.inb(rig.bm()) == 0 and rig.inb(rig.bm() + 2) == 0
    assert status(rig) == 0x50
    _, w = identify(rig)
    assert w[59] == 0x0100


def test_dma_regions_not_sector_aligned(rig):
    rig.prd_table(0x8000, [(0x10000, 1000, False), (0x12000, 24, True)])
    rig.bm_setup(0x8000, to_memory=True)
    rig.lba28(P, 50, 2)
    rig.outb(P + 7, 0xC8)
    rig.bm_start(to_memory=True)
    rig.settle()
    both = pattern(50) + pattern(51)
    assert rig.mem.read(0x10000, 1000) == both[:1000]
    assert rig.mem.read(0x12000, 24) == both[1000:]
    rig.mem.write(0x20000, bytes(range(256)) * 2)
    rig.mem.write(0x30000, b"\x77" * 514)
    rig.prd_table(0x8000, [(0x20000, 510, False), (0x30000, 514, True)])
    rig.bm_setup(0x8000, to_memory=False)
    rig.lba28(P, 60, 2)
    rig.outb(P + 7, 0xCA)
    rig.bm_start(to_memory=False)
    rig.settle()
    assert rig.irq() and status(rig) == 0x50
    assert rig.disk.image.read(60, 2) == (bytes(range(256)) * 2)[:510] + b"\x77" * 514
