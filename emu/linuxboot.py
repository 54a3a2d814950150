"""`--kernel`: loading a Linux bzImage (boot protocol 2.x) or a Multiboot kernel the
way QEMU's -kernel does, without a boot loader on a disk.

The emulator does the loader's work up front: it reads the kernel, decides where
each piece goes and fills in the setup header (Linux's Documentation/x86/boot.rst) or
builds the Multiboot information structure (Multiboot Specification 0.6.96). The
pieces reach guest memory at boot time, after the BIOS's POST, through the fw_cfg
device: the kernel-boot option ROM (bios/kernelboot.S) asks fw_cfg to DMA each
piece to its address and then enters the kernel. So POST can use any memory it
likes, and any BIOS that runs option ROMs can boot the kernel.

The fw_cfg items the option ROM reads (QEMU's keys, our layout):
    SETUP_ADDR/SIZE/DATA      Linux: the real-mode setup code with the patched header
    KERNEL_ADDR/SIZE/DATA     Linux: the protected-mode kernel at 1 MiB
                              Multiboot: the kernel's memory image (bss zeroed)
    INITRD_ADDR/SIZE/DATA     Linux: the initrd; Multiboot: the information
                              structure, then command lines and modules (EBX = ADDR)
    CMDLINE_ADDR/SIZE/DATA    Linux: the command line, NUL-terminated
    KERNEL_ENTRY              Multiboot: the 32-bit entry point (Linux: absent)
For Multiboot the ROM also fills the memory map from INT 15h E820 into the
information structure, so the kernel sees exactly the BIOS's map.
"""
import struct

from hw import fw_cfg

KIB, MIB = 1 << 10, 1 << 20


class KernelError(ValueError):
    """The kernel or initrd cannot be booted; the message is one line for the user."""


def _read(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise KernelError("%s %s: no such file" % (what, path)) from None
    except IsADirectoryError:
        raise KernelError("%s %s: is a directory" % (what, path)) from None
    except OSError as e:
        raise KernelError("%s %s: %s" % (what, path, e.strerror or e)) from None
    if not data:
        raise KernelError("%s %s: the file is empty" % (what, path))
    return data


# -- Linux ------------------------------------------------------------------------------
HDRS = 0x53726448                       # "HdrS"
LOADED_HIGH, CAN_USE_HEAP = 0x01, 0x80
KERNEL_LOAD = 0x100000                  # bzImage's protected-mode code
REAL_MODE_LOW = 0x10000                 # setup code for protocol >= 2.02
REAL_MODE_OLD = 0x90000                 # ... and for older kernels
SETUP_MAX = 0x8000                      # setup code + its stack and heap
HEAP_END = 0xE000                       # heap/stack end, from the real-mode base
CMDLINE_LOW = 0x20000                   # command line for protocol >= 2.02
FIRMWARE_RESERVE = 1 * MIB              # top of RAM kept for the BIOS's tables


class LinuxImage:
    """A parsed bzImage: `setup` (real-mode part), `kernel` (protected-mode part),
    `version` (boot protocol, e.g. 0x20F)."""

    def __init__(self, data, path):
        self.path = path
        if len(data) < 0x250 or struct.unpack_from("<I", data, 0x202)[0] != HDRS:
            raise KernelError("kernel %s: not a Linux bzImage (no \"HdrS\" boot "
                              "header)" % path)
        self.version = struct.unpack_from("<H", data, 0x206)[0]
        if self.version < 0x200:
            raise KernelError("kernel %s: boot protocol %d.%02d is older than 2.00"
                              % (path, self.version >> 8, self.version & 0xFF))
        if not data[0x211] & LOADED_HIGH:
            raise KernelError("kernel %s: a zImage (loads below 1 MiB); only bzImage "
                              "kernels are supported" % path)
        setup_sects = data[0x1F1] or 4
        setup_len = (setup_sects + 1) * 512
        if setup_len >= len(data):
            raise KernelError("kernel %s: truncated (setup of %d bytes, file of %d)"
                              % (path, setup_len, len(data)))
        self.setup = bytearray(data[:setup_len])
        self.kernel = data[setup_len:]

    def u32(self, off):
        return struct.unpack_from("<I", self.setup, off)[0]

    def initrd_addr_max(self):
        return self.u32(0x22C) if self.version >= 0x203 else 0x37FFFFFF

    def cmdline_max(self):
        return self.u32(0x238) if self.version >= 0x206 else 255


def load_linux(cfg, kernel_path, initrd_path, cmdline, ram_size):
    """Place a bzImage for the option ROM; returns a one-line description."""
    img = LinuxImage(_read(kernel_path, "kernel"), kernel_path)
    initrd = _read(initrd_path, "initrd") if initrd_path else b""
    low = img.version >= 0x202
    real = REAL_MODE_LOW if low else REAL_MODE_OLD
    if len(img.setup) > SETUP_MAX:
        raise KernelError("kernel %s: setup code of %d bytes is too large"
                          % (kernel_path, len(img.setup)))
    cmd = cmdline.encode() + b"\0"
    if len(cmd) - 1 > img.cmdline_max():
        raise KernelError("the command line is %d bytes; this kernel takes at most %d"
                          % (len(cmd) - 1, img.cmdline_max()))
    cmd_addr = CMDLINE_LOW if low else real + HEAP_END
    if not low and len(cmd) > 0x10000 - HEAP_END:
        raise KernelError("the command line is too long for a protocol-2.0x kernel")

    kernel_end = KERNEL_LOAD + len(img.kernel)
    top = ram_size - FIRMWARE_RESERVE
    if kernel_end > top:
        raise KernelError("kernel %s (%d KiB) does not fit in %d MiB of RAM"
                          % (kernel_path, len(img.kernel) // KIB, ram_size // MIB))
    initrd_addr = 0
    if initrd:
        limit = min(top, img.initrd_addr_max() + 1)
        initrd_addr = (limit - len(initrd)) & ~0xFFF
        if initrd_addr < kernel_end:
            raise KernelError("initrd %s (%d KiB) does not fit above the kernel in %d MiB"
                              " of RAM (try more --memory)"
                              % (initrd_path, len(initrd) // KIB, ram_size // MIB))

    h = img.setup
    h[0x210] = 0xFF                                   # type_of_loader: undefined
    h[0x211] |= CAN_USE_HEAP
    struct.pack_into("<H", h, 0x224, HEAP_END - 0x200)
    struct.pack_into("<II", h, 0x218, initrd_addr, len(initrd))
    if low:
        struct.pack_into("<I", h, 0x228, cmd_addr)
    else:                                             # the 2.00/2.01 command line magic
        struct.pack_into("<HH", h, 0x20, 0xA33F, cmd_addr - real)

    cfg.add_u32(fw_cfg.SETUP_ADDR, real)
    cfg.add_u32(fw_cfg.SETUP_SIZE, len(h))
    cfg.add(fw_cfg.SETUP_DATA, h)
    cfg.add_u32(fw_cfg.KERNEL_ADDR, KERNEL_LOAD)
    cfg.add_u32(fw_cfg.KERNEL_SIZE, len(img.kernel))
    cfg.add(fw_cfg.KERNEL_DATA, img.kernel)
    cfg.add_u32(fw_cfg.INITRD_ADDR, initrd_addr)
    cfg.add_u32(fw_cfg.INITRD_SIZE, len(initrd))
    cfg.add(fw_cfg.INITRD_DATA, initrd)
    cfg.add_u32(fw_cfg.CMDLINE_ADDR, cmd_addr)
    cfg.add_u32(fw_cfg.CMDLINE_SIZE, len(cmd))
    cfg.add(fw_cfg.CMDLINE_DATA, cmd)
    cfg.add(fw_cfg.KERNEL_CMDLINE, cmd)
    return ("Linux kernel %s (boot protocol %d.%02d, %d KiB)%s"
            % (kernel_path, img.version >> 8, img.version & 0xFF, len(img.kernel) // KIB,
               ", initrd %d KiB" % (len(initrd) // KIB) if initrd else ""))


# -- Multiboot ---------------------------------------------------------------------------
MB_MAGIC = 0x1BADB002
MB_SEARCH = 8192
MB_PAGE_ALIGN, MB_MEMORY_INFO, MB_VIDEO_MODE, MB_AOUT_KLUDGE = 1, 2, 4, 0x10000
MB_KNOWN = MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_VIDEO_MODE
MBI_MEM, MBI_CMDLINE, MBI_MODS, MBI_MMAP, MBI_LOADER = 0x1, 0x4, 0x8, 0x40, 0x200
MBI_SIZE = 88                          # through vbe_* fields
MMAP_SPACE = 20 * 24                   # room for the ROM's E820 copy (24-byte records)
LOADER_NAME = "pyx86"


def multiboot_header(data):
    """(offset, flags, fields) of the Multiboot header in the first 8 KiB, or None."""
    for off in range(0, min(len(data), MB_SEARCH) - 11, 4):
        magic, flags, check = struct.unpack_from("<III", data, off)
        if magic == MB_MAGIC and (magic + flags + check) & 0xFFFFFFFF == 0:
            return off, flags
    return None


def _elf_image(data, path):
    """(lowest paddr, memory image bytes, entry) of a 32-bit ELF executable."""
    if data[:4] != b"\x7fELF":
        raise KernelError("kernel %s: Multiboot kernel is not ELF and has no a.out "
                          "load addresses (header flag 16)" % path)
    if data[4] != 1 or data[5] != 1 or struct.unpack_from("<H", data, 18)[0] != 3:
        raise KernelError("kernel %s: not a 32-bit little-endian i386 ELF" % path)
    entry, phoff = struct.unpack_from("<II", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    segs = []
    for k in range(phnum):
        p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz = struct.unpack_from(
            "<IIIIII", data, phoff + k * phentsize)
        if p_type == 1 and p_memsz:
            if p_offset + p_filesz > len(data):
                raise KernelError("kernel %s: a segment lies past the end of the file"
                                  % path)
            segs.append((p_paddr, p_vaddr, data[p_offset:p_offset + p_filesz], p_memsz))
    if not segs:
        raise KernelError("kernel %s: no loadable segments" % path)
    lo = min(s[0] for s in segs)
    hi = max(s[0] + s[3] for s in segs)
    image = bytearray(hi - lo)
    for paddr, vaddr, body, memsz in segs:
        image[paddr - lo:paddr - lo + len(body)] = body
    # the entry is a virtual address: move it into the segment that holds it
    for paddr, vaddr, body, memsz in segs:
        if vaddr <= entry < vaddr + memsz:
            entry = entry - vaddr + paddr
            break
    return lo, bytes(image), entry


def _aout_image(data, off, path):
    header_addr, load_addr, load_end, bss_end, entry = struct.unpack_from(
        "<IIIII", data, off + 12)
    file_off = off - (header_addr - load_addr)
    if file_off < 0 or load_addr > header_addr:
        raise KernelError("kernel %s: bad Multiboot load addresses" % path)
    size = (load_end - load_addr) if load_end else len(data) - file_off
    body = data[file_off:file_off + size]
    total = max(size, (bss_end - load_addr) if bss_end else size)
    return load_addr, body + bytes(total - len(body)), entry


def load_multiboot(cfg, kernel_path, modules, cmdline, ram_size):
    """Place a Multiboot kernel and its modules ("file args" strings) for the option
    ROM; returns a one-line description."""
    data = _read(kernel_path, "kernel")
    found = multiboot_header(data)
    if found is None:
        raise KernelError("kernel %s: neither a Linux bzImage nor a Multiboot kernel"
                          % kernel_path)
    off, flags = found
    if flags & 0xFFFF & ~MB_KNOWN:
        raise KernelError("kernel %s: asks for Multiboot features %#x this loader does "
                          "not have" % (kernel_path, flags & 0xFFFF & ~MB_KNOWN))
    if flags & MB_AOUT_KLUDGE:
        lo, image, entry = _aout_image(data, off, kernel_path)
    else:
        lo, image, entry = _elf_image(data, kernel_path)
    if lo < MIB:
        raise KernelError("kernel %s: loads at %#x, below 1 MiB where the BIOS lives"
                          % (kernel_path, lo))
    top = ram_size - FIRMWARE_RESERVE
    # the information block and modules follow the kernel, page aligned
    info_addr = (lo + len(image) + 0xFFF) & ~0xFFF
    blob = bytearray(MBI_SIZE + MMAP_SPACE)
    strings = bytearray()
    mod_table = bytearray()
    payload = []                                      # (offset in blob, bytes)

    def add_string(text):
        at = len(strings)
        strings.extend(text.encode() + b"\0")
        return at

    cmd_off = add_string(("%s %s" % (kernel_path, cmdline)).strip())
    name_off = add_string(LOADER_NAME)
    mod_descr = []
    for spec in modules:
        path = spec.split(" ", 1)[0]
        mod_descr.append((_read(path, "module"), add_string(spec)))
    strings_at = len(blob)
    mods_at = strings_at + ((len(strings) + 15) & ~15)
    pos = (info_addr + mods_at + 16 * len(mod_descr) + 0xFFF) & ~0xFFF
    for body, str_off in mod_descr:
        mod_table += struct.pack("<IIII", pos, pos + len(body),
                                 info_addr + strings_at + str_off, 0)
        payload.append((pos - info_addr, body))
        pos = (pos + len(body) + 0xFFF) & ~0xFFF
    total = max([mods_at + len(mod_table)] + [o + len(b) for o, b in payload])
    if info_addr + total > top:
        raise KernelError("kernel %s and its modules do not fit in %d MiB of RAM"
                          % (kernel_path, ram_size // MIB))
    blob.extend(bytes(total - len(blob)))
    blob[strings_at:strings_at + len(strings)] = strings
    blob[mods_at:mods_at + len(mod_table)] = mod_table
    for o, body in payload:
        blob[o:o + len(body)] = body
    mbi_flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER | (MBI_MODS if modules else 0)
    struct.pack_into("<I", blob, 0, mbi_flags)
    # mem_lower/mem_upper (KiB) and mmap_length/addr are filled by the ROM from the BIOS
    struct.pack_into("<I", blob, 16, info_addr + strings_at + cmd_off)
    struct.pack_into("<II", blob, 20, len(mod_descr), info_addr + mods_at)
    struct.pack_into("<II", blob, 44, 0, info_addr + MBI_SIZE)
    struct.pack_into("<I", blob, 64, info_addr + strings_at + name_off)

    cfg.add_u32(fw_cfg.KERNEL_ADDR, lo)
    cfg.add_u32(fw_cfg.KERNEL_SIZE, len(image))
    cfg.add(fw_cfg.KERNEL_DATA, image)
    cfg.add_u32(fw_cfg.KERNEL_ENTRY, entry)
    cfg.add_u32(fw_cfg.INITRD_ADDR, info_addr)
    cfg.add_u32(fw_cfg.INITRD_SIZE, len(blob))
    cfg.add(fw_cfg.INITRD_DATA, blob)
    cfg.add(fw_cfg.KERNEL_CMDLINE, cmdline.encode() + b"\0")
    return ("Multiboot kernel %s (%d KiB at %#x, entry %#x)%s"
            % (kernel_path, len(image) // KIB, lo, entry,
               ", %d modules" % len(modules) if modules else ""))


def load_kernel(cfg, kernel_path, initrd, cmdline, ram_size):
    """--kernel/--initrd/--append: a bzImage, else a Multiboot kernel (whose --initrd
    is a comma-separated module list, each "FILE [ARGS]", as with QEMU)."""
    data = _read(kernel_path, "kernel")
    if len(data) > 0x206 and struct.unpack_from("<I", data, 0x202)[0] == HDRS:
        return load_linux(cfg, kernel_path, initrd, cmdline, ram_size)
    if multiboot_header(data) is not None:
        modules = [m.strip() for m in initrd.split(",")] if initrd else []
        return load_multiboot(cfg, kernel_path, [m for m in modules if m], cmdline,
                              ram_size)
    raise KernelError("kernel %s: neither a Linux bzImage nor a Multiboot kernel"
                      % kernel_path)
