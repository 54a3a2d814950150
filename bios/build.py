"""Build pyx86's BIOS image (bios/src) with the host toolchain: gcc, ld, objcopy.

The 32-bit POST code is compiled with `gcc -m32`, the 16-bit service code with
`gcc -m16` (32-bit code with operand/address-size prefixes that runs in real mode),
the entry code is GNU as (through gcc, for the C preprocessor); bios.ld places it
all at its physical ROM addresses and objcopy makes the flat 128 KiB image for
0xE0000-0xFFFFF. Sources named in SOURCES16 are compiled as 16-bit objects, those
in SOURCES32 as 32-bit ones (util.c is in both: see compile_image). The video
BIOS's fonts and DAC tables are generated into the build directory first
(bios/vgadata.py) and compiled as 16-bit objects.

    python -m bios build [-o PATH]     build (if the sources changed) and print the path

The image goes to bios/out/bios.bin; bios/out/bios.stamp holds a hash of everything
that went into it (sources, this file, the compiler's version), so `image()` rebuilds
only when something changed. The build is reproducible: no dates, no build ids, no
host paths in the image.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

from bios import toolchain, vgadata
from bios.toolchain import BuildError  # noqa: F401  (what callers catch)

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "out"
IMAGE = OUT / "bios.bin"
STAMP = OUT / "bios.stamp"
ROM_SIZE = 128 * 1024
ROM_BASE = 0xE0000

SOURCES16 = ["entry_16.S", "util.c", "vga.c", "video.c", "vbe.c", "keyboard.c", "clock.c",
             "system.c", "apm.c", "pcibios.c", "disk.c", "boot.c", "optionrom.c"]
SOURCES32 = ["entry_32.S", "util.c", "post.c", "pci.c", "fwcfg.c", "tables.c", "mptable.c"]
# generated into the build directory by bios/vgadata.py (fonts, DAC tables)
GENERATED16 = ["vgadata_gen.c"]

CFLAGS = ["-std=gnu11", "-Os", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
          "-ffreestanding", "-fno-pic", "-fno-pie", "-fno-stack-protector",
          "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fno-common",
          "-fno-strict-aliasing", "-fcf-protection=none", "-fno-builtin-printf",
          "-mgeneral-regs-only", "-mregparm=3", "-march=i686", "-mtune=generic",
          "-mpreferred-stack-boundary=2", "-fno-delete-null-pointer-checks",
          "--param=min-pagesize=0",  # low absolute addresses (IVT, BDA) are real memory
          "-ffile-prefix-map=%s=." % SRC]
MODE_FLAGS = {16: ["-m16", "-DMODE16=1"], 32: ["-m32", "-DMODE32=1"]}
# INT 13h's drives beside disk.c: floppy, ATAPI CD-ROM, El Torito boot and emulation
SOURCES16 += ["floppy.c", "cdrom.c", "eltorito.c"]


def _tools():
    return toolchain.tools("the BIOS")


def _fingerprint(tools):
    h = hashlib.sha256()
    for path in sorted(SRC.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(pathlib.Path(__file__).read_bytes())
    for path in vgadata.INPUTS:
        h.update(path.read_bytes())
    version = subprocess.run([tools["gcc"], "--version"], capture_output=True,
                             text=True).stdout.splitlines()[:1]
    h.update(repr(version).encode())
    return h.hexdigest()


def _run(cmd):
    toolchain.run(cmd, "the BIOS")


def compile_image(tools, workdir):
    """Compile and link the BIOS in workdir; returns the 128 KiB image."""
    work = pathlib.Path(workdir)
    vgadata.generate(work)
    built = {16: [], 32: []}
    for bits, sources in ((32, SOURCES32), (16, SOURCES16 + GENERATED16)):
        for name in sources:
            obj = work / ("%s_%d.o" % (pathlib.Path(name).stem, bits))
            src = work / name if name in GENERATED16 else SRC / name
            _run([tools["gcc"], *CFLAGS, *MODE_FLAGS[bits], "-I", str(SRC), "-I", str(work),
                  "-ffile-prefix-map=%s=." % work, "-c", str(src), "-o", str(obj)])
            built[bits].append(obj)
    # The 32-bit half is one relocatable object whose only global is its entry point:
    # the functions both halves compile (util.c) stay apart, each half's calls bound
    # to its own copy.
    post = work / "post_all_32.o"
    _run([tools["ld"], "-m", "elf_i386", "-r", "-o", str(post), *built[32]])
    _run([tools["objcopy"], "--keep-global-symbol=post32_entry", str(post)])
    objects = [post] + built[16]
    elf = work / "bios.elf"
    # the linker script picks sections by object name: *_16.o / *_32.o
    _run([tools["ld"], "-m", "elf_i386", "-nostdlib", "--build-id=none",
          "--no-check-sections", "-T", str(SRC / "bios.ld"), "-o", str(elf),
          "-Map", str(work / "bios.map"), *[str(o) for o in objects]])
    binary = work / "bios.bin"
    _run([tools["objcopy"], "-O", "binary", str(elf), str(binary)])
    data = binary.read_bytes()
    if len(data) != ROM_SIZE:
        raise BuildError("the linked BIOS is %d bytes, not %d (see bios.ld)"
                         % (len(data), ROM_SIZE))
    return data


def build(force=False):
    """Build bios/out/bios.bin when its sources changed (or force); returns its path.
    Without a toolchain an existing image is used as it is (an installed copy)."""
    try:
        tools = _tools()
    except BuildError:
        if IMAGE.exists() and not force:
            return IMAGE
        raise
    stamp = _fingerprint(tools)
    if not force and IMAGE.exists() and STAMP.exists() and STAMP.read_text() == stamp:
        return IMAGE
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pyx86-bios-") as work:
        data = compile_image(tools, work)
        shutil.copy(pathlib.Path(work) / "bios.map", OUT / "bios.map")
        shutil.copy(pathlib.Path(work) / "bios.elf", OUT / "bios.elf")
    tmp = IMAGE.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, IMAGE)
    STAMP.write_text(stamp)
    return IMAGE


def image():
    """The BIOS image's bytes, building it first if needed (for `pyx86 run`)."""
    return build().read_bytes()
