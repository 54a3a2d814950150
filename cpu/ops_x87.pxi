# x87 escape opcodes D8-DF and FWAIT (included by cpu/interp.pyx).
# No FPU yet (CPUID does not advertise one): an ESC instruction raises #NM when CR0.EM
# or CR0.TS ask for it (SDM vol. 3A, 2.5), #UD otherwise; FWAIT is a no-op unless
# CR0.MP and CR0.TS are both set.

cdef void op_esc(CPUState* s, Insn* i) noexcept nogil:
    if s.cr0 & (CR0_EM | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
    ud(s)


cdef void op_fwait(CPUState* s, Insn* i) noexcept nogil:
    if (s.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS):
        raise_exc(s, EXC_NM, 0, 0)
