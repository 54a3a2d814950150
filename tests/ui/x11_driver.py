"""Run inside a real X server by tests/ui/test_x11.py: a machine in a real window.

    python -m tests.ui.x11_driver picture|vga ROM OUTDIR
    python -m tests.ui.x11_driver demo - OUTDIR

picture: the window shows a test picture (FakeVga) while the machine runs ROM;
vga: the window is the one `pyx86 run` opens (emu.cli's opener, showing machine.vga),
and the VGA starts in text mode 3 as a VGA BIOS would leave it;
demo: `pyx86 run`'s own window booting the demo disk with pyx86's BIOS, run until
the demo has drawn its Mandelbrot in mode 13h (200 million instructions).
After 300,000 instructions (picture, vga) the driver writes OUTDIR/expected.raw (the picture, XRGB32)
and prints one JSON line: the video driver, the window's position and size and whether
SDL's own readback matched; then it waits for a line on stdin (the test has looked
at the X server's framebuffer) and closes the window.
"""
import ctypes
import json
import pathlib
import sys
import time

from bios.build import image as bios_image
from emu import cli
from emu.diskimage import DiskImage
from emu.machine import Machine, Stop, load_rom
from tests.ui.sdlkit import FakeVga, sdl2
from images import demo
from ui.display import VgaSource
from ui.window import Window

INSTRUCTIONS = 300_000
DEMO_INSTRUCTIONS = 200_000_000


def test_picture(width=720, height=400):
    out = bytearray()
    for y in range(height):
        for x in range(width):
            out += bytes(((x * 3) & 255, (y * 5) & 255, (x ^ y) & 255, 0))
    return width, height, out


def main(mode, rom, outdir):
    budget = INSTRUCTIONS
    if mode == "demo":
        machine = Machine(bios_image(), drives={
            "hda": DiskImage(demo.default_image(), snapshot=True)})
        window = cli._window_opener()(machine)
        budget = DEMO_INSTRUCTIONS
    elif mode == "vga":
        machine = Machine(load_rom(rom))
        machine.vga.set_text_mode_3()
        window = cli._window_opener()(machine)
    else:
        machine = Machine(load_rom(rom))
        window = Window(machine, VgaSource(FakeVga(*test_picture())))
    outcome = machine.run(max_instructions=budget, frontend=window)
    assert outcome.stop is Stop.LIMIT, outcome
    if mode in ("vga", "demo"):
        width, height, expected = machine.vga.render()
    else:
        width, height, expected = test_picture()
    for _ in range(10):                  # let the X server map and draw the window
        window.pump()
        window.update()
        window.present()
        time.sleep(0.05)
    pathlib.Path(outdir, "expected.raw").write_bytes(bytes(expected))
    x, y = ctypes.c_int(), ctypes.c_int()
    sdl2.SDL_GetWindowPosition(window._window, ctypes.byref(x), ctypes.byref(y))
    w, h, shown = window.read_pixels()
    print(json.dumps({"driver": sdl2.SDL_GetCurrentVideoDriver().decode(),
                      "x": x.value, "y": y.value, "width": width, "height": height,
                      "window": [w, h], "readback_matches": shown == bytes(expected),
                      "title": window.title}), flush=True)
    sys.stdin.readline()
    window.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
