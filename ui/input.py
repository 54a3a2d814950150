"""Host keyboard and mouse input on its way to the guest's PS/2 devices.

The window hands key and mouse events here as plain values (SDL scancodes, button
masks, wall-clock seconds); this turns them into what hw/ps2.py's Keyboard.press and
Mouse.move take, and does what a real keyboard does on its own: typematic repeat of
the last key pressed, at the rate and after the delay the guest programmed (command
F3, kept in Keyboard.typematic). The host's own key repeat is not used: a key held
down is one press here, however long the host repeats it.
"""
from ui.keymap import KeyEncoder

MAX_REPEATS_PER_POLL = 4         # a long CPU slice does not release a burst of repeats


class Typematic:
    """Which key repeats next, and when: the most recently pressed key that is still
    held (a PS/2 keyboard repeats only that one; releasing it stops repeating even
    while other keys stay down). rate_delay() -> (characters per second, delay ms)."""

    def __init__(self, rate_delay):
        self.rate_delay = rate_delay
        self.key = None
        self.next = 0.0

    def press(self, key, now):
        self.key = key
        self.next = now + self.rate_delay()[1] / 1000.0

    def release(self, key):
        if key == self.key:
            self.key = None

    def due(self, now):
        """How many repeats of `self.key` are due at wall time `now` (and schedules the
        next), at most MAX_REPEATS_PER_POLL."""
        if self.key is None or now < self.next:
            return 0
        period = 1.0 / self.rate_delay()[0]
        count = int((now - self.next) / period) + 1
        self.next += count * period
        return min(count, MAX_REPEATS_PER_POLL)


class HostInput:
    """Feeds one i8042's keyboard and mouse. wakeup(): called after anything was sent
    (the machine's wake-up for a CPU waiting in HLT)."""

    # SDL's button state bits (left 1, middle 2, right 4) to the PS/2 packet's
    # (left 1, right 2, middle 4)
    _BUTTONS = ((1, 1), (2, 4), (4, 2))

    def __init__(self, kbc, wakeup=lambda: None):
        self.keyboard = kbc.keyboard
        self.mouse = kbc.mouse
        self.wakeup = wakeup
        self.encoder = KeyEncoder()
        self.typematic = Typematic(self.keyboard.typematic_rate_delay)
        self.buttons = 0             # PS/2 bits
        self.dx = self.dy = self.wheel = 0

    # -- keyboard -----------------------------------------------------------------------
    def key_down(self, key, now):
        """A key went down (host repeats must be filtered out by the caller)."""
        if key in self.encoder.held:
            return
        if self._send(self.encoder.down(key)):
            self.typematic.press(key, now)

    def key_up(self, key):
        self.typematic.release(key)
        self._send(self.encoder.up(key))

    def release_all(self):
        """Break codes for every key still held (focus lost, grab released), so the
        guest is not left with a stuck key."""
        for key in list(self.encoder.held):
            self.key_up(key)

    def held(self):
        return set(self.encoder.held)

    def tick(self, now):
        """Send the typematic repeats due at wall time `now`."""
        for _ in range(self.typematic.due(now)):
            self._send(self.encoder.repeat(self.typematic.key))

    def type_keys(self, keys):
        """Press the keys in order, then release them in reverse (Ctrl+Alt+Del)."""
        for key in keys:
            self._send(self.encoder.down(key))
        for key in reversed(keys):
            self._send(self.encoder.up(key))

    def _send(self, codes):
        if not codes:
            return False
        self.keyboard.press(codes)
        self.wakeup()
        return True

    # -- mouse --------------------------------------------------------------------------
    def mouse_motion(self, dx, dy):
        """Relative motion (dy down, as SDL gives it): collected until flush_mouse."""
        self.dx += dx
        self.dy += dy

    def mouse_wheel(self, clicks_up):
        """SDL's wheel (positive away from the user); IntelliMouse counts the other
        way."""
        self.wheel -= clicks_up

    def mouse_buttons(self, sdl_state):
        """The new button state (SDL bits): sends the pending motion with it."""
        buttons = 0
        for sdl_bit, ps2_bit in self._BUTTONS:
            if sdl_state & sdl_bit:
                buttons |= ps2_bit
        if buttons != self.buttons:
            self.buttons = buttons
            self.flush_mouse(force=True)

    def flush_mouse(self, force=False):
        """One packet with the motion and wheel collected since the last one; motion
        beyond a packet's range goes out in several packets (a real mouse reports it
        over several samples), the wheel's in steps of at most 7."""
        if not (force or self.dx or self.dy or self.wheel):
            return
        while True:
            dx = max(-255, min(255, self.dx))
            dy = max(-255, min(255, self.dy))
            wheel = max(-7, min(7, self.wheel))
            self.dx -= dx
            self.dy -= dy
            self.wheel -= wheel
            self.mouse.move(dx, dy, self.buttons, wheel)
            if not (self.dx or self.dy or self.wheel):
                break
        self.wakeup()

    def mouse_reset(self):
        """Forget collected motion (grab released): the guest keeps its buttons up."""
        self.dx = self.dy = self.wheel = 0
        if self.buttons:
            self.buttons = 0
            self.flush_mouse(force=True)
