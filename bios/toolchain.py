"""The host toolchain that builds the BIOS, the option ROMs and the demo disk: gcc (which
also preprocesses and assembles the .S files), ld and objcopy — what the Cython build
needs anyway. PYX86_GCC, PYX86_LD and PYX86_OBJCOPY name other binaries."""
import os
import shutil
import subprocess

TOOLS = ("gcc", "ld", "objcopy")


class BuildError(Exception):
    """Something could not be built (the message is user-facing)."""


def tools(what):
    """{"gcc": path, "ld": path, "objcopy": path}; BuildError naming the missing ones."""
    found = {t: shutil.which(os.environ.get("PYX86_" + t.upper(), t)) for t in TOOLS}
    missing = [t for t, path in found.items() if path is None]
    if missing:
        raise BuildError("building %s needs %s (the GNU C compiler and binutils, "
                         "e.g. `apt-get install gcc binutils`); not found: %s"
                         % (what, ", ".join(TOOLS), ", ".join(missing)))
    return found


def run(cmd, what, cwd=None):
    """Run one build step; BuildError with its output when it fails."""
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
    if r.returncode:
        raise BuildError("%s: build step failed: %s\n%s%s"
                         % (what, " ".join(str(c) for c in cmd), r.stdout, r.stderr))
