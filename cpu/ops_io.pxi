# Port I/O: IN and OUT with the IOPL / I/O-permission-bitmap check (included by
# cpu/interp.pyx). INS/OUTS are in cpu/ops_string.pxi and use the same helpers.

cdef inline void check_io(CPUState* s, uint32_t port, int size) noexcept nogil:
    """#GP(0) unless the current privilege may access the ports (SDM vol. 1, 19.5)."""
    if (s.cr0 & CR0_PE) and (s.v86 or s.cpl > ((s.flags & F_IOPL) >> 12)):
        if not io_bitmap_allows(s, port, size):
            gp(s, 0)


cdef inline uint32_t port_read(CPUState* s, uint32_t port, int size) noexcept nogil:
    watch_io(s, port, size)
    x87_release(s)                        # a call into Python (cpu/x87_host.pxi)
    return s.port_in(s.io_ctx, <uint16_t>port, size) & size_mask(8 * size)


cdef inline void port_write(CPUState* s, uint32_t port, uint32_t v, int size) noexcept nogil:
    watch_io(s, port, size)
    x87_release(s)
    s.port_out(s.io_ctx, <uint16_t>port, v & size_mask(8 * size), size)


cdef inline void port_in(CPUState* s, uint32_t port, int size) noexcept nogil:
    """IN: permission, intercept point, then the transfer into AL/AX/EAX."""
    check_io(s, port, size)
    if io_intercepted(s, port, size, 1, 0):
        return
    set_reg(s, EAX, port_read(s, port, size), size)


cdef inline void port_out(CPUState* s, uint32_t port, int size) noexcept nogil:
    check_io(s, port, size)
    if io_intercepted(s, port, size, 0, 0):
        return
    port_write(s, port, s.regs[EAX], size)


cdef void op_in_AL_Ib(CPUState* s, Insn* i) noexcept nogil:
    port_in(s, i.imm, 1)


cdef void op_in_eAX_Ib(CPUState* s, Insn* i) noexcept nogil:
    port_in(s, i.imm, i.osize)


cdef void op_out_Ib_AL(CPUState* s, Insn* i) noexcept nogil:
    port_out(s, i.imm, 1)


cdef void op_out_Ib_eAX(CPUState* s, Insn* i) noexcept nogil:
    port_out(s, i.imm, i.osize)


cdef void op_in_AL_DX(CPUState* s, Insn* i) noexcept nogil:
    port_in(s, s.regs[EDX] & 0xFFFF, 1)


cdef void op_in_eAX_DX(CPUState* s, Insn* i) noexcept nogil:
    port_in(s, s.regs[EDX] & 0xFFFF, i.osize)


cdef void op_out_DX_AL(CPUState* s, Insn* i) noexcept nogil:
    port_out(s, s.regs[EDX] & 0xFFFF, 1)


cdef void op_out_DX_eAX(CPUState* s, Insn* i) noexcept nogil:
    port_out(s, s.regs[EDX] & 0xFFFF, i.osize)
