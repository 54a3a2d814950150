"""The local APIC and the 82093AA I/O APIC at register level: reset state, priorities,
acceptance and EOI, the timer, LINT0 virtual wire with the 8259 pair, I/O APIC
redirection (edge, level with remote IRR), masking, and the APIC base MSR moving and
hiding the register page."""
import pytest

from hw.ioapic import IoApic
from hw.irq import IrqFanout
from hw.lapic import LocalApic, divisor
from hw.pic import DualPic
from tests.hw.harness import HandClock, Ports

BASE = 0xFEE00000
IO_BASE = 0xFEC00000
TPR, EOI, LDR, DFR, SVR, ESR = 0x80, 0xB0, 0xD0, 0xE0, 0xF0, 0x280
ICR_LO, ICR_HI = 0x300, 0x310
LVT_TIMER, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR = 0x320, 0x340, 0x350, 0x360, 0x370
TIMER_INIT, TIMER_CUR, TIMER_DIV = 0x380, 0x390, 0x3E0
MASKED = 1 << 16
LEVEL = 1 << 15
REMOTE_IRR = 1 << 14
FIXED, NMI, EXTINT = 0, 4 << 8, 7 << 8


class Memory:
    """What the APICs need of emu.memory.Memory: the page map, recorded."""

    def __init__(self, ram_size=32 << 20):
        self.ram_size = ram_size
        self.pages = {}                     # page address -> device, "ram" or None

    def map_mmio(self, addr, size, dev):
        self.pages[addr] = dev

    def map_ram(self, addr, size):
        assert addr + size <= self.ram_size
        self.pages[addr] = "ram"

    def unmap(self, addr, size):
        self.pages[addr] = None

    def read32(self, addr):
        return self.pages[addr & ~0xFFF].mmio_read(addr, 4)

    def write32(self, addr, value):
        self.pages[addr & ~0xFFF].mmio_write(addr, value, 4)


class Cpu:
    """The CPU's INTR, NMI and INIT inputs."""

    def __init__(self):
        self.intr = False
        self.nmis = 0
        self.inits = 0

    def init(self):
        self.inits += 1

    def set_intr(self, level):
        self.intr = level

    def nmi(self):
        self.nmis += 1


class Board:
    def __init__(self):
        self.clock = HandClock()
        self.mem = Memory()
        self.cpu = Cpu()
        self.apic = LocalApic(self.clock, self.mem, self.cpu.set_intr, self.cpu.nmi,
                              self.cpu.init)
        self.ioapic = IoApic(self.mem, self.apic)

    def rd(self, reg):
        return self.mem.read32(BASE + reg)

    def wr(self, reg, value):
        self.mem.write32(BASE + reg, value)

    def io_rd(self, index):
        self.mem.write32(IO_BASE, index)
        return self.mem.read32(IO_BASE + 0x10)

    def io_wr(self, index, value):
        self.mem.write32(IO_BASE, index)
        self.mem.write32(IO_BASE + 0x10, value)

    def enable(self):
        self.wr(SVR, 0x1FF)

    def ack(self):
        return self.apic.ack()


@pytest.fixture
def b():
    return Board()


# -- reset state and plain registers ----------------------------------------------------
def test_reset_state(b):
    assert b.mem.pages[BASE] is b.apic and b.mem.pages[IO_BASE] is b.ioapic
    assert b.rd(0x20) == 0                          # APIC ID 0 (the BSP)
    assert b.rd(0x30) == 0x00040014                 # version 0x14, max LVT entry 4
    assert b.rd(SVR) == 0xFF and b.rd(DFR) == 0xFFFFFFFF
    assert b.rd(TPR) == b.rd(LDR) == b.rd(ICR_LO) == b.rd(ICR_HI) == 0
    assert [b.rd(r) for r in (LVT_TIMER, LVT_PMC, LVT_LINT1, LVT_ERROR)] == [MASKED] * 4
    assert b.rd(LVT_LINT0) == EXTINT                # virtual wire, as QEMU
    assert b.rd(TIMER_INIT) == b.rd(TIMER_CUR) == b.rd(TIMER_DIV) == 0
    assert all(b.rd(r) == 0 for r in range(0x100, 0x280, 0x10))
    assert not b.cpu.intr


def test_register_write_masks(b):
    b.wr(0x20, 0xFFFFFFFF)
    assert b.rd(0x20) == 0xFF000000
    b.wr(0x20, 0)
    b.wr(LDR, 0xFFFFFFFF)
    assert b.rd(LDR) == 0xFF000000
    b.wr(DFR, 0)
    assert b.rd(DFR) == 0x0FFFFFFF                  # cluster model; 27:0 read as ones
    b.wr(SVR, 0xFFFFFFFF)
    assert b.rd(SVR) == 0x3FF
    b.wr(TPR, 0x1FF)
    assert b.rd(TPR) == 0xFF
    b.wr(LVT_TIMER, 0xFFFFFFFF)
    assert b.rd(LVT_TIMER) == 0x300FF
    b.wr(LVT_LINT1, 0xFFFFFFFF)
    assert b.rd(LVT_LINT1) == 0x1A7FF               # no delivery status, no remote IRR
    b.wr(LVT_ERROR, 0xFFFFFFFF)
    assert b.rd(LVT_ERROR) == 0x100FF
    b.wr(TIMER_DIV, 0xFFFFFFFF)
    assert b.rd(TIMER_DIV) == 0xB
    b.wr(ICR_HI, 0xFFFFFFFF)
    assert b.rd(ICR_HI) == 0xFF000000
    b.wr(0x30, 0)                                   # read-only: ignored
    assert b.rd(0x30) == 0x00040014


def test_byte_access_to_a_register(b):
    b.mem.pages[BASE].mmio_write(BASE + TPR, 0x30, 1)
    assert b.rd(TPR) == 0x30
    assert b.apic.mmio_read(BASE + 0x33, 1) == 0x00
    assert b.apic.mmio_read(BASE + 0x30, 2) == 0x0014
    assert b.apic.mmio_read(BASE + 0x32, 1) == 0x04
    assert b.apic.mmio_read(BASE + 0x34, 4) == 0    # the rest of a 16-byte slot


def test_illegal_register_sets_esr_and_error_interrupt(b):
    b.enable()
    b.wr(LVT_ERROR, 0xFE)
    b.wr(0x330, 1)                                  # thermal LVT: not on a P6
    assert b.rd(ESR) == 0                           # errors show after an ESR write
    b.wr(ESR, 0)
    assert b.rd(ESR) == 0x80
    assert b.cpu.intr and b.ack() == 0xFE
    b.wr(ESR, 0)
    assert b.rd(ESR) == 0


# -- priorities, acknowledge, EOI ---------------------------------------------------------
def self_ipi(b, vector, level=False):
    b.wr(ICR_LO, 0x40000 | vector | (LEVEL if level else 0))


def test_software_disabled_apic_accepts_no_fixed_interrupts(b):
    self_ipi(b, 0x40)
    assert not b.cpu.intr and b.rd(0x220) == 0


def test_highest_vector_first_and_eoi_order(b):
    b.enable()
    self_ipi(b, 0x41)
    self_ipi(b, 0x92)
    assert b.rd(0x220) == 1 << 1 and b.rd(0x240) == 1 << 18
    assert b.cpu.intr and b.ack() == 0x92
    assert b.rd(0x140) == 1 << 18 and b.rd(0xA0) == 0x90      # ISR, PPR
    assert not b.cpu.intr                          # 0x41 is below the PPR
    self_ipi(b, 0x9F)                              # same class as in service: waits
    assert not b.cpu.intr
    self_ipi(b, 0xA0)                              # higher class: nests
    assert b.ack() == 0xA0
    b.wr(EOI, 0)                                   # ends 0xA0, the highest in service
    assert b.rd(0x140) == 1 << 18 and not b.cpu.intr
    b.wr(EOI, 0)
    assert b.ack() == 0x9F
    b.wr(EOI, 0)
    assert b.ack() == 0x41
    b.wr(EOI, 0)
    assert not b.cpu.intr and b.apic.isr == b.apic.irr == 0


def test_tpr_holds_back_interrupts(b):
    b.enable()
    b.wr(TPR, 0x50)
    self_ipi(b, 0x55)
    assert not b.cpu.intr and b.rd(0xA0) == 0x50
    b.wr(TPR, 0x4F)
    assert b.cpu.intr and b.ack() == 0x55


def test_spurious_vector_when_the_request_went_away(b):
    b.enable()
    b.wr(SVR, 0x1EF)
    self_ipi(b, 0x60)
    assert b.cpu.intr
    b.wr(TPR, 0x80)                                # before the CPU acknowledges
    assert b.cpu.intr
    assert b.ack() == 0xEF and b.apic.isr == 0     # spurious: nothing in service
    assert not b.cpu.intr
    b.wr(TPR, 0)
    assert b.ack() == 0x60


def test_arbitration_priority(b):
    b.enable()
    b.wr(TPR, 0x35)
    assert b.rd(0x90) == 0x35
    b.wr(TPR, 0xF0)                                # masks everything: stays in IRR
    self_ipi(b, 0x72)
    assert b.rd(0x90) == 0xF0
    b.wr(TPR, 0x35)
    assert b.rd(0x90) == 0x70


def test_illegal_vector_is_not_accepted(b):
    b.enable()
    self_ipi(b, 0x0F)
    assert not b.cpu.intr
    b.wr(ESR, 0)
    assert b.rd(ESR) == 0x60                       # send and receive illegal vector


def test_ipi_destinations(b):
    b.enable()
    b.wr(ICR_HI, 0x01000000)                       # physical APIC 1: not us
    b.wr(ICR_LO, 0x50)
    assert not b.cpu.intr
    b.wr(ICR_HI, 0)
    b.wr(ICR_LO, 0x50)
    assert b.ack() == 0x50
    b.wr(EOI, 0)
    b.wr(LDR, 0x04000000)                          # flat logical: bit 2
    b.wr(ICR_HI, 0x03000000)
    b.wr(ICR_LO, 0x800 | 0x51)
    assert not b.cpu.intr
    b.wr(ICR_HI, 0x06000000)
    b.wr(ICR_LO, 0x800 | 0x51)
    assert b.ack() == 0x51
    b.wr(EOI, 0)
    b.wr(ICR_LO, 0xC0000 | 0x52)                   # all excluding self
    assert not b.cpu.intr
    b.wr(ICR_LO, 0x80000 | 0x52)                   # all including self
    assert b.ack() == 0x52
    b.wr(EOI, 0)
    b.wr(ICR_HI, 0)
    b.wr(ICR_LO, NMI)                              # NMI to APIC 0 (this CPU)
    assert b.cpu.nmis == 1 and not b.cpu.intr
    b.wr(ICR_LO, 0xC4500)                          # INIT to all others: nobody
    assert b.rd(ICR_LO) & 0x1000 == 0              # delivery status: idle
    b.wr(ICR_LO, 0x88500)                          # INIT level de-assert: no INIT
    assert b.cpu.inits == 0
    b.wr(ICR_LO, 0x4500)                           # INIT to APIC 0: this CPU
    assert b.cpu.inits == 1


def test_cluster_logical_destination(b):
    b.enable()
    b.wr(DFR, 0x0FFFFFFF)
    b.wr(LDR, 0x32000000)                          # cluster 3, member bit 1
    for dest, hit in ((0x22, False), (0x31, False), (0x32, True), (0x3F, True)):
        b.wr(ICR_HI, dest << 24)
        b.wr(ICR_LO, 0x800 | 0x70)
        assert b.cpu.intr == hit, hex(dest)
        if hit:
            assert b.ack() == 0x70
            b.wr(EOI, 0)


def test_software_disable_masks_lvts_for_good(b):
    b.enable()
    b.wr(LVT_TIMER, 0x40)
    b.wr(SVR, 0xFF)
    assert b.rd(LVT_TIMER) == MASKED | 0x40 and b.rd(LVT_LINT0) & MASKED
    b.wr(LVT_TIMER, 0x40)
    assert b.rd(LVT_TIMER) & MASKED                # 10.4.7.2
    b.enable()
    b.wr(LVT_TIMER, 0x40)
    assert b.rd(LVT_TIMER) == 0x40


# -- the timer ---------------------------------------------------------------------------
def test_divide_configuration():
    assert [divisor(v) for v in (0, 1, 2, 3, 8, 9, 10, 11)] == [2, 4, 8, 16, 32, 64, 128, 1]


def test_one_shot_timer(b):
    b.enable()
    b.wr(TIMER_DIV, 0xB)                           # divide by 1: 10 ns per count
    b.wr(LVT_TIMER, 0x30)
    b.wr(TIMER_INIT, 1000)                         # 10 us
    assert b.rd(TIMER_CUR) == 1000
    b.clock.advance(2500)
    assert b.rd(TIMER_CUR) == 750 and not b.cpu.intr
    b.clock.advance(7499)
    assert b.rd(TIMER_CUR) == 1 and not b.cpu.intr
    b.clock.advance(1)
    assert b.rd(TIMER_CUR) == 0 and b.cpu.intr and b.ack() == 0x30
    b.wr(EOI, 0)
    b.clock.advance(100_000)
    assert b.rd(TIMER_CUR) == 0 and not b.cpu.intr


def test_periodic_timer_and_divider(b):
    b.enable()
    b.wr(TIMER_DIV, 0x3)                           # divide by 16: 160 ns per count
    b.wr(LVT_TIMER, 0x20000 | 0x31)
    b.wr(TIMER_INIT, 100)                          # 16 us period
    ticks = []
    for _ in range(9):
        b.clock.advance(4000)
        if b.cpu.intr:
            ticks.append(b.clock.now())
            assert b.ack() == 0x31
            b.wr(EOI, 0)
    assert ticks == [16000, 32000]
    assert b.rd(TIMER_CUR) == 100 - (36000 - 32000) // 160
    b.wr(TIMER_INIT, 0)                            # stops it
    b.clock.advance(100_000)
    assert not b.cpu.intr and b.rd(TIMER_CUR) == 0


def test_masked_timer_counts_without_interrupting(b):
    b.enable()
    b.wr(TIMER_DIV, 0xB)
    b.wr(LVT_TIMER, MASKED | 0x20000 | 0x31)
    b.wr(TIMER_INIT, 10)
    b.clock.advance(250)
    assert not b.cpu.intr and b.rd(TIMER_CUR) == 5
    assert b.apic.timer.line.masked


def test_periodic_timer_skips_missed_periods(b):
    b.enable()
    b.wr(TIMER_DIV, 0xB)
    b.wr(LVT_TIMER, 0x20000 | 0x31)
    b.wr(TIMER_INIT, 100)                          # 1 us period
    b.clock.idle_until(10_500)                     # time jumps (a HLT)
    b.clock.fire_due()
    assert b.cpu.intr and b.apic.timer.deadline == 11_000


# -- LINT0 virtual wire and the 8259 pair ------------------------------------------------
def pc_pic(b):
    pic = DualPic(IrqFanout({0: [(b.apic, 0), (b.ioapic, 0)]}).line(0).set)
    b.apic.extint_ack = pic.ack
    io = Ports(pic)
    io.outb(0x20, 0x11)
    io.outb(0x21, 0x08, 0x04, 0x01)
    io.outb(0xA0, 0x11)
    io.outb(0xA1, 0x70, 0x02, 0x01)
    return pic, io


def test_pic_passes_through_lint0_after_reset(b):
    pic, io = pc_pic(b)
    pic.set_irq(1, True)
    assert b.cpu.intr and b.ack() == 0x09
    assert not b.cpu.intr
    io.outb(0x20, 0x20)


def test_masked_lint0_holds_the_pic_back(b):
    pic, io = pc_pic(b)
    b.enable()
    b.wr(LVT_LINT0, MASKED | EXTINT)
    pic.set_irq(1, True)
    assert not b.cpu.intr
    b.wr(LVT_LINT0, EXTINT)
    assert b.cpu.intr and b.ack() == 0x09


def test_globally_disabled_apic_is_the_plain_intr_pin(b):
    pic, io = pc_pic(b)
    b.enable()
    b.wr(LVT_LINT0, MASKED | EXTINT)
    b.apic.base_written(BASE)                      # MSR bit 11 clear
    assert b.mem.pages[BASE] is None               # no register page
    pic.set_irq(1, True)
    assert b.cpu.intr and b.ack() == 0x09
    b.apic.set_irq(1, True)                        # LINT1 is the NMI pin
    assert b.cpu.nmis == 1
    b.apic.base_written(BASE | 0x900)              # enabled again: RESET state
    assert b.mem.pages[BASE] is b.apic and b.rd(SVR) == 0xFF


def test_lint1_nmi_and_lint_fixed_level(b):
    b.enable()
    b.wr(LVT_LINT1, NMI)
    b.apic.set_irq(1, True)
    b.apic.set_irq(1, False)
    b.apic.set_irq(1, True)
    assert b.cpu.nmis == 2
    b.apic.set_irq(1, False)
    b.wr(LVT_LINT1, LEVEL | 0x66)
    b.apic.set_irq(1, True)
    assert b.rd(LVT_LINT1) & REMOTE_IRR and b.ack() == 0x66
    assert b.rd(0x1B0) == 1 << 6                   # TMR: level
    b.wr(EOI, 0)                                   # still high: accepted again
    assert b.rd(LVT_LINT1) & REMOTE_IRR and b.ack() == 0x66
    b.apic.set_irq(1, False)
    b.wr(EOI, 0)
    assert not b.rd(LVT_LINT1) & REMOTE_IRR and not b.cpu.intr


# -- the I/O APIC ---------------------------------------------------------------------------
def test_ioapic_registers(b):
    assert b.io_rd(1) == 0x00170011
    b.io_wr(0, 0xFFFFFFFF)
    assert b.io_rd(0) == 0x0F000000 and b.io_rd(2) == 0x0F000000
    assert all(b.io_rd(0x10 + 2 * n) == MASKED for n in range(24))
    b.io_wr(0x12, 0xFFFFFFFF)
    assert b.io_rd(0x12) == 0x1AFFF                # no delivery status, no remote IRR
    b.io_wr(0x13, 0xFFFFFFFF)
    assert b.io_rd(0x13) == 0xFF000000
    b.io_wr(1, 0)
    assert b.io_rd(1) == 0x00170011


def test_ioapic_edge_interrupt(b):
    b.enable()
    b.io_wr(0x10 + 2 * 4, 0x34)                    # pin 4: fixed, edge, physical APIC 0
    b.ioapic.set_irq(4, True)
    assert b.ack() == 0x34 and b.rd(0x190) == 0
    b.ioapic.set_irq(4, False)
    b.wr(EOI, 0)
    assert not b.cpu.intr
    b.io_wr(0x10 + 2 * 4, MASKED | 0x34)
    b.ioapic.set_irq(4, True)                      # an edge while masked is lost
    b.io_wr(0x10 + 2 * 4, 0x34)
    assert not b.cpu.intr


def test_ioapic_level_interrupt_remote_irr(b):
    b.enable()
    b.io_wr(0x10 + 2 * 9, LEVEL | 0x39)
    b.ioapic.set_irq(9, True)
    assert b.io_rd(0x10 + 2 * 9) & REMOTE_IRR
    assert b.ack() == 0x39 and b.rd(0x190) == 1 << 25
    b.wr(EOI, 0)                                   # still asserted: again
    assert b.io_rd(0x10 + 2 * 9) & REMOTE_IRR and b.ack() == 0x39
    b.ioapic.set_irq(9, False)
    b.wr(EOI, 0)
    assert not b.io_rd(0x10 + 2 * 9) & REMOTE_IRR and not b.cpu.intr


def test_ioapic_level_interrupt_waits_for_unmask(b):
    b.enable()
    b.io_wr(0x10 + 2 * 16, MASKED | LEVEL | 0x2000 | 0x45)   # PCI style: active low
    b.ioapic.set_irq(16, True)                     # a request (wires carry requests)
    assert not b.cpu.intr
    assert b.ioapic.irq_masked(16)
    b.io_wr(0x10 + 2 * 16, LEVEL | 0x2000 | 0x45)
    assert b.ack() == 0x45


def test_ioapic_destination_and_nmi(b):
    b.enable()
    b.io_wr(0x11 + 2 * 5, 0x03000000)              # physical APIC 3: nobody
    b.io_wr(0x10 + 2 * 5, LEVEL | 0x35)
    b.ioapic.set_irq(5, True)
    assert not b.cpu.intr and not b.io_rd(0x10 + 2 * 5) & REMOTE_IRR
    b.io_wr(0x11 + 2 * 5, 0xFF000000)              # broadcast
    b.io_wr(0x10 + 2 * 5, LEVEL | 0x35)
    assert b.ack() == 0x35
    b.io_wr(0x10 + 2 * 6, NMI)
    b.ioapic.set_irq(6, True)
    assert b.cpu.nmis == 1


def test_ioapic_extint_virtual_wire(b):
    pic, io = pc_pic(b)
    b.enable()
    b.wr(LVT_LINT0, MASKED | EXTINT)
    b.io_wr(0x10, EXTINT)                          # input 0: the 8259's INT
    pic.set_irq(3, True)
    assert b.cpu.intr and b.ack() == 0x0B and not b.cpu.intr


def test_isa_fanout_reaches_pic_and_ioapic(b):
    pic, io = pc_pic(b)
    isa = IrqFanout({0: [(pic, 0), (b.ioapic, 2)], 1: [(pic, 1), (b.ioapic, 1)]})
    b.enable()
    b.wr(LVT_LINT0, MASKED | EXTINT)
    b.io_wr(0x10 + 2 * 2, 0x30)
    timer = isa.line(0)
    timer.raise_()
    assert b.ack() == 0x30                         # through the I/O APIC, pin 2
    io.outb(0x21, 0xFF)
    assert isa.line(1).masked                      # masked in the PIC and the I/O APIC
    with pytest.raises(ValueError):
        isa.line(2)


# -- the APIC base MSR ---------------------------------------------------------------------
def test_base_relocation_moves_the_page(b):
    b.apic.base_written(0xFE000000 | 0x900)
    assert b.mem.pages[BASE] is None and b.mem.pages[0xFE000000] is b.apic
    b.apic.base_written(0x00100000 | 0x900)        # over RAM: RAM comes back after
    assert b.mem.pages[0xFE000000] is None and b.mem.pages[0x100000] is b.apic
    b.apic.base_written(BASE | 0x900)
    assert b.mem.pages[0x100000] == "ram" and b.mem.pages[BASE] is b.apic
    b.apic.reset()
    assert b.mem.pages[BASE] is b.apic


def test_init_is_reset_but_keeps_the_id(b):
    b.enable()
    b.wr(0x20, 0x05000000)
    b.wr(TPR, 0x20)
    b.apic.base_written(0xFE000000 | 0x900)
    b.apic.init()
    assert b.apic.mmio_read(0xFE000020, 4) == 0x05000000
    assert b.apic.mmio_read(0xFE0000F0, 4) == 0xFF
    assert b.apic.mmio_read(0xFE000080, 4) == 0
    assert b.mem.pages[0xFE000000] is b.apic       # the base MSR is the CPU's
