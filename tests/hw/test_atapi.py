"""The ATAPI CD-ROM through the PACKET protocol (ATA/ATAPI-6 9.8-9.9, MMC-3)."""
import struct

import pytest

from hw.atapi import AtapiCdrom
from tests.hw.idekit import Rig, make_image, pattern

S = 0x170            # the CD-ROM sits at the secondary master, as on most PCs
CTL = 0x376
SECTORS = 100


@pytest.fixture
def iso(tmp_path):
    return make_image(tmp_path / "cd.iso", SECTORS, sector_size=2048, readonly=True)


@pytest.fixture
def rig(iso):
    r = Rig()
    r.cd = AtapiCdrom(iso)
    r.ide.connect(1, 0, r.cd)
    return r


def status(rig):
    return rig.inb(S + 7)


def packet(rig, cdb, limit=0xFFFE, dma=False, blocks=None):
    """Send a command packet and run its data-in phase by PIO. Returns (data, status
    after completion, error register); blocks collects each DRQ block's byte count."""
    cdb = bytes(cdb).ljust(12, b"\0")
    rig.taskfile(S, 0xA0, features=1 if dma else 0, lbam=limit & 0xFF, lbah=limit >> 8)
    rig.outb(S + 7, 0xA0)
    assert rig.inb(CTL) & 0x88 == 0x08                 # DRQ for the packet
    assert rig.inb(S + 2) & 3 == 1                     # CoD=1 IO=0
    assert not rig.irq(15)
    rig.write_block(S, cdb)
    data = b""
    while True:
        if dma:
            return data, None, None
        assert rig.irq(15)
        st = status(rig)
        reason = rig.inb(S + 2) & 3
        if not st & 0x08:
            assert reason == 3                         # IO=1 CoD=1: completed
            return data, st, rig.inb(S + 1)
        assert reason == 2                             # IO=1 CoD=0: data for the host
        n = rig.inb(S + 4) | (rig.inb(S + 5) << 8)
        if blocks is not None:
            blocks.append(n)
        data += rig.read_block(S, n + (n & 1))[:n]


def ok(rig, cdb, **kw):
    data, st, err = packet(rig, cdb, **kw)
    assert st == 0x40 and err == 0, (hex(st), hex(err))
    return data


def sense(rig):
    data = ok(rig, [0x03, 0, 0, 0, 18])
    return data[2] & 0xF, data[12], data[13]


def test_signature_and_identify_packet(rig):
    rig.outb(CTL, 0x04)
    rig.outb(CTL, 0x00)
    assert [rig.inb(S + k) for k in range(1, 7)] == [0x01, 0x01, 0x01, 0x14, 0xEB, 0x00]
    assert status(rig) == 0x00                         # DRDY clear after reset
    rig.outb(S + 7, 0xEC)                              # IDENTIFY DEVICE: not for us
    assert rig.irq(15) and status(rig) & 0x01
    assert rig.inb(S + 1) & 0x04
    assert (rig.inb(S + 4), rig.inb(S + 5)) == (0x14, 0xEB)
    rig.outb(S + 7, 0xA1)
    assert rig.irq(15) and status(rig) == 0x48
    raw = rig.read_block(S, 512)
    w = [int.from_bytes(raw[k:k + 2], "little") for k in range(0, 512, 2)]
    assert w[0] == 0x85C0
    assert b"".join(x.to_bytes(2, "big") for x in w[27:47]).rstrip() == b"PYX86 DVD-ROM"
    assert w[49] & 0x0300 == 0x0300
    assert sum(raw) & 0xFF == 0
    assert status(rig) == 0x40


def test_device_reset_and_diagnostic(rig):
    rig.outb(S + 7, 0x08)
    assert not rig.irq(15)
    assert [rig.inb(S + k) for k in (4, 5)] == [0x14, 0xEB]
    rig.outb(S + 7, 0x90)
    assert rig.irq(15) and rig.inb(S + 1) == 0x01
    assert [rig.inb(S + k) for k in (2, 3, 4, 5)] == [1, 1, 0x14, 0xEB]


def test_inquiry(rig):
    data = ok(rig, [0x12, 0, 0, 0, 36])
    assert len(data) == 36
    assert data[0] == 0x05 and data[1] & 0x80
    assert data[8:16] == b"PYX86   " and data[16:29] == b"PYX86 DVD-ROM"
    assert ok(rig, [0x12, 0, 0, 0, 5]) == data[:5]     # allocation length cuts
    _, st, err = packet(rig, [0x12, 1, 0x80, 0, 36])
    assert st & 1 and err >> 4 == 5
    assert sense(rig) == (5, 0x24, 0)


def test_read_capacity(rig):
    assert ok(rig, [0x25]) == struct.pack(">II", SECTORS - 1, 2048)


def test_read10_pio_split_by_byte_count_limit(rig):
    blocks = []
    data = ok(rig, [0x28, 0, 0, 0, 0, 10, 0, 0, 5], limit=0x1001, blocks=blocks)
    assert blocks == [4096, 4096, 2048]                # odd limit rounded down
    assert data == b"".join(pattern(10 + k, 2048) for k in range(5))
    assert rig.cd.reads == 5
    data = ok(rig, [0xA8, 0, 0, 0, 0, 98, 0, 0, 0, 2])   # READ(12)
    assert data == pattern(98, 2048) + pattern(99, 2048)
    _, st, err = packet(rig, [0x28, 0, 0, 0, 0, 99, 0, 0, 2])
    assert st & 1 and err >> 4 == 5
    assert sense(rig) == (5, 0x21, 0)
    assert ok(rig, [0x28, 0, 0, 0, 0, 99, 0, 0, 0]) == b""


def test_read_cd_user_data(rig):
    assert ok(rig, [0xBE, 0, 0, 0, 0, 3, 0, 0, 1, 0x10]) == pattern(3, 2048)
    _, st, err = packet(rig, [0xBE, 0, 0, 0, 0, 3, 0, 0, 1, 0xF8])
    assert st & 1 and sense(rig) == (5, 0x24, 0)


def test_read10_dma(rig):
    rig.prd_table(0x8000, [(0x10000, 2048, False), (0x20000, 4096, True)])
    rig.bm_setup(0x8000, to_memory=True, channel=1)
    packet(rig, [0x28, 0, 0, 0, 0, 7, 0, 0, 3], dma=True)
    assert not rig.irq(15)
    rig.bm_start(to_memory=True, channel=1)
    rig.settle()
    assert rig.irq(15) and rig.inb(rig.bm(1) + 2) == 0x04
    assert status(rig) == 0x40 and rig.inb(S + 2) & 3 == 3
    assert rig.mem.read(0x10000, 2048) == pattern(7, 2048)
    assert rig.mem.read(0x20000, 4096) == pattern(8, 2048) + pattern(9, 2048)


def test_no_medium_then_insert(tmp_path, iso):
    r = Rig()
    r.cd = AtapiCdrom()
    r.ide.connect(1, 0, r.cd)
    _, st, err = packet(r, [0x00])
    assert st == 0x41 and err >> 4 == 2
    assert sense(r) == (2, 0x3A, 1)
    assert sense(r) == (0, 0, 0)                       # sense is consumed
    _, st, err = packet(r, [0x25])
    assert st & 1 and sense(r) == (2, 0x3A, 1)
    assert ok(r, [0x12, 0, 0, 0, 36])[0] == 5          # INQUIRY needs no disc
    r.cd.insert(iso)
    event = ok(r, [0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8])
    assert event == bytes((0, 6, 0x04, 0x10, 2, 0x02, 0, 0))    # new media, present
    _, st, err = packet(r, [0x00])
    assert st & 1 and err >> 4 == 6                    # unit attention once
    assert sense(r) == (6, 0x28, 0)
    ok(r, [0x00])
    assert ok(r, [0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8])[4] == 0
    r.cd.eject()
    assert ok(r, [0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8])[4:6] == bytes((3, 0))


def test_read_toc(rig):
    toc = ok(rig, [0x43, 0, 0, 0, 0, 0, 0, 0, 100])
    assert toc == (struct.pack(">HBB", 18, 1, 1)
                   + bytes((0, 0x14, 1, 0)) + struct.pack(">I", 0)
                   + bytes((0, 0x14, 0xAA, 0)) + struct.pack(">I", SECTORS))
    toc = ok(rig, [0x43, 2, 0, 0, 0, 0, 0, 0, 100])  # MSF: 100 + 150 frames = 0:03:25
    assert toc[8:12] == bytes((0, 0, 2, 0)) and toc[16:20] == bytes((0, 0, 3, 25))
    toc = ok(rig, [0x43, 0, 0, 0, 0, 0, 0xAA, 0, 100])
    assert len(toc) == 12 and toc[6] == 0xAA
    session = ok(rig, [0x43, 0, 1, 0, 0, 0, 0, 0, 12])
    assert session == struct.pack(">HBB", 10, 1, 1) + bytes((0, 0x14, 1, 0, 0, 0, 0, 0))
    assert ok(rig, [0x43, 0, 0, 0, 0, 0, 0, 0, 4]) == struct.pack(">HBB", 18, 1, 1)
    raw = ok(rig, [0x43, 2, 2, 0, 0, 0, 0, 0, 100])
    assert len(raw) == 4 + 4 * 11 and raw[4 + 3] == 0xA0


def test_mode_sense_capabilities(rig):
    data = ok(rig, [0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64])
    length = struct.unpack(">H", data[:2])[0]
    assert length == len(data) - 2 == 6 + 20
    assert data[8] == 0x2A and data[9] == 18
    assert data[8 + 6] & 0x08                          # eject supported
    data = ok(rig, [0x1A, 0, 0x3F, 0, 255])
    assert data[0] == len(data) - 1 and data[4] == 0x01 and data[16] == 0x2A
    _, st, _ = packet(rig, [0x5A, 0, 0x05, 0, 0, 0, 0, 0, 64])
    assert st & 1 and sense(rig) == (5, 0x24, 0)


def test_get_configuration(rig):
    data = ok(rig, [0x46, 0, 0, 0, 0, 0, 0, 1, 0])
    assert struct.unpack(">I", data[:4])[0] == len(data) - 4
    assert data[6:8] == b"\x00\x08"                    # CD-ROM profile current
    assert data[8:10] == b"\x00\x00"                   # profile list first
    data = ok(rig, [0x46, 2, 0, 1, 0, 0, 0, 0, 64])    # just the core feature
    assert data[8:10] == b"\x00\x01" and len(data) == 8 + 12


def test_tray_lock_and_eject(rig):
    ok(rig, [0x1E, 0, 0, 0, 1])                        # prevent removal
    _, st, _ = packet(rig, [0x1B, 0, 0, 0, 0x02])
    assert st & 1 and sense(rig) == (5, 0x53, 2)
    ok(rig, [0x1E, 0, 0, 0, 0])
    ok(rig, [0x1B, 0, 0, 0, 0x02])                     # open the tray
    _, st, _ = packet(rig, [0x00])
    assert st & 1 and sense(rig) == (2, 0x3A, 2)
    assert ok(rig, [0xBD, 0, 0, 0, 0, 0, 0, 0, 0, 8])[1] & 0x10
    ok(rig, [0x1B, 0, 0, 0, 0x03])                     # close it: the disc is back
    _, st, _ = packet(rig, [0x00])
    assert st & 1 and sense(rig) == (6, 0x28, 0)
    ok(rig, [0x00])


def test_unknown_packet_and_misc(rig):
    _, st, err = packet(rig, [0xFF])
    assert st & 1 and err == 0x54
    assert sense(rig) == (5, 0x20, 0)
    ok(rig, [0xBB, 0, 0xFF, 0xFF])                     # SET CD SPEED
    ok(rig, [0x2B, 0, 0, 0, 0, 5])                     # SEEK
    info = ok(rig, [0x51, 0, 0, 0, 0, 0, 0, 0, 34])
    assert len(info) == 34 and info[2] == 0x0E
    sub = ok(rig, [0x42, 0, 0x40, 1, 0, 0, 0, 0, 16])
    assert sub[1] == 0x15 and sub[4] == 1


def test_slave_cdrom_behind_master_disk(tmp_path, iso):
    from hw.ata import AtaDisk
    r = Rig()
    r.ide.connect(0, 0, AtaDisk(make_image(tmp_path / "hda.img", 64)))
    r.ide.connect(0, 1, AtapiCdrom(iso))
    r.outb(0x3F6, 0x04)
    r.outb(0x3F6, 0x00)
    r.outb(0x1F6, 0xB0)
    assert (r.inb(0x1F4), r.inb(0x1F5)) == (0x14, 0xEB)
    r.outb(0x1F6, 0xA0)
    assert (r.inb(0x1F4), r.inb(0x1F5)) == (0x00, 0x00)
