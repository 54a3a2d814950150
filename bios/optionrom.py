"""Building the option ROMs in bios/ with the C toolchain's assembler (GNU as + ld),
the toolchain the Cython build needs anyway.

An option ROM is padded to whole 512-byte blocks, its size byte (offset 2) set, and
its last byte chosen so that all its bytes add up to 0 mod 256 (the BIOS checks that
before calling it).
"""
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = 512


class BuildError(RuntimeError):
    """The ROM could not be built (the message names the missing tool or the error)."""


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
    gcc = shutil.which("gcc") or shutil.which("cc")
    ld = shutil.which("ld")
    objcopy = shutil.which("objcopy")
    if not (gcc and ld and objcopy):
        raise BuildError("building %s needs gcc, ld and objcopy (Debian: gcc, binutils)"
                         % os.path.basename(source))
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "rom.o")
        elf = os.path.join(tmp, "rom.elf")
        raw = os.path.join(tmp, "rom.bin")
        for cmd in ([gcc, "-m32", "-c", "-o", obj, source],
                    [ld, "-m", "elf_i386", "-Ttext", "0", "-e", "_start", "-o", elf, obj],
                    [objcopy, "-O", "binary", "-j", ".text", elf, raw]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                raise BuildError("%s failed:\n%s" % (" ".join(cmd), r.stderr.strip()))
        with open(raw, "rb") as f:
            return f.read()


def kernelboot_rom():
    """The --kernel option ROM (bios/kernelboot.S)."""
    return finish_rom(assemble(os.path.join(HERE, "kernelboot.S")))
