"""Debian packages for the image recipes: find, download, verify and unpack .debs.

The recipes need packages of a foreign architecture (i386 kernel, busybox) on an amd64
host, so this does not go through apt (which would need `dpkg --add-architecture` and
would change the host). It reads the mirrors apt is configured with
(/etc/apt/sources.list and sources.list.d), fetches each suite's InRelease, checks its
signature with gpgv against the keyring the source names (Signed-By), and from then on
trusts only SHA256 sums that chain back to it: InRelease -> Packages.xz -> .deb.

Everything lands under one cache folder, keyed by content (index files by their SHA256,
.debs by name_version_arch), so a second build downloads nothing. An InRelease younger
than INDEX_MAX_AGE seconds is reused without asking the mirror; when the mirror cannot
be reached an older one is used too. Every failure is a DebError whose text is one
line for the user: "images: cannot fetch PACKAGE: reason".
"""
import glob
import hashlib
import io
import lzma
import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

SOURCES = ("/etc/apt/sources.list", "/etc/apt/sources.list.d")
DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
INDEX_MAX_AGE = 24 * 3600
FAILURE_MAX_AGE = 3600           # a suite whose index failed is not asked again before
TIMEOUT = 60


class DebError(Exception):
    """A package that cannot be found, fetched, verified or unpacked."""

    def __init__(self, what, reason, verb="fetch"):
        super().__init__("images: cannot %s %s: %s" % (verb, what, reason))
        self.reason = reason


@dataclass(frozen=True)
class Source:
    uri: str
    suite: str
    components: tuple
    keyring: str
    archs: tuple            # () = any


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    arch: str
    url: str
    sha256: str
    size: int
    depends: str

    @property
    def filename(self):
        return "%s_%s_%s.deb" % (self.name, self.version.replace(":", "%3a"), self.arch)


# ---- apt's configuration ---------------------------------------------------------------

def _one_line_sources(text):
    for line in text.splitlines():
        line = line.split("#", 1)[0].split()
        if len(line) < 3 or line[0] != "deb":
            continue
        opts = {}
        if line[1].startswith("["):
            while line and not line[1].endswith("]"):
                line[1:3] = [line[1] + " " + line[2]]
            for kv in line[1].strip("[]").split():
                k, _, v = kv.partition("=")
                opts[k] = v
            del line[1]
        yield Source(line[1].rstrip("/"), line[2], tuple(line[3:]),
                     opts.get("signed-by", DEFAULT_KEYRING),
                     tuple(opts.get("arch", "").split(",")) if "arch" in opts else ())


def _deb822_sources(text):
    for para in re.split(r"\n\s*\n", text):
        fields = {}
        for line in para.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.split()
        if "deb" not in fields.get("types", ()) or fields.get("enabled") == ["no"]:
            continue
        keyring = (fields.get("signed-by") or [DEFAULT_KEYRING])[0]
        for uri in fields.get("uris", ()):
            for suite in fields.get("suites", ()):
                yield Source(uri.rstrip("/"), suite, tuple(fields.get("components", ())),
                             keyring, tuple(fields.get("architectures", ())))


def apt_sources(paths=SOURCES):
    """The `deb` sources apt is configured with, in apt's order."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*.list")) +
                            glob.glob(os.path.join(p, "*.sources")))
        elif os.path.isfile(p):
            files.append(p)
    out = []
    for f in files:
        text = pathlib.Path(f).read_text(errors="replace")
        out += _deb822_sources(text) if f.endswith(".sources") else _one_line_sources(text)
    return out


# ---- Debian version order (Debian Policy 5.6.12) ---------------------------------------

def _order(c):
    if c == "~":
        return -1
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a, b):
    while a or b:
        na = re.match(r"[^\d]*", a).group()
        nb = re.match(r"[^\d]*", b).group()
        a, b = a[len(na):], b[len(nb):]
        for x, y in zip(na + "\0" * (len(nb) - len(na)), nb + "\0" * (len(na) - len(nb))):
            ox = 0 if x == "\0" else _order(x)
            oy = 0 if y == "\0" else _order(y)
            if ox != oy:
                return ox - oy
        da = re.match(r"\d*", a).group()
        db = re.match(r"\d*", b).group()
        a, b = a[len(da):], b[len(db):]
        if int(da or 0) != int(db or 0):
            return int(da or 0) - int(db or 0)
    return 0


def compare_versions(a, b):
    """<0, 0, >0 as Debian version a sorts before, equal to, after b."""
    def split(v):
        epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
        return int(epoch or 0), upstream, revision
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    return (ea - eb) or _compare_part(ua, ub) or _compare_part(ra, rb)


# ---- the archive -----------------------------------------------------------------------

def _fetch(url, what):
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
            return r.read()
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise DebError(what, "%s (%s)" % (reason, url)) from None


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path, data):
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


class Archive:
    """The packages of apt's configured sources, cached under `cache`."""

    def __init__(self, cache, sources=None, log=print):
        self.cache = pathlib.Path(cache)
        self.sources = apt_sources() if sources is None else sources
        self.log = log
        self._indexes = {}          # arch -> [(Source, Packages text)]

    # InRelease: fetched at most once a day, verified every time it is read
    def _release(self, src, what):
        name = re.sub(r"[^A-Za-z0-9.-]+", "_", "%s_%s" % (src.uri.split("//", 1)[-1],
                                                           src.suite))
        path = self.cache / "index" / (name + "_InRelease")
        fresh = path.exists() and time.time() - path.stat().st_mtime < INDEX_MAX_AGE
        if not fresh:
            try:
                data = _fetch("%s/dists/%s/InRelease" % (src.uri, src.suite), what)
                self._verify(data, src, what)
                path.parent.mkdir(parents=True, exist_ok=True)
                _atomic_write(path, data)
            except DebError:
                if not path.exists():
                    raise
                self.log("images: mirror unreachable, using the cached index of %s %s"
                         % (src.uri, src.suite))
        return self._verify(path.read_bytes(), src, what)

    def _verify(self, data, src, what):
        """The signed text of an InRelease (only what the signature covers)."""
        try:
            r = subprocess.run(["gpgv", "--keyring", src.keyring, "--output", "-", "-"],
                               input=data, capture_output=True, timeout=TIMEOUT)
        except OSError as e:
            raise DebError(what, "gpgv: %s" % e) from None
        if r.returncode != 0:
            raise DebError(what, "bad signature on %s/dists/%s/InRelease"
                           % (src.uri, src.suite))
        return r.stdout.decode("utf-8", "replace")

    def _packages(self, src, comp, arch, what):
        release = self._release(src, what)
        target = "%s/binary-%s/Packages.xz" % (comp, arch)
        m = re.search(r"^ ([0-9a-f]{64}) +(\d+) %s$" % re.escape(target), release, re.M)
        if not m:
            return ""                            # the suite has no such architecture
        sha = m.group(1)
        stem = re.sub(r"[^A-Za-z0-9.-]+", "_", "Packages_%s_%s_%s_%s_" % (
            src.uri.split("//", 1)[-1], src.suite, comp, arch))
        path = self.cache / "index" / (stem + sha)
        failed = path.with_name(path.name + ".failed")
        if failed.exists() and time.time() - failed.stat().st_mtime < FAILURE_MAX_AGE:
            raise DebError(what, failed.read_text())
        if not path.exists():
            for old in path.parent.glob(stem + "*"):     # the suite's previous index
                old.unlink()
            try:
                self._download_index(src, comp, arch, release, sha, path, what)
            except DebError as e:
                failed.write_text(e.reason)
                raise
        return "\n" + path.read_text(errors="replace")

    def _download_index(self, src, comp, arch, release, sha, path, what):
        # by-hash names the exact file InRelease lists, so a mirror caught halfway
        # through an update still serves a matching one (as apt does)
        base = "%s/dists/%s/%s/binary-%s/" % (src.uri, src.suite, comp, arch)
        if re.search(r"^Acquire-By-Hash: yes$", release, re.M):
            url = base + "by-hash/SHA256/" + sha
        else:
            url = base + "Packages.xz"
        data = _fetch(url, what)
        if _sha256(data) != sha:
            raise DebError(what, "%s does not match its InRelease" % url)
        _atomic_write(path, lzma.decompress(data))

    def _index(self, arch, what):
        """[(Source, Packages text)] for arch, and the errors of the sources skipped.

        A source whose index cannot be had is skipped with a warning, not fatal: a
        mirror may serve one suite's Packages out of step with its InRelease."""
        if arch not in self._indexes:
            found, errors = [], []
            for src in self.sources:
                if src.archs and arch not in src.archs:
                    continue
                for comp in src.components:
                    try:
                        found.append((src, self._packages(src, comp, arch, what)))
                    except DebError as e:
                        errors.append(e)
                        self.log("images: skipping %s %s %s: %s"
                                 % (src.uri, src.suite, comp, e.reason))
            self._indexes[arch] = found, errors
        return self._indexes[arch]

    def resolve(self, name, arch):
        """The newest version of package `name` for `arch` in any configured source."""
        what = "%s:%s" % (name, arch)
        if not self.sources:
            raise DebError(what, "no deb sources in %s" % " or ".join(SOURCES))
        best = None
        found, errors = self._index(arch, what)
        for src, text in found:
            for stanza in _stanzas(text, name):
                f = dict(re.findall(r"^([\w-]+): (.*)$", stanza, re.M))
                if f.get("Architecture") not in (arch, "all"):
                    continue
                pkg = Package(name, f["Version"], f["Architecture"],
                              "%s/%s" % (src.uri, f["Filename"]), f["SHA256"],
                              int(f["Size"]), f.get("Depends", ""))
                if best is None or compare_versions(pkg.version, best.version) > 0:
                    best = pkg
        if best is None and errors:
            raise DebError(what, errors[0].reason)
        if best is None:
            raise DebError(what, "no such package in %s" % (", ".join(sorted({"%s %s" % (s.uri, s.suite)
                                                      for s in self.sources}))))
        return best

    def depends_on(self, pkg, prefix):
        """The first dependency of pkg whose name starts with prefix (metapackages)."""
        for dep in pkg.depends.split(","):
            dep = dep.split("|")[0].split("(")[0].strip()
            if dep.startswith(prefix):
                return dep
        raise DebError(pkg.name, "it depends on no %s* package" % prefix)

    def fetch(self, pkg):
        """The verified .deb of pkg in the cache (downloaded once)."""
        path = self.cache / "debs" / pkg.filename
        if path.exists():
            return path
        self.log("images: downloading %s %s (%s, %.1f MB)"
                 % (pkg.name, pkg.version, pkg.arch, pkg.size / 1e6))
        data = _fetch(pkg.url, pkg.name)
        if _sha256(data) != pkg.sha256:
            raise DebError(pkg.name, "%s does not match its SHA256" % pkg.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, data)
        return path

    def unpacked(self, pkg):
        """The folder holding the unpacked files of pkg (unpacked once)."""
        dest = self.cache / "root" / pkg.filename[:-4]
        if not dest.exists():
            tmp = dest.with_name(dest.name + ".part")
            unpack(self.fetch(pkg), tmp)
            tmp.replace(dest)
        return dest


def _stanzas(text, name):
    """The paragraphs of a Packages index (text starting with a newline) for name."""
    key = "\nPackage: %s\n" % name
    pos = text.find(key)
    while pos >= 0:
        end = text.find("\n\n", pos + 1)
        end = len(text) if end < 0 else end
        yield text[pos + 1:end]
        pos = text.find(key, end)


def read_member(deb, member):
    """The bytes of one file (path as in the package, e.g. "boot/vmlinuz") of a .deb."""
    deb = pathlib.Path(deb)
    with _data_tar(deb) as tar:
        try:
            f = tar.extractfile("./" + member.lstrip("/"))
        except KeyError:
            f = None
        if f is None:
            raise DebError(deb.name, "it has no file /%s" % member.lstrip("/"), "unpack")
        return f.read()


def members(deb):
    """The paths of the regular files in a .deb (without the leading "./")."""
    with _data_tar(pathlib.Path(deb)) as tar:
        return [m.name[2:] for m in tar.getmembers() if m.isfile()]


def _ar_members(data, what):
    if data[:8] != b"!<arch>\n":
        raise DebError(what, "not an ar archive", "unpack")
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58])
        yield name, data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)


def _data_tar(deb):
    for name, body in _ar_members(deb.read_bytes(), deb.name):
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                raise DebError(deb.name, "zstd data is not supported", "unpack")
            return tarfile.open(fileobj=io.BytesIO(body))
    raise DebError(deb.name, "no data.tar member", "unpack")


def unpack(deb, dest):
    """Extract the files of the .deb `deb` into dest (as `dpkg-deb -x` does)."""
    dest = pathlib.Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with _data_tar(pathlib.Path(deb)) as tar:
        tar.extractall(dest, filter="tar")
    return dest
