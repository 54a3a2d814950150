"""Build pyx86: generate the decode tables, then cythonize the interpreter and memory."""
import os
import subprocess
import sys

from setuptools import Extension, find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
subprocess.check_call([sys.executable, os.path.join(HERE, "cpu", "gen_optable.py")])
subprocess.check_call([sys.executable, os.path.join(HERE, "cpu", "gen_fast.py")])
subprocess.check_call([sys.executable, os.path.join(HERE, "cpu", "gen_x87.py")])
# pyx86's BIOS image (bios/out/bios.bin), built with the same gcc and binutils
subprocess.check_call([sys.executable, "-m", "bios", "build"], cwd=HERE)

from Cython.Build import cythonize  # noqa: E402

opts = ["-O2", "-fno-strict-aliasing", "-DCYTHON_INLINE=__inline__ __attribute__((always_inline))",
        "-fno-inline-functions-called-once", "-Wno-unused-function", "-Wno-unused-variable"]
extensions = [
    Extension("emu.memory", ["emu/memory.pyx"], extra_compile_args=opts),
    Extension("hw.vga_render", ["hw/vga_render.pyx"], extra_compile_args=opts),
    # libquadmath: binary128 sin/cos/tan for the x87's reduced-argument range (cpu/fpu.pxi)
    Extension("cpu.interp", ["cpu/interp.pyx"], extra_compile_args=opts,
              libraries=["quadmath"]),
]

setup(
    packages=find_packages(include=["cpu*", "emu*", "hw*", "bios*", "ui*", "images*"]),
    ext_modules=cythonize(extensions, language_level=3, annotate=bool(os.environ.get("PYX86_ANNOTATE"))),
    package_data={"cpu": ["*.pxd", "*.pxi"], "emu": ["*.pxd"], "hw": ["*.bin"],
                  "bios": ["src/*", "out/bios.bin", "out/bios.stamp"]},
)
