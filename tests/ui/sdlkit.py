"""What the ui tests share: pysdl2 or a module-level skip, events pushed into SDL's
queue as a user's would arrive, and a display source whose picture tests draw."""
import ctypes

import pytest

try:
    from ui.sdl import sdl2
except (ImportError, RuntimeError) as e:     # no pysdl2, or no SDL2 library
    pytest.skip("pysdl2 is not usable: %s" % e, allow_module_level=True)


CTRL_ALT = sdl2.KMOD_LCTRL | sdl2.KMOD_LALT


def scancode(name):
    return getattr(sdl2, "SDL_SCANCODE_" + name)


def push(event):
    assert sdl2.SDL_PushEvent(ctypes.byref(event)) == 1, sdl2.SDL_GetError()


def key(name, down=True, mod=0, repeat=0):
    ev = sdl2.SDL_Event()
    ev.type = sdl2.SDL_KEYDOWN if down else sdl2.SDL_KEYUP
    ev.key.state = sdl2.SDL_PRESSED if down else sdl2.SDL_RELEASED
    ev.key.repeat = repeat
    ev.key.keysym.scancode = scancode(name)
    ev.key.keysym.mod = mod
    push(ev)


def hotkey(name):
    """Ctrl+Alt+name as SDL reports it (the modifiers' own events are left out)."""
    key(name, True, CTRL_ALT)
    key(name, False, CTRL_ALT)


def click(button=sdl2.SDL_BUTTON_LEFT, down=True):
    ev = sdl2.SDL_Event()
    ev.type = sdl2.SDL_MOUSEBUTTONDOWN if down else sdl2.SDL_MOUSEBUTTONUP
    ev.button.button = button
    ev.button.state = sdl2.SDL_PRESSED if down else sdl2.SDL_RELEASED
    push(ev)


def motion(dx, dy):
    ev = sdl2.SDL_Event()
    ev.type = sdl2.SDL_MOUSEMOTION
    ev.motion.xrel, ev.motion.yrel = dx, dy
    push(ev)


def wheel(y):
    ev = sdl2.SDL_Event()
    ev.type = sdl2.SDL_MOUSEWHEEL
    ev.wheel.y = y
    ev.wheel.direction = sdl2.SDL_MOUSEWHEEL_NORMAL
    push(ev)


def quit_event():
    ev = sdl2.SDL_Event()
    ev.type = sdl2.SDL_QUIT
    push(ev)


def drain():
    """Drop whatever SDL queued by itself (window shown, focus, ...)."""
    sdl2.SDL_PumpEvents()
    sdl2.SDL_FlushEvents(sdl2.SDL_FIRSTEVENT, sdl2.SDL_LASTEVENT)


class FakeVga:
    """Stands in for hw.vga.Vga behind ui.display.VgaSource: a picture tests set with
    show(), an update token that moves when they do, and counts of renders."""

    def __init__(self, width, height, pixels=None):
        self.token = 0
        self.renders = 0
        self.show(width, height, pixels)

    def show(self, width, height, pixels=None):
        self.width, self.height = width, height
        self.pixels = bytearray(width * height * 4) if pixels is None else bytearray(pixels)
        self.token += 1

    def update_token(self):
        return self.token

    def render(self):
        self.renders += 1
        return self.width, self.height, bytearray(self.pixels)


def xrgb(r, g, b):
    return bytes((b, g, r, 0))


def pixel(buf, width, x, y):
    """(r, g, b) of an XRGB32 picture."""
    o = (y * width + x) * 4
    return buf[o + 2], buf[o + 1], buf[o]
