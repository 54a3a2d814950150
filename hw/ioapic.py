"""The Intel 82093AA I/O APIC at 0xFEC00000: 24 interrupt inputs routed as messages to
local APICs.

Behaviour follows the 82093AA data sheet (Intel order no. 290566): IOREGSEL at +0x00
selects a register, IOWIN at +0x10 reads and writes it. Registers: IOAPICID (ID in
bits 27:24; writing it also loads the arbitration ID), IOAPICVER (0x00170011: version
0x11, maximum redirection entry 23), IOAPICARB (read-only), and 24 64-bit redirection
entries at 0x10 + 2n (low dword) / 0x11 + 2n (high dword): vector, delivery mode
(fixed, lowest priority, SMI, NMI, INIT, ExtINT), destination mode (physical/logical),
delivery status (read-only), input polarity, remote IRR (read-only), trigger mode,
mask, destination (bits 63:56). After RESET every entry is masked.

Inputs (this object is their controller: set_irq(pin, level)) carry the request, high
= asserted, as every wire in hw/ does: the polarity bit tells software how the board
drives the pin (ISA active high, PCI PIRQs active low) and inverts nothing here, as in
QEMU, so tables that describe a PCI pin either way work. An edge-triggered
entry sends its message on each assertion while unmasked; an assertion while masked is
lost, as the data sheet says. A level-triggered fixed/lowest-priority entry sends its
message while the input asserts and remote IRR is clear; remote IRR is set when a
local APIC accepts it and cleared by that APIC's EOI for the vector (eoi), after which
a still-asserted input sends again. An ExtINT entry makes the local APIC take its
vector from the 8259 pair while the input asserts (on a PC the 8259's INT output is
wired to input 0). NMI and INIT go to the CPU's inputs; SMI has no receiver here.
Messages are delivered at once, so delivery status always reads idle.
"""
from hw.lapic import (DM_EXTINT, DM_FIXED, DM_LOWEST, DM_SHIFT, LVT_ACTIVE_LOW,
                      LVT_LEVEL, LVT_MASKED, LVT_REMOTE_IRR, VECTOR, DEST_LOGICAL)

DEFAULT_BASE = 0xFEC00000
PAGE = 0x1000
IOREGSEL = 0x00
IOWIN = 0x10

PINS = 24
PIC_INPUT = 0                         # the 8259 pair's INT output (MP spec, 5.1)
ISA_TIMER_INPUT = 2                   # ISA IRQ0, the PIT (ACPI: source override 0 -> 2)


def isa_input(irq):
    """The input an ISA IRQ is wired to on a PC: IRQ0 to input 2, the others to the
    input of the same number."""
    return ISA_TIMER_INPUT if irq == 0 else irq

VERSION_VALUE = (PINS - 1) << 16 | 0x11
REG_ID = 0x00
REG_VERSION = 0x01
REG_ARB = 0x02
REG_REDIR = 0x10                      # .. 0x3F
ID_MASK = 0x0F000000

# redirection entry bits (low dword; the same positions as a local APIC's LVT)
RTE_POLARITY_LOW = LVT_ACTIVE_LOW
RTE_REMOTE_IRR = LVT_REMOTE_IRR
RTE_LEVEL = LVT_LEVEL
RTE_MASKED = LVT_MASKED
RTE_LOW_WRITABLE = VECTOR | 7 << DM_SHIFT | DEST_LOGICAL | RTE_POLARITY_LOW | \
    RTE_LEVEL | RTE_MASKED
RTE_HIGH_WRITABLE = 0xFF000000        # destination


class IoApic:
    """The I/O APIC; `apic` is the local APIC its messages go to (one CPU)."""

    def __init__(self, mem, apic, base=DEFAULT_BASE):
        self.apic = apic
        self.base = base
        self.pins = [False] * PINS            # input requests (high = asserted)
        self.extint_out = False               # an ExtINT entry asserts towards the CPU
        apic.eoi_listeners.append(self.eoi)
        mem.map_mmio(base, PAGE, self)
        self.reset()

    def reset(self):
        self.select = 0
        self.id = 0
        self.arb = 0
        self.low = [RTE_MASKED] * PINS
        self.high = [0] * PINS
        self._update_extint()

    # -- inputs -------------------------------------------------------------------------
    def set_irq(self, pin, level):
        level = bool(level)
        if level == self.pins[pin]:
            return
        self.pins[pin] = level
        low = self.low[pin]
        if low & RTE_MASKED:
            return
        if (low >> DM_SHIFT) & 7 == DM_EXTINT:
            self._update_extint()
        elif low & RTE_LEVEL:
            self._service(pin)
        elif level:
            self._send(pin)                       # a rising edge

    def irq_masked(self, pin):
        return bool(self.low[pin] & RTE_MASKED)

    def _service(self, pin):
        """A level-triggered entry sends while its input asserts and remote IRR is clear."""
        low = self.low[pin]
        if (low & RTE_LEVEL and not low & (RTE_MASKED | RTE_REMOTE_IRR)
                and (low >> DM_SHIFT) & 7 != DM_EXTINT and self.pins[pin]):
            self._send(pin)

    def _update_extint(self):
        """The ExtINT request towards the local APIC: some unmasked ExtINT entry whose
        input asserts names it."""
        out = False
        for pin in range(PINS):
            low = self.low[pin]
            if ((low >> DM_SHIFT) & 7 == DM_EXTINT and not low & RTE_MASKED
                    and self.pins[pin]
                    and self.apic.is_destination(bool(low & DEST_LOGICAL),
                                                 self.high[pin] >> 24)):
                out = True
        if out != self.extint_out:
            self.extint_out = out
            self.apic.extint(out)

    def _send(self, pin):
        low = self.low[pin]
        mode = (low >> DM_SHIFT) & 7
        level = bool(low & RTE_LEVEL) and mode in (DM_FIXED, DM_LOWEST)
        accepted = self.apic.receive(low & VECTOR, mode, bool(low & DEST_LOGICAL),
                                     self.high[pin] >> 24, level)
        if accepted and level:
            self.low[pin] |= RTE_REMOTE_IRR

    def eoi(self, vector):
        """A local APIC's EOI for a level-triggered vector: clear remote IRR of the
        entries with that vector, and send again those whose input still asserts."""
        for pin in range(PINS):
            low = self.low[pin]
            if low & RTE_REMOTE_IRR and low & VECTOR == vector:
                self.low[pin] = low & ~RTE_REMOTE_IRR
                self._service(pin)

    # -- registers --------------------------------------------------------------------------
    def read(self, index):
        if index == REG_ID:
            return self.id
        if index == REG_VERSION:
            return VERSION_VALUE
        if index == REG_ARB:
            return self.arb
        if REG_REDIR <= index < REG_REDIR + 2 * PINS:
            pin, high = divmod(index - REG_REDIR, 2)
            return self.high[pin] if high else self.low[pin]
        return 0

    def write(self, index, value):
        if index == REG_ID:
            self.id = self.arb = value & ID_MASK
        elif REG_REDIR <= index < REG_REDIR + 2 * PINS:
            pin, high = divmod(index - REG_REDIR, 2)
            if high:
                self.high[pin] = value & RTE_HIGH_WRITABLE
                self._update_extint()
            else:
                self._write_low(pin, value)

    def _write_low(self, pin, value):
        old = self.low[pin]
        new = value & RTE_LOW_WRITABLE | old & RTE_REMOTE_IRR
        if not new & RTE_LEVEL:
            new &= ~RTE_REMOTE_IRR
        self.low[pin] = new
        self._update_extint()
        self._service(pin)

    # -- MMIO ---------------------------------------------------------------------------------
    def mmio_read(self, addr, size):
        off = addr & (PAGE - 1)
        if off < IOREGSEL + 4:
            return (self.select >> (8 * off)) & ((1 << (8 * size)) - 1)
        if IOWIN <= off < IOWIN + 4:
            sub = off - IOWIN
            return (self.read(self.select) >> (8 * sub)) & ((1 << (8 * size)) - 1)
        return 0

    def mmio_write(self, addr, value, size):
        """IOREGSEL is 8 bits; IOWIN is 32 bits, a narrower write changes those bytes."""
        off = addr & (PAGE - 1)
        if off == IOREGSEL:
            self.select = value & 0xFF
        elif IOWIN <= off < IOWIN + 4:
            sub = off - IOWIN
            if size < 4 or sub:
                mask = ((1 << (8 * size)) - 1) << (8 * sub)
                value = self.read(self.select) & ~mask | (value << (8 * sub)) & mask
            self.write(self.select, value & 0xFFFFFFFF)
