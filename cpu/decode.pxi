# Instruction decoder (included by cpu/interp.pyx).
#
# Decodes the bytes at CS:EIP into an Insn: prefixes, opcode, ModRM/SIB/displacement
# folded into base/index/scale/disp, immediates, and the handler from the opcode table
# (cpu/opcodes.py -> generated cpu/optable.pxi). Decoded instructions are cached by
# physical address; a write to a cached page invalidates its entries (code_written).

cdef enum:
    A_MODRM = 1
    A_IMM_SHIFT = 1
    A_IMM_MASK = 0xF << 1
    IMM_NONE = 0
    IMM_B = 1                 # imm8
    IMM_BS = 2                # imm8 sign-extended to the operand size
    IMM_W = 3                 # imm16
    IMM_Z = 4                 # imm16 or imm32 by operand size
    IMM_O = 5                 # memory offset: 16 or 32 bits by address size
    IMM_P = 6                 # far pointer: offset (16/32) then selector
    IMM_WB = 7                # ENTER: imm16 then imm8
    A_GROUP = 1 << 5          # handler chosen by ModRM.reg
    A_LOCK = 1 << 6           # LOCK allowed (with a memory operand)
    A_IMM_TEST_ONLY = 1 << 7  # F6/F7: the immediate exists only for /0 and /1 (TEST)
    A_MODRM_REG = 1 << 8      # MOV CR/DR: ModRM always names a register, whatever mod says
    A_SSE = 1 << 9            # handler chosen by the mandatory prefix (sse_fn)
    A_GROUP_REG = 1 << 10     # group with separate register-form handlers (grp_reg_fn)
    MP_NONE = 0               # Insn.mp: the mandatory prefix that selected the handler
    MP_66 = 1
    MP_F3 = 2
    MP_F2 = 3

cdef uint16_t op_attr[512]
cdef handler_t op_fn[512]
cdef handler_t grp_fn[512 * 8]
cdef uint8_t grp_lock[512]    # per ModRM.reg: LOCK allowed
cdef handler_t grp_reg_fn[512 * 8]
cdef handler_t sse_fn[512 * 4]  # by opcode * 4 + MP_*


ctypedef struct Fetch:
    uint32_t lin              # linear address of the instruction's first byte
    uint32_t eip              # its offset in CS
    uint8_t* host             # host address of the current page (NULL: go through phys)
    uint64_t pa               # physical address of the first byte
    uint64_t pa2              # physical page of the second page, once needed
    uint32_t n                # bytes fetched so far
    uint32_t first_avail      # bytes left in the first page
    bint crossed


cdef uint8_t fetch_byte(CPUState* s, Fetch* f) noexcept nogil:
    cdef uint32_t k = f.n
    cdef Seg* cs = &s.seg[SEG_CS]
    cdef uint32_t off = (f.eip + k) & s.eip_mask
    if k >= 15:
        gp(s, 0)             # instruction longer than 15 bytes
    if off < cs.lo or off > cs.hi:
        gp(s, 0)
    f.n = k + 1
    if k < f.first_avail:
        if f.host:
            return f.host[(f.pa & 0xFFF) + k]
        return phys_read(s, f.pa + k, 1)
    if not f.crossed:
        f.pa2 = translate(s, f.lin + k, 2, s.cpl == 3) & ~(<uint64_t>0xFFF)
        f.crossed = 1
    return phys_read(s, f.pa2 + (k - f.first_avail), 1)


cdef inline uint32_t fetch_imm(CPUState* s, Fetch* f, int size) noexcept nogil:
    cdef uint32_t v = 0
    cdef int k
    for k in range(size):
        v |= (<uint32_t>fetch_byte(s, f)) << (8 * k)
    return v


cdef void decode_modrm(CPUState* s, Fetch* f, Insn* i) noexcept nogil:
    cdef uint8_t m = fetch_byte(s, f)
    cdef uint8_t sib
    i.mod = m >> 6
    i.reg = (m >> 3) & 7
    i.rm = m & 7
    i.base = REG_NONE
    i.index = REG_NONE
    i.scale = 0
    i.disp = 0
    if i.mod == 3:
        return
    cdef uint8_t dseg = SEG_DS
    if i.asize == 2:
        # 16-bit forms: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 when mod=0), BX
        if i.rm == 0:
            i.base = EBX
            i.index = ESI
        elif i.rm == 1:
            i.base = EBX
            i.index = EDI
        elif i.rm == 2:
            i.base = EBP
            i.index = ESI
            dseg = SEG_SS
        elif i.rm == 3:
            i.base = EBP
            i.index = EDI
            dseg = SEG_SS
        elif i.rm == 4:
            i.base = ESI
        elif i.rm == 5:
            i.base = EDI
        elif i.rm == 6:
            if i.mod == 0:
                i.disp = fetch_imm(s, f, 2)
            else:
                i.base = EBP
                dseg = SEG_SS
        else:
            i.base = EBX
        if i.mod == 1:
            i.disp = <uint32_t><int32_t><int8_t>fetch_byte(s, f)
        elif i.mod == 2:
            i.disp = fetch_imm(s, f, 2)
    else:
        if i.rm == 4:
            sib = fetch_byte(s, f)
            i.scale = sib >> 6
            i.index = (sib >> 3) & 7
            if i.index == ESP:
                i.index = REG_NONE
            i.base = sib & 7
            if i.base == EBP and i.mod == 0:
                i.base = REG_NONE
                i.disp = fetch_imm(s, f, 4)
        elif i.rm == 5 and i.mod == 0:
            i.disp = fetch_imm(s, f, 4)
        else:
            i.base = i.rm
        if i.base == ESP or i.base == EBP:
            dseg = SEG_SS
        if i.mod == 1:
            i.disp = <uint32_t><int32_t><int8_t>fetch_byte(s, f)
        elif i.mod == 2:
            i.disp = fetch_imm(s, f, 4)
    if not i.seg_override:
        i.seg = dseg


cdef void decode(CPUState* s, Fetch* f, Insn* i) noexcept nogil:
    cdef uint8_t b
    cdef uint16_t op, attr
    cdef int kind
    cdef uint8_t p66 = 0, prep = MP_NONE
    i.osize = 4 if s.code32 else 2
    i.asize = i.osize
    i.seg = SEG_DS
    i.seg_override = 0
    i.rep = REP_NONE
    i.lock = 0
    i.mod = 3
    i.reg = 0
    i.rm = 0
    i.imm = 0
    i.imm2 = 0
    i.mp = MP_NONE
    while True:
        b = fetch_byte(s, f)
        # 66h/67h select the other size; repeating one changes nothing (no toggling)
        if b == 0x66:
            i.osize = 2 if s.code32 else 4
            p66 = MP_66
        elif b == 0x67:
            i.asize = 2 if s.code32 else 4
        elif b == 0xF3:
            i.rep = REP_E
            prep = MP_F3
        elif b == 0xF2:
            i.rep = REP_NE
            prep = MP_F2
        elif b == 0xF0:
            i.lock = 1
        elif b == 0x26 or b == 0x2E or b == 0x36 or b == 0x3E:
            i.seg = (b >> 3) & 3
            i.seg_override = 1
        elif b == 0x64 or b == 0x65:
            i.seg = b - 0x60
            i.seg_override = 1
        else:
            break
    op = b
    if b == 0x0F:
        op = 0x100 | fetch_byte(s, f)
    i.op = op
    i.amask = 0xFFFFFFFFU if i.asize == 4 else 0xFFFF
    attr = op_attr[op]
    if attr & A_MODRM_REG:
        b = fetch_byte(s, f)
        i.mod = 3
        i.reg = (b >> 3) & 7
        i.rm = b & 7
    elif attr & A_MODRM:
        decode_modrm(s, f, i)
    kind = (attr & A_IMM_MASK) >> A_IMM_SHIFT
    if (attr & A_IMM_TEST_ONLY) and i.reg > 1:
        kind = IMM_NONE
    if kind == IMM_B:
        i.imm = fetch_byte(s, f)
    elif kind == IMM_BS:
        i.imm = (<uint32_t><int32_t><int8_t>fetch_byte(s, f)) & size_mask(8 * i.osize)
    elif kind == IMM_W:
        i.imm = fetch_imm(s, f, 2)
    elif kind == IMM_Z:
        i.imm = fetch_imm(s, f, i.osize)
    elif kind == IMM_O:
        i.imm = fetch_imm(s, f, i.asize)
    elif kind == IMM_P:
        i.imm = fetch_imm(s, f, i.osize)
        i.imm2 = fetch_imm(s, f, 2)
    elif kind == IMM_WB:
        i.imm = fetch_imm(s, f, 2)
        i.imm2 = fetch_byte(s, f)
    i.len = f.n
    if attr & A_SSE:
        # The mandatory prefix: F3 or F2 (the last of them) wins over 66, as on Intel
        # hardware; a 66 that selects the variant is no operand-size prefix.
        i.mp = prep if prep else p66
        if i.mp == MP_66:
            i.osize = 4 if s.code32 else 2
        i.fn = op_ud if i.lock else sse_fn[op * 4 + i.mp]
    elif attr & A_GROUP:
        if i.mod == 3 and (attr & A_GROUP_REG):
            i.fn = grp_reg_fn[op * 8 + i.reg]
        else:
            i.fn = grp_fn[op * 8 + i.reg]
        if i.lock and (i.mod == 3 or not ((grp_lock[op] >> i.reg) & 1)):
            i.fn = op_ud
    else:
        i.fn = op_fn[op]
        if i.lock and (i.mod == 3 or not (attr & A_LOCK)):
            i.fn = op_ud
    if i.fn == NULL:
        i.fn = op_ud
    specialize(i)                          # cpu/ops_fast.pxi


cdef Insn* fetch_insn(CPUState* s) noexcept nogil:
    """The decoded instruction at CS:EIP (from the cache, or decoded now)."""
    cdef uint32_t eip = s.eip
    cdef uint32_t lin = s.seg[SEG_CS].base + eip
    cdef TLBEntry* e = &s.tlb[(lin >> 12) & TLB_MASK]
    cdef uint64_t pa
    cdef Insn* i
    cdef Fetch f
    if e.tag == (lin >> 12) and (e.perm & s.perm_x):
        pa = (<uint64_t>e.ppage << 12) | (lin & 0xFFF)
    else:
        if eip < s.seg[SEG_CS].lo or eip > s.seg[SEG_CS].hi:
            gp(s, 0)
        pa = translate(s, lin, 2, s.cpl == 3)
    i = &s.icache[pa & ICACHE_MASK]
    if i.pa == pa and i.code32 == s.code32:
        if eip + i.len - 1 > s.seg[SEG_CS].hi:
            gp(s, 0)                      # runs past the CS limit
        return i
    f.lin = lin
    f.eip = eip
    f.pa = pa
    f.n = 0
    f.crossed = 0
    f.first_avail = 0x1000 - (lin & 0xFFF)
    f.host = NULL
    if not (pa >> 32):
        f.host = s.mem.page_host[pa >> 12]
    if f.host == NULL or f.first_avail < 15:
        # MMIO or near the page end: decode without caching
        i = &s.scratch
        decode(s, &f, i)
        if f.host != NULL and not f.crossed:
            i = cache_insn(s, i, pa)
        return i
    i.pa = 0xFFFFFFFFU
    decode(s, &f, i)
    i.pa = <uint32_t>pa
    i.code32 = s.code32
    mark_code(s, <uint32_t>pa, i.len)
    return i


cdef Insn* cache_insn(CPUState* s, Insn* d, uint64_t pa) noexcept nogil:
    cdef Insn* i = &s.icache[pa & ICACHE_MASK]
    i[0] = d[0]
    i.pa = <uint32_t>pa
    i.code32 = s.code32
    mark_code(s, <uint32_t>pa, i.len)
    return i


# ---------------------------------------------------------------------------------
# Self-modifying code: every page holding cached instructions is PG_CODE, so writes to
# it leave the TLB fast path. code_chunks[page] has a bit per 64-byte chunk that holds
# cached instruction bytes; only writes to such chunks invalidate anything.

cdef void mark_code(CPUState* s, uint32_t pa, int length) noexcept nogil:
    cdef uint32_t page = pa >> 12
    cdef int c
    cdef uint32_t k
    for c in range((pa & 0xFFF) >> 6, (((pa & 0xFFF) + length - 1) >> 6) + 1):
        s.code_chunks[page] |= (<uint64_t>1) << c
    if not (s.mem.page_flags[page] & PG_CODE):
        s.mem.page_flags[page] |= PG_CODE
        # writes to this page must now take the slow path
        for k in range(TLB_SIZE):
            if s.tlb[k].tag != TLB_INVALID and s.tlb[k].ppage == page:
                s.tlb[k].perm &= ~(P_SW | P_UW)
                tlbf_fill(s, k)


cdef void code_written(CPUState* s, uint32_t pa, int size) noexcept nogil:
    """A write of size bytes at pa hit a PG_CODE page: drop stale decoded instructions."""
    cdef uint32_t page = pa >> 12
    cdef int c0 = (pa & 0xFFF) >> 6
    cdef int c1 = (((pa & 0xFFF) + size - 1) >> 6)
    cdef int c
    cdef uint64_t hit = 0
    for c in range(c0, c1 + 1):
        hit |= s.code_chunks[page] & ((<uint64_t>1) << c)
    if not hit:
        return
    # An instruction may start up to 14 bytes before the chunk it reaches into, so the
    # chunk before is invalidated too; its bit stays, since an instruction from two
    # chunks back can still reach into it.
    invalidate_range(s, (page << 12) | ((c0 - 1 if c0 else 0) << 6),
                     (page << 12) | ((c1 << 6) + 63))
    for c in range(c0, c1 + 1):
        s.code_chunks[page] &= ~((<uint64_t>1) << c)
    s.code_gen[page] += 1                 # the page's blocks are stale,
    s.chain_epoch += 1
    kick(s)                         # maybe the one running too


cdef void invalidate_range(CPUState* s, uint32_t first, uint32_t last) noexcept nogil:
    cdef uint32_t a
    cdef Insn* i
    for a in range(first, last + 1):
        i = &s.icache[a & ICACHE_MASK]
        if i.pa == a:
            i.pa = 0xFFFFFFFFU


cdef void code_page_written(void* ctx, uint32_t page) noexcept nogil:
    """Called by emu.memory when a device or loader writes to a PG_CODE page."""
    cdef CPUState* s = <CPUState*>ctx
    invalidate_range(s, page << 12, (page << 12) | 0xFFF)
    s.code_chunks[page] = 0
    s.code_gen[page] += 1
    s.chain_epoch += 1
    s.mem.page_flags[page] &= ~PG_CODE
    kick(s)


cdef void memory_remapped(void* ctx) noexcept nogil:
    """Called by emu.memory when the physical page map changes: TLB entries hold host
    pointers, so they all go (the changed code pages were invalidated one by one)."""
    tlb_flush(<CPUState*>ctx, 0)
    kick(<CPUState*>ctx)          # leave the current block (cpu/decode.pxi)


cdef void icache_flush(CPUState* s) noexcept nogil:
    cdef int k
    for k in range(ICACHE_SIZE):
        s.icache[k].pa = 0xFFFFFFFFU
    blocks_flush(s)


# ---------------------------------------------------------------------------------
# Basic blocks: straight-line code decoded once into consecutive pool slots, so the run
# loop executes it without a TLB and cache lookup per instruction (and with the
# decoded instructions next to each other in host memory). A block ends at a control
# transfer or anything else that may change what the next instruction is or how it is
# fetched (CS, CPL, paging, the TLB, EFLAGS.TF/IF, interrupt shadows, I/O that may
# reach the chipset), at BLOCK_MAX instructions, or where the next instruction could
# reach past its page or the CS limit (those run through fetch_insn). Blocks are keyed
# by physical address and CS.D; a write to cached code bumps its page's code_gen,
# which makes every block of the page stale, and kicks the loop so that it leaves
# the block it is in. The loop also leaves a block when EIP is not where the block
# goes on (a REP instruction rewound) or stop_at is reached.

cdef uint8_t block_goes_on[512]   # by opcode: the next instruction may be in the same block


cdef void allow_ops(int first, int last) noexcept nogil:
    cdef int op
    for op in range(first, last + 1):
        block_goes_on[op] = 1


cdef void init_blocks() noexcept nogil:
    """The opcodes after which a block may go on: ALU, moves, stack pushes and
    general-register pops, shifts, multiplies, bit operations, x87/MMX/SSE (faults
    leave through longjmp anyway). Everything else ends a block."""
    cdef int k
    for k in range(8):                     # ALU ops (00-05 ... 38-3D), BCD (27 2F 37 3F)
        allow_ops(k * 8, k * 8 + 5)
    for k in range(4):
        allow_ops(0x27 + 8 * k, 0x27 + 8 * k)
    allow_ops(0x40, 0x63)                  # INC DEC PUSH POP r, PUSHA POPA BOUND ARPL
    allow_ops(0x68, 0x6B)                  # PUSH imm, IMUL
    allow_ops(0x80, 0x8D)                  # ALU/TEST/XCHG/MOV r/m, MOV r/m,Sreg, LEA
    allow_ops(0x8F, 0x99)                  # POP r/m, XCHG, NOP (not PAUSE), CBW CWD
    allow_ops(0x9B, 0x9C)                  # FWAIT, PUSHF
    allow_ops(0x9E, 0xAF)                  # SAHF LAHF, MOV moffs, string ops without REP
    allow_ops(0xB0, 0xC1)                  # MOV r,imm, shifts
    allow_ops(0xC6, 0xC9)                  # MOV r/m,imm, ENTER, LEAVE
    allow_ops(0xD0, 0xDF)                  # shifts, AAM AAD SALC XLAT, x87
    allow_ops(0xF5, 0xF7)                  # CMC, group 3
    allow_ops(0xF8, 0xF9)                  # CLC STC
    allow_ops(0xFC, 0xFF)                  # CLD STD, group 4, group 5 (INC DEC PUSH)
    allow_ops(0x102, 0x103)                # LAR LSL
    allow_ops(0x110, 0x11F)                # SSE moves, hint NOPs
    allow_ops(0x128, 0x12F)
    allow_ops(0x140, 0x17F)                # CMOVcc, MMX/SSE
    allow_ops(0x190, 0x1A0)                # SETcc, PUSH FS
    allow_ops(0x1A3, 0x1A8)                # BT, SHLD, PUSH GS
    allow_ops(0x1AB, 0x1B1)                # BTS, SHRD, FXSAVE.., IMUL, CMPXCHG
    allow_ops(0x1B3, 0x1B3)                # BTR
    allow_ops(0x1B6, 0x1FF)                # MOVZX, BT group, BSF BSR, MOVSX, XADD, SSE, BSWAP


cdef inline bint ends_block(Insn* i) noexcept nogil:
    if not block_goes_on[i.op]:
        return 1
    if i.op == 0xFF:
        return i.reg >= 2 and i.reg != 6    # CALL/JMP (near, far) end; PUSH goes on
    if i.rep != REP_NONE:
        # REP string instructions (they may stop early and rewind EIP) and PAUSE
        return i.op == 0x90 or (0xA4 <= i.op <= 0xAF and i.op != 0xA8 and i.op != 0xA9)
    return 0


cdef void blocks_flush(CPUState* s) noexcept nogil:
    cdef int k
    for k in range(BLOCK_SIZE):
        s.blocks[k].pa = 0xFFFFFFFFU
    s.bpool_used = 0
    s.chain_epoch += 1


cdef Block* build_block(CPUState* s, Block* b, uint32_t lin, uint32_t eip,
                        uint64_t pa) noexcept nogil:
    """Decode the block at pa into b; NULL when not even its first instruction can be
    (near the page end or CS limit, MMIO, or a fault: fetch_insn raises it)."""
    cdef uint8_t* host = s.mem.page_host[pa >> 12]
    cdef uint64_t last = s.seg[SEG_CS].hi if s.seg[SEG_CS].hi < s.eip_mask else s.eip_mask
    cdef jmp_buf outer
    cdef Insn* i
    cdef Fetch f
    cdef uint32_t off
    if host == NULL:
        return NULL
    if s.bpool_used + BLOCK_MAX > BPOOL_SIZE:
        blocks_flush(s)
    s.chain_epoch += 1                    # links to what this slot held are stale
    b.link_epoch[0] = 0
    b.link_epoch[1] = 0
    b.pa = 0xFFFFFFFFU
    b.n = 0
    b.bytes = 0
    b.first = s.bpool_used
    # Decoding ahead must not raise (an instruction too long for 15 bytes is #GP only
    # when it executes): a fault ends the block before that instruction.
    memcpy(&outer, &s.jb, sizeof(jmp_buf))
    if setjmp(s.jb) == 0:
        while b.n < BLOCK_MAX:
            off = (pa & 0xFFF) + b.bytes
            if off > 0x1000 - 15 or <uint64_t>eip + b.bytes + 14 > last:
                break
            f.lin = lin + b.bytes
            f.eip = eip + b.bytes
            f.pa = pa + b.bytes
            f.n = 0
            f.crossed = 0
            f.first_avail = 0x1000 - off
            f.host = host
            i = &s.bpool[b.first + b.n]
            decode(s, &f, i)
            i.pa = <uint32_t>(pa + b.bytes)    # its EIP is the block's plus i.pa - b.pa
            mark_code(s, <uint32_t>(pa + b.bytes), i.len)
            b.bytes += i.len
            b.n += 1
            if ends_block(i):
                break
    memcpy(&s.jb, &outer, sizeof(jmp_buf))
    if b.n == 0:
        return NULL
    s.bpool_used += b.n
    b.ifirst = &s.bpool[b.first]
    b.pa = <uint32_t>pa
    b.code32 = s.code32
    b.gen = s.code_gen[pa >> 12]
    return b


cdef inline Block* fetch_block(CPUState* s) noexcept nogil:
    """The block starting at CS:EIP (decoded now if needed), or NULL when the
    instruction there must go through fetch_insn."""
    cdef uint32_t eip = s.eip
    cdef Seg* cs = &s.seg[SEG_CS]
    cdef uint32_t lin = cs.base + eip
    cdef TLBEntry* e = &s.tlb[(lin >> 12) & TLB_MASK]
    cdef uint64_t pa
    cdef Block* b
    if e.tag == (lin >> 12) and (e.perm & s.perm_x):
        pa = (<uint64_t>e.ppage << 12) | (lin & 0xFFF)
    else:
        if eip < cs.lo or eip > cs.hi:
            gp(s, 0)
        pa = translate(s, lin, 2, s.cpl == 3)
        if pa >> 32:
            return NULL
    b = &s.blocks[(pa ^ (pa >> BLOCK_BITS)) & BLOCK_MASK]
    if b.pa != pa or b.code32 != s.code32 or b.gen != s.code_gen[pa >> 12]:
        b = build_block(s, b, lin, eip, pa)
        if b == NULL:
            return NULL
    # the same bytes may be reached through another CS: its limit and EIP wrap
    if <uint64_t>eip + b.bytes - 1 > cs.hi or <uint64_t>eip + b.bytes - 1 > s.eip_mask:
        return NULL
    return b
