# Port I/O: IN and OUT with the IOPL / I/O-permission-bitmap check (included by
# cpu/interp.pyx). INS/OUTS are in cpu/ops_string.pxi and use the same helpers.

cdef inline void check_io(CPUState* s, uint32_t port, int size) noexcept nogil:
    """#GP(0) unless the current privilege may access the ports (SDM vol. 1, 19.5)."""
    if (s.cr0 & CR0_PE) and (s.v86 or s.cpl > ((s.flags & F_IOPL) >> 12)):
        if not io_bitmap_allows(s, port, size):
            gp(s, 0)


cdef inline uint32_t port_read(CPUState* s, uint32_t port, int size) noexcept nogil:
    return s.port_in(s.io_ctx, <uint16_t>port, size) & size_mask(8 * size)


cdef inline void port_write(CPUState* s, uint32_t port, uint32_t v, int size) noexcept nogil:
    s.port_out(s.io_ctx, <uint16_t>port, v & size_mask(8 * size), size)


cdef void op_in_AL_Ib(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, i.imm, 1)
    set_reg(s, EAX, port_read(s, i.imm, 1), 1)


cdef void op_in_eAX_Ib(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, i.imm, i.osize)
    set_reg(s, EAX, port_read(s, i.imm, i.osize), i.osize)


cdef void op_out_Ib_AL(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, i.imm, 1)
    port_write(s, i.imm, s.regs[EAX], 1)


cdef void op_out_Ib_eAX(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, i.imm, i.osize)
    port_write(s, i.imm, s.regs[EAX], i.osize)


cdef void op_in_AL_DX(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, s.regs[EDX] & 0xFFFF, 1)
    set_reg(s, EAX, port_read(s, s.regs[EDX] & 0xFFFF, 1), 1)


cdef void op_in_eAX_DX(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, s.regs[EDX] & 0xFFFF, i.osize)
    set_reg(s, EAX, port_read(s, s.regs[EDX] & 0xFFFF, i.osize), i.osize)


cdef void op_out_DX_AL(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, s.regs[EDX] & 0xFFFF, 1)
    port_write(s, s.regs[EDX] & 0xFFFF, s.regs[EAX], 1)


cdef void op_out_DX_eAX(CPUState* s, Insn* i) noexcept nogil:
    check_io(s, s.regs[EDX] & 0xFFFF, i.osize)
    port_write(s, s.regs[EDX] & 0xFFFF, s.regs[EAX], i.osize)
