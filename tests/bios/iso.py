"""Small ISO 9660 images with an El Torito boot catalog, written byte by byte for the
BIOS's CD tests (ECMA-119 for the volume descriptors and directory records; the El
Torito Bootable CD-ROM Format Specification 1.0 for the boot record and catalog).

Layout (2048-byte sectors): 0-15 system area, 16 primary volume descriptor, 17 boot
record (when bootable), 18 terminator, 19 boot catalog, 20 root directory, 21.. the
boot image, then `extra` data sectors.
"""
import struct

SECTOR = 2048
PVD, BOOT_RECORD, TERMINATOR, CATALOG, ROOT, IMAGE = 16, 17, 18, 19, 20, 21
NO_EMULATION, FLOPPY_1200K, FLOPPY_1440K, FLOPPY_2880K, HARD_DISK = range(5)


def both16(v):
    return struct.pack("<H", v) + struct.pack(">H", v)


def both32(v):
    return struct.pack("<I", v) + struct.pack(">I", v)


def descriptor(kind, body=b""):
    return (bytes((kind,)) + b"CD001\x01" + body).ljust(SECTOR, b"\0")


def dir_record(lba, size, name, is_dir):
    rec = (bytes((0, 0)) + both32(lba) + both32(size) + bytes(7)
           + bytes((2 if is_dir else 0, 0, 0)) + both16(1) + bytes((len(name),)) + name)
    if len(rec) % 2:
        rec += b"\0"
    return bytes((len(rec),)) + rec[1:]


def primary_volume(total_sectors):
    root = dir_record(ROOT, SECTOR, b"\0", True)
    body = (b"\0" + b"PYX86".ljust(32) + b"TESTCD".ljust(32) + bytes(8)
            + both32(total_sectors) + bytes(32) + both16(1) + both16(1) + both16(SECTOR)
            + both32(0) + struct.pack("<I", 0) + struct.pack("<I", 0)
            + struct.pack(">I", 0) + struct.pack(">I", 0) + root)
    return descriptor(1, body)


def validation_entry(platform=0):
    entry = bytearray(32)
    entry[0] = 1
    entry[1] = platform
    entry[4:4 + 5] = b"PYX86"
    entry[30:32] = b"\x55\xAA"
    total = sum(struct.unpack("<16H", bytes(entry))) & 0xFFFF
    entry[28:30] = struct.pack("<H", (-total) & 0xFFFF)
    return bytes(entry)


def default_entry(media, load_segment, count, lba, bootable=True):
    return struct.pack("<BBHBBHI", 0x88 if bootable else 0, media, load_segment, 0, 0,
                       count, lba).ljust(32, b"\0")


def make_iso(path, image=None, media=NO_EMULATION, load_segment=0, count=None,
             extra=b"", platform=0, checksum_ok=True):
    """Write an ISO to path; image (bytes) is the boot image (None: not bootable).
    count: virtual 512-byte sectors to load (default: the whole image for no
    emulation, 1 for emulation). Returns the LBA of `extra`."""
    image_sectors = -(-len(image) // SECTOR) if image else 0
    extra_lba = IMAGE + image_sectors
    total = extra_lba + -(-len(extra) // SECTOR)
    out = bytearray(SECTOR * 16)
    out += primary_volume(total)
    if image is not None:
        out += descriptor(0, b"EL TORITO SPECIFICATION".ljust(64, b"\0")
                          + struct.pack("<I", CATALOG))
    else:
        out += descriptor(0xFF)                 # a second terminator: keeps the layout
    out += descriptor(0xFF)
    catalog = bytearray(SECTOR)
    if image is not None:
        if count is None:
            count = -(-len(image) // 512) if media == NO_EMULATION else 1
        valid = bytearray(validation_entry(platform))
        if not checksum_ok:
            valid[28] ^= 1
        catalog[0:64] = bytes(valid) + default_entry(media, load_segment, count, IMAGE)
    out += catalog
    out += (dir_record(ROOT, SECTOR, b"\0", True)
            + dir_record(ROOT, SECTOR, b"\1", True)).ljust(SECTOR, b"\0")
    if image:
        out += image.ljust(image_sectors * SECTOR, b"\0")
    out += extra.ljust(-(-len(extra) // SECTOR) * SECTOR, b"\0")
    with open(path, "wb") as f:
        f.write(out)
    return extra_lba
