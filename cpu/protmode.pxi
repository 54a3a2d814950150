# Protected-mode mechanics (included by cpu/interp.pyx): descriptor loading, far
# transfers through gates, interrupt delivery through the IDT, IRET, task switches,
# the I/O permission bitmap.  PLACEHOLDER: being replaced in this session.

cdef void load_seg_prot(CPUState* s, int sg, uint16_t sel) noexcept nogil:
    gp(s, sel & 0xFFFC)


cdef void far_jump_prot(CPUState* s, uint16_t sel, uint32_t off, int osize) noexcept nogil:
    gp(s, sel & 0xFFFC)


cdef void far_call_prot(CPUState* s, uint16_t sel, uint32_t off, int osize) noexcept nogil:
    gp(s, sel & 0xFFFC)


cdef void far_ret_prot(CPUState* s, int osize, uint32_t imm) noexcept nogil:
    gp(s, 0)


cdef void iret_prot(CPUState* s, int osize) noexcept nogil:
    gp(s, 0)


cdef void deliver_prot(CPUState* s, int vec, bint has_err, uint32_t err, int kind) noexcept nogil:
    gp(s, vec * 8 + 2)


cdef bint io_bitmap_allows(CPUState* s, uint32_t port, int size) noexcept nogil:
    return 0
