"""Disk images: whole-sector access, write-through, snapshot overlays, clear errors."""
import os

import pytest

from emu.diskimage import DiskImage, ImageError


def make(tmp_path, data, name="d.img"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_read_write_goes_to_the_file(tmp_path):
    p = make(tmp_path, bytes(range(256)) * 8)                # 4 sectors
    img = DiskImage(p)
    assert img.sectors == 4 and img.size == 2048
    assert img.read(1, 1) == (bytes(range(256)) * 2)
    img.write(2, b"\xee" * 512)
    assert p.read_bytes()[1024:1536] == b"\xee" * 512       # at once, not at close
    img.close()


def test_snapshot_keeps_the_file_untouched(tmp_path):
    p = make(tmp_path, b"\0" * 1024)
    img = DiskImage(p, snapshot=True)
    img.write(1, b"\x55" * 512)
    assert img.read(0, 2) == b"\0" * 512 + b"\x55" * 512
    img.close()
    assert p.read_bytes() == b"\0" * 1024


def test_errors_are_one_line_messages(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        DiskImage(tmp_path / "missing.img")
    with pytest.raises(ImageError, match="empty"):
        DiskImage(make(tmp_path, b"", "e.img"))
    with pytest.raises(ImageError, match="not a whole number"):
        DiskImage(make(tmp_path, b"x" * 700, "odd.img"))
    with pytest.raises(ImageError, match="is a directory"):
        DiskImage(tmp_path)
    ro = make(tmp_path, b"\0" * 512, "ro.img")
    os.chmod(ro, 0o444)
    if os.geteuid() != 0:                                    # root can write anyway
        with pytest.raises(ImageError, match="read-only"):
            DiskImage(ro)
    img = DiskImage(ro, readonly=True)
    with pytest.raises(ImageError, match="read-only"):
        img.write(0, b"\0" * 512)
    with pytest.raises(ValueError):
        img.read(1, 1)


def test_cd_sectors(tmp_path):
    img = DiskImage(make(tmp_path, b"\1" * 4096, "cd.iso"), readonly=True, sector_size=2048,
                    kind="CD")
    assert img.sectors == 2 and img.read(1, 1) == b"\1" * 2048
