"""A machine in a real X11 window: Xvfb (Debian package xvfb) keeps its screen in a
file (-fbdir, XWD format), so the test compares what the X server really shows at the
window's place with the picture the window was given. Skipped without Xvfb."""
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

from tests.ui.sdlkit import sdl2  # noqa: F401  (skips without pysdl2)
from tests.conftest import ROOT
from emu.screendump import xrgb_png
from tests.emu.roms import rom16

XVFB = shutil.which("Xvfb")
pytestmark = pytest.mark.skipif(XVFB is None, reason="Xvfb is not installed (apt "
                                "package xvfb; .ci/run installs it)")


@pytest.fixture
def xserver(tmp_path):
    """An Xvfb of its own: (DISPLAY value, path of its framebuffer file)."""
    fbdir = tmp_path / "fb"
    fbdir.mkdir()
    read, write = os.pipe()
    proc = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", "1024x768x24",
                             "-fbdir", str(fbdir), "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield ":" + number, fbdir / "Xvfb_screen0"
    proc.terminate()
    proc.wait(timeout=10)


def read_xwd(path):
    """(width, height, bytes per line, pixels) of Xvfb's 32-bit TrueColor screen."""
    data = path.read_bytes()
    fields = struct.unpack(">25I", data[:100])
    header_size, byte_order, bpp, bytes_per_line, ncolors = (
        fields[0], fields[7], fields[11], fields[12], fields[19])
    assert (bpp, byte_order) == (32, 0)      # B, G, R, X per pixel (LSBFirst)
    return fields[4], fields[5], bytes_per_line, data[header_size + 12 * ncolors:]


def run_in_window(xserver, tmp_path, mode, rom):
    display, fb = xserver
    path = tmp_path / "guest.rom"
    path.write_bytes(rom)
    env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT))
    env.pop("SDL_VIDEODRIVER", None)         # the real X11 driver, not the dummy
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "tests.ui.x11_driver", mode, str(path),
                             str(tmp_path)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        info = json.loads(line)
        screen = read_xwd(fb)                # while the window is still there
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        proc.kill()
    return info, screen, (tmp_path / "expected.raw").read_bytes()


def assert_window_shows(info, screen, expected):
    assert info["driver"] == "x11"
    assert info["readback_matches"]
    width, height = info["width"], info["height"]
    assert info["window"] == [width, height]
    sw, sh, bpl, pixels = screen
    x0, y0 = info["x"], info["y"]
    assert 0 <= x0 and x0 + width <= sw and 0 <= y0 and y0 + height <= sh
    for y in range(height):
        got = pixels[(y0 + y) * bpl + x0 * 4:(y0 + y) * bpl + (x0 + width) * 4]
        want = expected[y * width * 4:(y + 1) * width * 4]
        # the X server's pad byte is its own: compare B, G, R
        assert got[0::4] == want[0::4] and got[1::4] == want[1::4] and \
            got[2::4] == want[2::4], "row %d differs" % y


def test_a_running_machine_in_a_real_x11_window(xserver, tmp_path):
    info, screen, expected = run_in_window(xserver, tmp_path, "picture",
                                           rom16("spin: jmp spin\n"))
    assert info["title"].startswith("pyx86 - running")
    assert_window_shows(info, screen, expected)


# the ROM writes a line of text into the colour text buffer at B800:0000
TEXT = b"pyx86 in a real X11 window"
TEXT_ROM = "mov ax, 0xb800\nmov es, ax\n" + "".join(
    "mov word ptr es:[%d], %#x\n" % (2 * i, 0x1E00 | c) for i, c in enumerate(TEXT)) \
    + "spin: jmp spin\n"


def test_text_written_by_the_guest_on_the_vga_in_a_real_window(xserver, tmp_path):
    pytest.importorskip("hw.vga", reason="the VGA (hw/vga.py) is not merged yet")
    info, screen, expected = run_in_window(xserver, tmp_path, "vga", rom16(TEXT_ROM))
    assert (info["width"], info["height"]) == (720, 400)
    # yellow on blue where the text is, the grey-on-black screen after it
    row0 = expected[:720 * 16 * 4]
    assert bytes((0xAA, 0x00, 0x00, 0x00)) in row0            # blue background
    assert_window_shows(info, screen, expected)


def test_the_demo_disk_boots_in_a_real_window(xserver, tmp_path):
    """`pyx86 run`'s window booting the demo disk with pyx86's BIOS: after the
    Mandelbrot is drawn in mode 13h, the X server shows it in the window, each guest
    pixel as a 2x2 block (modes under 400 pixels wide are doubled). The window's
    picture is kept as a PNG (tmp_path/window.png) like a user's screenshot."""
    info, screen, expected = run_in_window(xserver, tmp_path, "demo", b"")
    assert info["driver"] == "x11" and info["title"].startswith("pyx86")
    assert (info["width"], info["height"]) == (320, 200)
    assert info["window"] == [640, 400]
    sw, sh, bpl, pixels = screen
    x0, y0 = info["x"], info["y"]
    shot = bytearray()
    for y in range(400):
        row = pixels[(y0 + y) * bpl + x0 * 4:(y0 + y) * bpl + (x0 + 640) * 4]
        shot += row
        src = expected[(y // 2) * 320 * 4:(y // 2 + 1) * 320 * 4]
        doubled = bytes(b for k in range(320) for b in src[4 * k:4 * k + 4] * 2)
        assert row[0::4] == doubled[0::4] and row[1::4] == doubled[1::4] and \
            row[2::4] == doubled[2::4], "row %d differs" % y
    (tmp_path / "window.png").write_bytes(xrgb_png(640, 400, bytes(shot)))
    # the Mandelbrot set: its black body and the blue outside
    assert bytes((0, 0, 0)) in bytes(b for k in range(0, len(expected), 4)
                                     for b in expected[k:k + 3])
