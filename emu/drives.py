"""Which image goes into which drive: `pyx86 run IMAGE`, --fda/--fdb, --hda..--hdd,
--cdrom and --boot, checked and opened before the machine is built.

A lone IMAGE is guessed as QEMU users expect: an ISO 9660 volume ("CD001" at byte
0x8001) is a CD, an image of a standard floppy size is a floppy, anything else a hard
disk; the guess is reported in one line. Without --boot the machine boots from what
IMAGE was guessed to be, else from the first of hard disk, floppy, CD-ROM that has a
medium (the BIOS tries the others after it, in the order c, a, d).
"""
import os
from dataclasses import dataclass, field

from emu.diskimage import DiskImage, ImageError
from hw.fdc import MEDIA_BY_SIZE, geometry_of

ISO_MAGIC_AT = 0x8001
ISO_MAGIC = b"CD001"
CD_SECTOR = 2048
FLOPPIES = ("fda", "fdb")
IDE = ("hda", "hdb", "hdc", "hdd")
EMPTY_CD = "empty"                      # --cdrom empty: a drive without a disc


@dataclass
class DriveSet:
    floppies: dict = field(default_factory=dict)     # "fda"/"fdb" -> DiskImage
    ide: dict = field(default_factory=dict)          # "hda".."hdd"/"cdrom" -> DiskImage/None
    boot: str = "c"
    notes: list = field(default_factory=list)        # one-line messages for the user

    def images(self):
        return [i for i in list(self.floppies.values()) + list(self.ide.values()) if i]

    def close(self):
        for img in self.images():
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


_WHAT = {"cdrom": "an ISO 9660 CD image", "fda": "a floppy image", "hda": "a hard disk image"}
_LETTER = {"cdrom": "d", "fda": "a", "hda": "c"}


def open_drives(image=None, snapshot=False, boot=None, **paths):
    """Open IMAGE (guessed) and every drive=path given (drives: FLOPPIES, IDE and
    "cdrom", whose path may be EMPTY_CD). Raises ImageError (closing what was opened)."""
    chosen = {d: p for d, p in paths.items() if p is not None}
    unknown = set(chosen) - set(FLOPPIES + IDE + ("cdrom",))
    if unknown:
        raise ValueError("unknown drives %s" % ", ".join(sorted(unknown)))
    if "cdrom" in chosen and "hdc" in chosen:
        raise ImageError("--cdrom and --hdc are the same IDE position")
    drives = DriveSet()
    guessed = None
    if image is not None:
        guessed = guess_kind(image)
        if guessed in chosen or (guessed == "cdrom" and "hdc" in chosen):
            raise ImageError("image %s looks like %s, but that drive is given too"
                             % (image, _WHAT[guessed]))
        chosen[guessed] = image
        drives.notes.append("%s: %s, attached as --%s (name the drive with --hda, --fda "
                            "or --cdrom to choose)" % (image, _WHAT[guessed], guessed))
    try:
        for name in FLOPPIES:
            if name in chosen:
                drives.floppies[name] = DiskImage(chosen[name], snapshot=snapshot,
                                                  kind="floppy")
                geometry_of(drives.floppies[name])      # a known floppy format
        for name in IDE:
            if name in chosen:
                drives.ide[name] = DiskImage(chosen[name], snapshot=snapshot)
        if "cdrom" in chosen:
            path = chosen["cdrom"]
            drives.ide["cdrom"] = None if path == EMPTY_CD else DiskImage(
                path, readonly=True, sector_size=CD_SECTOR, kind="CD")
    except ImageError:
        drives.close()
        raise
    if boot is not None:
        drives.boot = boot
    elif guessed is not None:
        drives.boot = _LETTER[guessed]
    elif not any(n in drives.ide for n in IDE) and drives.floppies:
        drives.boot = "a"
    elif not any(n in drives.ide for n in IDE) and drives.ide.get("cdrom"):
        drives.boot = "d"
    return drives
