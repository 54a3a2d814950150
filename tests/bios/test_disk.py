"""The BIOS's disk services on real controllers: INT 13h on the floppy drive (82077AA,
DMA), on ATAPI CD-ROM drives (EDD), El Torito boots (no emulation, floppy emulation)
and SYSLINUX booting the Linux image from an IDE disk."""
import pathlib
import struct

import pytest

from emu.diskimage import DiskImage
from emu.machine import Stop
from tests.bios import iso
from tests.bios.harness import EXIT, BiosPC, asm

FLOPPY_SECTORS = 2880
SPT = 18
CF = 0x0001


def pattern(lba):
    """Sector lba of the test floppy: its number, then its low byte repeated."""
    return struct.pack("<H", lba) + bytes((lba & 0xFF,)) * 510


def floppy_image(path, boot=None):
    data = bytearray(b"".join(pattern(lba) for lba in range(FLOPPY_SECTORS)))
    if boot is not None:
        data[0:512] = boot.ljust(510, b"\0") + b"\x55\xAA"
    else:
        data[510:512] = b"\0\0"                 # not bootable: the harness gets INT 18h
    path.write_bytes(data)
    return path


def lba_of(cyl, head, sector):
    return (cyl * 2 + head) * SPT + sector - 1


def floppy_pc(tmp_path, readonly=False, **kw):
    path = floppy_image(tmp_path / "floppy.img")
    image = DiskImage(str(path), readonly=readonly, kind="floppy")
    return BiosPC(fda=image, **kw), image, path


def test_floppy_read_spans_heads_cylinders_and_a_dma_boundary(tmp_path):
    pc, _, _ = floppy_pc(tmp_path)
    pc.run_program("""
        mov ax, 0x1000
        mov es, ax
        mov bx, 0xff00  # the first sector straddles 0x20000: bounce buffer
        mov ax, 0x0224  # 36 sectors: both heads of cylinder 0
        mov cx, 0x0001
        xor dh, dh
        int 0x13
        pushf
        pop word ptr [0x602]
        mov [0x600], ax
        mov ax, 0x3000
        mov es, ax
        xor bx, bx
        mov ax, 0x0203  # the last sector of cylinder 2 head 1, then cylinder 3
        mov cx, 0x0212
        mov dh, 1
        int 0x13
        pushf
        pop word ptr [0x606]
        mov [0x604], ax
        mov ah, 0x01  # the last status
        int 0x13
        mov [0x608], ax
    """, drive=0)
    ax, flags, ax2, flags2, status = pc.results(5)
    assert (ax, flags & CF) == (0x0024, 0)
    assert pc.read(0x1FF00, 36 * 512) == b"".join(pattern(n) for n in range(36))
    assert (ax2, flags2 & CF) == (0x0003, 0)
    first = lba_of(2, 1, 18)
    assert pc.read(0x30000, 3 * 512) == b"".join(pattern(first + i) for i in range(3))
    assert status >> 8 == 0
    assert pc.read(0x441, 1) == b"\0"                       # BDA: last status
    assert pc.read(0x494, 1) == b"\3"                       # BDA: present cylinder


def test_floppy_write_verify_and_write_protect(tmp_path):
    pc, image, path = floppy_pc(tmp_path)
    pc.run_program("""
        mov ax, 0x2000
        mov es, ax
        xor di, di
        mov cx, 3 * 512
        mov al, 0xA5
        rep stosb
        xor bx, bx
        mov ax, 0x0303  # write 3 sectors from cylinder 5 head 1 sector 17
        mov cx, 0x0511
        mov dx, 0x0100
        int 0x13
        pushf
        pop word ptr [0x602]
        mov [0x600], ax
        mov ax, 0x0403  # verify them
        mov cx, 0x0511
        mov dx, 0x0100
        int 0x13
        pushf
        pop word ptr [0x606]
        mov [0x604], ax
        mov ax, 0x0401  # sector 19 does not exist
        mov cx, 0x0513
        mov dx, 0x0100
        int 0x13
        pushf
        pop word ptr [0x60a]
        mov [0x608], ax
        mov ah, 0x01
        int 0x13
        mov [0x60c], ax
    """, drive=0)
    ax, flags, vax, vflags, bad, bad_flags, status = pc.results(7)
    assert (ax, flags & CF) == (0x0003, 0)
    assert (vax, vflags & CF) == (0x0003, 0)
    assert (bad >> 8, bad_flags & CF) == (0x04, CF)         # sector not found
    assert status >> 8 == 0x04
    image.flush()
    data = path.read_bytes()
    first = lba_of(5, 1, 17)
    assert data[first * 512:(first + 3) * 512] == b"\xA5" * 1536
    assert data[(first + 3) * 512:(first + 4) * 512] == pattern(first + 3)

    pc, _, _ = floppy_pc(tmp_path, readonly=True)
    pc.run_program("""
        xor bx, bx
        mov es, bx
        mov ax, 0x0301
        mov cx, 0x0001
        xor dh, dh
        int 0x13
        pushf
        pop word ptr [0x602]
        mov [0x600], ax
    """, drive=0)
    ax, flags = pc.results(2)
    assert (ax >> 8, flags & CF) == (0x03, CF)              # write protected


def test_floppy_format_track(tmp_path):
    pc, image, path = floppy_pc(tmp_path)
    pc.run_program("""
        mov ah, 0x18  # media type: 80 cylinders, 18 sectors
        mov cx, 0x4f12
        xor dl, dl
        int 0x13
        pushf
        pop word ptr [0x602]
        mov [0x600], ax
        mov [0x604], es
        mov [0x606], di
        xor ax, ax  # the address fields: C=10 H=1 R=1..18 N=2
        mov es, ax
        mov di, 0x1000
        mov cx, 18
        mov al, 1
    fields:
        mov byte ptr es:[di], 10
        mov byte ptr es:[di+1], 1
        mov es:[di+2], al
        mov byte ptr es:[di+3], 2
        add di, 4
        inc al
        loop fields
        mov bx, 0x1000
        mov ax, 0x0512
        mov cx, 0x0a00
        mov dx, 0x0100
        int 0x13
        pushf
        pop word ptr [0x60a]
        mov [0x608], ax
    """, drive=0)
    ax, flags, es, di, fax, fflags = pc.results(6)
    assert (ax >> 8, flags & CF) == (0, 0)
    assert (es, di) == (0xF000, 0xEFC7)                     # the 1.44M parameter table
    assert (fax >> 8, fflags & CF) == (0, 0)
    image.flush()
    data = path.read_bytes()
    first = lba_of(10, 1, 1)
    assert data[first * 512:(first + 18) * 512] == b"\xF6" * (18 * 512)
    assert data[(first - 1) * 512:first * 512] == pattern(first - 1)
    assert data[(first + 18) * 512:(first + 19) * 512] == pattern(first + 18)


def test_floppy_parameters_and_types(tmp_path):
    pc, _, _ = floppy_pc(tmp_path)
    pc.run_program("""
        mov ah, 0x08
        xor dl, dl
        int 0x13
        mov [0x600], ax
        mov [0x602], bx
        mov [0x604], cx
        mov [0x606], dx
        mov [0x608], es
        mov [0x60a], di
        mov ah, 0x08
        mov dl, 1
        int 0x13
        mov [0x60c], bx
        mov [0x60e], dx
        mov ah, 0x15
        xor dl, dl
        int 0x13
        mov [0x610], ax
        mov ah, 0x15
        mov dl, 1
        int 0x13
        mov [0x612], ax
        mov ah, 0x02  # no drive B:
        mov al, 1
        mov cx, 1
        mov dx, 1
        int 0x13
        mov [0x614], ax
        mov ax, 0x1703          # 1.2M disk: not in a 1.44M drive
        xor dl, dl
        int 0x13
        mov [0x616], ax
        mov ax, 0x1704          # 720K disk: 250 kbit/s
        xor dl, dl
        int 0x13
        mov [0x618], ax
        mov al, [0x490]
        mov [0x61a], al
        xor bx, bx              # a read senses the disk's real format again
        mov es, bx
        mov bx, 0x1000
        mov ax, 0x0201
        mov cx, 0x0001
        xor dx, dx
        int 0x13
        mov [0x61c], ax
    """, drive=0)
    r = pc.results(15)
    assert r[0] == 0
    assert r[1] & 0xFF == 0x04                              # 1.44M drive
    assert r[2] == 0x4F12                                   # 79 cylinders, 18 sectors
    assert r[3] == 0x0101                                   # max head 1, one drive
    assert (r[4], r[5]) == (0xF000, 0xEFC7)
    assert (r[6], r[7]) == (0, 0x0001)                      # drive B: absent
    assert r[8] >> 8 == 0x02                                # floppy with change line
    assert r[9] >> 8 == 0x00                                # no drive
    assert r[10] >> 8 == 0x01
    assert r[11] >> 8 == 0x0C                               # media type not supported
    assert r[12] >> 8 == 0x00
    assert r[13] & 0xD0 == 0x90                             # 250 kbit/s, established
    assert r[14] == 0x0001
    assert pc.read(0x1000, 512) == pattern(0)
    assert pc.read(0x490, 1)[0] & 0xD0 == 0x10              # 500 kbit/s, established


def test_floppy_change_line(tmp_path):
    pc, image, _ = floppy_pc(tmp_path)
    program = asm("""
        mov ah, 0x16
        xor dl, dl
        int 0x13
        pushf
        pop word ptr [0x602]
        mov [0x600], ax
        mov ax, 0x1000
        mov es, ax
        xor bx, bx
        mov ax, 0x0201
        mov cx, 0x0001
        xor dx, dx
        int 0x13
        mov [0x604], ax
        mov ax, 0x0201
        mov cx, 0x0001
        xor dx, dx
        int 0x13
        mov [0x606], ax
        mov ah, 0x16
        xor dl, dl
        int 0x13
        pushf
        pop word ptr [0x60a]
        mov [0x608], ax
    """ + EXIT)
    pc.start(program, drive=0)
    pc.m.fdc.eject(0)
    pc.m.fdc.insert(0, image)
    pc.finish()
    ax, flags, read1, read2, ax2, flags2 = pc.results(6)
    assert (ax >> 8, flags & CF) == (0x06, CF)              # changed
    assert read1 >> 8 == 0x06                               # the first access says so
    assert read2 == 0x0001                                  # then the disk reads
    assert (ax2 >> 8, flags2 & CF) == (0, 0)
    assert pc.read(0x10000, 512) == pattern(0)

    pc, _, _ = floppy_pc(tmp_path)
    pc.start(program, drive=0)
    pc.m.fdc.eject(0)
    pc.finish()
    assert pc.results(3)[2] >> 8 == 0x80                    # no disk: not ready


def test_floppy_boots_with_dl_0(tmp_path):
    boot = asm("mov [0x600], dx\n" + EXIT)
    path = floppy_image(tmp_path / "boot.img", boot=boot)
    pc = BiosPC(fda=DiskImage(str(path), readonly=True, kind="floppy"), boot="a")
    pc.finish(50_000_000)
    assert pc.results(1)[0] & 0xFF == 0x00
    assert b"booting from the floppy" in pc.log.getvalue()


# ---- hard disks: PIO, and DMA through the IDE bus master once it has its BAR ----

def disk_pc(tmp_path, sectors=4096):
    path = tmp_path / "disk.img"
    path.write_bytes(b"".join(pattern(lba) for lba in range(sectors)))
    return BiosPC(drives={"hda": DiskImage(str(path))}), path


DISK_PROGRAM = """
    %s
    mov word ptr [0x700], 0x10
    mov word ptr [0x702], 200               # 200 sectors to 1000:8000: across 0x20000
    mov word ptr [0x704], 0x8000
    mov word ptr [0x706], 0x1000
    mov dword ptr [0x708], 7
    mov dword ptr [0x70c], 0
    mov si, 0x700
    mov ah, 0x42
    mov dl, 0x80
    int 0x13
    pushf
    pop word ptr [0x600]
    mov [0x602], ax
    mov ax, 0x5000
    mov es, ax
    xor di, di
    mov cx, 3 * 512
    mov al, 0x5A
    rep stosb
    mov ax, 0x0303                          # write 3 sectors at C/H/S 1/2/5
    mov cx, 0x0105
    mov dx, 0x0280
    xor bx, bx
    int 0x13
    pushf
    pop word ptr [0x604]
    mov [0x606], ax
"""

BUS_MASTER = """
    mov eax, 0x80000920                     # 00:01.1 BAR4 = C000h (I/O)
    mov dx, 0xcf8
    out dx, eax
    mov eax, 0xc001
    mov dx, 0xcfc
    out dx, eax
    mov eax, 0x80000904                     # COMMAND: I/O space, bus master or not
    mov dx, 0xcf8
    out dx, eax
    mov ax, %d
    mov dx, 0xcfc
    out dx, ax
"""
ENABLE_BUS_MASTER = BUS_MASTER % 0x0005
DISABLE_BUS_MASTER = BUS_MASTER % 0x0001                # whatever POST set up: PIO


@pytest.mark.parametrize("dma", [False, True])
def test_hard_disk_pio_and_dma(tmp_path, dma):
    pc, path = disk_pc(tmp_path)
    pc.start(asm(DISK_PROGRAM % (ENABLE_BUS_MASTER if dma else DISABLE_BUS_MASTER) + EXIT))
    pc.m.ide.engines[0].prd_table = 0          # forget the boot attempt's transfers
    pc.finish()
    rflags, rax, wflags, wax = pc.results(4)
    assert (rflags & CF, rax >> 8) == (0, 0)
    assert pc.read(0x18000, 200 * 512) == b"".join(pattern(7 + i) for i in range(200))
    assert (wflags & CF, wax) == (0, 0x0003)
    heads, spt = 16, 63                                     # the disk's own geometry
    first = (1 * heads + 2) * spt + 4
    data = path.read_bytes()
    assert data[first * 512:(first + 3) * 512] == b"\x5A" * 1536
    assert data[(first + 3) * 512:(first + 4) * 512] == pattern(first + 3)
    assert (pc.m.ide.engines[0].prd_table != 0) == dma      # the bus master was used


# ---- CD-ROM ----

def cd_pc(tmp_path, boot="c", **iso_kw):
    path = tmp_path / "cd.iso"
    extra_lba = iso.make_iso(path, **iso_kw)
    cd = DiskImage(str(path), readonly=True, sector_size=iso.SECTOR)
    return path, extra_lba, cd, boot


def extra_data(n):
    return b"".join(bytes((i,)) * iso.SECTOR for i in range(1, n + 1))


@pytest.mark.parametrize("dma", [False, True])
def test_cd_edd_services(tmp_path, dma):
    """A disc that does not boot; a program uses drive E0h with the EDD calls (whole
    sectors through the bus master once the controller has its BAR)."""
    path, extra_lba, cd, _ = cd_pc(tmp_path, extra=extra_data(3))
    pc = BiosPC(drives={"cdrom": cd})
    pc.start(asm((ENABLE_BUS_MASTER if dma else DISABLE_BUS_MASTER) + """
        mov ah, 0x41
        mov bx, 0x55aa
        mov dl, 0xe0
        int 0x13
        pushf
        pop word ptr [0x600]
        mov [0x602], bx
        mov [0x604], cx
        mov word ptr [0x700], 0x10  # disk address packet
        mov word ptr [0x702], 3
        mov word ptr [0x704], 0
        mov word ptr [0x706], 0x2000
        mov dword ptr [0x708], %d
        mov dword ptr [0x70c], 0
        mov si, 0x700
        mov ah, 0x42
        mov dl, 0xe0
        int 0x13
        pushf
        pop word ptr [0x606]
        mov [0x608], ax
        mov word ptr [0x800], 0x1a
        mov si, 0x800
        mov ah, 0x48
        mov dl, 0xe0
        int 0x13
        pushf
        pop word ptr [0x60a]
        mov ah, 0x43
        mov si, 0x700
        mov dl, 0xe0
        int 0x13
        mov [0x60c], ax
        mov ax, 0x4b01  # no CD boot happened
        mov si, 0x900
        mov dl, 0xe0
        int 0x13
        pushf
        pop word ptr [0x60e]
    """ % extra_lba + EXIT))
    pc.m.ide.engines[1].prd_table = 0          # forget the boot attempt's transfers
    pc.finish()
    flags, bx, cx, rflags, rax, pflags, wax, sflags = pc.results(8)
    assert (flags & CF, bx, cx) == (0, 0xAA55, 0x0001)
    assert (rflags & CF, rax >> 8) == (0, 0)
    assert pc.read(0x20000, 3 * iso.SECTOR) == extra_data(3)
    assert pflags & CF == 0
    params = pc.read(0x800, 0x1A)
    assert struct.unpack_from("<H", params, 0)[0] == 0x1A
    assert struct.unpack_from("<I", params, 16)[0] == path.stat().st_size // iso.SECTOR
    assert struct.unpack_from("<H", params, 24)[0] == iso.SECTOR
    assert wax >> 8 == 0x03                                 # a CD is write protected
    assert sflags & CF
    assert (pc.m.ide.engines[1].prd_table != 0) == dma


def test_cd_no_emulation_boot(tmp_path):
    code = asm("""
        xor ax, ax
        mov es, ax
        mov es:[0x600], dx
        mov ax, cs
        mov es:[0x602], ax
        mov ax, cs:[0x7fe]
        mov es:[0x604], ax
        mov ds, ax
        xor ax, ax
        mov ds, ax
        mov ax, 0x4b01
        mov dl, 0xe0
        mov si, 0x800
        int 0x13
        pushf
        pop word ptr [0x606]
        mov word ptr [0x700], 0x10
        mov word ptr [0x702], 1
        mov word ptr [0x704], 0
        mov word ptr [0x706], 0x2000
        mov dword ptr [0x708], 16
        mov dword ptr [0x70c], 0
        mov si, 0x700
        mov ah, 0x42
        mov dl, 0xe0
        int 0x13
        pushf
        pop word ptr [0x608]
    """ + EXIT, origin=0)
    image = bytearray(code.ljust(2048, b"\0"))
    image[0x7FE:0x800] = b"\x34\x12"                        # the 4th virtual sector too
    path, _, cd, _ = cd_pc(tmp_path, image=bytes(image))
    pc = BiosPC(drives={"cdrom": cd}, boot="d")
    pc.finish(50_000_000)
    dx, cs, marker, sflags, rflags = pc.results(5)
    assert (dx & 0xFF, cs, marker) == (0xE0, 0x07C0, 0x1234)
    assert sflags & CF == 0
    spec = pc.read(0x800, 0x13)
    assert spec[0:4] == bytes((0x13, 0, 0xE0, 1))           # no emulation, secondary
    assert struct.unpack_from("<I", spec, 4)[0] == iso.IMAGE
    assert struct.unpack_from("<HH", spec, 12) == (0x07C0, 4)
    assert rflags & CF == 0
    assert pc.read(0x20000, 6) == b"\x01CD001"


def test_cd_floppy_emulation_boot(tmp_path):
    boot = asm("""
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov [0x600], dx
        mov ax, 0x0201  # cylinder 1 head 1 sector 5 of the emulated disk
        mov cx, 0x0105
        mov dx, 0x0100
        mov bx, 0x1000
        int 0x13
        pushf
        pop word ptr [0x602]
        mov [0x604], ax
        mov ah, 0x08
        xor dl, dl
        int 0x13
        mov [0x606], bx
        mov [0x608], cx
        mov [0x60a], dx
        xor ax, ax
        mov es, ax
        mov ax, 0x0301
        mov cx, 0x0001
        xor dx, dx
        mov bx, 0x1000
        int 0x13
        mov [0x60c], ax
        mov ax, 0x0201  # drive 01h is the real A:
        mov cx, 0x0003
        mov dx, 0x0001
        mov bx, 0x2000
        int 0x13
        pushf
        pop word ptr [0x60e]
        mov ax, 0x4b00  # end the emulation
        xor dl, dl
        mov si, 0x800
        int 0x13
        pushf
        pop word ptr [0x610]
        mov ah, 0x15  # drive 00h is the real A: again
        xor dl, dl
        int 0x13
        mov [0x612], ax
    """ + EXIT, origin=0)
    emulated = bytearray(b"".join(bytes((0x80 | (lba & 0x7F),)) * 512
                                  for lba in range(FLOPPY_SECTORS)))
    emulated[0:512] = boot.ljust(510, b"\0") + b"\x55\xAA"
    _, _, cd, _ = cd_pc(tmp_path, image=bytes(emulated), media=iso.FLOPPY_1440K)
    real = floppy_image(tmp_path / "real.img")
    pc = BiosPC(drives={"cdrom": cd}, fda=DiskImage(str(real), kind="floppy"), boot="d")
    pc.finish(80_000_000)
    r = pc.results(10)
    assert r[0] & 0xFF == 0x00
    assert (r[1] & CF, r[2]) == (0, 0x0001)
    vlba = lba_of(1, 1, 5)
    assert pc.read(0x1000, 512) == bytes((0x80 | (vlba & 0x7F),)) * 512
    assert (r[3] & 0xFF, r[4], r[5]) == (0x04, 0x4F12, 0x0102)  # two floppies now
    assert r[6] >> 8 == 0x03
    assert r[7] & CF == 0
    assert pc.read(0x2000, 512) == pattern(2)
    assert r[8] & CF == 0
    assert pc.read(0x800, 3) == bytes((0x13, iso.FLOPPY_1440K, 0x00))
    assert r[9] >> 8 == 0x02


def test_cd_with_a_bad_catalog_does_not_boot(tmp_path):
    _, _, cd, _ = cd_pc(tmp_path, image=asm(EXIT, origin=0), checksum_ok=False)
    pc = BiosPC(drives={"cdrom": cd}, boot="d")
    pc.wait_for_boot_failure()
    assert b"boot catalog is not valid" in pc.log.getvalue()


# ---- the Linux image: SYSLINUX on an IDE disk ----

CACHE = pathlib.Path(__file__).resolve().parents[2] / "cache" / "images"


@pytest.fixture(scope="module")
def linux_image():
    """[vmlinuz, initrd.img, linux.img, linux.iso]"""
    from images import linux
    from images.deb import DebError
    try:
        return linux.build(CACHE, log=lambda msg: None)
    except DebError as e:
        pytest.skip(str(e))


def loads_kernel_and_initrd(pc):
    done = b"Loading /initrd.img...ok"
    for _ in range(40):
        if done in pc.serial.getvalue():
            break
        outcome = pc.m.run(pc.cpu.icount + 5_000_000)
        assert outcome.stop is Stop.LIMIT, outcome
    assert b"Loading /vmlinuz... ok" in pc.serial.getvalue()
    assert done in pc.serial.getvalue()


def test_syslinux_loads_kernel_and_initrd(linux_image):
    disk = DiskImage(str(linux_image[2]), snapshot=True)
    pc = BiosPC(memory_mib=128, drives={"hda": disk})
    loads_kernel_and_initrd(pc)
    assert b"SYSLINUX 6" in pc.serial.getvalue()


def test_isolinux_boots_from_cd(linux_image):
    """A real no-emulation CD: ISOLINUX asks INT 13h AX=4B01h for its drive, loads
    the rest of itself, ldlinux.c32, the kernel and the initrd with EDD reads."""
    cd = DiskImage(str(linux_image[3]), readonly=True, sector_size=iso.SECTOR)
    pc = BiosPC(memory_mib=128, drives={"cdrom": cd}, boot="d")
    loads_kernel_and_initrd(pc)
    assert b"ISOLINUX 6" in pc.serial.getvalue()


def test_cd_hard_disk_emulation_boot(tmp_path):
    """The image is an MBR disk whose partition ends at C/H/S 9/3/32: drive 80h with
    10 cylinders, 4 heads, 32 sectors."""
    boot = asm("""
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov [0x600], dx
        mov ah, 0x08
        mov dl, 0x80
        int 0x13
        mov [0x602], cx
        mov [0x604], dx
        mov ax, 0x0201
        mov cx, 0x0203
        mov dx, 0x0180
        mov bx, 0x1000
        int 0x13
        pushf
        pop word ptr [0x606]
        mov [0x608], ax
    """ + EXIT, origin=0)
    sectors = 10 * 4 * 32
    disk = bytearray(b"".join(bytes((lba & 0xFF,)) * 512 for lba in range(sectors)))
    mbr = bytearray(boot.ljust(446, b"\0"))
    mbr += bytes((0x80, 1, 1, 0, 0x06, 3, 32, 9)) + struct.pack("<II", 32, sectors - 32)
    disk[0:512] = bytes(mbr.ljust(510, b"\0")) + b"\x55\xAA"
    _, _, cd, _ = cd_pc(tmp_path, image=bytes(disk), media=iso.HARD_DISK)
    pc = BiosPC(drives={"cdrom": cd}, boot="d")
    pc.finish(50_000_000)
    dx, cx, dx8, flags, ax = pc.results(5)
    assert dx & 0xFF == 0x80
    assert (cx, dx8) == (0x0920, 0x0301)                    # 10 cyls, 32 spt, 4 heads
    assert (flags & CF, ax) == (0, 0x0001)
    vlba = (2 * 4 + 1) * 32 + 2
    assert pc.read(0x1000, 512) == bytes((vlba & 0xFF,)) * 512


# ---- memtest86+ from its floppy and from its El Torito CD ----

@pytest.fixture(scope="module")
def memtest_images():
    from images import memtest
    from images.deb import DebError
    try:
        return memtest.build(CACHE, log=lambda msg: None)
    except DebError as e:
        pytest.skip(str(e))


def screen_text(vga):
    cols, rows, cells = vga.text_snapshot()
    return "\n".join("".join(chr(c) for c, _ in cells[r * cols:(r + 1) * cols])
                     for r in range(rows))


@pytest.mark.parametrize("medium", ["floppy", "cdrom"])
def test_memtest_reaches_its_screen(memtest_images, medium):
    floppy, _, cd = memtest_images
    if medium == "floppy":
        pc = BiosPC(fda=DiskImage(str(floppy), readonly=True, kind="floppy"), boot="a")
    else:
        pc = BiosPC(drives={"cdrom": DiskImage(str(cd), readonly=True,
                                               sector_size=iso.SECTOR)}, boot="d")
    for _ in range(40):
        outcome = pc.m.run(pc.cpu.icount + 5_000_000)
        assert outcome.stop is Stop.LIMIT, outcome
        text = screen_text(pc.m.vga) if pc.m.vga.text_snapshot() else ""
        if "Press <F1> to configure" in text:
            break
    assert "Memtest86+" in text
    assert "Press <F1> to configure" in text
