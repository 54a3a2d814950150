"""SeaBIOS (the distribution's build, /usr/share/seabios) as the machine's firmware:
POST with its SMM setup, its VGA BIOS from the VGA's PCI ROM, booting disks."""
import io

import pytest

from emu import seabios
from emu.cli import main
from emu.diskimage import DiskImage
from emu.machine import Machine, RomError, Stop
from images import demo
from tests.cpu.realmode import asm16

pytestmark = pytest.mark.skipif(not seabios.available(),
                                reason="SeaBIOS is not installed (Debian package seabios)")

STEP = 5_000_000
FLOPPY_144 = 1_474_560


def seabios_machine(**kw):
    rom, vgabios = seabios.images()
    log, serial = io.BytesIO(), io.BytesIO()
    m = Machine(rom, debugcon=log, debugcon_port=seabios.DEBUG_PORT, serial=serial,
                vgabios=vgabios, pm_base=seabios.PM_BASE, **kw)
    return m, log, serial


def run_until(m, done, limit):
    """Run in steps until done() or an outcome other than the step limit."""
    while m.cpu.icount < limit:
        outcome = m.run(max_instructions=m.cpu.icount + STEP)
        if outcome.stop != Stop.LIMIT or done():
            return outcome
    raise AssertionError("not done after %d instructions" % limit)


def screen_text(vga):
    cols, rows, cells = vga.text_snapshot()
    return "\n".join("".join(chr(c) for c, _ in cells[r * cols:(r + 1) * cols])
                     for r in range(rows))


def test_post_relocates_smbase_and_runs_the_vga_bios():
    m, log, serial = seabios_machine()
    run_until(m, lambda: b"Booting from" in log.getvalue(), 200_000_000)
    text = log.getvalue().decode(errors="replace")
    assert "SeaBIOS (version" in text and "Start SeaVGABIOS" in text
    assert "Moving pm_base to 0x%x" % seabios.PM_BASE in text
    assert m.cpu.smbase == 0xA0000 and not m.cpu.in_smm      # SMM set up, SMRAM closed
    assert m.host_bridge.get(0x72, 1) == 0x0A                  # G_SMRAME | C_BASE_SEG
    assert "SeaBIOS (version" in screen_text(m.vga)
    assert m.acpi_pm.pm_base == seabios.PM_BASE


def test_boots_the_demo_disk(tmp_path):
    path = tmp_path / "demo.img"
    path.write_bytes(demo.build_bytes())
    m, log, serial = seabios_machine(drives={"hda": DiskImage(str(path), snapshot=True)})
    run_until(m, lambda: b"Serial " in serial.getvalue(), 400_000_000)
    assert b"Booting from Hard Disk" in log.getvalue()
    assert serial.getvalue().startswith(b"pyx86 demo disk")
    assert b"(booted from)" in serial.getvalue()


def boot_sector():
    """Sends the boot drive (DL) to isa-debug-exit."""
    code = asm16("mov al, dl; out 0xf4, al; hlt", 0x7C00)
    return code.ljust(510, b"\0") + b"\x55\xaa"


@pytest.mark.parametrize("boot, name, size, drive", [
    ("a", "fda", FLOPPY_144, 0x00),
    ("c", "hda", 16 * 63 * 512 * 4, 0x80),
])
def test_boots_a_boot_sector(tmp_path, boot, name, size, drive):
    path = tmp_path / (name + ".img")
    path.write_bytes(boot_sector().ljust(size, b"\0"))
    image = DiskImage(str(path), snapshot=True)
    kw = {"fda": image} if name == "fda" else {"drives": {"hda": image}}
    m, log, serial = seabios_machine(boot=boot, **kw)
    outcome = run_until(m, lambda: False, 300_000_000)
    assert outcome.stop == Stop.DEBUG_EXIT and outcome.value == drive
    assert b"Booting from %s" % (b"Floppy" if name == "fda" else b"Hard Disk") in log.getvalue()


def test_missing_seabios_names_the_package(tmp_path):
    with pytest.raises(RomError, match="package 'seabios'"):
        seabios.images(str(tmp_path))


def test_cli_vgabios_file_must_exist(tmp_path, capsys):
    status = main(["run", "--headless", "--bios", "seabios", "--vgabios",
                   str(tmp_path / "nope.bin")])
    assert status == 2
    assert "VGA BIOS" in capsys.readouterr().err
