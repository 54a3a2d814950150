"""An interrupt request wire: what a device holds instead of a reference to the PIC.

The device drives the wire's level; the controller at the other end sees only level
changes (set_irq(pin, level) on the controller). Edge or level sensitivity is the
controller's business, as on the ISA bus.
"""


class IrqLine:
    """The wire from one device output to input `pin` of `controller`.

    controller: object with set_irq(pin, level) and irq_masked(pin) -> bool."""
    __slots__ = ("controller", "pin", "level")

    def __init__(self, controller, pin):
        self.controller = controller
        self.pin = pin
        self.level = False

    def set(self, level):
        level = bool(level)
        if level != self.level:
            self.level = level
            self.controller.set_irq(self.pin, level)

    def raise_(self):
        self.set(True)

    def lower(self):
        self.set(False)

    @property
    def masked(self):
        """True when the controller would not pass a request on this wire to the CPU."""
        return self.controller.irq_masked(self.pin)

    def __repr__(self):
        return "<IRQ%d %s>" % (self.pin, "high" if self.level else "low")


class IrqFanout:
    """A wire that runs to inputs of several controllers: the controller end of the
    IrqLines devices drive. On a PC with an I/O APIC each ISA IRQ goes to the 8259 pair
    and to an I/O APIC input, and the 8259's INT output to the CPU's LINT0 and to the
    I/O APIC's input 0.

    routes: {pin: [(controller, controller_pin), ...]}."""

    def __init__(self, routes):
        self.routes = {pin: tuple(targets) for pin, targets in routes.items()}

    def line(self, pin):
        if pin not in self.routes:
            raise ValueError("no interrupt wire %r here" % (pin,))
        return IrqLine(self, pin)

    def set_irq(self, pin, level):
        for controller, target in self.routes[pin]:
            controller.set_irq(target, level)

    def irq_masked(self, pin):
        """Masked when no controller at the end of the wire passes it on."""
        return all(c.irq_masked(t) for c, t in self.routes[pin])
