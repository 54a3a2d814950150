# Physical address space of the machine: RAM, ROM and MMIO windows, per 4 KiB page.
# The C struct is shared with the CPU (cpu/interp.pyx), which reads it on TLB fills.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef enum:
    PAGE_SHIFT = 12
    NPAGES = 1 << 20          # 4 GiB / 4 KiB
    PG_ROM = 1                # read-only: writes are dropped
    PG_MMIO = 2               # no host memory: every access calls the MMIO handler
    PG_CODE = 4               # the CPU holds decoded instructions from this page

ctypedef uint32_t (*mmio_read_t)(void* ctx, uint32_t addr, int size) noexcept nogil
ctypedef void (*mmio_write_t)(void* ctx, uint32_t addr, uint32_t val, int size) noexcept nogil
ctypedef void (*code_write_t)(void* ctx, uint32_t page) noexcept nogil
ctypedef void (*remap_t)(void* ctx) noexcept nogil

ctypedef struct PhysMem:
    uint8_t* ram
    uint64_t ram_size
    uint8_t** page_host       # host address of each page, NULL for MMIO/unmapped
    uint8_t* page_flags       # PG_* bits of each page
    mmio_read_t mmio_read
    mmio_write_t mmio_write
    void* mmio_ctx
    code_write_t code_write   # set by the CPU: a write hit a PG_CODE page
    void* code_ctx
    remap_t remap             # set by the CPU: the page map changed (flush the TLB)


cdef class Memory:
    cdef PhysMem pm
    cdef dict page_dev         # page number -> MMIO device
    cdef list roms             # keeps ROM and device buffers alive
    cdef object mmio_error     # first exception raised by a device handler
    cdef uint32_t phys_read(self, uint32_t addr, int size) noexcept nogil
    cdef void phys_write(self, uint32_t addr, uint32_t val, int size) noexcept nogil
    cdef void _set_page(self, uint32_t page, uint8_t* host, uint8_t flags)
    cdef void _remapped(self)
