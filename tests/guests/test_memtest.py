"""memtest86+ (Debian's 6.x, ia32) on pyx86 with our BIOS: SYSLINUX loads it from the
disk image, and its first pass is under way, as the screen, dumped as text, shows."""
import os
import subprocess
import sys

from tests.conftest import ROOT

INSTRUCTIONS = 400_000_000               # about 6 s here; the first tests are running


def test_memtest_starts_its_first_pass(memtest_image, tmp_path):
    screen = tmp_path / "screen.txt"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "emu", "run", "--headless", "--snapshot",
                        "--debugcon", "none", "--serial", "none", "--max-instructions",
                        str(INSTRUCTIONS), "--screen-dump", str(screen),
                        str(memtest_image[1])],
                       cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=600)
    assert p.returncode == 8, p.stderr.decode()           # the instruction limit
    text = screen.read_text(encoding="utf-8")
    assert "Memtest86+ v6" in text and "pyx86 P6-class CPU" in text
    assert "Status: Testing" in text and "Errors: 0" in text
    assert "Test #" in text and "Pass:  0" in text
