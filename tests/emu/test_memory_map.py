"""Changing the physical page map while a CPU holds TLB entries and decoded code."""
from cpu.interp import CPU
from emu.memory import Memory

MIB = 1 << 20


def test_buffer_ram_and_unmap_windows():
    mem = Memory(1 * MIB)
    mem.write(0xC0000, b"ram!")
    buf = bytearray(b"\x11" * 0x2000)
    mem.map_buffer(0xC0000, buf, offset=0x1000, size=0x1000)
    assert mem.read(0xC0000, 2) == b"\x11\x11"
    mem.write(0xC0000, b"\x99")
    assert buf[0x1000] == 0x99 and buf[0] == 0x11
    mem.map_buffer(0xC0000, buf, size=0x1000, readonly=True)
    mem.write(0xC0000, b"\x77")
    assert buf[0] == 0x11                                   # ROM-like: write dropped
    mem.map_ram(0xC0000, 0x1000)
    assert mem.read(0xC0000, 4) == b"ram!"
    mem.unmap(0xC0000, 0x1000)
    assert mem.read(0xC0000, 4) == b"\xff" * 4
    view = mem.ram_view()
    view[0x500] = 0xAB
    assert mem.read(0x500, 1) == b"\xab"


def test_remap_drops_tlb_and_decoded_code():
    """Code at 0xE0000 runs from RAM, then the page is switched to a ROM copy with
    other code: the CPU must run the new bytes (no stale TLB host pointer, no stale
    decoded instruction)."""
    mem = Memory(1 * MIB)
    cpu = CPU(mem)
    inc_ax_hlt = b"\x40\xf4"                                 # inc ax; hlt
    dec_ax_hlt = b"\x48\xf4"                                 # dec ax; hlt
    mem.write(0xE0000, inc_ax_hlt)
    cpu.load_seg_real("cs", 0xE000)
    cpu.eip = 0
    cpu.set_reg("eax", 10)
    cpu.run(10)
    assert cpu.get_reg("eax") & 0xFFFF == 11
    rom = bytearray(dec_ax_hlt.ljust(0x1000, b"\0"))
    mem.map_buffer(0xE0000, rom, readonly=True)
    cpu.halted = False
    cpu.eip = 0
    cpu.run(10)
    assert cpu.get_reg("eax") & 0xFFFF == 10
