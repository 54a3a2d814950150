"""Driving devices by hand: a clock whose time tests set, and recorders for IRQ wires."""
from emu.clock import Clock
from emu.portbus import PortBus


class HandClock(Clock):
    """An instruction-count clock nobody runs instructions on: tests move time with
    advance_to/advance, which fire every timer at its own deadline, in order."""

    def __init__(self):
        super().__init__(lambda: 0, kick=lambda: None)

    def advance_to(self, when):
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > when:
                break
            self.idle_until(deadline)
            self.fire_due()
        self.idle_until(when)
        self.fire_due()

    def advance(self, ns):
        self.advance_to(self.now() + ns)


class Wires:
    """Stands in for an interrupt controller: remembers each input's level, and the
    guest time of every rising edge."""

    def __init__(self, clock=None):
        self.clock = clock
        self.levels = {}
        self.rises = {}
        self.masked = set()

    def set_irq(self, pin, level):
        self.levels[pin] = level
        if level:
            self.rises.setdefault(pin, []).append(self.clock.now() if self.clock else None)

    def irq_masked(self, pin):
        return pin in self.masked

    def level(self, pin):
        return self.levels.get(pin, False)


class Ports:
    """A port bus with byte-wide in/out helpers, the way the CPU drives it."""

    def __init__(self, *devices):
        self.bus = PortBus()
        for d in devices:
            d.attach(self.bus)

    def inb(self, port):
        return self.bus.port_read(port, 1)

    def outb(self, port, *values):
        for v in values:
            self.bus.port_write(port, v, 1)
