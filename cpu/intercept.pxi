# The one intercept point (included by cpu/interp.pyx).
#
# Every instruction or event that VMX or SVM can trap calls intercepted() after its own
# fault checks (those have priority over a VM exit, SDM vol. 3C, 25.1.1) and before it
# has any effect. With no intercepts set this costs one bit test. A handler returning 1
# took the event over: the instruction completes without its own effect (the VMX/SVM
# layer will switch to the host there; a debugger may just observe and return 0).

cdef inline bint intercepted(CPUState* s, int reason, uint32_t qual) noexcept nogil:
    if ((s.intercepts >> reason) & 1) != 0:
        x87_release(s)               # a call into Python (cpu/x87_host.pxi)
        if s.intercept_fn(s.intercept_ctx, reason, qual):
            kick(s)                  # the state may have changed: leave the block
            return 1
    return 0


cdef inline bint io_intercepted(CPUState* s, uint32_t port, int size, bint is_in,
                                bint string) noexcept nogil:
    return intercepted(s, ICPT_IO, port | (size << 16) | (is_in << 20) | (string << 21))
