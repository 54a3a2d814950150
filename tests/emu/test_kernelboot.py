"""--kernel: the loader (emu/linuxboot.py), fw_cfg and the kernel-boot option ROM,
booting tiny hand-made kernels under a stand-in BIOS.

The stand-in BIOS does what any PC BIOS does for an option ROM: it far-calls its
entry at offset 3 during "POST", then boots with INT 19h, and it answers INT 12h and
INT 15h E820 with a small fixed map. The kernels report over port 0xE9 and exit
through isa-debug-exit; the test then also looks at guest memory.
"""
import io
import struct

import keystone
import pytest

from emu import linuxboot
from emu.linuxboot import KernelError, load_kernel
from emu.machine import KERNEL_ROM_ADDR, Machine, Stop
from hw.fw_cfg import FwCfg
from tests.emu.roms import asm16, rom16
from tests.hw.harness import Ports

MIB = 1 << 20
RAM_MIB = 32
E820 = [(0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2),
        (0x100000, (RAM_MIB - 1) * MIB, 1)]

INT12 = "mov ax, 639\niret\n"


def int15():
    """E820 from a table at F000:9000, EBX = index."""
    return """
cmp eax, 0xe820
jne bad
push ds
push si
push cx
mov ax, 0xf000
mov ds, ax
mov si, bx
imul si, si, 20
add si, 0x9000
mov cx, 20
rep movsb
sub di, 20
pop cx
pop si
pop ds
inc ebx
cmp ebx, %d
jb more
xor ebx, ebx
more:
mov eax, 0x534d4150
mov ecx, 20
push bp
mov bp, sp
and byte ptr [bp+6], 0xfe
pop bp
iret
bad:
push bp
mov bp, sp
or byte ptr [bp+6], 1
pop bp
iret
""" % len(E820)


def stand_in_bios():
    main = """
cli
xor ax, ax
mov ds, ax
mov es, ax
mov ss, ax
mov sp, 0x7000
mov word ptr [0x48], 0x8000
mov word ptr [0x4a], 0xf000
mov word ptr [0x54], 0x8100
mov word ptr [0x56], 0xf000
"""
    code = asm16(main, 0)
    # CALL FAR C800:0003 (keystone cannot encode far calls to constants), INT 19h
    code += bytes((0x9A, 0x03, 0x00, KERNEL_ROM_ADDR >> 4 & 0xFF, KERNEL_ROM_ADDR >> 12))
    code += bytes((0xCD, 0x19, 0xF4))
    rom = bytearray(rom16(""))
    rom[:len(code)] = code
    for off, src in ((0x8000, INT12), (0x8100, int15())):
        body = asm16(src, off)
        rom[off:off + len(body)] = body
    table = b"".join(struct.pack("<QQI", *e) for e in E820)
    rom[0x9000:0x9000 + len(table)] = table
    return bytes(rom)


def boot(tmp_path, kernel, initrd=None, cmdline="", limit=2_000_000):
    kpath = tmp_path / "kernel"
    kpath.write_bytes(kernel)
    ipath = None
    if initrd is not None:
        ipath = tmp_path / "initrd"
        ipath.write_bytes(initrd)
        ipath = str(ipath)
    out = io.BytesIO()
    m = Machine(stand_in_bios(), memory_mib=RAM_MIB, debugcon=out,
                kernel=(str(kpath), ipath, cmdline))
    outcome = m.run(max_instructions=limit)
    return m, outcome, out.getvalue()


# -- Linux -------------------------------------------------------------------------
def bzimage(version=0x020F, pm_kernel=b"PMKERNEL" * 100, setup_code=None):
    """A bzImage whose setup code checks the boot protocol's entry state and prints
    the command line it was given."""
    setup = bytearray(5 * 512)
    setup[0x1F1] = 4
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    struct.pack_into("<I", setup, 0x202, linuxboot.HDRS)
    struct.pack_into("<H", setup, 0x206, version)
    setup[0x211] = linuxboot.LOADED_HIGH
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)
    struct.pack_into("<I", setup, 0x238, 2047)
    setup[0x200:0x202] = b"\xEB\x7E"                     # jmp 0x280 (over the header)
    code = setup_code or """
mov ax, cs
sub ax, 0x20
mov bx, ds
cmp ax, bx
jne fail
mov bx, ss
cmp ax, bx
jne fail
cmp sp, 0xe000
jne fail
pushf
pop ax
test ax, 0x200
jnz fail
mov eax, dword ptr [0x228]
shr eax, 4
mov es, ax
xor si, si
next:
mov al, byte ptr es:[si]
test al, al
jz done
out 0xe9, al
inc si
jmp next
done:
mov al, 0
out 0xf4, al
fail:
mov al, 0x21
out 0xf4, al
"""
    body = asm16(code, 0x80)
    setup[0x280:0x280 + len(body)] = body
    return bytes(setup) + pm_kernel


def test_linux_bzimage_boots_with_the_protocol_state(tmp_path):
    kernel_body = bytes(range(256)) * 40
    initrd = b"INITRD" * 2000
    m, outcome, out = boot(tmp_path, bzimage(pm_kernel=kernel_body), initrd,
                           "console=ttyS0 root=/dev/ram0")
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0, (outcome, out)
    assert out == b"console=ttyS0 root=/dev/ram0"
    assert m.mem.read(0x100000, len(kernel_body)) == kernel_body
    hdr = m.mem.read(linuxboot.REAL_MODE_LOW, 0x240)
    ramdisk, ramdisk_size = struct.unpack_from("<II", hdr, 0x218)
    assert ramdisk_size == len(initrd) and ramdisk % 4096 == 0
    assert ramdisk + len(initrd) <= RAM_MIB * MIB - linuxboot.FIRMWARE_RESERVE
    assert m.mem.read(ramdisk, len(initrd)) == initrd
    assert hdr[0x210] == 0xFF and hdr[0x211] & linuxboot.CAN_USE_HEAP
    assert struct.unpack_from("<H", hdr, 0x224)[0] == 0xE000 - 0x200


def test_linux_without_initrd_and_old_protocol(tmp_path):
    m, outcome, out = boot(tmp_path, bzimage(version=0x0203), None, "quiet")
    assert (outcome.stop, out) == (Stop.DEBUG_EXIT, b"quiet")
    hdr = m.mem.read(linuxboot.REAL_MODE_LOW, 0x240)
    assert struct.unpack_from("<II", hdr, 0x218) == (0, 0)


def test_kernel_errors_are_clear(tmp_path):
    cfg = FwCfg(None)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\0" * 4096)
    with pytest.raises(KernelError, match="neither a Linux bzImage nor a Multiboot"):
        load_kernel(cfg, str(bad), None, "", 32 * MIB)
    with pytest.raises(KernelError, match="no such file"):
        load_kernel(cfg, str(tmp_path / "missing"), None, "", 32 * MIB)
    k = tmp_path / "k"
    k.write_bytes(bzimage())
    with pytest.raises(KernelError, match="initrd .* no such file"):
        load_kernel(cfg, str(k), str(tmp_path / "nope"), "", 32 * MIB)
    big = tmp_path / "big"
    big.write_bytes(b"\1" * (3 * MIB))
    with pytest.raises(KernelError, match="does not fit"):
        load_kernel(cfg, str(k), str(big), "", 4 * MIB)
    with pytest.raises(KernelError, match="at most 2047"):
        load_kernel(cfg, str(k), None, "x" * 3000, 32 * MIB)


# -- Multiboot -----------------------------------------------------------------------
_ks32 = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_32)


def multiboot_elf(load=0x200000):
    """An ELF Multiboot kernel: checks EAX, prints its command line, module string and
    mem_upper, and the first bytes of its module."""
    src = """
cmp eax, 0x2badb002
jne fail
mov esi, dword ptr [ebx+16]
call puts
mov al, 0x7c
out 0xe9, al
mov edi, dword ptr [ebx+24]
mov esi, dword ptr [edi+8]
call puts
mov al, 0x7c
out 0xe9, al
mov esi, dword ptr [edi]
mov ecx, 4
mods:
lodsb
out 0xe9, al
loop mods
mov al, 0x7c
out 0xe9, al
mov eax, dword ptr [ebx+8]
cmp eax, %d
jne fail
mov eax, dword ptr [ebx+44]
cmp eax, %d
jne fail
mov eax, dword ptr [ebx+48]
mov eax, dword ptr [eax+20]
cmp eax, 1
jne fail
mov al, 0
out 0xf4, al
fail:
mov al, 0x21
out 0xf4, al
hlt
puts:
lodsb
test al, al
jz puts_end
out 0xe9, al
jmp puts
puts_end:
ret
""" % ((RAM_MIB - 1) * 1024, 24 * len(E820))
    code = bytes(_ks32.asm(src, load + 0x100)[0])
    header = struct.pack("<III", linuxboot.MB_MAGIC, 2, -(linuxboot.MB_MAGIC + 2) & 0xFFFFFFFF)
    body = bytearray(0x100 + len(code))
    body[0:12] = header
    body[0x100:] = code
    ehdr_size, phdr_size = 52, 32
    off = 0x1000
    ehdr = struct.pack("<4sBBBB8sHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, b"", 2, 3, 1,
                       load + 0x100, ehdr_size, 0, 0, ehdr_size, phdr_size, 1, 40, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, off, load, load, len(body), len(body) + 0x1000, 7,
                       0x1000)
    image = bytearray(off)
    image[:len(ehdr)] = ehdr
    image[ehdr_size:ehdr_size + phdr_size] = phdr
    # the Multiboot header must be in the first 8 KiB of the file
    return bytes(image) + bytes(body)


def test_multiboot_elf_with_module(tmp_path):
    mod = tmp_path / "mod.bin"
    mod.write_bytes(b"MODULE-DATA")
    kernel = multiboot_elf()
    kpath = tmp_path / "kernel"
    kpath.write_bytes(kernel)
    out = io.BytesIO()
    m = Machine(stand_in_bios(), memory_mib=RAM_MIB, debugcon=out,
                kernel=(str(kpath), "%s arg1" % mod, "-v"))
    outcome = m.run(max_instructions=2_000_000)
    assert outcome.stop is Stop.DEBUG_EXIT and outcome.value == 0, (outcome, out.getvalue())
    assert out.getvalue() == ("%s -v|%s arg1|MODU|" % (kpath, mod)).encode()
