"""python -m images build NAME [--out DIR]: build a test image into the cache folder."""
import argparse
import pathlib
import sys

from images import hello_rom

RECIPES = {"hello": ("hello.rom", hello_rom.build)}
DEFAULT_CACHE = pathlib.Path("cache") / "images"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m images", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build an image")
    b.add_argument("name", choices=sorted(RECIPES))
    b.add_argument("--out", type=pathlib.Path, default=DEFAULT_CACHE,
                   help="output folder (default: %(default)s)")
    args = ap.parse_args(argv)
    filename, build = RECIPES[args.name]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / filename
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(build())
    tmp.replace(path)                      # never leave a half-written image
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
