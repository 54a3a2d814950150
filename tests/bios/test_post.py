"""POST and the boot attempt of pyx86's BIOS: banner, tables, boot order, retry."""
import re
import tempfile

import pytest

from bios import build
from emu.machine import Stop
from tests.bios.harness import POST_BUDGET, BiosPC


def test_post_reports_on_the_debug_console_and_screen_within_budget():
    """The log goes to port 0xE9; the serial port (the OS's console) only hears that
    nothing boots."""
    pc = BiosPC(memory_mib=32)
    pc.run_until(b"No bootable device", budget=POST_BUDGET)
    pc.wait_for_boot_failure()
    log = pc.log.getvalue()
    for line in (b"pyx86 BIOS\n", b"RAM: 632 KiB conventional, 32 MiB total\n",
                 b"boot order: hard disk floppy CD-ROM\n", b"No bootable device.\n"):
        assert line in log
    assert pc.serial.getvalue() == b"No bootable device.\r\nPress a key to try again.\r\n"
    assert pc.screen_row(0).rstrip() == "pyx86 BIOS"
    assert pc.screen_row(1).rstrip() == "No bootable device."
    assert pc.screen_row(2).rstrip() == "Press a key to try again."
    assert pc.word(0x450) == 0x0300               # cursor on row 3, column 0


@pytest.mark.parametrize("boot, order", [
    ("c", b"hard disk floppy CD-ROM"),
    ("a", b"floppy hard disk CD-ROM"),
    ("d", b"CD-ROM hard disk floppy"),
])
def test_boot_order_comes_from_cmos(boot, order):
    pc = BiosPC(boot=boot)
    pc.run_until(b"No bootable device")
    assert b"boot order: " + order + b"\n" in pc.log.getvalue()


def test_a_key_retries_the_boot():
    pc = BiosPC()
    pc.wait_for_boot_failure()
    pc.m.kbc.keyboard.press([0x5A])               # Enter (set 2)
    pc.m.kbc.keyboard.press([0xF0, 0x5A])
    pc.run_for(2_000_000)
    assert pc.log.getvalue().count(b"No bootable device") == 2


def test_tables_in_low_memory():
    pc = BiosPC(memory_mib=32)
    pc.wait_for_boot_failure()
    assert pc.word(0x400) == 0x3F8 and pc.word(0x402) == 0x2F8   # COM1, COM2
    assert pc.word(0x410) == 0x0422               # 2 serial ports, 80x25 colour, FPU
    assert pc.word(0x413) == 632                  # KiB below the EBDA
    assert pc.word(0x40E) == 0x9E00               # EBDA segment ...
    assert pc.read(0x9E000, 1) == b"\x08"         # ... of 8 KiB
    assert pc.word(0x41A) == pc.word(0x41C)       # keyboard buffer empty
    assert (pc.word(0x480), pc.word(0x482)) == (0x1E, 0x3E)
    assert pc.read(0x449, 2) == bytes((3, 80))    # video mode 3, 80 columns
    vectors = {v: pc.dword(4 * v) for v in (0x08, 0x09, 0x10, 0x13, 0x16, 0x19, 0x1A)}
    assert vectors == {0x08: 0xF000FEA5, 0x09: 0xF000E987, 0x10: 0xF000F065,
                       0x13: 0xF000E3FE, 0x16: 0xF000E82E, 0x19: 0xF000E6F2,
                       0x1A: 0xF000FE6E}
    assert pc.read(0xFFFFE, 1) == b"\xFC"         # model byte: AT
    assert re.fullmatch(rb"\d\d/\d\d/\d\d", pc.read(0xFFFF5, 8))
    assert pc.read(0xFFFF0, 1) == b"\xEA"         # the reset vector: a far JMP


def test_build_is_reproducible():
    tools = build._tools()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        first = build.compile_image(tools, a)
        second = build.compile_image(tools, b)
    assert first == second == build.image()
    assert len(first) == 128 * 1024


def test_missing_toolchain_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PYX86_GCC", "/nonexistent/gcc")
    with pytest.raises(build.BuildError, match="needs gcc, ld, objcopy.*not found: gcc"):
        build.build(force=True)


def test_option_rom_hooks_the_boot(tmp_path):
    """POST runs the option ROMs in C0000-DFFFF: --kernel's ROM hooks INT 19h and
    boots a tiny bzImage that prints its command line (tests/emu/test_kernelboot)."""
    from tests.emu.test_kernelboot import bzimage
    kernel = tmp_path / "bzImage"
    kernel.write_bytes(bzimage())
    pc = BiosPC(kernel=(str(kernel), None, "console=ttyS0"))
    outcome = pc.m.run(20_000_000)
    log = pc.log.getvalue()
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0, (outcome, log)
    assert b"option ROM at c8000" in log
    assert log.endswith(b"console=ttyS0")
