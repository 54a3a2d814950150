"""The i8042 keyboard controller: ports 0x60 (data) and 0x64 (status/command).

The PC/AT controller with the PS/2 auxiliary port (IBM PS/2 Hardware Interface
Technical Reference, "Keyboard/Auxiliary Device Controller"); Bochs' and QEMU's
behaviour where the reference is silent. It owns a PS/2 keyboard and mouse (hw/ps2.py).

- Status (0x64 read): bit 0 OBF, 1 IBF (always 0: writes are taken at once), 2 the
  system flag, 3 the last write went to 0x64 (command) rather than 0x60, 4 the keyboard
  is not inhibited (no keylock here), 5 the output buffer holds an aux byte, 6 timeout
  and 7 parity error (never: the devices are always there and never garble a byte).
- The command byte: bit 0 IRQ1 on keyboard bytes, 1 IRQ12 on aux bytes, 2 the system
  flag, 4 keyboard clock off, 5 aux clock off, 6 translate keyboard bytes from scan
  code set 2 to set 1 (every byte the keyboard sends, replies included, as on the real
  controller: an identify answer reads AB 41). It is byte 0 of the 32-byte controller
  RAM that commands 0x20-0x3F/0x60-0x7F read and write.
- One byte at a time sits in the output buffer; the rest waits: the controller's own
  replies first, then the keyboard's queue, then the mouse's (a device whose clock is
  off in the command byte keeps its bytes). The buffer's IRQ (1 or 12) is high while
  it is full and enabled. When the guest reads a byte, the next one comes NEXT_BYTE_NS
  later, through the clock, so the IRQ line drops and rises again as a new edge.
- The output port: bit 0 the CPU reset line (writing it 0 resets the machine), bit 1
  the A20 gate, bits 4/5 the two buffer-full IRQ outputs (read only). A20 goes to
  `set_a20(bool)`, which the machine ORs with port 0x92's bit (emu/machine.py).
"""
from collections import deque

from hw.ps2 import Keyboard, Mouse, Translator

DATA_PORT, STATUS_PORT = 0x60, 0x64
NEXT_BYTE_NS = 20_000            # after a read, the next queued byte is there this
                                 # much later (not the ~1 ms a byte takes on the wire)

ST_OBF, ST_SYS, ST_CMD, ST_UNLOCKED, ST_AUX = 0x01, 0x04, 0x08, 0x10, 0x20
CB_IRQ1, CB_IRQ12, CB_SYS, CB_KBD_OFF, CB_AUX_OFF, CB_XLATE = 1, 2, 4, 0x10, 0x20, 0x40
OUT_RESET, OUT_A20, OUT_IRQ1, OUT_IRQ12 = 1, 2, 0x10, 0x20
OUTPUT_PORT_RESET = 0xCF         # reset line high, A20 on, keyboard clock/data high
INPUT_PORT = 0x80                # bit 7: keyboard not inhibited (no keylock)
COMMAND_BYTE_RESET = 0x03        # QEMU's power-on value: both IRQs on, no translation

KBD, AUX = False, True


class I8042:
    """The controller. irq1/irq12: IrqLines; set_a20(bool): its A20 gate output;
    reset_machine(): pulses the CPU reset line."""

    def __init__(self, clock, irq1, irq12, set_a20, reset_machine):
        self.clock = clock
        self.irq1 = irq1
        self.irq12 = irq12
        self.set_a20 = set_a20
        self.reset_machine = reset_machine
        self.keyboard = Keyboard()
        self.mouse = Mouse()
        self.keyboard.notify = self.mouse.notify = self._refill
        self.timer = clock.timer("i8042 output buffer", self._refill)
        self.reset()

    def attach(self, bus):
        bus.claim("i8042 data", DATA_PORT, 1, self._read_data, self._write_data)
        bus.claim("i8042 status/command", STATUS_PORT, 1, self._read_status,
                  self._write_command)

    def reset(self):
        """RESET: controller and both devices to power-on state, A20 on."""
        self.ram = bytearray(32)
        self.ram[0] = COMMAND_BYTE_RESET
        self.status = ST_UNLOCKED
        self.output_port = OUTPUT_PORT_RESET
        self.replies = deque()
        self.obf = None              # (byte, aux) in the output buffer, or None
        self.last_read = 0
        self.pending = None          # the controller command whose data byte is due
        self.translator = Translator()
        self.timer.cancel()
        self.keyboard.reset()
        self.mouse.reset()
        self._update_irq()
        self.set_a20(True)

    @property
    def command_byte(self):
        return self.ram[0]

    def can_interrupt_on_input(self):
        """Could a key or mouse event from the host, arriving later, interrupt the CPU
        (a device that would send it, its port clock on, its IRQ enabled and not
        masked)?"""
        cb = self.command_byte
        kbd = (self.keyboard.scanning and not cb & CB_KBD_OFF and cb & CB_IRQ1
               and not self.irq1.masked)
        aux = (self.mouse.reporting and not cb & CB_AUX_OFF and cb & CB_IRQ12
               and not self.irq12.masked)
        return bool(kbd or aux)

    # -- the output buffer ------------------------------------------------------------
    def _reply(self, byte, aux=KBD):
        self.replies.append((byte, aux))
        self._refill()

    def _refill(self):
        """Fill an empty output buffer, unless a read has the next byte on its way."""
        if self.obf is None and not self.timer.armed:
            self.obf = self._take()
            self._update_irq()

    def _take(self):
        if self.replies:
            return self.replies.popleft()
        cb = self.command_byte
        kbd = self.keyboard.queue
        while kbd and not cb & CB_KBD_OFF:
            byte = kbd.popleft()
            if cb & CB_XLATE:
                byte = self.translator.feed(byte)
                if byte is None:
                    continue
            return byte, KBD
        if self.mouse.queue and not cb & CB_AUX_OFF:
            return self.mouse.queue.popleft(), AUX
        return None

    def _update_irq(self):
        full = self.obf is not None
        aux = full and self.obf[1]
        cb = self.command_byte
        self.irq1.set(full and not aux and cb & CB_IRQ1)
        self.irq12.set(aux and cb & CB_IRQ12)

    # -- ports ------------------------------------------------------------------------
    def _read_status(self, port, size):
        status = self.status
        if self.obf is not None:
            status |= ST_OBF | (ST_AUX if self.obf[1] else 0)
        return status

    def _read_data(self, port, size):
        """Reading takes the byte out (an empty buffer reads the last byte again)."""
        if self.obf is None:
            return self.last_read
        self.last_read = self.obf[0]
        self.obf = None
        self._update_irq()
        if self.replies or self.keyboard.queue or self.mouse.queue:
            self.timer.arm_in(NEXT_BYTE_NS)
        return self.last_read

    def _write_data(self, port, value, size):
        self.status &= ~ST_CMD
        command, self.pending = self.pending, None
        if command is None:
            self._set_command_byte_bits(clear=CB_KBD_OFF)   # sending enables the port
            self.keyboard.write(value)
        elif 0x60 <= command <= 0x7F:
            self._write_ram(command - 0x60, value)
        elif command == 0xD1:
            self._write_output_port(value)
        elif command == 0xD2:
            self._reply(value, KBD)
        elif command == 0xD3:
            self._reply(value, AUX)
        elif command == 0xD4:
            self._set_command_byte_bits(clear=CB_AUX_OFF)
            self.mouse.write(value)

    def _write_command(self, port, value, size):
        self.status |= ST_CMD
        self.pending = None
        if 0x20 <= value <= 0x3F:
            self._reply(self.ram[value - 0x20])
        elif 0x60 <= value <= 0x7F or value in (0xD1, 0xD2, 0xD3, 0xD4):
            self.pending = value
        elif value == 0xA7:
            self._set_command_byte_bits(set_=CB_AUX_OFF)
        elif value == 0xA8:
            self._set_command_byte_bits(clear=CB_AUX_OFF)
        elif value in (0xA9, 0xAB):           # aux / keyboard interface test: passed
            self._reply(0x00)
        elif value == 0xAA:                   # self test: passed; sets the system flag
            self.status |= ST_SYS
            self._reply(0x55)
        elif value == 0xAD:
            self._set_command_byte_bits(set_=CB_KBD_OFF)
        elif value == 0xAE:
            self._set_command_byte_bits(clear=CB_KBD_OFF)
        elif value == 0xC0:
            self._reply(INPUT_PORT)
        elif value == 0xD0:
            self._reply(self._output_port_value())
        elif value == 0xDD:                   # HP-style A20 commands
            self._write_output_port(self.output_port & ~OUT_A20)
        elif value == 0xDF:
            self._write_output_port(self.output_port | OUT_A20)
        elif value == 0xE0:                   # test inputs: keyboard clock and data low
            self._reply(0x00)
        elif value >= 0xF0:
            self._pulse(value & 0x0F)
        # other commands (passwords, vendor extensions) are ignored, as in Bochs

    # -- the command byte and the output port ------------------------------------------
    def _write_ram(self, index, value):
        self.ram[index] = value
        if index == 0:
            self.status = (self.status & ~ST_SYS) | (value & CB_SYS)
            self._update_irq()
            self._refill()                    # a device port may have been enabled

    def _set_command_byte_bits(self, set_=0, clear=0):
        self._write_ram(0, (self.command_byte | set_) & ~clear)

    def _output_port_value(self):
        value = self.output_port & ~(OUT_IRQ1 | OUT_IRQ12)
        if self.irq1.level:
            value |= OUT_IRQ1
        if self.irq12.level:
            value |= OUT_IRQ12
        return value

    def _write_output_port(self, value):
        self.output_port = value & 0xFF
        self.set_a20(bool(value & OUT_A20))
        if not value & OUT_RESET:
            self.reset_machine()

    def _pulse(self, mask):
        """Commands F0-FF: bits 0-3 of the output port low for 6 us, then high again.
        Only the reset line (bit 0) does anything on a PC: FE resets the machine."""
        if not mask & OUT_RESET:
            self.reset_machine()
