# Decimal adjust: DAA DAS AAA AAS AAM AAD (included by cpu/interp.pyx).
# Semantics from the Intel SDM vol. 2A pseudocode of each instruction. Flags the SDM
# leaves undefined are set deterministically as noted per instruction.

cdef void op_daa(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t old_al = s.regs[EAX] & 0xFF, al = old_al
    cdef uint32_t old_cf = get_cf(s), af = get_af(s), cf
    if (al & 0x0F) > 9 or af:
        al += 6                            # its carry-out implies old_al > 0x99 below
        af = 1
    else:
        af = 0
    if old_al > 0x99 or old_cf:
        al += 0x60
        cf = 1
    else:
        cf = 0
    al &= 0xFF
    set_reg(s, EAX, al, 1)
    # OF (undefined): signed overflow of the whole adjustment, as an ADD
    set_arith_flags(s, szp_flags(al, 8) | cf | (af << 4) |
                    (F_OF if (~old_al & al & 0x80) else 0))


cdef void op_das(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t old_al = s.regs[EAX] & 0xFF, al = old_al
    cdef uint32_t old_cf = get_cf(s), af = get_af(s), cf = 0
    if (al & 0x0F) > 9 or af:
        cf = old_cf | (al < 6)
        al -= 6
        af = 1
    else:
        af = 0
    if old_al > 0x99 or old_cf:
        al -= 0x60
        cf = 1
    al &= 0xFF
    set_reg(s, EAX, al, 1)
    # OF (undefined): signed overflow of the whole adjustment, as a SUB
    set_arith_flags(s, szp_flags(al, 8) | cf | (af << 4) |
                    (F_OF if (old_al & ~al & 0x80) else 0))


cdef inline void ascii_adjust(CPUState* s, bint sub) noexcept nogil:
    """AAA / AAS. SF, ZF, PF, OF are undefined: set from AL like a logic result."""
    cdef uint32_t ax = s.regs[EAX] & 0xFFFF
    cdef uint32_t adj = (ax & 0x0F) > 9 or get_af(s)
    if adj:
        # P6: AX +/- 6 carries/borrows into AH (unlike the 8086's AL-only add)
        ax = (ax - 0x106) if sub else (ax + 0x106)
    ax &= 0xFF0F
    set_reg(s, EAX, ax, 2)
    set_arith_flags(s, szp_flags(ax, 8) | (adj * (F_CF | F_AF)))


cdef void op_aaa(CPUState* s, Insn* i) noexcept nogil:
    ascii_adjust(s, 0)


cdef void op_aas(CPUState* s, Insn* i) noexcept nogil:
    ascii_adjust(s, 1)


cdef void op_aam(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t base = i.imm & 0xFF, al = s.regs[EAX] & 0xFF
    if base == 0:
        raise_exc(s, EXC_DE, 0, 0)
    set_reg(s, EAX, ((al / base) << 8) | (al % base), 2)
    # SF ZF PF from AL; OF AF CF (undefined) cleared
    set_lazy(s, LF_LOGIC, 0, 0, al % base, 8)


cdef void op_aad(CPUState* s, Insn* i) noexcept nogil:
    cdef uint32_t al = s.regs[EAX] & 0xFF, t = (((s.regs[EAX] >> 8) & 0xFF) * i.imm) & 0xFF
    cdef uint32_t r = (al + t) & 0xFF
    set_reg(s, EAX, r, 2)
    # SF ZF PF from AL; OF AF CF (undefined) as left by the final 8-bit addition
    set_lazy(s, LF_ADD, al, t, r, 8)
