"""The Intel 8254 programmable interval timer at ports 0x40-0x43.

Three counters clocked at 1.193182 MHz. On a PC counter 0's OUT is IRQ0, counter 1 was
the DRAM refresh timer, counter 2 drives the speaker and is gated by port 0x61 bit 0
(hw.sysctrl). Behaviour follows the 8254 data sheet (Intel order no. 231164): the six
modes, binary and BCD counting, LSB/MSB/LSB-then-MSB access, the counter latch and
read-back commands, null count, gate levels (modes 0, 2, 3, 4) and gate triggers
(modes 1, 2, 3, 5), and a new count taking effect where the data sheet says (at once
in modes 0 and 4, at the next trigger in modes 1 and 5, at the end of the current
period in mode 2 and half-period in mode 3).

Nothing ticks: a counter remembers the clock edge at which its counting element was
loaded and with what, and computes its value and OUT for any later edge. Only a counter
whose OUT is wired (counter 0 -> IRQ0) schedules a timer, at its next OUT change.
Edge k of the input clock happens at guest time ceil(k * 1e9 / 1193182) ns.
"""
from emu.clock import NS_PER_S

PIT_HZ = 1_193_182
PIT_PORT = 0x40
_BINARY_RANGE = 0x10000
_BCD_RANGE = 10000


def tick_at(ns):
    """Index of the last input clock edge at or before guest time ns."""
    return ns * PIT_HZ // NS_PER_S


def time_of_tick(k):
    """Guest time of input clock edge k."""
    return -(-k * NS_PER_S // PIT_HZ)


def _from_bcd(value):
    return ((value >> 12) & 15) * 1000 + ((value >> 8) & 15) * 100 + \
        ((value >> 4) & 15) * 10 + (value & 15)


def _to_bcd(value):
    return ((value // 1000) % 10) << 12 | ((value // 100) % 10) << 8 | \
        ((value // 10) % 10) << 4 | value % 10


class Counter:
    """One counter. Between state changes it is described by: the edge `origin` at which
    its counting element (CE) held `start`, whether it is counting from there, and what
    the CE and OUT were before that edge (held_ce, held_out)."""

    def __init__(self, index):
        self.index = index
        self.line = None              # IrqLine driven by OUT, when wired
        self.timer = None
        self.gate = index != 2        # counters 0 and 1 have their gate tied high
        self.reset()

    def reset(self):
        """Power-on: no mode programmed, not counting, OUT low."""
        self.mode_bits = 0            # as written (3 bits), for the status byte
        self.mode = 0
        self.rw = 3
        self.bcd = False
        self.cr = 0                   # count register, as a number (BCD decoded)
        self.armed = False            # a count was written since the control word
        self.counting = False
        self.origin = 0
        self.start = 0
        self.tc_done = False          # modes 0/1/4/5: terminal count already reached
        self.held_ce = 0
        self.held_out = False
        self.pending = None           # modes 2/3: (edge, origin, start) of a new count
        self.null_count = True
        self.load_edge = None         # edge that clears null count (None: not yet known)
        self.event_edge = None        # the OUT change the timer is armed for
        self.write_low = None         # LSB of a half-written LSB-then-MSB count
        self.read_high = False        # next live LSB-then-MSB read returns the MSB
        self.latch = []               # latched count bytes still to read
        self.status = None            # latched status byte
        if self.timer is not None:
            self.timer.cancel()
        if self.line is not None:
            self.line.set(False)

    # -- evaluation ---------------------------------------------------------------------
    @property
    def range(self):
        return _BCD_RANGE if self.bcd else _BINARY_RANGE

    def _n(self):
        """The count register as a count: 0 means the full range."""
        return self.cr or self.range

    def _sync(self, t):
        """Apply what happened by edge t that the description leaves implicit."""
        p = self.pending
        if p is not None and t >= p[0]:
            self.pending = None
            self.origin, self.start = p[1], p[2]
            self.tc_done = False
        if self.load_edge is not None and t >= self.load_edge:
            self.null_count = False
            self.load_edge = None

    def _formula(self, t):
        """(CE, OUT) at edge t >= origin while counting."""
        d = t - self.origin
        mode = self.mode
        if mode == 2:
            n = self.start
            phase = d % n
            return n - phase, phase != n - 1
        if mode == 3:
            n = self.start
            phase = d % n
            high = (n + 1) // 2
            step = phase if phase < high else phase - high
            return (n & ~1) - 2 * step, phase < high
        v = self.start
        ce = (v - d) % self.range
        to_tc = v or self.range
        if mode in (0, 1):
            return ce, self.tc_done or d >= to_tc
        return ce, self.tc_done or d != to_tc         # modes 4, 5: one-clock strobe

    def _state(self, t):
        if not self.counting or t < self.origin:
            return self.held_ce, self.held_out
        return self._formula(t)

    def _freeze(self, t):
        """Stop counting at edge t, holding the present CE and OUT."""
        ce, out = self._state(t)
        if self.counting and t >= self.origin and self.mode in (0, 1, 4, 5):
            self.tc_done = self.tc_done or t - self.origin >= (self.start or self.range)
        self.held_ce, self.held_out = ce % self.range, out
        self.counting = False
        self.pending = None

    def _start(self, origin, start):
        self.origin = origin
        self.start = start
        self.counting = True

    def ce(self, t):
        self._sync(t)
        return self._state(t)[0] % self.range

    def out(self, t):
        self._sync(t)
        return self._state(t)[1]

    def next_out_change(self, t):
        """The first edge after t at which OUT differs from OUT at t (None: never,
        unless the guest or the gate changes something)."""
        self._sync(t)
        if not self.counting:
            return None
        cur = self._state(t)[1]
        if t < self.origin:
            if self._formula(self.origin)[1] != cur:
                return self.origin
            t = self.origin
        change = self._formula_change(t)
        if self.pending is not None and (change is None or self.pending[0] < change):
            change = self.pending[0]      # the new count may change OUT's pattern
        return change

    def _formula_change(self, t):
        d = t - self.origin
        mode = self.mode
        if mode == 2:
            n = self.start
            if n == 1:
                return None
            phase = d % n
            return t + 1 if phase == n - 1 else t + (n - 1 - phase)
        if mode == 3:
            n = self.start
            high = (n + 1) // 2
            if n - high == 0:
                return None
            phase = d % n
            return t + (high - phase) if phase < high else t + (n - phase)
        if self.tc_done:
            return None
        to_tc = self.start or self.range
        if mode in (0, 1):
            return self.origin + to_tc if d < to_tc else None
        if d < to_tc:
            return self.origin + to_tc
        return self.origin + to_tc + 1 if d == to_tc else None

    # -- guest actions --------------------------------------------------------------------
    def program(self, t, rw, mode_bits, bcd):
        """A control word for this counter (not a latch command)."""
        self._sync(t)
        self._freeze(t)
        self.rw = rw
        self.mode_bits = mode_bits
        self.mode = mode_bits & 3 if mode_bits >= 6 else mode_bits
        self.bcd = bcd
        self.armed = False
        self.tc_done = False
        self.held_out = self.mode != 0
        self.null_count = True
        self.load_edge = None
        self.write_low = None
        self.read_high = False
        self.latch = []
        self.status = None

    def write_byte(self, t, value):
        self._sync(t)
        if self.rw == 1:
            self._write_count(t, value)
        elif self.rw == 2:
            self._write_count(t, value << 8)
        elif self.write_low is None:
            self.write_low = value
            if self.mode == 0:
                # mode 0: the first byte stops counting and OUT goes low at once
                self._freeze(t)
                self.held_out = False
        else:
            low, self.write_low = self.write_low, None
            self._write_count(t, low | value << 8)

    def _write_count(self, t, raw):
        self.cr = _from_bcd(raw) if self.bcd else raw
        self.null_count = True
        self.armed = True
        mode = self.mode
        n = self._n()
        if mode in (0, 4):
            self._freeze(t)
            if mode == 0:
                self.held_out = False
            self.tc_done = False
            self.load_edge = t + 1
            if self.gate:
                self._start(t + 1, self.cr)
            else:
                self.held_ce = self.cr
        elif mode in (1, 5):
            self.load_edge = None             # loads at the next trigger
        elif self.counting and t >= self.origin:
            self._reload_at_period_end(t, n)
        elif self.gate:
            self._freeze(t)
            self.load_edge = t + 1
            self._start(t + 1, n)
        else:
            self.load_edge = None             # loads when the gate rises

    def _reload_at_period_end(self, t, n):
        d = t - self.origin
        old = self.start
        phase = d % old
        if self.mode == 2:
            edge = t + (old - phase)
            self.pending = (edge, edge, n)
        else:
            high = (old + 1) // 2
            if phase < high:                  # reload when OUT falls: start low half
                edge = t + (high - phase)
                self.pending = (edge, edge - (n + 1) // 2, n)
            else:
                edge = t + (old - phase)
                self.pending = (edge, edge, n)
        self.load_edge = edge

    def set_gate(self, t, level):
        self._sync(t)
        if level == self.gate:
            return
        self.gate = level
        mode = self.mode
        if mode in (0, 4):
            if not level:
                self._freeze(t)
            elif self.armed and not self.counting and self.write_low is None:
                self._start(t, self.held_ce)          # resume where it stopped
        elif mode in (2, 3):
            if not level:
                self._freeze(t)
                self.held_out = True
            elif self.armed:
                self.load_edge = t + 1
                self._start(t + 1, self._n())
        elif level and self.armed:                     # modes 1, 5: trigger
            self._freeze(t)
            self.tc_done = False
            self.load_edge = t + 1
            self._start(t + 1, self.cr)

    def latch_count(self, t):
        if self.latch:
            return                            # the first latch holds until read
        value = self.ce(t)
        if self.bcd:
            value = _to_bcd(value)
        value &= 0xFFFF
        if self.rw == 1:
            self.latch = [value & 0xFF]
        elif self.rw == 2:
            self.latch = [value >> 8]
        else:
            self.latch = [value & 0xFF, value >> 8]

    def latch_status(self, t):
        if self.status is not None:
            return
        self._sync(t)
        self.status = (self.out(t) << 7 | self.null_count << 6 | self.rw << 4 |
                       self.mode_bits << 1 | self.bcd)

    def read_byte(self, t):
        if self.status is not None:
            value, self.status = self.status, None
            return value
        if self.latch:
            return self.latch.pop(0)
        value = self.ce(t)
        if self.bcd:
            value = _to_bcd(value)
        value &= 0xFFFF
        if self.rw == 1:
            return value & 0xFF
        if self.rw == 2:
            return value >> 8
        high, self.read_high = self.read_high, not self.read_high
        return value >> 8 if high else value & 0xFF


class Pit:
    """The 8254 at 0x40-0x43; counter 0's OUT drives `irq0` (an IrqLine, or None)."""

    def __init__(self, clock, irq0=None):
        self.clock = clock
        self.counters = [Counter(k) for k in range(3)]
        c0 = self.counters[0]
        c0.line = irq0
        if irq0 is not None:
            c0.timer = clock.timer("PIT counter 0", self._counter0_event, irq0)

    def attach(self, bus):
        bus.claim("PIT", PIT_PORT, 4, self._read, self._write)

    def reset(self):
        for c in self.counters:
            c.reset()

    def now_tick(self):
        return tick_at(self.clock.now())

    # -- OUT wiring ---------------------------------------------------------------------
    def _changed(self, c, t):
        """After a guest action or an event on counter c at edge t: drive OUT, and
        schedule the next OUT change of a wired counter."""
        if c.line is None:
            return
        c.line.set(c.out(t))
        edge = c.next_out_change(t)
        c.event_edge = edge
        if edge is None:
            c.timer.cancel()
        else:
            c.timer.arm(time_of_tick(edge))

    def _counter0_event(self):
        c = self.counters[0]
        t = self.now_tick()
        if c.event_edge is not None and c.event_edge < t:
            # the event came late (realtime mode): show the change it was for first,
            # so a missed one-clock low pulse of mode 2 still makes a rising edge
            c.line.set(c.out(c.event_edge))
        self._changed(c, t)

    # -- the speaker gate and output (port 0x61) ------------------------------------------
    def set_gate(self, index, level):
        t = self.now_tick()
        c = self.counters[index]
        c.set_gate(t, bool(level))
        self._changed(c, t)

    def out(self, index):
        return self.counters[index].out(self.now_tick())

    # -- ports ------------------------------------------------------------------------------
    def _read(self, port, size):
        if port == PIT_PORT + 3:
            return 0xFF                       # the control register is write-only
        return self.counters[port - PIT_PORT].read_byte(self.now_tick())

    def _write(self, port, value, size):
        t = self.now_tick()
        if port != PIT_PORT + 3:
            c = self.counters[port - PIT_PORT]
            c.write_byte(t, value)
            self._changed(c, t)
            return
        sel = value >> 6
        if sel == 3:                          # read-back command
            for k in range(3):
                if value & (2 << k):
                    c = self.counters[k]
                    if not value & 0x20:
                        c.latch_count(t)
                    if not value & 0x10:
                        c.latch_status(t)
            return
        c = self.counters[sel]
        rw = (value >> 4) & 3
        if rw == 0:
            c.latch_count(t)
        else:
            c.program(t, rw, (value >> 1) & 7, bool(value & 1))
            self._changed(c, t)
