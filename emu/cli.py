"""The `pyx86` command (also `python -m emu`): arguments, messages and exit statuses.

    pyx86 images list | build NAME [--out DIR]     (test images, see images/cli.py)
    pyx86 run [IMAGE] [--headless] [--bios own|seabios|ROM.bin] [--vgabios FILE]
              [--boot c|a|d] [--memory MIB]
              [--debugcon stdio|none|PATH]
              [--debugcon-port PORT] [--post-log PATH] [--post-port PORT]
              [--serial stdio|none|PATH] [--realtime] [--rtc-time now|DATETIME]
              [--kernel FILE [--initrd FILE] [--append CMDLINE]]
              [--max-instructions N] [--timeout SECONDS] [--screen-dump PATH]
              [--no-reboot] [--stats]
              [--hda IMG] [--hdb IMG] [--hdc IMG] [--hdd IMG] [--cdrom ISO|empty]
              [--fda IMG] [--fdb IMG] [--snapshot]

Without --headless the machine's screen, keyboard and mouse are an SDL window
(ui/window.py); with no display to open it on, that is a usage error.
Messages go to stderr, one line each, prefixed "pyx86: "; a run that ends abnormally
adds the CPU register dump. Guest console output (port E9) and the first serial port
go to stdout by default; with `--serial stdio` the serial port also reads stdin.
"""
import argparse
import datetime
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass

from bios.build import BuildError, image as bios_image
from emu.chardev import FdSource
from emu.debugports import DEBUGCON_PORT, POST_PORT
from emu.linuxboot import KernelError
from emu.diskimage import ImageError
from emu.drives import FLOPPIES, IDE, open_drives
from emu.machine import (MEMORY_MIB_MAX, MEMORY_MIB_MIN, Machine, RomError, Stop,
                         load_rom)
from emu.portbus import PortConflict
from emu import seabios
from emu.screendump import dump_screen
from hw.piix import PM_BASE_DEFAULT
from images import cli as images_cli, demo
from ui import hotkeys

PROG = "pyx86"
OWN_BIOS = "own"
SEABIOS = "seabios"

# Exit statuses. Ours are all even, so they never collide with isa-debug-exit's odd
# (V<<1)|1 (which the OS truncates to 8 bits, like QEMU's own exit status).
EXIT_POWER_OFF = 0
EXIT_USAGE = 2
EXIT_HALTED = 4
EXIT_TRIPLE_FAULT = 6
EXIT_LIMIT = 8
EXIT_TIMEOUT = 10
EXIT_INTERNAL = 12
EXIT_INTERRUPTED = 130

EXIT_STATUSES = (
    ("0", "the guest powered off (\"Shutdown\" written to the Bochs port 0x8900), it"
          " reset the machine under --no-reboot, or the window was closed"),
    ("(V<<1)|1", "the guest wrote V to QEMU's isa-debug-exit port 0xF4 (low 8 bits)"),
    ("2", "usage error, or a ROM / output file that cannot be used"),
    ("4", "the CPU halted for good (HLT with IF=0, or no unmasked interrupt can come)"),
    ("6", "triple fault with --no-reboot (without it the machine resets, as a PC does)"),
    ("8", "--max-instructions reached"),
    ("10", "--timeout reached"),
    ("12", "internal emulator error (PYX86_DEBUG=1 prints the Python traceback)"),
    ("130", "interrupted by Ctrl+C"),
)

_STOP_STATUS = {
    Stop.POWER_OFF: EXIT_POWER_OFF,
    Stop.HALT: EXIT_HALTED,
    Stop.TRIPLE_FAULT: EXIT_TRIPLE_FAULT,
    Stop.REBOOT: EXIT_POWER_OFF,
    Stop.LIMIT: EXIT_LIMIT,
    Stop.TIMEOUT: EXIT_TIMEOUT,
    Stop.WINDOW_CLOSED: EXIT_POWER_OFF,
}
_QUIET_STOPS = (Stop.POWER_OFF, Stop.WINDOW_CLOSED)     # normal ends: no message


def exit_status_table():
    width = max(len(code) for code, _ in EXIT_STATUSES)
    return "\n".join("  %-*s  %s" % (width, code, text) for code, text in EXIT_STATUSES)


class UsageError(Exception):
    """A problem with the command line or the files it names (exit status 2)."""


def _port(text):
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a port number" % text) from None
    if not 0 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError("port %s is outside 0..0xffff" % text)
    return value


def _memory(text):
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of MiB" % text) from None
    if not MEMORY_MIB_MIN <= value <= MEMORY_MIB_MAX:
        raise argparse.ArgumentTypeError("%d MiB is outside %d..%d"
                                         % (value, MEMORY_MIB_MIN, MEMORY_MIB_MAX))
    return value


def _rtc_time(text):
    if text == "now":
        return None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "%r is not \"now\" or a date and time like 2024-01-31T12:00:00" % text) \
            from None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if not 1900 <= value.year <= 9999:
        raise argparse.ArgumentTypeError("year %d is outside 1900..9999" % value.year)
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text) from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _count(text):
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # one line instead of argparse's usage block; `--help` shows the usage
        self.exit(EXIT_USAGE, "%s: error: %s (see %s --help)\n"
                  % (PROG, message, self.prog))


def build_parser():
    p = _Parser(prog=PROG, description="pyx86: a PC emulator with a Cython x86 core.",
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog="exit statuses of `%s run`:\n%s" % (PROG, exit_status_table()))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    r = sub.add_parser(
        "run", help="power on the PC (with pyx86's BIOS or a firmware ROM)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Power on a PC with pyx86's BIOS or ROM as its firmware (mapped below "
                    "4 GiB and at 0xE0000-0xFFFFF; execution starts at F000:FFF0).",
        epilog="devices: i8259 PICs (0x20, 0xA0, ELCR 0x4D0), i8254 PIT (0x40, IRQ0), "
               "RTC/CMOS (0x70, IRQ8),\n16550A COM1 (0x3F8, IRQ4) and COM2 (0x2F8, "
               "IRQ3), port 0x61, port 0x92 (fast A20, reset).\n"
               "debug ports: 0xE9 console (read gives 0xE9), 0x80 POST codes, 0xF4 "
               "isa-debug-exit,\n0x8900 Bochs shutdown (\"Shutdown\" bytewise).\n\n"
               "window hot keys:\n" + hotkeys.help_text() + "\n\n"
               "exit statuses:\n" + exit_status_table())
    r.add_argument("--bios", metavar="own|seabios|ROM", default=OWN_BIOS,
                   help="firmware: `own` (the default) is pyx86's BIOS, built from "
                        "bios/src when needed; `seabios` is the distribution's SeaBIOS "
                        "(%s/%s, package %s) with its VGA BIOS %s; or an image file, "
                        "a multiple of 4 KiB and at most 16 MiB"
                        % (seabios.SEABIOS_DIR, seabios.BIOS_FILE, seabios.PACKAGE,
                           seabios.VGABIOS_FILE))
    r.add_argument("--vgabios", metavar="FILE",
                   help="VGA BIOS image for the VGA's PCI expansion ROM (run by "
                        "firmware that runs option ROMs, e.g. SeaBIOS; default: "
                        "SeaBIOS's own with --bios seabios, none otherwise)")
    r.add_argument("image", metavar="IMAGE", nargs="?",
                   help="a disk, floppy or CD image, its kind guessed from its size and "
                        "content (say which with --hda/--fda/--cdrom instead); with no "
                        "image, no drives and no --kernel, the demo disk boots")
    r.add_argument("--boot", choices=("c", "a", "d"),
                   help="first boot device the CMOS names: c hard disk, a floppy, d "
                        "CD-ROM (default: IMAGE's kind, else the first of c, a, d with "
                        "a medium); the others follow in the order c, a, d")
    r.add_argument("--headless", action="store_true",
                   help="no window: the guest talks through the debug ports and the "
                        "serial port (default: an SDL window shows the screen and takes "
                        "the keyboard and mouse)")
    r.add_argument("--memory", metavar="MIB", type=_memory, default=32,
                   help="guest RAM in MiB (%d..%d, default 32)"
                        % (MEMORY_MIB_MIN, MEMORY_MIB_MAX))
    r.add_argument("--debugcon", metavar="stdio|none|PATH", default="stdio",
                   help="where port-E9 console output goes (default stdio)")
    r.add_argument("--debugcon-port", metavar="PORT", type=_port, default=DEBUGCON_PORT,
                   help="I/O port of the debug console (default 0xe9; SeaBIOS "
                        "logs to 0x%x)" % seabios.DEBUG_PORT)
    r.add_argument("--post-log", metavar="PATH",
                   help="log POST codes, one two-digit hex code per line")
    r.add_argument("--post-port", metavar="PORT", type=_port, default=POST_PORT,
                   help="I/O port of the POST code latch (default 0x80)")
    r.add_argument("--serial", metavar="stdio|none|PATH", default="stdio",
                   help="the first serial port (COM1, 0x3F8, IRQ4): stdio sends its "
                        "output to stdout and stdin to its input; PATH writes the "
                        "output to a file (default stdio)")
    r.add_argument("--realtime", action="store_true",
                   help="guest time follows the wall clock (default: 10 ns per "
                        "instruction, HLT skips to the next timer: reproducible runs)")
    r.add_argument("--rtc-time", metavar="now|DATETIME", type=_rtc_time, default=None,
                   help="what the RTC says at power-on: now (the host's UTC time, the "
                        "default) or an ISO date and time such as 2024-01-31T12:00:00 "
                        "(UTC unless an offset is given) for reproducible runs")
    r.add_argument("--max-instructions", metavar="N", type=_count,
                   help="stop after N instructions (exit status 8)")
    r.add_argument("--kernel", metavar="FILE",
                   help="boot a Linux bzImage or a Multiboot kernel directly (loaded "
                        "through fw_cfg by an option ROM, as QEMU's -kernel)")
    r.add_argument("--initrd", metavar="FILE",
                   help="Linux: the initial ramdisk; Multiboot: modules, comma-separated,"
                        " each \"FILE [ARGS]\"")
    r.add_argument("--append", metavar="CMDLINE", default="",
                   help="the kernel command line")
    r.add_argument("--timeout", metavar="SECONDS", type=_seconds,
                   help="stop after this much wall-clock time (exit status 10)")
    r.add_argument("--screen-dump", metavar="PATH",
                   help="at exit, write the screen to PATH: UTF-8 text for text modes "
                        "(code page 437 mapped), a PNG for graphics modes or a .png PATH")
    r.add_argument("--no-reboot", action="store_true",
                   help="exit instead of resetting the machine: on a triple fault (status "
                        "6) or when the guest resets it (status 0), as QEMU's -no-reboot")
    r.add_argument("--stats", action="store_true",
                   help="print instructions, seconds and MIPS at exit")
    for name, where in (("hda", "primary master"), ("hdb", "primary slave"),
                        ("hdc", "secondary master"), ("hdd", "secondary slave")):
        r.add_argument("--" + name, metavar="IMG",
                       help="raw hard disk image as the IDE %s" % where)
    for name, where in (("fda", "A:"), ("fdb", "B:")):
        r.add_argument("--" + name, metavar="IMG",
                       help="floppy image in drive %s (its size says the format: 160K "
                            "to 2.88M)" % where)
    r.add_argument("--cdrom", metavar="ISO",
                   help="CD-ROM drive at the secondary master (hdc) holding ISO; "
                        "'empty' for a drive without a disc")
    r.add_argument("--snapshot", action="store_true",
                   help="never write the disk images: guest writes are kept in memory "
                        "and dropped at exit")
    r.set_defaults(func=run_command)
    i = sub.add_parser("images", help="list or build test images (as python -m images)",
                       description="Build test images into a cache folder.")
    images_cli.add_arguments(i)
    i.set_defaults(func=lambda args: RunReport(images_cli.run(args)))
    return p


@dataclass
class RunReport:
    status: int
    instructions: int = 0
    seconds: float = 0.0
    message: str = ""


def _open_output(path, binary, what):
    try:
        return open(path, "wb" if binary else "w")
    except OSError as e:
        raise UsageError("cannot open %s %s: %s" % (what, path, e.strerror or e)) from None


def _stdin_source(stdin, wakeup):
    """The serial input for `--serial stdio`, or None when stdin cannot be read."""
    try:
        fd = stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None                       # e.g. a test harness's stand-in object
    return FdSource(fd, wakeup)


def _firmware(name, vgabios_path):
    """(ROM, VGA BIOS or None, PM base) for --bios and --vgabios: ours (built when
    its sources changed), SeaBIOS, or a file."""
    vgabios, pm_base = None, PM_BASE_DEFAULT
    if name == SEABIOS:
        rom, vgabios = seabios.images()
        pm_base = seabios.PM_BASE
    elif name != OWN_BIOS:
        rom = load_rom(name)
    else:
        try:
            rom = bios_image()
        except BuildError as e:
            raise UsageError(str(e)) from None
    if vgabios_path is not None:
        try:
            with open(vgabios_path, "rb") as f:
                vgabios = f.read()
        except OSError as e:
            raise UsageError("VGA BIOS %s: %s" % (vgabios_path, e.strerror or e)) from None
        if not vgabios:
            raise UsageError("VGA BIOS %s: the file is empty" % vgabios_path)
    return rom, vgabios, pm_base


def _build_machine(args, stdout, stdin, log, files):
    if args.screen_dump is not None:
        _check_writable(args.screen_dump, "the screen dump")
    rom, vgabios, pm_base = _firmware(args.bios, args.vgabios)
    debugcon = None
    if args.debugcon == "stdio":
        debugcon = stdout
    elif args.debugcon != "none":
        debugcon = _open_output(args.debugcon, True, "debug console output")
        files.append(debugcon)
    post_log = None
    if args.post_log is not None:
        post_log = _open_output(args.post_log, False, "POST log")
        files.append(post_log)
    serial = serial_input = None
    wakeup = threading.Event()
    if args.serial == "stdio":
        serial = stdout
        serial_input = _stdin_source(stdin, wakeup)
        if serial_input is not None:
            files.append(serial_input)
    elif args.serial != "none":
        serial = _open_output(args.serial, True, "serial output")
        files.append(serial)
    if args.kernel is None and (args.initrd or args.append):
        raise UsageError("--initrd and --append need --kernel")
    kernel = None if args.kernel is None else (args.kernel, args.initrd, args.append)
    drives = _open_drives(args, files, log)
    try:
        return Machine(rom, memory_mib=args.memory, debugcon=debugcon,
                       debugcon_port=args.debugcon_port, post_log=post_log,
                       post_port=args.post_port, reboot=not args.no_reboot, log=log,
                       serial=serial, serial_input=serial_input, wakeup=wakeup,
                       realtime=args.realtime, rtc_start=args.rtc_time, kernel=kernel,
                       drives=drives.ide, fda=drives.floppies.get("fda"),
                       fdb=drives.floppies.get("fdb"), boot=drives.boot,
                       vgabios=vgabios, pm_base=pm_base)
    except KernelError as e:
        raise UsageError(str(e)) from None
    except MemoryError:
        raise UsageError("cannot allocate %d MiB of guest RAM" % args.memory) from None
    except PortConflict as e:
        raise UsageError(str(e)) from None


def _open_drives(args, files, log):
    """The drives the options ask for (images join `files`, closed at exit). With our
    BIOS and no medium and no kernel, the demo disk (images/demo) is the hard disk; a
    ROM given with --bios runs alone, as the ROM runner always did."""
    paths = {name: getattr(args, name) for name in FLOPPIES + IDE + ("cdrom",)}
    image = args.image
    snapshot = args.snapshot
    if (image is None and not any(paths.values()) and args.kernel is None
            and args.bios == OWN_BIOS):
        try:
            paths["hda"] = str(demo.default_image())
        except demo.BuildError as e:
            raise UsageError("no image given, and the demo disk cannot be built: %s"
                             % str(e).splitlines()[0]) from None
        snapshot = True
        log("no image given: booting the demo disk (%s)" % paths["hda"])
    try:
        drives = open_drives(image, snapshot=snapshot, boot=args.boot, **paths)
    except ImageError as e:
        raise UsageError(str(e)) from None
    files.extend(drives.images())
    for note in drives.notes:
        log(note)
    return drives


def run_command(args, stdout=None, stderr=None, stdin=None):
    """`pyx86 run`: build the machine, run it, report. Returns a RunReport.

    stdout: binary stream for `--debugcon stdio` and `--serial stdio`; stderr: text
    stream for messages; stdin: what `--serial stdio` reads (a file with a fileno)."""
    stdout = stdout if stdout is not None else sys.stdout.buffer
    stderr = stderr if stderr is not None else sys.stderr
    stdin = stdin if stdin is not None else sys.stdin

    def say(msg):
        stdout.flush()                    # keep guest output and messages in order
        stderr.write("%s: %s\n" % (PROG, msg))
        stderr.flush()

    files = []
    try:
        open_window = None if args.headless else _window_opener()
        machine = _build_machine(args, stdout, stdin, say, files)
    except (UsageError, RomError) as e:
        _close(files)
        say("error: %s" % e)
        return RunReport(EXIT_USAGE, message=str(e))
    except Exception as e:
        _close(files)
        return _internal_error(e, None, say, stderr)
    window = None
    try:
        if open_window is not None:
            window = open_window(machine)
        report = _execute(machine, args, say, stderr, window)
        if args.screen_dump is not None:
            _screen_dump(machine, args.screen_dump, say)
    except UsageError as e:
        say("error: %s" % e)
        return RunReport(EXIT_USAGE, message=str(e))
    finally:
        if window is not None:
            window.close()
        _close(files)
        stdout.flush()
    if args.stats:
        mips = report.instructions / report.seconds / 1e6 if report.seconds > 0 else 0.0
        resets = ", %d resets" % machine.resets if machine.resets else ""
        say("%d instructions in %.3f s = %.2f MIPS%s"
            % (report.instructions, report.seconds, mips, resets))
    return report


def _no_window(reason):
    return UsageError("cannot open a window: %s; run with --headless" % reason)


def _window_opener():
    """Before anything is built: a function machine -> the SDL window showing its VGA,
    or UsageError when this host cannot show one (no pysdl2, no display)."""
    try:
        from ui.display import VgaSource
        from ui.window import NoDisplay, Window, check_display
    except (ImportError, RuntimeError) as e:     # no pysdl2, or no SDL2 library
        raise _no_window("pysdl2 is not usable (%s)" % e) from None
    try:
        check_display()
    except NoDisplay as e:
        raise _no_window(e) from None

    def open_window(machine):
        try:
            return Window(machine, VgaSource(machine.vga), activity=machine.drive_activity)
        except NoDisplay as e:
            raise _no_window(e) from None
    return open_window


def _execute(machine, args, say, stderr, window=None):
    """Run the machine; every way the run can end becomes a status and a message."""
    start = time.perf_counter()
    try:
        outcome = machine.run(args.max_instructions, args.timeout, frontend=window)
        if outcome.stop is Stop.DEBUG_EXIT:
            report = RunReport(((outcome.value << 1) | 1) & 0xFF, message=outcome.message)
        else:
            report = RunReport(_STOP_STATUS[outcome.stop], message=outcome.message)
            if outcome.stop not in _QUIET_STOPS:
                say(outcome.message)
                stderr.write(machine.cpu.dump() + "\n")
    except KeyboardInterrupt:
        report = RunReport(EXIT_INTERRUPTED, message="interrupted")
        say(report.message)
        stderr.write(machine.cpu.dump() + "\n")
    except Exception as e:                # a bug in the emulator, never the guest's fault
        report = _internal_error(e, machine, say, stderr)
    report.seconds = time.perf_counter() - start
    report.instructions = machine.cpu.icount
    return report


def _screen_dump(machine, path, say):
    try:
        kind = dump_screen(machine.vga, path)
    except OSError as e:
        say("cannot write the screen dump %s: %s" % (path, e.strerror or e))
        return
    say("screen dumped to %s (%s)" % (path, kind))


def _check_writable(path, what):
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError("cannot write %s %s" % (what, path))


def _internal_error(e, machine, say, stderr):
    report = RunReport(EXIT_INTERNAL, message="internal error: %s: %s" % (type(e).__name__, e))
    say(report.message)
    if os.environ.get("PYX86_DEBUG", "0") not in ("", "0"):
        traceback.print_exception(e, file=stderr)
    if machine is not None:
        stderr.write(machine.cpu.dump() + "\n")
    return report


def _close(files):
    for f in files:
        try:
            f.close()
        except OSError:
            pass


def main(argv=None):
    """Entry point of the `pyx86` script and `python -m emu`; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return args.func(args).status
    except KeyboardInterrupt:
        sys.stderr.write("%s: interrupted\n" % PROG)
        return EXIT_INTERRUPTED
