"""The firmware configuration device: how the emulator hands firmware what a board
would not know by itself (a kernel to boot, its command line, extra option ROMs).

The programming interface is QEMU's fw_cfg (its docs/specs/fw_cfg.txt), so firmware
written for QEMU understands it: a 16-bit selector written to port 0x510 picks an
item, port 0x511 reads it a byte at a time from the start (past the end it reads
0), and the DMA interface at 0x514 (a big-endian 64-bit guest-physical address of a
control/length/address descriptor, high half at 0x514 and low half at 0x518; writing
the low half starts it) copies whole items into guest memory, which is how a kernel
of several MiB gets loaded in one step. Reading 0x514 gives the signature
"QEMU CFG". Item 0 is the signature "QEMU", item 1 the feature bits (bit 0
traditional interface, bit 1 DMA), item 0x19 the directory of named files (count,
then size/select/name records, all big-endian), whose items start at 0x20.
"""
import struct

SELECTOR_PORT = 0x510
DATA_PORT = 0x511
DMA_PORT = 0x514

SIGNATURE = 0x0000
ID = 0x0001
RAM_SIZE = 0x0003
NB_CPUS = 0x0005
KERNEL_ADDR = 0x0007
KERNEL_SIZE = 0x0008
KERNEL_CMDLINE = 0x0009
INITRD_ADDR = 0x000A
INITRD_SIZE = 0x000B
BOOT_DEVICE = 0x000C
BOOT_MENU = 0x000E                   # u16: show the firmware's boot menu prompt
MAX_CPUS = 0x000F
KERNEL_ENTRY = 0x0010
KERNEL_DATA = 0x0011
INITRD_DATA = 0x0012
CMDLINE_ADDR = 0x0013
CMDLINE_SIZE = 0x0014
CMDLINE_DATA = 0x0015
SETUP_ADDR = 0x0016
SETUP_SIZE = 0x0017
SETUP_DATA = 0x0018
FILE_DIR = 0x0019
FILE_FIRST = 0x0020

FEATURE_TRADITIONAL, FEATURE_DMA = 1, 2
DMA_ERROR, DMA_READ, DMA_SKIP, DMA_SELECT, DMA_WRITE = 0x01, 0x02, 0x04, 0x08, 0x10
DMA_SIGNATURE = b"QEMU CFG"
FILE_NAME_MAX = 56


class FwCfg:
    """mem: the emu.memory.Memory the DMA interface reads descriptors from and copies
    items into."""

    def __init__(self, mem):
        self.mem = mem
        self.items = {}
        self.files = []                 # (name, selector)
        self.add(SIGNATURE, b"QEMU")
        self.add(ID, struct.pack("<I", FEATURE_TRADITIONAL | FEATURE_DMA))
        self._dir()
        self.reset()

    # -- what the emulator provides --------------------------------------------------
    def add(self, key, data):
        self.items[key] = bytes(data)

    def add_u32(self, key, value):
        self.add(key, struct.pack("<I", value))

    def add_file(self, name, data):
        if len(name.encode()) >= FILE_NAME_MAX:
            raise ValueError("fw_cfg file name %r is too long" % name)
        for n, sel in self.files:
            if n == name:
                self.add(sel, data)
                return sel
        sel = FILE_FIRST + len(self.files)
        self.files.append((name, sel))
        self.add(sel, data)
        self._dir()
        return sel

    def _dir(self):
        out = [struct.pack(">I", len(self.files))]
        for name, sel in sorted(self.files):
            out.append(struct.pack(">IHH56s", len(self.items[sel]), sel, 0,
                                   name.encode()))
        self.add(FILE_DIR, b"".join(out))

    # -- the guest's side ------------------------------------------------------------
    def attach(self, bus):
        bus.claim("fw_cfg selector", SELECTOR_PORT, 1, write=self._select_port,
                  widths=(2,))
        bus.claim("fw_cfg data", DATA_PORT, 1, read=self._data_port, widths=(1,))
        bus.claim("fw_cfg dma", DMA_PORT, 8, read=self._dma_read, write=self._dma_write,
                  widths=(1, 4))

    def reset(self):
        self.key = SIGNATURE
        self.offset = 0
        self.dma_addr = 0

    def select(self, key):
        self.key = key & 0xFFFF
        self.offset = 0

    def _select_port(self, port, value, size):
        self.select(value)

    def _data_port(self, port, size):
        data = self.items.get(self.key, b"")
        if self.offset >= len(data):
            return 0
        value = data[self.offset]
        self.offset += 1
        return value

    def _dma_read(self, port, size):
        k = port - DMA_PORT
        return int.from_bytes(DMA_SIGNATURE[k:k + size], "big")

    def _dma_write(self, port, value, size):
        if size != 4:
            return
        # the registers are big-endian: swap the little-endian bus value
        value = int.from_bytes(value.to_bytes(4, "little"), "big")
        if port == DMA_PORT:
            self.dma_addr = (value << 32) | (self.dma_addr & 0xFFFFFFFF)
        elif port == DMA_PORT + 4:
            self.dma_addr = (self.dma_addr & ~0xFFFFFFFF) | value
            self._dma(self.dma_addr)
            self.dma_addr = 0

    def _dma(self, addr):
        """Run one DMA descriptor at guest-physical addr; its control word ends 0 on
        success or with DMA_ERROR set."""
        if addr >> 32:
            return
        control, length, target = struct.unpack(">IIQ", self.mem.read(addr, 16))
        if control & DMA_SELECT:
            self.select(control >> 16)
        error = False
        data = self.items.get(self.key, b"")
        if control & DMA_READ:
            chunk = data[self.offset:self.offset + length]
            chunk += bytes(length - len(chunk))
            if target + length > 1 << 32:
                error = True
            else:
                self.mem.write(target, chunk)
            self.offset += length
        elif control & DMA_SKIP:
            self.offset += length
        elif control & DMA_WRITE:
            error = True                  # no item here is writable
        self.mem.write(addr, struct.pack(">I", DMA_ERROR if error else 0))
