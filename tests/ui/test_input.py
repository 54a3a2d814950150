"""Host input on its way to the PS/2 devices: typematic repeat at the rate and delay
the guest programmed, which key repeats, stuck-key release, mouse packets."""
import pytest

from tests.ui.sdlkit import scancode
from tests.ui.test_keymap import Controller
from ui.input import MAX_REPEATS_PER_POLL, HostInput

A, B, PAUSE, LCTRL = (scancode(n) for n in ("A", "B", "PAUSE", "LCTRL"))


@pytest.fixture
def ctl():
    return Controller(translate=False)       # set 2 bytes as the keyboard sends them


def host(ctl):
    wakes = []
    return HostInput(ctl.kbc, lambda: wakes.append(1)), wakes


def program_typematic(ctl, value):
    ctl.io.outb(0x60, 0xF3)
    ctl.io.outb(0x60, value)
    assert ctl.guest_reads() == b"\xfa\xfa"


def repeats_between(inp, ctl, t0, t1, step=0.001):
    """Tick every `step` s from t0 to t1; the times (ms after t0) a byte came."""
    times = []
    t = t0
    while t <= t1 + 1e-9:
        inp.tick(t)
        if ctl.guest_reads():
            times.append(round((t - t0) * 1000))
        t += step
    return times


def test_default_typematic_is_500ms_then_10_9_per_second(ctl):
    inp, wakes = host(ctl)
    inp.key_down(A, 100.0)
    assert ctl.guest_reads() == b"\x1c" and wakes
    times = repeats_between(inp, ctl, 100.0, 100.8)
    period = (8 + 3) * 2 * 4.17                # ms: typematic byte 0x2B, A=3, B=1
    assert times[0] == 500
    for k in (1, 2, 3):                        # 1 ms ticks: a byte comes on the tick
        assert 0 <= times[k] - (500 + k * period) < 1.01     # at or after it is due


@pytest.mark.parametrize("value, delay_ms, per_s", [
    (0x00, 250, 30.0), (0x1F, 250, 2.0), (0x60, 1000, 30.0), (0x2B, 500, 10.9)])
def test_guest_programmed_rate_and_delay(ctl, value, delay_ms, per_s):
    program_typematic(ctl, value)
    inp, _ = host(ctl)
    inp.key_down(A, 0.0)
    ctl.guest_reads()
    times = repeats_between(inp, ctl, 0.0, delay_ms / 1000 + 2.2 / per_s)
    assert times[0] == delay_ms
    assert abs((times[1] - times[0]) - 1000 / per_s) <= 1.5
    assert abs((times[2] - times[1]) - 1000 / per_s) <= 1.5


def test_only_the_last_key_pressed_repeats(ctl):
    inp, _ = host(ctl)
    inp.key_down(A, 0.0)
    inp.key_down(B, 0.2)
    assert ctl.guest_reads() == b"\x1c\x32"
    inp.tick(0.69)
    assert ctl.guest_reads() == b""            # B's delay counts from B's press
    inp.tick(0.7)
    assert ctl.guest_reads() == b"\x32"
    inp.key_up(B)
    assert ctl.guest_reads() == b"\xf0\x32"
    inp.tick(5.0)                              # A is still down, but does not repeat
    assert ctl.guest_reads() == b""


def test_host_repeats_of_a_held_key_are_not_presses(ctl):
    inp, _ = host(ctl)
    inp.key_down(A, 0.0)
    inp.key_down(A, 0.3)                       # the host's auto-repeat, were it passed
    assert ctl.guest_reads() == b"\x1c"
    inp.tick(0.5)
    assert ctl.guest_reads() == b"\x1c"       # the delay still counts from 0.0


def test_a_late_poll_sends_a_bounded_burst(ctl):
    inp, _ = host(ctl)
    inp.key_down(A, 0.0)
    ctl.guest_reads()
    inp.tick(10.0)                             # the emulator was busy for 10 s
    assert ctl.guest_reads() == b"\x1c" * MAX_REPEATS_PER_POLL
    # and it does not catch up afterwards: the rate goes on from there
    assert len(repeats_between(inp, ctl, 10.001, 11.0)) in (10, 11)


def test_pause_does_not_repeat(ctl):
    inp, _ = host(ctl)
    inp.key_down(PAUSE, 0.0)
    assert ctl.guest_reads() == bytes.fromhex("e1 14 77 e1 f0 14 f0 77")
    inp.tick(3.0)
    assert ctl.guest_reads() == b""


def test_release_all_breaks_every_held_key(ctl):
    inp, _ = host(ctl)
    inp.key_down(LCTRL, 0.0)
    inp.key_down(A, 0.0)
    ctl.guest_reads()
    inp.release_all()
    assert ctl.guest_reads() in (b"\xf0\x14\xf0\x1c", b"\xf0\x1c\xf0\x14")
    assert inp.held() == set()
    inp.tick(5.0)
    assert ctl.guest_reads() == b""


def test_type_keys_presses_then_releases_in_reverse(ctl):
    inp, _ = host(ctl)
    inp.type_keys([LCTRL, scancode("LALT"), scancode("DELETE")])
    assert ctl.guest_reads() == bytes.fromhex("14 11 e0 71 e0 f0 71 f0 11 f0 14")


def enable_mouse(ctl, wheel=False):
    seq = [0xF4] if not wheel else [0xF3, 200, 0xF3, 100, 0xF3, 80, 0xF4]
    for b in seq:
        ctl.io.outb(0x64, 0xD4)
        ctl.io.outb(0x60, b)
    ctl.guest_reads()


def test_mouse_motion_buttons_and_wheel(ctl):
    enable_mouse(ctl, wheel=True)
    inp, wakes = host(ctl)
    inp.mouse_motion(5, 3)
    inp.mouse_motion(2, -1)
    assert ctl.guest_reads() == b""            # collected until flushed
    inp.flush_mouse()
    # 7 right, 2 down (the packet counts up: -2), no buttons
    assert ctl.guest_reads() == bytes((0x08 | 0x20, 7, 0xFE, 0))
    inp.mouse_buttons(1 | 4)                   # SDL left + right
    assert ctl.guest_reads() == bytes((0x08 | 0x03, 0, 0, 0))
    inp.mouse_buttons(2)                       # SDL middle
    assert ctl.guest_reads() == bytes((0x08 | 0x04, 0, 0, 0))
    inp.mouse_wheel(1)                         # away from the user: Z = -1
    inp.flush_mouse()
    assert ctl.guest_reads() == bytes((0x08 | 0x04, 0, 0, 0xFF))
    inp.flush_mouse()
    assert ctl.guest_reads() == b""            # nothing new: no packet
    assert wakes


def test_large_motion_is_split_into_packets(ctl):
    enable_mouse(ctl)
    inp, _ = host(ctl)
    inp.mouse_motion(300, 0)
    inp.flush_mouse()
    assert ctl.guest_reads() == bytes((0x08, 255, 0, 0x08, 45, 0))


def test_mouse_reset_releases_buttons(ctl):
    enable_mouse(ctl)
    inp, _ = host(ctl)
    inp.mouse_buttons(1)
    ctl.guest_reads()
    inp.mouse_motion(9, 9)
    inp.mouse_reset()
    assert ctl.guest_reads() == bytes((0x08, 0, 0))
