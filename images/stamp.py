"""Up-to-date checks for built images: a stamp file beside the outputs.

The stamp (versions.json) records what an image was made from: the package versions
and a hash of the recipe's source files. A build whose inputs match the stamp and whose
outputs all exist is skipped, so a second `build` costs only the version look-up.
"""
import hashlib
import json
import pathlib

STAMP = "versions.json"


def _sources_hash(sources):
    h = hashlib.sha256()
    for s in sources:
        h.update(pathlib.Path(s).read_bytes())
    return h.hexdigest()


def _stamp(inputs, sources):
    return {"packages": dict(sorted(inputs.items())), "recipe": _sources_hash(sources)}


def up_to_date(folder, inputs, outputs, *sources):
    path = pathlib.Path(folder) / STAMP
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return recorded == _stamp(inputs, sources) and all(p.exists() for p in outputs)


def record(folder, inputs, *sources):
    write(pathlib.Path(folder) / STAMP,
          (json.dumps(_stamp(inputs, sources), indent=1) + "\n").encode())


def write(path, data):
    """Write a file whole or not at all (a stopped build leaves no half image)."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
