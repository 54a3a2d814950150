"""Assemble the benchmark ROMs (bench/roms/*.asm) with keystone.

Each ROM is 64 KiB (QEMU wants a multiple of 64 KiB): the code is assembled at
0xF0000, the ROM's alias below 1 MiB, and starts at F000:0000, where the reset
vector in the ROM's last 16 bytes jumps. The sources use GNU-as syntax as keystone
takes it, plus a few things keystone lacks, expanded here:
    ; comment                   stripped
    .include "file"             textual include (relative to the including file)
    call16 LABEL / ret16        near CALL/RET and JMP rel16 with 16-bit operand size
    jmp16 LABEL                 (keystone's 16-bit mode emits the 32-bit forms),
    callf16 LABEL / retf16      far CALL/RETF
    ljmp32 SEL, LABEL           JMP ptr16:32 from 16-bit code (into 32-bit code)
ITERATIONS is defined from the build parameter.

    python bench/roms/build.py OUTDIR [--iterations N]   writes OUTDIR/<name>.rom
"""
import argparse
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROM_SIZE = 0x10000
ORIGIN = 0xF0000
RESET_OFFSET = 0xFFF0

# name -> (source, description, default iterations: ~100 M instructions each)
WORKLOADS = {
    "real16": ("real16.asm", "real mode, 16-bit BIOS-style code", 300_000),
    "pm32": ("pm32.asm", "32-bit protected mode, flat, integer mix", 100_000),
    "pm32-paging": ("pm32_paging.asm", "the pm32 mix with 4 KiB paging, TLB-missing walk",
                    100_000),
    "pm32-fpu": ("pm32_fpu.asm", "32-bit protected mode, x87 arithmetic/sqrt/memory mix",
                 8_000_000),
}


def _expand(path, seen=()):
    if path in seen:
        raise ValueError("%s includes itself" % path)
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split(";", 1)[0].rstrip()
        m = re.fullmatch(r"\s*\.include\s+\"([^\"]+)\"", line)
        if m:
            out += _expand(path.parent / m.group(1), seen + (path,))
            continue
        words = line.split(None, 1)
        op = words[0] if words else ""
        arg = words[1] if len(words) > 1 else ""
        if op == "call16":
            out += [".byte 0xE8", ".word %s - . - 2" % arg]
        elif op == "jmp16":
            out += [".byte 0xE9", ".word %s - . - 2" % arg]
        elif op == "ret16":
            out.append(".byte 0xC3")
        elif op == "callf16":
            out += [".byte 0x9A", ".word %s - 0x%X" % (arg, ORIGIN), ".word 0x%X" % (ORIGIN >> 4)]
        elif op == "retf16":
            out.append(".byte 0xCB")
        elif op == "ljmp32":
            sel, target = (a.strip() for a in arg.split(","))
            out += [".byte 0x66, 0xEA", ".long %s" % target, ".word %s" % sel]
        else:
            out.append(line)
    return out


def assemble(source, iterations=0):
    """Machine code of `source` (a file name under bench/roms, or any path)."""
    import keystone
    lines = [".equ ITERATIONS, %d" % iterations] + _expand(HERE / source)
    ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_16)
    try:
        code, _ = ks.asm("\n".join(lines), ORIGIN)
    except keystone.KsError as e:
        raise ValueError("%s: %s" % (source, e)) from None
    return bytes(code)


def build(name, iterations=None):
    """The 64 KiB ROM image of workload `name`."""
    source, _, default = WORKLOADS[name]
    return rom_image(source, default if iterations is None else iterations)


def rom_image(source, iterations=0):
    """The 64 KiB ROM image of `source` (a file name under bench/roms, or any path)
    whose code starts at F000:0000."""
    code = assemble(source, iterations)
    if len(code) > RESET_OFFSET:
        raise ValueError("%s: %d bytes of code overlap the reset vector" % (source, len(code)))
    rom = bytearray(b"\xF4" * ROM_SIZE)
    rom[:len(code)] = code
    rom[RESET_OFFSET:RESET_OFFSET + 5] = bytes((0xEA, 0x00, 0x00, 0x00, 0xF0))  # F000:0000
    return bytes(rom)


def main(argv=None):
    p = argparse.ArgumentParser(description="assemble the benchmark ROMs")
    p.add_argument("outdir", type=pathlib.Path)
    p.add_argument("--iterations", type=int, help="rounds of each workload's loop")
    args = p.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name in WORKLOADS:
        path = args.outdir / (name + ".rom")
        path.write_bytes(build(name, args.iterations))
        print(path)


if __name__ == "__main__":
    sys.exit(main())
