"""The National Semiconductor 16550A UART: COM1 (0x3F8, IRQ4) and COM2 (0x2F8, IRQ3).

Registers as in the PC16550D data sheet: RBR/THR and the divisor latch (DLAB), IER,
IIR with the FIFO bits and the four interrupt priorities (receiver line status;
received data available or character timeout; transmitter holding register empty;
modem status), FCR (16-byte FIFOs, resets, receive trigger level 1/4/8/14), LCR, MCR
(DTR, RTS, OUT1, OUT2, loopback), LSR, MSR and the scratch register.

Timing comes from the programmed line: one character takes (start + data + parity +
stop bits) x divisor x 16 cycles of the 1.8432 MHz crystal. The receiver takes one
byte from the host per character time and raises the character timeout after four
character times without traffic. The transmitter hands a byte to the host the moment
the guest writes it and is empty again at once (THRE, TEMT and the THRE interrupt),
as QEMU's serial port does: a console driver that polls LSR before each character
(Linux's does, with a udelay(1) per poll) would otherwise spend about 80 polls per
character, each a port access that leaves the compiled CPU loop. In loopback mode,
where the guest receives what it sends, the transmitter keeps the line's pace: it
moves a byte from the holding register/FIFO into its shift register when idle and
shifts it out in one character time.

The host side: `sink` gets every transmitted byte (an object with write(bytes) and
flush(), or None), `source` supplies received bytes (read(n) -> bytes without
blocking, `eof` true once no more will come; or None). Bytes reach the sink when the
guest writes them (so nothing is lost when the guest stops right after), and the
host is never made to lose input: a byte is taken from the source only when the
receiver has room, as QEMU's serial does. In loopback mode the transmitter feeds the
receiver (after the character time), the modem inputs mirror the modem outputs, and
the sink and source are disconnected. On a PC the interrupt reaches the bus only
while MCR OUT2 is set (it gates the IRQ driver), so loopback, which forces OUT2
inactive at the pin, keeps the IRQ line low. Parity, framing and break errors cannot
happen on this wire; overrun can (in loopback).
"""
from collections import deque

from emu.clock import NS_PER_S

COM1 = (0x3F8, 4)
COM2 = (0x2F8, 3)
CRYSTAL_HZ = 1_843_200
FIFO_SIZE = 16
RESET_DIVISOR = 12                   # 9600 baud, what QEMU powers on with

IER_RDA, IER_THRE, IER_RLS, IER_MS = 1, 2, 4, 8
IIR_NONE, IIR_MS, IIR_THRE, IIR_RDA, IIR_RLS, IIR_TIMEOUT = 1, 0, 2, 4, 6, 0x0C
IIR_FIFO = 0xC0
FCR_ENABLE, FCR_RX_RESET, FCR_TX_RESET = 1, 2, 4
LCR_DLAB = 0x80
MCR_DTR, MCR_RTS, MCR_OUT1, MCR_OUT2, MCR_LOOP = 1, 2, 4, 8, 16
LSR_DR, LSR_OE, LSR_PE, LSR_FE, LSR_BI, LSR_THRE, LSR_TEMT = 1, 2, 4, 8, 16, 32, 64
LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI
MSR_DCTS, MSR_DDSR, MSR_TERI, MSR_DDCD = 1, 2, 4, 8
MSR_CTS, MSR_DSR, MSR_RI, MSR_DCD = 16, 32, 64, 128
HOST_LINES = MSR_CTS | MSR_DSR | MSR_DCD     # a terminal that is switched on
TRIGGER_LEVELS = (1, 4, 8, 14)


class Uart:
    """One 16550A at `base` with its interrupt on `irq` (an IrqLine)."""

    def __init__(self, name, clock, base, irq, sink=None, source=None):
        self.name = name
        self.clock = clock
        self.base = base
        self.irq = irq
        self.sink = sink
        self.source = source
        self.tx_timer = clock.timer(name + " transmit", self._tx_done, irq)
        self.rx_timer = clock.timer(name + " receive", self._rx_event, irq)
        self.timeout_timer = clock.timer(name + " timeout", self._timeout, irq)
        self.divisor = RESET_DIVISOR
        self.scr = 0
        self.reset()

    def attach(self, bus):
        bus.claim(self.name, self.base, 8, self._read, self._write)

    def reset(self):
        """The MR pin: registers to their reset values, FIFOs empty, lines idle. The
        divisor latch and scratch register keep their contents, as on the chip."""
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.fcr = 0
        self.lsr_errors = 0
        self.msr_deltas = 0
        self.modem_in = HOST_LINES
        self.rx = deque()
        self.tx = deque()             # loopback: bytes waiting in the THR / TX FIFO
        self.tsr = None               # loopback: the byte being shifted out, or None
        self.thr_ipending = False
        self.timeout_ipending = False
        for t in (self.tx_timer, self.rx_timer, self.timeout_timer):
            t.cancel()
        self._update_irq()

    # -- line parameters -----------------------------------------------------------------
    @property
    def fifo_enabled(self):
        return bool(self.fcr & FCR_ENABLE)

    @property
    def loopback(self):
        return bool(self.mcr & MCR_LOOP)

    def char_time(self):
        """Guest ns per character: start, data, parity and stop bits at the baud rate."""
        half_bits = 2 * (1 + 5 + (self.lcr & 3) + (1 if self.lcr & 8 else 0))
        if self.lcr & 4:
            half_bits += 3 if self.lcr & 3 == 0 else 4     # 1.5 or 2 stop bits
        else:
            half_bits += 2
        divisor = self.divisor or 0x10000
        return -(-half_bits * divisor * 16 * NS_PER_S // (2 * CRYSTAL_HZ))

    def _rx_capacity(self):
        return FIFO_SIZE if self.fifo_enabled else 1

    # -- interrupts ------------------------------------------------------------------------
    def iir_source(self):
        ier = self.ier
        if ier & IER_RLS and self.lsr_errors:
            return IIR_RLS
        if ier & IER_RDA:
            trigger = TRIGGER_LEVELS[self.fcr >> 6] if self.fifo_enabled else 1
            if len(self.rx) >= trigger:
                return IIR_RDA
            if self.timeout_ipending:
                return IIR_TIMEOUT
        if ier & IER_THRE and self.thr_ipending:
            return IIR_THRE
        if ier & IER_MS and self.msr_deltas:
            return IIR_MS
        return IIR_NONE

    def _update_irq(self):
        gate = self.mcr & MCR_OUT2 and not self.loopback
        self.irq.set(gate and self.iir_source() != IIR_NONE)

    def can_interrupt_on_input(self):
        """Could host input, arriving later, interrupt the CPU through this UART?"""
        return (self.source is not None and not self.source.eof and not self.loopback
                and self.ier & IER_RDA and self.mcr & MCR_OUT2 and not self.irq.masked)

    # -- transmitter -------------------------------------------------------------------------
    def _write_thr(self, value):
        if not self.loopback:
            if self.sink is not None:
                self.sink.write(bytes((value,)))
                if value == 0x0A:
                    self.sink.flush()
            self.thr_ipending = True      # empty again at once (see the module doc)
            self._update_irq()
            return
        if len(self.tx) >= (FIFO_SIZE if self.fifo_enabled else 1):
            if self.fifo_enabled:
                return                    # a full transmit FIFO drops the byte
            self.tx.clear()               # the holding register is overwritten
        self.tx.append(value)
        self.thr_ipending = False
        if self.tsr is None:
            self._start_tx()
        self._update_irq()

    def _start_tx(self):
        self.tsr = self.tx.popleft()
        self.tx_timer.arm_in(self.char_time())
        if not self.tx:
            self.thr_ipending = True

    def _tx_done(self):
        byte = self.tsr
        self.tsr = None
        if self.loopback:                 # (not when loopback ended while it shifted)
            self._receive(byte)
        if self.tx:
            self._start_tx()
        self._update_irq()

    # -- receiver ------------------------------------------------------------------------------
    def _receive(self, byte):
        if len(self.rx) >= self._rx_capacity():
            self.lsr_errors |= LSR_OE     # the byte in the shift register is lost
        else:
            self.rx.append(byte)
        self.timeout_ipending = False
        self._arm_timeout()

    def _arm_timeout(self):
        if self.fifo_enabled and self.rx:
            self.timeout_timer.arm_in(4 * self.char_time())
        else:
            self.timeout_timer.cancel()

    def _timeout(self):
        if self.rx:
            self.timeout_ipending = True
            self._update_irq()

    def poll_input(self):
        """Between CPU slices: start receiving if the host has sent something."""
        if (self.source is not None and not self.loopback and not self.rx_timer.armed
                and len(self.rx) < self._rx_capacity() and self.source.ready()):
            self.rx_timer.arm_in(self.char_time())

    def _rx_event(self):
        if self.loopback or self.source is None or len(self.rx) >= self._rx_capacity():
            return
        data = self.source.read(1)
        if data:
            self._receive(data[0])
            self._update_irq()
        self.poll_input()

    def _read_rbr(self):
        if not self.rx:
            return 0
        value = self.rx.popleft()
        self.timeout_ipending = False
        self._arm_timeout()
        self.poll_input()
        self._update_irq()
        return value

    # -- modem lines ---------------------------------------------------------------------------
    def _modem_inputs(self):
        if not self.loopback:
            return HOST_LINES
        m = self.mcr
        return ((MSR_CTS if m & MCR_RTS else 0) | (MSR_DSR if m & MCR_DTR else 0) |
                (MSR_RI if m & MCR_OUT1 else 0) | (MSR_DCD if m & MCR_OUT2 else 0))

    def _set_modem_inputs(self, new):
        old = self.modem_in
        changed = old ^ new
        if changed & MSR_CTS:
            self.msr_deltas |= MSR_DCTS
        if changed & MSR_DSR:
            self.msr_deltas |= MSR_DDSR
        if changed & MSR_DCD:
            self.msr_deltas |= MSR_DDCD
        if old & MSR_RI and not new & MSR_RI:
            self.msr_deltas |= MSR_TERI   # trailing edge of ring indicate
        self.modem_in = new

    # -- registers ---------------------------------------------------------------------------
    def lsr(self):
        value = self.lsr_errors
        if self.rx:
            value |= LSR_DR
        if not self.tx:
            value |= LSR_THRE
            if self.tsr is None:
                value |= LSR_TEMT
        return value

    def _read(self, port, size):
        reg = port - self.base
        if reg == 0:
            return self.divisor & 0xFF if self.lcr & LCR_DLAB else self._read_rbr()
        if reg == 1:
            return self.divisor >> 8 if self.lcr & LCR_DLAB else self.ier
        if reg == 2:
            source = self.iir_source()
            if source == IIR_THRE:
                self.thr_ipending = False  # reading IIR with THRE as source clears it
                self._update_irq()
            return source | (IIR_FIFO if self.fifo_enabled else 0)
        if reg == 3:
            return self.lcr
        if reg == 4:
            return self.mcr
        if reg == 5:
            value = self.lsr()
            if self.lsr_errors:
                self.lsr_errors = 0
                self._update_irq()
            return value
        if reg == 6:
            value = self.modem_in | self.msr_deltas
            if self.msr_deltas:
                self.msr_deltas = 0
                self._update_irq()
            return value
        return self.scr

    def _write(self, port, value, size):
        reg = port - self.base
        if reg == 0:
            if self.lcr & LCR_DLAB:
                self.divisor = (self.divisor & 0xFF00) | value
            else:
                self._write_thr(value)
        elif reg == 1:
            if self.lcr & LCR_DLAB:
                self.divisor = (self.divisor & 0xFF) | value << 8
            else:
                enabling_thre = value & IER_THRE and not self.ier & IER_THRE
                self.ier = value & 0x0F
                if enabling_thre and not self.tx:
                    self.thr_ipending = True   # 16550: an empty THR interrupts at once
                self._update_irq()
        elif reg == 2:
            self._write_fcr(value)
        elif reg == 3:
            self.lcr = value
        elif reg == 4:
            self.mcr = value & 0x1F
            self._set_modem_inputs(self._modem_inputs())
            self._update_irq()
        elif reg == 7:
            self.scr = value

    def _write_fcr(self, value):
        if (value ^ self.fcr) & FCR_ENABLE:
            value |= FCR_RX_RESET | FCR_TX_RESET   # switching FIFO mode empties both
        if value & FCR_RX_RESET:
            self.rx.clear()
            self.timeout_ipending = False
            self.timeout_timer.cancel()
        if value & FCR_TX_RESET:
            self.tx.clear()
            self.thr_ipending = True
        # bits 1-2 clear themselves; without FIFO enable the rest is not written
        self.fcr = value & 0xC9 if value & FCR_ENABLE else 0
        self.poll_input()
        self._update_irq()
