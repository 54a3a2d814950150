"""The ACPI tables of the machine, built by the emulator and installed by the BIOS.

As in QEMU, the machine (which knows its devices) writes the tables and the firmware
only places them: fw_cfg carries the table blobs as files plus a script,
"etc/table-loader", of 128-byte commands (QEMU's BIOS linker/loader interface, which
SeaBIOS runs too):
    ALLOCATE      file, alignment, zone (HIGH: RAM the BIOS reserves at the top of
                  memory; FSEG: the 0xE0000-0xFFFFF BIOS area, where the RSDP must be)
    ADD_POINTER   add the address where file SRC landed to the SIZE-byte little-endian
                  field at OFFSET of file DEST (which holds an offset into SRC)
    ADD_CHECKSUM  set the byte at OFFSET so that bytes START..START+LENGTH-1 of the
                  file sum to 0
Pointers are fixed up before the checksums that cover them, in script order.

The tables (ACPI 1.0 layout with an RSDT, which every 32-bit OS reads):
    RSDP -> RSDT -> FADT (-> FACS, DSDT), MADT
The FADT describes the PIIX4 power management block at the address the firmware
programs into the PIIX4's PMBA (PM_BASE_DEFAULT for our BIOS, SEABIOS_PM_BASE for
SeaBIOS given these tables), SCI on IRQ 9, and the
SMI_CMD handshake at 0xB2 (ACPI_ENABLE 0xF1 / ACPI_DISABLE 0xF0). The DSDT has the
PCI root bridge with its resources and interrupt routing (_PRT through the PIIX's
four PIRQ link devices in PIC mode, I/O APIC inputs 16-19 in APIC mode), the ISA
devices, the processor and \\_S5 for soft-off. The MADT lists the local APIC, the
I/O APIC and the ISA interrupt overrides (IRQ0 on pin 2, the SCI level/high).
"""
import struct

from emu import aml
# the chipset's values (hw/piix.py owns them)
from hw.piix import ACPI_DISABLE, ACPI_ENABLE, SCI_IRQ
from hw.piix import PM_BASE_DEFAULT
from hw.piix import SLP_TYP_S5 as S5_SLP_TYP
from hw.piix import SMI_CMD_PORT as SMI_CMD

LAPIC_BASE = 0xFEE00000
IOAPIC_BASE = 0xFEC00000
IOAPIC_ID = 0                      # what the I/O APIC's ID register holds after reset
PCI_HOLE_END = 0xFEBFFFFF          # PCI memory BARs go between top of RAM and here
OEM_ID = b"PYX86 "
OEM_TABLE_ID = b"PYX86PC "
CREATOR_ID = b"PYX8"

LOADER_FILE = "etc/table-loader"
RSDP_FILE = "etc/acpi/rsdp"
TABLES_FILE = "etc/acpi/tables"
CMD_ALLOCATE, CMD_ADD_POINTER, CMD_ADD_CHECKSUM = 1, 2, 3
ZONE_HIGH, ZONE_FSEG = 1, 2
CMD_SIZE = 128


# -- the loader script ------------------------------------------------------------------
def _fname(name):
    return struct.pack("56s", name.encode())


def allocate(file, align, zone):
    return struct.pack("<I", CMD_ALLOCATE) + _fname(file) + struct.pack("<IB", align, zone)


def add_pointer(dest, src, offset, size):
    return (struct.pack("<I", CMD_ADD_POINTER) + _fname(dest) + _fname(src)
            + struct.pack("<IB", offset, size))


def add_checksum(file, offset, start, length):
    return (struct.pack("<I", CMD_ADD_CHECKSUM) + _fname(file)
            + struct.pack("<III", offset, start, length))


def script(*commands):
    return b"".join(c.ljust(CMD_SIZE, b"\0") for c in commands)


# -- table building ----------------------------------------------------------------------
def header(signature, length, revision):
    """The 36-byte System Description Table header, checksum 0 (fixed by the loader)."""
    return struct.pack("<4sIBB6s8sI4sI", signature, length, revision, 0, OEM_ID,
                       OEM_TABLE_ID, 1, CREATOR_ID, 1)


def table(signature, revision, body):
    return header(signature, 36 + len(body), revision) + body


def facs():
    return struct.pack("<4sIIIII", b"FACS", 64, 0, 0, 0, 0).ljust(64, b"\0")


def fadt(facs_off, dsdt_off, pm_base=PM_BASE_DEFAULT):
    """ACPI 1.0 FADT (116 bytes, revision 1) for the PM block at pm_base."""
    body = bytearray(116 - 36)

    def put(off, fmt, *v):
        struct.pack_into(fmt, body, off - 36, *v)

    put(36, "<II", facs_off, dsdt_off)
    put(45, "<B", 0)                       # INT_MODEL (1.0: reserved/dual PIC)
    put(46, "<H", SCI_IRQ)
    put(48, "<IBB", SMI_CMD, ACPI_ENABLE, ACPI_DISABLE)
    put(56, "<I", pm_base)                 # PM1a_EVT_BLK
    put(64, "<I", pm_base + 4)             # PM1a_CNT_BLK
    put(76, "<I", pm_base + 8)             # PM_TMR_BLK
    put(80, "<I", pm_base + 0x0C)          # GPE0_BLK
    put(88, "<BBBBBB", 4, 2, 0, 4, 4, 0)   # PM1_EVT, PM1_CNT, PM2_CNT, TMR, GPE0, GPE1 lengths
    put(96, "<HH", 0xFFF, 0xFFF)           # C2/C3 latencies above the limits: no C2/C3
    put(108, "<B", 0x32)                   # CENTURY: CMOS register of the century
    # WBINVD works, C1 (HLT) on all processors, no power/sleep button
    put(112, "<I", 0x1 | 0x4 | 0x10 | 0x20)
    return table(b"FACP", 1, bytes(body))


def madt():
    entries = [
        struct.pack("<BBBBI", 0, 8, 0, 0, 1),                         # CPU 0, enabled
        struct.pack("<BBBBII", 1, 12, IOAPIC_ID, 0, IOAPIC_BASE, 0),  # I/O APIC, GSI 0
        struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0),                    # IRQ0 -> GSI 2
        struct.pack("<BBBBIH", 2, 10, 0, SCI_IRQ, SCI_IRQ, 0x000D),   # SCI: level, high
        struct.pack("<BBBHB", 4, 6, 0xFF, 0, 1),                      # NMI on LINT1
    ]
    body = struct.pack("<II", LAPIC_BASE, 1) + b"".join(entries)     # PCAT_COMPAT
    return table(b"APIC", 1, body)


def rsdt(offsets):
    return table(b"RSDT", 1, b"".join(struct.pack("<I", o) for o in offsets))


def rsdp(rsdt_off):
    return struct.pack("<8sB6sBI", b"RSD PTR ", 0, OEM_ID, 0, rsdt_off)


# -- the DSDT --------------------------------------------------------------------------------
LINKS = ("LNKA", "LNKB", "LNKC", "LNKD")
PCI_IRQS = (5, 10, 11)


def _link(n):
    prq = "\\_SB.PCI0.ISA.PRQ%d" % n
    prs = aml.end_tag(aml.extended_irq(PCI_IRQS))
    crs_template = aml.end_tag(aml.extended_irq([0]))
    return aml.device(
        LINKS[n],
        aml.name("_HID", aml.eisaid("PNP0C0F")),
        aml.name("_UID", n + 1),
        aml.name("_PRS", aml.buffer(prs)),
        aml.method("_STA", 0,
                   aml.if_(aml.and_(prq, 0x80), aml.ret(0x09)),
                   aml.ret(0x0B)),
        aml.method("_DIS", 0, aml.or_(prq, 0x80, prq)),
        aml.method("_CRS", 0,
                   aml.name("BUFF", aml.buffer(crs_template)),
                   aml.create_dword_field("BUFF", 5, "IRQW"),
                   aml.if_(aml.and_(prq, 0x80), aml.store(0, "IRQW")),
                   aml.else_(aml.store(aml.and_(prq, 0x0F), "IRQW")),
                   aml.ret("BUFF"), serialized=True),
        aml.method("_SRS", 1,
                   aml.create_dword_field(aml.ARG0, 5, "IRQW"),
                   aml.store("IRQW", prq), serialized=True),
    )


def _prt(apic):
    entries = []
    for slot in range(1, 32):
        for pin in range(4):
            pirq = (slot + pin) % 4
            if apic:
                entries.append(aml.package((slot << 16) | 0xFFFF, pin, 0, 16 + pirq))
            else:
                entries.append(aml.package((slot << 16) | 0xFFFF, pin, LINKS[pirq], 0))
    return aml.package(*entries)


def _isa_device(n, hid, resources, uid=None):
    terms = [aml.name("_HID", aml.eisaid(hid))]
    if uid is not None:
        terms.append(aml.name("_UID", uid))
    terms += [aml.method("_STA", 0, aml.ret(0x0F)),
              aml.name("_CRS", aml.buffer(aml.end_tag(b"".join(resources))))]
    return aml.device(n, *terms)


def dsdt(ram_top):
    """ram_top: the first address above RAM below 4 GiB (PCI memory starts there)."""
    pci_crs = aml.end_tag(
        aml.word_bus_number(0, 0xFF)
        + aml.io_port(0xCF8, 8)
        + aml.word_io(0x0000, 0x0CF7)
        + aml.word_io(0x0D00, 0xFFFF)
        + aml.dword_memory(0xA0000, 0xBFFFF)
        + aml.dword_memory(ram_top, PCI_HOLE_END, cacheable=False))
    isa = aml.device(
        "ISA",
        aml.name("_ADR", 0x00010000),
        aml.operation_region("P40C", aml.PCI_CONFIG, 0x60, 4),
        aml.field("P40C", aml.BYTE_ACC, ("PRQ0", 8), ("PRQ1", 8), ("PRQ2", 8), ("PRQ3", 8)),
        _isa_device("KBD", "PNP0303", [aml.io_port(0x60, 1), aml.io_port(0x64, 1),
                                       aml.irq_noflags(1)]),
        _isa_device("MOU", "PNP0F13", [aml.irq_noflags(12)]),
        _isa_device("RTC", "PNP0B00", [aml.io_port(0x70, 2), aml.irq_noflags(8)]),
        _isa_device("COM1", "PNP0501", [aml.io_port(0x3F8, 8), aml.irq_noflags(4)], uid=1),
        _isa_device("COM2", "PNP0501", [aml.io_port(0x2F8, 8), aml.irq_noflags(3)], uid=2),
    )
    pci0 = aml.device(
        "PCI0",
        aml.name("_HID", aml.eisaid("PNP0A03")),
        aml.name("_UID", 0),
        aml.name("_CRS", aml.buffer(pci_crs)),
        aml.name("PRTP", _prt(apic=False)),
        aml.name("PRTA", _prt(apic=True)),
        aml.method("_PRT", 0,
                   aml.if_("\\PICF", aml.ret("PRTA")),
                   aml.ret("PRTP")),
        isa,
    )
    body = b"".join([
        aml.name("PICF", 0),
        aml.method("_PIC", 1, aml.store(aml.ARG0, "PICF")),
        aml.name("_S5", aml.package(S5_SLP_TYP, S5_SLP_TYP, 0, 0)),
        aml.scope("\\_PR", _processor("CPU0", 0)),
        aml.scope("\\_SB", pci0, *[_link(n) for n in range(4)]),
    ])
    return table(b"DSDT", 1, body)


def _processor(n, proc_id):
    body = aml.namestring(n) + struct.pack("<BIB", proc_id, 0, 0)
    return b"\x5b\x83" + aml.pkglength(len(body)) + body


# -- everything, as fw_cfg files -------------------------------------------------------------
def build(ram_top, pm_base=PM_BASE_DEFAULT):
    """{fw_cfg file name: bytes} for the tables and their loader script; pm_base:
    where the firmware puts the PIIX4 PM block."""
    blob = bytearray()
    offsets = {}

    def add(key, data, align):
        blob.extend(bytes(-len(blob) % align))
        offsets[key] = len(blob)
        blob.extend(data)

    add("FACS", facs(), 64)
    add("DSDT", dsdt(ram_top), 4)
    add("FADT", fadt(offsets["FACS"], offsets["DSDT"], pm_base), 4)
    add("MADT", madt(), 4)
    add("RSDT", rsdt([offsets["FADT"], offsets["MADT"]]), 4)
    tables = bytes(blob)
    rsdp_blob = rsdp(offsets["RSDT"])

    def length(key):
        return struct.unpack_from("<I", tables, offsets[key] + 4)[0]

    cmds = [allocate(RSDP_FILE, 16, ZONE_FSEG), allocate(TABLES_FILE, 64, ZONE_HIGH),
            add_pointer(TABLES_FILE, TABLES_FILE, offsets["FADT"] + 36, 4),
            add_pointer(TABLES_FILE, TABLES_FILE, offsets["FADT"] + 40, 4)]
    for k in range(2):
        cmds.append(add_pointer(TABLES_FILE, TABLES_FILE, offsets["RSDT"] + 36 + 4 * k, 4))
    for key in ("DSDT", "FADT", "MADT", "RSDT"):
        cmds.append(add_checksum(TABLES_FILE, offsets[key] + 9, offsets[key], length(key)))
    cmds += [add_pointer(RSDP_FILE, TABLES_FILE, 16, 4),
             add_checksum(RSDP_FILE, 8, 0, 20)]
    return {RSDP_FILE: rsdp_blob, TABLES_FILE: tables, LOADER_FILE: script(*cmds)}


def run_loader(files, place):
    """Carry out the loader script in Python (what the BIOS does), for tests and tools.

    place: callable(name, size, align, zone) -> address. Returns {name: (address,
    bytearray)} with pointers and checksums applied."""
    out = {}
    data = files[LOADER_FILE]
    for k in range(0, len(data), CMD_SIZE):
        cmd = data[k:k + CMD_SIZE]
        op = struct.unpack_from("<I", cmd)[0]
        f1 = cmd[4:60].split(b"\0")[0].decode()
        if op == CMD_ALLOCATE:
            align, zone = struct.unpack_from("<IB", cmd, 60)
            out[f1] = (place(f1, len(files[f1]), align, zone), bytearray(files[f1]))
        elif op == CMD_ADD_POINTER:
            f2 = cmd[60:116].split(b"\0")[0].decode()
            offset, size = struct.unpack_from("<IB", cmd, 116)
            buf = out[f1][1]
            v = int.from_bytes(buf[offset:offset + size], "little") + out[f2][0]
            buf[offset:offset + size] = (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        elif op == CMD_ADD_CHECKSUM:
            offset, start, length = struct.unpack_from("<III", cmd, 60)
            buf = out[f1][1]
            buf[offset] = 0
            buf[offset] = -sum(buf[start:start + length]) & 0xFF
    return out
