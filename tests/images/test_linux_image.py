"""The `linux` image boots on a real PC model (QEMU) to its /init and powers off.

Each boot takes ~5-10 s under QEMU's TCG here.
"""
import subprocess
import threading
import time

from images.linux import BOOT_MARKER, SHELL_PARAM
from tests.images.qemu import need_qemu, run_serial

BOOT_TIMEOUT = 180
POWER_OFF = "reboot: Power down"


def test_disk_image_boots_through_syslinux_and_powers_off(linux_image):
    need_qemu()
    status, out = run_serial(["-m", "256", "-drive", "file=%s,format=raw" % linux_image[2]],
                             BOOT_TIMEOUT)
    assert "SYSLINUX" in out
    assert "Linux version 6." in out
    assert BOOT_MARKER in out.splitlines(), out[-3000:]
    assert POWER_OFF in out
    assert status == 0, out[-3000:]


def test_cd_image_boots_through_isolinux_and_powers_off(linux_image):
    need_qemu()
    status, out = run_serial(["-m", "256", "-cdrom", str(linux_image[3]), "-boot", "d"],
                             BOOT_TIMEOUT)
    assert "ISOLINUX" in out
    assert BOOT_MARKER in out.splitlines(), out[-3000:]
    assert POWER_OFF in out
    assert status == 0, out[-3000:]


def test_kernel_and_initrd_boot_directly(linux_image):
    need_qemu()
    status, out = run_serial(["-m", "128", "-kernel", str(linux_image[0]), "-initrd",
                              str(linux_image[1]), "-append", "console=ttyS0,115200"],
                             BOOT_TIMEOUT)
    assert BOOT_MARKER in out.splitlines(), out[-3000:]
    assert POWER_OFF in out and status == 0, out[-3000:]


def test_shell_parameter_gives_an_interactive_shell(linux_image):
    qemu = need_qemu()
    p = subprocess.Popen(
        [qemu, "-nographic", "-nodefaults", "-serial", "stdio", "-monitor", "none",
         "-no-reboot", "-m", "128", "-kernel", str(linux_image[0]), "-initrd",
         str(linux_image[1]), "-append", "console=ttyS0,115200 " + SHELL_PARAM],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = bytearray()
    reader = threading.Thread(target=lambda: [out.extend(b) for b in iter(
        lambda: p.stdout.read1(4096), b"")], daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while b"/ # " not in out and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.2)
        assert b"/ # " in out, out.decode("latin-1")[-3000:]
        p.stdin.write(b"echo answer=$((6*7))\n")
        p.stdin.flush()
        while b"answer=42" not in out and time.monotonic() < deadline:
            time.sleep(0.2)
        p.stdin.write(b"exit\n")
        p.stdin.flush()
        status = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    reader.join(5)
    text = out.decode("latin-1")
    assert "answer=42" in text and POWER_OFF in text, text[-3000:]
    assert status == 0
