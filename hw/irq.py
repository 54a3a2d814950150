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


class SharedIrqs:
    """Wired-OR interrupt inputs: any number of sources may drive one input, and the
    controllers behind it see the input high while at least one source does (ISA
    devices, PCI PIRQs routed by the PIIX and the ACPI SCI can all land on one IRQ).

    Every source is an IrqLine from line(pin) (or anything else that, like IrqLine,
    reports only its own level changes), so counting high sources per input is
    exact. sinks: the controllers fed from these inputs (set_irq(pin, level) and
    irq_masked(pin)); the i8259 pair, and later an I/O APIC's ISA inputs."""

    def __init__(self, *sinks):
        self.sinks = list(sinks)
        self._high = {}              # pin -> number of sources driving it high

    def line(self, pin):
        """A new source on input `pin`."""
        return IrqLine(self, pin)

    def set_irq(self, pin, level):
        count = self._high.get(pin, 0) + (1 if level else -1)
        self._high[pin] = count
        if count == (1 if level else 0):
            for sink in self.sinks:
                sink.set_irq(pin, bool(level))

    def level(self, pin):
        return self._high.get(pin, 0) > 0

    def irq_masked(self, pin):
        """Masked when no controller would pass a request on `pin` to the CPU."""
        return all(sink.irq_masked(pin) for sink in self.sinks)
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
