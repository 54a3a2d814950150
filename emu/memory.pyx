# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Physical memory: owns guest RAM and ROM images and routes MMIO windows to devices.

Guest RAM is one calloc'd C buffer; the CPU and DMA-capable devices get views of it.
Every 4 KiB page has a host pointer (RAM, ROM or a device buffer such as a linear
framebuffer) or none (MMIO/unmapped) and flag bits. Unmapped addresses read as all ones
and ignore writes, as on a PC bus.

The map can change while the guest runs (PCI BARs, the i440FX PAM shadow registers):
every change invalidates decoded instructions on the pages it touches and tells the
CPU to drop its TLB, whose entries hold host pointers.
"""
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef uint32_t _mmio_read(void* ctx, uint32_t addr, int size) noexcept nogil:
    with gil:
        return (<Memory>ctx)._dispatch_read(addr, size)


cdef void _mmio_write(void* ctx, uint32_t addr, uint32_t val, int size) noexcept nogil:
    with gil:
        (<Memory>ctx)._dispatch_write(addr, val, size)


cdef class Memory:
    def __cinit__(self, uint64_t ram_size):
        if ram_size == 0 or ram_size > 0xE0000000 or ram_size & 0xFFF:
            raise ValueError("RAM size must be a multiple of 4 KiB, between 4 KiB and 3.5 GiB")
        self.pm.ram = <uint8_t*>calloc(ram_size, 1)
        self.pm.page_host = <uint8_t**>calloc(NPAGES, sizeof(uint8_t*))
        self.pm.page_flags = <uint8_t*>calloc(NPAGES, 1)
        if not self.pm.ram or not self.pm.page_host or not self.pm.page_flags:
            raise MemoryError("cannot allocate %d MiB of guest RAM" % (ram_size >> 20))
        self.pm.ram_size = ram_size
        self.pm.mmio_read = _mmio_read
        self.pm.mmio_write = _mmio_write
        self.pm.mmio_ctx = <void*>self
        self.page_dev = {}
        self.roms = []
        self.mmio_error = None
        cdef uint64_t p
        for p in range(ram_size >> PAGE_SHIFT):
            self.pm.page_host[p] = self.pm.ram + (p << PAGE_SHIFT)
        for p in range(ram_size >> PAGE_SHIFT, NPAGES):
            self.pm.page_flags[p] = PG_MMIO

    def __dealloc__(self):
        free(self.pm.ram)
        free(self.pm.page_host)
        free(self.pm.page_flags)

    @property
    def ram_size(self):
        return self.pm.ram_size

    cdef void _set_page(self, uint32_t page, uint8_t* host, uint8_t flags):
        if self.pm.page_flags[page] & PG_CODE and self.pm.code_write:
            self.pm.code_write(self.pm.code_ctx, page)
        self.pm.page_host[page] = host
        self.pm.page_flags[page] = flags
        if not flags & PG_MMIO:
            self.page_dev.pop(page, None)

    cdef void _remapped(self):
        if self.pm.remap:
            self.pm.remap(self.pm.code_ctx)

    @staticmethod
    def _check_window(uint64_t addr, uint64_t size, what):
        if addr & 0xFFF or size & 0xFFF or size == 0:
            raise ValueError("%s must be page aligned and a whole number of pages" % what)
        if addr + size > (<uint64_t>1 << 32):
            raise ValueError("%s does not fit below 4 GiB" % what)

    def map_rom(self, uint32_t addr, bytes data):
        """Map a copy of `data` read-only at physical `addr` (page aligned, whole pages)."""
        buf = bytearray(data)
        self.map_buffer(addr, buf, readonly=True)

    def map_buffer(self, uint32_t addr, buf, Py_ssize_t offset=0, size=None,
                   bint readonly=False):
        """Show `buf` (a bytearray the caller keeps; from `offset`, `size` bytes) as guest
        pages at `addr`: a device's memory that the CPU reads and writes directly."""
        cdef Py_ssize_t n = len(buf) - offset if size is None else size
        self._check_window(addr, n, "a memory window")
        if offset < 0 or offset & 0xFFF or offset + n > len(buf):
            raise ValueError("buffer window outside the buffer")
        self.roms.append(buf)
        cdef uint8_t* host = <uint8_t*>(<char*>buf) + offset
        cdef uint32_t i
        for i in range(n >> PAGE_SHIFT):
            self._set_page((addr >> PAGE_SHIFT) + i, host + (<uint64_t>i << PAGE_SHIFT),
                           PG_ROM if readonly else 0)
        self._remapped()

    def map_ram(self, uint32_t addr, uint32_t size):
        """Give [addr, addr+size) back to the guest RAM at the same addresses."""
        self._check_window(addr, size, "a RAM window")
        if <uint64_t>addr + size > self.pm.ram_size:
            raise ValueError("RAM window %#x+%#x is beyond the RAM size" % (addr, size))
        cdef uint32_t i
        for i in range(size >> PAGE_SHIFT):
            self._set_page((addr >> PAGE_SHIFT) + i, self.pm.ram + addr + (i << PAGE_SHIFT), 0)
        self._remapped()

    def map_mmio(self, uint32_t addr, uint32_t size, device):
        """Route [addr, addr+size) to device.mmio_read(addr, size) / mmio_write(addr, val, size)."""
        self._check_window(addr, size, "an MMIO window")
        cdef uint32_t i
        for i in range(size >> PAGE_SHIFT):
            self._set_page((addr >> PAGE_SHIFT) + i, NULL, PG_MMIO)
            self.page_dev[(addr >> PAGE_SHIFT) + i] = device
        self._remapped()

    def unmap(self, uint32_t addr, uint32_t size):
        """Nothing at [addr, addr+size): reads float high, writes are ignored."""
        self._check_window(addr, size, "an unmapped window")
        cdef uint32_t i
        for i in range(size >> PAGE_SHIFT):
            self._set_page((addr >> PAGE_SHIFT) + i, NULL, PG_MMIO)
            self.page_dev.pop((addr >> PAGE_SHIFT) + i, None)
        self._remapped()

    def ram_view(self):
        """A writable memoryview of all guest RAM (for DMA straight into RAM)."""
        return <uint8_t[:self.pm.ram_size]>self.pm.ram

    def _find(self, uint32_t addr):
        return self.page_dev.get(addr >> PAGE_SHIFT)

    def _dispatch_read(self, uint32_t addr, int size):
        dev = self._find(addr)
        if dev is None:
            return (1 << (8 * size)) - 1
        try:
            return dev.mmio_read(addr, size) & ((1 << (8 * size)) - 1)
        except BaseException as e:       # reported by the run loop, never lost
            if self.mmio_error is None:
                self.mmio_error = e
            return 0

    def _dispatch_write(self, uint32_t addr, uint32_t val, int size):
        dev = self._find(addr)
        if dev is None:
            return
        try:
            dev.mmio_write(addr, val, size)
        except BaseException as e:
            if self.mmio_error is None:
                self.mmio_error = e

    def take_error(self):
        e = self.mmio_error
        self.mmio_error = None
        return e

    cdef uint32_t phys_read(self, uint32_t addr, int size) noexcept nogil:
        cdef uint32_t v = 0
        cdef int k
        cdef uint8_t* h
        for k in range(size):
            h = self.pm.page_host[(addr + k) >> PAGE_SHIFT]
            if h:
                v |= (<uint32_t>h[(addr + k) & 0xFFF]) << (8 * k)
            else:
                v |= (self.pm.mmio_read(self.pm.mmio_ctx, addr + k, 1) & 0xFF) << (8 * k)
        return v

    cdef void phys_write(self, uint32_t addr, uint32_t val, int size) noexcept nogil:
        cdef int k
        cdef uint32_t a
        cdef uint8_t f
        for k in range(size):
            a = addr + k
            f = self.pm.page_flags[a >> PAGE_SHIFT]
            if f & PG_CODE and self.pm.code_write:
                self.pm.code_write(self.pm.code_ctx, a >> PAGE_SHIFT)
            if f & PG_ROM:
                continue
            if f & PG_MMIO:
                self.pm.mmio_write(self.pm.mmio_ctx, a, (val >> (8 * k)) & 0xFF, 1)
            else:
                self.pm.page_host[a >> PAGE_SHIFT][a & 0xFFF] = (val >> (8 * k)) & 0xFF

    # -- Python-side access for loaders, devices doing DMA, and tests -----------------
    def read(self, uint32_t addr, Py_ssize_t n):
        cdef bytearray out = bytearray(n)
        cdef Py_ssize_t k
        for k in range(n):
            out[k] = self.phys_read(addr + <uint32_t>k, 1)
        return bytes(out)

    def write(self, uint32_t addr, data):
        """Write bytes as a bus master would (ROM pages keep their contents)."""
        cdef Py_ssize_t k
        cdef const uint8_t[:] mv = memoryview(bytes(data))
        for k in range(mv.shape[0]):
            self.phys_write(addr + <uint32_t>k, mv[k], 1)

    def load(self, uint32_t addr, data):
        """Store bytes straight into RAM/ROM backing (firmware loading; ignores PG_ROM)."""
        cdef Py_ssize_t k
        cdef const uint8_t[:] mv = memoryview(bytes(data))
        cdef uint8_t* h
        for k in range(mv.shape[0]):
            h = self.pm.page_host[(addr + k) >> PAGE_SHIFT]
            if h == NULL:
                raise ValueError("load at %#x: no RAM or ROM there" % (addr + k))
            h[(addr + k) & 0xFFF] = mv[k]
            if self.pm.page_flags[(addr + k) >> PAGE_SHIFT] & PG_CODE and self.pm.code_write:
                self.pm.code_write(self.pm.code_ctx, (addr + k) >> PAGE_SHIFT)
