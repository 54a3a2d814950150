"""The benchmark ROMs: correct under Unicorn (the reference), and pyx86 prints the
same checksum through the `pyx86 run` path."""
import io

import pytest

from bench.reference import run_unicorn
from bench.roms import build
from emu import cli

ROUNDS = 20                              # small: the reference runs in milliseconds

POST_CODES = {"real16": [1, 4], "pm32": [1, 2, 4], "pm32-paging": [1, 2, 3, 4],
              "pm32-fpu": [1, 2, 4]}


@pytest.fixture(scope="module")
def roms():
    return {name: build.build(name, ROUNDS) for name in build.WORKLOADS}


@pytest.fixture(scope="module")
def refs(roms):
    return {name: run_unicorn(rom) for name, rom in roms.items()}


def test_rom_layout(roms):
    for rom in roms.values():
        assert len(rom) == 0x10000
        assert rom[0xFFF0:0xFFF5] == bytes((0xEA, 0, 0, 0, 0xF0))     # JMP F000:0000


@pytest.mark.parametrize("name", list(build.WORKLOADS))
def test_reference_run(refs, name):
    ref = refs[name]
    assert ref.exit_value == 0
    assert ref.post == POST_CODES[name]
    text = ref.console.decode()
    assert len(text) == 9 and text.endswith("\n") and int(text, 16) >= 0


def test_paging_leaves_the_checksum_alone(refs):
    assert refs["pm32-paging"].console == refs["pm32"].console


def test_rounds_change_the_checksum(refs):
    assert run_unicorn(build.build("pm32", ROUNDS + 1)).console != refs["pm32"].console


@pytest.mark.parametrize("name", list(build.WORKLOADS))
def test_pyx86_matches_reference(roms, refs, name, tmp_path):
    rom = tmp_path / (name + ".rom")
    rom.write_bytes(roms[name])
    post = tmp_path / "post.log"
    args = cli.build_parser().parse_args([
        "run", "--bios", str(rom), "--headless", "--post-log", str(post),
        "--max-instructions", "10000000"])
    out, err = io.BytesIO(), io.StringIO()
    report = cli.run_command(args, stdout=out, stderr=err)
    assert (report.status, err.getvalue()) == (1, "")
    assert out.getvalue() == refs[name].console
    assert post.read_text() == "".join("%02x\n" % c for c in POST_CODES[name])
