"""The PS/2 keyboard and mouse at the far end of the i8042's two serial ports.

Each device has a byte queue towards the controller (`queue`) and takes the bytes the
controller sends it through write(byte); after queueing it calls `notify()`, which the
controller sets to look at its output buffer. Replies come at once (a real device takes
about a millisecond per byte on the wire, and 300-500 ms for its self test; QEMU
answers at once too). Command sets as in the IBM PS/2 Hardware Interface Technical
Reference; where it is silent, QEMU's and Bochs' behaviour.

The host side (the window of a later issue) feeds both:
- Keyboard.press(codes): the scan code set 2 bytes of one key event (make, or F0 +
  make for a break, with E0/E1 prefixes as the key has them). The keyboard sends them
  in the set the guest selected; the i8042's translation to set 1 happens in the
  controller, as on a PC. Typematic repeat is the host's business (it sends repeats at
  the rate and delay the guest programmed, kept in `typematic`).
- Mouse.move(dx, dy, buttons, wheel): one stream-mode packet, when reporting is on.
"""
from collections import deque

ACK, RESEND, BAT_OK, ECHO = 0xFA, 0xFE, 0xAA, 0xEE
QUEUE_SIZE = 16                  # bytes a device buffers; more are dropped (as QEMU's
                                 # 16-byte queue) rather than sent out of order
BREAK = 0xF0                     # set 2: the break prefix

# The PC/AT keyboard controller's scan code translation, set 2 -> set 1, for codes
# 0x00-0x83 (IBM PC/AT Technical Reference; the same table QEMU and Bochs use). Codes
# from 0x80 up are passed through, except 0x83 (F7) and 0x84 (Alt+SysRq).
_SET2_TO_SET1_LOW = bytes((
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
))
SET2_TO_SET1 = _SET2_TO_SET1_LOW + bytes(range(0x80, 0x83)) + b"\x41\x54" + \
    bytes(range(0x85, 0x100))


class Translator:
    """The set 2 -> set 1 translation of a byte stream: F0 is swallowed and sets bit 7
    of the next translated code (the break code of set 1)."""

    def __init__(self):
        self.breaking = False

    def feed(self, byte):
        """The set 1 byte for `byte`, or None when it was the break prefix."""
        if byte == BREAK:
            self.breaking = True
            return None
        out = SET2_TO_SET1[byte]
        if self.breaking:
            self.breaking = False
            out |= 0x80
        return out


class Ps2Device:
    """What both devices share: the queue towards the controller, the last byte sent
    (for Resend) and the command-with-parameter state."""

    def __init__(self):
        self.queue = deque()
        self.notify = lambda: None
        self.last = ACK
        self.param_for = None        # the command whose parameter byte comes next

    def send(self, *data):
        """Queue bytes for the controller (dropped whole when they do not fit)."""
        if len(self.queue) + len(data) > QUEUE_SIZE:
            return
        self.queue.extend(data)
        self.last = data[-1]
        self.notify()

    def write(self, byte):
        """A byte from the controller: a command, or the parameter of the last one
        (any value: a sample rate of 200 has bit 7 set)."""
        command, self.param_for = self.param_for, None
        if command is not None:
            self.parameter(command, byte)
        elif byte == RESEND:
            self.send(self.last)
        else:
            self.command(byte)


class Keyboard(Ps2Device):
    """An MF2 keyboard: ID AB 83, scan code sets 1 and 2."""

    DEFAULT_TYPEMATIC = 0x2B     # 10.9 characters/s after 500 ms

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self):
        """Power-on: queue empty, defaults, scanning on."""
        self.queue.clear()
        self.param_for = None
        self.leds = 0                # bit 0 Scroll, 1 Num, 2 Caps Lock
        self.scanning = True
        self._defaults()

    def _defaults(self):
        self.scancode_set = 2
        self.typematic = self.DEFAULT_TYPEMATIC

    # -- the guest's side --------------------------------------------------------------
    def command(self, byte):
        if byte in (0xED, 0xF0, 0xF3):        # LEDs, scan code set, typematic
            self.param_for = byte
            self.send(ACK)
        elif byte == 0xEE:
            self.send(ECHO)
        elif byte == 0xF2:
            self.send(ACK, 0xAB, 0x83)
        elif byte == 0xF4:
            self.scanning = True
            self.send(ACK)
        elif byte == 0xF5:                    # defaults and stop scanning
            self._defaults()
            self.scanning = False
            self.send(ACK)
        elif byte == 0xF6:                    # defaults, scanning as it was
            self._defaults()
            self.send(ACK)
        elif byte == 0xFF:
            self.reset()
            self.send(ACK, BAT_OK)
        else:                                 # set 3 key-type commands (F7-FD), E0..
            self.send(RESEND)

    def parameter(self, command, byte):
        if command == 0xED:
            self.leds = byte & 0x07
            self.send(ACK)
        elif command == 0xF3:
            self.typematic = byte & 0x7F
            self.send(ACK)
        elif byte == 0:                       # F0 00: which set is selected
            self.send(ACK, self.scancode_set)
        elif byte in (1, 2):
            self.scancode_set = byte
            self.send(ACK)
        else:                                 # set 3 is not implemented: refused
            self.send(RESEND)

    # -- the host's side ---------------------------------------------------------------
    def press(self, codes):
        """Queue one key event given as its scan code set 2 bytes (see the module doc).
        Nothing is sent while scanning is off, as a real keyboard discards keys then."""
        if not self.scanning:
            return
        if self.scancode_set == 1:
            t = Translator()
            codes = [b for b in (t.feed(c) for c in codes) if b is not None]
        if codes:
            self.send(*codes)

    def typematic_rate_delay(self):
        """(characters per second, delay in ms) of the programmed typematic byte:
        rate = 1 / ((8 + A) * 2^B * 0.00417) with A = bits 0-2, B = bits 3-4."""
        a, b = self.typematic & 7, (self.typematic >> 3) & 3
        return 1.0 / ((8 + a) * (1 << b) * 0.00417), 250 * (1 + ((self.typematic >> 5) & 3))


class Mouse(Ps2Device):
    """A PS/2 mouse (ID 00) that becomes an IntelliMouse (ID 03, 4-byte packets with
    the wheel) after the sample-rate sequence 200, 100, 80. Stream mode only."""

    INTELLIMOUSE_KNOCK = (200, 100, 80)
    SAMPLE_RATES = (10, 20, 40, 60, 80, 100, 200)

    def __init__(self):
        super().__init__()
        self.reset()

    def reset(self):
        self.queue.clear()
        self.param_for = None
        self.wheel = False
        self.buttons = 0
        self._defaults()

    def _defaults(self):
        self.sample_rate = 100
        self.resolution = 2          # 4 counts/mm
        self.scaling21 = False
        self.reporting = False
        self.rates = []              # the last three sample rates set

    @property
    def device_id(self):
        return 0x03 if self.wheel else 0x00

    # -- the guest's side --------------------------------------------------------------
    def command(self, byte):
        if byte in (0xE8, 0xF3):              # set resolution, set sample rate
            self.param_for = byte
            self.send(ACK)
        elif byte in (0xE6, 0xE7):
            self.scaling21 = byte == 0xE7
            self.send(ACK)
        elif byte == 0xE9:
            status = ((self.reporting << 5) | (self.scaling21 << 4)
                      | (self.buttons & 1) << 2 | (self.buttons & 4) >> 1
                      | (self.buttons & 2) >> 1)      # left, middle, right in 2..0
            self.send(ACK, status, self.resolution, self.sample_rate)
        elif byte == 0xEA:
            self.send(ACK)
        elif byte == 0xF2:
            self.send(ACK, self.device_id)
        elif byte == 0xF4:
            self.reporting = True
            self.send(ACK)
        elif byte == 0xF5:
            self.reporting = False
            self.send(ACK)
        elif byte == 0xF6:
            self._defaults()
            self.send(ACK)
        elif byte == 0xFF:
            self.reset()
            self.send(ACK, BAT_OK, 0x00)
        else:                                 # remote and wrap modes: not implemented
            self.send(RESEND)

    def parameter(self, command, byte):
        if command == 0xE8:
            self.resolution = byte & 3
        else:
            self.sample_rate = byte
            self.rates = (self.rates + [byte])[-3:]
            if tuple(self.rates) == self.INTELLIMOUSE_KNOCK:
                self.wheel = True
        self.send(ACK)

    # -- the host's side ---------------------------------------------------------------
    def move(self, dx, dy, buttons, wheel=0):
        """Report motion and buttons: dx right, dy DOWN (screen convention, as SDL
        gives it; the packet counts up), buttons bit 0 left, 1 right, 2 middle, wheel
        positive towards the user (IntelliMouse Z). Motion beyond the 9-bit range is
        clamped with the overflow bit set. Only sent while reporting is on."""
        self.buttons = buttons & 7
        if not self.reporting:
            return
        x, x_over = self._axis(dx)
        y, y_over = self._axis(-dy)
        head = (0x08 | self.buttons | (x >> 8 & 1) << 4 | (y >> 8 & 1) << 5
                | x_over << 6 | y_over << 7)
        packet = [head, x & 0xFF, y & 0xFF]
        if self.wheel:
            packet.append(max(-8, min(7, wheel)) & 0xFF)
        self.send(*packet)

    def _axis(self, delta):
        """A 9-bit two's complement count (with 2:1 scaling applied) and its overflow."""
        if self.scaling21:
            delta = _scale21(delta)
        over = not -256 <= delta <= 255
        return max(-256, min(255, delta)) & 0x1FF, int(over)


def _scale21(delta):
    """2:1 scaling (PS/2 reference): 1 -> 1, 2 -> 1, 3 -> 3, 4 -> 6, 5 -> 9, n -> 2n."""
    sign, n = (-1 if delta < 0 else 1), abs(delta)
    return sign * ((0, 1, 1, 3, 6, 9)[n] if n <= 5 else 2 * n)
