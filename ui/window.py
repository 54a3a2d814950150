"""The SDL window: the guest's screen, its keyboard and mouse, hot keys.

It is the `frontend` of Machine.run (emu/machine.py): the run loop calls poll()
between CPU slices and while the CPU waits in HLT, all on the one emulator thread,
and poll() returns at once unless a frame is due (at most 60 a second). A due poll
handles the pending SDL events, sends typematic repeats and mouse motion to the
i8042 (ui/input.py), uploads the rows of the picture that changed (ui/display.py)
into a streaming texture and presents it, and refreshes the title (state, MIPS, disk
activity, how to grab or release the mouse) twice a second.

The picture keeps its aspect ratio at any window size (SDL_RenderSetLogicalSize:
black bars fill the rest) and is scaled without interpolation; the window takes the
picture's size, doubled for modes smaller than 400 pixels wide, whenever the mode
changes (not in fullscreen). While paused, poll() blocks, waiting for events, until
the user resumes, resets, powers off or closes the window.

The mouse reaches the guest only while grabbed (relative motion, the host pointer
hidden and held inside the window, keys such as Alt+Tab grabbed too): a click into
the window grabs, Ctrl+Alt+G toggles. Keys reach the guest whenever the window has
the focus; losing the focus releases every key the guest saw pressed.
"""
import ctypes
import os
import sys
import time

from emu.machine import Outcome, Stop
from emu.screendump import xrgb_png
from ui.hotkeys import HOTKEYS, MODIFIERS
from ui.input import HostInput
from ui.keymap import _K
from ui.sdl import sdl2

FRAME_INTERVAL = 1 / 60          # seconds: the most frames (and event polls) per second
TITLE_INTERVAL = 0.5             # seconds between title (MIPS, disk) updates
PAUSED_WAIT_MS = 100             # a paused machine waits for events this long at a time
DEFAULT_SIZE = (640, 480)        # the window before the first picture
SMALL_MODE_WIDTH = 400           # modes narrower than this get a doubled window
PIXEL_FORMAT = sdl2.SDL_PIXELFORMAT_RGB888     # XRGB8888: the sources' B, G, R, X bytes

_HOTKEY_ACTIONS = {getattr(sdl2, "SDL_SCANCODE_" + key): action
                   for key, action, _ in HOTKEYS}
_HOTKEY_NAMES = {action: "%s+%s" % (MODIFIERS, key.title()) for key, action, _ in HOTKEYS}
_CTRL_ALT_DEL = (_K["LCTRL"], _K["LALT"], _K["DELETE"])


class NoDisplay(Exception):
    """No window can be opened here (the message says why, in one line)."""


def check_display(environ=os.environ, platform=sys.platform):
    """Raise NoDisplay when a Linux host has no display to open a window on: neither
    DISPLAY (X11) nor WAYLAND_DISPLAY is set and SDL_VIDEODRIVER names no driver."""
    if platform.startswith("linux") and not any(
            environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")):
        raise NoDisplay("no display (DISPLAY and WAYLAND_DISPLAY are not set)")


def _sdl_error(what):
    return NoDisplay("%s: %s" % (what, sdl2.SDL_GetError().decode(errors="replace")))


def _buffer_address(pixels):
    """(address, keep-alive object) of a frame's pixel buffer, without copying it."""
    if isinstance(pixels, (bytes, memoryview)) and memoryview(pixels).readonly:
        pixels = bytearray(pixels)
    buf = (ctypes.c_char * len(pixels)).from_buffer(pixels)
    return ctypes.addressof(buf), buf


class Window:
    """The window of one machine. source: a display source (ui/display.py);
    activity: callable -> a count of disk transfers (the title shows "disk" while it
    moves), or None; screenshot_dir: where Ctrl+Alt+S saves; now: the wall clock
    (tests give their own)."""

    poll_interval = FRAME_INTERVAL

    def __init__(self, machine, source, activity=None, screenshot_dir=".",
                 now=time.monotonic, title="pyx86"):
        check_display()
        self.machine = machine
        self.source = source
        self.activity = activity
        self.screenshot_dir = screenshot_dir
        self.now = now
        self.name = title
        self.input = HostInput(machine.kbc, machine.wakeup.set)
        self.paused = False
        self.grabbed = False
        self.fullscreen = False
        self.outcome = None          # set when the user ended the run
        self.frame = None            # the last Frame shown
        self.title = ""
        self._window = self._renderer = self._texture = None
        self._size = None            # the texture's (width, height)
        self._due = 0.0              # wall time of the next frame
        self._redraw = True
        self._swallowed_buttons = set()     # the click that grabbed: not the guest's
        self._swallowed_keys = set()        # hot keys: their release is not either
        self._sdl_buttons = 0
        self._title_due = 0.0
        self._mips = None
        self._count_from = (now(), machine.cpu.icount)
        self._activity_seen = activity() if activity else 0
        self._disk_busy = False
        self._event = sdl2.SDL_Event()
        self._open()

    # -- SDL objects ----------------------------------------------------------------------
    def _open(self):
        # Ctrl+C in the terminal must stay Python's KeyboardInterrupt (SDL would turn
        # SIGINT into a quit event); a grab takes the keyboard too, as in QEMU.
        sdl2.SDL_SetHint(sdl2.SDL_HINT_NO_SIGNAL_HANDLERS, b"1")
        sdl2.SDL_SetHint(sdl2.SDL_HINT_GRAB_KEYBOARD, b"1")
        sdl2.SDL_SetHint(sdl2.SDL_HINT_RENDER_SCALE_QUALITY, b"nearest")
        sdl2.SDL_SetHint(sdl2.SDL_HINT_VIDEO_ALLOW_SCREENSAVER, b"1")
        if sdl2.SDL_InitSubSystem(sdl2.SDL_INIT_VIDEO) != 0:
            raise _sdl_error("cannot start SDL video")
        try:
            pos = sdl2.SDL_WINDOWPOS_UNDEFINED
            self._window = sdl2.SDL_CreateWindow(self.name.encode(), pos, pos,
                                                 *DEFAULT_SIZE, sdl2.SDL_WINDOW_RESIZABLE)
            if not self._window:
                raise _sdl_error("cannot open a window")
            self._renderer = sdl2.SDL_CreateRenderer(self._window, -1, 0)
            if not self._renderer:
                raise _sdl_error("cannot render into the window")
        except NoDisplay:
            self.close()
            raise
        self._set_title()

    def close(self):
        """Destroy the window (idempotent)."""
        if self._texture:
            sdl2.SDL_DestroyTexture(self._texture)
        if self._renderer:
            sdl2.SDL_DestroyRenderer(self._renderer)
        if self._window:
            sdl2.SDL_SetRelativeMouseMode(sdl2.SDL_FALSE)
            sdl2.SDL_DestroyWindow(self._window)
        if self._window or self._renderer:
            sdl2.SDL_QuitSubSystem(sdl2.SDL_INIT_VIDEO)
        self._window = self._renderer = self._texture = None

    # -- the front end of Machine.run -----------------------------------------------------
    def poll(self):
        """Between slices: nothing unless a frame is due. Returns an Outcome when the
        user ended the run (closed the window, powered off)."""
        now = self.now()
        if now < self._due:
            return None
        self._due = now + FRAME_INTERVAL
        self.pump(now)
        if self.paused and self.outcome is None:
            self._wait_paused()
        if self.outcome is None:
            now = self.now()
            self.input.tick(now)
            self.input.flush_mouse()
            self.update()
            self._update_title(now)
        return self.outcome

    def pump(self, now=None):
        """Handle every pending SDL event."""
        now = self.now() if now is None else now
        event = self._event
        while sdl2.SDL_PollEvent(ctypes.byref(event)):
            self._handle(event, now)

    def _wait_paused(self):
        self._set_title()
        self.present()
        event = self._event
        while self.paused and self.outcome is None:
            if sdl2.SDL_WaitEventTimeout(ctypes.byref(event), PAUSED_WAIT_MS):
                self._handle(event, self.now())
                self.pump()
            if self._redraw:
                self.present()
        self._count_from = (self.now(), self.machine.cpu.icount)
        self._set_title()

    # -- the picture ----------------------------------------------------------------------
    def update(self):
        """Take the source's new frame, if any, upload its dirty rectangles into the
        texture and present; present again after exposure or resizing."""
        frame = self.source.frame(self.frame.gen if self.frame else None)
        if frame is not None:
            if (frame.width, frame.height) != self._size:
                self._new_texture(frame.width, frame.height)
                rects = [(0, 0, frame.width, frame.height)]
            else:
                rects = frame.dirty
            self._upload(frame, rects)
            self.frame = frame
            self._redraw = True
        if self._redraw:
            self.present()

    def _new_texture(self, width, height):
        if self._texture:
            sdl2.SDL_DestroyTexture(self._texture)
        self._texture = sdl2.SDL_CreateTexture(self._renderer, PIXEL_FORMAT,
                                               sdl2.SDL_TEXTUREACCESS_STREAMING,
                                               width, height)
        if not self._texture:
            raise RuntimeError("SDL_CreateTexture %dx%d: %s"
                               % (width, height, sdl2.SDL_GetError().decode()))
        self._size = (width, height)
        sdl2.SDL_RenderSetLogicalSize(self._renderer, width, height)
        if not self.fullscreen:
            scale = 2 if width < SMALL_MODE_WIDTH else 1
            sdl2.SDL_SetWindowSize(self._window, width * scale, height * scale)

    def _upload(self, frame, rects):
        address, keep = _buffer_address(frame.pixels)
        rect = sdl2.SDL_Rect()
        for x, y, w, h in rects:
            rect.x, rect.y, rect.w, rect.h = x, y, w, h
            sdl2.SDL_UpdateTexture(self._texture, rect,
                                   ctypes.c_void_p(address + y * frame.pitch + x * 4),
                                   frame.pitch)
        del keep

    def _draw(self):
        sdl2.SDL_SetRenderDrawColor(self._renderer, 0, 0, 0, 255)
        sdl2.SDL_RenderClear(self._renderer)
        if self._texture:
            sdl2.SDL_RenderCopy(self._renderer, self._texture, None, None)

    def present(self):
        self._draw()
        sdl2.SDL_RenderPresent(self._renderer)
        self._redraw = False

    def read_pixels(self):
        """What the window shows: (width, height, XRGB32 bytes) of the whole output,
        black bars included, read back from the renderer (SDL_RenderReadPixels)."""
        w, h = ctypes.c_int(), ctypes.c_int()
        sdl2.SDL_GetRendererOutputSize(self._renderer, ctypes.byref(w), ctypes.byref(h))
        out = ctypes.create_string_buffer(w.value * h.value * 4)
        self._draw()
        # read the whole output, not just the logical viewport SDL would clip it to
        sdl2.SDL_RenderSetLogicalSize(self._renderer, 0, 0)
        try:
            if sdl2.SDL_RenderReadPixels(self._renderer, None, PIXEL_FORMAT, out,
                                         w.value * 4) != 0:
                raise RuntimeError("SDL_RenderReadPixels: %s"
                                   % sdl2.SDL_GetError().decode())
        finally:
            if self._size:
                sdl2.SDL_RenderSetLogicalSize(self._renderer, *self._size)
        sdl2.SDL_RenderPresent(self._renderer)
        return w.value, h.value, out.raw

    # -- events ---------------------------------------------------------------------------
    def _handle(self, event, now):
        kind = event.type
        if kind == sdl2.SDL_QUIT:
            self.end("window closed")
        elif kind == sdl2.SDL_KEYDOWN:
            self._key_down(event.key, now)
        elif kind == sdl2.SDL_KEYUP:
            key = event.key.keysym.scancode
            if key in self._swallowed_keys:
                self._swallowed_keys.discard(key)
            else:
                self.input.key_up(key)
        elif kind == sdl2.SDL_MOUSEBUTTONDOWN:
            self._button(event.button.button, True)
        elif kind == sdl2.SDL_MOUSEBUTTONUP:
            self._button(event.button.button, False)
        elif kind == sdl2.SDL_MOUSEMOTION:
            if self.grabbed and not self.paused:
                self.input.mouse_motion(event.motion.xrel, event.motion.yrel)
        elif kind == sdl2.SDL_MOUSEWHEEL:
            if self.grabbed and not self.paused:
                y = event.wheel.y
                if event.wheel.direction == sdl2.SDL_MOUSEWHEEL_FLIPPED:
                    y = -y
                self.input.mouse_wheel(y)
        elif kind == sdl2.SDL_WINDOWEVENT:
            self._window_event(event.window.event)

    def _window_event(self, what):
        if what == sdl2.SDL_WINDOWEVENT_CLOSE:
            self.end("window closed")
        elif what == sdl2.SDL_WINDOWEVENT_FOCUS_LOST:
            self.input.release_all()
            self.set_grab(False)
        elif what in (sdl2.SDL_WINDOWEVENT_EXPOSED, sdl2.SDL_WINDOWEVENT_SIZE_CHANGED,
                      sdl2.SDL_WINDOWEVENT_RESTORED):
            self._redraw = True

    def _key_down(self, key_event, now):
        if key_event.repeat:         # the host's auto-repeat: the guest's is our own
            return
        key = key_event.keysym.scancode
        mod = key_event.keysym.mod
        action = _HOTKEY_ACTIONS.get(key)
        if action is not None and mod & sdl2.KMOD_CTRL and mod & sdl2.KMOD_ALT:
            self._swallowed_keys.add(key)
            getattr(self, action)()
        elif not self.paused:
            self.input.key_down(key, now)

    def _button(self, button, down):
        bit = sdl2.SDL_BUTTON(button)
        if not down and bit in self._swallowed_buttons:
            self._swallowed_buttons.discard(bit)
            return
        if not self.grabbed:
            if down and button == sdl2.SDL_BUTTON_LEFT and not self.paused:
                self._swallowed_buttons.add(bit)
                self.set_grab(True)
            return
        self._sdl_buttons = self._sdl_buttons | bit if down else self._sdl_buttons & ~bit
        if not self.paused:
            self.input.mouse_buttons(self._sdl_buttons)

    # -- hot key actions ------------------------------------------------------------------
    def toggle_grab(self):
        self.set_grab(not self.grabbed)

    def set_grab(self, on):
        if on == self.grabbed:
            return
        self.grabbed = on
        sdl2.SDL_SetWindowGrab(self._window, sdl2.SDL_TRUE if on else sdl2.SDL_FALSE)
        sdl2.SDL_SetRelativeMouseMode(sdl2.SDL_TRUE if on else sdl2.SDL_FALSE)
        if not on:
            self._sdl_buttons = 0
            self.input.mouse_reset()
        self._set_title()

    def toggle_fullscreen(self):
        self.fullscreen = not self.fullscreen
        sdl2.SDL_SetWindowFullscreen(
            self._window, sdl2.SDL_WINDOW_FULLSCREEN_DESKTOP if self.fullscreen else 0)
        self._redraw = True

    def toggle_pause(self):
        self.paused = not self.paused
        if self.paused:
            self.set_grab(False)
        self._set_title()

    def reset(self):
        self.machine.request_reset()
        self.machine.wakeup.set()
        self.paused = False

    def power_off(self):
        self.end("powered off from the window (%s)" % _HOTKEY_NAMES["power_off"])

    def ctrl_alt_del(self):
        self.input.type_keys(_CTRL_ALT_DEL)

    def screenshot(self):
        """Save the guest's picture (its own size, not the window's) as PNG; returns
        the path, or None when there is no picture yet."""
        if self.frame is None:
            return None
        stem = os.path.join(self.screenshot_dir, time.strftime("pyx86-%Y%m%d-%H%M%S"))
        path, n = stem + ".png", 1
        while os.path.exists(path):
            n += 1
            path = "%s-%d.png" % (stem, n)
        try:
            with open(path, "wb") as f:
                f.write(xrgb_png(self.frame.width, self.frame.height,
                                 self.frame.packed()))
        except OSError as e:
            self.machine.log("screenshot: cannot write %s: %s" % (path, e.strerror or e))
            return None
        self.machine.log("screenshot saved to %s" % path)
        return path

    def end(self, message):
        """The user ends the run: the machine powers off (exit status 0)."""
        if self.outcome is None:
            self.outcome = Outcome(Stop.WINDOW_CLOSED, message)
        self.machine.wakeup.set()

    # -- the title ------------------------------------------------------------------------
    def _update_title(self, now):
        """The state at once, the MIPS and disk activity every TITLE_INTERVAL."""
        if now >= self._title_due:
            self._title_due = now + TITLE_INTERVAL
            t0, i0 = self._count_from
            icount = self.machine.cpu.icount
            if now > t0:
                self._mips = (icount - i0) / (now - t0) / 1e6
            self._count_from = (now, icount)
            if self.activity is not None:
                seen = self.activity()
                self._disk_busy = seen != self._activity_seen
                self._activity_seen = seen
        self._set_title()

    def state(self):
        if self.paused:
            return "paused"
        if self.machine.dead_halt:
            return "halted"
        return "running"

    def _set_title(self):
        parts = [self.name, self.state()]
        if self.state() == "running" and self._mips is not None:
            parts.append("%.1f MIPS" % self._mips)
        if self._disk_busy:
            parts.append("disk")
        grab = _HOTKEY_NAMES["toggle_grab"]
        parts.append("%s releases the mouse" % grab if self.grabbed
                     else "click or %s grabs the mouse" % grab)
        title = " - ".join(parts)
        if title != self.title and self._window:
            self.title = title
            sdl2.SDL_SetWindowTitle(self._window, title.encode())
