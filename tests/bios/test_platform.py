"""The platform side of POST: PCI resources and interrupt routing, the PIIX4 power
management blocks, and the firmware tables an OS looks for (ACPI, MP, SMBIOS, $PIR),
read back from guest memory the way an OS finds them."""
import struct

import pytest

from emu import acpi, smbios
from hw import fw_cfg
from hw.piix import PM_BASE_DEFAULT, SMB_BASE_DEFAULT
from tests.bios.harness import RESULTS, BiosPC

MIB = 1 << 20
HIGH_ZONE = 128 * 1024
LAPIC_BASE, IOAPIC_BASE = 0xFEE00000, 0xFEC00000
PIRQ_IRQS = (10, 10, 11, 11)


@pytest.fixture(scope="module")
def pc():
    pc = BiosPC(memory_mib=32)
    pc.wait_for_boot_failure()
    return pc


def cfg(pc, slot, func, off, size=4):
    return pc.m.pci.config_read(slot, func, off, size)


def sums_to_zero(data):
    return sum(data) & 0xFF == 0


def scan(pc, signature, start, end, step=16):
    """Addresses in start..end (step-aligned) where signature begins."""
    data = pc.read(start, end - start)
    return [start + k for k in range(0, len(data), step)
            if data[k:k + len(signature)] == signature]


# -- PCI ------------------------------------------------------------------------------------
def test_every_bar_has_a_separate_address(pc):
    io, mem = [], []
    for (slot, func), dev in pc.m.pci.functions.items():
        for bar in dev.bars.values():
            addr = dev.bar_address(bar.index)
            assert addr and addr % bar.size == 0, (dev.name, bar.index, hex(addr))
            (io if bar.io else mem).append((addr, addr + bar.size, dev.name))
            assert bar.mapped == addr                # the bus decodes it there
    for ranges in (io, mem):
        ranges.sort()
        for (a0, a1, n0), (b0, b1, n1) in zip(ranges, ranges[1:]):
            assert a1 <= b0, (n0, n1)
    assert all(0xC000 <= a and b <= 0x10000 for a, b, _ in io)
    assert all(0xE0000000 <= a and b <= 0xFEC00000 for a, b, _ in mem)
    # the only memory BAR, the 16 MiB framebuffer, where QEMU + SeaBIOS put it
    assert cfg(pc, 2, 0, 0x10) & ~0xF == 0xFD000000
    assert cfg(pc, 1, 1, 0x20) == 0xC001                     # IDE bus master: I/O


def test_command_bits_and_interrupt_lines(pc):
    for (slot, func), dev in pc.m.pci.functions.items():
        command = cfg(pc, slot, func, 0x04, 2)
        # I/O, memory, bus master: as far as the function implements them (the
        # PIIX3 IDE has no memory space: its bit 1 is hardwired to 0)
        assert command & 0x7 == dev.wmask[0x04] & 0x7, (dev.name, hex(command))
        pin = cfg(pc, slot, func, 0x3D, 1)
        if pin:
            assert cfg(pc, slot, func, 0x3C, 1) == PIRQ_IRQS[(slot + pin - 1) % 4]
    assert cfg(pc, 1, 3, 0x3C, 1) == 10                      # PM: slot 1 INTA = PIRQB
    assert cfg(pc, 1, 1, 0x40, 2) & 0x8000 and cfg(pc, 1, 1, 0x42, 2) & 0x8000


def test_pirq_routing_and_elcr(pc):
    assert [cfg(pc, 1, 0, 0x60 + k, 1) for k in range(4)] == list(PIRQ_IRQS)
    assert pc.m.pic.master.elcr == 0
    assert pc.m.pic.slave.elcr == 0x0E                        # IRQ 9, 10, 11 level


def test_a_pci_interrupt_reaches_its_irq(pc):
    pm = pc.m.acpi_pm
    pm.irq.raise_()
    assert pc.m.pic.slave.lines & 0x04                        # IRQ 10
    pm.irq.lower()
    assert not pc.m.pic.slave.lines & 0x04


def test_piix4_pm_and_smbus_blocks(pc):
    assert cfg(pc, 1, 3, 0x40) == PM_BASE_DEFAULT | 1
    assert cfg(pc, 1, 3, 0x80, 1) & 1
    assert pc.m.acpi_pm.pm_base == PM_BASE_DEFAULT
    assert pc.m.acpi_pm.smb_base == SMB_BASE_DEFAULT


def test_the_framebuffer_bar_reaches_vram(pc):
    lfb = cfg(pc, 2, 0, 0x10) & ~0xF
    pc.m.mem.write(lfb + 0x123456, b"pyx86")
    assert bytes(pc.m.vga.vram[0x123456:0x12345B]) == b"pyx86"
    pc.m.vga.vram[0x200000] = 0xA5
    assert pc.read(lfb + 0x200000, 1) == b"\xA5"


# -- ACPI ----------------------------------------------------------------------------------
def find_rsdp(pc):
    """As Linux does: the first KiB of the EBDA, then 0xE0000-0xFFFFF."""
    ebda = pc.word(0x40E) << 4
    for start, end in ((ebda, ebda + 1024), (0xE0000, 0x100000)):
        for addr in scan(pc, b"RSD PTR ", start, end):
            if sums_to_zero(pc.read(addr, 20)):
                return addr
    raise AssertionError("no RSDP")


def sdt(pc, addr, signature):
    head = pc.read(addr, 36)
    assert head[:4] == signature
    length = struct.unpack_from("<I", head, 4)[0]
    data = pc.read(addr, length)
    assert sums_to_zero(data), signature
    return data


def test_acpi_tables_are_found_and_valid(pc):
    rsdp = find_rsdp(pc)
    assert 0xF0000 <= rsdp < 0xFE000
    rsdt_addr = struct.unpack_from("<I", pc.read(rsdp, 20), 16)[0]
    top = 32 * MIB
    assert top - HIGH_ZONE <= rsdt_addr < top
    rsdt = sdt(pc, rsdt_addr, b"RSDT")
    entries = struct.unpack_from("<%dI" % ((len(rsdt) - 36) // 4), rsdt, 36)
    sigs = {pc.read(a, 4): a for a in entries}
    assert set(sigs) == {b"FACP", b"APIC"}
    fadt = sdt(pc, sigs[b"FACP"], b"FACP")
    facs_addr, dsdt_addr = struct.unpack_from("<II", fadt, 36)
    assert pc.read(facs_addr, 4) == b"FACS" and facs_addr % 64 == 0
    dsdt = sdt(pc, dsdt_addr, b"DSDT")
    assert struct.unpack_from("<I", fadt, 56)[0] == PM_BASE_DEFAULT
    madt = sdt(pc, sigs[b"APIC"], b"APIC")
    assert struct.unpack_from("<I", madt, 36)[0] == LAPIC_BASE
    # the same bytes as the Python model of the loader makes at these addresses
    files = {n: pc.m.fw_cfg.items[sel] for n, sel in pc.m.fw_cfg.files}
    tables_addr = facs_addr                                # FACS is the blob's first table
    placed = acpi.run_loader(files, lambda name, size, align, zone:
                             rsdp if zone == acpi.ZONE_FSEG else tables_addr)
    assert pc.read(rsdp, 20) == bytes(placed[acpi.RSDP_FILE][1])
    blob = bytes(placed[acpi.TABLES_FILE][1])
    assert pc.read(tables_addr, len(blob)) == blob
    assert dsdt == blob[dsdt_addr - tables_addr:dsdt_addr - tables_addr + len(dsdt)]


E820_PROGRAM = """
    xor ebx, ebx
    mov di, 0x1000
next:
    mov eax, 0xE820
    mov edx, 0x534D4150
    mov ecx, 20
    int 0x15
    jc done
    add di, 20
    test ebx, ebx
    jnz next
done:
    mov [0x600], di
"""


def e820_map(memory_mib):
    pc = BiosPC(memory_mib=memory_mib)
    pc.run_program(E820_PROGRAM)
    end = pc.word(RESULTS)
    raw = pc.read(0x1000, end - 0x1000)
    return pc, [struct.unpack_from("<QQI", raw, k) for k in range(0, len(raw), 20)]


def test_e820_reserves_the_table_zone():
    pc, entries = e820_map(32)
    top = 32 * MIB
    assert (0x100000, top - HIGH_ZONE - 0x100000, 1) in entries
    assert (top - HIGH_ZONE, HIGH_ZONE, 2) in entries
    spans = sorted((base, base + length) for base, length, _ in entries)
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        assert a1 <= b0
    # every ACPI table is inside a reserved range
    rsdt = struct.unpack_from("<I", pc.read(find_rsdp(pc), 20), 16)[0]
    assert any(t == 2 and b <= rsdt < b + n for b, n, t in entries)


def test_old_memory_size_calls_stop_below_the_tables():
    pc = BiosPC(memory_mib=32)
    pc.run_program("""
        mov ax, 0xE801
        int 0x15
        mov [0x600], ax
        mov [0x602], bx
        mov ah, 0x88
        int 0x15
        mov [0x604], ax
    """)
    low, high, ext = pc.results(3)
    assert (low, high) == (15 * 1024, (16 * MIB - HIGH_ZONE) >> 16)
    assert ext == (31 * MIB - HIGH_ZONE) >> 10


# -- MP ----------------------------------------------------------------------------------------
def find_mp(pc):
    ebda = pc.word(0x40E) << 4
    base_end = pc.word(0x413) * 1024
    for start, end in ((ebda, ebda + 1024), (base_end - 1024, base_end), (0xF0000, 0x100000)):
        for addr in scan(pc, b"_MP_", start, end):
            if sums_to_zero(pc.read(addr, 16)):
                return addr
    raise AssertionError("no MP floating pointer")


def mp_entries(pc):
    fp = pc.read(find_mp(pc), 16)
    config, length, revision = struct.unpack_from("<IBB", fp, 4)
    assert (length, revision) == (1, 4)
    assert fp[11] == 0 and fp[12] == 0                       # a table; no IMCR
    head = pc.read(config, 44)
    assert head[:4] == b"PCMP"
    table_len, count, lapic = struct.unpack_from("<H", head, 4)[0], \
        struct.unpack_from("<H", head, 34)[0], struct.unpack_from("<I", head, 36)[0]
    table = pc.read(config, table_len)
    assert sums_to_zero(table) and lapic == LAPIC_BASE
    out, off = [], 44
    for _ in range(count):
        size = 20 if table[off] == 0 else 8
        out.append(table[off:off + size])
        off += size
    assert off == table_len
    return out


def test_mp_table(pc):
    entries = mp_entries(pc)
    types = [e[0] for e in entries]
    assert types == sorted(types)                           # in the order the spec wants
    cpu = entries[0]
    assert cpu[0] == 0 and cpu[1] == 0 and cpu[3] == 0x3     # APIC ID 0, enabled BSP
    assert struct.unpack_from("<I", cpu, 4)[0] == 0x683
    buses = {e[1]: e[2:8] for e in entries if e[0] == 1}
    assert buses == {0: b"PCI   ", 1: b"ISA   "}
    ioapic = [e for e in entries if e[0] == 2]
    assert [(e[1], e[3] & 1, struct.unpack_from("<I", e, 4)[0]) for e in ioapic] == \
        [(0, 1, IOAPIC_BASE)]
    ints = {(e[4], e[5]): (e[1], struct.unpack_from("<H", e, 2)[0], e[6], e[7])
            for e in entries if e[0] == 3}
    assert ints[(1, 0)] == (0, 0x5, 0, 2)                   # IRQ0 -> pin 2, edge/high
    assert ints[(1, 9)] == (0, 0xD, 0, 9)                   # SCI: level, active high
    assert ints[(1, 4)] == (0, 0x5, 0, 4)
    assert (1, 2) not in ints and (1, 10) not in ints and (1, 11) not in ints
    # PIIX4 PM: slot 1 INTA -> PIRQB -> I/O APIC pin 17, level, active low
    assert ints[(0, 1 << 2 | 0)] == (0, 0xF, 0, 17)
    pci = [k for k in ints if k[0] == 0]
    assert len(pci) == sum(1 for d in pc.m.pci.functions.values() if d.get(0x3D, 1))
    lints = [(e[1], e[6], e[7]) for e in entries if e[0] == 4]
    assert lints == [(3, 0xFF, 0), (1, 0xFF, 1)]            # ExtINT LINT0, NMI LINT1


# -- SMBIOS ------------------------------------------------------------------------------------
def smbios_structures(pc):
    hits = [a for a in scan(pc, b"_SM_", 0xF0000, 0x100000)
            if sums_to_zero(pc.read(a, pc.read(a + 5, 1)[0]))]
    assert len(hits) == 1
    ep = pc.read(hits[0], 31)
    assert ep[0x10:0x15] == b"_DMI_" and sums_to_zero(ep[0x10:0x1F])
    length, addr, count = struct.unpack_from("<HIH", ep, 0x16)
    assert (ep[6], ep[7], ep[0x1E]) == (2, 4, 0x24)
    data = pc.read(addr, length)
    out, off = [], 0
    while off < len(data):
        end = data.index(b"\0\0", off + data[off + 1]) + 2
        strings = data[off + data[off + 1]:end].split(b"\0")[:-2]
        out.append((data[off], data[off:off + data[off + 1]], strings))
        off = end
    assert len(out) == count and max(len(s[1]) for s in out) <= struct.unpack_from(
        "<H", ep, 8)[0]
    return addr, out


def test_smbios_tables(pc):
    addr, structs = smbios_structures(pc)
    assert 32 * MIB - HIGH_ZONE <= addr < 32 * MIB
    types = [t for t, _, _ in structs]
    assert types == [0, 1, 3, 4, 16, 17, 19, 32, 127]
    by_type = {t: (body, strings) for t, body, strings in structs}
    body, strings = by_type[0]
    assert strings[body[4] - 1] == b"pyx86"
    assert struct.unpack_from("<H", body, 6)[0] == 0xE000
    body, strings = by_type[4]
    assert struct.unpack_from("<I", body, 8)[0] == 0x683     # CPUID.1 EAX, from the BIOS
    assert struct.unpack_from("<I", body, 12)[0] & 1         # EDX: FPU
    assert struct.unpack_from("<H", by_type[17][0], 12)[0] == 32    # MiB
    start, end = struct.unpack_from("<II", by_type[19][0], 4)
    assert (start, end) == (0, 32 * 1024 - 1)


def test_smbios_build_is_self_consistent():
    files = smbios.build(64 * MIB, b"\0" * 0x10000)
    anchor = files[smbios.ANCHOR_FILE]
    assert len(anchor) == 31 and anchor[5] == 0x1F
    assert struct.unpack_from("<H", anchor, 0x16)[0] == len(files[smbios.TABLES_FILE])


# -- $PIR and the F segment ------------------------------------------------------------------
def test_pir_table(pc):
    hits = scan(pc, b"$PIR", 0xF0000, 0x100000)
    assert len(hits) == 1
    head = pc.read(hits[0], 32)
    version, size, bus, devfn = struct.unpack_from("<HHBB", head, 4)
    table = pc.read(hits[0], size)
    assert sums_to_zero(table) and version == 0x0100 and (bus, devfn) == (0, 0x08)
    assert struct.unpack_from("<HH", head, 12) == (0x8086, 0x7000)
    slots = {}
    for off in range(32, size, 16):
        e = table[off:off + 16]
        slots[e[1] >> 3] = [e[2 + 3 * k] for k in range(4)]
    assert set(slots) == {0, 1, 2}
    for slot, links in slots.items():
        assert links == [0x60 + (slot + k) % 4 for k in range(4)]


def test_f_segment_is_write_protected_after_post(pc):
    pc2 = BiosPC(memory_mib=32)
    addr = find_rsdp(pc)
    pc2.run_program("""
        push ds
        mov ax, 0xF000
        mov ds, ax
        mov byte ptr [%d], 0x55
        mov al, [%d]
        pop ds
        mov [0x600], al
    """ % (addr - 0xF0000, addr - 0xF0000))
    assert pc2.read(0x600, 1) == b"R"                        # still "RSD PTR "
    assert pc2.m.host_bridge.pam_mode(0xF0000) == 1          # RE: shadow RAM, read-only


def test_tables_through_the_byte_interface():
    """Without fw_cfg DMA the BIOS reads the files a byte at a time: same tables."""
    pc = BiosPC(memory_mib=32)
    pc.m.fw_cfg.add(fw_cfg.ID, struct.pack("<I", fw_cfg.FEATURE_TRADITIONAL))
    pc.wait_for_boot_failure()
    rsdp = find_rsdp(pc)
    rsdt = sdt(pc, struct.unpack_from("<I", pc.read(rsdp, 20), 16)[0], b"RSDT")
    assert len(rsdt) == 36 + 4 * 2
    assert smbios_structures(pc)[1][-1][0] == 127


def test_no_room_for_tables_in_1_mib():
    """1 MiB of RAM has no extended memory for the table zone: no ACPI, no SMBIOS (and
    no half-made RSDP), but MP and $PIR (F segment only) and a bootable machine."""
    pc = BiosPC(memory_mib=1)
    pc.wait_for_boot_failure()
    assert b"[table-loader: command 1 failed, no ACPI]" in pc.log.getvalue()
    assert not scan(pc, b"RSD PTR ", 0xE0000, 0x100000)
    assert not scan(pc, b"_SM_", 0xF0000, 0x100000)
    assert find_mp(pc) and scan(pc, b"$PIR", 0xF0000, 0x100000)
