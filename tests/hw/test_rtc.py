"""The MC146818 RTC/CMOS with guest time moved by hand."""
from datetime import datetime

import pytest

from emu.clock import NS_PER_S
from hw.irq import IrqLine
from hw.rtc import Rtc, SHUTDOWN_STATUS, UIP_NS
from tests.hw.harness import HandClock, Ports, Wires

MS = 1_000_000


@pytest.fixture
def rtc_at():
    """rtc_at(datetime) -> (rtc, clock, wires, cmos(reg) reader, cmos_write(reg, v))."""
    def make(start=datetime(2024, 2, 28, 23, 59, 58)):
        clock = HandClock()
        wires = Wires(clock)
        rtc = Rtc(clock, IrqLine(wires, 8), start=start)
        io = Ports(rtc)

        def rd(reg):
            io.outb(0x70, reg)
            return io.inb(0x71)

        def wr(reg, value):
            io.outb(0x70, reg)
            io.outb(0x71, value)
        return rtc, clock, wires, rd, wr
    return make


def time_regs(rd):
    return [rd(r) for r in (0, 2, 4, 6, 7, 8, 9, 0x32)]


def test_time_in_bcd_and_update_at_whole_seconds(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    # 2024-02-28 is a Wednesday: day of week 4 (Sunday = 1)
    assert time_regs(rd) == [0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24, 0x20]
    clock.advance(NS_PER_S - 1)
    assert rd(0) == 0x58
    clock.advance(1)
    assert rd(0) == 0x59
    clock.advance(NS_PER_S)
    assert time_regs(rd) == [0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24, 0x20]   # leap day


def test_start_fraction_sets_the_first_update(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at(datetime(2000, 1, 1, 0, 0, 0, 250_000))
    clock.advance(750 * MS - 1)
    assert rd(0) == 0x00
    clock.advance(1)
    assert rd(0) == 0x01


def test_binary_and_12_hour_modes(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at(datetime(1999, 12, 31, 23, 59, 59))
    wr(0x0B, 0x80)                         # SET, binary, 12-hour
    wr(0x0B, 0x84)
    for reg, value in ((0, 59), (2, 59), (4, 0x80 | 11), (7, 31), (8, 12), (9, 99),
                       (0x32, 19)):
        wr(reg, value)
    wr(0x0B, 0x04)                         # run
    clock.advance(NS_PER_S)
    assert [rd(r) for r in (0, 2, 4, 7, 8, 9, 0x32)] == [0, 0, 12, 1, 1, 0, 20]
    wr(0x0B, 0x84)
    wr(4, 0x80 | 12)                       # 12 PM is noon
    wr(0x0B, 0x04)
    clock.advance(3600 * NS_PER_S)
    assert rd(4) == 0x80 | 1


def test_set_stops_updates_and_clears_uie(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(0x0B, 0x12)                         # UIE
    wr(0x0B, 0x92)                         # SET
    assert rd(0x0B) == 0x82
    clock.advance(5 * NS_PER_S)
    assert rd(0) == 0x58 and not rd(0x0C) & 0x10
    wr(0, 0x30)
    wr(0x0B, 0x02)
    clock.advance(NS_PER_S)
    assert rd(0) == 0x31


def test_update_in_progress_window(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    clock.advance(NS_PER_S - UIP_NS - 1)
    assert not rd(0x0A) & 0x80
    clock.advance(1)
    assert rd(0x0A) & 0x80 and rd(0) == 0x58   # registers not yet updated
    clock.advance(UIP_NS - 1)
    assert rd(0x0A) & 0x80
    clock.advance(1)
    assert rd(0x0A) == 0x26 and rd(0) == 0x59


def test_periodic_interrupt_rate_and_register_c(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(0x0A, 0x26)                         # 1024 Hz
    wr(0x0B, 0x42)                         # PIE
    count = 0
    end = clock.now() + NS_PER_S
    while True:
        deadline = clock.next_deadline()
        if deadline > end:
            break
        clock.advance_to(deadline)
        assert wires.level(8)
        c = rd(0x0C)
        assert c & 0xC0 == 0xC0            # IRQF and PF
        assert not wires.level(8)          # reading C lowers IRQ8
        count += 1
    assert count == 1024


def test_irq8_stays_high_until_register_c_is_read(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(0x0A, 0x23)                         # 8192 Hz
    wr(0x0B, 0x42)
    clock.advance(10 * MS)
    assert len(wires.rises[8]) == 1 and wires.level(8)
    assert rd(0x0C) & 0xC0 == 0xC0
    assert rd(0x0C) == 0                   # read clears
    clock.advance(10 * MS)
    assert len(wires.rises[8]) == 2


def test_flags_without_enables_do_not_interrupt(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(0x0A, 0x2F)                         # 2 Hz, PIE off
    clock.advance(NS_PER_S)
    assert rd(0x0C) == 0x50                # PF and UF, no IRQF
    assert 8 not in wires.rises


def test_update_ended_interrupt(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(0x0B, 0x12)
    clock.advance(3 * NS_PER_S + 1)
    assert wires.rises[8] == [NS_PER_S]    # not acknowledged: no more edges
    assert rd(0x0C) == 0xF0                # IRQF, UF; PF and AF run without enables
    clock.advance(NS_PER_S)
    assert wires.rises[8] == [NS_PER_S, 4 * NS_PER_S]


def test_alarm_with_dont_care(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at(datetime(2024, 1, 1, 10, 20, 30))
    wr(1, 0x45)
    wr(3, 0xC0)                            # any minute
    wr(5, 0x10)
    wr(0x0B, 0x22)                         # AIE
    clock.advance(14 * NS_PER_S)
    assert 8 not in wires.rises
    clock.advance(NS_PER_S)
    assert wires.rises[8] == [15 * NS_PER_S]
    assert rd(0x0C) == 0xF0                # IRQF, AF (PF and UF: not enabled)
    clock.advance(60 * NS_PER_S)           # matches again a minute later
    assert wires.rises[8] == [15 * NS_PER_S, 75 * NS_PER_S]


def test_alarm_flag_set_across_a_long_gap(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at(datetime(2024, 1, 1, 10, 20, 30))
    wr(1, 0x00)
    wr(3, 0x00)
    wr(5, 0x12)
    rd(0x0C)
    clock.advance(3600 * NS_PER_S)         # 11:20:30: not yet
    assert not rd(0x0C) & 0x20
    clock.advance(3600 * NS_PER_S)         # passed 12:00:00
    assert rd(0x0C) & 0x20


def test_divider_reset_then_first_update_after_half_a_second(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    clock.advance(300 * MS)
    wr(0x0A, 0x66)                         # divider in reset
    clock.advance(5 * NS_PER_S)
    assert rd(0) == 0x58 and not rd(0x0A) & 0x80
    wr(0x0A, 0x26)
    clock.advance(500 * MS - 1)
    assert rd(0) == 0x58
    clock.advance(1)
    assert rd(0) == 0x59


def test_register_d_and_read_only_registers(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    assert rd(0x0D) == 0x80
    wr(0x0D, 0)
    wr(0x0C, 0xFF)
    assert rd(0x0D) == 0x80 and rd(0x0C) == 0


def test_invalid_time_stops_the_clock_until_rewritten(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(8, 0x13)                            # month 13
    clock.advance(2 * NS_PER_S)
    assert rd(0) == 0x58 and rd(0x0C) & 0x10   # updates happen, time does not move
    wr(8, 0x03)
    clock.advance(NS_PER_S)
    assert rd(0) == 0x59


def test_cmos_config_fields_and_checksum(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    rtc.fill_config(32 << 20)
    word = lambda reg: rd(reg) | rd(reg + 1) << 8
    assert word(0x15) == 640
    assert word(0x17) == word(0x30) == 31 * 1024
    assert word(0x34) == (16 << 20) >> 16
    assert rd(0x14) == 0x02
    total = sum(rd(r) for r in range(0x10, 0x2E))
    assert rd(0x2E) << 8 | rd(0x2F) == total
    rtc.fill_config(3072 << 20)
    assert word(0x17) == 0xFFFF and word(0x34) == (3072 - 16) * 16


def test_nvram_index_and_nmi_mask(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(0x0F | 0x80, 0x0A)                  # with bit 7: NMI masked
    assert rtc.nmi_masked
    assert rd(0x0F) == 0x0A and not rtc.nmi_masked
    wr(0x7F, 0x55)
    assert rd(0xFF) == 0x55                # the index has 7 bits


def test_reset_clears_enables_and_flags_but_keeps_nvram(rtc_at):
    rtc, clock, wires, rd, wr = rtc_at()
    wr(SHUTDOWN_STATUS, 0x05)
    wr(0x0B, 0x7A)
    clock.advance(NS_PER_S)
    assert wires.level(8)
    rtc.reset()
    assert not wires.level(8)
    assert rd(0x0B) == 0x02                # PIE, AIE, UIE, SQWE cleared
    assert rd(0x0C) == 0 and rd(SHUTDOWN_STATUS) == 0x05
    assert clock.next_deadline() is None
