"""Tiny real-mode test ROMs assembled with keystone.

The code sits at the start of the ROM's last 64 KiB (the whole ROM if smaller), which
the machine mirrors below 1 MiB, so it runs at F000:origin; the ROM's last 16 bytes
(the reset vector at F000:FFF0) hold a far JMP there. Keystone's 16-bit mode is only
trusted for simple forms here (no CALL, no labels inside memory operands).
"""
import keystone

KIB = 1024
SEG_BIOS = 0xF000
RESET_IP = 0xFFF0

_ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_16)


def asm16(src, origin):
    code, _ = _ks.asm(src, origin)
    return bytes(code or b"")


def far_jmp16(seg, off):
    """JMP ptr16:16 (EA iw iw): keystone cannot encode far jumps to constants."""
    return bytes((0xEA, off & 0xFF, off >> 8, seg & 0xFF, seg >> 8))


def rom16(src, size=64 * KIB):
    """A ROM of `size` bytes whose real-mode code `src` starts right after reset."""
    window = min(size, 64 * KIB)
    origin = 0x10000 - window
    code = asm16(src, origin)
    if origin + len(code) > RESET_IP:
        raise ValueError("test code does not fit below the reset vector")
    rom = bytearray(b"\xF4" * size)          # HLT everywhere else
    rom[size - window:size - window + len(code)] = code
    vector = size - 0x10
    rom[vector:vector + 5] = far_jmp16(SEG_BIOS, origin)
    return bytes(rom)


def outs(port, data):
    """Instructions that write each byte of data to port with OUT DX, AL."""
    lines = ["mov dx, %#x" % port]
    for b in data:
        lines += ["mov al, %#x" % b, "out dx, al"]
    return "\n".join(lines) + "\n"


def debug_exit(value):
    return "mov al, %#x\nout 0xf4, al\n" % value


def shutdown():
    return outs(0x8900, b"Shutdown")
