"""The PC's two cascaded Intel 8259A programmable interrupt controllers.

Master at ports 0x20/0x21 (IRQ0-7), slave at 0xA0/0xA1 (IRQ8-15) on the master's IR2,
and the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1. Its INT output drives
set_intr(level) (on the PC the local APIC's LINT0 and the I/O APIC's input 0, which
pass it to the CPU's INTR), and the interrupt acknowledge cycle is ack() -> vector.

Behaviour follows the 8259A data sheet (Intel order no. 231468):
- ICW1..ICW4 initialisation (single/cascade, ICW4 optional, LTIM), OCW1 mask, OCW2 EOI
  and rotation commands, OCW3 register select, poll command and special mask mode.
- Fully nested priority with rotation (the base is the level given lowest priority),
  special fully nested mode on the master, automatic EOI with optional rotation.
- An input is level-sensitive when ICW1.LTIM or its ELCR bit is set (PIIX: ELCR bits of
  IRQ0-2, 8 and 13 are reserved and read 0), else edge-sensitive. An edge request is
  latched on the rising edge and, as on the chip, must still be high when the CPU
  acknowledges it: a request that went away meanwhile gives the "default IR7" --
  vector base+7 with no in-service bit set, the spurious IRQ7 (IRQ15 on the slave,
  where the master has already set its IR2 in-service bit) that OSes check for.
"""
from hw.irq import IrqLine

MASTER_PORT = 0x20
SLAVE_PORT = 0xA0
ELCR_PORT = 0x4D0
CASCADE_PIN = 2                       # the slave's INT is wired to the master's IR2
ELCR_MASK = (0xF8, 0xDE)              # PIIX: IRQ0-2, IRQ8 and IRQ13 are always edge

# OCW2 commands (bits 7-5: R, SL, EOI)
_ROTATE_AEOI_CLEAR, _EOI, _NOP, _SPECIFIC_EOI = 0, 1, 2, 3
_ROTATE_AEOI_SET, _ROTATE_EOI, _SET_PRIORITY, _ROTATE_SPECIFIC_EOI = 4, 5, 6, 7


class I8259:
    """One 8259A. output(level) is its INT pin."""

    def __init__(self, name, output, is_master):
        self.name = name
        self.output = output
        self.is_master = is_master
        self.lines = 0                # current levels of the IR input wires
        self.elcr = 0
        self.elcr_mask = ELCR_MASK[0 if is_master else 1]
        self.int_out = False
        self.reset()

    def reset(self):
        """Power-on state: nothing pending, nothing masked, x86 mode, IR0 highest."""
        self.irr = 0
        self.isr = 0
        self.imr = 0
        self.vector_base = 0
        self.lowest = 7               # the level with the lowest priority
        self.read_isr = False         # OCW3 RR/RIS: which register port A0=0 reads
        self.poll = False
        self.special_mask = False
        self.init_step = 0            # 0: operational; 2, 3, 4: waiting for that ICW
        self.icw4_needed = False
        self.single = False
        self.ltim = False
        self.auto_eoi = False
        self.rotate_on_aeoi = False
        self.sfnm = False             # special fully nested mode
        self.icw3 = 1 << CASCADE_PIN if self.is_master else CASCADE_PIN
        self.elcr = 0
        self.irr = self.lines & self.level_mask
        self._update()

    @property
    def level_mask(self):
        return 0xFF if self.ltim else self.elcr

    # -- priorities ---------------------------------------------------------------------
    def _rank(self, mask):
        """Priority rank (0 = highest) of the best level in mask, 8 when mask is empty."""
        if not mask:
            return 8
        base = (self.lowest + 1) & 7
        r = ((mask >> base) | (mask << (8 - base))) & 0xFF
        return (r & -r).bit_length() - 1

    def _level_of(self, rank):
        return (rank + self.lowest + 1) & 7

    def pending(self):
        """The level this chip would present to the CPU now, or -1."""
        req = self.irr & ~self.imr
        if not req:
            return -1
        if self.special_mask:
            # special mask mode: every unmasked level not in service may interrupt
            rank = self._rank(req & ~self.isr)
            return -1 if rank == 8 else self._level_of(rank)
        rank = self._rank(req)
        busy = self.isr
        if self.sfnm and self.is_master:
            # a slave's higher-priority request may nest inside its own IR2 service
            busy &= ~self.icw3
        return self._level_of(rank) if rank < self._rank(busy) else -1

    def blocks(self, level):
        """Would a new request on `level` be kept from INT by the mask and the levels
        now in service? (Only the CPU can change either.)"""
        bit = 1 << level
        if self.imr & bit:
            return True
        if self.special_mask:
            return bool(self.isr & bit)
        busy = self.isr
        if self.sfnm and self.is_master:
            busy &= ~self.icw3
        return self._rank(bit) >= self._rank(busy)

    def _update(self):
        out = self.pending() >= 0
        if out != self.int_out:
            self.int_out = out
            self.output(out)

    # -- the IR inputs ------------------------------------------------------------------
    def set_irq(self, pin, level):
        bit = 1 << pin
        if level:
            if not self.lines & bit:
                self.lines |= bit
                self.irr |= bit       # a rising edge, or a level that is now high
        elif self.lines & bit:
            self.lines &= ~bit
            self.irr &= ~bit          # a request that drops before INTA is not serviced
        self._update()

    def acknowledge(self, level):
        """The INTA cycle for `level`: in service (unless AEOI), edge latch consumed."""
        bit = 1 << level
        if self.auto_eoi:
            if self.rotate_on_aeoi:
                self.lowest = level
        else:
            self.isr |= bit
        if not self.level_mask & bit:
            self.irr &= ~bit
        self._update()

    # -- registers ------------------------------------------------------------------------
    def read(self, a0):
        if self.poll:
            # the poll command: this read is the INTA (data sheet, "The Poll Command")
            self.poll = False
            level = self.pending()
            if level < 0:
                return 0
            self.acknowledge(level)
            return 0x80 | level
        if a0:
            return self.imr
        return self.isr if self.read_isr else self.irr

    def write(self, a0, value):
        if not a0:
            if value & 0x10:
                self._icw1(value)
            elif value & 0x08:
                self._ocw3(value)
            else:
                self._ocw2(value)
            return
        step = self.init_step
        if step == 0:
            self.imr = value                              # OCW1
        elif step == 2:
            self.vector_base = value & 0xF8               # ICW2 (x86 mode: T7-T3)
            self.init_step = 0 if self.single else 3
            if self.single and self.icw4_needed:
                self.init_step = 4
        elif step == 3:
            self.icw3 = value                             # ICW3: slave map / slave id
            self.init_step = 4 if self.icw4_needed else 0
        else:
            self.auto_eoi = bool(value & 0x02)            # ICW4
            self.sfnm = bool(value & 0x10)
            self.init_step = 0
        self._update()

    def _icw1(self, value):
        # ICW1 resets the edge-sense logic, clears the mask, makes IR7 lowest, ends
        # special mask mode, selects IRR for reading and (without ICW4) zeroes the
        # ICW4 functions. In-service bits are dropped too, as QEMU and Bochs do: a
        # re-initialising OS must not inherit stale in-service levels.
        self.icw4_needed = bool(value & 0x01)
        self.single = bool(value & 0x02)
        self.ltim = bool(value & 0x08)
        self.init_step = 2
        self.imr = 0
        self.isr = 0
        self.irr = self.lines & self.level_mask
        self.lowest = 7
        self.special_mask = False
        self.read_isr = False
        self.poll = False
        self.auto_eoi = False
        self.rotate_on_aeoi = False
        self.sfnm = False
        self._update()

    def _ocw2(self, value):
        cmd = value >> 5
        level = value & 7
        if cmd in (_EOI, _ROTATE_EOI):
            rank = self._rank(self.isr)
            if rank < 8:
                level = self._level_of(rank)
                self.isr &= ~(1 << level)
                if cmd == _ROTATE_EOI:
                    self.lowest = level
        elif cmd in (_SPECIFIC_EOI, _ROTATE_SPECIFIC_EOI):
            self.isr &= ~(1 << level)
            if cmd == _ROTATE_SPECIFIC_EOI:
                self.lowest = level
        elif cmd == _SET_PRIORITY:
            self.lowest = level
        elif cmd == _ROTATE_AEOI_SET:
            self.rotate_on_aeoi = True
        elif cmd == _ROTATE_AEOI_CLEAR:
            self.rotate_on_aeoi = False
        self._update()

    def _ocw3(self, value):
        if value & 0x04:
            self.poll = True
        if value & 0x02:
            self.read_isr = bool(value & 0x01)
        if value & 0x40:
            self.special_mask = bool(value & 0x20)
        self._update()

    def write_elcr(self, value):
        self.elcr = value & self.elcr_mask
        self.irr |= self.lines & self.level_mask          # levels now count as requests
        self._update()


class DualPic:
    """The master/slave pair as the PC wires it.

    set_intr: where the INT output goes (the CPU's INTR input, cpu.set_intr, when
    nothing is in between)."""

    def __init__(self, set_intr):
        self.set_intr = set_intr
        self.master = I8259("master PIC", self._master_int, True)
        self.slave = I8259("slave PIC", self._slave_int, False)

    def _master_int(self, level):
        self.set_intr(level)

    def _slave_int(self, level):
        self.master.set_irq(CASCADE_PIN, level)

    def attach(self, bus):
        bus.claim("master PIC", MASTER_PORT, 2, self._read_master, self._write_master)
        bus.claim("slave PIC", SLAVE_PORT, 2, self._read_slave, self._write_slave)
        bus.claim("ELCR", ELCR_PORT, 2, self._read_elcr, self._write_elcr)

    def reset(self):
        self.slave.reset()
        self.master.reset()

    # -- the device side ------------------------------------------------------------------
    def line(self, irq):
        """The IrqLine a device drives for ISA IRQ `irq` (0-15)."""
        if not 0 <= irq < 16 or irq == CASCADE_PIN:
            raise ValueError("IRQ%d is not a device input of the PC's PICs" % irq)
        return IrqLine(self, irq)

    def set_irq(self, irq, level):
        (self.master if irq < 8 else self.slave).set_irq(irq & 7, level)

    def irq_masked(self, irq):
        """Would a request on `irq` be kept from the CPU, by a mask register or by a
        level of equal or higher priority in service? A halted CPU can change neither,
        so the machine uses this to tell that an interrupt can never come."""
        if irq < 8:
            return self.master.blocks(irq)
        return self.slave.blocks(irq - 8) or self.master.blocks(CASCADE_PIN)

    # -- the CPU side -----------------------------------------------------------------------
    def ack(self):
        """The interrupt acknowledge cycle: returns the vector the CPU gets."""
        m = self.master
        level = m.pending()
        if level < 0:
            return m.vector_base + 7              # spurious IRQ7: no in-service bit
        if not m.single and m.icw3 & (1 << level):
            s = self.slave
            slave_level = s.pending()
            if slave_level >= 0:
                s.acknowledge(slave_level)
                vector = s.vector_base + slave_level
            else:
                vector = s.vector_base + 7        # spurious IRQ15
        else:
            vector = m.vector_base + level
        m.acknowledge(level)
        return vector

    # -- ports ------------------------------------------------------------------------------
    def _read_master(self, port, size):
        return self.master.read(port & 1)

    def _write_master(self, port, value, size):
        self.master.write(port & 1, value)

    def _read_slave(self, port, size):
        return self.slave.read(port & 1)

    def _write_slave(self, port, value, size):
        self.slave.write(port & 1, value)

    def _read_elcr(self, port, size):
        return (self.master if port == ELCR_PORT else self.slave).elcr

    def _write_elcr(self, port, value, size):
        (self.master if port == ELCR_PORT else self.slave).write_elcr(value)
