"""The TSC keeps pace with guest time across a HLT that the clock skips."""
from emu.machine import Stop
from tests.hw.test_machine import (COUNT_AND_EOI, PIT_100HZ, SETUP, exit_with, pic_init,
                                   rom_with_handlers, run, set_vector, wait_count)


def test_tsc_counts_skipped_idle_time():
    main = SETUP + set_vector(0x08, 0) + pic_init(0xFE) + PIT_100HZ + """
rdtsc
mov dword ptr [0x600], eax
mov dword ptr [0x604], edx
""" + wait_count(10) + """
rdtsc
mov dword ptr [0x608], eax
mov dword ptr [0x60c], edx
""" + exit_with(0)
    m, outcome, out = run(rom_with_handlers(main, COUNT_AND_EOI))
    assert outcome.stop is Stop.DEBUG_EXIT
    data = m.mem.read(0x600, 16)
    t0 = int.from_bytes(data[0:8], "little")
    t1 = int.from_bytes(data[8:16], "little")
    # ten 10 ms PIT periods at the nominal 100 MHz: about 10 million ticks, although
    # only a few hundred instructions ran
    assert 9_000_000 <= t1 - t0 <= 10_100_000, t1 - t0
