"""SMM on the board: the i440FX SMRAM decode of 0xA0000-0xBFFFF (VGA window or RAM)
and the PIIX4's APMC SMI, alone and with the CPU going through SMIs."""
from emu.machine import Machine
from hw.i440fx import SMRAM, SMRAM_D_OPEN, SMRAM_G_SMRAME
from hw.piix import (ACPI_ENABLE, CNT_SCI_EN, DEVACTB, DEVACTB_APMC_EN, GLBCTL,
                     GLBCTL_SMI_EN, PM1_CNT, PM_BASE_DEFAULT as PM, PMBA, PMREGMISC)
from tests.cpu.realmode import asm16
from tests.hw.test_chipset import cfg_read, cfg_write, rom_of

KIB = 1 << 10
BASE_SEG = 0x02                       # C_BASE_SEG 010 (read-only)


def machine():
    return Machine(rom_of(64 * KIB), memory_mib=4)


def vga_view(m):
    """What the VGA (in its power-on state) answers at 0xA0000."""
    return m.vga.mmio_read(0xA0000, 4).to_bytes(4, "little")


def smram(m, value):
    cfg_write(m.bus, 0, 0, SMRAM, value, 1)


def test_smram_window_follows_d_open_and_smiact():
    m = machine()
    vga = vga_view(m)
    assert m.mem.read(0xA0000, 4) == vga != b"SMM!"
    smram(m, BASE_SEG | SMRAM_D_OPEN | SMRAM_G_SMRAME)          # open: RAM for all
    assert m.mem.read(0xA0000, 4) == b"\0\0\0\0"
    m.mem.write(0xA0000, b"SMM!")
    m.mem.write(0xBFFFC, b"top!")
    smram(m, BASE_SEG | SMRAM_G_SMRAME)                         # closed
    assert m.mem.read(0xA0000, 4) == vga
    m.host_bridge.smm(True)                                     # SMIACT#: SMRAM
    assert m.mem.read(0xA0000, 4) == b"SMM!" and m.mem.read(0xBFFFC, 4) == b"top!"
    m.host_bridge.smm(False)
    assert m.mem.read(0xA0000, 4) == vga
    smram(m, BASE_SEG)                                          # G_SMRAME off: no SMRAM
    m.host_bridge.smm(True)
    assert m.mem.read(0xA0000, 4) == vga
    smram(m, BASE_SEG | SMRAM_D_OPEN)                           # D_OPEN alone opens it
    assert m.mem.read(0xA0000, 4) == b"SMM!"
    m.reset()                                                   # power-on: the VGA
    assert cfg_read(m.bus, 0, 0, SMRAM, 1) == BASE_SEG
    assert m.mem.read(0xA0000, 4) == vga


def enable_apmc_smi(m, smi_en=True):
    cfg_write(m.bus, 1, 3, PMBA, PM | 1)
    cfg_write(m.bus, 1, 3, PMREGMISC, 1, 1)
    cfg_write(m.bus, 1, 3, DEVACTB, DEVACTB_APMC_EN)
    m.bus.port_write(PM + GLBCTL, GLBCTL_SMI_EN if smi_en else 0, 4)


def test_apmc_write_raises_smi_when_enabled():
    m = machine()
    m.bus.port_write(0xB2, 0x00, 1)
    assert not m.cpu.smi_pending                        # APMC_EN clear at power-on
    enable_apmc_smi(m, smi_en=False)
    m.bus.port_write(0xB2, 0x00, 1)
    assert not m.cpu.smi_pending                        # the global SMI_EN is clear
    enable_apmc_smi(m)
    m.bus.port_write(0xB2, ACPI_ENABLE, 1)
    assert not m.cpu.smi_pending                        # the handshake is the chipset's
    assert m.bus.port_read(PM + PM1_CNT, 2) & CNT_SCI_EN
    m.bus.port_write(0xB2, 0x42, 1)
    assert m.cpu.smi_pending and m.bus.port_read(0xB2, 1) == 0x42


def test_smi_handler_in_smram_through_the_cpu():
    """SeaBIOS's sequence: relocate SMBASE to 0xA0000 with a handler at the default
    SMBASE, then close SMRAM; the next APMC SMI runs the handler from SMRAM, which
    the rest of the time is the VGA's window."""
    m = machine()
    enable_apmc_smi(m)
    # relocation handler at 0x38000: SMBASE := 0xA0000, APM status := 0
    m.mem.write(0x38000, asm16("mov ebx, 0x3fef8; mov dword ptr [ebx], 0xa0000;"
                               "mov al, 0; out 0xb3, al; rsm", 0x8000))
    smram(m, BASE_SEG | SMRAM_D_OPEN | SMRAM_G_SMRAME)
    # the real handler, in SMRAM: a marker at 0xA0000, the APMC value + 1 to APMS
    m.mem.write(0xA8000, asm16("mov ebx, 0xa0000; mov dword ptr [ebx], 0x21214d53;"
                               "in al, 0xb2; inc al; out 0xb3, al; rsm", 0x8000))
    smram(m, BASE_SEG | SMRAM_G_SMRAME)
    m.mem.write(0x1000, asm16("mov al, 1; out 0xb3, al; mov al, 0; out 0xb2, al;"
                              "in al, 0xb3; mov cl, al;"
                              "mov al, 0x41; out 0xb2, al; in al, 0xb3; mov dl, al;"
                              "hlt", 0x1000))
    cpu = m.cpu
    cpu.load_seg_real("cs", 0)
    for sg in ("ds", "es", "ss"):
        cpu.load_seg_real(sg, 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    cpu.run(10_000)
    assert cpu.halted and not cpu.in_smm and cpu.smbase == 0xA0000
    assert cpu.get_reg("ecx") & 0xFF == 0 and cpu.get_reg("edx") & 0xFF == 0x42
    assert m.mem.read(0xA0000, 4) == vga_view(m)
    assert bytes(m.mem.ram_view()[0xA0000:0xA0004]) == b"SM!!"
