"""`python -m bios build [-o PATH] [--force]`: build pyx86's BIOS (see bios/build.py)."""
import argparse
import shutil
import sys

from bios.build import BuildError, build


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bios", description="build pyx86's BIOS")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build bios/out/bios.bin (when sources changed)")
    b.add_argument("-o", "--output", help="also copy the image to this path")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = p.parse_args(argv)
    try:
        path = build(force=args.force)
    except BuildError as e:
        sys.stderr.write("bios: error: %s\n" % e)
        return 1
    if args.output:
        shutil.copy(path, args.output)
        path = args.output
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
