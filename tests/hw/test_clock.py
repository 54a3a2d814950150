"""Virtual time, the timer heap, slices and kicks."""
import pytest

from emu.clock import Clock, NOMINAL_IPS, NS_PER_S


class Cpu:
    def __init__(self):
        self.icount = 0
        self.kicks = 0

    def kick(self):
        self.kicks += 1


def make(**kw):
    cpu = Cpu()
    return cpu, Clock(lambda: cpu.icount, cpu.kick, **kw)


def test_icount_time_is_ten_ns_per_instruction():
    assert NS_PER_S // NOMINAL_IPS == 10
    cpu, clock = make()
    assert clock.now() == 0
    cpu.icount = 12345
    assert clock.now() == 123450


def test_timers_fire_in_deadline_order_and_rearm_replaces():
    cpu, clock = make()
    fired = []
    a = clock.timer("a", lambda: fired.append("a"))
    b = clock.timer("b", lambda: fired.append("b"))
    c = clock.timer("c", lambda: fired.append("c"))
    a.arm(300)
    b.arm(100)
    c.arm(200)
    a.arm(50)                              # re-armed: the 300 entry is stale
    c.cancel()
    assert clock.next_deadline() == 50
    cpu.icount = 20                        # 200 ns
    clock.fire_due()
    assert fired == ["a", "b"] and not a.armed and not c.armed
    cpu.icount = 100
    clock.fire_due()
    assert fired == ["a", "b"] and clock.next_deadline() is None


def test_timer_armed_by_a_callback_for_now_fires_in_the_same_pass():
    cpu, clock = make()
    fired = []
    b = clock.timer("b", lambda: fired.append("b"))
    a = clock.timer("a", lambda: (fired.append("a"), b.arm(clock.now())))
    a.arm(0)
    clock.fire_due()
    assert fired == ["a", "b"]


def test_slice_budget_ends_at_the_next_deadline():
    cpu, clock = make()
    assert clock.slice_budget(1000) == 1000
    clock.end_slice()
    t = clock.timer("t", lambda: None)
    t.arm(1001)                            # 100.1 instructions away: 101
    assert clock.slice_budget(1000) == 101
    clock.end_slice()
    assert clock.slice_budget(50) == 50
    clock.end_slice()
    t.arm(0)
    assert clock.slice_budget(50) == 1     # overdue: run one, then fire it


def test_arming_inside_a_slice_kicks_only_when_earlier_than_its_end():
    cpu, clock = make()
    t = clock.timer("t", lambda: None)
    clock.slice_budget(1000)               # slice ends at 10000 ns
    t.arm(20000)
    assert cpu.kicks == 0
    cpu.icount = 10
    t.arm(5000)
    assert cpu.kicks == 1 and clock.kicked
    t.arm(4000)
    assert cpu.kicks == 1                  # one kick per slice is enough
    clock.end_slice()
    t.arm(100)
    assert cpu.kicks == 1                  # outside a slice nothing runs to stop


def test_idle_jumps_to_the_deadline_and_never_back():
    cpu, clock = make()
    cpu.icount = 5
    clock.idle_until(1_000_000)
    assert clock.now() == 1_000_000
    cpu.icount = 7
    assert clock.now() == 1_000_020
    clock.idle_until(10)
    assert clock.now() == 1_000_020


def test_realtime_follows_the_wall_clock_and_sleeps_through_wait():
    cpu, clock = make(realtime=True)
    waits = []
    t0 = clock.now()
    clock.idle_until(t0 + 50_000_000, wait=waits.append)
    assert len(waits) == 1 and 0 < waits[0] <= 0.05
    clock.idle_until(t0 + 2_000_000)       # a real sleep, 2 ms
    assert clock.now() >= t0 + 2_000_000
    assert clock.slice_budget(10 ** 9) == 10 ** 9


def test_a_stall_moves_guest_time_and_tells_the_cpu():
    cpu, clock = make()
    stalled = []
    clock.on_stall = stalled.append
    cpu.icount = 10
    clock.stall(1000)
    assert clock.now() == 1100 and stalled == [100]
    cpu.icount = 20
    assert clock.now() == 1200                      # and runs on from there


def test_a_stall_in_realtime_mode_is_the_host_clocks():
    cpu, clock = make(realtime=True)
    clock.on_stall = lambda ticks: pytest.fail("realtime time is not moved")
    clock.stall(1000)


def test_a_stalled_cpu_ends_its_slice_sooner():
    """cpu.interp.CPU.stall: the TSC counts the stall, the slice loses as many
    instructions (it ends at the same guest time)."""
    from cpu.interp import CPU
    from emu.memory import Memory
    mem = Memory(1 << 20)
    mem.load(0, b"\x90" * 0x1000)               # NOPs at 0000:0000
    cpu = CPU(mem)
    cpu.load_seg_real("cs", 0)
    cpu.eip = 0

    class Io:
        def port_read(self, port, size):
            cpu.stall(300)
            return 0

    cpu.io = Io()
    mem.load(0x10, b"\xe4\x60")                 # IN AL, 60h at the 17th instruction
    assert cpu.run(1000) == 1                   # STOP_SLICE
    assert cpu.icount == 1000 - 300
