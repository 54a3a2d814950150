# The debug architecture (included by cpu/interp.pyx): DR0-DR3 breakpoints enabled by
# DR7, the #DB conditions DR6 reports, and the debug traps (single step, breakpoints,
# the TSS T bit). Intel SDM vol. 3A ch. 17; MOV SS shadow 6.8.3.
#
# Zero cost while DR7 enables nothing. update_breakpoints() turns DR7 into one mask per
# kind (CPUState.bp_*, bit n: DRn). Instruction breakpoints make the run loop go
# through service() before every instruction, like TF does. Data breakpoints send
# every data access down the slow path (update_perms masks the fast-path
# permissions), where rd_slow/wr_slow and the supervisor accesses call watch(); port
# accesses call watch_io(). A hit adds its DR6 bit to db_trap and kicks the loop:
# the #DB trap is taken in service() once the instruction completes (17.3.1.2).

cdef enum:
    DR6_FIXED = 0xFFFF0FF0U                # reserved bits that read as one
    DR6_WRITABLE = 0xE00F                  # B0-B3, BD, BS, BT
    DR6_B = 0xF                            # B0-B3: which breakpoint conditions were met
    DR6_BD = 0x2000                        # general detect
    DR6_BS = 0x4000                        # single step
    DR6_BT = 0x8000                        # task switch to a TSS with T set
    DR7_FIXED = 0x400
    DR7_WRITABLE = 0xFFFF23FFU
    DR7_L = 0x55                           # L0-L3: cleared by every task switch (17.2.4)
    DR7_GD = 0x2000
    # DR7 R/W field values
    RW_EXEC = 0
    RW_WRITE = 1
    RW_IO = 2                              # with CR4.DE; undefined without
    RW_ACCESS = 3                          # data reads and writes
    TSS32_T = 0x64                         # 32-bit TSS word whose bit 0 is T


cdef void update_breakpoints(CPUState* s) noexcept nogil:
    """Re-derive the bp_* masks after a change to DR7 or CR4.DE (SDM 17.2.4, 17.2.5).
    Encodings the SDM leaves undefined enable nothing: an instruction breakpoint with
    LEN other than 00, R/W = 10 without CR4.DE."""
    cdef uint32_t dr7 = s.dr[7], rw, bit
    cdef int n
    s.bp_exec = s.bp_write = s.bp_read = s.bp_io = 0
    for n in range(4):
        if not ((dr7 >> (2 * n)) & 3):
            continue
        rw = (dr7 >> (16 + 4 * n)) & 3
        bit = 1 << n
        if rw == RW_EXEC:
            if not ((dr7 >> (18 + 4 * n)) & 3):
                s.bp_exec |= bit
        elif rw == RW_WRITE:
            s.bp_write |= bit
        elif rw == RW_ACCESS:
            s.bp_write |= bit
            s.bp_read |= bit
        elif s.cr4 & CR4_DE:
            s.bp_io |= bit
    update_perms(s)
    kick(s)


cdef inline uint32_t bp_size(CPUState* s, int n) noexcept nogil:
    """Bytes covered by DRn: LEN 00, 01, 11 are 1, 2, 4 bytes; 10 is undefined on P6
    and means 8 bytes on later processors (17.2.5), which is what it means here."""
    cdef uint32_t ln = (s.dr[7] >> (18 + 4 * n)) & 3
    return 8 if ln == 2 else ln + 1


cdef uint32_t bp_hits(CPUState* s, uint32_t mask, uint32_t addr, int size) noexcept nogil:
    """The breakpoints in mask whose range (DRn aligned down to its size, 17.2.5)
    overlaps addr..addr+size-1."""
    cdef uint32_t hits = 0, n_size, start
    cdef int n
    for n in range(4):
        if (mask >> n) & 1:
            n_size = bp_size(s, n)
            start = s.dr[n] & ~(n_size - 1)
            if addr - start < n_size or start - addr < <uint32_t>size:
                hits |= <uint32_t>1 << n
    return hits


cdef void data_breakpoints(CPUState* s, uint32_t lin, int size, bint write) noexcept nogil:
    cdef uint32_t hits = bp_hits(s, s.bp_write if write else s.bp_read, lin, size)
    if hits:
        s.db_trap |= hits
        kick(s)


cdef inline void watch(CPUState* s, uint32_t lin, int size, bint write) noexcept nogil:
    """A data access of size bytes at linear lin: data breakpoints (bp_read is a subset
    of bp_write, so one test says whether any may match)."""
    if s.bp_write:
        data_breakpoints(s, lin, size, write)


cdef inline void watch_io(CPUState* s, uint32_t port, int size) noexcept nogil:
    """A port access (IN, OUT, INS, OUTS): I/O breakpoints, traps like data ones."""
    cdef uint32_t hits
    if s.bp_io:
        hits = bp_hits(s, s.bp_io, port, size)
        if hits:
            s.db_trap |= hits
            kick(s)


cdef void deliver_db(CPUState* s) noexcept nogil:
    """#DB at the current instruction boundary; a fault while delivering it is handled
    serially (#DB is benign, SDM 6.15 table 6-5)."""
    s.prev_eip = s.eip
    s.prev_esp = s.regs[ESP]
    s.exc_depth = 1
    s.exc_first = EXC_DB
    do_interrupt(s, EXC_DB, 0, 0, KIND_EXC)
    s.exc_depth = 0


cdef void debug_trap(CPUState* s) noexcept nogil:
    """The #DB trap of the previous instruction: single step, data and I/O breakpoints
    and the T bit come as one exception, DR6 telling which (17.3.1.2-17.3.1.5). B0-B3
    are replaced when breakpoints matched; the other DR6 bits accumulate."""
    cdef uint32_t bits = s.db_trap
    if s.tf_trap:
        bits |= DR6_BS
    s.tf_trap = 0
    s.db_trap = 0
    if bits & DR6_B:
        s.dr[6] &= ~(<uint32_t>DR6_B)
    s.dr[6] |= bits
    deliver_db(s)


cdef bint insn_breakpoint(CPUState* s) noexcept nogil:
    """Instruction breakpoints on the instruction at CS:EIP (its first byte, prefixes
    included): a fault before it executes (17.3.1.1). Returns 1 when #DB was delivered.
    The pushed RF is 0: the handler sets it in the frame to go on without a repeat."""
    cdef uint32_t lin = s.seg[SEG_CS].base + s.eip
    cdef uint32_t hits = 0
    cdef int n
    for n in range(4):
        if (s.bp_exec >> n) & 1 and s.dr[n] == lin:
            hits |= <uint32_t>1 << n
    if not hits:
        return 0
    s.dr[6] = (s.dr[6] & ~(<uint32_t>DR6_B)) | hits
    s.icount += 1           # a delivered fault counts, as in exception_entry
    deliver_db(s)
    return 1
