"""python -m images: see images/cli.py."""
import sys

from images.cli import main

if __name__ == "__main__":
    sys.exit(main())
