"""Debian's i386 Linux on pyx86, headless, to its busybox /init and ACPI power-off.

The image (`python -m images build linux`) is built once a session; the tests skip
when it cannot be (offline). Each boot is several billion guest instructions: about a
minute or two of wall time here (the boot time is benchmarked in bench/).
"""
import os
import subprocess
import sys

import pytest

from images.linux import BOOT_MARKER
from tests.conftest import ROOT

BOOT_TIMEOUT = 900
POWER_OFF = "reboot: Power down"


def boot(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "emu", "run", "--headless", "--memory", "128",
                        "--debugcon", "none", "--timeout", str(BOOT_TIMEOUT), *map(str, args)],
                       cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=BOOT_TIMEOUT + 60)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")


def test_kernel_and_initrd_boot_to_init_and_power_off(linux_image):
    vmlinuz, initrd = linux_image[:2]
    status, out, err = boot("--kernel", vmlinuz, "--initrd", initrd,
                            "--append", "console=ttyS0,115200")
    assert "Linux version 6." in out
    assert BOOT_MARKER in out.splitlines(), out[-3000:] + err
    assert POWER_OFF in out and status == 0, out[-3000:] + err


def test_syslinux_disk_boots_to_init_and_powers_off(linux_image):
    status, out, err = boot(linux_image[2])
    assert "SYSLINUX" in out
    assert BOOT_MARKER in out.splitlines(), out[-3000:] + err
    assert POWER_OFF in out and status == 0, out[-3000:] + err


def test_syslinux_disk_boots_under_seabios(linux_image):
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        pytest.skip("SeaBIOS is not installed (Debian package seabios)")
    status, out, err = boot("--bios", "seabios", linux_image[2])
    assert "SYSLINUX" in out
    assert BOOT_MARKER in out.splitlines(), out[-3000:] + err
    assert POWER_OFF in out and status == 0, out[-3000:] + err


def test_isolinux_cd_boots_to_init_and_powers_off(linux_image):
    status, out, err = boot("--cdrom", linux_image[3], "--boot", "d")
    assert "ISOLINUX" in out
    assert BOOT_MARKER in out.splitlines(), out[-3000:] + err
    assert POWER_OFF in out and status == 0, out[-3000:] + err
