"""pysdl2, imported once for the whole ui package.

Importing it prints a warning that names where the SDL library came from (the
pysdl2-dll wheel); that is noise on the emulator's stderr, so it is silenced here.
Raises ImportError without pysdl2 and RuntimeError when no SDL2 library is found.
"""
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import sdl2                          # noqa: F401  (re-exported)
