"""Benchmark pyx86 on the workload ROMs of bench/roms, and QEMU / Bochs if installed.

    python bench/run.py [--runs 5] [--boot-runs 3] [--iterations N] [--only NAME ...]
                        [--no-reference] [--no-external]

Each workload ROM is assembled into cache/bench/, run --runs times through the
`pyx86 run` code path (in-process: emu.cli.run_command), and checked: it must exit
through isa-debug-exit with value 0 and print the checksum Unicorn computes for it
(the reference, cached beside the ROM). The table shows the instructions pyx86
retired, the median seconds of the run loop and MIPS; below it, pyx86's MIPS over each
other emulator's, and the paging and x87 workloads' MIPS over pm32's.

If qemu-system-i386 or bochs is on PATH, the same ROMs run under them too. Their
seconds are wall-clock minus their start-up time (measured on a 1-round ROM). Bochs
(debugger build) reports its instruction count; QEMU does not, so its MIPS use the
count of another emulator for the same ROM (marked *; emulators may differ in how
they count REP iterations).

The workload linux-boot (bench/boot.py) boots the `linux` test image to its marker
line, --boot-runs times; its seconds are the median wall-clock seconds to the marker,
its MIPS the instructions over the run loop's seconds. Only pyx86 runs it.
"""
import argparse
import hashlib
import io
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import boot  # noqa: E402
from bench.roms import build  # noqa: E402
from emu import cli  # noqa: E402

CACHE = ROOT / "cache" / "bench"
SUCCESS = 1                             # isa-debug-exit status for the value 0
EXTERNAL_TIMEOUT = 600
# a broken CPU must not spin forever: no workload round takes this many instructions
MAX_PER_ROUND = 4000


class Row:
    def __init__(self, workload, emulator):
        self.workload = workload
        self.emulator = emulator
        self.instructions = None
        self.seconds = None
        self.problem = None             # why the result is not valid, or None
        self.borrowed = False           # instructions counted by another emulator
        self.note = "ok"
        self.loop_seconds = None        # the run loop's seconds, when not `seconds`
        self.cpu_seconds = None         # CPU seconds of the same (pyx86 only)

    @property
    def mips(self):
        seconds = self.loop_seconds or self.seconds
        if self.instructions and seconds:
            return self.instructions / seconds / 1e6
        return None

    @property
    def cpu_mips(self):
        """MIPS over CPU time: what the emulator costs, even on a busy host."""
        if self.instructions and self.cpu_seconds:
            return self.instructions / self.cpu_seconds / 1e6
        return None


def rom_path(name, iterations):
    data = build.build(name, iterations)
    path = CACHE / ("%s-%s.rom" % (name, hashlib.sha256(data).hexdigest()[:12]))
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def reference_output(path):
    """The console output Unicorn produces for the ROM (cached), or None."""
    cached = path.with_suffix(".ref")
    if cached.exists():
        return cached.read_bytes()
    try:
        from bench.reference import run_unicorn
    except ImportError:
        return None
    ref = run_unicorn(path.read_bytes())
    if ref.exit_value != 0:
        raise RuntimeError("%s: the reference run did not exit through port 0xF4" % path)
    cached.write_bytes(ref.console)
    return ref.console


def check(row, status, output, expected):
    if status != SUCCESS:
        row.problem = "exit status %s" % status
    elif expected is not None and output != expected:
        row.problem = "printed %r, reference %r" % (output[:40], expected)
    elif expected is None and not output.strip():
        row.problem = "printed no checksum"


def run_pyx86(name, path, rounds, runs, expected):
    row = Row(name, "pyx86")
    times, cpu_times = [], []
    parser = cli.build_parser()
    limit = rounds * MAX_PER_ROUND + 10_000_000
    for _ in range(runs):
        args = parser.parse_args(["run", "--bios", str(path), "--headless",
                                  "--max-instructions", str(limit)])
        out, err = io.BytesIO(), io.StringIO()
        cpu0 = time.process_time()
        report = cli.run_command(args, stdout=out, stderr=err)
        cpu_times.append(time.process_time() - cpu0)
        check(row, report.status, out.getvalue(), expected)
        if row.problem:
            first = err.getvalue().strip().splitlines()
            row.problem += " (%s)" % first[0] if first else ""
            return row
        row.instructions = report.instructions
        times.append(report.seconds)
    row.seconds = statistics.median(times)
    row.cpu_seconds = statistics.median(cpu_times)
    return row


def qemu_command(path, workdir):
    return ["qemu-system-i386", "-bios", str(path), "-display", "none", "-nodefaults",
            "-m", "32", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-debugcon", "stdio"]


BOCHSRC = """\
megs: 32
romimage: file="{rom}"
vga: extension=none
vgaromimage: file="{vgarom}"
display_library: rfb, options="timeout=0"
port_e9_hack: enabled=1
clock: sync=none
log: "{log}"
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
"""


def stub_option_rom():
    """512 bytes with an option-ROM header whose entry is RETF: Bochs insists on
    loading a VGA BIOS at 0xC0000 (Debian's bochs points at a package that may be
    absent), and the workload firmware never calls it."""
    rom = bytearray(512)
    rom[0:4] = b"\x55\xAA\x01\xCB"           # signature, 1 x 512 bytes, RETF
    rom[-1] = -sum(rom) & 0xFF                  # bytes sum to 0 mod 256
    return bytes(rom)


def bochs_command(path, workdir):
    """A debugger build waits for `c` on stdin; others ignore it. The ROM's
    shutdown-port write ends Bochs (isa-debug-exit is QEMU-only)."""
    work = pathlib.Path(workdir)
    vgarom = work / "vga-stub.rom"
    vgarom.write_bytes(stub_option_rom())
    rc = work / "bochsrc.txt"
    rc.write_text(BOCHSRC.format(rom=path, vgarom=vgarom, log=work / "bochs.log"))
    return ["bochs", "-q", "-f", str(rc)]


def run_external(emulator, make_command, path, runs):
    """Wall seconds of each run and the console output of the last one."""
    times, output = [], b""
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            cmd = make_command(path, tmp)
            start = time.perf_counter()
            p = subprocess.run(cmd, input=b"c\n", capture_output=True,
                               timeout=EXTERNAL_TIMEOUT)
            times.append(time.perf_counter() - start)
            output = p.stdout
            status = p.returncode
    return times, output, status


def bench_external(emulator, make_command, workloads, runs, expected):
    startup_rom = rom_path("real16", 1)
    startup, _, _ = run_external(emulator, make_command, startup_rom, 3)
    startup = statistics.median(startup)
    rows = []
    for name, path in workloads:
        row = Row(name, emulator)
        times, output, status = run_external(emulator, make_command, path, runs)
        # QEMU ends through isa-debug-exit; Bochs through the shutdown port, with
        # its own status, so for Bochs only the printed checksum counts
        check(row, status if emulator == "qemu-system-i386" else SUCCESS,
              _checksum_line(output), expected[name])
        if not row.problem:
            net = statistics.median(times) - startup
            if net > startup:
                row.seconds = net
                row.instructions = _bochs_ticks(output)
            else:
                row.note = "too short to time: raise --iterations"
        rows.append(row)
    return rows, startup


def _bochs_ticks(output):
    """A Bochs debugger build prints "(0).[ticks] ..." when it stops; one tick is
    one instruction with a single CPU. None for other emulators and builds."""
    m = re.search(rb"^\(0\)\.\[(\d+)\]", output, re.M)
    return int(m.group(1)) if m else None


def _checksum_line(output):
    """Bochs prints its own messages on stdout too: keep the guest's line."""
    for line in output.splitlines(keepends=True):
        text = line.strip()
        if len(text) == 8 and all(c in b"0123456789abcdef" for c in text):
            return line
    return output


def borrow_counts(table):
    """Emulators that do not count instructions (QEMU) get the count another one
    reported for the same ROM, pyx86's first. Returns the lenders' names."""
    counts, lenders = {}, set()
    for r in table:
        if r.instructions and r.workload not in counts:
            counts[r.workload] = (r.instructions, r.emulator)
    for r in table:
        if r.seconds and not r.instructions and r.workload in counts:
            r.instructions, lender = counts[r.workload]
            r.borrowed = True
            lenders.add(lender)
    return sorted(lenders)


def print_table(rows):
    print("%-12s %-17s %15s %10s %9s %9s  %s" % ("workload", "emulator", "instructions ",
                                                  "median s", "MIPS", "CPU MIPS", "result"))
    for r in rows:
        print("%-12s %-17s %15s %10s %9s %9s  %s" % (
            r.workload, r.emulator,
            ("{:,}".format(r.instructions) + ("*" if r.borrowed else " "))
            if r.instructions else "- ",
            "%.3f" % r.seconds if r.seconds else "-",
            "%.1f" % r.mips if r.mips else "-",
            "%.1f" % r.cpu_mips if r.cpu_mips else "-",
            r.note if r.problem is None else "FAILED: " + r.problem))


def print_ratios(rows):
    """pyx86's MIPS over each other emulator's on the same ROM, and the ratios issue 6
    sets targets for: paging against no paging, the x87 mix against the integer mix."""
    mips = {(r.workload, r.emulator): r.mips for r in rows if r.problem is None and r.mips}
    lines = []
    for (workload, emulator), value in mips.items():
        ours = mips.get((workload, "pyx86"))
        if emulator != "pyx86" and ours:
            lines.append("%-12s pyx86 / %-17s %6.2fx" % (workload, emulator, ours / value))
    pm32 = mips.get(("pm32", "pyx86"))
    for workload in ("pm32-paging", "pm32-fpu"):
        other = mips.get((workload, "pyx86"))
        if pm32 and other:
            lines.append("%-12s pyx86 / pyx86 on pm32       %6.2fx" % (workload, other / pm32))
    if lines:
        print()
        print("\n".join(lines))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--boot-runs", type=int, default=3,
                   help="runs of %s (default: %%(default)s)" % boot.NAME)
    p.add_argument("--iterations", type=int, help="override every workload's rounds")
    everything = list(build.WORKLOADS) + [boot.NAME]
    p.add_argument("--only", nargs="+", choices=everything, metavar="NAME",
                   help="workloads to run (%s)" % ", ".join(everything))
    p.add_argument("--no-reference", action="store_true",
                   help="skip the Unicorn reference check")
    p.add_argument("--no-external", action="store_true",
                   help="run pyx86 only, not QEMU or Bochs")
    args = p.parse_args(argv)
    names = args.only or everything
    with_boot = boot.NAME in names
    names = [n for n in names if n != boot.NAME]

    workloads, expected, rows = [], {}, {}
    for name in names:
        path = rom_path(name, args.iterations)
        workloads.append((name, path))
        expected[name] = None if args.no_reference else reference_output(path)
        print("%-12s %s  (%s)" % (name, path.relative_to(ROOT), build.WORKLOADS[name][1]),
              flush=True)
    for name, path in workloads:
        rounds = args.iterations or build.WORKLOADS[name][2]
        rows[name] = run_pyx86(name, path, rounds, args.runs, expected[name])
    table = [rows[n] for n in names]
    if with_boot:
        print("%-12s %s" % (boot.NAME, "Linux (images/linux.py) to its boot marker"),
              flush=True)
        boot_row = boot.run_boot(args.boot_runs)
        if boot_row is not None:
            table.append(boot_row)

    notes = []
    for emulator, make in (("qemu-system-i386", qemu_command), ("bochs", bochs_command)):
        if args.no_external or not workloads:
            break
        if shutil.which(emulator) is None:
            notes.append("%s: not installed" % emulator)
            continue
        ext_rows, startup = bench_external(emulator, make, workloads, args.runs, expected)
        table += ext_rows
        notes.append("%s: %.3f s of start-up subtracted from each run" % (emulator, startup))
    borrowed = borrow_counts(table)
    if borrowed:
        notes.append("instructions marked * are another emulator's count for the same "
                     "ROM (%s)" % ", ".join(borrowed))
    print()
    print_table(table)
    print_ratios(table)
    for n in notes:
        print("note: " + n)
    return 0 if all(r.problem is None for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
