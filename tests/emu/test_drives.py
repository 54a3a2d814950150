"""Which image goes where: guessing IMAGE's kind, drive options, the boot device, and
the demo disk when nothing is given."""
import io

import pytest

from bios.build import image as bios_image
from emu.diskimage import DiskImage
from emu.machine import Machine, Stop
from emu.screendump import dump_screen
from images import demo

from emu.diskimage import ImageError
from emu.drives import guess_kind, open_drives
from tests.emu.test_cli import err, pyx86


def iso(path, sectors=20):
    data = bytearray(2048 * sectors)
    data[0x8001:0x8006] = b"CD001"
    path.write_bytes(data)
    return path


def test_guess_kind(tmp_path):
    assert guess_kind(iso(tmp_path / "a.iso")) == "cdrom"
    (tmp_path / "f.img").write_bytes(bytes(1474560))
    assert guess_kind(tmp_path / "f.img") == "fda"
    (tmp_path / "d.img").write_bytes(bytes(512 * 100))
    assert guess_kind(tmp_path / "d.img") == "hda"
    # "CD001" in a file that is not whole CD sectors is a disk
    (tmp_path / "odd.img").write_bytes(bytes(0x8001) + b"CD001" + bytes(506))
    assert guess_kind(tmp_path / "odd.img") == "hda"
    with pytest.raises(ImageError, match="no such file"):
        guess_kind(tmp_path / "missing.img")


def test_open_drives_places_and_boots(tmp_path):
    (tmp_path / "f.img").write_bytes(bytes(737280))
    (tmp_path / "d.img").write_bytes(bytes(512 * 100))
    d = open_drives(str(tmp_path / "f.img"))
    assert set(d.floppies) == {"fda"} and d.boot == "a" and "floppy image" in d.notes[0]
    d = open_drives(str(iso(tmp_path / "c.iso")))
    assert d.ide["cdrom"].sector_size == 2048 and d.boot == "d"
    d = open_drives(None, hda=str(tmp_path / "d.img"), fda=str(tmp_path / "f.img"))
    assert d.boot == "c" and not d.notes
    d = open_drives(None, fdb=str(tmp_path / "f.img"), cdrom="empty")
    assert d.boot == "a" and d.ide["cdrom"] is None
    d = open_drives(None, hda=str(tmp_path / "d.img"), boot="d")
    assert d.boot == "d"
    with pytest.raises(ImageError, match="that drive is given too"):
        open_drives(str(tmp_path / "d.img"), hda=str(tmp_path / "d.img"))
    with pytest.raises(ImageError, match="same IDE position"):
        open_drives(None, hdc=str(tmp_path / "d.img"), cdrom="empty")


def test_snapshot_applies_to_every_writable_drive(tmp_path):
    (tmp_path / "d.img").write_bytes(bytes(512 * 4))
    d = open_drives(None, snapshot=True, hda=str(tmp_path / "d.img"))
    d.ide["hda"].write(0, b"\x55" * 512)
    d.close()
    assert (tmp_path / "d.img").read_bytes() == bytes(512 * 4)


def test_no_image_boots_the_demo_disk():
    p = pyx86("run", "--headless", "--debugcon", "none", "--max-instructions", 40_000_000,
              timeout=180)
    assert "booting the demo disk" in err(p)
    out = p.stdout.decode("latin-1")
    assert "pyx86 demo disk" in out and "GenuineIntel" in out and "8086:1237" in out


def test_unknown_floppy_size_is_a_usage_error(tmp_path):
    bad = tmp_path / "f.img"
    bad.write_bytes(bytes(1000 * 512))
    p = pyx86("run", "--headless", "--fda", bad)
    assert p.returncode == 2 and "not a known floppy size" in err(p)


def test_screen_dump_of_the_demo_text_and_graphics(tmp_path):
    """The demo's text page (dumped once the serial log shows it is complete), then
    the CLI's dump at exit, in mode 13h."""
    out = io.BytesIO()
    m = Machine(bios_image(), serial=out,
                drives={"hda": DiskImage(demo.default_image(), snapshot=True)})
    while b"Mandelbrot in VGA mode 13h next" not in out.getvalue():
        assert m.run(max_instructions=m.cpu.icount + 20_000).stop is Stop.LIMIT
    text = tmp_path / "screen.txt"
    assert dump_screen(m.vga, text) == "text"
    screen = text.read_text(encoding="utf-8")
    assert "pyx86 demo disk" in screen and "GenuineIntel" in screen
    assert "00:02.0 1234:1111 VGA controller" in screen
    png = tmp_path / "screen.png"
    p = pyx86("run", "--headless", "--debugcon", "none", "--serial", "none",
              "--max-instructions", 200_000_000, "--screen-dump", png, timeout=300)
    assert "screen dumped to %s (png)" % png in err(p)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (320, 200)                  # mode 13h: the Mandelbrot


def test_screen_dump_path_checked_first(tmp_path):
    p = pyx86("run", "--headless", "--screen-dump", tmp_path / "no" / "such" / "x.txt")
    assert p.returncode == 2 and "cannot write the screen dump" in err(p)
