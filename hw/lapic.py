"""The local APIC of the (one) CPU: a P6-family integrated xAPIC.

Behaviour follows the Intel SDM vol. 3A, ch. 10 ("Advanced Programmable Interrupt
Controller"). The registers sit in a 4 KiB page at the base that the IA32_APIC_BASE
MSR (1BH) holds, 0xFEE00000 after RESET; the CPU tells this device every MSR write
(base_written), and the page moves with the base and disappears while the MSR's global
enable bit (11) is clear (10.4.3: the CPU is then "functionally equivalent to an IA-32
processor without an on-chip APIC", so LINT0 is the INTR pin and LINT1 the NMI pin).
Where the page leaves, guest RAM comes back below the RAM size and nothing above it
(software does not move the page over ROM or device memory). A base above 4 GiB hides
the page too: the physical address space here is 32 bits.

What it models:
- ID (8 bits, 31:24), version 0x14 (an xAPIC as in family-6 CPUs with a front-side
  bus, so a global disable can be undone without RESET) with five LVT entries (max
  LVT entry 4): timer, performance counter, LINT0, LINT1, error -- no thermal entry,
  which is a Pentium 4 addition.
- TPR, APR and PPR (10.8.3.1, 10.8.6), EOI, LDR and DFR (flat and cluster logical
  destinations, 10.6.2.2), SVR (software enable bit 8, focus bit 9, vector 7:0),
  ISR/TMR/IRR (256 bits each), ESR with the error LVT (send/receive illegal vector,
  illegal register address; 10.5.3: a write loads the errors collected since the
  last write), ICR (10.6.1), the LVT entries and the timer (10.5.4).
- Interrupt acceptance (10.8): a fixed interrupt sets its IRR bit (and its TMR bit
  when level-triggered); the highest IRR vector whose priority class is above the
  PPR's raises INTR; the CPU's acknowledge moves it to ISR. EOI clears the highest ISR
  bit and, when that vector was accepted level-triggered, tells the I/O APICs
  (eoi_listeners) and clears a matching LINT entry's remote IRR. When INTR was raised
  for a fixed interrupt that can no longer be dispensed at the acknowledge (the TPR
  went up meanwhile), the CPU gets the spurious vector and nothing changes in ISR
  (10.9). Vectors 0-15 are never accepted (ESR "receive illegal vector").
- LINT0/LINT1 inputs (this object is their controller: set_irq(pin, level)) with the
  LVT's delivery mode and trigger mode. Wires here carry the request (high = asserted)
  as everywhere in hw/, not the voltage, so the polarity bit is kept for software but
  inverts nothing (as in QEMU): fixed (edge, or level with remote
  IRR), NMI (rising edge, to the CPU's NMI), ExtINT (level: INTR follows the pin and
  the vector comes from the 8259 pair's acknowledge, extint_ack), INIT (the CPU's
  INIT: the machine restarts the CPU and this APIC at the next instruction boundary).
  SMI has nothing to act on here (no SMM) and is dropped.
- Messages from I/O APICs (receive, extint): fixed and lowest-priority interrupts to
  this CPU when the destination names it, NMI, INIT, and ExtINT.
- IPIs through the ICR (10.6) that name this CPU: fixed to its IRR, NMI and INIT to
  the CPU; STARTUP only wakes CPUs waiting after an INIT, which the BSP never does.
  With one CPU an IPI addressed to any other CPU reaches nobody.
  Delivery is immediate, so the delivery-status bit always reads idle.
- The timer: counts down at the bus clock divided by the divide configuration
  register (2, 4, ..., 128 or 1), one-shot or periodic. The bus clock is BUS_HZ =
  100 MHz (a P6-class front-side bus); the current count is computed from guest time
  when read, and the interrupt is a clock timer at the moment the count reaches 0.

Reset (10.4.7.1): IRR/ISR/TMR/ICR/LDR/TPR, the timer registers and the divider 0, DFR
all ones, SVR 0xFF (software disabled), every LVT entry masked -- except that, as
QEMU does, LINT0 comes out of RESET in virtual-wire mode (ExtINT, unmasked), the state
firmware sets up on real boards (MP spec 3.6.2.2), so the 8259 reaches the CPU through
LINT0 for software that never touches the APIC. An APIC that software disabled by
clearing SVR bit 8 masks every LVT entry and keeps them masked (10.4.7.2); after
RESET the entries stay writable. While software-disabled the APIC accepts no fixed
interrupts (NMI and ExtINT still pass). Clearing the MSR's global enable bit brings
the APIC back to its RESET state (10.4.3 allows it), which is how it comes back when
re-enabled.
"""

DEFAULT_BASE = 0xFEE00000
PAGE = 0x1000
BASE_BSP = 1 << 8
BASE_ENABLE = 1 << 11
BASE_ADDR_MASK = 0xFFFFFF000          # bits 35:12

BUS_HZ = 100_000_000                  # the timer's input clock
NS_PER_BUS_TICK = 1_000_000_000 // BUS_HZ

VERSION = 0x14
MAX_LVT = 4                           # five entries: timer, PMC, LINT0, LINT1, error
VERSION_VALUE = MAX_LVT << 16 | VERSION

# register offsets in the page
REG_ID = 0x020
REG_VERSION = 0x030
REG_TPR = 0x080
REG_APR = 0x090
REG_PPR = 0x0A0
REG_EOI = 0x0B0
REG_RRD = 0x0C0                       # remote read (no remote reads: reads 0)
REG_LDR = 0x0D0
REG_DFR = 0x0E0
REG_SVR = 0x0F0
REG_ISR = 0x100                       # eight registers each, 0x10 apart
REG_TMR = 0x180
REG_IRR = 0x200
REG_ESR = 0x280
REG_ICR_LO = 0x300
REG_ICR_HI = 0x310
REG_LVT_TIMER = 0x320
REG_LVT_PMC = 0x340
REG_LVT_LINT0 = 0x350
REG_LVT_LINT1 = 0x360
REG_LVT_ERROR = 0x370
REG_TIMER_INIT = 0x380
REG_TIMER_CUR = 0x390
REG_TIMER_DIV = 0x3E0
REG_SPACE_END = 0x400                 # offsets from here on are not APIC registers

# LVT / ICR / message fields
VECTOR = 0xFF
DM_SHIFT = 8
DM_FIXED, DM_LOWEST, DM_SMI, DM_NMI, DM_INIT, DM_STARTUP, DM_EXTINT = 0, 1, 2, 4, 5, 6, 7
DEST_LOGICAL = 1 << 11
LVT_ACTIVE_LOW = 1 << 13
LVT_REMOTE_IRR = 1 << 14
LVT_LEVEL = 1 << 15
LVT_MASKED = 1 << 16
LVT_PERIODIC = 1 << 17
ICR_LEVEL_ASSERT = 1 << 14
ICR_LEVEL = 1 << 15
SHORTHAND_SHIFT = 18
SH_NONE, SH_SELF, SH_ALL, SH_OTHERS = 0, 1, 2, 3

# what software can write in each LVT entry
LVT_WRITABLE = {
    REG_LVT_TIMER: VECTOR | LVT_MASKED | LVT_PERIODIC,
    REG_LVT_PMC: VECTOR | 7 << DM_SHIFT | LVT_MASKED,
    REG_LVT_LINT0: VECTOR | 7 << DM_SHIFT | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED,
    REG_LVT_LINT1: VECTOR | 7 << DM_SHIFT | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED,
    REG_LVT_ERROR: VECTOR | LVT_MASKED,
}
LINT_REGS = (REG_LVT_LINT0, REG_LVT_LINT1)
LINT0_RESET = DM_EXTINT << DM_SHIFT   # virtual wire (see the module docstring)
ICR_LO_WRITABLE = 0x000CCFFF          # vector, mode, dest mode, level, trigger, shorthand
SVR_ENABLE = 1 << 8
SVR_WRITABLE = 0x3FF                  # vector, software enable, focus checking
DFR_MODEL = 0xF0000000                # 1111b flat, 0000b cluster; 27:0 read as ones
DFR_FLAT = 0xF
DIV_WRITABLE = 0xB                    # bits 0, 1 and 3

# ESR bits (10.5.3)
ESR_SEND_ILLEGAL_VECTOR = 1 << 5
ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6
ESR_ILLEGAL_REGISTER = 1 << 7

BROADCAST = 0xFF


def divisor(dcr):
    """Timer divide configuration -> divisor (Figure 10-10): bits 3,1:0 = 111b is 1,
    otherwise 2 ** (value + 1)."""
    code = (dcr & 3) | (dcr >> 1) & 4
    return 1 if code == 7 else 2 << code


def _top(bits):
    """Highest vector in a 256-bit set, or -1."""
    return bits.bit_length() - 1


class _TimerSource:
    """What the machine asks about the APIC timer's clock timer: can its interrupt
    reach the CPU? (Timer.line)"""
    __slots__ = ("apic",)

    def __init__(self, apic):
        self.apic = apic

    @property
    def masked(self):
        return bool(self.apic.lvt[REG_LVT_TIMER] & LVT_MASKED)


class LocalApic:
    """The local APIC between the platform's interrupt sources and the CPU.

    clock: emu.clock.Clock; mem: emu.memory.Memory (the page is mapped there);
    set_intr(level): the CPU's INTR input; nmi(): the CPU's NMI input; init(): the
    CPU's INIT input (the machine then calls cpu.init() and this APIC's init()).
    It is the CPU's `intc` (ack) and the controller of the LINT0/LINT1 wires.
    extint_ack: the 8259 pair's acknowledge (set by the machine) for ExtINT."""

    def __init__(self, clock, mem, set_intr, nmi, init, apic_id=0):
        self.clock = clock
        self.mem = mem
        self.set_intr = set_intr
        self.nmi = nmi
        self.init_cpu = init
        self.extint_ack = None
        self.eoi_listeners = []
        self.reset_id = apic_id
        self.timer = clock.timer("APIC timer", self._timer_expired, _TimerSource(self))
        self.pins = [False, False]        # LINT0/LINT1 requests
        self.mapped = None                # base address of the mapped page, or None
        self.base = DEFAULT_BASE
        self.enabled = True               # IA32_APIC_BASE bit 11
        self.intr = False                 # our INTR output
        self.extint_io = False            # an I/O APIC's ExtINT entry asserts (its input)
        self.lvt = {}
        self.reset()

    # -- RESET and the IA32_APIC_BASE MSR ------------------------------------------------
    def reset(self):
        """The RESET line: power-on register state, the page back at 0xFEE00000."""
        self.base = DEFAULT_BASE
        self.enabled = True
        self._clear_registers()
        self.apic_id = self.reset_id
        self._map()

    def init(self):
        """INIT (10.4.7.3): the RESET state, except the APIC ID (the base MSR and its
        enable bit belong to the CPU, which keeps them)."""
        self._clear_registers()

    def _clear_registers(self):
        """Register state after RESET, except the APIC ID (10.4.7.1)."""
        self.tpr = 0
        self.ldr = 0
        self.dfr = 0xFFFFFFFF
        self.svr = 0xFF
        self.explicitly_disabled = False
        self.irr = self.isr = self.tmr = 0
        self.esr = self.esr_pending = 0
        self.icr = 0
        self.lvt = {reg: LVT_MASKED for reg in LVT_WRITABLE}
        self.lvt[REG_LVT_LINT0] = LINT0_RESET
        self.raised = False           # INTR is up for a fixed interrupt (until INTA)
        self.timer_init = 0
        self.timer_div = 0
        self.timer_origin = 0         # guest ns when the count was `timer_start`
        self.timer_start = 0          # 0: the timer is not counting
        self.timer.cancel()
        self._update()

    def base_written(self, value):
        """The CPU wrote IA32_APIC_BASE (the CPU keeps the MSR and validated it)."""
        enabled = bool(value & BASE_ENABLE)
        self.base = value & BASE_ADDR_MASK
        if enabled != self.enabled:
            self.enabled = enabled
            self._clear_registers()
        self._map()

    def _map(self):
        """Show the register page at the base while the APIC is globally enabled."""
        want = self.base if self.enabled and self.base + PAGE <= 1 << 32 else None
        if want == self.mapped:
            return
        if self.mapped is not None:
            if self.mapped + PAGE <= self.mem.ram_size:
                self.mem.map_ram(self.mapped, PAGE)
            else:
                self.mem.unmap(self.mapped, PAGE)
        if want is not None:
            self.mem.map_mmio(want, PAGE, self)
        self.mapped = want

    # -- state ----------------------------------------------------------------------------
    @property
    def software_enabled(self):
        return bool(self.svr & SVR_ENABLE)

    @property
    def ppr(self):
        """Processor priority (10.8.3.1): the TPR, or the class of the highest vector in
        service when that is higher."""
        isrv = max(_top(self.isr), 0)
        if self.tpr >> 4 >= isrv >> 4:
            return self.tpr
        return isrv & 0xF0

    @property
    def apr(self):
        """Arbitration priority (10.6.2.4 on P6): the TPR when its class is at least
        those of the highest requested and in-service vectors, else the highest
        of the three classes."""
        irrv = max(_top(self.irr), 0)
        isrv = max(_top(self.isr), 0)
        if self.tpr >> 4 >= irrv >> 4 and self.tpr >> 4 >= isrv >> 4:
            return self.tpr
        return max(self.tpr & 0xF0, irrv & 0xF0, isrv & 0xF0)

    def _deliverable(self):
        """The IRR vector the CPU would get now, or -1."""
        v = _top(self.irr)
        if v >= 0 and v >> 4 > self.ppr >> 4:
            return v
        return -1

    def _extint_asserted(self):
        if not self.enabled:
            return self.pins[0]                   # LINT0 is the INTR pin
        lvt = self.lvt[REG_LVT_LINT0]
        lint0 = (not lvt & LVT_MASKED and (lvt >> DM_SHIFT) & 7 == DM_EXTINT
                 and self.pins[0])
        return lint0 or self.extint_io

    def _update(self):
        """Recompute INTR. Once raised for a fixed interrupt it stays up until the CPU
        acknowledges (then it gets the interrupt or the spurious vector)."""
        if self._deliverable() >= 0:
            self.raised = True
        intr = self.raised or self._extint_asserted()
        if intr != self.intr:
            self.intr = intr
            self.set_intr(intr)

    # -- the CPU side ------------------------------------------------------------------------
    def ack(self):
        """The interrupt acknowledge cycle: the vector the CPU gets (-1: none)."""
        if self.raised:
            self.raised = False
            v = self._deliverable()
            if v >= 0:
                self.irr &= ~(1 << v)
                self.isr |= 1 << v
                self._update()
                return v
            if not self._extint_asserted():
                self._update()
                return self.svr & VECTOR          # spurious: ISR untouched (10.9)
        if self._extint_asserted():
            vector = self.extint_ack()
            self._update()
            return vector
        self._update()
        return -1

    def _eoi(self):
        v = _top(self.isr)
        if v < 0:
            return
        self.isr &= ~(1 << v)
        if self.tmr >> v & 1:
            for reg in LINT_REGS:
                if self.lvt[reg] & VECTOR == v:
                    self.lvt[reg] &= ~LVT_REMOTE_IRR
            for listener in self.eoi_listeners:
                listener(v)
            for pin in (0, 1):
                self._lint_level(pin)
        self._update()

    # -- accepting interrupts --------------------------------------------------------------
    def _accept(self, vector, level=False):
        """A fixed interrupt for this CPU (10.8.1); False when not accepted."""
        if not (self.enabled and self.software_enabled):
            return False
        if vector < 16:
            self._error(ESR_RECEIVE_ILLEGAL_VECTOR)
            return False
        bit = 1 << vector
        self.irr |= bit
        if level:
            self.tmr |= bit
        else:
            self.tmr &= ~bit
        self._update()
        return True

    def _error(self, bits):
        """An APIC error: collected for the ESR, the error LVT entry interrupts."""
        self.esr_pending |= bits
        lvt = self.lvt[REG_LVT_ERROR]
        if not lvt & LVT_MASKED and lvt & VECTOR >= 16:
            self._accept(lvt & VECTOR)

    def _deliver(self, mode, vector, level=False):
        """A message with delivery mode `mode` that names this CPU."""
        if mode in (DM_FIXED, DM_LOWEST):
            return self._accept(vector, level)
        if mode == DM_NMI:
            self.nmi()
            return True
        if mode == DM_INIT:
            self.init_cpu()
            return True
        return False                              # SMI, STARTUP: see docstring

    def is_destination(self, logical, dest):
        """Does a message to `dest` (physical APIC ID or logical MDA) name this APIC?"""
        if dest == BROADCAST:
            return True
        if not logical:
            return dest == self.apic_id
        ldr = self.ldr >> 24
        if self.dfr >> 28 == DFR_FLAT:
            return bool(ldr & dest)
        # cluster model: bits 7:4 the cluster, 3:0 one bit per APIC in it
        return dest >> 4 == ldr >> 4 and bool(dest & ldr & 0xF)

    def receive(self, vector, mode, logical, dest, level):
        """An interrupt message from an I/O APIC; True when this CPU accepted it."""
        if not self.enabled or not self.is_destination(logical, dest):
            return False
        return self._deliver(mode, vector, level)

    def extint(self, asserted):
        """An I/O APIC's ExtINT entry that names this CPU asserts (or stops): meanwhile
        the 8259 pair answers the interrupt acknowledge (virtual wire through the
        I/O APIC)."""
        self.extint_io = bool(asserted)
        self._update()

    # -- LINT0 / LINT1 wires (controller interface for IrqLine) -----------------------------
    def set_irq(self, pin, level):
        level = bool(level)
        if level == self.pins[pin]:
            return
        if not self.enabled:
            self.pins[pin] = level
            if pin == 1 and level:
                self.nmi()                        # LINT1 is the NMI pin
            self._update()
            return
        was, now = self.pins[pin], level
        self.pins[pin] = level
        lvt = self.lvt[LINT_REGS[pin]]
        if not lvt & LVT_MASKED:
            mode = (lvt >> DM_SHIFT) & 7
            if mode == DM_NMI and now and not was:
                self.nmi()
            elif mode == DM_FIXED:
                if lvt & LVT_LEVEL:
                    self._lint_level(pin)
                elif now and not was:
                    self._accept(lvt & VECTOR)
        self._update()

    def _lint_level(self, pin):
        """A level-triggered fixed LINT entry: accepted while the pin asserts and its
        remote IRR is clear (set on acceptance, cleared by the EOI)."""
        reg = LINT_REGS[pin]
        lvt = self.lvt[reg]
        if (lvt & (LVT_MASKED | LVT_REMOTE_IRR) or not lvt & LVT_LEVEL
                or (lvt >> DM_SHIFT) & 7 != DM_FIXED or not self.pins[pin]):
            return
        if self._accept(lvt & VECTOR, level=True):
            self.lvt[reg] |= LVT_REMOTE_IRR

    def irq_masked(self, pin):
        if not self.enabled:
            return False
        return bool(self.lvt[LINT_REGS[pin]] & LVT_MASKED)

    # -- the timer ---------------------------------------------------------------------------
    def _tick_ns(self):
        return NS_PER_BUS_TICK * divisor(self.timer_div)

    def current_count(self, now=None):
        if not self.timer_start:
            return 0
        now = self.clock.now() if now is None else now
        d = (now - self.timer_origin) // self._tick_ns()
        if d < self.timer_start:
            return self.timer_start - d
        if not self.lvt[REG_LVT_TIMER] & LVT_PERIODIC:
            return 0
        return self.timer_init - (d - self.timer_start) % self.timer_init

    def _restart_timer(self, start):
        """Count down from `start` beginning now (0: stop)."""
        self.timer_origin = self.clock.now()
        self.timer_start = start
        self._arm_timer()

    def _arm_timer(self):
        if not self.timer_start:
            self.timer.cancel()
            return
        tick = self._tick_ns()
        first = self.timer_origin + self.timer_start * tick
        now = self.clock.now()
        if first > now or not self.lvt[REG_LVT_TIMER] & LVT_PERIODIC:
            if first > now:
                self.timer.arm(first)
            else:
                self.timer.cancel()
            return
        # periodic, past the first expiry: the next reload boundary after now
        period = self.timer_init * tick
        self.timer.arm(first + ((now - first) // period + 1) * period)

    def _timer_expired(self):
        lvt = self.lvt[REG_LVT_TIMER]
        if not lvt & LVT_PERIODIC:
            self.timer_start = 0
        else:
            self._arm_timer()
        if not lvt & LVT_MASKED:
            self._accept(lvt & VECTOR)

    def _rebase_timer(self):
        """Keep the current count across a change of divisor or mode."""
        if self.timer_start:
            self._restart_timer(self.current_count())

    # -- registers --------------------------------------------------------------------------
    def read(self, reg):
        """The 32-bit register at offset `reg` (16-byte aligned)."""
        if reg == REG_ID:
            return self.apic_id << 24
        if reg == REG_VERSION:
            return VERSION_VALUE
        if reg == REG_TPR:
            return self.tpr
        if reg == REG_APR:
            return self.apr
        if reg == REG_PPR:
            return self.ppr
        if reg in (REG_EOI, REG_RRD):
            return 0
        if reg == REG_LDR:
            return self.ldr
        if reg == REG_DFR:
            return self.dfr
        if reg == REG_SVR:
            return self.svr
        for first, bits in ((REG_ISR, self.isr), (REG_TMR, self.tmr), (REG_IRR, self.irr)):
            if first <= reg < first + 0x80:
                return (bits >> (32 * ((reg - first) >> 4))) & 0xFFFFFFFF
        if reg == REG_ESR:
            return self.esr
        if reg == REG_ICR_LO:
            return self.icr & 0xFFFFFFFF
        if reg == REG_ICR_HI:
            return self.icr >> 32
        if reg in self.lvt:
            return self.lvt[reg]
        if reg == REG_TIMER_INIT:
            return self.timer_init
        if reg == REG_TIMER_CUR:
            return self.current_count()
        if reg == REG_TIMER_DIV:
            return self.timer_div
        self._error(ESR_ILLEGAL_REGISTER)
        return 0

    def write(self, reg, value):
        if reg == REG_ID:
            self.apic_id = value >> 24
        elif reg == REG_TPR:
            self.tpr = value & 0xFF
            self._update()
        elif reg == REG_EOI:
            self._eoi()
        elif reg == REG_LDR:
            self.ldr = value & 0xFF000000
        elif reg == REG_DFR:
            self.dfr = value & DFR_MODEL | 0x0FFFFFFF
        elif reg == REG_SVR:
            self._write_svr(value)
        elif reg == REG_ESR:
            self.esr, self.esr_pending = self.esr_pending, 0
        elif reg == REG_ICR_LO:
            self.icr = self.icr & ~0xFFFFFFFF | value & ICR_LO_WRITABLE
            self._send_ipi()
        elif reg == REG_ICR_HI:
            self.icr = self.icr & 0xFFFFFFFF | (value & 0xFF000000) << 32
        elif reg in self.lvt:
            self._write_lvt(reg, value)
        elif reg == REG_TIMER_INIT:
            self.timer_init = value
            self._restart_timer(value)
        elif reg == REG_TIMER_DIV:
            self.timer_div = value & DIV_WRITABLE
            self._rebase_timer()
        elif reg in (REG_VERSION, REG_APR, REG_PPR, REG_RRD, REG_TIMER_CUR) or \
                REG_ISR <= reg < REG_IRR + 0x80:
            pass                                  # read-only
        else:
            self._error(ESR_ILLEGAL_REGISTER)

    def _write_svr(self, value):
        self.svr = value & SVR_WRITABLE
        self.explicitly_disabled = not value & SVR_ENABLE
        if self.explicitly_disabled:
            for reg in self.lvt:
                self.lvt[reg] |= LVT_MASKED       # 10.4.7.2
        self._update()

    def _write_lvt(self, reg, value):
        old = self.lvt[reg]
        new = value & LVT_WRITABLE[reg] | old & LVT_REMOTE_IRR
        if self.explicitly_disabled:
            new |= LVT_MASKED
        self.lvt[reg] = new
        if reg == REG_LVT_TIMER and (old ^ new) & LVT_PERIODIC:
            self._rebase_timer()
        elif reg in LINT_REGS:
            pin = LINT_REGS.index(reg)
            if not new & LVT_LEVEL:
                self.lvt[reg] &= ~LVT_REMOTE_IRR
            self._lint_level(pin)
        self._update()

    def _send_ipi(self):
        """The ICR was written: send the IPI it describes (10.6.1)."""
        icr = self.icr
        vector = icr & VECTOR
        mode = (icr >> DM_SHIFT) & 7
        shorthand = (icr >> SHORTHAND_SHIFT) & 3
        if mode == DM_INIT and not icr & ICR_LEVEL_ASSERT:
            return                                # INIT level de-assert: arbitration only
        if shorthand == SH_NONE:
            to_self = self.is_destination(bool(icr & DEST_LOGICAL), icr >> 56)
        else:
            to_self = shorthand != SH_OTHERS
        if mode in (DM_FIXED, DM_LOWEST) and vector < 16:
            self._error(ESR_SEND_ILLEGAL_VECTOR)
        if to_self:
            self._deliver(mode, vector, bool(icr & ICR_LEVEL) and mode == DM_FIXED)

    # -- MMIO --------------------------------------------------------------------------------
    def mmio_read(self, addr, size):
        off = addr & (PAGE - 1)
        sub = off & 0xF
        if off >= REG_SPACE_END or sub >= 4:
            return 0
        return (self.read(off - sub) >> (8 * sub)) & ((1 << (8 * size)) - 1)

    def mmio_write(self, addr, value, size):
        """Registers are 32-bit; a narrower write changes those bytes of the register's
        current value and writes the whole register."""
        off = addr & (PAGE - 1)
        sub = off & 0xF
        if off >= REG_SPACE_END or sub >= 4:
            return
        reg = off - sub
        if size < 4 or sub:
            mask = ((1 << (8 * size)) - 1) << (8 * sub)
            value = self.read(reg) & ~mask | (value << (8 * sub)) & mask & 0xFFFFFFFF
        self.write(reg, value)
