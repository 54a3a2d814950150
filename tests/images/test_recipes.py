"""The pieces of the image recipes that need no network: formats, parsing, caching."""
import gzip
import io
import struct
import tarfile

import pytest

from images import cli, deb, disk, iso9660, linux, memtest, stamp


@pytest.mark.parametrize("a, b, order", [
    ("1.0", "1.0", 0), ("1.0~rc1", "1.0", -1), ("1:0.5", "2.0", 1),
    ("6.1.140-1", "6.1.76-1", 1), ("1.36.1-3", "1.36.1-3+b1", -1),
    ("6.1.0-9", "6.1.0-10", -1), ("1.0a", "1.0", 1), ("1.0~", "1.0~~", 1),
])
def test_debian_version_order(a, b, order):
    got = deb.compare_versions(a, b)
    assert (got > 0) - (got < 0) == order


def test_sources_from_both_apt_formats(tmp_path):
    (tmp_path / "a.list").write_text(
        "deb [arch=i386,amd64 signed-by=/k.gpg] http://m.example/debian/ bookworm main contrib\n"
        "deb-src http://m.example/debian bookworm main\n# deb http://x y z\n")
    (tmp_path / "b.sources").write_text(
        "Types: deb\nURIs: http://m.example/sec\nSuites: s1 s2\nComponents: main\n\n"
        "Types: deb\nEnabled: no\nURIs: http://off\nSuites: x\nComponents: main\n")
    (tmp_path / "c.sources.disabled").write_text("Types: deb\nURIs: http://n\n")
    got = deb.apt_sources([str(tmp_path)])
    assert got == [
        deb.Source("http://m.example/debian", "bookworm", ("main", "contrib"), "/k.gpg",
                   ("i386", "amd64")),
        deb.Source("http://m.example/sec", "s1", ("main",), deb.DEFAULT_KEYRING, ()),
        deb.Source("http://m.example/sec", "s2", ("main",), deb.DEFAULT_KEYRING, ()),
    ]


def test_unreachable_mirror_is_one_clear_error(tmp_path):
    # port 9 (discard) on the loopback: nothing listens, the connection is refused
    src = deb.Source("http://127.0.0.1:9/debian", "bookworm", ("main",),
                     deb.DEFAULT_KEYRING, ())
    archive = deb.Archive(tmp_path, sources=[src], log=lambda m: None)
    with pytest.raises(deb.DebError) as e:
        archive.resolve("busybox-static", "i386")
    assert str(e.value).startswith("images: cannot fetch busybox-static:i386: ")
    assert "\n" not in str(e.value)


def _deb(tmp_path, files):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    members = [("debian-binary", b"2.0\n"), ("control.tar.xz", b""),
               ("data.tar.xz", data.getvalue())]
    out = bytearray(b"!<arch>\n")
    for name, body in members:
        out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name.encode(), 0, 0, 0, b"100644",
                                                    len(body))
        out += body + b"\n" * (len(body) & 1)
    path = tmp_path / "p_1_all.deb"
    path.write_bytes(bytes(out))
    return path


def test_deb_members_and_unpack(tmp_path):
    path = _deb(tmp_path, {"boot/vmlinuz-6": b"kernel", "bin/busybox": b"bb!"})
    assert sorted(deb.members(path)) == ["bin/busybox", "boot/vmlinuz-6"]
    assert deb.read_member(path, "/bin/busybox") == b"bb!"
    with pytest.raises(deb.DebError, match="no file /bin/nope"):
        deb.read_member(path, "bin/nope")
    root = deb.unpack(path, tmp_path / "root")
    assert (root / "boot" / "vmlinuz-6").read_bytes() == b"kernel"


def _cpio_entries(data):
    """(name, mode, body, rdevmajor, rdevminor) of each newc entry."""
    pos, out = 0, []
    while True:
        assert data[pos:pos + 6] == b"070701"
        f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        name_at = pos + 110
        name = data[name_at:name_at + f[11] - 1].decode()
        body_at = (name_at + f[11] + 3) & ~3
        body = data[body_at:body_at + f[6]]
        pos = (body_at + f[6] + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out.append((name, f[1], body, f[9], f[10]))


def test_initramfs_layout():
    entries = {e[0]: e for e in _cpio_entries(gzip.decompress(linux.initramfs(b"BB")))}
    assert entries["bin/busybox"][1:3] == (0o100755, b"BB")
    assert entries["dev/console"][1] == 0o020600 and entries["dev/console"][3:] == (5, 1)
    for applet in linux.APPLETS:
        assert entries["bin/" + applet][1:3] == (0o120777, b"busybox")
    init = entries["init"][2].decode()
    assert entries["init"][1] == 0o100755 and init.startswith("#!/bin/sh\n")
    assert linux.BOOT_MARKER in init and "poweroff -f" in init
    assert linux.SHELL_PARAM in init and linux.SHELL_PARAM in linux.SYSLINUX_CFG
    assert "console=ttyS0,115200 console=tty0" in linux.SYSLINUX_CFG


def test_mbr_has_one_active_partition():
    sector = disk.mbr(b"\xEB\xFE", 2048, 63488, disk.FAT16_LBA)
    assert len(sector) == 512 and sector[:2] == b"\xEB\xFE" and sector[510:] == b"\x55\xAA"
    entry = sector[446:462]
    assert entry[0] == 0x80 and entry[4] == 0x0E
    assert entry[1:4] == bytes((0, 0x21, 2))          # LBA 2048 = C2 H0 S33 at 16x63
    assert int.from_bytes(entry[8:12], "little") == 2048
    assert int.from_bytes(entry[12:16], "little") == 63488
    assert sector[462:510] == bytes(48)


def test_memtest_floppy_pads_a_boot_image():
    binary = bytearray(1024)
    binary[510:512] = b"\x55\xAA"
    assert len(memtest.floppy(bytes(binary))) == memtest.FLOPPY_SIZE
    with pytest.raises(RuntimeError):
        memtest.floppy(bytes(1024))


def test_stamp_skips_only_unchanged_builds(tmp_path):
    out = tmp_path / "x.img"
    src = tmp_path / "recipe.py"
    src.write_text("v1")
    assert not stamp.up_to_date(tmp_path, {"p": "1"}, [out], src)
    stamp.write(out, b"image")
    stamp.record(tmp_path, {"p": "1"}, src)
    assert stamp.up_to_date(tmp_path, {"p": "1"}, [out], src)
    assert not stamp.up_to_date(tmp_path, {"p": "2"}, [out], src)
    src.write_text("v2")
    assert not stamp.up_to_date(tmp_path, {"p": "1"}, [out], src)


def test_cli_list_and_hello_build(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert {"hello", "linux", "memtest"} <= {line.split()[0] for line in listed.splitlines()}
    assert cli.main(["build", "hello", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "hello.rom").stat().st_size == 0x10000


def test_isolinux_cd_layout(tmp_path):
    isolinux = bytes(range(256)) * 9                        # 2304 bytes: two sectors
    path = tmp_path / "cd.iso"
    iso9660.isolinux_cd(path, isolinux, b"LDLINUX", "DEFAULT x\n",
                        {"vmlinuz": b"K" * 5000, "initrd.img": b"I" * 10})
    data = path.read_bytes()
    sector = lambda n: data[n * 2048:(n + 1) * 2048]
    pvd, boot, term = sector(16), sector(17), sector(18)
    assert pvd[:7] == b"\x01CD001\x01" and term[:7] == b"\xffCD001\x01"
    assert struct.unpack_from("<I", pvd, 80)[0] * 2048 == len(data)
    assert boot[7:30] == b"EL TORITO SPECIFICATION"
    catalog = sector(struct.unpack_from("<I", boot, 0x47)[0])
    assert sum(struct.unpack_from("<16H", catalog, 0)) & 0xFFFF == 0
    assert catalog[30:32] == b"\x55\xAA" and catalog[32] == 0x88 and catalog[33] == 0
    count, lba = struct.unpack_from("<HI", catalog, 38)
    assert count == 4
    # the boot info table: PVD, the file's own LBA and length, the checksum from 64
    image = data[lba * 2048:lba * 2048 + len(isolinux)]
    assert struct.unpack_from("<III", image, 8) == (16, lba, len(isolinux))
    checksum = sum(struct.unpack_from("<%dI" % ((len(isolinux) - 64) // 4), image, 64))
    assert struct.unpack_from("<I", image, 20)[0] == checksum & 0xFFFFFFFF
    assert image[64:] == isolinux[64:]
    # the root directory lists the kernel under its level 1 name
    root = sector(struct.unpack_from("<I", pvd, 156 + 2)[0])
    assert b"VMLINUZ.;1" in root and b"INITRD.IMG;1" in root and b"ISOLINUX" in root
