"""The resident size of `pyx86 run` booting Linux, against issue 6's bound of 64 MiB
plus the guest's RAM.

    python bench/memory.py [--memory 128]

Runs `pyx86 run --headless --memory MIB --snapshot --debugcon none linux.img` (the
`linux` test image's SYSLINUX disk, built first when missing) as a child process to
its ACPI power-off and prints the child's peak resident set size (getrusage's
ru_maxrss) against the bound, 64 MiB plus the guest RAM. Guest RAM is allocated zeroed
and only the pages the guest touches become resident, so the peak counts the
emulator's own memory plus what the guest used of its RAM.
"""
import argparse
import pathlib
import resource
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.boot import image_path  # noqa: E402

BOUND_MIB = 64


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--memory", type=int, default=128, help="guest RAM in MiB")
    args = p.parse_args(argv)
    disk = image_path()
    if disk is None:
        return 0
    run = subprocess.run([sys.executable, "-m", "emu", "run", "--headless", "--memory",
                          str(args.memory), "--snapshot", "--debugcon", "none", str(disk)],
                         cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    bound = BOUND_MIB + args.memory
    print("pyx86 run (Linux boot, --memory %d): exit status %d, peak RSS %.1f MiB, "
          "bound %d MiB (%d + the guest RAM)"
          % (args.memory, run.returncode, peak, bound, BOUND_MIB))
    return 0 if run.returncode == 0 and peak < bound else 1


if __name__ == "__main__":
    sys.exit(main())
