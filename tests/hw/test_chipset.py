"""The i440FX/PIIX chipset: PCI enumeration, PAM shadow RAM, PIRQ routing, the
0xCF9 reset and the PIIX4 ACPI power management function."""
import io

import pytest

from emu.clock import NS_PER_S
from emu.machine import Machine, Stop
from emu.memory import Memory
from hw.i440fx import PAM0, SMRAM
from hw.irq import SharedIrqs
from hw.pci import PciBus, PciDevice
from hw.piix import (ACPI_DISABLE, ACPI_ENABLE, CNT_SCI_EN, CNT_SLP_EN, GLBCTL,
                     GPE0_EN, GPE0_STS, PM1_CNT, PM1_EN, PM1_GBL, PM1_PWRBTN, PM1_STS,
                     PM1_TMR, PM_BASE_DEFAULT, PM_TIMER_HZ, PM_TMR, PMBA, PMREGMISC,
                     SCI_IRQ, SLP_TYP_S5, SMB_BASE_DEFAULT, SMBBA, SMBHSTCFG,
                     ApmPorts, Piix3Isa, Piix4Pm)
from tests.emu.roms import KIB, asm16, far_jmp16, rom16
from tests.hw.harness import HandClock, Ports, Wires

MIB = 1 << 20
PM = PM_BASE_DEFAULT


def rom_of(size):
    return bytes((k * 7 + k // 4096) & 0xFF for k in range(size))


def cfg_addr(dev, func, off):
    return 0x80000000 | (dev << 11) | (func << 8) | (off & 0xFC)


def cfg_read(bus, dev, func, off, size=4):
    bus.port_write(0xCF8, cfg_addr(dev, func, off), 4)
    return bus.port_read(0xCFC + (off & 3), size)


def cfg_write(bus, dev, func, off, value, size=4):
    bus.port_write(0xCF8, cfg_addr(dev, func, off), 4)
    bus.port_write(0xCFC + (off & 3), value, size)


def run(rom, limit=20_000_000, **kw):
    out = io.BytesIO()
    m = Machine(rom, debugcon=out, **kw)
    outcome = m.run(max_instructions=limit)
    return m, outcome, out.getvalue()


# -- enumeration ---------------------------------------------------------------------

def test_functions_ids_classes_and_multifunction_bit():
    m = Machine(rom_of(64 * KIB), memory_mib=4)
    bus = m.bus
    assert cfg_read(bus, 0, 0, 0x00) == 0x12378086
    assert cfg_read(bus, 0, 0, 0x08) == 0x06000002            # host bridge, rev 02
    assert cfg_read(bus, 0, 0, 0x0E, 1) & 0x80 == 0
    assert cfg_read(bus, 1, 0, 0x00) == 0x70008086
    assert cfg_read(bus, 1, 0, 0x08) >> 8 == 0x060100         # ISA bridge
    assert cfg_read(bus, 1, 0, 0x0E, 1) == 0x80               # multi-function
    assert cfg_read(bus, 1, 3, 0x00) == 0x71138086
    assert cfg_read(bus, 1, 3, 0x08) == 0x06800003            # bridge/other, rev 03
    assert cfg_read(bus, 1, 2, 0x00) == 0xFFFFFFFF            # no USB
    assert cfg_read(bus, 1, 1, 0x00) == 0x70108086            # IDE
    assert cfg_read(bus, 2, 0, 0x00) == 0x11111234            # VGA
    assert cfg_read(bus, 3, 0, 0x00) == 0xFFFFFFFF
    # PIIX3 power-on values: PIRQ routing off, SMRAM at 0xA0000 and closed
    assert cfg_read(bus, 1, 0, 0x60) == 0x80808080
    assert cfg_read(bus, 0, 0, SMRAM, 1) == 0x02
    assert cfg_read(bus, 1, 3, PMBA) == 0x1 and cfg_read(bus, 1, 3, SMBBA) == 0x1


def test_smram_lock():
    m = Machine(rom_of(64 * KIB), memory_mib=4)
    bus = m.bus
    cfg_write(bus, 0, 0, SMRAM, 0x4F, 1)                      # D_OPEN, G_SMRAME, base 111
    assert cfg_read(bus, 0, 0, SMRAM, 1) == 0x4A              # base field is fixed 010
    cfg_write(bus, 0, 0, SMRAM, 0x5A, 1)                      # D_LCK clears D_OPEN
    assert cfg_read(bus, 0, 0, SMRAM, 1) == 0x1A
    cfg_write(bus, 0, 0, SMRAM, 0x62, 1)                      # locked: only D_CLS moves
    assert cfg_read(bus, 0, 0, SMRAM, 1) == 0x3A
    m.reset()
    assert cfg_read(bus, 0, 0, SMRAM, 1) == 0x02


# -- PAM -------------------------------------------------------------------------------

def test_pam_shadowing_of_the_f_segment_through_memory():
    rom = rom_of(128 * KIB)
    m = Machine(rom, memory_mib=4)
    mem, host = m.mem, m.host_bridge
    top = rom[64 * KIB:]
    assert mem.read(0xF0000, 64 * KIB) == top
    mem.write(0xF0000, b"xx")                                 # PCI side: the flash
    assert mem.read(0xF0000, 2) == top[:2]
    host.config_write(PAM0, 0x20, 1)                          # write RAM, read ROM
    mem.write(0xF0000, mem.read(0xF0000, 64 * KIB))           # copy onto itself
    mem.write(0xF0100, b"patch")
    assert mem.read(0xF0100, 5) == top[0x100:0x105]           # still reads the ROM
    host.config_write(PAM0, 0x30, 1)                          # RAM read/write
    assert mem.read(0xF0000, 0x100) == top[:0x100]
    assert mem.read(0xF0100, 5) == b"patch"
    host.config_write(PAM0, 0x10, 1)                          # write-protected RAM
    mem.write(0xF0100, b"again")
    assert mem.read(0xF0100, 5) == b"patch"
    assert mem.read(0xE0000, 4) == rom[:4]                    # PAM5/6 untouched
    host.config_write(PAM0, 0x00, 1)
    assert mem.read(0xF0100, 5) == top[0x100:0x105]
    host.config_write(PAM0, 0x30, 1)                          # the RAM kept its copy
    assert mem.read(0xF0100, 5) == b"patch"
    m.reset()                                                 # RESET: PAM back to 0
    assert host.config_read(PAM0, 1) == 0 and mem.read(0xF0100, 5) == top[0x100:0x105]


def test_pam_option_rom_granule_through_memory():
    m = Machine(rom_of(64 * KIB), memory_mib=4)
    mem, host = m.mem, m.host_bridge
    pam2 = PAM0 + 2                       # low nibble 0xC8000-0xCBFFF, high 0xCC000-
    assert mem.read(0xC8000, 4) == b"\xff" * 4                # nothing on the PCI side
    mem.write(0xC8000, b"lost")
    host.config_write(pam2, 0x02, 1)                          # write RAM, read PCI
    mem.write(0xC8000, b"\x55\xaa\x10")
    mem.write(0xCBFFE, b"end!")                               # crosses into 0xCC000
    assert mem.read(0xC8000, 3) == b"\xff" * 3
    host.config_write(pam2, 0x01, 1)                          # read RAM, write-protect
    assert mem.read(0xC8000, 3) == b"\x55\xaa\x10"
    assert mem.read(0xCBFFE, 4) == b"en\xff\xff"              # 0xCC000 was PCI: lost
    mem.write(0xC8000, b"\0")
    assert mem.read(0xC8000, 1) == b"\x55"
    host.config_write(pam2, 0x31, 1)                          # 0xCC000 RAM too: never
    assert mem.read(0xCC000, 2) == bytes(2)                   # written, still zero


def code_rom(main, chunks):
    """A 64 KiB ROM: main at F000:0000, then asm or raw bytes at other offsets."""
    rom = bytearray(rom16(main))
    for off, code in chunks.items():
        if isinstance(code, str):
            code = asm16(code, off)
        assert code
        rom[off:off + len(code)] = code
    return bytes(rom)


SET_PAM0 = """
mov eax, 0x80000058
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfd
mov al, %#x
out dx, al
"""

SET_PAM2 = """
mov eax, 0x80000058
mov dx, 0xcf8
out dx, eax
mov dx, 0xcff
mov al, %#x
out dx, al
"""


def test_pam_shadowing_through_the_cpu():
    main = ("cli\nxor ax, ax\nmov ss, ax\nmov sp, 0x7000\n" + SET_PAM0 % 0x20 + """
mov ax, 0xf000
mov ds, ax
mov es, ax
xor si, si
xor di, di
mov cx, 0x8000
cld
rep movsw
""" + SET_PAM0 % 0x30 + """
mov byte ptr [0x9001], 0x22
jmp 0x9000
""")
    probe1 = "mov al, 0x11\nout 0xe9, al\njmp 0xa000\n"
    step2 = SET_PAM0 % 0x10 + "mov byte ptr [0x9101], 0x33\njmp 0x9100\n"
    probe2 = "mov al, 0x44\nout 0xe9, al\njmp 0xb000\n"
    # copy the 0x9300 routine to 0xC8000 (PAM2 low: write RAM), make it read-only
    # RAM, run it there: it reports and jumps back
    step3 = SET_PAM2 % 0x02 + """
mov ax, 0xc800
mov es, ax
mov si, 0x9300
xor di, di
mov cx, 16
rep movsb
""" + SET_PAM2 % 0x01
    step3 = asm16(step3, 0xB000) + far_jmp16(0xC800, 0)
    routine = asm16("mov al, 0x55\nout 0xe9, al\n", 0) + far_jmp16(0xF000, 0xB800)
    final = SET_PAM0 % 0x00 + "mov al, [0x9001]\nout 0xe9, al\nmov al, 0\nout 0xf4, al\n"
    rom = code_rom(main, {0x9000: probe1, 0xA000: step2, 0x9100: probe2,
                          0xB000: step3, 0x9300: routine, 0xB800: final})
    m, outcome, out = run(rom)
    assert outcome.stop is Stop.DEBUG_EXIT, outcome
    # the RAM copy ran patched; the write-protected patch was dropped; the C8000
    # copy ran; with PAM0 = 0 the F segment is the ROM again
    assert out == bytes((0x22, 0x44, 0x55, 0x11))


# -- PIRQ routing ----------------------------------------------------------------------

class Nic(PciDevice):
    def __init__(self):
        super().__init__("test nic", 0x1234, 0x0001, 0x020000, irq_pin=1)


def chipset_alone():
    """PCI bus with the PIIX3 and PIIX4 PM functions, driven by hand."""
    clock = HandClock()
    wires = Wires(clock)
    irqs = SharedIrqs(wires)
    ports = Ports()
    mem = Memory(4 * MIB)
    pci = PciBus(ports.bus, mem, protected=[(0, 4 * MIB)])
    pci.attach(ports.bus)
    isa = pci.add(Piix3Isa(irqs), 1)
    pci.pirq_router = isa.pirq
    offs = []
    pm = pci.add(Piix4Pm(clock, irqs.line(SCI_IRQ), irqs.line(SCI_IRQ),
                         lambda: offs.append(clock.now())), 1, 3)
    apm = ApmPorts(pm.smi_command)
    apm.attach(ports.bus)
    return clock, wires, irqs, ports, pci, isa, pm, offs


def test_pirq_routing_drives_the_routed_irq():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    nic = pci.add(Nic(), 2)                                   # INTA in slot 2: PIRQC
    raw = []
    isa.add_pirq_sink(lambda p, level: raw.append((p, level)))
    nic.irq.raise_()
    assert raw == [(2, True)]
    assert not any(wires.levels.values())                     # routing disabled
    cfg_write(ports.bus, 1, 0, 0x62, 10, 1)                   # PIRQC -> IRQ10
    assert wires.level(10)
    cfg_write(ports.bus, 1, 0, 0x62, 0x80 | 10, 1)            # disable bit
    assert not wires.level(10)
    cfg_write(ports.bus, 1, 0, 0x62, 11, 1)
    assert wires.level(11) and not wires.level(10)
    nic.irq.lower()
    assert not wires.level(11) and raw[-1] == (2, False)
    cfg_write(ports.bus, 1, 0, 0x62, 13, 1)                   # reserved IRQ: nowhere
    nic.irq.raise_()
    assert not any(wires.levels.values())


def test_pirq_shares_irq9_with_the_sci():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    nic = pci.add(Nic(), 3)                                   # INTA in slot 3: PIRQD
    cfg_write(ports.bus, 1, 0, 0x63, 9, 1)
    cfg_write(ports.bus, 1, 3, PMBA, PM | 1)
    cfg_write(ports.bus, 1, 3, PMREGMISC, 1, 1)
    nic.irq.raise_()
    ports.bus.port_write(PM + PM1_EN, PM1_PWRBTN, 2)
    ports.bus.port_write(PM + PM1_CNT, CNT_SCI_EN, 2)
    pm.press_power_button()                                   # SCI on IRQ9 as well
    assert wires.level(9)
    nic.irq.lower()
    assert wires.level(9)                                     # the SCI still holds it
    ports.bus.port_write(PM + PM1_STS, PM1_PWRBTN, 2)
    assert not wires.level(9)


def test_pirq_routing_in_the_machine_reaches_the_pic():
    m = Machine(rom_of(64 * KIB), memory_mib=4)
    nic = m.pci.add(Nic(), 6)                                 # INTA# -> PIRQC
    cfg_write(m.bus, 1, 0, 0x62, 11, 1)
    nic.irq.raise_()
    assert m.pic.slave.lines & (1 << 3)
    nic.irq.lower()
    assert not m.pic.slave.lines & (1 << 3)


# -- ACPI power management -----------------------------------------------------------

def enable_pm(ports):
    cfg_write(ports.bus, 1, 3, PMBA, PM | 1)
    cfg_write(ports.bus, 1, 3, PMREGMISC, 1, 1)


def test_pm_block_is_decoded_only_when_enabled():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    cfg_write(ports.bus, 1, 3, PMBA, PM | 1)
    assert ports.bus.owner(PM) is None
    assert cfg_read(ports.bus, 1, 3, PMBA) == PM | 1
    cfg_write(ports.bus, 1, 3, PMBA, 0xFFFF)
    assert cfg_read(ports.bus, 1, 3, PMBA) == 0xFFC1          # 64-byte block
    enable_pm(ports)
    assert ports.bus.owner(PM) == "ACPI PM" and ports.bus.owner(PM + 63) == "ACPI PM"
    cfg_write(ports.bus, 1, 3, PMBA, 0x800 | 1)
    assert ports.bus.owner(PM) is None and ports.bus.owner(0x800) == "ACPI PM"
    pci.reset()
    assert ports.bus.owner(0x800) is None


def test_pm_timer_counts_at_3_579545_mhz_of_guest_time():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    enable_pm(ports)
    clock.advance(NS_PER_S)
    assert ports.bus.port_read(PM + PM_TMR, 4) == PM_TIMER_HZ
    clock.advance(NS_PER_S // 1000)
    assert ports.bus.port_read(PM + PM_TMR, 4) == 3_583_124   # 1.001 s
    low = ports.bus.port_read(PM + PM_TMR, 2)
    assert low == 3_583_124 & 0xFFFF
    clock.advance(4 * NS_PER_S)                               # wraps at 2^24
    assert ports.bus.port_read(PM + PM_TMR, 4) == (5_001 * PM_TIMER_HZ // 1000) & 0xFFFFFF


def test_pm_timer_status_and_sci_on_bit_23_toggles():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    enable_pm(ports)
    def toggle(n):                        # guest ns of the n-th bit-23 toggle
        return -(-(n << 23) * NS_PER_S // PM_TIMER_HZ)       # n * 2.343 s
    ports.bus.port_write(PM + PM1_EN, PM1_TMR, 2)
    ports.bus.port_write(0xB2, ACPI_ENABLE, 1)                # the SMI_CMD handshake
    assert ports.bus.port_read(PM + PM1_CNT, 2) & CNT_SCI_EN
    clock.advance(toggle(1) - 1)
    assert not ports.bus.port_read(PM + PM1_STS, 2) & PM1_TMR and not wires.level(9)
    clock.advance(1)
    assert ports.bus.port_read(PM + PM1_STS, 2) & PM1_TMR
    assert wires.rises[9] == [toggle(1)]                      # the SCI, on time
    ports.bus.port_write(PM + PM1_STS, PM1_TMR, 2)            # W1C
    assert not wires.level(9)
    clock.advance_to(toggle(2))
    assert wires.rises[9] == [toggle(1), toggle(2)]
    ports.bus.port_write(0xB2, ACPI_DISABLE, 1)               # legacy mode: no SCI
    assert not ports.bus.port_read(PM + PM1_CNT, 2) & CNT_SCI_EN and not wires.level(9)
    assert ports.bus.port_read(PM + PM1_STS, 2) & PM1_TMR     # status still set


def test_gbl_and_gpe_status_raise_the_sci():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    enable_pm(ports)
    ports.bus.port_write(PM + PM1_CNT, CNT_SCI_EN, 2)
    ports.bus.port_write(PM + PM1_EN, PM1_GBL, 2)
    ports.bus.port_write(PM + GLBCTL, 0x2, 4)                 # BIOS_RLS
    assert ports.bus.port_read(PM + PM1_STS, 2) & PM1_GBL and wires.level(9)
    assert ports.bus.port_read(PM + GLBCTL, 4) == 0           # BIOS_RLS reads 0
    ports.bus.port_write(PM + PM1_STS + 1, 0, 1)              # clears nothing
    ports.bus.port_write(PM + PM1_STS, PM1_GBL, 1)
    assert not wires.level(9)
    ports.bus.port_write(PM + GPE0_EN, 0xFFFF, 2)
    assert ports.bus.port_read(PM + GPE0_EN, 2) == 0xFFFF
    assert ports.bus.port_read(PM + GPE0_STS, 2) == 0 and not wires.level(9)


def test_sleep_enable_with_s5_powers_off():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    enable_pm(ports)
    ports.bus.port_write(PM + PM1_CNT, CNT_SLP_EN | 1 << 10, 2)  # S3 type: not ours
    assert offs == [] and ports.bus.port_read(PM + PM1_CNT, 2) == 1 << 10
    ports.bus.port_write(PM + PM1_CNT, SLP_TYP_S5 << 10, 2)
    assert offs == []                                         # SLP_EN not set
    ports.bus.port_write(PM + PM1_CNT + 1, (CNT_SLP_EN | SLP_TYP_S5 << 10) >> 8, 1)
    assert len(offs) == 1
    assert not ports.bus.port_read(PM + PM1_CNT, 2) & CNT_SLP_EN   # write-only


def test_smbus_host_with_an_empty_bus():
    clock, wires, irqs, ports, pci, isa, pm, offs = chipset_alone()
    bus = ports.bus
    cfg_write(bus, 1, 3, SMBBA, SMB_BASE_DEFAULT | 1)
    cfg_write(bus, 1, 3, SMBHSTCFG, 0x09, 1)                  # enable, IRQ9
    assert bus.owner(SMB_BASE_DEFAULT) is None                # COMMAND I/O still off
    cfg_write(bus, 1, 3, 0x04, 0x1, 2)
    assert bus.owner(SMB_BASE_DEFAULT) == "SMBus host"
    smb = SMB_BASE_DEFAULT
    bus.port_write(smb + 4, 0x50 << 1 | 1, 1)                 # read from 0x50 (an EEPROM)
    bus.port_write(smb + 2, 0x40 | 0x08 | 0x01, 1)            # START, byte data, INTEREN
    assert bus.port_read(smb, 1) == 0x04                      # DEV_ERR, not busy
    assert wires.level(9)
    bus.port_write(smb, 0xFF, 1)
    assert bus.port_read(smb, 1) == 0 and not wires.level(9)


# -- the machine -------------------------------------------------------------------------

SETUP = "cli\nxor ax, ax\nmov ds, ax\nmov ss, ax\nmov sp, 0x7000\n"


def test_acpi_s5_ends_the_run():
    src = SETUP + """
mov eax, 0x80000b40
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfc
mov eax, %#x
out dx, eax
mov eax, 0x80000b80
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfc
mov al, 1
out dx, al
mov dx, %#x
mov ax, %#x
out dx, ax
hlt
""" % (PM | 1, PM + PM1_CNT, CNT_SLP_EN | SLP_TYP_S5 << 10)
    m, outcome, out = run(rom16(src))
    assert outcome.stop is Stop.POWER_OFF
    assert outcome.message == "guest powered off (ACPI S5)"


def test_reset_control_register_resets_the_machine():
    # first boot: put a marker in shadow RAM at 0xC0000, count the boot in CMOS and
    # reset through 0xCF9; second boot: RESET put PAM back to 0, so 0xC0000 is
    # empty PCI space again
    src = SETUP + """
mov al, 0x0f
out 0x70, al
in al, 0x71
cmp al, 0x0a
je second
mov al, 0x0a
out 0x71, al
mov eax, 0x80000058
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfe
mov al, 0x33
out dx, al
mov ax, 0xc000
mov es, ax
mov byte ptr es:[0], 0x77
mov al, byte ptr es:[0]
out 0xe9, al
mov dx, 0xcf9
mov al, 0x02
out dx, al
mov al, 0x06
out dx, al
jmp $
second:
mov ax, 0xc000
mov es, ax
mov al, byte ptr es:[0]
out 0xe9, al
mov al, 0
out 0xf4, al
"""
    m, outcome, out = run(rom16(src))
    assert outcome.stop is Stop.DEBUG_EXIT, outcome
    assert m.resets == 1 and out == b"\x77\xff"
    m2, outcome2, _ = run(rom16(src), reboot=False)
    assert outcome2.stop is Stop.REBOOT


ENUMERATE = """
xor ebx, ebx
next:
mov eax, ebx
or eax, 0x80000000
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfc
in eax, dx
cmp ax, 0xffff
je skip
push eax
mov al, bh
out 0xe9, al
pop eax
mov cx, 4
outl:
out 0xe9, al
shr eax, 8
loop outl
skip:
add ebx, 0x100
cmp ebx, 0x10000
jb next
"""

ACPI_OFF = """
mov eax, 0x80000b40
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfc
mov eax, %#x
out dx, eax
mov eax, 0x80000b80
mov dx, 0xcf8
out dx, eax
mov dx, 0xcfc
mov al, 1
out dx, al
mov al, 0xf1
out 0xb2, al
mov dx, %#x
wait:
in ax, dx
test al, 1
jz wait
mov ax, %#x
out dx, ax
hlt
""" % (PM | 1, PM + PM1_CNT, CNT_SCI_EN | CNT_SLP_EN | SLP_TYP_S5 << 10)


def test_rom_enumerates_the_bus_and_powers_off_through_acpi():
    m, outcome, out = run(rom16(SETUP + ENUMERATE + ACPI_OFF))
    assert outcome.stop is Stop.POWER_OFF and "ACPI S5" in outcome.message
    assert len(out) % 5 == 0
    found = {(out[k] >> 3, out[k] & 7): int.from_bytes(out[k + 1:k + 5], "little")
             for k in range(0, len(out), 5)}
    assert found[0, 0] == 0x12378086
    assert found[1, 0] == 0x70008086
    assert found[1, 3] == 0x71138086
    assert found[1, 1] == 0x70108086                        # IDE
    assert found[2, 0] == 0x11111234                        # VGA
    assert (1, 2) not in found
    assert all(dev <= 2 for dev, func in found)             # nothing else on the board


def test_isa_option_rom_on_the_pci_side_can_be_shadowed():
    m = Machine(rom_of(64 * KIB), memory_mib=4)
    mem, host = m.mem, m.host_bridge
    option = b"\x55\xaa\x08" + bytes(range(1, 200))
    host.add_isa_rom(0xC8000, option.ljust(0x1000, b"\xff"))
    assert mem.read(0xC8000, len(option)) == option           # PAM 0: the ISA ROM
    host.config_write(PAM0 + 2, 0x02, 1)                      # WE: copy it onto itself
    mem.write(0xC8000, mem.read(0xC8000, 0x1000))
    host.config_write(PAM0 + 2, 0x01, 1)                      # RE: the shadow copy
    assert mem.read(0xC8000, len(option)) == option
    mem.write(0xC8000, b"\0")
    assert mem.read(0xC8000, 1) == b"\x55"                    # write-protected
    assert mem.read(0xC9000, 4) == bytes(4)                   # RAM past the ROM
    with pytest.raises(ValueError):
        host.add_isa_rom(0xC8000, bytes(0x1000))              # overlaps
    with pytest.raises(ValueError):
        host.add_isa_rom(0xF0000, bytes(0x1000))              # the BIOS's place


def test_acpi_tables_use_the_chipset_values():
    from emu import acpi
    assert (acpi.PM_BASE_DEFAULT, acpi.SCI_IRQ, acpi.SMI_CMD) == (PM_BASE_DEFAULT, SCI_IRQ, 0xB2)
    assert (acpi.ACPI_ENABLE, acpi.ACPI_DISABLE, acpi.S5_SLP_TYP) == (
        ACPI_ENABLE, ACPI_DISABLE, SLP_TYP_S5)
