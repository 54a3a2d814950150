"""SeaBIOS as the machine's firmware (`pyx86 run --bios seabios`).

The images are the distribution's (Debian/Ubuntu package "seabios", in SEABIOS_DIR):
bios-256k.bin, the build QEMU's "pc" machine uses, and the VGA BIOS for the Bochs VBE
adapter (vgabios-stdvga.bin), which goes into the VGA's PCI expansion ROM so that
SeaBIOS runs it like any PCI option ROM.

What SeaBIOS needs from the machine, on top of the PC hardware:
- System Management Mode: SeaBIOS relocates SMBASE to 0xA0000 through an APMC SMI
  (PIIX4 DEVACTB.APMC_EN), keeps its SMI handler in the i440FX SMRAM and, on
  QEMU-like machines, calls 32-bit code from 16-bit code through SMIs (its
  CALL32_SMM): the CPU's SMM (cpu/smm.pxi) and the host bridge's SMRAM decode.
- fw_cfg (it treats a machine with fw_cfg as QEMU): the ACPI tables through
  etc/table-loader, which makes it put the PM block at SEABIOS_PM_BASE (so the FADT
  must name that port), the boot-menu item (0: no "Press ESC" pause); RAM size,
  disk geometry and the boot order come from the CMOS as Bochs and QEMU set them.
- Its log: the Debian build writes it to QEMU's debug console port DEBUG_PORT
  (0x402); `--debugcon-port 0x402` shows it.
"""
import os

from emu.machine import RomError, load_rom
from hw.piix import SEABIOS_PM_BASE

SEABIOS_DIR = "/usr/share/seabios"
BIOS_FILE = "bios-256k.bin"
VGABIOS_FILE = "vgabios-stdvga.bin"
PACKAGE = "seabios"
DEBUG_PORT = 0x402
PM_BASE = SEABIOS_PM_BASE


def path(name, folder=SEABIOS_DIR):
    return os.path.join(folder, name)


def available(folder=SEABIOS_DIR):
    return all(os.path.isfile(path(n, folder)) for n in (BIOS_FILE, VGABIOS_FILE))


def _load(name, folder):
    p = path(name, folder)
    if not os.path.isfile(p):
        raise RomError("SeaBIOS: %s is missing (install the Debian/Ubuntu package %r)"
                       % (p, PACKAGE))
    return p


def images(folder=SEABIOS_DIR):
    """(BIOS ROM, VGA BIOS) as bytes; RomError naming the package when missing."""
    rom = load_rom(_load(BIOS_FILE, folder))
    with open(_load(VGABIOS_FILE, folder), "rb") as f:
        vgabios = f.read()
    return rom, vgabios
