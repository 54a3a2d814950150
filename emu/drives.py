"""Which image goes into which drive: `pyx86 run IMAGE`, --hda/--hdb/--cdrom/--fda/--fdb
and --boot, checked and opened before the machine is built.

A lone IMAGE is guessed as QEMU users expect: an ISO 9660 volume ("CD001" at byte
0x8001) is a CD, an image of a standard floppy size is a floppy, anything else a hard
disk; the guess is reported in one line. --boot takes the order of the BIOS's boot
devices as letters (a floppy, c hard disk, d CD-ROM), e.g. "dc"; without it the
machine boots from what IMAGE was guessed to be, else c, a, d.
"""
import os
from dataclasses import dataclass, field

from emu.diskimage import DiskImage, ImageError
from hw.fdc import MEDIA_BY_SIZE

ISO_MAGIC_AT = 0x8001
ISO_MAGIC = b"CD001"
CD_SECTOR = 2048
DRIVES = ("fda", "fdb", "hda", "hdb", "cdrom")
BOOT_LETTERS = {"a": "floppy", "c": "hard disk", "d": "CD-ROM"}
DEFAULT_BOOT = "cad"


@dataclass
class DriveSet:
    images: dict = field(default_factory=dict)       # drive name -> DiskImage
    boot: str = DEFAULT_BOOT
    notes: list = field(default_factory=list)        # one-line messages for the user

    def close(self):
        for img in self.images.values():
            img.close()


def guess_kind(path):
    """'cdrom', 'fda' or 'hda' for an image file (ImageError when unreadable)."""
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as f:
            f.seek(ISO_MAGIC_AT)
            magic = f.read(len(ISO_MAGIC))
    except FileNotFoundError:
        raise ImageError("image %s: no such file" % path) from None
    except IsADirectoryError:
        raise ImageError("image %s: is a directory" % path) from None
    except OSError as e:
        raise ImageError("image %s: %s" % (path, e.strerror or e)) from None
    if magic == ISO_MAGIC and size % CD_SECTOR == 0:
        return "cdrom"
    if size in MEDIA_BY_SIZE:
        return "fda"
    return "hda"


def check_boot(order):
    """The --boot value, validated: letters from a, c, d, each at most once."""
    if not order or any(c not in BOOT_LETTERS for c in order) or len(set(order)) != len(order):
        raise ValueError("--boot %r: use the letters a (floppy), c (hard disk) and d "
                         "(CD-ROM), each at most once, e.g. \"c\" or \"dc\"" % order)
    return order


def open_drives(image=None, snapshot=False, boot=None, **paths):
    """Open every image named (drive=path for the DRIVES), plus IMAGE guessed.

    Returns a DriveSet; raises ImageError (closing what was opened) when one fails."""
    chosen = {d: p for d, p in paths.items() if p is not None}
    unknown = set(chosen) - set(DRIVES)
    if unknown:
        raise ValueError("unknown drives %s" % ", ".join(sorted(unknown)))
    drives = DriveSet()
    guessed = None
    if image is not None:
        guessed = guess_kind(image)
        if guessed in chosen:
            raise ImageError("image %s would be the %s, but --%s names %s too"
                             % (image, guessed, guessed, chosen[guessed]))
        chosen[guessed] = image
        what = {"cdrom": "an ISO 9660 CD image", "fda": "a floppy image",
                "hda": "a hard disk image"}[guessed]
        drives.notes.append("%s: %s, attached as --%s (name the drive with --hda, --fda "
                            "or --cdrom to choose)" % (image, what, guessed))
    try:
        for name in DRIVES:
            path = chosen.get(name)
            if path is None:
                continue
            kind = {"cdrom": "CD", "fda": "floppy", "fdb": "floppy"}.get(name, "disk")
            drives.images[name] = DiskImage(
                path, readonly=(name == "cdrom"), snapshot=snapshot and name != "cdrom",
                sector_size=CD_SECTOR if name == "cdrom" else 512, kind=kind)
    except ImageError:
        drives.close()
        raise
    if boot is not None:
        drives.boot = check_boot(boot)
    elif guessed is not None:
        first = {"cdrom": "d", "fda": "a", "hda": "c"}[guessed]
        drives.boot = first + DEFAULT_BOOT.replace(first, "")
    return drives
