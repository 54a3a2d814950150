"""Running boot-sector-sized test programs on pyx86's BIOS.

The BIOS posts and, with no disk attached, ends in INT 18h ("No bootable device",
waiting for a key in INT 16h with interrupts on). At that point the machine is in the
state a boot sector starts in: IVT, BDA, EBDA and the devices set up, no interrupt
in service (the CPU waits in HLT between timer ticks). The harness stops it in
that HLT,
puts the test program at 0000:7C00 and starts it as INT 19h would (DL = drive,
SS:SP = 0000:7C00, interrupts on). Programs store results in RAM at RESULTS and end
with isa-debug-exit (port 0xF4), so the test reads memory and registers afterwards.
"""
import datetime
import io

import keystone

from bios.build import image
from emu.machine import Machine, Stop

BOOT = 0x7C00
RESULTS = 0x600                  # test programs store their results from here
RTC_START = datetime.datetime(2024, 1, 31, 12, 0, 0)
CHUNK = 100_000
POST_BUDGET = 5_000_000          # instructions from power-on to "No bootable device"
EXIT = "mov al, 0\nout 0xf4, al\nhlt\n"

_ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_16)


def asm(src, origin=BOOT):
    code, _ = _ks.asm(src, origin)
    return bytes(code or b"")


class BiosPC:
    """A Machine with pyx86's BIOS whose debug console and COM1 go to buffers."""

    def __init__(self, memory_mib=32, **kw):
        self.log = io.BytesIO()
        self.serial = io.BytesIO()
        self.m = Machine(image(), memory_mib=memory_mib, debugcon=self.log,
                         serial=self.serial, rtc_start=RTC_START, **kw)
        self.cpu = self.m.cpu

    def run_for(self, n):
        outcome = self.m.run(self.cpu.icount + n)
        assert outcome.stop is Stop.LIMIT, outcome
        return outcome

    def run_until(self, text, budget=POST_BUDGET, chunk=CHUNK):
        """Run until the debug console has printed `text`."""
        start = self.cpu.icount
        while text not in self.log.getvalue():
            assert self.cpu.icount - start < budget, \
                "no %r after %d instructions; log: %r" % (text, budget, self.log.getvalue())
            self.run_for(chunk)

    def wait_for_boot_failure(self):
        """Run POST and the boot attempt up to INT 18h's wait for a key: the CPU in the
        HLT of INT 16h's wait loop, no interrupt in service."""
        # small steps: once the BIOS has printed its message it waits in HLT, where
        # every instruction of a chunk can cost a timer tick of guest time
        self.run_until(b"No bootable device.\n", chunk=2000)
        self.run_until(b"Press a key to try again.\n", chunk=2000)
        # chunks until the first HLT (guest time jumps past the run's own 10 ns per
        # instruction), then single steps to the next one
        clock = self.m.clock
        for _ in range(1000):
            before = clock.now()
            self.run_for(200)
            if self.cpu.halted or clock.now() - before > 200 * 20:
                break
        for _ in range(20_000):
            if self.cpu.halted:
                break
            self.run_for(1)
        else:
            raise AssertionError("the BIOS never halted waiting for a key")
        pic = self.m.pic
        assert not pic.master.isr and not pic.slave.isr

    def start(self, code, drive=0x80):
        """Start a program at 0000:7C00 as INT 19h starts a boot sector."""
        self.wait_for_boot_failure()
        self.m.mem.write(BOOT, code)
        cpu = self.cpu
        for seg in ("cs", "ds", "es", "ss"):
            cpu.load_seg_real(seg, 0)
        for reg in ("eax", "ebx", "ecx", "esi", "edi", "ebp"):
            cpu.set_reg(reg, 0)
        cpu.set_reg("edx", drive)
        cpu.set_reg("esp", BOOT)
        cpu.eip = BOOT
        cpu.eflags = 0x202
        cpu.halted = False

    def run_program(self, src, budget=20_000_000, **kw):
        """Assemble src (16-bit, origin 0x7C00), start it, run it to its debug exit."""
        self.start(asm(src + EXIT), **kw)
        return self.finish(budget)

    def step(self, n):
        """Run n more instructions (or to the program's end); the Outcome."""
        return self.m.run(self.cpu.icount + n)

    def finish(self, budget=20_000_000):
        outcome = self.m.run(self.cpu.icount + budget)
        assert outcome.stop is Stop.DEBUG_EXIT, (outcome, self.cpu.dump())
        return outcome

    def read(self, addr, n):
        return bytes(self.m.mem.read(addr, n))

    def word(self, addr):
        return int.from_bytes(self.read(addr, 2), "little")

    def dword(self, addr):
        return int.from_bytes(self.read(addr, 4), "little")

    def results(self, n):
        """n words stored from RESULTS."""
        return [self.word(RESULTS + 2 * i) for i in range(n)]

    def screen_row(self, row, page=0):
        base = 0xB8000 + page * 0x1000 + row * 160
        return self.read(base, 160)[::2].decode("latin-1")
