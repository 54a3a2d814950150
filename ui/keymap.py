"""Host keys (SDL scancodes) to PS/2 scan code set 2, the bytes a keyboard sends.

SDL scancodes name physical key positions (USB HID usage page 7), whatever the host's
layout, which is what a PS/2 keyboard reports too: the guest applies its own layout.
Every key of a PC-105 (ISO) keyboard is here, with the Japanese and Korean keys, the
ACPI power keys and the common multimedia keys of Microsoft's "Keyboard Scan Code
Specification" (rev. 1.3a), the reference for the codes below.

Set 2: a key's make code is one byte, or E0 and a byte for the keys the 101-key
keyboard added; its break code is F0 before the last byte (E0 F0 xx). The exceptions,
done by KeyEncoder because they depend on the modifiers the keyboard sees held:
- Print Screen: E0 12 E0 7C / E0 F0 7C E0 F0 12; with Shift or Ctrl held only
  E0 7C / E0 F0 7C; with Alt held it is SysRq, 84 / F0 84.
- Pause: E1 14 77 E1 F0 14 F0 77 on press, nothing on release, no repeat; with Ctrl
  held it is Break, E0 7E E0 F0 7E.
- The Korean Hangul and Hanja keys send F2 / F1 on press only.
"""
from ui.sdl import sdl2

E0 = 0xE000                      # marks a two-byte (E0-prefixed) make code
BREAK = 0xF0

_K = {name: getattr(sdl2, "SDL_SCANCODE_" + name) for name in (
    "ESCAPE F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 F11 F12 PRINTSCREEN SCROLLLOCK PAUSE "
    "GRAVE 1 2 3 4 5 6 7 8 9 0 MINUS EQUALS BACKSPACE "
    "TAB Q W E R T Y U I O P LEFTBRACKET RIGHTBRACKET RETURN "
    "CAPSLOCK A S D F G H J K L SEMICOLON APOSTROPHE BACKSLASH NONUSHASH "
    "LSHIFT NONUSBACKSLASH Z X C V B N M COMMA PERIOD SLASH RSHIFT "
    "LCTRL LGUI LALT SPACE RALT RGUI APPLICATION RCTRL "
    "INSERT HOME PAGEUP DELETE END PAGEDOWN UP LEFT DOWN RIGHT "
    "NUMLOCKCLEAR KP_DIVIDE KP_MULTIPLY KP_MINUS KP_PLUS KP_ENTER KP_PERIOD "
    "KP_0 KP_1 KP_2 KP_3 KP_4 KP_5 KP_6 KP_7 KP_8 KP_9 "
    "INTERNATIONAL1 INTERNATIONAL2 INTERNATIONAL3 INTERNATIONAL4 INTERNATIONAL5 "
    "LANG1 LANG2 POWER SLEEP "
    "MUTE AUDIOMUTE VOLUMEDOWN VOLUMEUP AUDIOPLAY AUDIOSTOP AUDIOPREV AUDIONEXT "
    "MEDIASELECT MAIL CALCULATOR COMPUTER AC_SEARCH AC_HOME AC_BACK AC_FORWARD "
    "AC_STOP AC_REFRESH AC_BOOKMARKS").split()}

# Set 2 make codes of the keys with ordinary make/break pairs.
SET2 = {_K[name]: code for name, code in (
    ("ESCAPE", 0x76), ("F1", 0x05), ("F2", 0x06), ("F3", 0x04), ("F4", 0x0C),
    ("F5", 0x03), ("F6", 0x0B), ("F7", 0x83), ("F8", 0x0A), ("F9", 0x01),
    ("F10", 0x09), ("F11", 0x78), ("F12", 0x07), ("SCROLLLOCK", 0x7E),
    ("GRAVE", 0x0E), ("1", 0x16), ("2", 0x1E), ("3", 0x26), ("4", 0x25), ("5", 0x2E),
    ("6", 0x36), ("7", 0x3D), ("8", 0x3E), ("9", 0x46), ("0", 0x45), ("MINUS", 0x4E),
    ("EQUALS", 0x55), ("BACKSPACE", 0x66),
    ("TAB", 0x0D), ("Q", 0x15), ("W", 0x1D), ("E", 0x24), ("R", 0x2D), ("T", 0x2C),
    ("Y", 0x35), ("U", 0x3C), ("I", 0x43), ("O", 0x44), ("P", 0x4D),
    ("LEFTBRACKET", 0x54), ("RIGHTBRACKET", 0x5B), ("RETURN", 0x5A),
    ("CAPSLOCK", 0x58), ("A", 0x1C), ("S", 0x1B), ("D", 0x23), ("F", 0x2B),
    ("G", 0x34), ("H", 0x33), ("J", 0x3B), ("K", 0x42), ("L", 0x4B),
    ("SEMICOLON", 0x4C), ("APOSTROPHE", 0x52),
    # the key left of Enter: US "\|", ISO "#~"; SDL names it either way
    ("BACKSLASH", 0x5D), ("NONUSHASH", 0x5D),
    ("LSHIFT", 0x12), ("NONUSBACKSLASH", 0x61),           # ISO "<>", the 105th key
    ("Z", 0x1A), ("X", 0x22), ("C", 0x21), ("V", 0x2A), ("B", 0x32), ("N", 0x31),
    ("M", 0x3A), ("COMMA", 0x41), ("PERIOD", 0x49), ("SLASH", 0x4A),
    ("RSHIFT", 0x59),
    ("LCTRL", 0x14), ("LGUI", E0 | 0x1F), ("LALT", 0x11), ("SPACE", 0x29),
    ("RALT", E0 | 0x11), ("RGUI", E0 | 0x27), ("APPLICATION", E0 | 0x2F),
    ("RCTRL", E0 | 0x14),
    ("INSERT", E0 | 0x70), ("HOME", E0 | 0x6C), ("PAGEUP", E0 | 0x7D),
    ("DELETE", E0 | 0x71), ("END", E0 | 0x69), ("PAGEDOWN", E0 | 0x7A),
    ("UP", E0 | 0x75), ("LEFT", E0 | 0x6B), ("DOWN", E0 | 0x72), ("RIGHT", E0 | 0x74),
    ("NUMLOCKCLEAR", 0x77), ("KP_DIVIDE", E0 | 0x4A), ("KP_MULTIPLY", 0x7C),
    ("KP_MINUS", 0x7B), ("KP_PLUS", 0x79), ("KP_ENTER", E0 | 0x5A),
    ("KP_PERIOD", 0x71), ("KP_0", 0x70), ("KP_1", 0x69), ("KP_2", 0x72),
    ("KP_3", 0x7A), ("KP_4", 0x6B), ("KP_5", 0x73), ("KP_6", 0x74), ("KP_7", 0x6C),
    ("KP_8", 0x75), ("KP_9", 0x7D),
    # Japanese 106/109: Ro, Katakana/Hiragana, Yen, Henkan, Muhenkan
    ("INTERNATIONAL1", 0x51), ("INTERNATIONAL2", 0x13), ("INTERNATIONAL3", 0x6A),
    ("INTERNATIONAL4", 0x64), ("INTERNATIONAL5", 0x67),
    ("POWER", E0 | 0x37), ("SLEEP", E0 | 0x3F),
    ("MUTE", E0 | 0x23), ("AUDIOMUTE", E0 | 0x23), ("VOLUMEDOWN", E0 | 0x21),
    ("VOLUMEUP", E0 | 0x32), ("AUDIOPLAY", E0 | 0x34), ("AUDIOSTOP", E0 | 0x3B),
    ("AUDIOPREV", E0 | 0x15), ("AUDIONEXT", E0 | 0x4D), ("MEDIASELECT", E0 | 0x50),
    ("MAIL", E0 | 0x48), ("CALCULATOR", E0 | 0x2B), ("COMPUTER", E0 | 0x40),
    ("AC_SEARCH", E0 | 0x10), ("AC_HOME", E0 | 0x3A), ("AC_BACK", E0 | 0x38),
    ("AC_FORWARD", E0 | 0x30), ("AC_STOP", E0 | 0x28), ("AC_REFRESH", E0 | 0x20),
    ("AC_BOOKMARKS", E0 | 0x18),
)}

PRINTSCREEN = _K["PRINTSCREEN"]
PAUSE = _K["PAUSE"]
MAKE_ONLY = {_K["LANG1"]: b"\xf2", _K["LANG2"]: b"\xf1"}     # Hangul, Hanja

PAUSE_MAKE = bytes((0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77))
BREAK_MAKE = bytes((0xE0, 0x7E, 0xE0, 0xF0, 0x7E))           # Ctrl+Pause
PRTSC_MAKE = bytes((0xE0, 0x12, 0xE0, 0x7C))
PRTSC_BREAK = bytes((0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12))
PRTSC_MOD_MAKE = bytes((0xE0, 0x7C))                         # with Shift or Ctrl
PRTSC_MOD_BREAK = bytes((0xE0, 0xF0, 0x7C))
SYSRQ_MAKE = b"\x84"                                         # with Alt
SYSRQ_BREAK = b"\xf0\x84"

SHIFTS = {_K["LSHIFT"], _K["RSHIFT"]}
CTRLS = {_K["LCTRL"], _K["RCTRL"]}
ALTS = {_K["LALT"], _K["RALT"]}

ALL_KEYS = frozenset(SET2) | {PRINTSCREEN, PAUSE} | frozenset(MAKE_ONLY)


def make_code(key):
    """Set 2 make bytes of an ordinary key (SDL scancode), or None."""
    code = SET2.get(key)
    if code is None:
        return None
    return bytes((0xE0, code & 0xFF)) if code & E0 else bytes((code,))


def break_code(key):
    code = SET2.get(key)
    if code is None:
        return None
    return bytes((0xE0, BREAK, code & 0xFF)) if code & E0 else bytes((BREAK, code))


class KeyEncoder:
    """The keyboard's side of key events: set 2 bytes for a key going down, repeating
    or going up, given the modifier keys it has seen held (Print Screen and Pause
    change with them). Methods return b"" for keys a PC keyboard does not have."""

    def __init__(self):
        self.held = set()
        self._prtsc = b""            # the break that matches how Print Screen was made

    def down(self, key):
        if key not in ALL_KEYS:
            return b""
        self.held.add(key)
        if key == PRINTSCREEN:
            make, self._prtsc = self._prtsc_codes()
            return make
        if key == PAUSE:
            return BREAK_MAKE if self.held & CTRLS else PAUSE_MAKE
        if key in MAKE_ONLY:
            return MAKE_ONLY[key]
        return make_code(key)

    def repeat(self, key):
        """The typematic repeat of a held key: its make code again (Pause and the
        make-only keys do not repeat)."""
        if key not in self.held or key == PAUSE or key in MAKE_ONLY:
            return b""
        if key == PRINTSCREEN:
            return self._prtsc_codes()[0][-2:]          # E0 7C, or 84 for SysRq
        return make_code(key)

    def up(self, key):
        if key not in self.held:
            return b""
        self.held.discard(key)
        if key == PRINTSCREEN:
            return self._prtsc
        if key == PAUSE or key in MAKE_ONLY:
            return b""
        return break_code(key)

    def _prtsc_codes(self):
        if self.held & ALTS:
            return SYSRQ_MAKE, SYSRQ_BREAK
        if self.held & (SHIFTS | CTRLS):
            return PRTSC_MOD_MAKE, PRTSC_MOD_BREAK
        return PRTSC_MAKE, PRTSC_BREAK
