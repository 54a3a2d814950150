"""Run a benchmark ROM under Unicorn (QEMU's CPU core as a library): the reference
output every other emulator must reproduce.

Unicorn has no machine around its CPU, so this maps RAM, puts the ROM's last 64 KiB
at 0xF0000 and starts at F000:FFF0 in real mode; OUT to 0xE9 / 0x80 / 0xF4 is
caught with an instruction hook. Unicorn is a test dependency, imported lazily.
"""
from dataclasses import dataclass, field


@dataclass
class Reference:
    console: bytes                      # bytes written to port 0xE9
    post: list = field(default_factory=list)    # bytes written to port 0x80
    exit_value: int | None = None       # value written to port 0xF4 (None: never)


def run_unicorn(rom, ram_mib=32, timeout_s=300):
    from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_16, Uc
    from unicorn.x86_const import UC_X86_INS_OUT, UC_X86_REG_CS

    uc = Uc(UC_ARCH_X86, UC_MODE_16)
    uc.mem_map(0, ram_mib << 20)
    uc.mem_write(0xF0000, bytes(rom[-0x10000:]))
    ref = Reference(b"")
    console = bytearray()

    def on_out(uc, port, size, value, user):
        if port == 0xE9:
            console.append(value & 0xFF)
        elif port == 0x80:
            ref.post.append(value & 0xFF)
        elif port == 0xF4:
            ref.exit_value = value
            uc.emu_stop()

    uc.hook_add(UC_HOOK_INSN, on_out, None, 1, 0, UC_X86_INS_OUT)
    uc.reg_write(UC_X86_REG_CS, 0xF000)
    uc.emu_start(0xFFFF0, 0xFFFFFFFF, timeout=int(timeout_s * 1_000_000))
    ref.console = bytes(console)
    return ref
