from cpu.state cimport CPUState
from emu.memory cimport Memory


cdef class CPU:
    cdef CPUState* s
    cdef Memory mem
    cdef public object io
    cdef public object intc
    cdef object error
    cdef object intercept_cb
    cdef object apic
    cdef public object on_ferr
    cdef public object on_smm
