"""The Linux boot as a benchmark: seconds from `pyx86 run` to the boot marker.

    python bench/boot.py [--runs 3]        (also: python bench/run.py --only linux-boot)

Boots the `linux` test image's SYSLINUX disk (images/linux.py: Debian's i386 kernel
and a busybox initramfs whose /init prints PYX86-LINUX-BOOT-OK and powers off) on
pyx86's own BIOS, the workload issue 6 names, through the `pyx86 run` code path
(in-process: emu.cli.run_command) with

    pyx86 run --headless --memory 128 --snapshot --debugcon none cache/images/linux/linux.img

and reports the median over the runs of the wall-clock seconds from the start of
run_command to the moment the marker line reaches the serial console (and, in the
note, to the ACPI power-off that ends the run), the CPU seconds
the process used up to then (the host may be shared: CPU time is what the emulator
itself cost), the instructions pyx86 retired and MIPS (instructions over the run
loop's seconds). When the image cannot be built the workload is skipped with a line
saying why.
"""
import argparse
import io
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emu import cli  # noqa: E402

NAME = "linux-boot"
IMAGES = ROOT / "cache" / "images"
MARKER = b"PYX86-LINUX-BOOT-OK"
# the boot takes ~7 G instructions; a CPU that loses its way must still end
MAX_INSTRUCTIONS = 30_000_000_000


class MarkerStream(io.RawIOBase):
    """The guest's console output: kept, and the time of the marker's arrival noted."""

    def __init__(self):
        self.data = bytearray()
        self.wall = None                  # perf_counter() when the marker arrived
        self.cpu = None                   # process_time() then

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        if self.wall is None and MARKER in self.data[-len(b) - len(MARKER):]:
            self.wall = time.perf_counter()
            self.cpu = time.process_time()
        return len(b)


def image_path(log=print):
    """The linux image's SYSLINUX disk, built when missing; None when it cannot be."""
    disk = IMAGES / "linux" / "linux.img"
    if not disk.exists():
        from images import cli as images_cli
        ap = argparse.ArgumentParser()
        images_cli.add_arguments(ap)
        err = io.StringIO()
        if images_cli.run(ap.parse_args(["build", "linux", "--out", str(IMAGES)]),
                          stdout=io.StringIO(), stderr=err) != 0:
            why = (err.getvalue().strip().splitlines() or ["unknown error"])[-1]
            log("%s: skipped, the linux image cannot be built (%s)" % (NAME, why))
            return None
    return disk


def boot_once(disk):
    """One boot: (wall seconds to the marker, CPU seconds to it, instructions, run-loop
    seconds, run CPU seconds, problem or None)."""
    parser = cli.build_parser()
    args = parser.parse_args(["run", "--headless", "--memory", "128", "--snapshot",
                              "--debugcon", "none",
                              "--max-instructions", str(MAX_INSTRUCTIONS), str(disk)])
    out, err = MarkerStream(), io.StringIO()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    report = cli.run_command(args, stdout=out, stderr=err)
    cpu = time.process_time() - cpu0
    if out.wall is None or report.status != 0:
        last = (bytes(out.data).decode("latin-1").strip().splitlines() or ["no output"])[-1]
        return None, None, report.instructions, report.seconds, cpu, \
            "no marker and power-off (exit status %s; last line %r)" % (report.status,
                                                                        last[:60])
    return (out.wall - wall0, out.cpu - cpu0, report.instructions, report.seconds, cpu, None)


def run_boot(runs, log=print):
    """A bench.run.Row for the Linux boot (seconds: median wall seconds to the marker),
    or None when the image is not available."""
    from bench.run import Row
    disk = image_path(log)
    if disk is None:
        return None
    row = Row(NAME, "pyx86")
    walls, cpus, loops, run_cpus = [], [], [], []
    for _ in range(runs):
        wall, cpu, n, loop, run_cpu, problem = boot_once(disk)
        if problem:
            row.problem = problem
            return row
        walls.append(wall)
        cpus.append(cpu)
        loops.append(loop)
        run_cpus.append(run_cpu)
        row.instructions = n
    row.seconds = statistics.median(walls)
    row.loop_seconds = statistics.median(loops)
    row.cpu_seconds = statistics.median(run_cpus)
    row.note = "ok: %.1f s CPU to the marker, %.1f s to the power-off (median of %d)" % (
        statistics.median(cpus), statistics.median(loops), runs)
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    from bench.run import print_table
    row = run_boot(args.runs)
    if row is None:
        return 0
    print_table([row])
    return 0 if row.problem is None else 1


if __name__ == "__main__":
    sys.exit(main())
