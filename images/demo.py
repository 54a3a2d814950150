"""The demo disk (images/demo/): what `pyx86 run` boots when it is given no image.

A raw hard disk image of 2 cylinders x 16 heads x 63 sectors: the boot sector
(boot.S) and the program (crt0.S + demo.c, gcc -m16) right after it. Built with the C
toolchain the Cython build needs anyway, into images/demo/demo.img next to its
sources (so an installed pyx86 finds it wherever it runs), and rebuilt when a source
is newer than the image.
"""
import os
import pathlib
import tempfile

from bios import toolchain
from bios.toolchain import BuildError

HERE = pathlib.Path(__file__).resolve().parent / "demo"
IMAGE = HERE / "demo.img"
SOURCES = ("boot.S", "crt0.S", "demo.c", "demo.ld")
WHAT = "the demo disk"
SECTOR = 512
SECTORS = 2 * 16 * 63
CFLAGS = ["-m16", "-march=i686", "-Os", "-ffreestanding", "-fno-pic", "-fno-pie",
          "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fno-builtin",
          "-nostdlib", "-Wall", "-Werror", "-Wno-main"]


def build_bytes():
    tools = toolchain.tools(WHAT)
    gcc, ld, objcopy = tools["gcc"], tools["ld"], tools["objcopy"]
    with tempfile.TemporaryDirectory() as tmp:
        t = pathlib.Path(tmp)
        toolchain.run([gcc, "-m32", "-c", HERE / "boot.S", "-o", t / "boot.o"], WHAT, tmp)
        toolchain.run([ld, "-m", "elf_i386", "-Ttext", "0x7c00", "-e", "_start", "-o",
                       t / "boot.elf", t / "boot.o"], WHAT, tmp)
        toolchain.run([objcopy, "-O", "binary", "-j", ".text", t / "boot.elf",
                       t / "boot.bin"], WHAT, tmp)
        toolchain.run([gcc, "-m16", "-c", HERE / "crt0.S", "-o", t / "crt0.o"], WHAT, tmp)
        toolchain.run([gcc, *CFLAGS, "-c", HERE / "demo.c", "-o", t / "demo.o"], WHAT, tmp)
        toolchain.run([ld, "-m", "elf_i386", "-T", HERE / "demo.ld", "-o", t / "demo.elf",
                       t / "crt0.o", t / "demo.o"], WHAT, tmp)
        toolchain.run([objcopy, "-O", "binary", t / "demo.elf", t / "demo.bin"], WHAT, tmp)
        boot = bytearray((t / "boot.bin").read_bytes())
        program = (t / "demo.bin").read_bytes()
    if len(boot) != SECTOR or boot[510:512] != b"\x55\xaa":
        raise BuildError("boot.S must assemble to one sector ending in 55 AA")
    count = (len(program) + SECTOR - 1) // SECTOR
    if count > 127:                            # 1000:0000 + 64 KiB
        raise BuildError("the demo program (%d bytes) is larger than 64 KiB" % len(program))
    boot[0x1F0:0x1F2] = count.to_bytes(2, "little")
    image = bytes(boot) + program.ljust(count * SECTOR, b"\0")
    return image.ljust(SECTORS * SECTOR, b"\0")


def up_to_date():
    if not IMAGE.exists():
        return False
    built = IMAGE.stat().st_mtime
    return all((HERE / s).stat().st_mtime <= built for s in SOURCES)


def build(out=None, log=print):
    """Write demo.img (into `out` when given, else next to the sources)."""
    target = IMAGE if out is None else pathlib.Path(out) / "demo.img"
    if target == IMAGE and up_to_date():
        return [target]
    data = build_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    log("demo disk: %s (%d KiB)" % (target, len(data) // 1024))
    return [target]


def default_image():
    """The demo disk for `pyx86 run` with no image: built now if needed."""
    build(log=lambda msg: None)
    return IMAGE
