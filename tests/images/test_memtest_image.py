"""The `memtest` images boot under QEMU to memtest86+'s first test pass.

The VGA text screen is read from guest memory (B8000) through QMP, and a screenshot is
left beside the image (cache/images/memtest/screen-*.png) for a person to look at.
From the floppy memtest86+ first waits at its configuration prompt for a few seconds,
so each boot takes ~10-25 s here.
"""
import pytest

from tests.images.qemu import Qmp

TESTING_TIMEOUT = 120


@pytest.mark.parametrize("which, args", [
    ("floppy", lambda img: ["-drive", "file=%s,format=raw,if=floppy" % img[0],
                            "-boot", "a"]),
    ("disk", lambda img: ["-drive", "file=%s,format=raw" % img[1]]),
])
def test_memtest_starts_testing(memtest_image, which, args):
    q = Qmp(["-m", "128"] + args(memtest_image))
    try:
        screen = q.wait_for_text("Status: Testing", TESTING_TIMEOUT)
        q.screendump_png(memtest_image[0].parent / ("screen-%s.png" % which))
    finally:
        q.close()
    text = "\n".join(screen)
    assert "Memtest86+ v6" in text, text
    assert "Status: Testing" in text, text
    assert "Test #" in text and "Errors: 0" in text, text
