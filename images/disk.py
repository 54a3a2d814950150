"""Bootable hard-disk images: an MBR, one active FAT16 partition, SYSLINUX on it.

The tools are Debian's: mtools formats the partition and copies files into it (no loop
mounts, no root), the `syslinux` installer (its mtools flavour) writes its boot sector
and ldlinux.sys/ldlinux.c32 there, and the MBR's boot code is syslinux's mbr.bin, which
loads the boot sector of the partition marked active. They come as the host's own
packages through images.deb and run from the cache, so nothing is installed on the host.
"""
import os
import pathlib
import struct
import subprocess

SECTOR = 512
PART_START = 2048                 # first partition at 1 MiB, as fdisk places it
HEADS, SPT = 16, 63               # the CHS geometry written in the partition table
FAT16_LBA = 0x0E                  # partition type: FAT16, reached through LBA
TOOL_PACKAGES = ("mtools", "syslinux", "syslinux-common")


def host_arch():
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "i686": "i386", "aarch64": "arm64"}.get(
            os.uname().machine, os.uname().machine)


class Tools:
    """mtools and syslinux unpacked from their packages; .versions for the record."""

    def __init__(self, archive):
        arch = host_arch()
        pkgs = [archive.resolve(name, arch) for name in TOOL_PACKAGES]
        self.versions = {p.name: p.version for p in pkgs}
        roots = [archive.unpacked(p) for p in pkgs]
        self.bin = [str(r / "usr" / "bin") for r in roots]
        self.mbr = (roots[2] / "usr/lib/syslinux/mbr/mbr.bin").read_bytes()[:440]
        self.env = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLSRC=os.devnull,
                        PATH=os.pathsep.join(self.bin + [os.environ.get("PATH", "")]))

    def run(self, *argv):
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("images: %s failed (%d): %s"
                               % (" ".join(map(str, argv)), r.returncode,
                                  (r.stderr or r.stdout).strip()))
        return r.stdout


def _chs(lba):
    """The 3 CHS bytes of a partition table entry (saturated past 1024 cylinders)."""
    c, rem = divmod(lba, HEADS * SPT)
    h, s = divmod(rem, SPT)
    if c > 1023:
        c, h, s = 1023, HEADS - 1, SPT - 1
    return bytes((h, ((c >> 2) & 0xC0) | (s + 1), c & 0xFF))


def mbr(code, start, count, ptype):
    """A 512-byte MBR: boot code, one active partition [start, start+count), 55AA."""
    entry = (b"\x80" + _chs(start) + bytes((ptype,)) + _chs(start + count - 1)
             + struct.pack("<II", start, count))
    sector = bytearray(SECTOR)
    sector[:len(code)] = code
    sector[446:462] = entry
    sector[510:512] = b"\x55\xAA"
    return bytes(sector)


def syslinux_disk(path, tools, files, config, size_mib=32, label="PYX86"):
    """Write a bootable disk image at path.

    files: {name in the FAT root: bytes}; config: the text of syslinux.cfg."""
    path = pathlib.Path(path)
    count = size_mib * 2048 - PART_START
    with open(path, "wb") as f:
        f.truncate((PART_START + count) * SECTOR)
        f.write(mbr(tools.mbr, PART_START, count, FAT16_LBA))
    part = "%s@@%d" % (path, PART_START * SECTOR)
    # -H: hidden sectors, where SYSLINUX's boot sector finds its partition
    tools.run("mformat", "-i", part, "-T", str(count), "-h", str(HEADS), "-s", str(SPT),
              "-H", str(PART_START), "-v", label, "::")
    staging = path.with_name(path.name + ".files")
    staging.mkdir(exist_ok=True)
    try:
        for name, data in dict(files, **{"syslinux.cfg": config.encode()}).items():
            (staging / name).write_bytes(data)
            tools.run("mcopy", "-i", part, str(staging / name), "::" + name)
    finally:
        for p in staging.iterdir():
            p.unlink()
        staging.rmdir()
    tools.run("syslinux", "--offset", str(PART_START * SECTOR), "--install", str(path))
    info = tools.run("minfo", "-i", part, "::")
    if 'disk type="FAT16' not in info:
        raise RuntimeError("images: %s: mformat did not make FAT16:\n%s" % (path, info))
    return path
