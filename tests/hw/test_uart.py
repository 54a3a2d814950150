"""The 16550A with guest time moved by hand: loopback, FIFOs, IIR priorities, timing."""
import io

import pytest

from emu.chardev import BytesSource
from hw.irq import IrqLine
from hw.uart import Uart
from tests.hw.harness import HandClock, Ports, Wires

BASE = 0x3F8
THR = RBR = DLL = BASE
IER = DLM = BASE + 1
IIR = FCR = BASE + 2
LCR, MCR, LSR, MSR, SCR = BASE + 3, BASE + 4, BASE + 5, BASE + 6, BASE + 7
CHAR_115200 = 86_806                   # 10 bits at 115200 baud, in ns (rounded up)


@pytest.fixture
def com1():
    def make(sink=None, source=None):
        clock = HandClock()
        wires = Wires(clock)
        uart = Uart("COM1", clock, BASE, IrqLine(wires, 4), sink=sink, source=source)
        ports = Ports(uart)
        ports.outb(LCR, 0x83)              # 8N1, DLAB
        ports.outb(DLL, 1)
        ports.outb(DLM, 0)                 # 115200 baud
        ports.outb(LCR, 0x03)
        return uart, clock, wires, ports
    return make


def test_divisor_latch_and_character_time(com1):
    uart, clock, wires, p = com1()
    p.outb(LCR, 0x83)
    assert p.inb(DLL) == 1 and p.inb(DLM) == 0
    p.outb(DLL, 0x0C)                      # 9600
    assert p.inb(DLL) == 0x0C
    p.outb(LCR, 0x03)
    assert abs(uart.char_time() - 1_041_667) <= 1
    p.outb(LCR, 0x1F)                      # 8 data, even parity, 2 stop: 12 bits
    assert abs(uart.char_time() - 1_250_000) <= 1
    p.outb(LCR, 0x04)                      # 5 data, 1.5 stop: 7.5 bits
    assert abs(uart.char_time() - 781_250) <= 1


def test_loopback_byte_arrives_after_one_character(com1):
    uart, clock, wires, p = com1()
    p.outb(MCR, 0x10)
    assert p.inb(LSR) == 0x60
    p.outb(THR, 0x41)
    assert p.inb(LSR) & 0x61 == 0x20       # THR empty again, shifter busy, no data
    clock.advance(CHAR_115200 - 1)
    assert not p.inb(LSR) & 0x01
    clock.advance(1)
    assert p.inb(LSR) == 0x61 and p.inb(RBR) == 0x41
    assert p.inb(LSR) == 0x60


def test_transmit_is_immediate_outside_loopback(com1):
    out = io.BytesIO()
    uart, clock, wires, p = com1(sink=out)
    p.outb(MCR, 0x08)                      # OUT2: the IRQ reaches the bus
    p.outb(IER, 0x02)
    assert p.inb(IIR) == 0x02              # empty THR interrupts once enabled ...
    assert p.inb(IIR) == 0x01              # ... and reading IIR consumed it
    p.outb(THR, ord("a"))
    assert p.inb(LSR) & 0x60 == 0x60       # sent: THR and shifter empty at once
    assert wires.level(4)
    assert p.inb(IIR) == 0x02              # the THRE interrupt came back
    p.outb(THR, ord("b"))
    assert out.getvalue() == b"ab"
    assert clock.next_deadline() is None   # no transmit timer left running


def test_loopback_transmit_paces_at_the_character_rate(com1):
    uart, clock, wires, p = com1()
    p.outb(MCR, 0x10)
    p.outb(THR, 1)
    p.outb(THR, 2)                         # waits in the holding register
    assert p.inb(LSR) & 0x60 == 0
    clock.advance(CHAR_115200)
    assert p.inb(LSR) & 0x61 == 0x21       # 1 received, 2 shifting
    clock.advance(CHAR_115200)
    assert p.inb(LSR) & 0x60 == 0x60


def test_fifo_trigger_level_overrun_and_iir_bits(com1):
    uart, clock, wires, p = com1()
    p.outb(FCR, 0xC7)                      # FIFOs on, both reset, trigger 14
    p.outb(MCR, 0x10)
    p.outb(IER, 0x05)                      # data and line status interrupts
    assert p.inb(IIR) == 0xC1
    for k in range(13):
        p.outb(THR, k)
    clock.advance(13 * CHAR_115200)
    assert p.inb(IIR) == 0xC1              # 13 < 14
    for k in range(13, 17):
        p.outb(THR, k)                     # 17 in all: one too many
    clock.advance(4 * CHAR_115200)
    assert p.inb(IIR) == 0xC6              # overrun: line status first
    assert p.inb(LSR) & 0x03 == 0x03
    assert p.inb(IIR) == 0xC4              # then data available
    assert [p.inb(RBR) for _ in range(16)] == list(range(16))
    assert not p.inb(LSR) & 0x01


def test_loopback_transmit_fifo_holds_sixteen(com1):
    uart, clock, wires, p = com1()
    p.outb(FCR, 0x07)
    p.outb(MCR, 0x10)
    for k in range(20):
        p.outb(THR, 0x30 + k)              # 1 shifting + 16 queued, 3 dropped
    clock.advance(17 * CHAR_115200)
    assert p.inb(LSR) & 0x62 == 0x62       # all sent; the 17th overran the receive FIFO
    assert [p.inb(RBR) for _ in range(16)] == list(range(0x30, 0x30 + 16))


def test_character_timeout_interrupt(com1):
    uart, clock, wires, p = com1()
    p.outb(FCR, 0x81)                      # trigger 8
    p.outb(MCR, 0x10)
    p.outb(IER, 0x01)
    p.outb(THR, 0x55)
    clock.advance(CHAR_115200)
    assert p.inb(IIR) == 0xC1
    clock.advance(4 * CHAR_115200 - 1)
    assert p.inb(IIR) == 0xC1
    clock.advance(1)
    assert p.inb(IIR) == 0xCC              # timeout
    assert p.inb(RBR) == 0x55
    assert p.inb(IIR) == 0xC1


def test_iir_priorities_and_thre_clearing(com1):
    uart, clock, wires, p = com1()
    p.outb(MCR, 0x10)
    p.inb(MSR)                             # clear the deltas of entering loopback
    p.outb(IER, 0x0F)
    assert p.inb(IIR) == 0x02              # empty THR interrupts once enabled ...
    assert p.inb(IIR) == 0x01              # ... and reading IIR consumed it
    p.outb(MCR, 0x11)                      # DTR -> DSR changes: modem status
    assert p.inb(IIR) == 0x00
    p.outb(THR, 1)
    p.outb(THR, 2)                         # 1 shifting, 2 held: THRE clear
    clock.advance(CHAR_115200)             # 1 received, 2 shifting: THRE
    p.outb(THR, 3)                         # 3 held: THRE clear again
    clock.advance(CHAR_115200)             # 2 received over 1: overrun
    assert p.inb(IIR) == 0x06              # line status beats everything
    p.inb(LSR)
    assert p.inb(IIR) == 0x04              # then received data
    p.inb(RBR)
    clock.advance(CHAR_115200)
    p.inb(RBR)
    assert p.inb(IIR) == 0x02              # then THR empty
    assert p.inb(IIR) == 0x00              # then modem status
    assert p.inb(MSR) & 0x0F == 0x02       # delta DSR; reading clears it
    assert p.inb(IIR) == 0x01


def test_loopback_modem_lines(com1):
    uart, clock, wires, p = com1()
    assert p.inb(MSR) == 0xB0              # a host terminal: CTS, DSR, DCD
    p.outb(MCR, 0x10)
    assert p.inb(MSR) == 0x0B              # all dropped: deltas
    p.outb(MCR, 0x1F)
    assert p.inb(MSR) == 0xFB              # RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD
    p.outb(MCR, 0x1B)                      # RI falls: trailing edge
    assert p.inb(MSR) == 0xB4


def test_irq_line_needs_out2_and_not_loopback(com1):
    uart, clock, wires, p = com1(sink=io.BytesIO())
    p.outb(IER, 0x02)
    assert p.inb(IIR) == 0x02 and not wires.level(4)
    p.outb(MCR, 0x08)                      # OUT2 gates the IRQ onto the bus
    p.outb(IER, 0x00)
    p.outb(IER, 0x02)
    assert wires.level(4)
    p.outb(MCR, 0x18)                      # loopback forces OUT2 inactive
    assert not wires.level(4)
    p.outb(MCR, 0x08)
    assert wires.level(4)
    p.inb(IIR)
    assert not wires.level(4)


def test_scratch_register(com1):
    uart, clock, wires, p = com1()
    p.outb(SCR, 0x5A)
    assert p.inb(SCR) == 0x5A
    uart.reset()
    assert p.inb(SCR) == 0x5A and p.inb(IER) == 0 and p.inb(LSR) == 0x60


def test_host_input_one_byte_per_character_time(com1):
    source = BytesSource(b"hi")
    uart, clock, wires, p = com1(source=source)
    p.outb(MCR, 0x08)
    p.outb(IER, 0x01)
    assert uart.can_interrupt_on_input()
    uart.poll_input()
    clock.advance(CHAR_115200)
    assert wires.level(4) and p.inb(IIR) == 0x04
    clock.advance(10 * CHAR_115200)        # no FIFO: "i" waits for room in RBR
    assert p.inb(RBR) == ord("h") and not wires.level(4)
    clock.advance(CHAR_115200)
    assert p.inb(RBR) == ord("i")
    assert source.eof and not uart.can_interrupt_on_input()
