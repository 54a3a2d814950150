# The CPU's whole architectural and internal state, as plain C structs.
# Everything the per-instruction path touches lives here; no Python objects.
from libc.stdint cimport (uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t,
                          int32_t, int64_t, uintptr_t)
from libc.setjmp cimport jmp_buf
from emu.memory cimport PhysMem

cdef enum:
    # general registers (index into CPUState.regs); REG_NONE reads as zero in EAs
    EAX = 0
    ECX = 1
    EDX = 2
    EBX = 3
    ESP = 4
    EBP = 5
    ESI = 6
    EDI = 7
    REG_NONE = 8

    # segment registers (index into CPUState.seg)
    SEG_ES = 0
    SEG_CS = 1
    SEG_SS = 2
    SEG_DS = 3
    SEG_FS = 4
    SEG_GS = 5
    SEG_LDTR = 6
    SEG_TR = 7

    # EFLAGS bits
    F_CF = 0x1
    F_PF = 0x4
    F_AF = 0x10
    F_ZF = 0x40
    F_SF = 0x80
    F_TF = 0x100
    F_IF = 0x200
    F_DF = 0x400
    F_OF = 0x800
    F_IOPL = 0x3000
    F_NT = 0x4000
    F_RF = 0x10000
    F_VM = 0x20000
    F_AC = 0x40000
    F_VIF = 0x80000
    F_VIP = 0x100000
    F_ID = 0x200000
    F_ARITH = 0x8D5           # CF PF AF ZF SF OF

    # lazy-flag operations (CPUState.lf_op)
    LF_NONE = 0               # arithmetic flags are materialized in CPUState.flags
    LF_ADD = 1                # res = dst + src (+ carry)
    LF_SUB = 2                # res = dst - src (- borrow)
    LF_LOGIC = 3              # CF = OF = AF = 0
    LF_INC = 4                # like ADD with src = 1, CF kept in flags
    LF_DEC = 5                # like SUB with src = 1, CF kept in flags

    # CR0 / CR4 bits
    CR0_PE = 0x1
    CR0_MP = 0x2
    CR0_EM = 0x4
    CR0_TS = 0x8
    CR0_ET = 0x10
    CR0_NE = 0x20
    CR0_WP = 0x10000
    CR0_AM = 0x40000
    CR0_NW = 0x20000000
    CR0_CD = 0x40000000
    CR0_PG = 0x80000000
    CR4_VME = 0x1
    CR4_PVI = 0x2
    CR4_TSD = 0x4
    CR4_DE = 0x8
    CR4_PSE = 0x10
    CR4_PAE = 0x20
    CR4_MCE = 0x40
    CR4_PGE = 0x80
    CR4_PCE = 0x100
    CR4_OSFXSR = 0x200
    CR4_OSXMMEXCPT = 0x400

    # exception vectors
    EXC_DE = 0
    EXC_DB = 1
    EXC_NMI = 2
    EXC_BP = 3
    EXC_OF = 4
    EXC_BR = 5
    EXC_UD = 6
    EXC_NM = 7
    EXC_DF = 8
    EXC_TS = 10
    EXC_NP = 11
    EXC_SS = 12
    EXC_GP = 13
    EXC_PF = 14
    EXC_MF = 16
    EXC_AC = 17
    EXC_MC = 18
    EXC_XM = 19

    # TLB entry permission bits: supervisor/user read, write, execute
    P_SR = 1
    P_SW = 2
    P_SX = 4
    P_UR = 8
    P_UW = 16
    P_UX = 32
    P_ALL = 63
    TLB_BITS = 10
    TLB_SIZE = 1 << TLB_BITS
    TLB_MASK = TLB_SIZE - 1
    TLB_INVALID = 0xFFFFFFFF

    # decoded-instruction cache (direct mapped by physical address)
    ICACHE_BITS = 16
    ICACHE_SIZE = 1 << ICACHE_BITS
    ICACHE_MASK = ICACHE_SIZE - 1

    # decoded basic blocks (cpu/decode.pxi): a direct-mapped table of blocks by
    # physical address, their instructions in one pool that is emptied when full
    BLOCK_BITS = 14
    BLOCK_SIZE = 1 << BLOCK_BITS
    BLOCK_MASK = BLOCK_SIZE - 1
    BLOCK_MAX = 64            # instructions per block
    BPOOL_SIZE = 1 << 17      # instructions in the pool

    # why cpu_run returned
    STOP_NONE = 0
    STOP_SLICE = 1            # instruction budget of the slice used up
    STOP_HLT = 2              # HLT executed; wake on interrupt
    STOP_TRIPLE = 3           # triple fault (shutdown)
    STOP_REQUEST = 4          # stop requested by a device (exit port, power off, error)
    STOP_IRQ_CHECK = 5        # an interrupt may be deliverable (internal)

    # CPUState.pending bits: reasons to leave the fast loop early
    PEND_STOP = 1
    PEND_INTR = 2
    PEND_NMI = 4
    PEND_RESET = 8
    PEND_SMI = 16             # SMI# latched, taken at the next boundary outside SMM

    # x87 status word bits
    FSW_IE = 0x1
    FSW_DE = 0x2
    FSW_ZE = 0x4
    FSW_OE = 0x8
    FSW_UE = 0x10
    FSW_PE = 0x20
    FSW_SF = 0x40
    FSW_ES = 0x80
    FSW_C0 = 0x100
    FSW_C1 = 0x200
    FSW_C2 = 0x400
    FSW_TOP = 0x3800
    FSW_C3 = 0x4000
    FSW_B = 0x8000
    FSW_EXC = 0x3F            # the six exception flags (maskable by FCW bits 0-5)
    FSW_CC = 0x4700           # C0 C1 C2 C3

    # MXCSR (SDM vol. 1, 10.2.3)
    MXCSR_IE = 0x1
    MXCSR_DE = 0x2
    MXCSR_ZE = 0x4
    MXCSR_OE = 0x8
    MXCSR_UE = 0x10
    MXCSR_PE = 0x20
    MXCSR_EXC = 0x3F          # the six exception flags
    MXCSR_DAZ = 0x40
    MXCSR_MASKS = 0x1F80      # exception masks (flag bit << 7)
    MXCSR_RC = 0x6000
    MXCSR_FTZ = 0x8000
    MXCSR_RESET = 0x1F80
    MXCSR_MASK = 0xFFFF       # writable bits (FXSAVE's MXCSR_MASK): DAZ is supported

    # Insn.rep
    REP_NONE = 0
    REP_E = 1                 # F3: REP / REPE
    REP_NE = 2                # F2: REPNE


ctypedef struct Seg:
    uint16_t sel
    uint32_t base
    uint32_t limit            # byte-granular limit as in the descriptor cache
    uint32_t ar               # descriptor bits 8..23 of the high dword: type,S,DPL,P,AVL,L,D/B,G
    uint32_t lo               # valid offsets are lo..hi (expand-down aware)
    uint32_t hi
    uint8_t rd_ok             # readable (data, or code with R)
    uint8_t wr_ok             # writable data
    uint8_t valid             # not a null selector in protected mode
    # the checks of seg_check in one compare (cpu/memaccess.pxi): an access of size
    # bytes at off is allowed when (off - lo) mod 2**32 + size - 1 <= rspan (wspan
    # for writes); hi - lo, or -1 when the segment cannot be read (written) at all
    int64_t rspan
    int64_t wspan


ctypedef struct TLBFast:
    # the data-access view of one TLB entry for one privilege class (cpu/memaccess.pxi):
    # a byte at linear lin is at host + (lin - rbase) when lin - rbase < 0x1000. A base
    # that denies the access is a page of another TLB index, which no address that
    # indexes here can be within 4 KiB of: one subtraction and one compare test the
    # tag, the permission and (against 0x1000 - size) a page crossing at once.
    uint32_t rbase
    uint32_t wbase
    uint8_t* host


ctypedef struct TLBEntry:
    uint32_t tag              # linear page number, TLB_INVALID when empty
    uint32_t ppage            # physical page number
    uint8_t* host             # host address of the page start
    uint8_t perm              # P_* bits
    uint8_t glob              # global page (survives CR3 loads)


ctypedef struct CPUState
ctypedef struct Insn
ctypedef void (*handler_t)(CPUState* s, Insn* i) noexcept nogil


ctypedef struct Insn:
    handler_t fn
    uint32_t pa               # physical address of the first byte (cache tag)
    uint8_t code32            # CS.D this was decoded for (cache tag)
    uint8_t len
    uint8_t osize             # operand size in bytes: 2 or 4
    uint8_t asize             # address size in bytes: 2 or 4
    uint8_t seg               # segment of the memory operand (override applied)
    uint8_t rep               # REP_*
    uint8_t lock
    uint8_t mod               # modrm.mod (3 = register operand)
    uint8_t reg               # modrm.reg
    uint8_t rm                # modrm.rm
    uint8_t base              # EA base register or REG_NONE
    uint8_t index             # EA index register or REG_NONE
    uint8_t scale             # EA index shift
    uint8_t seg_override      # 1 when a segment prefix was given
    uint16_t op               # opcode: 0x000-0x0FF one byte, 0x100-0x1FF after 0F
    uint8_t mp                # SSE opcodes: the mandatory prefix (MP_NONE, MP_66, MP_F3, MP_F2)
    uint32_t amask            # 0xFFFF or 0xFFFFFFFF: effective-address wrap
    uint32_t disp
    uint32_t imm
    uint32_t imm2             # second immediate (far pointer selector, ENTER level)


ctypedef struct Block
ctypedef struct Block:
    # straight-line code in one page: n instructions from physical address pa on, the
    # last one possibly a control transfer (or anything else that ends a block)
    uint32_t pa               # physical address of the first byte (tag)
    uint32_t gen              # code_gen of its page when decoded (stale when it differs)
    uint32_t first            # index of its first instruction in CPUState.bpool
    Insn* ifirst              # that instruction
    uint16_t n
    uint16_t bytes            # bytes the n instructions span
    uint8_t code32            # CS.D it was decoded for (tag)
    # the blocks that ran after this one (cpu/loop.pxi): valid while chain_epoch is
    # link_epoch, since nothing that changes what a CS:EIP fetches happened since
    Block* link[2]
    uint32_t link_eip[2]
    uint64_t link_epoch[2]


ctypedef struct F80:
    # one 80-bit x87 register, laid out as in memory (the host's long double): the
    # 64-bit significand with its explicit integer bit, then sign and 15-bit exponent.
    # An MMX register is the significand field of the physical register it aliases.
    uint64_t sig
    uint16_t se


ctypedef struct X128:
    # one XMM register: 16 bytes in memory order (little-endian qwords)
    uint64_t q[2]


ctypedef uint32_t (*port_in_t)(void* ctx, uint16_t port, int size) noexcept nogil
ctypedef void (*port_out_t)(void* ctx, uint16_t port, uint32_t val, int size) noexcept nogil
ctypedef int (*intr_ack_t)(void* ctx) noexcept nogil
ctypedef bint (*intercept_t)(void* ctx, int reason, uint32_t qual) noexcept nogil


cdef enum:
    # Events the virtualization layer (and debuggers) can intercept: the reasons VMX
    # and SVM exit for (SDM vol. 3C, appendix C; APM vol. 2, 15.9). cpu/intercept.pxi
    ICPT_CPUID = 0
    ICPT_HLT = 1
    ICPT_INVLPG = 2           # qual: linear address
    ICPT_IO = 3               # qual: port | size << 16 | in << 20 | string << 21
    ICPT_RDMSR = 4            # qual: MSR index
    ICPT_WRMSR = 5
    ICPT_CR_READ = 6          # qual: CR number
    ICPT_CR_WRITE = 7
    ICPT_DR_ACCESS = 8        # qual: DR number | write << 4
    ICPT_RDTSC = 9
    ICPT_RDPMC = 10
    ICPT_INVD = 11
    ICPT_WBINVD = 12
    ICPT_PAUSE = 13
    ICPT_TASK_SWITCH = 14     # qual: new TSS selector
    ICPT_EXCEPTION = 15       # qual: vector (error code in CPUState.exc_err)
    ICPT_INTR = 16            # qual: vector of an external interrupt
    ICPT_NMI = 17
    ICPT_SOFT_INT = 18        # qual: vector of INT n / INT3 / INTO / INT1
    ICPT_SHUTDOWN = 19        # triple fault
    ICPT_COUNT = 20
ctypedef void (*ferr_out_t)(void* ctx, int level) noexcept nogil
ctypedef void (*smm_out_t)(void* ctx, int level) noexcept nogil
ctypedef void (*apic_base_out_t)(void* ctx, uint64_t value) noexcept nogil


ctypedef struct CPUState:
    uint32_t regs[9]          # EAX..EDI, then a constant zero (REG_NONE)
    uint32_t eip
    uint32_t eip_mask         # 0xFFFF in 16-bit code segments
    uint32_t prev_eip         # EIP of the instruction being executed
    uint32_t prev_esp         # ESP at its start (restored when it faults)
    uint32_t flags            # EFLAGS; the arithmetic bits are stale while lf_op != LF_NONE
    uint32_t lf_res
    uint32_t lf_dst
    uint32_t lf_src
    uint8_t lf_op
    uint8_t lf_bits           # operand width of the lazy operation: 8, 16 or 32

    Seg seg[8]
    # bit n: segment n is flat (base 0, offsets 0..4 GiB-1) and readable / writable, so
    # an offset is its linear address and only a 4 GiB wrap, which crosses a page at
    # the top of the address space and so misses the TLB fast path, can fail a check
    uint8_t flat_r
    uint8_t flat_w
    uint32_t gdt_base
    uint32_t gdt_limit
    uint32_t idt_base
    uint32_t idt_limit

    uint32_t cr0
    uint32_t cr2
    uint32_t cr3
    uint32_t cr4
    uint32_t dr[8]
    uint64_t efer
    uint64_t apic_base
    uint64_t sysenter_cs
    uint64_t sysenter_esp
    uint64_t sysenter_eip
    uint64_t pat
    uint64_t misc_enable
    uint64_t mtrr_def_type
    uint64_t mtrr_fixed[11]
    uint64_t mtrr_var[16]     # base/mask pairs
    uint64_t tsc_offset

    uint8_t cpl
    uint8_t pmode             # CR0.PE and not VM
    uint8_t v86               # EFLAGS.VM
    uint8_t code32            # CS.D
    uint8_t stack32           # SS.B
    uint8_t paging            # CR0.PG
    uint8_t pae
    uint8_t nxe               # EFER.NXE with PAE: honour XD bits
    uint32_t a20_mask

    TLBEntry tlb[TLB_SIZE]
    TLBFast tlbf[3][TLB_SIZE] # fast data views: [0] CPL 0-2, [1] CPL 3, [2] all denied
    TLBFast* tlbc             # the one the current CPL, EFLAGS.AC and breakpoints select
    uint8_t tlb_large         # some entry maps part of a 4 MiB / 2 MiB page (INVLPG)
    uint8_t perm_r            # P_* bit that allows a read at the current CPL
    uint8_t perm_w
    uint8_t perm_x

    Insn* icache
    uint64_t* code_chunks     # per physical page: 64-byte chunks holding cached code
    Insn scratch              # decode target for instructions that are not cached
    Block* blocks             # decoded basic blocks, BLOCK_SIZE entries by physical address
    Insn* bpool               # their instructions (BPOOL_SIZE)
    uint32_t bpool_used
    uint32_t* code_gen        # per physical page: bumped when code cached from it changes
    uint64_t chain_epoch      # bumped by whatever can change the block CS:EIP leads to
    PhysMem* mem

    # exceptions (delivered with longjmp to the run loop)
    jmp_buf jb
    int exc_vec
    uint32_t exc_err
    uint8_t exc_has_err
    int exc_depth             # 0 = not delivering; else the class of the one being delivered
    int exc_first             # vector of the exception being delivered (double-fault rules)

    # run control
    uint64_t icount           # instructions retired
    uint64_t stop_at          # the fast loop leaves when icount reaches this (0: now)
    uint64_t slice_end        # cpu_run returns when icount reaches this
    uint64_t inhibit_until    # no interrupts before this icount (STI, MOV SS shadow)
    # the block being run (cpu/loop.pxi): while cur is not NULL, icount, eip and
    # prev_eip are those of the block's start and the instruction cur points to is
    # executing; cur_icount() and insn_eip() tell the exact values
    Insn* cur
    Insn* blk_stop            # the block loop and chain() run up to here (kick moves it)
    Insn* blk_first
    uint32_t blk_eip          # EIP of blk_first (whose pa is the block's)
    uint8_t cur_redo          # the instruction at cur is to run again (x87 freeze)
    uint8_t esp_saved         # in a block: prev_esp holds ESP at the start of cur (keep_esp)
    uint32_t pending          # PEND_* bits
    uint8_t intr              # INTR line from the interrupt controller
    uint8_t halted
    uint8_t nmi_blocked       # in an NMI handler until the next IRET
    uint8_t tf_trap           # single-step trap due after the current instruction
    int stop_reason

    # x87 FPU (cpu/fpu.pxi, cpu/ops_x87.pxi; Intel SDM vol. 1, ch. 8). ST(i) is
    # fpr[(ftop + i) & 7]. Tags: only "empty" is state (fempty); the full 2-bit tags
    # that FSTENV/FSAVE store are derived from the register contents, as the hardware
    # does (SDM vol. 1, 8.1.7). MMX aliasing: MMn is fpr[n].sig, an MMX write sets
    # fpr[n].se = 0xFFFF; MMX instructions set ftop = 0 and fempty = 0, EMMS fempty = 0xFF.
    F80 fpr[8]
    uint16_t fcw
    uint16_t fsw              # status word without TOP (bits 11-13 are ftop)
    uint8_t ftop
    uint8_t fempty            # bit n: physical register n is empty (tag 11b)
    uint16_t fop              # opcode of the last non-control instruction (11 bits)
    uint16_t fcs              # its CS selector
    uint32_t fip              # its offset (first prefix byte)
    uint16_t fds              # selector and offset of its memory operand
    uint32_t fdp
    # the host x87 while cpu_run runs (cpu/fpu.pxi, hx_prepare): [HX_CW] its control
    # word, [HX_FLAGS] the exception flags that may be set in it, [HX_OWN] the control
    # word it had before cpu_run (restored when cpu_run returns). Not guest state.
    uint16_t hx[3]
    # 1 while the host x87 holds the guest's registers, TOP, tags and status word
    # (cpu/x87_host.pxi): fpr, ftop, fempty and fsw are stale then, fcw and the
    # last-instruction pointers are not.
    uint8_t x87_on_host
    # MS-DOS compatibility error signalling (CR0.NE = 0): FERR# is asserted when an
    # unmasked exception is flagged (P6: at the end of that instruction) and drops when
    # ES is cleared; ferr_out (may be NULL) tells the platform, which routes it to
    # IRQ13. IGNNE# (set by the platform, on a PC by writing port F0h) lets waiting FP
    # instructions run despite a pending exception; without it they freeze.
    uint8_t ferr
    uint8_t ignne
    ferr_out_t ferr_out

    # SSE/SSE2 (cpu/simd.pxi): the XMM registers and MXCSR
    X128 xmm[8]
    uint32_t mxcsr

    port_in_t port_in
    port_out_t port_out
    intr_ack_t intr_ack
    # the local APIC (hw/lapic.py) when one is attached, else NULL: told every write
    # of IA32_APIC_BASE; CPUID.01H:EDX.APIC is set only with one (and bit 11 set)
    apic_base_out_t apic_base_out
    void* io_ctx

    uint32_t intercepts       # ICPT_* bits for which intercept_fn is asked
    intercept_t intercept_fn
    void* intercept_ctx

    # debug architecture (cpu/debug.pxi; SDM vol. 3A ch. 17). The bp_* masks say which
    # of DR0-DR3 DR7 enables as what (bit n: DRn); all zero costs nothing per instruction.
    uint64_t db_hold_until    # no #DB trap before this icount (MOV SS / POP SS shadow)
    uint32_t db_trap          # DR6 bits (B0-B3, BT) of #DB traps due at the next boundary
    uint8_t bp_exec           # instruction breakpoints
    uint8_t bp_write          # data breakpoints that writes hit (R/W = 01 or 11)
    uint8_t bp_read           # data breakpoints that reads hit (R/W = 11)
    uint8_t bp_io             # I/O breakpoints (R/W = 10 with CR4.DE)

    # System Management Mode (cpu/smm.pxi; Intel SDM vol. 3, chapter "System
    # Management Mode", ch. 34 in the 2016-2022 editions). smm_out (may be NULL) tells the platform on entry (1) and RSM (0): the
    # chipset decodes SMRAM by the CPU's SMIACT# output.
    uint32_t smbase
    uint8_t in_smm
    uint8_t smm_nmi_blocked   # nmi_blocked when the SMI came (RSM restores it)
    smm_out_t smm_out


cdef enum:
    # CPUID leaf 1 EAX (family 6, model 8, stepping 3: a Pentium III "Coppermine"),
    # also EDX after reset
    CPUID_SIGNATURE = 0x0683
