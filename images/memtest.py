"""The `memtest` image: memtest86+ (Debian's build of 6.x, the 32-bit ia32 binary).

memtest86+ia32.bin is both a floppy boot image (its first sector is a boot sector that
loads the rest with BIOS INT 13h) and a Linux zImage (setup header "HdrS"), so it is
given two ways, in OUT/memtest/:
  floppy.img  a 1.44 MB floppy: the .bin from sector 0, padded
  disk.img    a 32 MiB hard disk (MBR, FAT16, SYSLINUX) that loads it as a kernel
The package's own CD image comes along as it is:
  memtest.iso an El Torito CD (1.44M floppy emulation of the same .bin, plus an EFI
              image)
Both show memtest86+'s screen in VGA text mode. The disk passes `nopause`, so testing
starts at once; from the floppy (no command line) memtest86+ first waits a few seconds
at "Press <F1> to configure ... <Enter> to start testing".
"""
import pathlib

from images import deb, disk, stamp

PACKAGE = "memtest86+"
ARCH = "i386"
BINARY = "boot/memtest86+ia32.bin"
ISO = "usr/lib/memtest86+/memtest86+ia32.iso"
FLOPPY_SIZE = 1474560                    # 80 cylinders x 2 heads x 18 sectors x 512

SYSLINUX_CFG = """DEFAULT memtest
PROMPT 0
LABEL memtest
  LINUX /memtest.bin
  APPEND nopause
"""


def floppy(binary):
    if len(binary) > FLOPPY_SIZE or binary[510:512] != b"\x55\xAA":
        raise RuntimeError("images: %s is not a floppy boot image" % BINARY)
    return binary + bytes(FLOPPY_SIZE - len(binary))


def build(out, log=print):
    """Build (or find up to date) OUT/memtest/{floppy.img,disk.img,memtest.iso}."""
    out = pathlib.Path(out)
    archive = deb.Archive(out / "apt", log=log)
    pkg = archive.resolve(PACKAGE, ARCH)
    tools = disk.Tools(archive)
    folder = out / "memtest"
    outputs = [folder / "floppy.img", folder / "disk.img", folder / "memtest.iso"]
    inputs = dict(tools.versions, **{pkg.name: pkg.version})
    if stamp.up_to_date(folder, inputs, outputs, __file__, disk.__file__):
        return outputs
    folder.mkdir(parents=True, exist_ok=True)
    package = archive.fetch(pkg)
    binary = deb.read_member(package, BINARY)
    stamp.write(outputs[0], floppy(binary))
    stamp.write(outputs[2], deb.read_member(package, ISO))
    tmp = outputs[1].with_name(outputs[1].name + ".part")
    disk.syslinux_disk(tmp, tools, {"memtest.bin": binary}, SYSLINUX_CFG)
    tmp.replace(outputs[1])
    stamp.record(folder, inputs, __file__, disk.__file__)
    log("images: memtest: %s %s" % (pkg.name, pkg.version))
    return outputs
