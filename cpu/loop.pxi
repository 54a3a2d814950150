# The run loop, exception entry and interrupt servicing (included by cpu/interp.pyx).
#
# cpu_run executes instructions until the slice budget is used, the CPU halts, a
# triple fault happens or a device asks to stop. The inner loop only compares icount
# with stop_at; anything that needs attention between instructions (an interrupt
# line, STI/MOV SS shadows, single-step, a stop request) calls kick (stop_at = 0) so the loop
# falls into service(), which does the slow checks (debug exceptions: cpu/debug.pxi).
# Faults longjmp to the setjmp in
# cpu_run (Bochs does the same): handlers never test return codes.

cdef enum:
    # how an event entered the CPU (protected-mode delivery rules differ)
    KIND_HW = 0               # external interrupt (INTR, NMI)
    KIND_EXC = 1              # exception (fault or trap)
    KIND_SOFT = 2             # INT n: DPL check, EIP after the instruction
    KIND_SOFT_EXC = 3         # INT3 / INTO: DPL check like INT n
    KIND_ICEBP = 4            # INT1 (F1): like a hardware-caused #DB, no DPL check
    KIND_FAULT = 5            # a fault-class exception: the EFLAGS image has RF = 1


cdef inline bint contributory(int v) noexcept nogil:
    return v == EXC_DE or v == EXC_TS or v == EXC_NP or v == EXC_SS or v == EXC_GP


cdef bint exception_entry(CPUState* s) noexcept nogil:
    """A fault was raised: roll back the instruction and deliver (#DF/triple rules).

    Returns 1 on a triple fault. Intel SDM vol. 3A, 6.15, table 6-5."""
    cdef int vec = s.exc_vec
    cdef uint32_t err = s.exc_err
    cdef bint has_err = s.exc_has_err
    cdef int first
    if s.cur == NULL or s.esp_saved:
        # in a block only the handlers that move ESP before they can fault save it
        # (keep_esp); outside blocks the loop saves it before every instruction
        s.regs[ESP] = s.prev_esp
    s.prev_esp = s.regs[ESP]              # for a fault while this one is delivered
    s.esp_saved = 0
    if s.cur != NULL:
        leave_block(s)
    s.eip = s.prev_eip
    s.tf_trap = 0
    s.db_trap = 0           # breakpoint hits of an instruction that did not complete
    s.icount += 1           # a delivered fault counts, so fault loops end with the budget
    s.halted = 0
    if s.exc_depth:
        first = s.exc_first
        if first == EXC_DF:
            s.exc_depth = 0
            return not intercepted(s, ICPT_SHUTDOWN, 0)
        if ((contributory(first) and contributory(vec)) or
                (first == EXC_PF and (contributory(vec) or vec == EXC_PF))):
            vec = EXC_DF
            err = 0
            has_err = 1
    s.exc_depth = 1
    s.exc_first = vec
    # everything raised here is a fault (the #DB of general detect too), except the
    # double-fault abort; instruction breakpoints come from service() (17.3.1.1)
    do_interrupt(s, vec, has_err, err, KIND_EXC if vec == EXC_DF else KIND_FAULT)
    s.exc_depth = 0
    return 0


cdef void do_interrupt(CPUState* s, int vec, bint has_err, uint32_t err,
                       int kind) noexcept nogil:
    """Transfer control to the handler of vec (IVT in real mode, IDT otherwise)."""
    if kind == KIND_SOFT or kind == KIND_SOFT_EXC or kind == KIND_ICEBP:
        if intercepted(s, ICPT_SOFT_INT, vec):
            return
    elif kind == KIND_EXC or kind == KIND_FAULT:
        s.exc_err = err
        if intercepted(s, ICPT_EXCEPTION, vec):
            return
        if kind == KIND_FAULT:
            # RF = 1 in the frame (or the old TSS) restarts the instruction without
            # its instruction breakpoint firing again (SDM 17.3.1.1); delivery clears it
            s.flags |= F_RF
    elif intercepted(s, ICPT_NMI if vec == EXC_NMI else ICPT_INTR, vec):
        return
    if kind == KIND_SOFT or kind == KIND_SOFT_EXC:
        s.tf_trap = 0
    if s.cr0 & CR0_PE:
        deliver_prot(s, vec, has_err, err, kind)
    else:
        deliver_real(s, vec)
    kick(s)


cdef void deliver_real(CPUState* s, int vec) noexcept nogil:
    cdef uint32_t ip, cs
    if <uint32_t>(vec * 4 + 3) > s.idt_limit:
        gp(s, vec * 8 + 2)
    ip = sys_rd(s, s.idt_base + vec * 4, 2)
    cs = sys_rd(s, s.idt_base + vec * 4 + 2, 2)
    push(s, get_eflags(s) & 0xFFFF, 2)
    push(s, s.seg[SEG_CS].sel, 2)
    push(s, s.eip & 0xFFFF, 2)
    s.flags &= ~(<uint32_t>(F_IF | F_TF | F_AC | F_RF))
    load_seg_real(s, SEG_CS, cs)
    s.eip = ip


cdef int service(CPUState* s) noexcept nogil:
    """Between instructions, in the priority order of SDM 6.9: traps of the previous
    instruction, stop requests, SMI, interrupts, then instruction breakpoints of the
    next one. Returns a STOP_* or 0."""
    cdef int vec
    if (s.tf_trap or s.db_trap) and s.icount >= s.db_hold_until:
        debug_trap(s)
    if s.pending & PEND_STOP:
        return STOP_REQUEST
    if s.icount >= s.slice_end:
        return STOP_SLICE
    if (s.pending & PEND_SMI) and not s.in_smm:
        # SMI ranks above traps of the previous instruction (SDM 6.9); delivering
        # those first is the same as the SMI coming one boundary later. A HLT ends:
        # the save area's auto HALT restart flag returns to it (cpu/smm.pxi).
        smm_enter(s)
    if s.icount >= s.inhibit_until:
        if (s.pending & PEND_NMI) and not s.nmi_blocked:
            s.pending &= ~PEND_NMI
            s.nmi_blocked = 1
            wake_and_deliver(s, EXC_NMI)
        elif s.intr and (s.flags & F_IF):
            x87_release(s)             # a call into Python (cpu/x87_host.pxi)
            vec = s.intr_ack(s.io_ctx)
            if vec >= 0:
                wake_and_deliver(s, vec)
    if s.halted:
        return STOP_HLT
    if s.db_trap and s.icount >= s.db_hold_until:
        # raised by a delivery above (the T bit of a handler task, a breakpoint on the
        # frame): taken before the handler's first instruction. It counts as one, so
        # a #DB that raises itself forever (T set in the #DB task, 17.3.1.5) ends.
        s.icount += 1
        debug_trap(s)
        return 0
    if s.flags & F_RF:
        # RF suppresses this instruction's breakpoints and is cleared as it completes
        # (17.3.1.1); clearing it now is the same: an instruction that loads EFLAGS
        # sets RF itself, and a fault's frame has RF = 1 in any case
        s.flags &= ~(<uint32_t>F_RF)
    elif s.bp_exec and s.icount >= s.db_hold_until and insn_breakpoint(s):
        # (not in a MOV SS shadow: "POP SS/MOV SS will inhibit" them, 17.3.1.1)
        return 0                          # stop_at = 0: again at the handler
    s.stop_at = s.slice_end
    if s.icount < s.inhibit_until < s.stop_at:
        s.stop_at = s.inhibit_until
    if s.flags & F_TF:
        s.tf_trap = 1
    if s.tf_trap or s.db_trap or s.bp_exec:
        s.stop_at = s.icount + 1          # held-back traps, next breakpoint check
    return 0


cdef void wake_and_deliver(CPUState* s, int vec) noexcept nogil:
    s.halted = 0
    s.prev_eip = s.eip
    s.prev_esp = s.regs[ESP]
    s.exc_depth = 1
    s.exc_first = -1                      # external: later faults are handled serially
    do_interrupt(s, vec, 0, 0, KIND_HW)
    s.exc_depth = 0


cdef inline uint64_t cur_icount(CPUState* s) noexcept nogil:
    """Instructions retired before the one executing (exact inside a block too)."""
    if s.cur != NULL:
        return s.icount + <uint64_t>(s.cur - s.blk_first)
    return s.icount


cdef inline uint32_t insn_eip(CPUState* s) noexcept nogil:
    """EIP of the instruction executing (exact inside a block too)."""
    if s.cur != NULL:
        return s.blk_eip + (s.cur.pa - s.blk_first.pa)
    return s.prev_eip


cdef inline void kick(CPUState* s) noexcept nogil:
    """Make the run loop stop after the instruction executing (interrupts, stop
    requests, writes to cached code, breakpoint hits, mode changes): service() looks at
    what it has to do then. In a block this moves blk_stop, where the block loop and
    the threaded handlers (chain) stop, so no instruction tests stop_at."""
    s.stop_at = 0
    if s.cur != NULL:
        s.blk_stop = s.cur + 1


cdef inline void chain(CPUState* s, Insn* i) noexcept nogil:
    """The end of a threaded handler (cpu/gen_fast.py): jump straight to the next
    instruction's handler, as the block loop would call it, unless that is blk_stop."""
    cdef Insn* n = i + 1
    if n != s.blk_stop:
        s.cur = n
        n.fn(s, n)                        # a tail call: the compiler makes it a jump


cdef inline void keep_esp(CPUState* s) noexcept nogil:
    """For a handler that changes ESP and may fault afterwards (POP r/m, PUSHA, ENTER
    among those that go on in a block): ESP is put back if it faults. It clears
    esp_saved when it completes."""
    s.prev_esp = s.regs[ESP]
    s.esp_saved = 1


cdef inline void leave_block(CPUState* s) noexcept nogil:
    """Make icount, eip and prev_eip exact for the instruction at cur (it executes,
    or faulted, or asked to run again) and leave block mode."""
    s.icount += <uint64_t>(s.cur - s.blk_first)
    s.prev_eip = s.blk_eip + (s.cur.pa - s.blk_first.pa)
    s.eip = (s.prev_eip + s.cur.len) & s.eip_mask
    s.cur = NULL


cdef void execute(CPUState* s) noexcept nogil:
    """Run instructions until icount reaches stop_at. Faults longjmp from here to
    cpu_run; keeping this loop out of the function that calls setjmp lets the
    compiler keep its variables in registers.

    A block (cpu/decode.pxi: in one page, inside the CS limit, no EIP wrap) runs all
    but its last instruction with only s.cur kept up to date (ESP for a fault: see
    keep_esp): icount,
    eip and prev_eip are made exact when the block ends (leave_block), when a fault
    is delivered (exception_entry), and by cur_icount()/insn_eip() for the few
    handlers and devices that look at them mid-block. Only a control transfer or the
    last instruction of a block can change EIP; anything that needs the loop to stop
    (an interrupt, a stop request, a write to cached code, a breakpoint hit) calls
    kick(), which ends the block after the current instruction."""
    cdef Insn* i
    cdef Insn* last
    cdef Block* b
    cdef Block* prev = NULL            # the block that ran last, to link to the next
    cdef Block* nb = NULL              # the next block, found through a link
    cdef uint32_t eip0
    cdef int k
    while s.icount < s.stop_at:
        if nb != NULL:
            b = nb
        else:
            s.prev_eip = s.eip         # a fetch fault belongs to this instruction
            s.prev_esp = s.regs[ESP]
            b = fetch_block(s)
            if prev != NULL and b != NULL:
                k = 1 if prev.link_epoch[0] == s.chain_epoch else 0
                prev.link[k] = b
                prev.link_eip[k] = s.eip
                prev.link_epoch[k] = s.chain_epoch
        prev = NULL
        nb = NULL
        if b == NULL or s.icount + b.n > s.stop_at:
            # one instruction at a time: no block here, or a stop due inside it
            s.prev_eip = s.eip
            s.prev_esp = s.regs[ESP]
            i = fetch_insn(s)
            s.eip = (s.eip + i.len) & s.eip_mask
            s.blk_stop = i + 1
            i.fn(s, i)
            s.icount += 1
            continue
        i = b.ifirst
        last = i + b.n - 1
        eip0 = s.eip
        s.blk_first = i
        s.blk_eip = eip0
        s.blk_stop = last
        while i != s.blk_stop:
            s.cur = i
            i.fn(s, i)                 # threaded handlers go on themselves (chain)
            i = s.cur + 1
        if i != last or s.stop_at == 0:
            # stopped before the last instruction (kick, or an x87 freeze: cur_redo)
            s.cur = i
            if s.cur_redo:
                s.cur_redo = 0
                s.cur = i - 1
            leave_block(s)
            s.eip = s.prev_eip
            continue
        # the last instruction (maybe a control transfer) runs with exact state
        s.cur = NULL
        s.icount += b.n - 1
        s.prev_eip = eip0 + b.bytes - i.len
        s.prev_esp = s.regs[ESP]
        s.eip = eip0 + b.bytes
        s.blk_stop = i + 1
        i.fn(s, i)
        s.icount += 1
        # where the block went: a link skips the TLB and block table lookups
        if b.link_epoch[0] == s.chain_epoch and b.link_eip[0] == s.eip:
            nb = b.link[0]
        elif b.link_epoch[1] == s.chain_epoch and b.link_eip[1] == s.eip:
            nb = b.link[1]
        else:
            prev = b


cdef int cpu_run(CPUState* s, uint64_t budget) noexcept nogil:
    cdef int r
    s.slice_end = s.icount + budget
    kick(s)
    hx_run_begin(s.hx)             # the x87 keeps the guest's control word (cpu/fpu.pxi)
    if setjmp(s.jb):
        if exception_entry(s):
            x87_release(s)
            hx_run_end(s.hx)
            s.stop_reason = STOP_TRIPLE
            return STOP_TRIPLE
    while True:
        r = service(s)
        if r:
            x87_release(s)
            hx_run_end(s.hx)
            s.stop_reason = r
            return r
        execute(s)
