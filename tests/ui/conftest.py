import pytest


@pytest.fixture(autouse=True)
def dummy_video(monkeypatch):
    """Every window of these tests opens on SDL's dummy video driver (no display
    needed); the variable is set per test so nothing else in the run inherits it."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
