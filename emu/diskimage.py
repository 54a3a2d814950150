"""Raw disk, floppy and CD images as the storage devices see them: whole sectors.

The image file changes only through the guest's own writes, and each write goes to
the file at once with one pwrite of whole sectors (so an emulator that dies leaves
every sector either old or new, never a torn one, and nothing waits in a buffer of
ours). With `snapshot` the file is opened read-only and writes land in an in-memory
overlay that is dropped at exit, as QEMU's -snapshot does. A read-only file (or
`readonly=True`, always for CD images) makes the device report write protection;
the image is never silently opened read-only when the user asked for writes.
"""
import os

SECTOR = 512


class ImageError(ValueError):
    """The image cannot be used; the message is one line for the user."""


class DiskImage:
    def __init__(self, path, readonly=False, snapshot=False, sector_size=SECTOR,
                 kind="disk"):
        self.path = str(path)
        self.kind = kind
        self.sector_size = sector_size
        self.snapshot = snapshot
        self.readonly = readonly
        self._overlay = {}
        what = "%s image %s" % (kind, self.path)
        if os.path.isdir(self.path):
            raise ImageError("%s: is a directory" % what)
        want_write = not readonly and not snapshot
        try:
            self.fd = os.open(self.path, os.O_RDWR if want_write else os.O_RDONLY)
        except FileNotFoundError:
            raise ImageError("%s: no such file" % what) from None
        except PermissionError:
            if want_write and os.access(self.path, os.R_OK):
                raise ImageError("%s: the file is read-only (use --snapshot to run it "
                                 "without writing, or make it writable)" % what) from None
            raise ImageError("%s: permission denied" % what) from None
        except OSError as e:
            raise ImageError("%s: %s" % (what, e.strerror or e)) from None
        try:
            self.size = os.fstat(self.fd).st_size
        except OSError as e:
            os.close(self.fd)
            raise ImageError("%s: %s" % (what, e.strerror or e)) from None
        if self.size == 0:
            os.close(self.fd)
            raise ImageError("%s: the file is empty" % what)
        if self.size % sector_size:
            os.close(self.fd)
            raise ImageError("%s: %d bytes is not a whole number of %d-byte sectors"
                             % (what, self.size, sector_size))
        self.sectors = self.size // sector_size

    def _check(self, lba, count):
        if lba < 0 or count < 0 or lba + count > self.sectors:
            raise ValueError("%s: sectors %d+%d outside the %d-sector image"
                             % (self.path, lba, count, self.sectors))

    def read(self, lba, count):
        """count sectors from lba, as bytes (the overlay's copies where written)."""
        self._check(lba, count)
        n = self.sector_size
        data = os.pread(self.fd, count * n, lba * n)
        if len(data) != count * n:           # the file shrank under us
            data = data.ljust(count * n, b"\0")
        if self._overlay:
            buf = bytearray(data)
            for k in range(count):
                sec = self._overlay.get(lba + k)
                if sec is not None:
                    buf[k * n:(k + 1) * n] = sec
            data = bytes(buf)
        return data

    def write(self, lba, data):
        """Whole sectors from lba; the device checks write protection first."""
        n = self.sector_size
        if len(data) % n:
            raise ValueError("write of %d bytes is not whole sectors" % len(data))
        count = len(data) // n
        self._check(lba, count)
        if self.readonly:
            raise ImageError("%s image %s is read-only" % (self.kind, self.path))
        if self.snapshot:
            for k in range(count):
                self._overlay[lba + k] = bytes(data[k * n:(k + 1) * n])
            return
        os.pwrite(self.fd, bytes(data), lba * n)

    def flush(self):
        if not self.readonly and not self.snapshot:
            os.fsync(self.fd)

    def close(self):
        if self.fd is not None:
            self.flush()
            os.close(self.fd)
            self.fd = None
