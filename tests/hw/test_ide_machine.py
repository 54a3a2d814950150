"""The IDE controller inside the Machine: CMOS disk fields, PCI function 00:01.1, and
real-mode code reading a disk by PIO (rep insw) and by bus master DMA on IRQ14."""
import pytest

from emu.diskimage import DiskImage
from emu.machine import Machine, Stop
from hw.ata import AtaDisk
from hw.atapi import AtapiCdrom
from tests.emu.roms import KIB
from tests.hw.idekit import make_image, pattern
from tests.hw.test_machine import (COUNT_AND_EOI, SETUP, exit_with, pic_init, rom_with_handlers,
                                   run, set_vector, wait_count)

HLT_ROM = b"\xF4" * (64 * KIB)


def test_drives_cmos_and_pci_function(tmp_path):
    hda = make_image(tmp_path / "a.img", 4096)
    with open(tmp_path / "b.img", "wb") as f:
        f.truncate(2520 * 16 * 63 * 512)                       # sparse, 2520 cylinders
    hdb = DiskImage(tmp_path / "b.img")
    iso = make_image(tmp_path / "c.iso", 10, sector_size=2048, readonly=True)
    m = Machine(HLT_ROM, memory_mib=2, drives={"hda": hda, "hdb": hdb, "cdrom": iso})
    assert isinstance(m.drives["hda"], AtaDisk) and isinstance(m.drives["hdc"], AtapiCdrom)
    assert "hdd" not in m.drives
    c = m.rtc.cmos
    assert c[0x12] == 0xFF and c[0x19] == c[0x1A] == 47
    assert (c[0x1B] | c[0x1C] << 8, c[0x1D], c[0x23]) == (4, 16, 63)
    assert (c[0x24] | c[0x25] << 8, c[0x26], c[0x2C]) == (2520, 16, 63)
    assert c[0x20] == 0xC8 and c[0x21] | c[0x22] << 8 == 4
    assert c[0x39] == 0x04                                     # hdb: LBA translation
    assert (c[0x2E] << 8 | c[0x2F]) == sum(c[0x10:0x2E])
    assert m.pci.config_read(1, 1, 0, 4) == 0x70108086
    assert m.bus.port_read(0x1F7, 1) == 0x50
    assert m.bus.port_read(0x177, 1) == 0x00                  # ATAPI: DRDY clear
    m.reset()
    assert m.bus.port_read(0x1F7, 1) == 0x50


def test_no_drives_floats_and_bad_positions(tmp_path):
    m = Machine(HLT_ROM, memory_mib=1)
    assert m.drives == {} and m.rtc.cmos[0x12] == 0
    assert m.bus.port_read(0x1F7, 1) == 0xFF
    img = make_image(tmp_path / "a.img", 64)
    with pytest.raises(ValueError):
        Machine(HLT_ROM, memory_mib=1, drives={"hde": img})
    with pytest.raises(ValueError):
        Machine(HLT_ROM, memory_mib=1, drives={"hdc": img, "cdrom": None})


PIO_READ = """
mov dx, 0x1f6
mov al, 0xe0
out dx, al
mov dx, 0x1f2
mov al, 2
out dx, al
mov dx, 0x1f3
mov al, 5
out dx, al
xor al, al
inc dx
out dx, al
inc dx
out dx, al
mov dx, 0x1f7
mov al, 0x20
out dx, al
xor di, di
mov ax, 0x100
mov es, ax
mov bx, 2
sector:
mov dx, 0x1f7
busy:
in al, dx
test al, 0x80
jnz busy
test al, 0x08
jz fail
mov dx, 0x1f0
mov cx, 256
cld
rep insw
dec bx
jnz sector
"""

PCI_BAR4 = """
mov dx, 0xcf8
mov eax, 0x80000920
out dx, eax
mov dx, 0xcfc
mov eax, 0xc001
out dx, eax
mov dx, 0xcf8
mov eax, 0x80000904
out dx, eax
mov dx, 0xcfc
mov ax, 5
out dx, ax
"""

DMA_READ = """
mov dword ptr [0x2000], 0x3000
mov dword ptr [0x2004], 0x80000400
mov dx, 0xc004
mov eax, 0x2000
out dx, eax
mov dx, 0xc000
mov al, 0x08
out dx, al
mov dx, 0x1f6
mov al, 0xe0
out dx, al
mov dx, 0x1f2
mov al, 2
out dx, al
mov dx, 0x1f3
mov al, 9
out dx, al
xor al, al
inc dx
out dx, al
inc dx
out dx, al
mov dx, 0x1f7
mov al, 0xc8
out dx, al
mov dx, 0xc000
mov al, 0x09
out dx, al
"""


def test_real_mode_pio_and_dma_reads(tmp_path):
    hda = make_image(tmp_path / "a.img", 64)
    main = (SETUP + set_vector(0x76, 0) + pic_init(0xFB, 0xBF) + PIO_READ + PCI_BAR4
            + DMA_READ + wait_count(1)
            + "mov dx, 0xc002\nin al, dx\nmov [0x600], al\n"
            + "mov dx, 0x1f7\nin al, dx\nmov [0x601], al\n"
            + exit_with(0) + "fail:\n" + exit_with(1))
    handler = "push ax\nmov al, 0x20\nout 0xa0, al\npop ax\n" + COUNT_AND_EOI
    m, outcome, _ = run(rom_with_handlers(main, handler), drives={"hda": hda},
                        memory_mib=1)
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0
    assert m.mem.read(0x1000, 1024) == pattern(5) + pattern(6)
    assert m.mem.read(0x3000, 1024) == pattern(9) + pattern(10)
    assert m.mem.read(0x600, 2) == bytes((0x04, 0x50))      # BM interrupt; drive ready
    assert m.drives["hda"].reads == 4
