"""The ACPI tables the machine hands the BIOS: structure, checksums after the loader
script ran, and the DSDT's AML as Intel's own disassembler and compiler read it."""
import shutil
import struct
import subprocess

import pytest

from emu import acpi, aml

MIB = 1 << 20
FSEG_AT, HIGH_AT = 0xF5000, 0x1FF0000


@pytest.fixture(scope="module")
def placed():
    files = acpi.build(32 * MIB)

    def place(name, size, align, zone):
        assert align in (16, 64)
        return FSEG_AT if zone == acpi.ZONE_FSEG else HIGH_AT
    return acpi.run_loader(files, place)


def tables_by_signature(placed):
    base, blob = placed[acpi.TABLES_FILE]
    rsdp_at, rsdp = placed[acpi.RSDP_FILE]
    assert rsdp[:8] == b"RSD PTR " and sum(rsdp[:20]) & 0xFF == 0
    rsdt_addr = struct.unpack_from("<I", rsdp, 16)[0]

    def at(addr):
        off = addr - base
        length = struct.unpack_from("<I", blob, off + 4)[0]
        t = bytes(blob[off:off + length])
        assert sum(t) & 0xFF == 0, t[:4]
        return t
    rsdt = at(rsdt_addr)
    assert rsdt[:4] == b"RSDT"
    found = {}
    for k in range(36, len(rsdt), 4):
        t = at(struct.unpack_from("<I", rsdt, k)[0])
        found[t[:4]] = t
    fadt = found[b"FACP"]
    facs_addr, dsdt_addr = struct.unpack_from("<II", fadt, 36)
    found[b"DSDT"] = at(dsdt_addr)
    off = facs_addr - base
    assert blob[off:off + 4] == b"FACS" and facs_addr % 64 == 0
    return found


def test_tables_link_up_with_checksums(placed):
    t = tables_by_signature(placed)
    assert set(t) == {b"FACP", b"APIC", b"DSDT"}
    fadt = t[b"FACP"]
    assert len(fadt) == 116
    assert struct.unpack_from("<H", fadt, 46)[0] == acpi.SCI_IRQ
    assert struct.unpack_from("<IBB", fadt, 48) == (0xB2, 0xF1, 0xF0)
    assert struct.unpack_from("<III", fadt, 56)[0] == acpi.PM_BASE_DEFAULT
    assert struct.unpack_from("<I", fadt, 64)[0] == acpi.PM_BASE_DEFAULT + 4
    assert struct.unpack_from("<I", fadt, 76)[0] == acpi.PM_BASE_DEFAULT + 8


def test_madt_describes_the_apics_and_overrides(placed):
    madt = tables_by_signature(placed)[b"APIC"]
    assert struct.unpack_from("<II", madt, 36) == (acpi.LAPIC_BASE, 1)
    entries, off = [], 44
    while off < len(madt):
        kind, length = madt[off], madt[off + 1]
        entries.append((kind, bytes(madt[off:off + length])))
        off += length
    kinds = [k for k, _ in entries]
    assert kinds == [0, 1, 2, 2, 4]
    assert struct.unpack_from("<BBBBII", entries[1][1]) == (1, 12, acpi.IOAPIC_ID, 0,
                                                           acpi.IOAPIC_BASE, 0)
    assert struct.unpack_from("<BBBBIH", entries[2][1])[3:] == (0, 2, 0)
    assert struct.unpack_from("<BBBBIH", entries[3][1])[3:] == (9, 9, 0x0D)


def test_pkglength_encodings():
    assert aml.pkglength(0) == b"\x01"
    assert aml.pkglength(62) == b"\x3f"
    assert aml.pkglength(63) == bytes((0x41, 0x04))               # 65 = 0x41
    n = aml.pkglength(5000)
    value = (n[0] & 0xF) | sum(b << (4 + 8 * k) for k, b in enumerate(n[1:]))
    assert n[0] >> 6 == len(n) - 1 and value == 5000 + len(n)
    assert aml.namestring("\\_SB.PCI0") == b"\\\x2e_SB_PCI0"
    assert aml.eisaid("PNP0A03") == b"\x0c\x41\xd0\x0a\x03"


@pytest.mark.skipif(shutil.which("iasl") is None, reason="iasl (Debian acpica-tools) "
                    "is not installed")
def test_dsdt_disassembles_and_recompiles_cleanly(placed, tmp_path):
    dsdt = tables_by_signature(placed)[b"DSDT"]
    (tmp_path / "dsdt.dat").write_bytes(dsdt)
    r = subprocess.run(["iasl", "-d", "dsdt.dat"], cwd=tmp_path, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    source = (tmp_path / "dsdt.dsl").read_text()
    for needed in ("Name (_S5, Package (0x04)", "Device (PCI0)", "Device (LNKD)",
                   "Method (_PRT, 0", "EisaId (\"PNP0303\")", "Processor (CPU0",
                   "OperationRegion (P40C, PCI_Config, 0x60, 0x04)"):
        assert needed in source
    r = subprocess.run(["iasl", "dsdt.dsl"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0 and "0 Errors" in r.stdout, r.stdout
