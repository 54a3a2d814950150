"""What the SDL window costs the CPU: a workload run headless and in the window.

    python bench/window.py [--runs 5] [--workload pm32] [--driver dummy|x11]

The workload ROM of bench/roms runs through `pyx86 run` (in-process) once headless
and once with the window (SDL's dummy video driver unless --driver says otherwise,
e.g. x11 under a real X server); the window polls input and redraws between CPU
slices at up to 60 Hz, so the difference of the median MIPS is the window's cost.
A VGA text page is set up first so the window has a real picture to keep current.
"""
import argparse
import io
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.roms import build  # noqa: E402
from bench.run import MAX_PER_ROUND, SUCCESS, rom_path  # noqa: E402
from emu.machine import Machine, Stop, load_rom  # noqa: E402


def run_once(path, rounds, window):
    machine = Machine(load_rom(str(path)), debugcon=io.BytesIO())
    machine.vga.set_text_mode_3()
    frontend = None
    if window:
        from emu import cli
        frontend = cli._window_opener()(machine)
    try:
        start = time.perf_counter()
        outcome = machine.run(max_instructions=rounds * MAX_PER_ROUND + 10_000_000,
                              frontend=frontend)
        seconds = time.perf_counter() - start
    finally:
        if frontend is not None:
            frontend.close()
    if outcome.stop is not Stop.DEBUG_EXIT or ((outcome.value << 1) | 1) != SUCCESS:
        raise SystemExit("the workload failed: %s" % outcome.message)
    return machine.cpu.icount / seconds / 1e6


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--workload", default="pm32", choices=list(build.WORKLOADS))
    p.add_argument("--driver", default="dummy", help="SDL_VIDEODRIVER for the window run")
    args = p.parse_args(argv)
    os.environ["SDL_VIDEODRIVER"] = args.driver
    path = rom_path(args.workload, None)
    rounds = build.WORKLOADS[args.workload][2]
    samples = {False: [], True: []}
    for _ in range(args.runs):          # interleaved, so a load change hits both alike
        for window in (False, True):
            samples[window].append(run_once(path, rounds, window))
    results = {w: statistics.median(v) for w, v in samples.items()}
    cost = 100.0 * (1 - results[True] / results[False])
    print("%-10s headless %.1f MIPS, window (%s) %.1f MIPS: the window costs %.1f%%"
          % (args.workload, results[False], args.driver, results[True], cost))
    return 0


if __name__ == "__main__":
    sys.exit(main())
