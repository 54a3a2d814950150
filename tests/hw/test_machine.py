"""The platform devices inside the machine, driven by real-mode test ROMs.

Each ROM runs at F000:0000 after reset (tests/emu/roms.py); interrupt handlers are
assembled separately and placed at fixed offsets, and the ROM points the IVT at them.
"""
import io
import os
import subprocess
import sys
import time

from emu.clock import NS_PER_S
from emu.machine import ISA_CYCLE_NS, Machine, Stop
from hw.pit import PIT_HZ
from tests.conftest import ROOT
from tests.emu.roms import KIB, asm16, rom16

MS = 1_000_000

PIC_INIT = """
mov al, 0x11
out 0x20, al
mov al, 0x08
out 0x21, al
mov al, 0x04
out 0x21, al
mov al, 0x01
out 0x21, al
mov al, 0x11
out 0xa0, al
mov al, 0x70
out 0xa1, al
mov al, 0x02
out 0xa1, al
mov al, 0x01
out 0xa1, al
mov al, %#x
out 0x21, al
mov al, %#x
out 0xa1, al
"""

SETUP = """
cli
xor ax, ax
mov ds, ax
mov ss, ax
mov sp, 0x7000
mov word ptr [0x500], 0
"""

# IRQ handlers live at F000:8000 + 0x100 * k
HANDLER_BASE = 0x8000


def pic_init(master_mask, slave_mask=0xFF):
    return PIC_INIT % (master_mask, slave_mask)


def set_vector(vector, handler_index):
    return ("mov word ptr [%#x], %#x\nmov word ptr [%#x], 0xf000\n"
            % (vector * 4, HANDLER_BASE + 0x100 * handler_index, vector * 4 + 2))


def rom_with_handlers(main, *handlers):
    rom = bytearray(rom16(main))
    for k, src in enumerate(handlers):
        off = HANDLER_BASE + 0x100 * k
        code = asm16(src, off)
        assert code and len(code) <= 0x100
        rom[off:off + len(code)] = code
    return bytes(rom)


def wait_count(n):
    """HLT until the handlers have counted n interrupts in word [0x500]."""
    return "sti\nwait:\nhlt\ncmp word ptr [0x500], %d\njb wait\ncli\n" % n


def exit_with(value):
    return "mov al, %#x\nout 0xf4, al\nhlt\n" % value


COUNT_AND_EOI = """
inc word ptr [0x500]
push ax
mov al, 0x20
out 0x20, al
pop ax
iret
"""

PIT_100HZ = """
mov al, 0x34
out 0x43, al
mov al, %#x
out 0x40, al
mov al, %#x
out 0x40, al
""" % (11932 & 0xFF, 11932 >> 8)


def run(rom, **kw):
    out = io.BytesIO()
    m = Machine(rom, debugcon=out, rtc_start=kw.pop("rtc_start", None), **kw)
    outcome = m.run(max_instructions=kw.pop("limit", 50_000_000))
    return m, outcome, out.getvalue()


def test_pit_ticks_wake_hlt_and_skip_guest_time():
    rom = rom_with_handlers(
        SETUP + set_vector(0x08, 0) + pic_init(0xFE) + PIT_100HZ + wait_count(50) +
        "mov al, 0x6f\nout 0xe9, al\nmov al, 0x6b\nout 0xe9, al\n" + exit_with(0),
        COUNT_AND_EOI)
    m, outcome, out = run(rom)
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0 and out == b"ok"
    # OUT0 rises with the control word (tick 1) and then every 11932 clocks
    expected = (1 + 49 * 11932) * NS_PER_S // PIT_HZ
    assert expected <= m.clock.now() < expected + MS
    # busy-waiting 0.49 s would be 49 million instructions; HLT skipped them
    assert m.cpu.icount < 2_000


def test_events_are_on_time_without_hlt():
    # A busy loop with a 1 kHz PIT: the slice that programs the PIT was planned for a
    # million instructions (10 ms); the new deadline must cut it short, or ticks would
    # come late and merge.
    rom = rom_with_handlers(
        SETUP + set_vector(0x08, 0) + pic_init(0xFE) +
        "mov al, 0x34\nout 0x43, al\nmov al, 0xa9\nout 0x40, al\nmov al, 0x04\n"
        "out 0x40, al\nsti\nspin:\ncmp word ptr [0x500], 20\njb spin\n" +
        exit_with(0), COUNT_AND_EOI)                  # 0x04A9 = 1193: 1000.15 Hz
    m, outcome, out = run(rom)
    # counting began one PIT clock after the programming OUTs (ISA cycles, 1 us each)
    last_tick = (m.pit.counters[0].origin + 19 * 1193) * NS_PER_S // PIT_HZ
    # within 2 us of instructions and the ISA cycles after the tick: EOI, debug exit
    assert last_tick <= m.clock.now() < last_tick + 2_000 + 2 * ISA_CYCLE_NS


def test_rtc_periodic_interrupt_through_the_slave():
    handler = """
inc word ptr [0x500]
push ax
mov al, 0x0c
out 0x70, al
in al, 0x71
mov al, 0x20
out 0xa0, al
out 0x20, al
pop ax
iret
"""
    rom = rom_with_handlers(
        SETUP + set_vector(0x70, 0) + pic_init(0xFB, 0xFE) +
        "mov al, 0x0a\nout 0x70, al\nmov al, 0x26\nout 0x71, al\n"     # 1024 Hz
        "mov al, 0x0b\nout 0x70, al\nmov al, 0x42\nout 0x71, al\n"     # PIE
        + wait_count(1024) + exit_with(0), handler)
    m, outcome, out = run(rom)
    assert outcome.stop is Stop.DEBUG_EXIT
    assert NS_PER_S - 2 * MS <= m.clock.now() <= NS_PER_S
    assert m.cpu.icount < 40_000


# counter 2's gate on (port 61h bit 0, the speaker off), mode 0, LSB then MSB: the
# count comes next
COUNTER2_MODE0 = """
in al, 0x61
and al, 0xfd
or al, 0x01
out 0x61, al
mov al, 0xb0
out 0x43, al
"""


def test_pit_counter2_poll_loop_measures_guest_time():
    # Linux-style calibration: gate counter 2 on, mode 0, poll port 0x61 bit 5.
    # In icount time each loop iteration (IN, TEST, JZ, INC) is 40 ns of guest time
    # and the IN's ISA cycle.
    src = SETUP + COUNTER2_MODE0 + """
mov al, %#x
out 0x42, al
mov al, %#x
out 0x42, al
xor ecx, ecx
poll:
inc ecx
in al, 0x61
test al, 0x20
jz poll
""" % (11932 & 0xFF, 11932 >> 8) + exit_with(0)
    m, outcome, out = run(rom16(src))
    loops = m.cpu.get_reg("ecx")
    expected = (11932 + 1) * NS_PER_S / PIT_HZ / (40 + ISA_CYCLE_NS)  # 10.001 ms
    assert abs(loops - expected) < 10                     # the set-up instructions
    m2, _, _ = run(rom16(src))
    assert m2.cpu.get_reg("ecx") == loops          # reproducible to the instruction


def test_isa_io_takes_a_bus_cycle_of_guest_time():
    # Linux's quick PIT calibration: load counter 2 with FFFFh, then its first read
    # must see it counting (an ISA cycle outlasts a PIT clock); 100 port-80h writes
    # (its I/O delay) take 100 us, and the TSC counts them.
    src = SETUP + COUNTER2_MODE0 + """
mov al, 0xff
out 0x42, al
out 0x42, al
in al, 0x42
mov bl, al
in al, 0x42
mov bh, al
rdtsc
mov esi, eax
mov cx, 100
delay:
out 0x80, al
loop delay
rdtsc
sub eax, esi
""" + "mov edi, eax\n" + exit_with(0)
    m, outcome, out = run(rom16(src))
    assert outcome.stop is Stop.DEBUG_EXIT
    assert m.cpu.get_reg("ebx") & 0xFFFF >= 0xFF00      # loaded: not the old 0
    ticks = m.cpu.get_reg("edi")
    per_out = ISA_CYCLE_NS * 100_000_000 // NS_PER_S      # the TSC runs at 100 MHz
    assert 100 * per_out <= ticks <= 100 * per_out + 100 * 2 + 10


def test_hlt_with_only_masked_timers_is_final():
    rom = rom16(SETUP + pic_init(0xFF) + PIT_100HZ + "sti\nhlt\n")
    m, outcome, out = run(rom)
    assert outcome.stop is Stop.HALT and "nothing can wake it" in outcome.message
    assert m.clock.next_deadline() is not None      # the PIT still runs, masked


def test_hlt_inside_the_only_handler_is_final():
    # the IRQ0 handler halts before its EOI: IRQ0 is in service, nothing else unmasked
    rom = rom_with_handlers(
        SETUP + set_vector(0x08, 0) + pic_init(0xFE) + PIT_100HZ + wait_count(2),
        "sti\nhlt\n")
    m, outcome, out = run(rom)
    assert outcome.stop is Stop.HALT and "nothing can wake it" in outcome.message


def test_port_92_reset_keeps_cmos():
    src = SETUP + """
mov al, 0x0f
out 0x70, al
in al, 0x71
cmp al, 0x0a
je second
mov al, 0x0a
out 0x71, al
in al, 0x92
or al, 0x01
out 0x92, al
jmp $
second:
""" + exit_with(0x2A)
    m, outcome, out = run(rom16(src))
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0x2A
    assert m.resets == 1


def test_port_92_a20_gate():
    # with A20 off, FFFF:0010 (1 MiB) is 0000:0000 again; the i8042's A20 line (on
    # after reset) is turned off first, since either source keeps A20 enabled
    src = SETUP + """
mov al, 0xdd
out 0x64, al
mov byte ptr [0], 0x11
mov ax, 0xffff
mov es, ax
mov byte ptr es:[0x10], 0x22
in al, 0x92
and al, 0xfd
out 0x92, al
mov byte ptr es:[0x10], 0x33
mov al, byte ptr [0]
out 0xf4, al
"""
    m, outcome, out = run(rom16(src))
    assert outcome.value == 0x33 and not m.cpu.a20


def test_rtc_time_in_cmos():
    from datetime import datetime
    src = SETUP + "mov al, 0x09\nout 0x70, al\nin al, 0x71\nout 0xf4, al\n"
    m, outcome, out = run(rom16(src), rtc_start=datetime(2031, 5, 6, 7, 8, 9))
    assert outcome.value == 0x31


# -- the serial port through the command line ----------------------------------------

COM1_INIT = """
mov dx, 0x3fb
mov al, 0x83
out dx, al
mov dx, 0x3f8
mov al, 0x01
out dx, al
mov dx, 0x3f9
mov al, 0x00
out dx, al
mov dx, 0x3fb
mov al, 0x03
out dx, al
"""


def serial_print(text):
    """Poll THRE before each byte, as BIOS INT 14h does."""
    lines = []
    for k, b in enumerate(text):
        lines += ["mov dx, 0x3fd", "tx%d:" % k, "in al, dx", "test al, 0x20",
                  "jz tx%d" % k, "mov dx, 0x3f8", "mov al, %#x" % b, "out dx, al"]
    return "\n".join(lines) + "\n"


def pyx86(rom_path, *args, input=b"", timeout=60):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "emu", "run", "--bios", str(rom_path),
                           "--headless", *map(str, args)], cwd=ROOT, env=env,
                          input=input, capture_output=True, timeout=timeout)


def test_serial_output_to_stdout_file_or_nowhere(tmp_path):
    rom = tmp_path / "serial.rom"
    rom.write_bytes(rom16(SETUP + COM1_INIT + serial_print(b"serial\n") + exit_with(0)))
    p = pyx86(rom)
    assert (p.returncode, p.stdout) == (1, b"serial\n")
    path = tmp_path / "com1.txt"
    p = pyx86(rom, "--serial", path)
    assert (p.returncode, p.stdout, path.read_bytes()) == (1, b"", b"serial\n")
    p = pyx86(rom, "--serial", "none")
    assert (p.returncode, p.stdout) == (1, b"")


def test_serial_input_wakes_hlt_through_irq4(tmp_path):
    # echo COM1 input to port E9 from the IRQ4 handler until a newline
    handler = """
push ax
push dx
mov dx, 0x3f8
in al, dx
out 0xe9, al
cmp al, 0x0a
jne more
inc word ptr [0x500]
more:
mov al, 0x20
out 0x20, al
pop dx
pop ax
iret
"""
    rom = tmp_path / "echo.rom"
    rom.write_bytes(rom_with_handlers(
        SETUP + set_vector(0x0C, 0) + pic_init(0xEF) + COM1_INIT +
        "mov dx, 0x3fc\nmov al, 0x08\nout dx, al\n"        # OUT2: IRQ onto the bus
        "mov dx, 0x3f9\nmov al, 0x01\nout dx, al\n"        # received-data interrupt
        + wait_count(1) + exit_with(0), handler))
    p = pyx86(rom, "--stats", input=b"typed\n")
    assert (p.returncode, p.stdout) == (1, b"typed\n")
    # nothing else runs: HLT waited for the host, it did not spin through time
    instructions = int(p.stderr.decode().split("pyx86: ")[1].split()[0])
    assert instructions < 1_000


def test_serial_input_at_eof_cannot_wake(tmp_path):
    rom = tmp_path / "wait.rom"
    rom.write_bytes(rom16(
        SETUP + pic_init(0xEF) + COM1_INIT +
        "mov dx, 0x3fc\nmov al, 0x08\nout dx, al\n"
        "mov dx, 0x3f9\nmov al, 0x01\nout dx, al\nsti\nhlt\n"))
    p = pyx86(rom, input=b"")
    assert p.returncode == 4 and b"nothing can wake it" in p.stderr


def test_realtime_ties_guest_time_to_the_wall_clock(tmp_path):
    rom = rom_with_handlers(
        SETUP + set_vector(0x08, 0) + pic_init(0xFE) + PIT_100HZ + wait_count(11) +
        exit_with(0), COUNT_AND_EOI)
    start = time.monotonic()
    m, outcome, out = run(rom, realtime=True)
    wall = time.monotonic() - start
    assert outcome.stop is Stop.DEBUG_EXIT
    assert m.clock.now() >= 100 * MS and wall >= 0.1     # ten periods of 10 ms


def test_cli_options(tmp_path):
    rom = tmp_path / "t.rom"
    rom.write_bytes(rom16(SETUP + "mov al, 0x32\nout 0x70, al\nin al, 0x71\n"
                          + "out 0xf4, al\n", size=64 * KIB))
    p = pyx86(rom, "--rtc-time", "1999-12-31T23:59:59")
    assert p.returncode == ((0x19 << 1) | 1)
    p = pyx86(rom, "--rtc-time", "yesterday")
    assert p.returncode == 2 and b"is not \"now\" or a date and time" in p.stderr
    p = pyx86(rom, "--serial", tmp_path / "no" / "dir")
    assert p.returncode == 2 and p.stderr.startswith(b"pyx86: error: cannot open serial")
    p = pyx86(rom, "--realtime")
    assert p.returncode == ((0x20 << 1) | 1)


FDC_SUBS = """
fdc_send:
push ax
mov dx, 0x3f4
send_wait:
in al, dx
and al, 0xc0
cmp al, 0x80
jne send_wait
pop ax
mov dx, 0x3f5
out dx, al
ret
fdc_recv:
mov dx, 0x3f4
recv_wait:
in al, dx
and al, 0xc0
cmp al, 0xc0
jne recv_wait
mov dx, 0x3f5
in al, dx
ret
"""


def fdc_send(*values):
    return "".join("mov al, %#x\ncall fdc_send\n" % v for v in values)


def wait_irq6(n):
    return wait_count(n).replace("wait", "wait%d" % n)


def test_floppy_read_by_dma_with_irq6(tmp_path):
    """A BIOS-style floppy read: DMA channel 2 programmed for 0x7C00, the FDC out of
    reset, the polling interrupt sensed, READ DATA of C/H/S 0/0/1, IRQ6, results."""
    from emu.diskimage import DiskImage
    path = tmp_path / "boot.img"
    path.write_bytes(b"BOOT" + bytes(512 - 4) + bytes(1474560 - 512))
    src = SETUP + set_vector(0x0E, 0) + pic_init(0xBF) + """
mov al, 0xc0
out 0xd6, al
mov al, 0
out 0xd4, al
mov al, 6
out 0x0a, al
out 0x0c, al
mov al, 0x46
out 0x0b, al
mov al, 0x00
out 0x04, al
mov al, 0x7c
out 0x04, al
mov al, 0
out 0x81, al
mov al, 0xff
out 0x05, al
mov al, 0x01
out 0x05, al
mov al, 2
out 0x0a, al
mov dx, 0x3f2
mov al, 0
out dx, al
mov al, 0x1c
out dx, al
""" + wait_irq6(1) + (fdc_send(0x08) + "call fdc_recv\ncall fdc_recv\n") * 4 + """
mov dx, 0x3f7
mov al, 0
out dx, al
""" + fdc_send(0x46, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF) + wait_irq6(2) + """
call fdc_recv
mov bl, al
call fdc_recv
call fdc_recv
call fdc_recv
call fdc_recv
call fdc_recv
cmp al, 2
jne fail
call fdc_recv
cmp bl, 0
jne fail
mov al, byte ptr [0x7c03]
out 0xf4, al
fail:
mov al, 0xee
out 0xf4, al
hlt
""" + FDC_SUBS
    rom = rom_with_handlers(src, COUNT_AND_EOI)
    m, outcome, out = run(rom, fda=DiskImage(path, kind="floppy"))
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == ord("T")
    assert m.mem.read(0x7C00, 4) == b"BOOT"
    assert m.rtc.cmos[0x10] == 0x40 and m.rtc.cmos[0x14] & 0xC1 == 0x01
