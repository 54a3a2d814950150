"""Virtual time and the event queue that every device timer lives in.

Guest time is an integer count of nanoseconds since power-on. Two ways to tell it:

- Instruction-count time (the default): the CPU is a nominal 100 MIPS machine, so every
  executed instruction is 10 ns of guest time (NOMINAL_IPS). A HLT that waits for an
  interrupt jumps guest time straight to the next scheduled event. Nothing depends on the
  host's speed or load: the same guest with the same input takes every interrupt at the
  same instruction, run after run. The CPU's TSC counts the skipped time too (Clock's
  on_skip), so it stays in step with the timers. 100 MIPS is a believable P6-class
  rate, so guest timers tick at plausible rates (an 18.2 Hz PIT tick is 5.5 million
  instructions, a calibrated delay loop finds a P6-like BogoMIPS). Guest time runs slower or faster than
  the wall clock, by however fast the interpreter is. An instruction can also take
  more time than that (Clock.stall: an ISA bus cycle, about 1 us, see emu.machine):
  guest time moves on by it, and the CPU hears of it (on_stall) to count it in its
  TSC and to end its slice as many instructions sooner.
- Real time (`--realtime`): guest time is the host's monotonic clock since power-on; a
  HLT sleeps until the next event. How many instructions fit before an event is
  estimated from the measured instruction rate.

Devices own Timers (Clock.timer) and arm them at an absolute guest time. The machine
runs the CPU in slices that end at the earliest deadline (slice_budget), then fires the
due timers (fire_due). A timer armed while a slice runs (a port write that programs a
device) and due before that slice's planned end makes the clock "kick" the CPU: it
stops after the current instruction, so events are never late by more than one
instruction. Nothing here is looked at per instruction.
"""
import heapq
import time

NS_PER_S = 1_000_000_000
NOMINAL_IPS = 100_000_000            # instructions per second of guest time (icount mode)
_MIN_RATE_SAMPLE = 10_000            # realtime: slices shorter than this don't move the
                                     # instruction-rate estimate (a HLT wake-up, a kick)


class Timer:
    """One device callback at an absolute guest time; re-arming replaces the deadline.

    line: the IRQ line the callback can raise (None: unknown or any), so the machine can
    tell a halted CPU that only masked interrupts are still to come."""
    __slots__ = ("clock", "name", "callback", "line", "deadline", "_seq")

    def __init__(self, clock, name, callback, line):
        self.clock = clock
        self.name = name
        self.callback = callback
        self.line = line
        self.deadline = None         # guest ns, or None when not armed
        self._seq = 0                # which heap entry is the live one

    def arm(self, when):
        """Call back at guest time `when` (ns); a time in the past fires at once."""
        self.clock._arm(self, when)

    def arm_in(self, delay):
        self.clock._arm(self, self.clock.now() + delay)

    def cancel(self):
        self.deadline = None

    @property
    def armed(self):
        return self.deadline is not None

    def __repr__(self):
        return "<Timer %s at %s>" % (self.name, self.deadline)


class Clock:
    """Guest time plus the deadline heap.

    icount: callable -> the CPU's instruction count; kick: callable that makes the
    running CPU return after its current instruction (cpu.request_stop)."""

    def __init__(self, icount, kick, realtime=False, ips=NOMINAL_IPS, on_skip=None,
                 on_stall=None):
        self.icount = icount
        self._kick = kick
        self.realtime = realtime
        self.ips = ips
        self._heap = []
        self._seq = 0
        self._timers = []
        self.kicked = False
        self.on_skip = on_skip           # icount mode: callable(instructions) when a
                                         # HLT skips guest time worth that many
        self.on_stall = on_stall         # icount mode: callable(instructions) when an
                                         # instruction stalls for guest time worth that many
        self._running = False
        self._slice_deadline = 0
        # icount mode: now = _base_ns + (icount - _base_icount) * NS_PER_S // ips
        self._base_ns = 0
        self._base_icount = icount()
        # realtime mode: now = monotonic - _epoch; _rate = instructions per guest ns
        self._epoch = time.monotonic_ns()
        self._rate = ips / NS_PER_S
        self._slice_start = (0, 0)

    # -- telling time ----------------------------------------------------------------
    def now(self):
        if self.realtime:
            return time.monotonic_ns() - self._epoch
        return self._base_ns + (self.icount() - self._base_icount) * NS_PER_S // self.ips

    def stall(self, ns):
        """The executing instruction takes ns of guest time beyond its own (an ISA bus
        cycle). In icount mode guest time moves on by ns and on_stall hears of it; in
        realtime mode the host's clock has already done that."""
        if self.realtime:
            return
        self._base_ns += ns
        if self.on_stall is not None:
            self.on_stall(ns * self.ips // NS_PER_S)

    # -- timers ---------------------------------------------------------------------
    def timer(self, name, callback, line=None):
        t = Timer(self, name, callback, line)
        self._timers.append(t)
        return t

    def _arm(self, timer, when):
        self._seq += 1
        timer._seq = self._seq
        timer.deadline = when
        heapq.heappush(self._heap, (when, self._seq, timer))
        if self._running and when < self._slice_deadline and not self.kicked:
            self.kicked = True
            self._kick()

    def _top(self):
        """The earliest live heap entry (stale ones from re-arming/cancel are dropped)."""
        heap = self._heap
        while heap:
            when, seq, timer = heap[0]
            if timer._seq == seq and timer.deadline is not None:
                return heap[0]
            heapq.heappop(heap)
        return None

    def next_deadline(self):
        top = self._top()
        return None if top is None else top[0]

    def armed_timers(self):
        return [t for t in self._timers if t.deadline is not None]

    def fire_due(self):
        """Run every timer whose deadline has come (timers they arm for now run too)."""
        now = self.now()
        while True:
            top = self._top()
            if top is None or top[0] > now:
                return
            heapq.heappop(self._heap)
            timer = top[2]
            timer.deadline = None
            timer.callback()

    # -- slices -----------------------------------------------------------------------
    def slice_budget(self, limit):
        """Instructions the CPU may run before the next deadline (1..limit); marks the
        slice as running so that an earlier timer armed during it kicks the CPU."""
        now = self.now()
        deadline = self.next_deadline()
        budget = limit
        if deadline is not None:
            if self.realtime:
                need = int((deadline - now) * self._rate) + 1
            else:
                need = -(-(deadline - now) * self.ips // NS_PER_S)
            budget = max(1, min(limit, need))
        if self.realtime:
            self._slice_deadline = now + int(budget / self._rate)
            self._slice_start = (time.monotonic_ns(), self.icount())
        else:
            self._slice_deadline = now + budget * NS_PER_S // self.ips
        self._running = True
        self.kicked = False
        return budget

    def end_slice(self):
        self._running = False
        if self.realtime:
            t0, i0 = self._slice_start
            ran = self.icount() - i0
            took = time.monotonic_ns() - t0
            if ran >= _MIN_RATE_SAMPLE and took > 0:
                self._rate = 0.5 * self._rate + 0.5 * ran / took

    # -- idling -----------------------------------------------------------------------
    def idle_until(self, deadline, wait=None):
        """The CPU halted and nothing happens before `deadline`: get there.

        icount mode jumps guest time there. Realtime mode sleeps, through wait(seconds)
        when given (returns early when host input arrives), else time.sleep."""
        if self.realtime:
            delay = (deadline - self.now()) / NS_PER_S
            if delay > 0:
                (wait or time.sleep)(delay)
            return
        now = self.now()
        if deadline > now:
            self._base_ns = deadline
            self._base_icount = self.icount()
            if self.on_skip is not None:
                self.on_skip((deadline - now) * self.ips // NS_PER_S)
