"""Put a bare CPU straight into 32-bit protected mode with flat 4 GiB segments, the way
the API-level tests start (no GDT in memory: only the descriptor caches are loaded)."""

FLAT_CODE = 0xC09B              # G, D, present, DPL 0, code execute/read, accessed
FLAT_DATA = 0xC093              # G, B, present, DPL 0, data read/write, accessed


def flat32(cpu, cr0=0x60000011):
    """CR0 (PE set) as given; CS = 0x08 and the data segments = 0x10, all flat."""
    cpu.set_cr(0, cr0)
    cpu.set_seg("cs", 0x08, 0, 0xFFFFFFFF, FLAT_CODE)
    for sg in ("ds", "es", "ss", "fs", "gs"):
        cpu.set_seg(sg, 0x10, 0, 0xFFFFFFFF, FLAT_DATA)
