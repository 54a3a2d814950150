"""pyx86's own BIOS: C and assembly sources in bios/src, built into a 128 KiB ROM
image by bios/build.py with the host's gcc and binutils (`python -m bios build`)."""
