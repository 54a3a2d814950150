"""The CPU test ROMs of tests/roms, run as a user runs them: `python -m emu run --bios
ROM --headless`. Each ROM boots from the reset vector, switches to protected mode on
its own, checks one mechanism against the SDM (gates, task switches, v8086 mode,
paging faults, the exception order, ...), reports each step as a POST code, prints
"PASS <name>" or "FAIL <name>: <detail>" on the debug console and exits through
isa-debug-exit (0 on success: exit status 1). triplefault.asm ends in a triple fault
on purpose. The sources are assembled here with keystone through bench/roms/build.py.
"""
import os
import re
import subprocess
import sys

import pytest

from bench.roms import build
from emu import cli
from tests.conftest import ROOT

ROMS = ROOT / "tests" / "roms"
MAX_INSTRUCTIONS = 5_000_000            # every ROM needs far fewer; a hang stops here
POST_BOOT = [0x01, 0x02]                # reset; protected mode with the library ready
POST_PASS = 0xAA                        # (a failing ROM writes 0xEE, then FAIL ...)

# ROM -> its step POST codes, in order (between POST_BOOT and POST_PASS)
STEPS = {
    "callgate": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16],
    "interrupts": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17],
    "tasks": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15],
    "tss_trap": [0x10],
    "v86": [0x10, 0x11, 0x12, 0x13],
    "paging": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18],
    "exceptions": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19],
    "movss_trap": [0x10],
    "resume_flag": [0x10, 0x11, 0x12],
    "breakpoints": [0x10],
    "iobitmap": [0x10, 0x33, 0x11, 0x12, 0x13],       # 33: written by ring 3
    "sysenter": [0x10, 0x11, 0x12, 0x13, 0x14],
    "realmode": [0x10, 0x11, 0x12, 0x13],
    "apic": [0x10, 0x11, 0x12, 0x13, 0x14, 0x15] + POST_BOOT + [0x16],   # INIT restarts
}
TRIPLE_LINE = b"triplefault: #GP and #DF gates not present\n"
TRIPLE_POST = POST_BOOT + [0x10]


def pyx86_run(rom, tmp_path, *args):
    """Run ROM bytes headless; returns (CompletedProcess, POST codes)."""
    path = tmp_path / "test.rom"
    path.write_bytes(rom)
    post = tmp_path / "post.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYX86_DEBUG", None)
    p = subprocess.run([sys.executable, "-m", "emu", "run", "--bios", str(path), "--headless",
                        "--post-log", str(post), *map(str, args)],
                       cwd=ROOT, env=env, capture_output=True, timeout=120)
    codes = [int(line, 16) for line in post.read_text().split()] if post.exists() else []
    return p, codes


def build_rom(name):
    return build.rom_image(ROMS / (name + ".asm"))


@pytest.mark.parametrize("name", STEPS)
def test_rom_passes(name, tmp_path):
    p, codes = pyx86_run(build_rom(name), tmp_path, "--no-reboot",
                         "--max-instructions", MAX_INSTRUCTIONS)
    out = p.stdout.decode(errors="replace")
    assert (out, p.returncode) == ("PASS %s\n" % name, 1), out + p.stderr.decode()
    assert p.stderr == b""
    assert codes == POST_BOOT + STEPS[name] + [POST_PASS]


def test_triple_fault_stops_with_no_reboot(tmp_path):
    p, codes = pyx86_run(build_rom("triplefault"), tmp_path, "--no-reboot",
                         "--max-instructions", MAX_INSTRUCTIONS)
    assert (p.stdout, p.returncode) == (TRIPLE_LINE, cli.EXIT_TRIPLE_FAULT), p.stderr.decode()
    assert codes == TRIPLE_POST
    err = p.stderr.decode()
    assert err.startswith("pyx86: triple fault\n") and "EIP=" in err


def test_triple_fault_resets_and_boots_again(tmp_path):
    # each boot is about 16k instructions (most of them clearing the tables)
    p, codes = pyx86_run(build_rom("triplefault"), tmp_path, "--max-instructions", 100_000)
    assert p.returncode == cli.EXIT_LIMIT, p.stderr.decode()
    boots = p.stdout.count(TRIPLE_LINE)
    assert boots >= 3 and p.stdout == TRIPLE_LINE * boots
    assert codes == (TRIPLE_POST * (boots + 1))[:len(codes)]
    assert len(codes) >= len(TRIPLE_POST) * boots
    assert p.stderr.decode().count("triple fault: machine reset") == 1


# -- keystone pitfalls that assemble silently into the wrong code ----------------------
_REGISTERS = set("eax ebx ecx edx esi edi esp ebp ax bx cx dx si di sp bp "
                 "al ah bl bh cl ch dl dh".split())
_SEGMENT_REGISTERS = {"cs", "ds", "es", "ss", "fs", "gs"}


_NOT_SYMBOLS = _REGISTERS | _SEGMENT_REGISTERS | {"ptr", "byte", "word", "dword", "qword"}


def _operands(text):
    """Comma-separated operands, commas inside brackets or quotes kept."""
    out, depth, quote, cur = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quote = not quote
        elif not quote and ch in "[(":
            depth += 1
        elif not quote and ch in "])":
            depth -= 1
        if ch == "," and not depth and not quote:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + [cur.strip()] if cur.strip() else out


def _lint(line):
    """What is wrong with one source line (comment stripped), or None."""
    if "\\" in line or re.match(r"\s*(\.|\w+:)", line):  # macro bodies, directives, labels
        return None
    for inner in re.findall(r"\[([^\]]*)\]", line):
        names = [w for w in re.findall(r"\b[A-Za-z_]\w*", inner) if w not in _REGISTERS]
        if len(names) > 1:
            return "memory operand with two symbols (keystone keeps the last): " + inner
    m = re.match(r"\s*(push|pop)\s+([A-Za-z_]\w*)\s*$", line)
    if m and m.group(2) in _SEGMENT_REGISTERS:
        return "PUSH/POP of a segment register (keystone adds a 66 prefix)"
    if m and m.group(1) == "push" and m.group(2) not in _REGISTERS:
        return "PUSH of a symbol (keystone may push a word): use push32"
    words = line.split(None, 1)
    for op in _operands(words[1]) if len(words) > 1 else []:
        if "[" in op or op.startswith('"'):
            continue
        names = [w for w in re.findall(r"\b[A-Za-z_]\w*", op) if w not in _NOT_SYMBOLS]
        if names and not re.match(r"[A-Za-z_]", op):
            return "operand %r does not start with its symbol (keystone reads memory)" % op
    return None


def test_sources_avoid_silent_keystone_pitfalls():
    problems = []
    for path in sorted(ROMS.glob("*.[ai]*")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            why = _lint(line.split(";", 1)[0])
            if why:
                problems.append("%s:%d: %s" % (path.name, n, why))
    assert problems == []
