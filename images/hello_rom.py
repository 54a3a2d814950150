"""The hello ROM: the smallest firmware that shows pyx86 running from the reset vector.

It prints a greeting and the CPU vendor (CPUID leaf 0) on the debug console (port 0xE9)
and powers off through the Bochs shutdown port (0x8900), so `pyx86 run --bios` exits 0.
The ROM is 64 KiB; reset enters at F000:FFF0 and jumps to the code at F000:E000.
Machine code is emitted here with its encoding spelled out: no assembler is needed.
"""

ROM_SIZE = 0x10000
CODE = 0xE000                  # offset of the code inside the ROM (F000:E000)
TEXT = 0xF000                  # offset of the strings


class Emitter:
    """Just enough of a 16-bit assembler: bytes plus short jumps to labels."""

    def __init__(self, origin):
        self.origin = origin
        self.code = bytearray()
        self.labels = {}
        self.fixups = []       # (position of the rel8 byte, label)

    def emit(self, *b):
        self.code += bytes(b)

    def label(self, name):
        self.labels[name] = len(self.code)

    def jcc_short(self, opcode, name):
        self.emit(opcode, 0)
        self.fixups.append((len(self.code) - 1, name))

    def finish(self):
        for pos, name in self.fixups:
            rel = self.labels[name] - (pos + 1)
            assert -128 <= rel < 128, name
            self.code[pos] = rel & 0xFF
        return bytes(self.code)


def print_string(e, name, text_addr, port):
    """SI = text_addr; DX = port; out each byte until NUL (CS = DS = F000)."""
    e.emit(0xBE, text_addr & 0xFF, text_addr >> 8)      # mov si, text_addr
    e.emit(0xBA, port & 0xFF, port >> 8)                # mov dx, port
    e.label(name)
    e.emit(0x8A, 0x04)                                  # mov al, [si]
    e.emit(0x46)                                        # inc si
    e.emit(0x84, 0xC0)                                  # test al, al
    e.jcc_short(0x74, name + "_end")                    # jz end
    e.emit(0xEE)                                        # out dx, al
    e.jcc_short(0xEB, name)                             # jmp loop
    e.label(name + "_end")


def build() -> bytes:
    greeting = b"pyx86: hello from the reset vector\nCPU vendor: "
    e = Emitter(CODE)
    e.emit(0xFA)                                        # cli
    e.emit(0x8C, 0xC8)                                  # mov ax, cs
    e.emit(0x8E, 0xD8)                                  # mov ds, ax
    print_string(e, "greet", TEXT, 0xE9)
    e.emit(0x31, 0xC0)                                  # xor ax, ax
    e.emit(0x8E, 0xD8)                                  # mov ds, ax    (RAM at 0:0500)
    e.emit(0x66, 0x31, 0xC0)                            # xor eax, eax
    e.emit(0x0F, 0xA2)                                  # cpuid
    e.emit(0x66, 0x89, 0x1E, 0x00, 0x05)                # mov [0500h], ebx
    e.emit(0x66, 0x89, 0x16, 0x04, 0x05)                # mov [0504h], edx
    e.emit(0x66, 0x89, 0x0E, 0x08, 0x05)                # mov [0508h], ecx
    e.emit(0xC6, 0x06, 0x0C, 0x05, 0x0A)                # mov byte [050Ch], 0Ah
    e.emit(0xC6, 0x06, 0x0D, 0x05, 0x00)                # mov byte [050Dh], 0
    print_string(e, "vendor", 0x0500, 0xE9)
    e.emit(0x8C, 0xC8)                                  # mov ax, cs
    e.emit(0x8E, 0xD8)                                  # mov ds, ax
    print_string(e, "off", TEXT + 0x100, 0x8900)        # "Shutdown" -> power off
    e.label("halt")
    e.emit(0xF4)                                        # hlt
    e.jcc_short(0xEB, "halt")
    code = e.finish()

    rom = bytearray(b"\xFF" * ROM_SIZE)
    rom[CODE:CODE + len(code)] = code
    rom[TEXT:TEXT + len(greeting) + 1] = greeting + b"\0"
    rom[TEXT + 0x100:TEXT + 0x109] = b"Shutdown\0"
    rom[0xFFF0:0xFFF5] = bytes((0xEA, CODE & 0xFF, CODE >> 8, 0x00, 0xF0))  # jmp F000:E000
    return bytes(rom)
