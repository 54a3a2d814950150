"""The machine's SMBIOS (DMI) tables, built by the emulator and installed by the BIOS.

As with the ACPI tables (emu/acpi.py), the machine knows what it is made of and
writes the tables; the firmware places them. The format is QEMU's, which SeaBIOS
reads as well: two fw_cfg files,
    etc/smbios/smbios-tables   the structures, one after the other, ending with type 127
    etc/smbios/smbios-anchor   an SMBIOS 2.x entry point ("_SM_" ... "_DMI_", 31 bytes)
                               whose structure table address and checksums the BIOS
                               fills in once it has placed the structures
The BIOS (bios/src/tables.c) also puts the processor's CPUID signature and feature
flags into the type 4 structure's processor ID, which only the CPU knows.

Structures follow the System Management BIOS Reference Specification (DMTF DSP0134)
in their version 2.4 layouts, which is the version the entry point announces:
    0 BIOS information, 1 system, 3 chassis, 4 processor, 16 physical memory array,
    17 memory device, 19 memory array mapped address, 32 system boot, 127 end.
"""
import re
import struct

TABLES_FILE = "etc/smbios/smbios-tables"
ANCHOR_FILE = "etc/smbios/smbios-anchor"
VERSION = (2, 4)
MANUFACTURER = "pyx86"
PRODUCT = "pyx86 PC (i440FX + PIIX, 1996)"
BIOS_VENDOR = "pyx86"
BIOS_VERSION = "pyx86 BIOS"
BIOS_SEGMENT = 0xE000              # the ROM: 0xE0000-0xFFFFF
BIOS_DATE_OFFSET = 11              # F000:FFF5, 8 bytes: 11 bytes before the ROM's end

# handles: the type in the high byte, as QEMU numbers them
HANDLE = {0: 0x0000, 1: 0x0100, 3: 0x0300, 4: 0x0400, 16: 0x1000, 17: 0x1100,
          19: 0x1300, 32: 0x2000, 127: 0x7F00}
NO_HANDLE = 0xFFFF                 # "no cache information" etc.
NO_ERROR_INFO = 0xFFFE             # "error information not provided"

# type 0 BIOS characteristics (bits of the 64-bit field), extension bytes 1 and 2
BIOS_ISA, BIOS_PCI, BIOS_SHADOWING, BIOS_SELECTABLE_BOOT = 1 << 4, 1 << 7, 1 << 12, 1 << 16
BIOS_EDD, BIOS_INT13_FLOPPY_144, BIOS_INT5_PRINT = 1 << 19, 1 << 25, 1 << 26
BIOS_INT9_KEYBOARD, BIOS_INT14_SERIAL, BIOS_INT10_CGA = 1 << 27, 1 << 29, 1 << 31
EXT1_ACPI = 0x01
EXT2_VIRTUAL_MACHINE = 0x10
CHASSIS_OTHER, STATE_SAFE, SECURITY_NONE = 0x01, 0x03, 0x03
PROC_CENTRAL, PROC_FAMILY_PENTIUM_III, PROC_UPGRADE_OTHER = 0x03, 0x11, 0x01
PROC_POPULATED_ENABLED = 0x41
ARRAY_SYSTEM_BOARD, ARRAY_SYSTEM_MEMORY, ECC_NONE = 0x03, 0x03, 0x03
FORM_DIMM, TYPE_RAM, DETAIL_SYNCHRONOUS = 0x09, 0x07, 0x0080
BOOT_NO_ERRORS = 0x00


class _Strings:
    """The string set of one structure: add() returns a string's number (0: none)."""

    def __init__(self):
        self.items = []

    def add(self, text):
        if not text:
            return 0
        self.items.append(text.encode("ascii"))
        return len(self.items)

    def pack(self):
        if not self.items:
            return b"\0\0"
        return b"".join(s + b"\0" for s in self.items) + b"\0"


def structure(stype, formatted, strings):
    """One structure: header (type, length, handle), formatted area, strings."""
    head = struct.pack("<BBH", stype, 4 + len(formatted), HANDLE[stype])
    return head + formatted + strings.pack()


def bios_info(date):
    s = _Strings()
    chars = (BIOS_ISA | BIOS_PCI | BIOS_SHADOWING | BIOS_SELECTABLE_BOOT | BIOS_EDD
             | BIOS_INT13_FLOPPY_144 | BIOS_INT5_PRINT | BIOS_INT9_KEYBOARD
             | BIOS_INT14_SERIAL | BIOS_INT10_CGA)
    vendor, version, rdate = s.add(BIOS_VENDOR), s.add(BIOS_VERSION), s.add(date)
    # ROM size: 64 KiB * (n + 1); release 1.0; no embedded controller (FFh)
    body = struct.pack("<BBHBBQBBBBBB", vendor, version, BIOS_SEGMENT, rdate, 1, chars,
                       EXT1_ACPI, EXT2_VIRTUAL_MACHINE, 1, 0, 0xFF, 0xFF)
    return structure(0, body, s)


def system_info():
    s = _Strings()
    body = struct.pack("<BBBB16sBBB", s.add(MANUFACTURER), s.add(PRODUCT), s.add("1.0"),
                       s.add("0"), bytes(16), 0x06, 0, 0)   # wake-up: power switch
    return structure(1, body, s)


def chassis():
    s = _Strings()
    body = struct.pack("<BBBBBBBBBIBBBB", s.add(MANUFACTURER), CHASSIS_OTHER, 0, 0, 0,
                       STATE_SAFE, STATE_SAFE, STATE_SAFE, SECURITY_NONE, 0, 0, 0, 0, 0)
    return structure(3, body, s)


def processor():
    s = _Strings()
    socket, maker = s.add("CPU 0"), s.add(MANUFACTURER)
    version = s.add("pyx86 P6-class CPU")
    # processor ID (CPUID.1 EAX, EDX) is 0 here: the BIOS fills it in
    body = struct.pack("<BBBB8sBBHHHBBHHHBBB", socket, PROC_CENTRAL,
                       PROC_FAMILY_PENTIUM_III, maker, bytes(8), version, 0, 0, 0, 0,
                       PROC_POPULATED_ENABLED, PROC_UPGRADE_OTHER, NO_HANDLE, NO_HANDLE,
                       NO_HANDLE, 0, 0, 0)
    return structure(4, body, s)


def memory_array(ram_size):
    body = struct.pack("<BBBIHH", ARRAY_SYSTEM_BOARD, ARRAY_SYSTEM_MEMORY, ECC_NONE,
                       ram_size >> 10, NO_ERROR_INFO, 1)
    return structure(16, body, _Strings())


def memory_device(ram_size):
    s = _Strings()
    body = struct.pack("<HHHHHBBBBBHHBBBB", HANDLE[16], NO_ERROR_INFO, 64, 64,
                       ram_size >> 20, FORM_DIMM, 0, s.add("DIMM 0"), 0, TYPE_RAM,
                       DETAIL_SYNCHRONOUS, 0, s.add(MANUFACTURER), 0, 0, 0)
    return structure(17, body, s)


def mapped_address(ram_size):
    body = struct.pack("<IIHB", 0, (ram_size >> 10) - 1, HANDLE[16], 1)
    return structure(19, body, _Strings())


def boot_info():
    return structure(32, bytes(6) + bytes([BOOT_NO_ERRORS]), _Strings())


def end():
    return structure(127, b"", _Strings())


def anchor(tables):
    """The 2.x entry point for `tables`; address and checksums are the BIOS's to set."""
    count = max_size = 0
    off = 0
    while off < len(tables):
        length = tables[off + 1]
        strings_end = tables.index(b"\0\0", off + length) + 2
        max_size = max(max_size, strings_end - off)
        count += 1
        off = strings_end
    return struct.pack("<4sBBBBHB5s5sBHIHB", b"_SM_", 0, 0x1F, VERSION[0], VERSION[1],
                       max_size, 0, bytes(5), b"_DMI_", 0, len(tables), 0, count,
                       VERSION[0] << 4 | VERSION[1])


def build(ram_size, rom):
    """{fw_cfg file name: bytes}: the structures for a machine with ram_size bytes of
    RAM (all below 4 GiB) and the firmware image rom (for its date)."""
    date = bytes(rom[len(rom) - BIOS_DATE_OFFSET:len(rom) - BIOS_DATE_OFFSET + 8])
    # a ROM without an IBM-style date there (e.g. a test ROM) gets none
    date = date.decode("ascii") if re.fullmatch(rb"\d\d/\d\d/\d\d", date) else ""
    tables = b"".join([bios_info(date), system_info(), chassis(), processor(),
                       memory_array(ram_size), memory_device(ram_size),
                       mapped_address(ram_size), boot_info(), end()])
    return {TABLES_FILE: tables, ANCHOR_FILE: anchor(tables)}
