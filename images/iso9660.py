"""Bootable CD images: ISO 9660 with an El Torito no-emulation boot of ISOLINUX.

Written here byte by byte (no mkisofs/xorriso): ECMA-119 (ISO 9660) level 1 names,
one level of subdirectories, the primary volume descriptor with both path tables; the
El Torito Bootable CD-ROM Format Specification 1.0 boot record and catalog (platform
80x86, no emulation, four 512-byte sectors loaded at 07C0:0000); and the "boot info
table" ISOLINUX expects at offset 8 of isolinux.bin (what mkisofs -boot-info-table
writes: the primary volume descriptor's LBA, the file's LBA and length, a checksum of
its 32-bit words from offset 64), from which it loads the rest of itself. ISOLINUX
then reads /isolinux/isolinux.cfg like SYSLINUX's configuration.

Layout (2048-byte sectors): 16 primary volume descriptor, 17 boot record, 18
terminator, 19/20 little/big-endian path tables, 21.. directories, the boot catalog,
then the files.
"""
import struct

SECTOR = 2048
PVD_LBA = 16
FIRST_FREE = 21
UNSPECIFIED_DATE = b"0" * 16 + b"\0"
BOOT_LOAD_SECTORS = 4                     # virtual sectors of isolinux.bin the BIOS loads


def _both16(v):
    return struct.pack("<H", v) + struct.pack(">H", v)


def _both32(v):
    return struct.pack("<I", v) + struct.pack(">I", v)


def _sectors(n):
    return -(-n // SECTOR)


def _dir_record(lba, size, ident, is_dir):
    rec = (bytes(2) + _both32(lba) + _both32(size) + bytes(7)
           + bytes((2 if is_dir else 0, 0, 0)) + _both16(1) + bytes((len(ident),)) + ident)
    if len(rec) % 2:
        rec += b"\0"
    return bytes((len(rec),)) + rec[1:]


def _file_id(name):
    """A level 1 file identifier: upper case, a dot, version 1 ("VMLINUZ.;1")."""
    base, _, ext = name.upper().partition(".")
    if len(base) > 8 or len(ext) > 3:
        raise ValueError("images: %r is not an 8.3 name" % name)
    return ("%s.%s;1" % (base, ext)).encode()


def _descriptor(kind, body):
    return (bytes((kind,)) + b"CD001\x01" + body).ljust(SECTOR, b"\0")


def _path_table(dirs, big):
    """dirs: [(identifier, lba, parent number)], root first."""
    fmt = ">IH" if big else "<IH"
    out = bytearray()
    for ident, lba, parent in dirs:
        out += bytes((len(ident), 0)) + struct.pack(fmt, lba, parent) + ident
        if len(ident) % 2:
            out += b"\0"
    return bytes(out)


def _boot_info_table(image, pvd, lba):
    """isolinux.bin with mkisofs' boot info table at offset 8."""
    data = bytearray(image)
    data += bytes(-len(data) % 4)
    checksum = sum(struct.unpack_from("<%dI" % ((len(data) - 64) // 4), data, 64)) \
        & 0xFFFFFFFF
    data[8:64] = struct.pack("<IIII", pvd, lba, len(image), checksum) + bytes(40)
    return bytes(data[:len(image)])


def _catalog(lba):
    valid = bytearray(32)
    valid[0] = 1                                    # header; platform 0: 80x86
    valid[4:4 + 5] = b"PYX86"
    valid[30:32] = b"\x55\xAA"
    total = sum(struct.unpack("<16H", bytes(valid))) & 0xFFFF
    valid[28:30] = struct.pack("<H", -total & 0xFFFF)
    entry = struct.pack("<BBHBBHI", 0x88, 0, 0, 0, 0, BOOT_LOAD_SECTORS, lba)
    return (bytes(valid) + entry).ljust(SECTOR, b"\0")


def isolinux_cd(path, isolinux_bin, ldlinux_c32, config, files, label="PYX86"):
    """Write a bootable CD to path: /isolinux/{isolinux.bin,ldlinux.c32,isolinux.cfg,
    boot.cat} and files ({8.3 name: bytes}) in the root directory."""
    subdir = {"isolinux.bin": isolinux_bin, "ldlinux.c32": ldlinux_c32,
              "isolinux.cfg": config.encode()}
    root_lba, sub_lba = FIRST_FREE, FIRST_FREE + 1
    catalog_lba = sub_lba + 1
    lba = catalog_lba + 1
    placed = {}                                     # (dir, name) -> (lba, data)
    for where, group in (("isolinux", subdir), ("", files)):
        for name in sorted(group):
            placed[where, name] = (lba, group[name])
            lba += _sectors(len(group[name]))
    total = lba
    boot_lba = placed["isolinux", "isolinux.bin"][0]
    placed["isolinux", "isolinux.bin"] = (
        boot_lba, _boot_info_table(isolinux_bin, PVD_LBA, boot_lba))

    def directory(own, parent, where, entries):
        out = _dir_record(own, SECTOR, b"\0", True) + _dir_record(parent, SECTOR, b"\1", True)
        for ident, rec_lba, size, is_dir in sorted(entries):
            out += _dir_record(rec_lba, size, ident, is_dir)
        if len(out) > SECTOR:
            raise ValueError("images: directory %r does not fit one sector" % where)
        return out.ljust(SECTOR, b"\0")

    root_entries = [(b"ISOLINUX", sub_lba, SECTOR, True)]
    root_entries += [(_file_id(n), placed["", n][0], len(placed["", n][1]), False)
                     for n in files]
    sub_entries = [(_file_id(n), placed["isolinux", n][0], len(placed["isolinux", n][1]),
                    False) for n in subdir]
    sub_entries.append((_file_id("boot.cat"), catalog_lba, SECTOR, False))

    dirs = [(b"\0", root_lba, 1), (b"ISOLINUX", sub_lba, 1)]
    l_table, m_table = _path_table(dirs, False), _path_table(dirs, True)
    pvd = (b"\0" + b"LINUX".ljust(32) + label.encode().ljust(32) + bytes(8)
           + _both32(total) + bytes(32) + _both16(1) + _both16(1) + _both16(SECTOR)
           + _both32(len(l_table)) + struct.pack("<II", 19, 0) + struct.pack(">II", 20, 0)
           + _dir_record(root_lba, SECTOR, b"\0", True)
           + b" " * (128 * 4 + 37 * 3) + UNSPECIFIED_DATE * 4 + b"\x01")
    with open(path, "wb") as f:
        f.write(bytes(SECTOR * PVD_LBA))
        f.write(_descriptor(1, pvd))
        f.write(_descriptor(0, b"EL TORITO SPECIFICATION".ljust(64, b"\0")
                            + struct.pack("<I", catalog_lba)))
        f.write(_descriptor(0xFF, b""))
        f.write(l_table.ljust(SECTOR, b"\0"))
        f.write(m_table.ljust(SECTOR, b"\0"))
        f.write(directory(root_lba, root_lba, "/", root_entries))
        f.write(directory(sub_lba, root_lba, "/isolinux", sub_entries))
        f.write(_catalog(boot_lba))
        for key in sorted(placed, key=lambda k: placed[k][0]):
            data = placed[key][1]
            f.write(data.ljust(_sectors(len(data)) * SECTOR, b"\0"))
