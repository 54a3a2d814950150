"""The guests of tests/guests are the images of tests/images (built once a session)."""
from tests.images.conftest import linux_image, memtest_image  # noqa: F401
