"""The PC's two system control ports, as the PIIX implements them.

- Port 0x61, "system control port B" (PIIX: NMI status and control): bit 0 gates PIT
  counter 2, bit 1 enables the speaker data, bits 2/3 disable the parity (SERR#) and
  channel check (IOCHK#) NMI sources; reads add bit 4, the refresh request toggle
  (it flips every 15.085 us, and BIOS delay loops count its flips), bit 5, PIT counter
  2's OUT, and bits 6/7, the IOCHK#/SERR# NMI status (never set: nothing here raises
  them).
- Port 0x92, "system control port A" (fast A20 and INIT): bit 1 is the A20 gate,
  bit 0 rising from 0 to 1 resets the machine (PIIX: a fast INIT; here the whole
  machine resets, as in QEMU). Bit 1 reads back the CPU's actual A20 state, as in Bochs.
"""

PORT_B = 0x61
PORT_A = 0x92
REFRESH_PERIOD_NS = 15_085            # 18 PIT clocks: PIT counter 1's refresh rate


class PortB:
    """Port 0x61: the speaker gate and the status bits BIOSes poll."""

    def __init__(self, clock, pit):
        self.clock = clock
        self.pit = pit
        self.reset()

    def attach(self, bus):
        bus.claim("system control port B", PORT_B, 1, self.read, self.write)

    def reset(self):
        self.value = 0
        self.pit.set_gate(2, False)

    def read(self, port, size):
        refresh = (self.clock.now() // REFRESH_PERIOD_NS) & 1
        return (self.value & 0x0F) | refresh << 4 | self.pit.out(2) << 5

    def write(self, port, value, size):
        self.value = value & 0x0F
        self.pit.set_gate(2, value & 1)


class PortA:
    """Port 0x92: A20 gate and the machine reset.

    set_a20(bool) drives the CPU's A20M# (cpu.set_a20), a20() reads it back;
    reset_machine() asks the machine for a reset after the current instruction."""

    def __init__(self, set_a20, a20, reset_machine):
        self.set_a20 = set_a20
        self.a20 = a20
        self.reset_machine = reset_machine
        self.reset()

    def attach(self, bus):
        bus.claim("system control port A", PORT_A, 1, self.read, self.write)

    def reset(self):
        """Power-on and RESET: the register is 0, so this line does not ask for A20 (the
        keyboard controller's output port does at power-on: see emu.machine.A20Gate)."""
        self.value = 0
        self.set_a20(False)

    def read(self, port, size):
        return (self.value & ~0x02) | (0x02 if self.a20() else 0)

    def write(self, port, value, size):
        old = self.value
        self.value = value & 0xFF
        self.set_a20(bool(value & 0x02))
        if value & 0x01 and not old & 0x01:
            self.reset_machine()
