"""Building the option ROMs in bios/ with the C toolchain's assembler (GNU as + ld),
the toolchain the Cython build needs anyway.

An option ROM is padded to whole 512-byte blocks, its size byte (offset 2) set, and
its last byte chosen so that all its bytes add up to 0 mod 256 (the BIOS checks that
before calling it).
"""
import os
import tempfile

from bios import toolchain
from bios.toolchain import BuildError

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = 512


def finish_rom(code):
    """Pad to whole blocks (keeping a byte for the checksum), set the size and sum."""
    rom = bytearray(code)
    if rom[:2] != b"\x55\xaa":
        raise BuildError("option ROM does not start with 55 AA")
    size = (len(rom) + 1 + BLOCK - 1) // BLOCK * BLOCK
    rom.extend(bytes(size - len(rom)))
    rom[2] = size // BLOCK
    rom[-1] = 0
    rom[-1] = -sum(rom) & 0xFF
    return bytes(rom)


def assemble(source):
    """Assemble a 16/32-bit .S file (preprocessed by gcc) into flat bytes at offset 0."""
    what = os.path.basename(source)
    t = toolchain.tools(what)
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "rom.o")
        elf = os.path.join(tmp, "rom.elf")
        raw = os.path.join(tmp, "rom.bin")
        toolchain.run([t["gcc"], "-m32", "-c", "-o", obj, source], what)
        toolchain.run([t["ld"], "-m", "elf_i386", "-Ttext", "0", "-e", "_start", "-o", elf,
                       obj], what)
        toolchain.run([t["objcopy"], "-O", "binary", "-j", ".text", elf, raw], what)
        with open(raw, "rb") as f:
            return f.read()


def kernelboot_rom():
    """The --kernel option ROM (bios/kernelboot.S)."""
    return finish_rom(assemble(os.path.join(HERE, "kernelboot.S")))
