"""`python -m images` and `pyx86 images`: list, or build NAME [--out DIR] into a cache folder.

Images made of Debian packages fetch them from the mirrors apt is configured with
(see images/deb.py) into OUT/apt/, once; a build whose inputs have not changed is
skipped. Exit status 0 when built (or up to date), 1 when a package cannot be fetched
or a tool fails, 2 on a usage error.
"""
import argparse
import pathlib
import sys

from images import demo, hello_rom, linux, memtest, stamp
from images.deb import DebError

DEFAULT_CACHE = pathlib.Path("cache") / "images"


def build_hello(out, log=print):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "hello.rom"
    stamp.write(path, hello_rom.build())
    return [path]


# name -> (builder(out, log) -> [paths], one line for `list`)
RECIPES = {
    "demo": (demo.build, "demo.img: the demo disk `pyx86 run` boots without an image "
                         "(images/demo/, built with gcc)"),
    "hello": (build_hello, "hello.rom: 64 KiB firmware that greets on port E9 and powers off"),
    "linux": (linux.build, "linux/: Debian i386 kernel + busybox initramfs, SYSLINUX disk"),
    "memtest": (memtest.build, "memtest/: memtest86+ (ia32) on a floppy and a SYSLINUX disk"),
}


def add_arguments(ap):
    """The `list` and `build` subcommands (shared with `pyx86 images`)."""
    sub = ap.add_subparsers(dest="images_cmd", required=True)
    sub.add_parser("list", help="list the images that can be built")
    b = sub.add_parser("build", help="build an image")
    b.add_argument("name", choices=sorted(RECIPES))
    b.add_argument("--out", type=pathlib.Path, default=DEFAULT_CACHE,
                   help="output folder (default: %(default)s)")


def run(args, stdout=None, stderr=None):
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if args.images_cmd == "list":
        for name, (_, text) in sorted(RECIPES.items()):
            stdout.write("%-8s %s\n" % (name, text))
        return 0

    def log(msg):
        stderr.write(msg + "\n")
        stderr.flush()

    build, _ = RECIPES[args.name]
    try:
        paths = build(args.out, log=log)
    except (DebError, RuntimeError) as e:
        log(str(e))
        return 1
    for p in paths:
        stdout.write("%s\n" % p)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m images", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
