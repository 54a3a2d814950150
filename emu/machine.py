"""The headless PC that `pyx86 run` builds, and the loop that runs it.

What is in it: RAM, a firmware ROM, the CPU, the port bus with the debug ports, and the
first slice of the PC platform (hw/): the CPU's local APIC (the CPU's interrupt
controller) and the 82093AA I/O APIC, the master/slave i8259 PICs with the PIIX ELCR
(in virtual-wire mode through the local APIC's LINT0), the i8254 PIT on IRQ0, the MC146818 RTC/CMOS on IRQ8,
16550A UARTs as COM1 (IRQ4, the `serial` host end) and COM2 (IRQ3, unconnected),
the system control ports 0x61 (speaker gate, refresh toggle) and 0x92 (fast A20,
reset), the i8042 keyboard controller (0x60/0x64) with a PS/2 keyboard (IRQ1) and
mouse (IRQ12), the two i8237 DMA controllers with their page registers, the 82077AA
floppy controller (IRQ6, DMA channel 2) with drives A:/B: for the floppy images given
(their types go into CMOS), the VGA with Bochs VBE (ports 0x3B4-0x3DA and 0x1CE/0x1CF,
the legacy window 0xA0000-0xBFFFF, its linear framebuffer behind PCI 00:02.0), and the
PIIX3 IDE function at 00:01.1: two channels at the legacy ports (IRQ14, IRQ15) holding
ATA disks and ATAPI CD-ROMs (see DRIVE_POSITIONS), bus master DMA behind its BAR4.
Devices get their IRQ as an hw.irq.IrqLine and their time from emu.clock; the ISA IRQ
inputs are wired-OR (hw.irq.SharedIrqs), so PCI interrupts and the ACPI SCI can share
them.

The chipset is an i440FX with a PIIX3 ISA bridge and a PIIX4 power management function,
as in QEMU's "pc" machine: the PCI bus (0xCF8/0xCFC) with the host bridge at 00:00.0
(PAM shadow RAM control, SMRAM at 0xA0000 for the CPU's System Management Mode,
hw/i440fx.py), the ISA bridge at 00:01.0 (PIRQ routing to the
ISA IRQs) and the ACPI function at 00:01.3 (PM timer, SCI on IRQ9, S5 soft-off, an
empty SMBus), plus the PIIX's reset control port 0xCF9 and APM ports 0xB2/0xB3
(hw/piix.py; an APMC write raises the CPU's SMI once firmware enabled that).

A20 has two sources, as on a PIIX: port 0x92 bit 1 and the i8042's output port bit 1;
the CPU's A20 is enabled while either asks for it (A20Gate). After RESET port 0x92's
bit is 0 and the i8042's line is high, so A20 starts enabled (as in QEMU and Bochs)
and turning it off takes both.

Physical memory map:
    0 .. RAM size        guest RAM (--memory), except the windows below
    0xA0000 .. 0xBFFFF   the VGA's legacy video memory window (hw.vga); SMRAM (the
                         RAM there) in SMM or while the host bridge opens it
    0xC0000 .. 0xFFFFF   the shadow area, per the host bridge's PAM registers; at
                         power-on the PCI side: the last 128 KiB of the ROM (all of
                         a smaller ROM, ending at 0xFFFFF), read-only, where real-mode
                         code runs after reset, and nothing below that
    0xFEC00000           the I/O APIC (one page)
    0xFEE00000           the local APIC's registers (one page; moves with the
                         IA32_APIC_BASE MSR, gone while the APIC is disabled there)
    4 GiB - ROM size     the whole ROM, read-only, so the reset vector 0xFFFFFFF0 is
                         its last 16 bytes (F000:FFF0 with CS base 0xFFFF0000)
Everything else is unmapped (reads all ones, writes ignored).

The run loop: the CPU runs in slices that end at the clock's earliest deadline (at
most SLICE instructions), then due device timers fire. Nothing is polled per
instruction; host input is looked at between slices. A HLT with IF=1 skips guest time
to the next timer (or, in --realtime mode, sleeps until it); a HLT that no interrupt
can end -- IF=0 (there is no NMI source), or no unmasked IRQ has a timer or host input
that could raise it -- ends the run. With a window (the `frontend` of run(), which is
polled between slices and while the CPU waits) keys and the mouse are host input too,
and a HLT nothing can end leaves the window open for the user to read the screen.
"""
import enum
import os
import threading
import time
from dataclasses import dataclass

from cpu.interp import CPU, STOP_NAMES
from emu import acpi, smbios
from emu.clock import Clock
from emu.debugports import (BochsShutdown, DebugConsole, DebugExit, PostCodes,
                            DEBUGCON_PORT, POST_PORT)
from bios.optionrom import kernelboot_rom
from emu.linuxboot import load_kernel
from emu.memory import Memory
from emu.portbus import PortBus
from hw import fw_cfg
from hw.fw_cfg import FwCfg
from hw.coproc import IRQ as COPROC_IRQ, CoprocessorError
from hw.dma import Dma, SPARE_PAGE_PORTS
from hw.fdc import Fdc, geometry_of, IRQ as FDC_IRQ, DMA_CHANNEL as FDC_DMA
from hw.ata import AtaDisk
from hw.atapi import CD_SECTOR, AtapiCdrom
from hw.i440fx import I440fx
from hw.i8042 import I8042
from hw.ide import PiixIde
from hw.irq import IrqFanout, SharedIrqs
from hw.pci import PciBus
from hw.piix import PM_BASE_DEFAULT, SCI_IRQ, ApmPorts, Piix3Isa, Piix4Pm, ResetControl
from hw.ioapic import IoApic, PIC_INPUT, isa_input
from hw.lapic import LocalApic
from hw.pic import CASCADE_PIN, DualPic
from hw.pit import Pit
from hw.rtc import Rtc
from hw.sysctrl import PortA, PortB
from hw.uart import COM1, COM2, Uart
from hw.vga import Vga, VgaPci

KIB = 1 << 10
MIB = 1 << 20
ROM_GRANULE = 4 * KIB                  # ROM images are whole pages
ROM_MAX = 16 * MIB                     # the top-of-4-GiB flash window of P6 chipsets
KERNEL_ROM_ADDR = 0xC8000              # the --kernel option ROM, in the ISA ROM space
MEMORY_MIB_MIN = 1
MEMORY_MIB_MAX = 3072                  # leaves the top GiB for ROM and (later) MMIO
SLICE = 1_000_000                      # most instructions per cpu.run(): Ctrl+C, console
                                       # flush and host input latency vs. overhead
FRONTEND_SLICE = 0.008                 # seconds a slice may take while a window waits
                                       # for its next frame (60 Hz is 16.7 ms)
MIN_FRONTEND_SLICE = 10_000            # ... but never fewer instructions than this
INPUT_WAIT = 1.0                       # seconds a HLT waiting for host input blocks at
                                       # a time (then looks at the machine again)

# An IN or OUT to a device on the ISA bus takes about a microsecond: an 8-bit ISA I/O
# cycle is 6 BCLKs at 8.33 MHz (720 ns) plus the PCI cycle that the PIIX forwards to
# ISA. Guest software counts on it: Linux's quick PIT calibration reads counter 2
# right after loading it, expecting a PIT clock edge (838 ns) to have passed, and
# port 80h writes are its I/O delay. PCI devices (IDE, VGA, the PM block, fw_cfg)
# answer in PCI time, taken as none.
ISA_CYCLE_NS = 1000
ISA_PORTS = ((0x000, 0x100),           # the system board: DMA, PIC, PIT, i8042, RTC,
                                       # port B, POST, APM, the coprocessor port
             (COM2[0], 8), (COM1[0], 8),
             (0x3F0, 6), (0x3F7, 1))   # the floppy controller (0x3F6 is IDE's)

# IDE positions: (channel, unit) of hda..hdd; "cdrom" is an ATAPI drive at hdc
DRIVE_POSITIONS = {"hda": (0, 0), "hdb": (0, 1), "hdc": (1, 0), "hdd": (1, 1)}
CDROM_POSITION = "hdc"
IDE_SLOT, IDE_FUNC = 1, 1
VGA_SLOT = 2                           # as in QEMU's pc machine

_STOP_CODES = {name: code for code, name in STOP_NAMES.items()}
STOP_SLICE = _STOP_CODES["slice"]
STOP_HLT = _STOP_CODES["hlt"]
STOP_TRIPLE = _STOP_CODES["triple-fault"]
STOP_REQUEST = _STOP_CODES["stop-request"]


class RomError(ValueError):
    """The firmware image cannot be used (message is user-facing, one line)."""


def load_rom(path):
    """Read a firmware image: a non-empty whole number of 4 KiB pages, at most 16 MiB."""
    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise RomError("ROM %s: is a directory" % path)
        if size > ROM_MAX:
            raise RomError("ROM %s: %d bytes is larger than the 16 MiB ROM window"
                           % (path, size))
        with open(path, "rb") as f:
            data = f.read(ROM_MAX + 1)
    except FileNotFoundError:
        raise RomError("ROM %s: no such file" % path) from None
    except OSError as e:
        raise RomError("ROM %s: %s" % (path, e.strerror or e)) from None
    if not data:
        raise RomError("ROM %s: the file is empty" % path)
    if len(data) % ROM_GRANULE:
        raise RomError("ROM %s: %d bytes is not a multiple of 4 KiB" % (path, len(data)))
    if len(data) > ROM_MAX:
        raise RomError("ROM %s: larger than the 16 MiB ROM window" % path)
    return data


def map_firmware(mem, rom):
    """Map the ROM at the top of 4 GiB (its tail below 1 MiB is the host bridge's)."""
    mem.map_rom((1 << 32) - len(rom), rom)


class Stop(enum.Enum):
    POWER_OFF = "power off"            # Bochs shutdown port, ACPI S5
    DEBUG_EXIT = "debug exit"          # isa-debug-exit; Outcome.value is what was written
    HALT = "halt"                      # HLT that nothing can end
    TRIPLE_FAULT = "triple fault"      # with reboot disabled
    REBOOT = "reboot"                  # the guest reset the machine, reboot disabled
    LIMIT = "instruction limit"
    TIMEOUT = "timeout"                # --timeout: wall-clock seconds ran out
    WINDOW_CLOSED = "window closed"    # the user closed the window or powered off there


@dataclass
class Outcome:
    stop: Stop
    message: str
    value: int = 0


class A20Gate:
    """The CPU's A20M# input: A20 is masked only while both port 0x92 bit 1 and the
    keyboard controller's A20 output are low (PIIX4 data sheet, A20M# and port 92)."""

    def __init__(self, set_a20):
        self.set_a20 = set_a20
        self.port92 = False
        self.kbc = True

    def set_port92(self, on):
        self.port92 = bool(on)
        self.set_a20(self.port92 or self.kbc)

    def set_kbc(self, on):
        self.kbc = bool(on)
        self.set_a20(self.port92 or self.kbc)


class Machine:
    """A PC with RAM, a ROM, a CPU, the platform devices and the debug ports."""

    def __init__(self, rom, memory_mib=32, debugcon=None, debugcon_port=DEBUGCON_PORT,
                 post_log=None, post_port=POST_PORT, reboot=True, log=None,
                 serial=None, serial_input=None, wakeup=None, realtime=False,
                 rtc_start=None, kernel=None, fda=None, fdb=None, drives=None, boot="c",
                 vgabios=None, pm_base=PM_BASE_DEFAULT):
        """debugcon: binary stream for port-E9 output (None: no console device);
        post_log: text stream for POST codes (None: no POST latch);
        reboot: reset the machine on a triple fault or a guest's reset request (else
        stop there, like QEMU's -no-reboot);
        log: callable for one-line notices (the first reboot);
        serial, serial_input: COM1's host ends, a binary stream and an emu.chardev
        source (None: not connected); wakeup: the threading.Event such sources set;
        realtime: guest time is wall-clock time (default: from the instruction count);
        rtc_start: naive UTC datetime the RTC starts at (None: the host's clock);
        kernel: (KERNEL, INITRD or None, CMDLINE) to boot through the kernel-boot
        option ROM (emu.linuxboot); raises linuxboot.KernelError when it can't;
        fda, fdb: emu.diskimage.DiskImage of a floppy in drive A:/B: (None: no drive;
        the drive's type follows the image's size, ImageError for an unknown size);
        drives: {"hda".."hdd": emu.diskimage.DiskImage, "cdrom": DiskImage or None}:
        an image of 512-byte sectors is an ATA disk, one of 2048-byte sectors a
        CD-ROM drive holding it; "cdrom" is a CD-ROM drive at hdc (None: no disc).
        The drives, by position, are in self.drives (reads/writes count sectors);
        boot: the first boot device the CMOS names to the BIOS (a, c or d);
        vgabios: a VGA BIOS image (bytes) for the VGA's PCI expansion ROM, which
        firmware such as SeaBIOS runs (None: no ROM); pm_base: the I/O port the
        firmware puts the PIIX4 PM block at, which the FADT names."""
        if not MEMORY_MIB_MIN <= memory_mib <= MEMORY_MIB_MAX:
            raise ValueError("memory size %d MiB is outside %d..%d" %
                             (memory_mib, MEMORY_MIB_MIN, MEMORY_MIB_MAX))
        self.mem = Memory(memory_mib * MIB)
        map_firmware(self.mem, rom)
        self.rom_size = len(rom)
        self.bus = PortBus()
        self.cpu = cpu = CPU(self.mem, io=self.bus)
        self.reboot = reboot
        self.log = log or (lambda msg: None)
        self.resets = 0
        self.frontend = None
        self._frontend_slice = SLICE // 10     # adapted to the host by _fit_slice
        self.dead_halt = None          # why the CPU halted for good (a front end shows it)
        self._outcome = None
        self._reset_requested = False
        self._init_requested = False
        self.wakeup = wakeup or threading.Event()
        self.clock = Clock(lambda: cpu.icount, cpu.request_stop, realtime=realtime,
                           on_skip=cpu.advance_tsc, on_stall=cpu.stall)
        self.bus.on_isa_cycle = lambda: self.clock.stall(ISA_CYCLE_NS)
        for first, count in ISA_PORTS:
            self.bus.mark_isa(first, count)
        self.fw_cfg = FwCfg(self.mem)
        self.fw_cfg.add(fw_cfg.RAM_SIZE, (memory_mib * MIB).to_bytes(8, "little"))
        self.fw_cfg.add(fw_cfg.NB_CPUS, (1).to_bytes(2, "little"))
        # QEMU's boot-menu item: 0 = no "Press ESC for boot menu" pause (SeaBIOS)
        self.fw_cfg.add(fw_cfg.BOOT_MENU, (0).to_bytes(2, "little"))
        for file, data in acpi.build(memory_mib * MIB, pm_base).items():
            self.fw_cfg.add_file(file, data)
        for file, data in smbios.build(memory_mib * MIB, rom).items():
            self.fw_cfg.add_file(file, data)
        # a POST latch placed at a spare DMA page latch takes that port over
        post_in_dma = {post_port} & SPARE_PAGE_PORTS if post_log is not None else ()
        self._build_platform(rom, memory_mib, serial, serial_input, rtc_start,
                             (fda, fdb), post_in_dma, boot)
        if vgabios is not None:
            self.vga_pci.set_rom(vgabios)
        self._build_storage(drives or {})
        self.kernel_info = None
        if kernel is not None:
            self.kernel_info = load_kernel(self.fw_cfg, *kernel, memory_mib * MIB)
            # an ISA option ROM: on the PCI side of the shadow area, as the PIIX
            # forwards it to ISA
            self.host_bridge.add_isa_rom(
                KERNEL_ROM_ADDR, kernelboot_rom().ljust(ROM_GRANULE, b"\xff"))
        # fixed ports first, so a conflict names the user-placed device second
        DebugExit(self._debug_exit).attach(self.bus)
        self.shutdown = BochsShutdown(self._power_off)
        self.shutdown.attach(self.bus)
        self.console = None
        if debugcon is not None:
            self.console = DebugConsole(debugcon)
            self.console.attach(self.bus, debugcon_port)
        if post_log is not None:
            PostCodes(post_log).attach(self.bus, post_port)

    def _build_platform(self, rom, memory_mib, serial, serial_input, rtc_start,
                        floppies, post_in_dma, boot):
        cpu, clock, bus = self.cpu, self.clock, self.bus
        self._build_interrupts()
        line = self.irqs.line
        self.pit = Pit(clock, line(0))
        self.port_b = PortB(clock, self.pit)
        self.coproc = CoprocessorError(cpu, line(COPROC_IRQ))
        self.a20 = A20Gate(cpu.set_a20)
        self.port_a = PortA(self.a20.set_port92, lambda: cpu.a20, self.request_reset)
        self.kbc = I8042(clock, line(1), line(12), self.a20.set_kbc, self.request_reset)
        self.rtc = Rtc(clock, line(8), start=rtc_start)
        self.rtc.fill_config(memory_mib * MIB, boot)
        self.dma = Dma(self.mem, leave=post_in_dma)
        self.fdc = Fdc(clock, line(FDC_IRQ), self.dma.channel(FDC_DMA))
        for drive, image in enumerate(floppies):
            if image is not None:
                self.fdc.connect(drive, geometry_of(image).drive)
                self.fdc.insert(drive, image)
        self.rtc.set_floppy_types(*self.fdc.cmos_types())
        self.serial_out = serial
        self.uarts = [Uart("COM1", clock, COM1[0], line(COM1[1]),
                           sink=serial, source=serial_input),
                      Uart("COM2", clock, COM2[0], line(COM2[1]))]
        self.vga = Vga(clock)
        self.vga.map(self.mem)
        self._build_chipset(rom, memory_mib)
        for dev in self._devices():
            dev.attach(bus)

    def _build_chipset(self, rom, memory_mib):
        """i440FX + PIIX3 + PIIX4 PM on PCI bus 0, as QEMU's pc machine has them; the
        VGA's PCI face in slot 2."""
        self.pci = PciBus(self.bus, self.mem, log=self.log, protected=[
            (0, memory_mib * MIB), ((1 << 32) - len(rom), 1 << 32)])
        self.host_bridge = self.pci.add(I440fx(self.mem, rom, self.vga.map), 0)
        self.cpu.on_smm = self.host_bridge.smm          # SMIACT#: SMRAM decoding
        self.isa_bridge = self.pci.add(Piix3Isa(self.irqs), 1)
        self.pci.pirq_router = self.isa_bridge.pirq
        # PIRQA-D also reach I/O APIC inputs 16-19 (the DSDT's _PRT in APIC mode)
        self.isa_bridge.add_pirq_sink(lambda pirq, level: self.ioapic.set_irq(16 + pirq,
                                                                              level))
        self.acpi_pm = self.pci.add(Piix4Pm(self.clock, self.irqs.line(SCI_IRQ),
                                            self.irqs.line(SCI_IRQ),
                                            self._acpi_power_off, log=self.log,
                                            smi=self.cpu.smi), 1, 3)
        self.vga_pci = self.pci.add(VgaPci(self.vga), VGA_SLOT)
        self.apm = ApmPorts(self.acpi_pm.smi_command)
        self.reset_control = ResetControl(self.request_reset)

    def _build_interrupts(self):
        """The 8259 pair, the CPU's local APIC and the I/O APIC, wired as on P6-class
        boards (the MP spec's default configuration, and QEMU's i440FX): the 8259's
        INT goes to LINT0 and to I/O APIC input 0; each ISA IRQ goes to the 8259 pair
        and to the I/O APIC, IRQ0 to its input 2 (hw.ioapic.isa_input); self.irqs are
        the wired-OR ISA inputs devices get their lines from. The local APIC is the
        CPU's interrupt controller."""
        cpu = self.cpu
        self.lapic = LocalApic(self.clock, self.mem, cpu.set_intr, cpu.nmi,
                               self._init_request)
        cpu.intc = self.lapic
        cpu.attach_apic(self.lapic)
        self.ioapic = IoApic(self.mem, self.lapic)
        pic_int = IrqFanout({0: [(self.lapic, 0), (self.ioapic, PIC_INPUT)]}).line(0)
        self.pic = DualPic(pic_int.set)
        self.lapic.extint_ack = self.pic.ack
        self.isa_irqs = IrqFanout({irq: [(self.pic, irq), (self.ioapic, isa_input(irq))]
                                   for irq in range(16) if irq != CASCADE_PIN})
        self.irqs = SharedIrqs(self.isa_irqs)

    def _build_storage(self, drives):
        """The PIIX3 IDE function with the drives, and their CMOS fields."""
        wanted = {}                               # position -> (is a CD-ROM, image)
        for name, image in drives.items():
            if name == "cdrom":
                position, cdrom = CDROM_POSITION, True
            elif name in DRIVE_POSITIONS:
                position, cdrom = name, image.sector_size == CD_SECTOR
            else:
                raise ValueError("unknown drive position %r (use hda..hdd or cdrom)" % name)
            if position in wanted:
                raise ValueError("two drives at IDE position %s" % position)
            wanted[position] = (cdrom, image)
        self.ide = PiixIde(self.mem, self.clock, self.irqs.line(14), self.irqs.line(15))
        self.pci.add(self.ide, IDE_SLOT, IDE_FUNC)
        self.ide.attach(self.bus)
        self.drives = {}
        geometries = []
        for name, (channel, unit) in DRIVE_POSITIONS.items():
            geometry = None
            if name in wanted:
                cdrom, image = wanted[name]
                serial = "PYX86-%s" % name.upper()
                device = AtapiCdrom(image, serial) if cdrom else AtaDisk(image, serial)
                self.ide.connect(channel, unit, device)
                self.drives[name] = device
                geometry = None if cdrom else device.default_geometry
            geometries.append(geometry)
        self.rtc.fill_disks(geometries)

    def _devices(self):
        return (self.fw_cfg, self.pic, self.pit, self.port_b, self.coproc, self.port_a,
                self.rtc, *self.uarts, self.kbc, self.dma, self.fdc, self.vga, self.pci,
                self.apm, self.reset_control)

    # -- requests from devices (called during cpu.run) ------------------------------
    def _finish(self, outcome):
        if self._outcome is None:
            self._outcome = outcome
        self.cpu.request_stop()

    def _debug_exit(self, value):
        self._finish(Outcome(Stop.DEBUG_EXIT, "isa-debug-exit: guest wrote %#x" % value,
                             value))

    def _power_off(self):
        self._finish(Outcome(Stop.POWER_OFF, "guest powered off (Bochs shutdown port)"))

    def _acpi_power_off(self):
        self._finish(Outcome(Stop.POWER_OFF, "guest powered off (ACPI S5)"))

    def request_reset(self):
        """The reset line, pulled by a device or the front end: the run loop resets
        the machine (or stops under --no-reboot) before the next slice."""
        self._reset_requested = True
        self.cpu.request_stop()

    def _init_request(self):
        """The CPU's INIT (an INIT IPI or I/O APIC message), taken after the current
        instruction: CPU and local APIC restart, the rest of the machine carries on."""
        self._init_requested = True
        self.cpu.request_stop()

    # -- running ------------------------------------------------------------------
    def reset(self):
        """The RESET line: CPU and devices to power-on state; RAM, CMOS and the RTC's
        time keep their contents."""
        self._init_requested = False
        self.cpu.reset()
        self.lapic.reset()
        self.ioapic.reset()
        self.dead_halt = None
        self.shutdown.reset()
        for dev in self._devices():
            dev.reset()

    def flush(self):
        if self.console is not None:
            self.console.flush()
        if self.serial_out is not None:
            self.serial_out.flush()

    def run(self, max_instructions=None, timeout=None, frontend=None):
        """Run until the guest or a limit ends the run; returns the Outcome.

        max_instructions counts from power-on, across reboots; timeout is in wall-clock
        seconds from now. KeyboardInterrupt and device errors propagate to the caller
        with the machine state intact.

        frontend: a window (ui/window.py) or None. Its poll() is called between slices
        and every `poll_interval` seconds while the CPU waits in HLT; it must return at
        once when nothing is due, and returns an Outcome to end the run (None to go
        on). It may block while the user has paused the machine. Host input it feeds
        to the i8042 sets `wakeup`. With a front end a HLT that nothing can end does
        not end the run: the window stays (showing `dead_halt`) until the user
        resets, powers off or closes it."""
        cpu, clock = self.cpu, self.clock
        deadline = None if timeout is None else time.monotonic() + timeout
        self.frontend = frontend
        try:
            while True:
                if frontend is not None:
                    self._poll_frontend()
                if self._outcome is not None:
                    return self._outcome
                if deadline is not None and time.monotonic() >= deadline:
                    return Outcome(Stop.TIMEOUT, "timeout: %g s of wall-clock time"
                                   % timeout)
                if self._reset_requested:
                    self._reset_requested = False
                    if not self.reboot:         # as QEMU's -no-reboot: exit instead
                        return Outcome(Stop.REBOOT, "the guest reset the machine")
                    self.resets += 1
                    self.reset()
                    cpu.clear_stop()      # a reset asked for outside a slice (the window)
                if self._init_requested:
                    self._init_requested = False
                    cpu.init()
                    self.lapic.init()
                for uart in self.uarts:
                    uart.poll_input()
                clock.fire_due()
                budget = SLICE if frontend is None else self._frontend_slice
                if max_instructions is not None:
                    left = max_instructions - cpu.icount
                    if left <= 0:
                        return Outcome(Stop.LIMIT, "instruction limit reached (%d)"
                                       % max_instructions)
                    budget = min(budget, left)
                budget = clock.slice_budget(budget)
                started = time.perf_counter(), cpu.icount
                try:
                    reason = cpu.run(budget)
                finally:
                    clock.end_slice()
                if frontend is not None:
                    self._fit_slice(*started)
                cpu.clear_stop()          # requests are all handled at the loop's top
                if reason == STOP_SLICE:
                    self.flush()
                elif reason == STOP_REQUEST:
                    if (self._outcome is None and not self._reset_requested
                            and not self._init_requested and not clock.kicked):
                        raise RuntimeError("the CPU stopped on a request nobody made")
                elif reason == STOP_HLT:
                    outcome = self._halted()
                    if outcome is not None:
                        return outcome
                elif reason == STOP_TRIPLE:
                    if not self.reboot:
                        return Outcome(Stop.TRIPLE_FAULT, "triple fault")
                    if not self.resets:
                        self.log("triple fault: machine reset (--no-reboot stops instead)")
                    self.resets += 1
                    self.reset()
                else:
                    raise RuntimeError("cpu.run returned unknown stop reason %r" % reason)
        finally:
            self.frontend = None
            self.flush()

    def _fit_slice(self, t0, i0):
        """With a front end, slices last about FRONTEND_SLICE of wall time whatever
        the guest runs (tight loops at tens of MIPS, port I/O at a few), so the window
        gets its 60 frames a second: the budget follows the measured rate."""
        ran, took = self.cpu.icount - i0, time.perf_counter() - t0
        if ran >= MIN_FRONTEND_SLICE and took > 0:
            fit = int(ran / took * FRONTEND_SLICE)
            self._frontend_slice = max(MIN_FRONTEND_SLICE,
                                       min(SLICE, (self._frontend_slice + fit) // 2))

    def drive_activity(self):
        """Sectors the IDE drives have read and written since power-on (what a
        window's disk light follows)."""
        return sum(d.reads + d.writes for d in self.drives.values())

    def _poll_frontend(self):
        """Let the front end run; True when it ended the run."""
        outcome = self.frontend.poll()
        if outcome is not None:
            self._finish(outcome)
        return self._outcome is not None

    def _halted(self):
        """The CPU is in HLT and no interrupt is pending: let time pass until one can
        come, or return the Outcome when none ever can."""
        reason = None
        timers = []
        if not self.cpu.interrupts_enabled:
            # INTR cannot end this HLT and the machine has no NMI source
            reason = "CPU halted with interrupts disabled"
        else:
            clock = self.clock
            timers = [t for t in clock.armed_timers()
                      if t.line is None or not t.line.masked]
            inputs = any(u.can_interrupt_on_input() for u in self.uarts) or (
                self.frontend is not None and self.kbc.can_interrupt_on_input())
            if not timers and not inputs:
                reason = "CPU halted; nothing can wake it"
        if reason is not None:
            if self.frontend is None:
                return Outcome(Stop.HALT, reason)
            if self.dead_halt is None:
                self.dead_halt = reason
                self.log(reason + " (close the window to exit)")
        self.flush()
        if not timers:
            self._wait_for_input(INPUT_WAIT)
        else:
            clock.idle_until(clock.next_deadline(), self._wait_for_input)
        return None

    def _wait_for_input(self, seconds):
        """Block until host input arrives (`wakeup`), at most `seconds`; a front end
        is polled meanwhile and ends the wait when it ends the run or resets."""
        frontend = self.frontend
        if frontend is None:
            self.wakeup.wait(seconds)
            self.wakeup.clear()
            return
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if self.wakeup.wait(max(0.0, min(left, frontend.poll_interval))):
                break
            if self._poll_frontend() or self._reset_requested or left <= 0:
                break
        self.wakeup.clear()
