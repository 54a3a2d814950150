"""Every key of a PC-105 keyboard: the scan code set 2 bytes the keyboard sends, and
the set 1 bytes a guest reads from port 0x60 when the i8042 translates (as every PC
BIOS sets it up), with the special keys' modifier-dependent codes.

The expected set 1 codes are written out from the IBM PC/AT and Microsoft scan code
tables, not computed with the translation table under test."""
import pytest

from tests.ui.sdlkit import scancode
from hw.i8042 import NEXT_BYTE_NS, I8042
from hw.irq import IrqLine
from tests.hw.harness import HandClock, Ports, Wires
from ui.keymap import ALL_KEYS, KeyEncoder

# (SDL scancode name, set 2 make, set 1 make); breaks follow the sets' rules
PC105 = [
    ("ESCAPE", "76", "01"), ("F1", "05", "3b"), ("F2", "06", "3c"), ("F3", "04", "3d"),
    ("F4", "0c", "3e"), ("F5", "03", "3f"), ("F6", "0b", "40"), ("F7", "83", "41"),
    ("F8", "0a", "42"), ("F9", "01", "43"), ("F10", "09", "44"), ("F11", "78", "57"),
    ("F12", "07", "58"), ("SCROLLLOCK", "7e", "46"),
    ("GRAVE", "0e", "29"), ("1", "16", "02"), ("2", "1e", "03"), ("3", "26", "04"),
    ("4", "25", "05"), ("5", "2e", "06"), ("6", "36", "07"), ("7", "3d", "08"),
    ("8", "3e", "09"), ("9", "46", "0a"), ("0", "45", "0b"), ("MINUS", "4e", "0c"),
    ("EQUALS", "55", "0d"), ("BACKSPACE", "66", "0e"),
    ("TAB", "0d", "0f"), ("Q", "15", "10"), ("W", "1d", "11"), ("E", "24", "12"),
    ("R", "2d", "13"), ("T", "2c", "14"), ("Y", "35", "15"), ("U", "3c", "16"),
    ("I", "43", "17"), ("O", "44", "18"), ("P", "4d", "19"),
    ("LEFTBRACKET", "54", "1a"), ("RIGHTBRACKET", "5b", "1b"), ("RETURN", "5a", "1c"),
    ("CAPSLOCK", "58", "3a"), ("A", "1c", "1e"), ("S", "1b", "1f"), ("D", "23", "20"),
    ("F", "2b", "21"), ("G", "34", "22"), ("H", "33", "23"), ("J", "3b", "24"),
    ("K", "42", "25"), ("L", "4b", "26"), ("SEMICOLON", "4c", "27"),
    ("APOSTROPHE", "52", "28"), ("NONUSHASH", "5d", "2b"),
    ("LSHIFT", "12", "2a"), ("NONUSBACKSLASH", "61", "56"), ("Z", "1a", "2c"),
    ("X", "22", "2d"), ("C", "21", "2e"), ("V", "2a", "2f"), ("B", "32", "30"),
    ("N", "31", "31"), ("M", "3a", "32"), ("COMMA", "41", "33"), ("PERIOD", "49", "34"),
    ("SLASH", "4a", "35"), ("RSHIFT", "59", "36"),
    ("LCTRL", "14", "1d"), ("LGUI", "e0 1f", "e0 5b"), ("LALT", "11", "38"),
    ("SPACE", "29", "39"), ("RALT", "e0 11", "e0 38"), ("RGUI", "e0 27", "e0 5c"),
    ("APPLICATION", "e0 2f", "e0 5d"), ("RCTRL", "e0 14", "e0 1d"),
    ("INSERT", "e0 70", "e0 52"), ("HOME", "e0 6c", "e0 47"),
    ("PAGEUP", "e0 7d", "e0 49"), ("DELETE", "e0 71", "e0 53"),
    ("END", "e0 69", "e0 4f"), ("PAGEDOWN", "e0 7a", "e0 51"),
    ("UP", "e0 75", "e0 48"), ("LEFT", "e0 6b", "e0 4b"), ("DOWN", "e0 72", "e0 50"),
    ("RIGHT", "e0 74", "e0 4d"),
    ("NUMLOCKCLEAR", "77", "45"), ("KP_DIVIDE", "e0 4a", "e0 35"),
    ("KP_MULTIPLY", "7c", "37"), ("KP_MINUS", "7b", "4a"), ("KP_7", "6c", "47"),
    ("KP_8", "75", "48"), ("KP_9", "7d", "49"), ("KP_PLUS", "79", "4e"),
    ("KP_4", "6b", "4b"), ("KP_5", "73", "4c"), ("KP_6", "74", "4d"),
    ("KP_1", "69", "4f"), ("KP_2", "72", "50"), ("KP_3", "7a", "51"),
    ("KP_ENTER", "e0 5a", "e0 1c"), ("KP_0", "70", "52"), ("KP_PERIOD", "71", "53"),
]
PRTSC_PAUSE = [("PRINTSCREEN", "e0 12 e0 7c", "e0 f0 7c e0 f0 12", "e0 2a e0 37",
                "e0 b7 e0 aa"),
               ("PAUSE", "e1 14 77 e1 f0 14 f0 77", "", "e1 1d 45 e1 9d c5", "")]
# the US 104-key layout names the key left of Enter BACKSLASH; the Japanese keys
OTHERS = [("BACKSLASH", "5d", "2b"), ("INTERNATIONAL1", "51", "73"),
          ("INTERNATIONAL2", "13", "70"), ("INTERNATIONAL3", "6a", "7d"),
          ("INTERNATIONAL4", "64", "79"), ("INTERNATIONAL5", "67", "7b"),
          ("POWER", "e0 37", "e0 5e"), ("SLEEP", "e0 3f", "e0 5f"),
          ("MUTE", "e0 23", "e0 20"), ("VOLUMEUP", "e0 32", "e0 30")]


def hexb(text):
    return bytes.fromhex(text)


def break2(make):
    return make[:-1] + b"\xf0" + make[-1:]


def break1(make):
    return make[:-1] + bytes((make[-1] | 0x80,))


class Controller:
    """An i8042 set up as a PC BIOS leaves it: keyboard IRQ on, translation on."""

    def __init__(self, translate=True):
        self.clock = HandClock()
        wires = Wires(self.clock)
        self.kbc = I8042(self.clock, IrqLine(wires, 1), IrqLine(wires, 12),
                         lambda on: None, lambda: None)
        self.io = Ports(self.kbc)
        self.io.outb(0x64, 0x60)
        self.io.outb(0x60, 0x41 if translate else 0x01)

    def guest_reads(self):
        out = []
        while True:
            self.clock.advance(NEXT_BYTE_NS)
            if not self.io.inb(0x64) & 1:
                return bytes(out)
            out.append(self.io.inb(0x60))

    def send(self, codes):
        self.kbc.keyboard.press(codes)
        return self.guest_reads()


def test_the_table_is_a_whole_pc105_keyboard():
    names = [k[0] for k in PC105] + [k[0] for k in PRTSC_PAUSE]
    assert len(names) == len(set(names)) == 105
    assert {scancode(n) for n in names} <= ALL_KEYS


@pytest.mark.parametrize("name, make2, make1", PC105 + OTHERS,
                         ids=[k[0] for k in PC105 + OTHERS])
def test_key_set2_and_translated_set1(name, make2, make1):
    enc = KeyEncoder()
    down, up = enc.down(scancode(name)), enc.up(scancode(name))
    assert (down, up) == (hexb(make2), break2(hexb(make2)))
    kbc = Controller()
    assert kbc.send(down) == hexb(make1)
    assert kbc.send(up) == break1(hexb(make1))


@pytest.mark.parametrize("name, make2, brk2, make1, brk1", PRTSC_PAUSE,
                         ids=["PRINTSCREEN", "PAUSE"])
def test_print_screen_and_pause(name, make2, brk2, make1, brk1):
    enc = KeyEncoder()
    down, up = enc.down(scancode(name)), enc.up(scancode(name))
    assert (down, up) == (hexb(make2), hexb(brk2))
    kbc = Controller()
    assert kbc.send(down) == hexb(make1)
    assert kbc.send(up) == hexb(brk1)


def test_keyboard_in_set_1_sends_the_same_bytes_untranslated():
    kbc = Controller(translate=False)
    kbc.io.outb(0x60, 0xF0)
    kbc.io.outb(0x60, 0x01)                   # select scan code set 1
    assert kbc.guest_reads() == b"\xfa\xfa"
    enc = KeyEncoder()
    for name, make2, make1 in PC105:
        assert kbc.send(enc.down(scancode(name))) == hexb(make1), name
        assert kbc.send(enc.up(scancode(name))) == break1(hexb(make1)), name


def _held(enc, *names):
    for name in names:
        enc.down(scancode(name))


@pytest.mark.parametrize("mods, make, brk", [
    (("LSHIFT",), "e0 7c", "e0 f0 7c"),
    (("RCTRL",), "e0 7c", "e0 f0 7c"),
    (("LALT",), "84", "f0 84"),               # Alt+Print Screen is SysRq
])
def test_print_screen_with_modifiers(mods, make, brk):
    enc = KeyEncoder()
    _held(enc, *mods)
    assert enc.down(scancode("PRINTSCREEN")) == hexb(make)
    for m in mods:                            # the break matches the make, whatever
        enc.up(scancode(m))                   # was released in between
    assert enc.up(scancode("PRINTSCREEN")) == hexb(brk)


def test_ctrl_pause_is_break():
    enc = KeyEncoder()
    _held(enc, "LCTRL")
    assert enc.down(scancode("PAUSE")) == hexb("e0 7e e0 f0 7e")
    assert enc.up(scancode("PAUSE")) == b""


def test_make_only_and_unknown_keys():
    enc = KeyEncoder()
    assert enc.down(scancode("LANG1")) == b"\xf2" and enc.up(scancode("LANG1")) == b""
    assert enc.down(scancode("F24")) == b"" and enc.up(scancode("F24")) == b""
    assert enc.up(scancode("A")) == b""       # released without a press: nothing


def test_repeat_is_the_make_code_and_pause_does_not_repeat():
    enc = KeyEncoder()
    _held(enc, "RCTRL", "A", "PAUSE")
    assert enc.repeat(scancode("RCTRL")) == hexb("e0 14")
    assert enc.repeat(scancode("A")) == hexb("1c")
    assert enc.repeat(scancode("PAUSE")) == b""
    assert enc.repeat(scancode("B")) == b""   # not held
