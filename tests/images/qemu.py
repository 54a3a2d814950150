"""Run QEMU headless for the image tests: serial output, and the screen through QMP.

The images are checked under QEMU (not pyx86) to prove the recipes make images that
boot on a PC; pyx86's own boot tests can then trust them.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import zlib

import pytest

QEMU = "qemu-system-i386"


def need_qemu():
    path = shutil.which(QEMU)
    if path is None:
        pytest.skip("%s is not installed (apt-get install qemu-system-x86)" % QEMU)
    return path


def run_serial(args, timeout):
    """Run QEMU with the serial port on stdout; returns (exit status, output text).

    An exit status of None means QEMU was still running at the timeout (killed)."""
    argv = [need_qemu(), "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-vga", "std", "-monitor", "none"] + list(args)
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
        return r.returncode, r.stdout.decode("latin-1") + r.stderr.decode("latin-1")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("latin-1")


class Qmp:
    """A QEMU started with -display none and a QMP socket, for looking at its screen."""

    def __init__(self, args):
        self.dir = tempfile.mkdtemp(prefix="pyx86-qmp-")
        sock = os.path.join(self.dir, "qmp.sock")
        self.proc = subprocess.Popen(
            [need_qemu(), "-display", "none", "-vga", "std", "-no-reboot",
             "-qmp", "unix:%s,server=on,wait=on" % sock] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.sock = socket.socket(socket.AF_UNIX)
        for _ in range(100):
            try:
                self.sock.connect(sock)
                break
            except OSError:
                time.sleep(0.05)
        self.file = self.sock.makefile("rw")
        self._read()                                   # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            msg = json.loads(self.file.readline())
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError("QMP %s: %s" % (name, reply["error"]))
        return reply["return"]

    def memory(self, addr, size):
        path = os.path.join(self.dir, "mem.bin")
        self.cmd("pmemsave", val=addr, size=size, filename=path)
        with open(path, "rb") as f:
            return f.read()

    def text_screen(self, rows=25, cols=80):
        """The characters of the VGA text screen at B8000, one string per row."""
        data = self.memory(0xB8000, rows * cols * 2)
        return [data[r * cols * 2:(r + 1) * cols * 2:2].decode("cp437")
                for r in range(rows)]

    def screendump_png(self, path):
        ppm = os.path.join(self.dir, "screen.ppm")
        self.cmd("screendump", filename=ppm)
        with open(ppm, "rb") as f:
            write_png(path, *read_ppm(f.read()))

    def close(self):
        try:
            self.cmd("quit")
        except (OSError, ValueError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_for_text(self, needle, timeout):
        """Poll the text screen until a row contains needle; returns the screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.text_screen()
            if any(needle in row for row in screen) or time.monotonic() > deadline:
                return screen
            time.sleep(0.5)


def read_ppm(data):
    """(width, height, RGB bytes) of a binary P6 PPM as QEMU's screendump writes."""
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P6" and fields[3] == b"255", fields[:4]
    w, h = int(fields[1]), int(fields[2])
    return w, h, fields[4][:w * h * 3]


def write_png(path, width, height, rgb):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    rows = b"".join(b"\0" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
