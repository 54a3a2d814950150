"""The PC/AT's numeric coprocessor error logic: FERR# to IRQ13, and port F0h.

On an AT-compatible board the x87's FERR# output (an unmasked exception is pending
while CR0.NE = 0, MS-DOS compatibility mode) raises IRQ13. The interrupt handler
writes any value to port F0h, which drops IRQ13 and asserts the CPU's IGNNE# input,
so the waiting x87 instruction can run; IGNNE# stays asserted until FERR# goes away
(the PIIX data sheets' "coprocessor error" function, which they enable with XBCS bit
5; like QEMU and Bochs this board always has it on). Without this logic a DOS-style
program whose x87 faults would freeze the CPU for good.
"""

PORT = 0xF0
IRQ = 13


class CoprocessorError:
    """cpu: the CPU (its on_ferr callback and ignne input); irq: the IRQ13 line."""

    def __init__(self, cpu, irq):
        self.cpu = cpu
        self.irq = irq
        cpu.on_ferr = self._ferr

    def attach(self, bus):
        bus.claim("coprocessor error", PORT, 1, write=self._write)

    def reset(self):
        self.irq.lower()
        self.cpu.ignne = False

    def _ferr(self, level):
        if level:
            self.irq.raise_()
        else:
            self.irq.lower()
            self.cpu.ignne = False

    def _write(self, port, value, size):
        self.irq.lower()
        if self.cpu.ferr:
            self.cpu.ignne = True
