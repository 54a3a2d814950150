"""The PIIX south bridge of the i440FX board, the way QEMU's and Bochs' "pc" machines
present it: a PIIX3 ISA bridge with a PIIX4-compatible ACPI power management function.

- Piix3Isa, PCI 00:01.0, 8086:7000, class 0x060100 (ISA bridge), header type 0x80
  (multi-function: 01.1 is the IDE controller, hw/ide.py; 01.3 the PM function).
  Follows the 82371SB (PIIX3) data sheet (Intel order no. 290550). Its PIRQ route
  control registers (PIRQRC[A:D], config 0x60-0x63) steer the four PCI interrupt
  wires to ISA IRQs: bit 7 set disables the routing, bits 3:0 name the IRQ, of which
  3-7, 9-12, 14 and 15 are valid (the others are reserved and route nowhere). A
  routed PIRQ drives its IRQ through the board's wired-OR IRQ inputs
  (hw.irq.SharedIrqs), so it shares the line with ISA devices and the SCI; the BIOS
  must make those IRQs level-triggered in the ELCR (0x4D0/0x4D1, hw/pic.py). The
  raw PIRQ levels also go to every callable in `pirq_sinks` (an I/O APIC's pins
  16-19 for PIRQA-D), whatever the routing registers say.
  The other registers of 0x40-0xFF (XBCS, top of memory, motherboard IRQ/DMA, SMI
  control...) power on with their data-sheet defaults and are stored as written.
- ResetControl, I/O port 0xCF9 (the PIIX3/PIIX4 reset control register): bit 1
  chooses hard or soft reset, a 0->1 transition of bit 2 resets. Both kinds reset the
  whole machine here (as port 0x92's fast reset does: the machine has no INIT-only
  reset).
- ApmPorts, I/O ports 0xB2 (APM control, APMC) and 0xB3 (APM status, APMS): plain
  registers (SMI handlers pass their arguments and results through them). An APMC
  write goes to `command`: the PM function's smi_command (see below).
- Piix4Pm, PCI 00:01.3, 8086:7113 revision 03, class 0x068000 (bridge, other):
  82371AB (PIIX4) data sheet (Intel order no. 290562), section "Power management
  registers", with the ACPI 1.0 fixed hardware it implements:
    PMBA (config 0x40, bits 15:6) places a 64-byte I/O block, decoded while
    PMREGMISC (config 0x80) bit 0 is set. In it:
      +0x00 PM1_STS  (W1C) TMR_STS bit 0, GBL_STS bit 5, PWRBTN_STS bit 8
      +0x02 PM1_EN   TMR_EN, GBL_EN, PWRBTN_EN, RTC_EN (bit 10) at the same bits
      +0x04 PM1_CNT  SCI_EN bit 0, SLP_TYP bits 12:10, SLP_EN bit 13 (write-only)
      +0x08 PM_TMR   24-bit count at 3.579545 MHz of guest time (read-only)
      +0x0C GPE0_STS (W1C) and +0x0E GPE0_EN: nothing sets a GPE status bit yet
      +0x10.. PCNTRL, P_LVL2/3 (read 0, no C-states), GLBSTS, DEVSTS (W1C), GLBEN,
            GLBCTL (bit 1 BIOS_RLS sets GBL_STS), DEVCTL, GPIREG, GPOREG: stored
    The SCI is IRQ 9 (fixed on the PIIX4; ACPI FADT SCI_INT = 9): high while SCI_EN
    is set and an enabled PM1 or GPE0 status bit is set. TMR_STS sets whenever the
    timer's bit 23 toggles (every 2^23 ticks, 2.34 s).
    SLP_EN with SLP_TYP = SLP_TYP_S5 (0: the PIIX4's "soft off" encoding, which
    QEMU's and Bochs' DSDTs put in \\_S5 as Package {0, 0, 0, 0}) powers the
    machine off; the DSDT should name no other sleep state, and other types do
    nothing.
    ACPI mode handshake: the FADT names SMI_CMD = 0xB2, ACPI_ENABLE = 0xF1 and
    ACPI_DISABLE = 0xF0. An OS writes ACPI_ENABLE there and waits for SCI_EN; the
    chipset sets or clears SCI_EN itself, so firmware needs no SMI handler for it
    (as QEMU's PIIX4 does).
    SMI: any other APMC write asserts SMI# (the `smi` callable, the CPU's input)
    while DEVACTB (config 0x58) bit 25 APMC_EN and GLBCTL bit 0 SMI_EN are set (the
    PIIX4 data sheet's APMC event enable and global SMI enable; SeaBIOS sets both
    before relocating SMBASE). No other SMI source (device idle timers, GPIs,
    BIOS_RLS's counterpart GBL_RLS) is modelled.
  SMBus host controller: SMBBA (config 0x90, bits 15:4) places 16 I/O ports,
  decoded while SMBHSTCFG (config 0xD2) bit 0 and the COMMAND I/O enable are set.
  No device sits on the bus: every transaction a START begins ends at once with
  DEV_ERR (no device acknowledged its address), raising IRQ 9 when INTEREN is set and
  SMBHSTCFG routes the SMBus interrupt there (bits 3:1 = 100). That is how the
  PIIX4 reports an empty bus, so SMBus drivers probe and find nothing.

Port numbers other code must use: PM_BASE_DEFAULT / SMB_BASE_DEFAULT (where our BIOS
puts the blocks), SEABIOS_PM_BASE (SeaBIOS's PM block when the machine supplies the
ACPI tables, as QEMU does: its paravirt.c moves it there), SCI_IRQ, SLP_TYP_S5, SMI_CMD_PORT, ACPI_ENABLE,
ACPI_DISABLE, and the PM1_*/PM_TMR/GPE0 offsets for the FADT.
"""
from emu.portbus import PortConflict
from hw.pci import CMD_IO, COMMAND, PciDevice

VENDOR_INTEL = 0x8086

# -- PIIX3 function 0: the ISA bridge ----------------------------------------------------
DEVICE_PIIX3_ISA = 0x7000
CLASS_ISA_BRIDGE = 0x060100
HEADER_MULTIFUNCTION = 0x80
PIRQRC = 0x60                        # PIRQRC[A:D] at 0x60-0x63
PIRQ_DISABLE = 0x80
PIRQ_IRQ_MASK = 0x0F
PIRQ_VALID_IRQS = frozenset((3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15))
PIIX3_DEFAULTS = (                   # (register, power-on value, size), 82371SB
    (0x4C, 0x4D, 1),                 # IORT: ISA I/O recovery timer
    (0x4E, 0x0003, 2),               # XBCS: RTC and keyboard controller decoded
    (0x60, 0x80808080, 4),           # PIRQRC[A:D]: routing disabled
    (0x69, 0x02, 1),                 # TOM: top of memory 1 MiB
    (0x70, 0x8080, 2),               # MBIRQ0/1: motherboard IRQs disabled
    (0x76, 0x0404, 2),               # MBDMA0/1: motherboard DMA disabled
    (0x78, 0x0002, 2),               # PCSC: programmable chip select
    (0xA0, 0x08, 1),                 # SMICNTL
    (0xA8, 0x0F, 1),                 # FTMR: fast-off timer
)

RESET_CONTROL_PORT = 0xCF9
RC_SRST, RC_RCPU = 0x02, 0x04

APMC_PORT, APMS_PORT = 0xB2, 0xB3

# -- PIIX4 function 3: power management --------------------------------------------------
DEVICE_PIIX4_PM = 0x7113
PIIX4_PM_REVISION = 0x03
CLASS_BRIDGE_OTHER = 0x068000
PMBA = 0x40                          # PM I/O base: bits 15:6, bit 0 reads 1 (I/O)
DEVACTB = 0x58                       # device activity B: bit 25 APMC_EN, the rest stored
DEVACTB_APMC_EN = 1 << 25
PMREGMISC = 0x80                     # bit 0 PMIOSE: decode the PM I/O block
SMBBA = 0x90                         # SMBus I/O base: bits 15:4, bit 0 reads 1
SMBHSTCFG = 0xD2                     # bit 0 host enable, bits 3:1 interrupt select
SMBREV = 0xD6
PM_IO_SIZE = 64
SMB_IO_SIZE = 16
SMB_INT_IRQ9 = 0x4 << 1

PM_BASE_DEFAULT = 0xB000             # where our BIOS puts the PM block: the FADT
SMB_BASE_DEFAULT = 0xB100            # (emu/acpi.py) names this address
SEABIOS_PM_BASE = 0x600              # SeaBIOS's choice when fw_cfg has etc/table-loader
SCI_IRQ = 9
SMI_CMD_PORT = APMC_PORT
ACPI_ENABLE, ACPI_DISABLE = 0xF1, 0xF0
SLP_TYP_S5 = 0
PM_TIMER_HZ = 3_579_545
NS_PER_S = 1_000_000_000

# PM I/O registers (offsets from PMBA)
PM1_STS, PM1_EN, PM1_CNT, PM_TMR = 0x00, 0x02, 0x04, 0x08
GPE0_STS, GPE0_EN = 0x0C, 0x0E
PCNTRL, P_LVL2, P_LVL3 = 0x10, 0x14, 0x15
GLBSTS, DEVSTS, GLBEN, GLBCTL, DEVCTL, GPIREG, GPOREG = (0x18, 0x1C, 0x20, 0x28,
                                                          0x2C, 0x30, 0x34)
PM1_TMR, PM1_GBL, PM1_PWRBTN, PM1_RTC = 0x0001, 0x0020, 0x0100, 0x0400
PM1_EVENTS = PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC     # RTC_STS: nothing sets it
CNT_SCI_EN, CNT_BM_RLD, CNT_GBL_RLS = 0x0001, 0x0002, 0x0004
CNT_SLP_TYP_SHIFT, CNT_SLP_TYP, CNT_SLP_EN = 10, 0x1C00, 0x2000
GLBCTL_SMI_EN = 0x00000001
GLBCTL_BIOS_RLS = 0x00000002
TMR_BITS = 24
TMR_MSB_SHIFT = TMR_BITS - 1

# offset -> (width, kind): "rw" stored, "w1c" write-one-to-clear status, "ro" reads 0
_PLAIN_REGS = {
    GPE0_STS: (2, "w1c"), GPE0_EN: (2, "rw"), PCNTRL: (4, "rw"), P_LVL2: (1, "ro"),
    P_LVL3: (1, "ro"), GLBSTS: (2, "w1c"), DEVSTS: (4, "w1c"), GLBEN: (2, "rw"),
    GLBCTL: (4, "rw"), DEVCTL: (4, "rw"), GPIREG: (4, "ro"), GPOREG: (4, "rw"),
}
_PM_REGS = {PM1_STS: 2, PM1_EN: 2, PM1_CNT: 2, PM_TMR: 4,
            **{off: w for off, (w, _) in _PLAIN_REGS.items()}}

# SMBus host registers (offsets from SMBBA)
SMBHSTSTS, SMBHSTCNT, SMBHSTCMD, SMBHSTADD, SMBHSTDAT0 = 0x0, 0x2, 0x3, 0x4, 0x5
HST_BUSY, HST_INTR, HST_DEV_ERR, HST_BUS_ERR, HST_FAILED = 0x01, 0x02, 0x04, 0x08, 0x10
HST_DONE = HST_INTR | HST_DEV_ERR | HST_BUS_ERR | HST_FAILED
CNT_INTEREN, CNT_START = 0x01, 0x40


def _claim(ports, log, name, base, size, read, write):
    """Claim an I/O block for a config-programmed base; None (with a notice) when a
    fixed device already owns a port there."""
    try:
        ports.claim(name, base, size, read, write, widths=(1, 2, 4))
    except PortConflict as e:
        log("PCI %s: block at port %#x not decoded: %s" % (name, base, e))
        return None
    return base


class Piix3Isa(PciDevice):
    """PCI 00:01.0, the PIIX3 ISA bridge, with the PIRQ router.

    irqs: the board's wired-OR ISA IRQ inputs (hw.irq.SharedIrqs); connect
    PciBus.pirq_router to pirq()."""

    def __init__(self, irqs):
        super().__init__("PIIX3 ISA bridge", VENDOR_INTEL, DEVICE_PIIX3_ISA,
                         CLASS_ISA_BRIDGE, header_type=HEADER_MULTIFUNCTION)
        self.irqs = irqs
        self.pirq_sinks = []             # callables (pirq, level): I/O APIC pins 16-19
        self._pirq_level = [False] * 4
        self._driving = [None] * 4       # the IRQ each PIRQ drives now, or None
        self.set_writable(0x40, (1 << (8 * 0xC0)) - 1, 0xC0)
        for k in range(4):
            self.set_writable(PIRQRC + k, PIRQ_DISABLE | PIRQ_IRQ_MASK, 1)
        self._put(COMMAND, 0x0007, 2)
        self._put(0x06, 0x0200, 2)       # medium DEVSEL timing
        for reg, value, size in PIIX3_DEFAULTS:
            self._put(reg, value, size)
        self.set_power_on()

    def add_pirq_sink(self, sink):
        """Also send the raw PIRQ levels to sink(pirq, level), starting now."""
        self.pirq_sinks.append(sink)
        for p in range(4):
            if self._pirq_level[p]:
                sink(p, True)

    def pirq(self, pirq, level):
        """PCI's PIRQ wire `pirq` (0 = PIRQA) changed level (PciBus.pirq_router)."""
        self._pirq_level[pirq] = bool(level)
        for sink in self.pirq_sinks:
            sink(pirq, bool(level))
        self._route(pirq)

    def routed_irq(self, pirq):
        """The ISA IRQ PIRQRC sends `pirq` to, or None."""
        r = self.get(PIRQRC + pirq, 1)
        irq = r & PIRQ_IRQ_MASK
        return None if r & PIRQ_DISABLE or irq not in PIRQ_VALID_IRQS else irq

    def _route(self, pirq):
        want = self.routed_irq(pirq) if self._pirq_level[pirq] else None
        have = self._driving[pirq]
        if want != have:
            if have is not None:
                self.irqs.set_irq(have, False)
            if want is not None:
                self.irqs.set_irq(want, True)
            self._driving[pirq] = want

    def config_written(self, off, size):
        for p in range(4):
            if off <= PIRQRC + p < off + size:
                self._route(p)

    def reset(self):
        super().reset()
        for p in range(4):
            self._route(p)


class ResetControl:
    """Port 0xCF9. reset_machine(): ask the machine for a reset after this
    instruction (the same request port 0x92 makes)."""

    def __init__(self, reset_machine):
        self.reset_machine = reset_machine
        self.reset()

    def attach(self, bus):
        bus.claim("PIIX reset control", RESET_CONTROL_PORT, 1, self.read, self.write)

    def reset(self):
        self.value = 0

    def read(self, port, size):
        return self.value

    def write(self, port, value, size):
        old = self.value
        self.value = value & (RC_SRST | RC_RCPU)
        if value & RC_RCPU and not old & RC_RCPU:
            self.reset_machine()


class ApmPorts:
    """Ports 0xB2/0xB3. command(value): what an APMC write triggers instead of an SMI
    (None: nothing)."""

    def __init__(self, command=None):
        self.command = command
        self.reset()

    def attach(self, bus):
        bus.claim("APM control", APMC_PORT, 2, self.read, self.write)

    def reset(self):
        self.control = 0
        self.status = 0

    def read(self, port, size):
        return self.control if port == APMC_PORT else self.status

    def write(self, port, value, size):
        if port == APMS_PORT:
            self.status = value
            return
        self.control = value
        if self.command is not None:
            self.command(value)


class Piix4Pm(PciDevice):
    """PCI 00:01.3, the ACPI power management function with its SMBus host.

    clock: emu.clock.Clock (the PM timer counts its guest time); sci: the IrqLine of
    ISA IRQ 9 for the SCI, smbus_irq another source on IRQ 9 for the SMBus
    interrupt; power_off(): the machine's soft-off; log: one-line notices;
    smi(): the CPU's SMI# input (None: not connected)."""

    def __init__(self, clock, sci, smbus_irq, power_off, log=None, smi=None):
        super().__init__("PIIX4 power management", VENDOR_INTEL, DEVICE_PIIX4_PM,
                         CLASS_BRIDGE_OTHER, revision=PIIX4_PM_REVISION, irq_pin=1)
        self.clock = clock
        self.sci = sci
        self.smbus_irq = smbus_irq
        self.power_off = power_off
        self.smi = smi
        self.log = log or (lambda msg: None)
        self.set_writable(0x40, (1 << (8 * 0xC0)) - 1, 0xC0)
        self.set_writable(PMBA, 0xFFC0, 4)
        self.set_writable(SMBBA, 0xFFF0, 4)
        self.set_writable(SMBREV, 0, 1)
        self._put(0x06, 0x0280, 2)
        self._put(PMBA, 0x1, 4)
        self._put(SMBBA, 0x1, 4)
        self.set_power_on()
        self.pm_base = None              # port the PM block is decoded at, or None
        self.smb_base = None
        self._timer = clock.timer("ACPI PM timer", self._timer_event, sci)
        self._reset_registers()

    def _reset_registers(self):
        self.pm1_sts = 0                 # GBL_STS, PWRBTN_STS (TMR_STS is computed)
        self.pm1_en = 0
        self.pm1_cnt = 0
        self._tmr_mark = self.timer_ticks() >> TMR_MSB_SHIFT
        self.regs = {off: 0 for off in _PLAIN_REGS}
        self.smb = bytearray(SMB_IO_SIZE)
        self._timer.cancel()

    def reset(self):
        super().reset()
        self._reset_registers()
        self._decode()
        self._update_sci()
        self._update_smbus_irq()

    # -- config space ------------------------------------------------------------------
    def config_written(self, off, size):
        self._decode()
        self._update_smbus_irq()

    def _decode(self):
        if self.bus is None:
            return
        ports, log = self.bus.ports, self.bus.log
        want = self.get(PMBA, 4) & 0xFFC0 if self.get(PMREGMISC, 1) & 1 else None
        if want != self.pm_base:
            if self.pm_base is not None:
                ports.release(self.pm_base, PM_IO_SIZE)
                self.pm_base = None
            if want:
                self.pm_base = _claim(ports, log, "ACPI PM", want, PM_IO_SIZE,
                                      self._pm_read, self._pm_write)
        on = self.get(SMBHSTCFG, 1) & 1 and self.get(COMMAND, 2) & CMD_IO
        want = self.get(SMBBA, 4) & 0xFFF0 if on else None
        if want != self.smb_base:
            if self.smb_base is not None:
                ports.release(self.smb_base, SMB_IO_SIZE)
                self.smb_base = None
            if want:
                self.smb_base = _claim(ports, log, "SMBus host", want, SMB_IO_SIZE,
                                       self._smb_read, self._smb_write)

    # -- the PM timer and PM1 events ---------------------------------------------------
    def timer_ticks(self):
        """Ticks of the 3.579545 MHz timer since power-on (untruncated)."""
        return self.clock.now() * PM_TIMER_HZ // NS_PER_S

    def pm1_status(self):
        tmr = PM1_TMR if (self.timer_ticks() >> TMR_MSB_SHIFT) != self._tmr_mark else 0
        return self.pm1_sts | tmr

    def _sci_level(self):
        if not self.pm1_cnt & CNT_SCI_EN:
            return False
        return bool(self.pm1_status() & self.pm1_en & PM1_EVENTS
                    or self.regs[GPE0_STS] & self.regs[GPE0_EN])

    def _update_sci(self):
        self.sci.set(self._sci_level())
        # a timer SCI can still come: wake at the next bit-23 toggle
        if (self.pm1_cnt & CNT_SCI_EN and self.pm1_en & PM1_TMR
                and not self.pm1_status() & PM1_TMR):
            tick = (self._tmr_mark + 1) << TMR_MSB_SHIFT
            self._timer.arm(-(-tick * NS_PER_S // PM_TIMER_HZ))
        else:
            self._timer.cancel()

    def _timer_event(self):
        self._update_sci()

    def press_power_button(self):
        """The front-panel power button: PWRBTN_STS, an SCI if the OS enabled it."""
        self.pm1_sts |= PM1_PWRBTN
        self._update_sci()

    def smi_command(self, value):
        """An APMC (port 0xB2) write: the ACPI enable/disable handshake, or an SMI."""
        if value == ACPI_ENABLE:
            self.pm1_cnt |= CNT_SCI_EN
        elif value == ACPI_DISABLE:
            self.pm1_cnt &= ~CNT_SCI_EN
        else:
            if self.apmc_smi_enabled() and self.smi is not None:
                self.smi()
            return
        self._update_sci()

    def apmc_smi_enabled(self):
        """APMC writes raise SMI#: APMC_EN and the global SMI_EN are both set."""
        return bool(self.get(DEVACTB, 4) & DEVACTB_APMC_EN
                    and self.regs[GLBCTL] & GLBCTL_SMI_EN)

    # -- the PM I/O block --------------------------------------------------------------
    def _reg_read(self, off):
        if off == PM1_STS:
            return self.pm1_status()
        if off == PM1_EN:
            return self.pm1_en
        if off == PM1_CNT:
            return self.pm1_cnt
        if off == PM_TMR:
            return self.timer_ticks() & ((1 << TMR_BITS) - 1)
        if _PLAIN_REGS[off][1] == "ro":
            return 0
        if off == GLBCTL:
            return self.regs[off] & ~GLBCTL_BIOS_RLS      # a write-only trigger bit
        return self.regs[off]

    def _reg_write(self, off, value, mask):
        value &= mask
        if off == PM1_STS:
            if value & PM1_TMR:
                self._tmr_mark = self.timer_ticks() >> TMR_MSB_SHIFT
            self.pm1_sts &= ~value
        elif off == PM1_EN:
            self.pm1_en = (self.pm1_en & ~mask) | (value & PM1_EVENTS)
        elif off == PM1_CNT:
            keep = CNT_SCI_EN | CNT_BM_RLD | CNT_SLP_TYP
            self.pm1_cnt = (self.pm1_cnt & ~(mask & keep)) | (value & keep)
            if value & CNT_SLP_EN:
                self._sleep((self.pm1_cnt & CNT_SLP_TYP) >> CNT_SLP_TYP_SHIFT)
        elif off in _PLAIN_REGS:
            kind = _PLAIN_REGS[off][1]
            if kind == "w1c":
                self.regs[off] &= ~value
            elif kind == "rw":
                self.regs[off] = (self.regs[off] & ~mask) | value
                if off == GLBCTL and value & GLBCTL_BIOS_RLS:
                    self.pm1_sts |= PM1_GBL      # the BIOS hands the OS a GBL event
        self._update_sci()

    def _sleep(self, slp_typ):
        if slp_typ == SLP_TYP_S5:
            self.power_off()

    @staticmethod
    def _reg_at(off):
        """(register offset, width) of the register holding byte `off`, or None."""
        for reg, width in _PM_REGS.items():
            if reg <= off < reg + width:
                return reg, width
        return None

    def _pm_read(self, port, size):
        off = port - self.pm_base
        if _PM_REGS.get(off) == size:
            return self._reg_read(off)
        value = 0
        for k in range(size):
            hit = self._reg_at(off + k)
            byte = 0
            if hit is not None:
                byte = (self._reg_read(hit[0]) >> (8 * (off + k - hit[0]))) & 0xFF
            value |= byte << (8 * k)
        return value

    def _pm_write(self, port, value, size):
        off = port - self.pm_base
        pieces = {}                      # register -> (value, byte mask)
        for k in range(size):
            hit = self._reg_at(off + k)
            if hit is None:
                continue
            shift = 8 * (off + k - hit[0])
            v, m = pieces.get(hit[0], (0, 0))
            pieces[hit[0]] = (v | ((value >> (8 * k)) & 0xFF) << shift, m | 0xFF << shift)
        for reg, (v, m) in pieces.items():
            self._reg_write(reg, v, m)

    # -- the SMBus host ----------------------------------------------------------------
    def _smb_read(self, port, size):
        off = port - self.smb_base
        return int.from_bytes(bytes(self.smb[off + k] if off + k < SMB_IO_SIZE else 0xFF
                                    for k in range(size)), "little")

    def _smb_write(self, port, value, size):
        for k in range(size):
            off = port - self.smb_base + k
            if off < SMB_IO_SIZE:
                self._smb_write_byte(off, (value >> (8 * k)) & 0xFF)
        self._update_smbus_irq()

    def _smb_write_byte(self, off, byte):
        if off == SMBHSTSTS:
            self.smb[off] &= ~(byte & HST_DONE)
        elif off == SMBHSTCNT:
            self.smb[off] = byte & ~CNT_START
            if byte & CNT_START and not self.smb[SMBHSTSTS] & HST_BUSY:
                # nobody acknowledges the address on an empty bus
                self.smb[SMBHSTSTS] |= HST_DEV_ERR
        else:
            self.smb[off] = byte

    def _update_smbus_irq(self):
        cfg = self.get(SMBHSTCFG, 1)
        self.smbus_irq.set(self.smb_base is not None and cfg & 0x0E == SMB_INT_IRQ9
                           and self.smb[SMBHSTCNT] & CNT_INTEREN
                           and self.smb[SMBHSTSTS] & HST_DONE)
