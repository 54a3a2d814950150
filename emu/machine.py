"""The headless PC that `pyx86 run` builds: RAM, a firmware ROM, the CPU, the port bus
with the debug ports, and the loop that runs them until something ends the run.

Physical memory map:
    0 .. RAM size        guest RAM (--memory), except the ISA BIOS window below
    0xE0000 .. 0xFFFFF   the last 128 KiB of the ROM (all of a smaller ROM, ending at
                         0xFFFFF), read-only: where real-mode code runs after reset
    4 GiB - ROM size     the whole ROM, read-only, so the reset vector 0xFFFFFFF0 is
                         its last 16 bytes (F000:FFF0 with CS base 0xFFFF0000)
Everything else is unmapped (reads all ones, writes ignored). There is no interrupt
controller or timer yet, so nothing can wake a halted CPU.
"""
import enum
import os
from dataclasses import dataclass

from cpu.interp import CPU, STOP_NAMES
from emu.debugports import (BochsShutdown, DebugConsole, DebugExit, PostCodes,
                            DEBUGCON_PORT, POST_PORT)
from emu.memory import Memory
from emu.portbus import PortBus

KIB = 1 << 10
MIB = 1 << 20
ROM_GRANULE = 4 * KIB                  # ROM images are whole pages
ROM_MAX = 16 * MIB                     # the top-of-4-GiB flash window of P6 chipsets
ISA_BIOS_TOP = 0x100000                # the low alias ends at 1 MiB ...
ISA_BIOS_MAX = 128 * KIB               # ... and is at most 0xE0000-0xFFFFF
MEMORY_MIB_MIN = 1
MEMORY_MIB_MAX = 3072                  # leaves the top GiB for ROM and (later) MMIO
SLICE = 1_000_000                      # instructions per cpu.run(): Ctrl+C and console
                                       # flush latency vs. per-slice overhead

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
    """Map the ROM at the top of 4 GiB and its tail at the ISA BIOS window below 1 MiB."""
    mem.map_rom((1 << 32) - len(rom), rom)
    low = min(len(rom), ISA_BIOS_MAX)
    mem.map_rom(ISA_BIOS_TOP - low, rom[len(rom) - low:])


class Stop(enum.Enum):
    POWER_OFF = "power off"            # Bochs shutdown port
    DEBUG_EXIT = "debug exit"          # isa-debug-exit; Outcome.value is what was written
    HALT = "halt"                      # HLT that nothing can end
    TRIPLE_FAULT = "triple fault"      # with reboot disabled
    LIMIT = "instruction limit"


@dataclass
class Outcome:
    stop: Stop
    message: str
    value: int = 0


class Machine:
    """A PC with RAM, a ROM, a CPU and the debug ports; run() drives it."""

    def __init__(self, rom, memory_mib=32, debugcon=None, debugcon_port=DEBUGCON_PORT,
                 post_log=None, post_port=POST_PORT, reboot=True, log=None):
        """debugcon: binary stream for port-E9 output (None: no console device);
        post_log: text stream for POST codes (None: no POST latch);
        reboot: reset the machine on a triple fault (else stop there);
        log: callable for one-line notices (the first reboot)."""
        if not MEMORY_MIB_MIN <= memory_mib <= MEMORY_MIB_MAX:
            raise ValueError("memory size %d MiB is outside %d..%d" %
                             (memory_mib, MEMORY_MIB_MIN, MEMORY_MIB_MAX))
        self.mem = Memory(memory_mib * MIB)
        map_firmware(self.mem, rom)
        self.bus = PortBus()
        self.cpu = CPU(self.mem, io=self.bus)
        self.reboot = reboot
        self.log = log or (lambda msg: None)
        self.resets = 0
        self._outcome = None
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

    # -- running ------------------------------------------------------------------
    def reset(self):
        """The RESET line: CPU and devices to power-on state; RAM keeps its contents."""
        self.cpu.reset()
        self.shutdown.reset()

    def flush(self):
        if self.console is not None:
            self.console.flush()

    def run(self, max_instructions=None):
        """Run until the guest or a limit ends the run; returns the Outcome.

        max_instructions counts from power-on, across reboots. KeyboardInterrupt and
        device errors propagate to the caller with the machine state intact."""
        cpu = self.cpu
        try:
            while True:
                budget = SLICE
                if max_instructions is not None:
                    left = max_instructions - cpu.icount
                    if left <= 0:
                        return Outcome(Stop.LIMIT, "instruction limit reached (%d)"
                                       % max_instructions)
                    budget = min(budget, left)
                reason = cpu.run(budget)
                if reason == STOP_SLICE:
                    self.flush()
                elif reason == STOP_REQUEST:
                    if self._outcome is None:
                        raise RuntimeError("the CPU stopped on a request nobody made")
                    return self._outcome
                elif reason == STOP_HLT:
                    return self._halted()
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
            self.flush()

    def _halted(self):
        # Only INTR (with IF=1) or NMI ends HLT, and this machine has no interrupt
        # controller and no NMI source: every HLT is final.
        if self.cpu.interrupts_enabled:
            return Outcome(Stop.HALT, "CPU halted; nothing can wake it")
        return Outcome(Stop.HALT, "CPU halted with interrupts disabled")
