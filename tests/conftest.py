import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def pytest_addoption(parser):
    parser.addoption("--fuzz", type=int, default=0,
                     help="extra random instruction streams per differential test")
    parser.addoption("--sst-all", action="store_true",
                     help="run every case of the 286 suite (default: a fixed sample per form)")


@pytest.fixture
def fuzz_count(request):
    return request.config.getoption("--fuzz")
