"""`pyx86 run` without --headless: the window, or a one-line usage error without a
display."""
import pytest

from tests.ui.sdlkit import sdl2  # noqa: F401  (skips without pysdl2)
from emu import cli
from tests.emu.roms import rom16, shutdown
from tests.emu.test_cli import pyx86


def test_no_display_is_a_usage_error_suggesting_headless(tmp_path):
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16(shutdown()))
    p = pyx86("run", "--bios", rom)           # the helper runs it without a display
    assert p.returncode == cli.EXIT_USAGE
    assert p.stderr.decode() == ("pyx86: error: cannot open a window: no display "
                                 "(DISPLAY and WAYLAND_DISPLAY are not set); run with "
                                 "--headless\n")


def test_help_lists_the_hot_keys():
    out = pyx86("run", "--help").stdout.decode()
    assert "window hot keys:" in out
    for keys in ("Ctrl+Alt+G", "Ctrl+Alt+F", "Ctrl+Alt+P", "Ctrl+Alt+R", "Ctrl+Alt+Q",
                 "Ctrl+Alt+S", "Ctrl+Alt+End"):
        assert keys in out


def test_a_window_run_powers_off_like_a_headless_one(tmp_path, monkeypatch, capfd):
    pytest.importorskip("hw.vga", reason="the VGA (hw/vga.py) is not merged yet")
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16("mov al, 0x21\nout 0xe9, al\n" + shutdown()))
    assert cli.main(["run", "--bios", str(rom)]) == cli.EXIT_POWER_OFF   # dummy video
    out = capfd.readouterr()
    assert out.out == "!" and out.err == ""
