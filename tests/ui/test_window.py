"""The SDL window on SDL's dummy video driver: pictures through the real renderer,
read back with SDL_RenderReadPixels; keys, mouse and hot keys pushed into SDL's event
queue as a user's would arrive; the window as Machine.run's front end (pause, close,
reset, a HLT woken by a key)."""
import ctypes
import io
import threading

import pytest

from tests.ui.sdlkit import (FakeVga, click, drain, hotkey, key, motion, pixel, push,
                             quit_event, sdl2, wheel, xrgb)
from emu.machine import Machine, Stop
from tests.emu.roms import rom16
from tests.hw.test_machine import SETUP, pic_init, rom_with_handlers, set_vector
from ui import window as window_mod
from ui.display import VgaSource
from ui.window import FRAME_INTERVAL, NoDisplay, Window, check_display

SPIN = rom16("spin: jmp spin\n")


class Clock:
    """The window's wall clock, moved by the test: every tick() makes a frame due."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t

    def tick(self, seconds=FRAME_INTERVAL):
        self.t += seconds


class Bench:
    """A machine (spinning ROM, not running) with a window on a FakeVga."""

    def __init__(self, width=720, height=400, pixels=None, rom=SPIN, **machine_kw):
        self.log = []
        self.machine = Machine(rom, log=self.log.append, **machine_kw)
        self.vga = FakeVga(width, height, pixels)
        self.clock = Clock()
        self.window = Window(self.machine, VgaSource(self.vga), now=self.clock)
        self.pressed = []             # what the keyboard was given to send
        keyboard = self.machine.kbc.keyboard
        press = keyboard.press
        keyboard.press = lambda codes: (self.pressed.append(bytes(codes)), press(codes))
        self.moved = []               # the mouse's packets, as move() arguments
        mouse = self.machine.kbc.mouse
        move = mouse.move
        mouse.move = lambda *a: (self.moved.append(a), move(*a))
        drain()

    def poll(self):
        self.clock.tick()
        return self.window.poll()

    def shown(self):
        return self.window.read_pixels()

    def window_size(self):
        w, h = ctypes.c_int(), ctypes.c_int()
        sdl2.SDL_GetWindowSize(self.window._window, ctypes.byref(w), ctypes.byref(h))
        return w.value, h.value


TIMERS = []


@pytest.fixture
def benches():
    made = []

    def make(*args, **kw):
        made.append(Bench(*args, **kw))
        return made[-1]
    yield make
    while TIMERS:                             # no event of this test reaches the next
        TIMERS.pop().join()
    drain()
    for b in made:
        b.window.close()


def text_like_picture(cols=80, rows=25, cw=9, ch=16):
    """A text mode's kind of picture: cells of 16 background colours, each with a
    'glyph' of foreground pixels in a per-cell pattern."""
    width, height = cols * cw, rows * ch
    out = bytearray(width * height * 4)
    for y in range(height):
        for x in range(width):
            col, row = x // cw, y // ch
            bg = (col * 7 + row * 3) % 16
            glyph = ((x % cw) * (y % ch) + col + row) % 5 == 0
            v = (15 - bg) if glyph else bg
            o = (y * width + x) * 4
            out[o:o + 4] = xrgb(v * 17, (v * 40) % 256, 255 - v * 16)
    return width, height, out


def gradient_picture(width, height):
    out = bytearray(width * height * 4)
    for y in range(height):
        for x in range(width):
            o = (y * width + x) * 4
            out[o:o + 4] = xrgb(x * 255 // (width - 1), y * 255 // (height - 1),
                                (x + y) % 256)
    return out


# -- pictures ------------------------------------------------------------------------------

def test_text_mode_picture_is_shown_pixel_for_pixel(benches):
    width, height, pic = text_like_picture()
    b = benches(width, height, pic)
    assert b.poll() is None
    assert b.window_size() == (720, 400)
    w, h, shown = b.shown()
    assert (w, h) == (720, 400)
    assert shown == bytes(pic)                # XRGB both: byte for byte, X included


def test_small_graphics_mode_is_doubled_exactly(benches):
    pic = gradient_picture(320, 200)
    b = benches(320, 200, pic)
    b.poll()
    assert b.window_size() == (640, 400)
    w, h, shown = b.shown()
    assert (w, h) == (640, 400)
    for y in range(h):
        for x in range(w):
            assert pixel(shown, w, x, y) == pixel(pic, 320, x // 2, y // 2), (x, y)


def test_any_window_size_keeps_the_aspect_ratio(benches):
    pic = gradient_picture(640, 480)
    b = benches(640, 480, pic)
    b.poll()
    sdl2.SDL_SetWindowSize(b.window._window, 1000, 500)
    b.poll()
    w, h, shown = b.shown()
    assert (w, h) == (1000, 500)
    # 640x480 scaled to 500 high is 667 wide: black bars of 166/167 columns each side
    scaled_w = 640 * 500 // 480
    left = (1000 - scaled_w) // 2
    for y in range(0, 500, 7):
        for x in list(range(0, left - 1)) + list(range(left + scaled_w + 1, 1000)):
            assert pixel(shown, w, x, y) == (0, 0, 0), (x, y)
    for y in range(3, 500, 11):
        for x in range(left + 3, left + scaled_w - 3, 13):
            sx = (x - left) * 640 / scaled_w
            sy = y * 480 / 500
            want = pixel(pic, 640, int(sx), int(sy))
            got = pixel(shown, w, x, y)
            # nearest-pixel scaling: one source pixel off at most (gradient steps
            # of about 0.4 per pixel in r and 0.53 in g, and 1 + 1 in b)
            assert all(abs(a - c) <= 3 for a, c in zip(got[:2], want[:2])), (x, y)


def test_mode_change_resizes_the_window(benches):
    b = benches(720, 400)
    b.poll()
    b.vga.show(320, 200)
    b.poll()
    assert b.window_size() == (640, 400)
    b.vga.show(1024, 768)
    b.poll()
    assert b.window_size() == (1024, 768)
    assert b.shown()[:2] == (1024, 768)


def test_only_changed_rows_are_uploaded(benches, monkeypatch):
    width, height, pic = text_like_picture()
    b = benches(width, height, pic)
    uploads = []
    upload = b.window._upload
    monkeypatch.setattr(b.window, "_upload",
                        lambda frame, rects: (uploads.append(list(rects)),
                                              upload(frame, rects)))
    b.poll()
    assert uploads == [[(0, 0, 720, 400)]]
    renders = b.vga.renders
    b.poll()
    b.poll()                                  # nothing changed: no render, no upload
    assert (b.vga.renders, len(uploads)) == (renders, 1)
    # the cursor blinks in row 12: only its 16 pixel rows go to the texture
    new = bytearray(pic)
    for y in range(12 * 16 + 14, 12 * 16 + 16):
        for x in range(9 * 40, 9 * 41):
            new[(y * width + x) * 4:(y * width + x) * 4 + 4] = xrgb(255, 255, 255)
    b.vga.show(width, height, new)
    b.poll()
    assert uploads[-1] == [(0, 12 * 16 + 14, 720, 2)]
    assert b.shown()[2] == bytes(new)
    b.vga.show(width, height, new)            # the token moved, the picture did not
    b.poll()
    assert len(uploads) == 2


def test_at_most_60_frames_a_second(benches):
    b = benches()
    b.poll()
    tokens = []
    b.vga.update_token = lambda: (tokens.append(1), b.vga.token)[1]
    for _ in range(100):                      # 100 polls in 1/60 s
        b.clock.tick(FRAME_INTERVAL / 101)
        assert b.window.poll() is None
    assert len(tokens) <= 1
    b.clock.tick(FRAME_INTERVAL)
    b.window.poll()
    assert 1 <= len(tokens) <= 2


# -- keyboard and mouse ------------------------------------------------------------------------

def test_keys_go_to_the_keyboard_and_host_repeats_do_not(benches):
    b = benches()
    key("A")
    key("A", repeat=1)
    key("A", repeat=1)
    key("A", down=False)
    key("KP_ENTER")
    key("KP_ENTER", down=False)
    b.poll()
    assert b.pressed == [b"\x1c", b"\xf0\x1c", b"\xe0\x5a", b"\xe0\xf0\x5a"]


def test_a_held_key_repeats_at_the_guests_rate(benches):
    b = benches()
    key("B")
    b.poll()
    b.clock.tick(0.48)
    b.window.poll()
    assert b.pressed == [b"\x32"]
    b.clock.tick(0.03)                        # past 500 ms, the default delay
    b.window.poll()
    assert b.pressed == [b"\x32", b"\x32"]


def test_hot_keys_do_not_reach_the_guest(benches):
    b = benches()
    hotkey("G")
    b.poll()
    assert b.pressed == [] and b.window.grabbed


def test_grab_by_click_and_ctrl_alt_g(benches):
    b = benches()
    assert "click or Ctrl+Alt+G grabs the mouse" in b.window.title
    motion(5, 5)
    wheel(1)
    b.poll()
    assert not b.window.grabbed and not b.moved         # not grabbed: not the guest's
    click()
    click(down=False)
    b.poll()
    assert b.window.grabbed and not b.moved             # the grabbing click is ours
    assert "Ctrl+Alt+G releases the mouse" in b.window.title
    assert sdl2.SDL_GetRelativeMouseMode() == sdl2.SDL_TRUE
    motion(4, -2)
    motion(1, 0)
    wheel(1)
    b.poll()
    assert b.moved == [(5, -2, 0, -1)]                  # one packet per frame
    click(sdl2.SDL_BUTTON_RIGHT)
    b.poll()
    assert b.moved[-1] == (0, 0, 2, 0)                  # PS/2 right button is bit 1
    hotkey("G")
    b.poll()
    assert not b.window.grabbed
    assert sdl2.SDL_GetRelativeMouseMode() == sdl2.SDL_FALSE
    assert b.moved[-1] == (0, 0, 0, 0)                  # the held button let go
    assert "grabs the mouse" in b.window.title
    click(sdl2.SDL_BUTTON_RIGHT, down=False)            # its release is not sent again
    motion(3, 3)
    b.poll()
    assert b.moved[-1] == (0, 0, 0, 0) and len(b.moved) == 3


def test_focus_loss_releases_held_keys(benches):
    b = benches()
    key("LSHIFT")
    b.poll()
    ev = sdl2.SDL_Event()
    ev.type = sdl2.SDL_WINDOWEVENT
    ev.window.event = sdl2.SDL_WINDOWEVENT_FOCUS_LOST
    push(ev)
    b.poll()
    assert b.pressed == [b"\x12", b"\xf0\x12"]


def test_ctrl_alt_end_sends_ctrl_alt_del(benches):
    b = benches()
    hotkey("END")
    b.poll()
    assert b"".join(b.pressed) == bytes.fromhex("14 11 e0 71 e0 f0 71 f0 11 f0 14")


def test_screenshot_hot_key_writes_the_guest_picture(benches, tmp_path, monkeypatch):
    pic = gradient_picture(320, 200)
    b = benches(320, 200, pic)
    b.window.screenshot_dir = str(tmp_path)
    b.poll()
    hotkey("S")
    b.poll()
    files = list(tmp_path.glob("pyx86-*.png"))
    assert len(files) == 1
    assert any("screenshot saved to" in line for line in b.log)
    from tests.ui.pngread import read_png
    w, h, rgb = read_png(files[0].read_bytes())
    assert (w, h) == (320, 200)               # the guest's size, not the window's
    assert rgb[:3] == bytes(pixel(pic, 320, 0, 0))
    assert rgb[-3:] == bytes(pixel(pic, 320, 319, 199))


def test_fullscreen_toggle(benches):
    b = benches()
    hotkey("F")
    b.poll()
    assert b.window.fullscreen
    assert sdl2.SDL_GetWindowFlags(b.window._window) & sdl2.SDL_WINDOW_FULLSCREEN_DESKTOP
    hotkey("F")
    b.poll()
    assert not b.window.fullscreen


# -- the window as Machine.run's front end -----------------------------------------------------

def later(seconds, *events):
    """Push SDL events from another thread after a while (SDL_PushEvent is
    thread-safe), as a user acting while the machine runs."""
    timer = threading.Timer(seconds, lambda: [e() for e in events])
    timer.start()
    TIMERS.append(timer)
    return timer


def real_time_bench(benches, **kw):
    b = benches(**kw)
    b.window.now = __import__("time").monotonic
    return b


def test_closing_the_window_ends_the_run(benches):
    b = real_time_bench(benches)
    later(0.2, quit_event).join()
    outcome = b.machine.run(frontend=b.window)
    assert outcome.stop is Stop.WINDOW_CLOSED and outcome.message == "window closed"


def test_power_off_hot_key_ends_the_run(benches):
    b = real_time_bench(benches)
    later(0.1, lambda: hotkey("Q"))
    outcome = b.machine.run(frontend=b.window)
    assert outcome.stop is Stop.WINDOW_CLOSED
    assert "powered off from the window (Ctrl+Alt+Q)" == outcome.message


def test_pause_stops_the_cpu_until_resumed(benches):
    b = real_time_bench(benches)
    seen = {}

    def look():
        seen["icount"] = b.machine.cpu.icount
        seen["title"] = b.window.title

    hotkey("P")
    later(0.5, look, lambda: hotkey("P"))
    limit = 50_000_000
    outcome = b.machine.run(max_instructions=limit, frontend=b.window)
    assert outcome.stop is Stop.LIMIT
    assert " - paused - " in seen["title"]
    assert seen["icount"] < 2_000_000         # it paused at the first frame
    assert not b.window.paused and " - running" in b.window.title


def test_reset_hot_key_resets_the_machine(benches):
    out = io.BytesIO()
    rom = rom16("mov al, 0x58\nout 0xe9, al\nspin: jmp spin\n")
    b = real_time_bench(benches, rom=rom, debugcon=out)
    later(0.3, lambda: hotkey("R"))
    later(0.8, quit_event)
    assert b.machine.run(frontend=b.window).stop is Stop.WINDOW_CLOSED
    assert out.getvalue() == b"XX" and b.machine.resets == 1


KEY_TO_EXIT = """
in al, 0x60
out 0xf4, al
hlt
"""


def keyboard_rom():
    """Only IRQ1 unmasked, HLT; the IRQ1 handler exits with the byte it read."""
    return rom_with_handlers(SETUP + pic_init(0xFD) + set_vector(9, 0)
                             + "sti\nwait: hlt\njmp wait\n", KEY_TO_EXIT)


def test_without_a_window_a_keyboard_wait_is_final():
    m = Machine(keyboard_rom())
    outcome = m.run(max_instructions=1_000_000)
    assert outcome.stop is Stop.HALT


def test_a_key_wakes_a_halted_cpu(benches):
    b = real_time_bench(benches, rom=keyboard_rom())
    later(0.4, lambda: key("A"))
    outcome = b.machine.run(max_instructions=10_000_000, frontend=b.window)
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0x1C
    assert b.machine.cpu.icount < 1000        # it waited in HLT, no busy loop


def test_dead_halt_keeps_the_window_until_closed(benches):
    b = real_time_bench(benches, rom=rom16("cli\nhlt\n"))
    seen = {}
    later(0.4, lambda: seen.update(title=b.window.title), quit_event)
    outcome = b.machine.run(frontend=b.window)
    assert outcome.stop is Stop.WINDOW_CLOSED
    assert b.log == ["CPU halted with interrupts disabled (close the window to exit)"]
    assert " - halted - " in seen["title"]


# -- no display ---------------------------------------------------------------------------------

@pytest.mark.parametrize("env, ok", [
    ({}, False), ({"DISPLAY": ":0"}, True), ({"WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"SDL_VIDEODRIVER": "dummy"}, True), ({"DISPLAY": ""}, False)])
def test_check_display(env, ok):
    if ok:
        check_display(env, "linux")
    else:
        with pytest.raises(NoDisplay, match="DISPLAY and WAYLAND_DISPLAY are not set"):
            check_display(env, "linux")
    check_display({}, "darwin")               # elsewhere SDL finds the display itself


def test_sdl_failure_is_no_display(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-such-driver")
    with pytest.raises(NoDisplay, match="cannot start SDL video"):
        Window(Machine(SPIN), VgaSource(FakeVga(8, 8)))
    assert window_mod.sdl2.SDL_WasInit(sdl2.SDL_INIT_VIDEO) == 0
