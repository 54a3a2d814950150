"""The `linux` image: Debian's i386 kernel with a busybox initramfs that says it booted.

Outputs (in OUT/linux/): vmlinuz (Debian bookworm's linux-image-*-686, the non-PAE
flavour, so a CPU without PAE boots it), initrd.img (gzip'd newc cpio made here:
busybox-static:i386 and an /init script) and linux.img, a 32 MiB hard disk (MBR, one
FAT16 partition with SYSLINUX) that boots them with console=ttyS0,115200 console=tty0,
and linux.iso, a CD (ISO 9660, El Torito no-emulation ISOLINUX: images/iso9660.py)
that boots them the same way.

/init mounts proc, sysfs and devtmpfs, prints BOOT_MARKER on every active console and
powers off (`poweroff -f`: ACPI on a PC). With `pyx86.shell=1` on the kernel command
line (SYSLINUX label `shell` on linux.img) it starts a shell on every console instead
and powers off when they have all exited.
"""
import gzip
import pathlib

from images import deb, disk, iso9660, stamp

BOOT_MARKER = "PYX86-LINUX-BOOT-OK"
SHELL_PARAM = "pyx86.shell=1"
CMDLINE = "console=ttyS0,115200 console=tty0"
KERNEL_META = "linux-image-686"          # Debian's metapackage for the newest 686 kernel
BUSYBOX = "busybox-static"
ISOLINUX = ("isolinux", "usr/lib/ISOLINUX/isolinux.bin")
LDLINUX = ("syslinux-common", "usr/lib/syslinux/modules/bios/ldlinux.c32")
ARCH = "i386"
APPLETS = ("sh", "mount", "cat", "setsid", "poweroff")   # what /init calls

INIT = """#!/bin/sh
# pyx86 test initramfs (images/linux.py): report the boot, then power off or give a shell
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
consoles=$(cat /sys/class/tty/console/active)
for c in $consoles; do echo "%(marker)s" >/dev/$c; done
case " $(cat /proc/cmdline) " in
*" %(shell)s "*)
    /bin/busybox --install -s /bin
    for c in $consoles; do
        setsid sh -c "exec sh </dev/$c >/dev/$c 2>&1" &
    done
    wait ;;
esac
poweroff -f
""" % {"marker": BOOT_MARKER, "shell": SHELL_PARAM}

SYSLINUX_CFG = """SERIAL 0 115200
PROMPT 1
TIMEOUT 10
DEFAULT linux
SAY pyx86 linux image: booting `linux` (type `shell` for an interactive shell)
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND %(cmdline)s
LABEL shell
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND %(cmdline)s %(shell)s
""" % {"cmdline": CMDLINE, "shell": SHELL_PARAM}

S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR = 0o040000, 0o100000, 0o120000, 0o020000


class Cpio:
    """An initramfs archive in the kernel's "newc" cpio format (SVR4, no CRC)."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 0

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        fields = (self.ino, mode, 0, 0, 2 if mode & S_IFDIR else 1, 0, len(data),
                  0, 0, rdev[0], rdev[1], len(name) + 1, 0)
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += name.encode() + b"\0"
        self.out += bytes(-len(self.out) % 4)
        self.out += data
        self.out += bytes(-len(self.out) % 4)

    def dir(self, name):
        self._entry(name, S_IFDIR | 0o755)

    def file(self, name, data, perm=0o644):
        self._entry(name, S_IFREG | perm, data)

    def symlink(self, name, target):
        self._entry(name, S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self._entry(name, S_IFCHR | perm, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.out)


def initramfs(busybox):
    """The gzip'd initramfs: /bin/busybox, applet links, /init, mount points."""
    c = Cpio()
    for d in ("bin", "dev", "proc", "sys"):
        c.dir(d)
    # the kernel opens /dev/console for init before /init can mount devtmpfs
    c.chardev("dev/console", 5, 1)
    c.file("bin/busybox", busybox, 0o755)
    for applet in APPLETS:
        c.symlink("bin/" + applet, "busybox")
    c.file("init", INIT.encode(), 0o755)
    return gzip.compress(c.finish(), mtime=0)


def packages(archive):
    """The packages this image is made of (newest versions in the configured mirrors)."""
    meta = archive.resolve(KERNEL_META, ARCH)
    kernel = archive.resolve(archive.depends_on(meta, "linux-image-"), ARCH)
    return kernel, archive.resolve(BUSYBOX, ARCH)


def build(out, log=print):
    """Build (or find up to date) OUT/linux/{vmlinuz,initrd.img,linux.img,linux.iso}."""
    out = pathlib.Path(out)
    archive = deb.Archive(out / "apt", log=log)
    kernel, busybox = packages(archive)
    tools = disk.Tools(archive)
    folder = out / "linux"
    outputs = [folder / "vmlinuz", folder / "initrd.img", folder / "linux.img",
               folder / "linux.iso"]
    cd_packages = {name: archive.resolve(name, disk.host_arch())
                   for name, _ in (ISOLINUX, LDLINUX)}
    inputs = dict(tools.versions, **{kernel.name: kernel.version,
                                     busybox.name: busybox.version},
                  **{p.name: p.version for p in cd_packages.values()})
    sources = (__file__, disk.__file__, iso9660.__file__)
    if stamp.up_to_date(folder, inputs, outputs, *sources):
        return outputs
    folder.mkdir(parents=True, exist_ok=True)
    kdeb = archive.fetch(kernel)
    vmlinuz = deb.read_member(kdeb, next(m for m in deb.members(kdeb)
                                         if m.startswith("boot/vmlinuz-")))
    initrd = initramfs(deb.read_member(archive.fetch(busybox), "bin/busybox"))
    stamp.write(outputs[0], vmlinuz)
    stamp.write(outputs[1], initrd)
    tmp = outputs[2].with_name(outputs[2].name + ".part")
    disk.syslinux_disk(tmp, tools, {"vmlinuz": vmlinuz, "initrd.img": initrd},
                       SYSLINUX_CFG)
    tmp.replace(outputs[2])
    isolinux, ldlinux = (deb.read_member(archive.fetch(cd_packages[name]), member)
                         for name, member in (ISOLINUX, LDLINUX))
    tmp = outputs[3].with_name(outputs[3].name + ".part")
    iso9660.isolinux_cd(tmp, isolinux, ldlinux, SYSLINUX_CFG,
                        {"vmlinuz": vmlinuz, "initrd.img": initrd})
    tmp.replace(outputs[3])
    stamp.record(folder, inputs, *sources)
    log("images: linux: %s %s, %s %s" % (kernel.name, kernel.version,
                                         busybox.name, busybox.version))
    return outputs
