"""The i8259A pair at register level: initialisation, priorities, EOI, modes, cascade."""
import pytest

from hw.pic import DualPic
from tests.hw.harness import Ports


class Cpu:
    """The CPU's INTR pin."""

    def __init__(self):
        self.intr = False
        self.changes = 0

    def set_intr(self, level):
        self.intr = level
        self.changes += 1


def pc_pics(master_icw4=0x01, slave_icw4=0x01):
    """Both PICs initialised the way a PC BIOS does: vectors 08h and 70h, all unmasked."""
    cpu = Cpu()
    pic = DualPic(cpu.set_intr)
    io = Ports(pic)
    io.outb(0x20, 0x11)
    io.outb(0x21, 0x08, 0x04, master_icw4)
    io.outb(0xA0, 0x11)
    io.outb(0xA1, 0x70, 0x02, slave_icw4)
    return pic, cpu, io


def eoi(io, slave=False):
    if slave:
        io.outb(0xA0, 0x20)
    io.outb(0x20, 0x20)


def read_isr(io, port=0x20):
    io.outb(port, 0x0B)
    value = io.inb(port)
    io.outb(port, 0x0A)
    return value


def test_init_sequence_and_first_interrupt():
    pic, cpu, io = pc_pics()
    assert io.inb(0x21) == 0 and io.inb(0xA1) == 0      # ICW1 clears the masks
    assert not cpu.intr
    line = pic.line(0)
    line.raise_()
    assert cpu.intr
    assert io.inb(0x20) == 0x01                          # IRR (OCW3 default)
    assert pic.ack() == 0x08
    assert not cpu.intr                                  # in service blocks it
    assert read_isr(io) == 0x01 and io.inb(0x20) == 0    # edge latch consumed
    eoi(io)
    assert read_isr(io) == 0
    assert not cpu.intr                                  # still high, but no new edge


def test_imr_masks_and_reads_back():
    pic, cpu, io = pc_pics()
    io.outb(0x21, 0xFB)
    assert io.inb(0x21) == 0xFB
    pic.line(1).raise_()
    assert not cpu.intr and io.inb(0x20) == 0x02        # requested, masked
    assert pic.irq_masked(1) and not pic.irq_masked(2 + 8)
    io.outb(0x21, 0xF9)
    assert cpu.intr and pic.ack() == 0x09


def test_fixed_priority_and_nesting():
    pic, cpu, io = pc_pics()
    pic.line(3).raise_()
    pic.line(1).raise_()
    assert pic.ack() == 0x09                            # IRQ1 beats IRQ3
    assert not cpu.intr                                 # IRQ3 waits for the EOI
    pic.line(0).raise_()
    assert cpu.intr and pic.ack() == 0x08               # IRQ0 nests inside IRQ1
    assert read_isr(io) == 0x03
    eoi(io)                                             # non-specific: IRQ0
    assert read_isr(io) == 0x02 and not cpu.intr
    eoi(io)
    assert cpu.intr and pic.ack() == 0x0B


def test_specific_eoi():
    pic, cpu, io = pc_pics()
    pic.line(4).raise_()
    pic.ack()
    pic.line(1).raise_()
    pic.ack()
    io.outb(0x20, 0x60 | 4)                             # specific EOI for IR4
    assert read_isr(io) == 0x02


def test_cascade_through_ir2():
    pic, cpu, io = pc_pics()
    pic.line(10).raise_()
    assert io.inb(0xA0) == 0x04 and io.inb(0x20) == 0x04
    assert cpu.intr and pic.ack() == 0x72
    assert read_isr(io, 0xA0) == 0x04 and read_isr(io) == 0x04
    pic.line(8).raise_()
    assert not cpu.intr                                 # master's IR2 is in service
    eoi(io, slave=True)
    assert cpu.intr and pic.ack() == 0x70


def test_irq_masked_counts_levels_in_service():
    pic, cpu, io = pc_pics()
    pic.line(3).raise_()
    pic.ack()
    assert pic.irq_masked(3) and pic.irq_masked(5)
    assert not pic.irq_masked(1) and not pic.irq_masked(12)   # IR2 outranks IR3
    io.outb(0x21, 0x08)
    io.outb(0x20, 0x68)                                 # special mask mode
    assert not pic.irq_masked(5) and pic.irq_masked(3)
    io.outb(0x20, 0x48)
    io.outb(0x21, 0x00)
    pic.line(1).raise_()
    pic.ack()
    assert pic.irq_masked(12)                           # IR1 in service outranks IR2
    eoi(io)
    eoi(io)
    assert not pic.irq_masked(5) and not pic.irq_masked(12)


def test_slave_masked_by_master_ir2():
    pic, cpu, io = pc_pics()
    io.outb(0x21, 0x04)
    pic.line(12).raise_()
    assert not cpu.intr and pic.irq_masked(12)


def test_edge_request_must_last_until_acknowledge_spurious_irq7():
    pic, cpu, io = pc_pics()
    line = pic.line(3)
    line.raise_()
    assert cpu.intr
    line.lower()                                        # gone before the INTA
    assert not cpu.intr
    assert pic.ack() == 0x0F                            # IRQ7's vector, nothing in service
    assert read_isr(io) == 0


def test_spurious_irq15_sets_only_the_masters_ir2():
    pic, cpu, io = pc_pics()
    # The slave's request was withdrawn between the master latching IR2 and the
    # slave's acknowledge cycle: the slave answers with its IR7 vector.
    pic.master.irr |= 0x04
    assert pic.ack() == 0x77
    assert read_isr(io) == 0x04 and read_isr(io, 0xA0) == 0


def test_level_triggered_via_elcr():
    pic, cpu, io = pc_pics()
    io.outb(0x4D1, 0xFF)
    assert io.inb(0x4D1) == 0xDE and io.inb(0x4D0) == 0  # IRQ8/IRQ13 stay edge
    io.outb(0x4D0, 0xFF)
    assert io.inb(0x4D0) == 0xF8                        # IRQ0-2 stay edge
    line = pic.line(10)
    line.raise_()
    assert pic.ack() == 0x72
    eoi(io, slave=True)
    assert cpu.intr and pic.ack() == 0x72               # still high: asks again
    line.lower()
    eoi(io, slave=True)
    assert not cpu.intr


def test_ltim_makes_every_input_level_triggered():
    cpu = Cpu()
    pic = DualPic(cpu.set_intr)
    io = Ports(pic)
    pic.line(5).raise_()
    io.outb(0x20, 0x19)                                 # ICW1 with LTIM
    io.outb(0x21, 0x20, 0x04, 0x01)
    assert cpu.intr                                     # the high level counts at once
    assert pic.ack() == 0x25
    eoi(io)
    assert cpu.intr


def test_edge_input_needs_new_edge_after_icw1():
    pic, cpu, io = pc_pics()
    line = pic.line(5)
    line.raise_()
    io.outb(0x20, 0x11)
    io.outb(0x21, 0x08, 0x04, 0x01)
    assert not cpu.intr                                 # edge sense reset by ICW1
    line.lower()
    line.raise_()
    assert cpu.intr


def test_rotate_on_nonspecific_eoi():
    pic, cpu, io = pc_pics()
    l0, l1 = pic.line(0), pic.line(1)
    l0.raise_()
    assert pic.ack() == 0x08
    io.outb(0x20, 0xA0)                                 # rotate on non-specific EOI
    l0.lower()
    l0.raise_()
    l1.raise_()
    assert pic.ack() == 0x09                            # IRQ0 is lowest priority now


def test_set_priority_command():
    pic, cpu, io = pc_pics()
    io.outb(0x20, 0xC0 | 4)                             # IR4 lowest: IR5 highest
    pic.line(6).raise_()
    pic.line(3).raise_()
    assert pic.ack() == 0x0E
    io.outb(0x20, 0xE0 | 6)                             # rotate on specific EOI
    pic.line(7).raise_()
    assert pic.ack() == 0x0F                            # IR7 highest after IR6 lowest
    assert not cpu.intr                                 # IR3 ranks below IR7
    eoi(io)
    assert pic.ack() == 0x0B


def test_auto_eoi_and_rotation():
    pic, cpu, io = pc_pics(master_icw4=0x03)
    l0 = pic.line(0)
    l0.raise_()
    assert pic.ack() == 0x08
    assert read_isr(io) == 0                            # no in-service bit
    pic.line(4).raise_()
    assert cpu.intr and pic.ack() == 0x0C
    io.outb(0x20, 0x80)                                 # rotate in AEOI mode
    pic.line(1).raise_()
    assert pic.ack() == 0x09
    l0.lower()
    l0.raise_()
    pic.line(3).raise_()
    assert pic.ack() == 0x0B                            # IR1 lowest: IR2.. first


def test_special_mask_mode_lets_lower_levels_in():
    pic, cpu, io = pc_pics()
    pic.line(1).raise_()
    assert pic.ack() == 0x09
    pic.line(3).raise_()
    assert not cpu.intr
    io.outb(0x21, 0x02)                                 # mask IR1 ...
    io.outb(0x20, 0x68)                                 # ... and set special mask mode
    assert cpu.intr and pic.ack() == 0x0B
    io.outb(0x20, 0x48)                                 # reset special mask mode
    pic.line(5).raise_()
    assert not cpu.intr                                 # IR1/IR3 in service block IR5


def test_poll_command():
    pic, cpu, io = pc_pics()
    io.outb(0x20, 0x0C)
    assert io.inb(0x20) == 0                            # nothing pending
    pic.line(6).raise_()
    io.outb(0x20, 0x0C)
    assert io.inb(0x20) == 0x86                         # the read is the acknowledge
    assert read_isr(io) == 0x40 and not cpu.intr
    assert io.inb(0x20) == 0                            # back to IRR


def test_special_fully_nested_mode():
    for sfnm, nests in ((0x01, False), (0x11, True)):
        pic, cpu, io = pc_pics(master_icw4=sfnm)
        pic.line(9).raise_()
        assert pic.ack() == 0x71
        pic.line(8).raise_()                            # higher priority, same slave
        assert cpu.intr == nests
        if nests:
            assert pic.ack() == 0x70


def test_single_mode_without_icw3():
    cpu = Cpu()
    pic = DualPic(cpu.set_intr)
    io = Ports(pic)
    io.outb(0x20, 0x13)                                 # single, ICW4 needed
    io.outb(0x21, 0x40, 0x01)                           # ICW2, then straight to ICW4
    io.outb(0x21, 0xF9)                                 # OCW1
    assert io.inb(0x21) == 0xF9
    pic.line(1).raise_()
    assert pic.ack() == 0x41
    io.outb(0x20, 0x20)
    pic.line(8).raise_()                                # the slave's INT reaches IR2 ...
    assert pic.ack() == 0x42                            # ... a plain input without cascade
    assert read_isr(io, 0xA0) == 0


def test_intr_only_changes_on_output_changes():
    pic, cpu, io = pc_pics()
    before = cpu.changes
    pic.line(3).raise_()
    pic.line(4).raise_()
    assert cpu.changes == before + 1


@pytest.mark.parametrize("irq", [2, 16, -1])
def test_line_numbers(irq):
    pic, cpu, io = pc_pics()
    with pytest.raises(ValueError):
        pic.line(irq)
