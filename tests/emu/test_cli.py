"""`pyx86 run` end to end: tiny ROMs through the real command line (python -m emu)."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from emu import cli
from tests.conftest import ROOT
from tests.emu.roms import KIB, asm16, debug_exit, far_jmp16, outs, rom16, shutdown


def pyx86(*args, timeout=60):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in ("PYX86_DEBUG", "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        env.pop(name, None)               # no display: a run without --headless fails
    # stdin is not the terminal pytest runs in: `--serial stdio` (the default) reads it
    return subprocess.run([sys.executable, "-m", "emu", *map(str, args)], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


@pytest.fixture
def run_rom(tmp_path):
    """Write a ROM and run it headless; returns the CompletedProcess."""
    def run(rom, *args, **kw):
        path = tmp_path / "test.rom"
        path.write_bytes(rom)
        return pyx86("run", "--bios", path, "--headless", *args, **kw)
    return run


def err(p):
    return p.stderr.decode()


def assert_dump(p):
    e = err(p)
    assert "EAX=" in e and "EIP=" in e and "CR0=" in e
    assert "Traceback" not in e


# -- guest output and the exit ports -------------------------------------------------

def test_debugcon_on_stdout_and_shutdown_powers_off(run_rom):
    p = run_rom(rom16(outs(0xE9, b"Hello\n") + shutdown()))
    assert p.stdout == b"Hello\n"
    assert p.returncode == cli.EXIT_POWER_OFF
    assert err(p) == ""                  # a normal power off is silent


def test_debugcon_to_file_on_another_port(run_rom, tmp_path):
    out = tmp_path / "con.txt"
    p = run_rom(rom16(outs(0x402, b"abc") + outs(0xE9, b"x") + debug_exit(0)),
                "--debugcon", out, "--debugcon-port", "0x402")
    assert out.read_bytes() == b"abc"    # port E9 is unclaimed now
    assert p.stdout == b""
    assert p.returncode == 1


def test_debugcon_none_leaves_port_unclaimed(run_rom):
    # IN from an unclaimed port floats high: exit value 0xFF -> (0xFF<<1|1) & 0xFF
    p = run_rom(rom16("in al, 0xe9\nout 0xf4, al\n"), "--debugcon", "none")
    assert p.returncode == 0xFF


def test_post_codes_logged(run_rom, tmp_path):
    log = tmp_path / "post.log"
    p = run_rom(rom16(outs(0x80, b"\x01\x02\xab\x00") + "in al, 0x80\nout 0xf4, al\n"),
                "--post-log", log)
    assert log.read_text() == "01\n02\nab\n00\n"
    assert p.returncode == 1             # the latch reads back the last code, 0


def test_post_port_option(run_rom, tmp_path):
    log = tmp_path / "post.log"
    p = run_rom(rom16(outs(0x80, b"\x11") + outs(0x84, b"\x22") + debug_exit(3)),
                "--post-log", log, "--post-port", "0x84")
    assert log.read_text() == "22\n"
    assert p.returncode == 7


DEBUG_EXIT_CASES = [
    ("mov al, 0\nout 0xf4, al", 1),
    ("mov al, 0x21\nout 0xf4, al", 0x43),
    ("mov al, 0x7f\nout 0xf4, al", 0xFF),
    ("mov al, 0x80\nout 0xf4, al", 0x01),          # (V<<1)|1 truncated to 8 bits
    ("mov ax, 0x1234\nout 0xf4, ax", 0x69),        # a word write is one value
    ("mov al, 2\nout 0xf7, al", 5),                # iosize 4: 0xF4..0xF7
    ("in al, 0xf4\nout 0xf4, al", 1),              # the device reads as 0
    ("in al, 0xe9\nout 0xf4, al", 0xD3),           # the console answers 0xE9
]


@pytest.mark.parametrize("src, status", DEBUG_EXIT_CASES)
def test_isa_debug_exit(run_rom, src, status):
    p = run_rom(rom16(src + "\n"))
    assert p.returncode == status
    assert err(p) == ""


@pytest.mark.skipif(shutil.which("qemu-system-i386") is None, reason="QEMU not installed")
@pytest.mark.parametrize("src, status", DEBUG_EXIT_CASES)
def test_isa_debug_exit_as_in_qemu(tmp_path, src, status):
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16(src + "\n"))
    p = subprocess.run(["qemu-system-i386", "-bios", str(rom), "-display", "none",
                        "-nodefaults", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                        "-debugcon", "file:" + str(tmp_path / "con")],
                       capture_output=True, timeout=60)
    assert p.returncode == status


def test_shutdown_sequence_must_be_complete(run_rom):
    p = run_rom(rom16(outs(0x8900, b"Shutdow") + "cli\nhlt\n"))
    assert p.returncode == cli.EXIT_HALTED


def test_shutdown_sequence_restarts_after_garbage(run_rom):
    p = run_rom(rom16(outs(0x8900, b"ShuSShutXShutdown") + "cli\nhlt\n"))
    assert p.returncode == cli.EXIT_POWER_OFF


# -- abnormal stops -------------------------------------------------------------------

def test_hlt_with_interrupts_disabled(run_rom):
    p = run_rom(rom16("mov ax, 0x1234\ncli\nhlt\n"))
    assert p.returncode == cli.EXIT_HALTED
    assert "pyx86: CPU halted with interrupts disabled\n" in err(p)
    assert "EAX=00001234" in err(p)
    assert_dump(p)


def test_hlt_with_interrupts_enabled_but_no_source(run_rom):
    p = run_rom(rom16("sti\nhlt\n"))
    assert p.returncode == cli.EXIT_HALTED
    assert "pyx86: CPU halted; nothing can wake it\n" in err(p)
    assert_dump(p)


# Real mode, SS limit 0xFFFF and SP=1: pushing the interrupt frame faults (#SS), so
# does delivering that #SS, and the #DF after it: shutdown (SDM vol. 3A, 6.15).
# Bochs 2.7 resets on this ROM after 4 instructions; QEMU's TCG skips real-mode
# limit checks and does not.
TRIPLE_SP1 = "xor ax, ax\nmov ss, ax\nmov sp, 1\nint 3\n"
# Real mode with an IDT limit of 0: INT n cannot be delivered (#GP), nor the #GP
# nor the #DF: shutdown (QEMU 7.2 logs "Triple fault" on this ROM). 6 bytes of
# IDTR image (limit 0, base 0) at 0x500 in RAM.
TRIPLE_IDT0 = ("xor ax, ax\nmov ds, ax\nmov word ptr [0x500], ax\n"
               "mov word ptr [0x502], ax\nmov word ptr [0x504], ax\n"
               "lidt [0x500]\nint 0x10\n")
triple_roms = [
    pytest.param(TRIPLE_SP1, id="stack-sp1"),
    pytest.param(TRIPLE_IDT0, id="idt-limit0"),
]


@pytest.mark.parametrize("src", triple_roms)
def test_triple_fault_no_reboot(run_rom, src):
    p = run_rom(rom16(src), "--no-reboot")
    assert p.returncode == cli.EXIT_TRIPLE_FAULT
    assert "pyx86: triple fault\n" in err(p)
    assert_dump(p)


@pytest.mark.parametrize("src", triple_roms)
def test_triple_fault_resets_until_the_limit(run_rom, src):
    p = run_rom(rom16(src), "--max-instructions", 10000, "--stats")
    assert p.returncode == cli.EXIT_LIMIT
    e = err(p)
    assert e.count("triple fault: machine reset") == 1       # reported once
    resets = int(e.split(" resets")[0].rsplit(", ", 1)[1])
    assert resets > 100                   # each boot is a handful of instructions
    assert "instructions=10000\n" in e


# Port 0x92 bit 0 rising resets the machine; the POST code shows each boot.
RESET_VIA_PORT92 = "mov al, 0x42\nout 0x80, al\nmov al, 1\nout 0x92, al\nhlt\n"


def test_guest_reset_with_no_reboot_exits_like_qemu(run_rom, tmp_path):
    post = tmp_path / "post.log"
    p = run_rom(rom16(RESET_VIA_PORT92), "--no-reboot", "--post-log", post)
    assert p.returncode == cli.EXIT_POWER_OFF
    assert "pyx86: the guest reset the machine\n" in err(p)
    assert post.read_text() == "42\n"                       # booted once, no second time


def test_guest_reset_reboots_without_no_reboot(run_rom, tmp_path):
    post = tmp_path / "post.log"
    p = run_rom(rom16(RESET_VIA_PORT92), "--post-log", post, "--max-instructions", 1000)
    assert p.returncode == cli.EXIT_LIMIT
    assert post.read_text().count("42\n") > 10


def test_max_instructions(run_rom):
    p = run_rom(rom16("spin: inc ax\njmp spin\n"), "--max-instructions", 12345)
    assert p.returncode == cli.EXIT_LIMIT
    assert "pyx86: instruction limit reached (12345)\n" in err(p)
    assert "instructions=12345\n" in err(p)
    # 1 far JMP, then 12344 of the inc/jmp loop: 6172 INCs
    assert "EAX=0000181c" in err(p)
    assert_dump(p)


def test_max_instructions_spans_slices(run_rom):
    n = 2_500_001                         # more than two cpu.run() slices
    p = run_rom(rom16("spin: jmp spin\n"), "--max-instructions", n)
    assert p.returncode == cli.EXIT_LIMIT
    assert "instructions=%d\n" % n in err(p)


def test_stats(run_rom):
    p = run_rom(rom16(debug_exit(0)), "--stats")
    assert p.returncode == 1
    line = err(p).strip()
    assert line.startswith("pyx86: 3 instructions in ") and line.endswith(" MIPS")


def test_ctrl_c_stops_cleanly(tmp_path):
    rom = tmp_path / "spin.rom"
    rom.write_bytes(rom16("spin: jmp spin\n"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "emu", "run", "--bios", str(rom),
                             "--headless"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2)                         # past start-up, inside the run loop
    proc.send_signal(signal.SIGINT)
    out, e = proc.communicate(timeout=30)
    assert proc.returncode == cli.EXIT_INTERRUPTED
    assert "pyx86: interrupted\n" in e.decode()
    assert "EIP=" in e.decode() and "Traceback" not in e.decode()


# -- internal errors (in-process, with a device made to fail) ------------------------

def _failing_console(monkeypatch, exc):
    def write(self, port, value, size):
        raise exc
    monkeypatch.setattr("emu.debugports.DebugConsole.write", write)


def test_internal_error_reported_without_traceback(monkeypatch, tmp_path, capfd):
    _failing_console(monkeypatch, RuntimeError("device on fire"))
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16(outs(0xE9, b"x") + debug_exit(0)))
    monkeypatch.delenv("PYX86_DEBUG", raising=False)
    assert cli.main(["run", "--bios", str(rom), "--headless"]) == cli.EXIT_INTERNAL
    e = capfd.readouterr().err
    assert "pyx86: internal error: RuntimeError: device on fire\n" in e
    assert "EIP=" in e and "Traceback" not in e


def test_internal_error_traceback_with_pyx86_debug(monkeypatch, tmp_path, capfd):
    _failing_console(monkeypatch, RuntimeError("device on fire"))
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16(outs(0xE9, b"x") + debug_exit(0)))
    monkeypatch.setenv("PYX86_DEBUG", "1")
    assert cli.main(["run", "--bios", str(rom), "--headless"]) == cli.EXIT_INTERNAL
    assert "Traceback" in capfd.readouterr().err


def test_interrupt_inside_a_device_callback(monkeypatch, tmp_path, capfd):
    _failing_console(monkeypatch, KeyboardInterrupt())
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16(outs(0xE9, b"x") + debug_exit(0)))
    assert cli.main(["run", "--bios", str(rom), "--headless"]) == cli.EXIT_INTERRUPTED
    e = capfd.readouterr().err
    assert "pyx86: interrupted\n" in e and "EIP=" in e


# -- ROM images and where they appear ---------------------------------------------------

def test_small_rom_runs_from_its_mirror(run_rom):
    p = run_rom(rom16(outs(0xE9, b"4K") + shutdown(), size=4 * KIB))
    assert (p.returncode, p.stdout) == (0, b"4K")


def test_large_rom_mirrors_its_last_128k(run_rom):
    # 256 KiB ROM: 0xE0000 shows ROM offset 128 KiB, where E000:0000 finds the code
    rom = bytearray(b"\xF4" * (256 * KIB))
    code = asm16(outs(0xE9, b"E") + shutdown(), 0)
    rom[128 * KIB:128 * KIB + len(code)] = code
    rom[-16:-11] = far_jmp16(0xE000, 0)
    p = run_rom(bytes(rom))
    assert (p.returncode, p.stdout) == (0, b"E")


@pytest.mark.parametrize("size, message", [
    (None, "no such file"),
    (0, "the file is empty"),
    (1000, "1000 bytes is not a multiple of 4 KiB"),
    (16 * 1024 * KIB + 4 * KIB, "16781312 bytes is larger than the 16 MiB ROM window"),
], ids=["missing", "empty", "odd-size", "too-large"])
def test_bad_rom(tmp_path, size, message):
    path = tmp_path / "bad.rom"
    if size is not None:
        path.write_bytes(b"\x90" * size)
    p = pyx86("run", "--bios", path, "--headless")
    assert p.returncode == cli.EXIT_USAGE
    assert err(p) == "pyx86: error: ROM %s: %s\n" % (path, message)


def test_rom_is_a_directory(tmp_path):
    p = pyx86("run", "--bios", tmp_path, "--headless")
    assert p.returncode == cli.EXIT_USAGE
    assert err(p) == "pyx86: error: ROM %s: is a directory\n" % tmp_path


# -- command line ----------------------------------------------------------------------

def test_help():
    p = pyx86("--help")
    assert p.returncode == 0
    out = p.stdout.decode()
    assert "run" in out and "exit statuses" in out and "(V<<1)|1" in out


def test_run_help():
    p = pyx86("run", "--help")
    assert p.returncode == 0 and "--max-instructions" in p.stdout.decode()


@pytest.mark.parametrize("args, message", [
    ([], "the following arguments are required: COMMAND"),
    (["run"], "run with --headless"),
    (["run", "--headless", "--boot", "e"], "invalid choice: 'e'"),
    (["run", "--bios", "x.rom"], "run with --headless"),
    (["run", "--bios", "x.rom", "--headless", "--memory", "0"], "0 MiB is outside 1..3072"),
    (["run", "--bios", "x.rom", "--headless", "--memory", "4096"], "outside 1..3072"),
    (["run", "--bios", "x.rom", "--headless", "--post-port", "0x10000"], "outside 0..0xffff"),
    (["run", "--bios", "x.rom", "--headless", "--max-instructions", "0"], "at least 1"),
])
def test_usage_errors(args, message):
    p = pyx86(*args)
    assert p.returncode == cli.EXIT_USAGE
    e = err(p)
    assert message in e and e.count("\n") == 1 and "Traceback" not in e


def test_port_conflict_is_a_usage_error(run_rom):
    p = run_rom(rom16(debug_exit(0)), "--debugcon-port", "0xf5")
    assert p.returncode == cli.EXIT_USAGE
    assert err(p) == ("pyx86: error: I/O port 0xf5 is claimed by both isa-debug-exit "
                      "and debug console\n")


def test_unwritable_post_log(run_rom, tmp_path):
    p = run_rom(rom16(debug_exit(0)), "--post-log", tmp_path / "no" / "such" / "dir")
    assert p.returncode == cli.EXIT_USAGE
    assert err(p).startswith("pyx86: error: cannot open POST log ")
    assert "No such file or directory" in err(p)


def test_timeout_is_its_own_status(run_rom):
    start = time.monotonic()
    p = run_rom(rom16("spin: jmp spin\n"), "--timeout", "1.5")
    assert p.returncode == cli.EXIT_TIMEOUT
    assert "pyx86: timeout: 1.5 s of wall-clock time\n" in err(p)
    assert_dump(p)
    assert time.monotonic() - start < 30


@pytest.mark.parametrize("extra, message", [
    (["--timeout", "0"], "must be more than 0 seconds"),
    (["--append", "quiet"], "--initrd and --append need --kernel"),
    (["--kernel", "/nonexistent/bzImage"], "kernel /nonexistent/bzImage: no such file"),
])
def test_kernel_and_timeout_usage_errors(run_rom, extra, message):
    p = run_rom(rom16(debug_exit(0)), *extra)
    assert p.returncode == cli.EXIT_USAGE
    assert message in err(p) and err(p).count("\n") == 1
# -- IDE drives ----------------------------------------------------------------------

STATUS_EXIT = "mov dx, %#x\nin al, dx\nout 0xf4, al\nhlt\n"


def test_hard_disk_and_cdrom_options(run_rom, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(512 * 64))
    iso = tmp_path / "cd.iso"
    iso.write_bytes(bytes(2048 * 4))
    p = run_rom(rom16(STATUS_EXIT % 0x1F7), "--hda", disk)
    assert p.returncode == (0x50 << 1 | 1) & 0xFF           # an ATA disk is ready
    p = run_rom(rom16(STATUS_EXIT % 0x177), "--cdrom", iso, "--snapshot")
    assert p.returncode == 1                                 # ATAPI: status 00h
    p = run_rom(rom16(STATUS_EXIT % 0x177), "--cdrom", "empty")
    assert p.returncode == 1
    p = run_rom(rom16(STATUS_EXIT % 0x177))
    assert p.returncode == (0xFF << 1 | 1) & 0xFF            # no drives: floating bus


@pytest.mark.parametrize("args, message", [
    (["--hda", "no-such.img"], "disk image no-such.img: no such file"),
    (["--hdc", "x.img", "--cdrom", "empty"], "--cdrom and --hdc are the same IDE position"),
])
def test_drive_usage_errors(run_rom, tmp_path, args, message):
    (tmp_path / "x.img").write_bytes(bytes(512))
    args = [str(tmp_path / a) if a.endswith(".img") else a for a in args]
    p = run_rom(rom16(debug_exit(0)), *args)
    assert p.returncode == cli.EXIT_USAGE
    assert message in err(p).replace(str(tmp_path) + "/", "")
