"""The Motorola MC146818 real-time clock and its CMOS RAM, at ports 0x70/0x71.

Port 0x70 selects one of 128 bytes (bit 7 is the NMI mask, kept in nmi_masked); port
0x71 reads and writes it. Bytes 0x00-0x0D are the clock, the rest is NVRAM that the
machine fills like a PC BIOS setup would (fill_config): equipment, memory sizes,
century, checksum. Behaviour follows the MC146818A data sheet:

- time and calendar in BCD or binary (register B DM), 12- or 24-hour (B 24/12), the
  once-a-second update cycle with the update-in-progress bit (register A UIP is set
  for the 244 us before each update), SET (B bit 7) stopping updates (and clearing
  UIE, as on the DS12887 family) while software writes the time, the divider chain
  (register A DV: 010 runs; leaving reset, the first update comes 500 ms later);
- the alarm (with "don't care" values 0xC0-0xFF), the periodic interrupt at the rate
  register A RS selects, the update-ended interrupt, all on IRQ8; register C reports
  and clears the flags, IRQF says which enabled ones are set, and IRQ8 stays high
  until register C is read;
- register D reports valid RAM and time; RESET clears PIE/AIE/UIE/SQWE and the flags.

Time is guest time (emu.clock): the registers change at whole guest seconds. The clock
starts from `start` (a naive UTC datetime; the host's UTC time when None) and the
calendar arithmetic is the chip's (years 00-99, leap every 4th; the century byte is
carried as QEMU does). Daylight saving (B DSE) is not applied. Registers holding
values the chip could not have produced (a month 13, a bad BCD digit) stop the clock
until software writes valid ones.
"""
from datetime import datetime, timedelta, timezone

from emu.clock import NS_PER_S

INDEX_PORT = 0x70
CMOS_SIZE = 128

SECONDS, SECONDS_ALARM, MINUTES, MINUTES_ALARM, HOURS, HOURS_ALARM = 0, 1, 2, 3, 4, 5
DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR = 6, 7, 8, 9
REG_A, REG_B, REG_C, REG_D = 0x0A, 0x0B, 0x0C, 0x0D
SHUTDOWN_STATUS = 0x0F
FLOPPY_TYPES = 0x10
DISK_TYPES = 0x12
EQUIPMENT = 0x14
BASE_MEMORY = 0x15                   # KiB below 1 MiB (word)
EXT_MEMORY = 0x17                    # KiB above 1 MiB, at most 65535 (word)
CHECKSUM = 0x2E                      # sum of 0x10-0x2D, big-endian word
EXT_MEMORY_COPY = 0x30               # the same as 0x17 (word)
CENTURY = 0x32
HIGH_MEMORY = 0x34                   # 64 KiB units above 16 MiB, at most 0xFFFF (word)
DISK_EXT_TYPES = (0x19, 0x1A)        # drive C/D type when its DISK_TYPES nibble is 0xF
DISK_PARAMS = (0x1B, 0x24)           # type 47 (user defined) parameter blocks, C and D
DISK_TRANSLATION = 0x39              # Bochs/QEMU/SeaBIOS: 2 bits per IDE position
DISK_TYPE_USER = 47

A_UIP = 0x80
A_DV = 0x70
A_DV_RUN = 0x20                      # 32.768 kHz time base, divider running
A_RS = 0x0F
B_SET, B_PIE, B_AIE, B_UIE, B_SQWE, B_DM_BINARY, B_24H = 0x80, 0x40, 0x20, 0x10, 8, 4, 2
B_RESET_CLEARS = B_PIE | B_AIE | B_UIE | B_SQWE
C_IRQF, C_PF, C_AF, C_UF = 0x80, 0x40, 0x20, 0x10
D_VRT = 0x80

BASE_HZ = 32768
UIP_NS = -(-8 * NS_PER_S // BASE_HZ)  # 244.140625 us: 8 cycles of the time base
EQUIPMENT_FPU = 0x02                 # bits 5-4 = 00: EGA/VGA
EQUIPMENT_FLOPPY = 0x01              # diskette drives present ...
EQUIPMENT_FLOPPY_COUNT = 0xC0        # ... how many, minus one
DAY = 86400


def periodic_cycles(rs):
    """Time-base cycles between periodic interrupts for rate select rs (0: none)."""
    if rs == 0:
        return 0
    if rs <= 2:
        return 1 << (rs + 6)          # RS 1, 2 give 256 Hz and 128 Hz at 32.768 kHz
    return 1 << (rs - 1)


class Rtc:
    """MC146818 + 128 bytes of CMOS; `irq` is the IrqLine of IRQ8."""

    def __init__(self, clock, irq, start=None):
        self.clock = clock
        self.irq = irq
        self.timer = clock.timer("RTC", self._event, irq)
        self.cmos = bytearray(CMOS_SIZE)
        self.index = 0
        self.nmi_masked = False
        if start is None:
            start = datetime.now(timezone.utc).replace(tzinfo=None)
        frac_ns = start.microsecond * 1000
        self.cmos[REG_A] = A_DV_RUN | 0x06            # 1024 Hz periodic rate, stopped
        self.cmos[REG_B] = B_24H                      # BCD, 24-hour
        self.cmos[REG_D] = D_VRT
        self._write_datetime(start.replace(microsecond=0), 0)
        self.cmos[DAY_OF_WEEK] = self._enc(start.isoweekday() % 7 + 1)   # Sunday = 1
        self.flags = 0
        # The divider chain's origin: updates happen at base + k seconds, so the first
        # one comes when the host clock's (or the fixed time's) next second begins.
        now = clock.now()
        self._base = now - frac_ns
        self._upd_k = 0
        self._per_k = self._periodic_index(now)

    def attach(self, bus):
        bus.claim("RTC/CMOS", INDEX_PORT, 2, self._read, self._write)

    def reset(self):
        """The RESET pin: interrupt enables and flags clear; time and NVRAM stay."""
        self._sync(self.clock.now())
        self.cmos[REG_B] &= ~B_RESET_CLEARS
        self.flags = 0
        self._update_irq()
        self._schedule()

    # -- configuration ------------------------------------------------------------------
    def fill_config(self, memory_bytes):
        """The NVRAM fields a BIOS reads: equipment, memory sizes, checksum."""
        c = self.cmos
        c[FLOPPY_TYPES] = 0
        c[DISK_TYPES] = 0
        c[EQUIPMENT] = EQUIPMENT_FPU
        self._word(BASE_MEMORY, min(memory_bytes >> 10, 640))
        ext = min(max(memory_bytes - (1 << 20), 0) >> 10, 0xFFFF)
        self._word(EXT_MEMORY, ext)
        self._word(EXT_MEMORY_COPY, ext)
        self._word(HIGH_MEMORY, min(max(memory_bytes - (16 << 20), 0) >> 16, 0xFFFF))
        self.update_checksum()

    def set_floppy_types(self, a, b):
        """Drive types of A: and B: (CMOS codes: 0 none, 1 360K, 2 1.2M, 3 720K,
        4 1.44M, 5 2.88M) in byte 0x10, and the equipment byte's drive bits: bit 0
        "diskette drives present", bits 7-6 their count minus one."""
        c = self.cmos
        c[FLOPPY_TYPES] = a << 4 | b
        count = (a != 0) + (b != 0)
        equipment = c[EQUIPMENT] & ~(EQUIPMENT_FLOPPY | EQUIPMENT_FLOPPY_COUNT)
        if count:
            equipment |= EQUIPMENT_FLOPPY | (count - 1) << 6
        c[EQUIPMENT] = equipment
        self.update_checksum()

    def fill_disks(self, geometries):
        """The hard disk fields, from the (cylinders, heads, sectors) of the ATA disks
        at the four IDE positions (None: no disk there). The first two are drives C
        and D of the AT layout: a nibble each in 0x12 (0xF: see 0x19/0x1A), type 47
        with its parameter block (cylinders, heads, write precompensation none,
        control byte, landing zone, sectors per track) at 0x1B and 0x24. Byte 0x39
        says per position which BIOS translation to use, as Bochs and QEMU set it for
        SeaBIOS: LBA-assisted beyond 1024 cylinders, none otherwise."""
        c = self.cmos
        c[DISK_TYPES] = 0
        c[DISK_TRANSLATION] = 0
        for k, geometry in enumerate(geometries):
            if geometry is None:
                continue
            cyls, heads, spt = geometry
            if cyls > 1024:
                c[DISK_TRANSLATION] |= 1 << (2 * k)
            if k > 1:
                continue
            c[DISK_TYPES] |= 0xF0 >> (4 * k)
            c[DISK_EXT_TYPES[k]] = DISK_TYPE_USER
            base = DISK_PARAMS[k]
            self._word(base, cyls)
            c[base + 2] = heads
            self._word(base + 3, 0xFFFF)
            c[base + 5] = 0xC0 | (0x08 if heads > 8 else 0)
            self._word(base + 6, cyls)
            c[base + 8] = spt
        self.update_checksum()

    def _word(self, reg, value):
        self.cmos[reg] = value & 0xFF
        self.cmos[reg + 1] = value >> 8

    def update_checksum(self):
        total = sum(self.cmos[0x10:CHECKSUM]) & 0xFFFF
        self.cmos[CHECKSUM] = total >> 8
        self.cmos[CHECKSUM + 1] = total & 0xFF

    # -- register encodings (BCD/binary, 12/24 h) ------------------------------------------
    def _binary(self):
        return self.cmos[REG_B] & B_DM_BINARY

    def _dec(self, b):
        if self._binary():
            return b
        if (b & 0x0F) > 9 or (b >> 4) > 9:
            return None
        return (b >> 4) * 10 + (b & 0x0F)

    def _enc(self, v):
        return v if self._binary() else (v // 10) << 4 | v % 10

    def _dec_hour(self, b):
        if self.cmos[REG_B] & B_24H:
            return self._dec(b)
        h = self._dec(b & 0x7F)
        if h is None or not 1 <= h <= 12:
            return None
        return h % 12 + (12 if b & 0x80 else 0)

    def _enc_hour(self, h):
        if self.cmos[REG_B] & B_24H:
            return self._enc(h)
        return self._enc(h % 12 or 12) | (0x80 if h >= 12 else 0)

    def _read_datetime(self):
        c = self.cmos
        fields = [self._dec(c[r]) for r in (YEAR, MONTH, DAY_OF_MONTH, MINUTES, SECONDS)]
        hour = self._dec_hour(c[HOURS])
        century = self._dec(c[CENTURY])
        if None in fields or hour is None:
            return None
        year, month, day, minute, second = fields
        if century is None or year > 99:
            return None
        try:
            return datetime(century * 100 + year, month, day, hour, minute, second)
        except ValueError:
            return None

    def _write_datetime(self, dt, days):
        c = self.cmos
        c[SECONDS] = self._enc(dt.second)
        c[MINUTES] = self._enc(dt.minute)
        c[HOURS] = self._enc_hour(dt.hour)
        c[DAY_OF_MONTH] = self._enc(dt.day)
        c[MONTH] = self._enc(dt.month)
        c[YEAR] = self._enc(dt.year % 100)
        c[CENTURY] = self._enc(dt.year // 100 % 100)
        dow = self._dec(c[DAY_OF_WEEK])
        if days and dow is not None and 1 <= dow <= 7:
            c[DAY_OF_WEEK] = self._enc((dow - 1 + days) % 7 + 1)

    # -- time keeping ---------------------------------------------------------------------
    def _running(self):
        return self.cmos[REG_A] & A_DV == A_DV_RUN

    def _periodic_index(self, now):
        cycles = periodic_cycles(self.cmos[REG_A] & A_RS)
        if not cycles:
            return 0
        return (now - self._base) * BASE_HZ // NS_PER_S // cycles

    def _sync(self, now):
        """Apply the update cycles and periodic ticks that happened by guest time now."""
        if not self._running():
            return
        k = (now - self._base) // NS_PER_S
        if k > self._upd_k:
            n = k - self._upd_k
            self._upd_k = k
            if not self.cmos[REG_B] & B_SET:
                self._advance(n)
                self.flags |= C_UF
        p = self._periodic_index(now)
        if p != self._per_k:
            self._per_k = p
            if self.cmos[REG_A] & A_RS:
                self.flags |= C_PF

    def _advance(self, seconds):
        dt = self._read_datetime()
        if dt is None:
            return                    # invalid registers: the chip would not count them
        to_alarm = self._seconds_to_alarm(dt)
        if to_alarm is not None and to_alarm <= seconds:
            self.flags |= C_AF
        new = dt + timedelta(seconds=seconds)
        self._write_datetime(new, (new.date() - dt.date()).days)

    def _alarm(self):
        """The alarm as (hour, minute, second) with None for "don't care", or None when
        it can never match."""
        fields = []
        for reg in (HOURS_ALARM, MINUTES_ALARM, SECONDS_ALARM):
            b = self.cmos[reg]
            if b & 0xC0 == 0xC0:
                fields.append(None)
                continue
            v = self._dec_hour(b) if reg == HOURS_ALARM else self._dec(b)
            if v is None or v >= (24 if reg == HOURS_ALARM else 60):
                return None
            fields.append(v)
        return fields

    def _seconds_to_alarm(self, dt):
        """Seconds from dt to the next update that matches the alarm (1..86400)."""
        alarm = self._alarm()
        if alarm is None:
            return None
        ah, am, asec = alarm
        tod = dt.hour * 3600 + dt.minute * 60 + dt.second
        hours = range(24) if ah is None else (ah,)
        minutes = range(60) if am is None else (am,)
        seconds = range(60) if asec is None else (asec,)
        for day in (0, DAY):
            for h in hours:
                if day + h * 3600 + 3599 <= tod:
                    continue
                for m in minutes:
                    base = day + h * 3600 + m * 60
                    if base + 59 <= tod:
                        continue
                    for s in seconds:
                        if base + s > tod:
                            return base + s - tod
        return None

    def _uip(self, now):
        if not self._running() or self.cmos[REG_B] & B_SET:
            return False
        return (now - self._base) % NS_PER_S >= NS_PER_S - UIP_NS

    # -- interrupts -----------------------------------------------------------------------
    def _irqf(self):
        return bool(self.flags & self.cmos[REG_B] & (C_PF | C_AF | C_UF))

    def _update_irq(self):
        self.irq.set(self._irqf())

    def _schedule(self):
        """Arm the timer for the next flag that would raise IRQ8 (none while it is up)."""
        b = self.cmos[REG_B]
        if self.irq.level or not self._running():
            self.timer.cancel()
            return
        when = []
        cycles = periodic_cycles(self.cmos[REG_A] & A_RS)
        if b & B_PIE and cycles:
            k = (self._per_k + 1) * cycles
            when.append(self._base + -(-k * NS_PER_S // BASE_HZ))
        if not b & B_SET:
            next_update = self._base + (self._upd_k + 1) * NS_PER_S
            if b & B_UIE:
                when.append(next_update)
            if b & B_AIE:
                dt = self._read_datetime()
                to_alarm = None if dt is None else self._seconds_to_alarm(dt)
                if to_alarm is not None:
                    when.append(next_update + (to_alarm - 1) * NS_PER_S)
        if when:
            self.timer.arm(min(when))
        else:
            self.timer.cancel()

    def _event(self):
        self._sync(self.clock.now())
        self._update_irq()
        self._schedule()

    # -- ports -------------------------------------------------------------------------------
    def _read(self, port, size):
        if port == INDEX_PORT:
            return 0xFF                   # the index register is write-only
        return self.read_register(self.index)

    def _write(self, port, value, size):
        if port == INDEX_PORT:
            self.index = value & 0x7F
            self.nmi_masked = bool(value & 0x80)
        else:
            self.write_register(self.index, value)

    def read_register(self, reg):
        if reg > REG_D:
            return self.cmos[reg]
        now = self.clock.now()
        self._sync(now)
        if reg == REG_A:
            return self.cmos[REG_A] | (A_UIP if self._uip(now) else 0)
        if reg == REG_C:
            value = self.flags | (C_IRQF if self._irqf() else 0)
            self.flags = 0
            self._update_irq()
            self._schedule()
            return value
        if reg == REG_D:
            return D_VRT
        return self.cmos[reg]

    def write_register(self, reg, value):
        if reg > REG_D:
            self.cmos[reg] = value
            return
        if reg in (REG_C, REG_D):
            return                        # read-only
        now = self.clock.now()
        self._sync(now)
        if reg == REG_A:
            was_running = self._running()
            old_rs = self.cmos[REG_A] & A_RS
            self.cmos[REG_A] = value & ~A_UIP
            if self._running() and not was_running:
                self._base = now - NS_PER_S // 2      # first update 500 ms from now
                self._upd_k = 0
                self._per_k = self._periodic_index(now)
            elif value & A_RS != old_rs:
                self._per_k = self._periodic_index(now)
        elif reg == REG_B:
            if value & B_SET:
                value &= ~B_UIE
            self.cmos[REG_B] = value
        else:
            self.cmos[reg] = value
        self._update_irq()
        self._schedule()
