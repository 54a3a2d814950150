"""`python -m emu` is the `pyx86` command."""
import sys

from emu.cli import main

sys.exit(main())
