"""The BIOS services, called by test programs started where a boot sector starts
(tests/bios/harness.py). Results are stored from RESULTS (0x600) and read back."""
import pytest

from emu.machine import Stop
from tests.bios.harness import EXIT, RESULTS, BiosPC, asm

MIB = 1 << 20
TABLES = 128 * 1024                               # the firmware tables' zone (E820-reserved)


def e820_map(pc):
    """Call INT 15h E820h until EBX comes back 0; entries at 0x1000, 20 bytes apart,
    their count at RESULTS, the 'SMAP' signatures checked by the program."""
    pc.run_program("""
        xor ebx, ebx
        mov di, 0x1000
        mov word ptr [0x600], 0
    next:
        mov eax, 0xe820
        mov edx, 0x534d4150
        mov ecx, 24
        int 0x15
        jc fail
        cmp eax, 0x534d4150
        jne fail
        cmp ecx, 20
        jne fail
        inc word ptr [0x600]
        add di, 20
        test ebx, ebx
        jnz next
        jmp done
    fail:
        mov word ptr [0x602], 0xbad
    done:
    """)
    assert pc.word(RESULTS + 2) == 0, "E820 call failed"
    entries = []
    for i in range(pc.word(RESULTS)):
        raw = pc.read(0x1000 + 20 * i, 20)
        base, length, kind = (int.from_bytes(raw[0:8], "little"),
                              int.from_bytes(raw[8:16], "little"),
                              int.from_bytes(raw[16:20], "little"))
        entries.append((base, length, kind))
    return entries


@pytest.mark.parametrize("mib", [32, 2048])
def test_e820_map(mib):
    pc = BiosPC(memory_mib=mib)
    assert e820_map(pc) == [
        (0, 0x9E000, 1),                          # conventional memory below the EBDA
        (0x9E000, 0x2000, 2),                     # the EBDA
        (0xE0000, 0x20000, 2),                    # the BIOS ROM
        (MIB, mib * MIB - MIB - TABLES, 1),       # everything above 1 MiB ...
        (mib * MIB - TABLES, TABLES, 2),          # ... but the ACPI/SMBIOS tables
        (0xFFFE0000, 0x20000, 2),                 # the ROM below 4 GiB
    ]


def test_e820_rejects_a_bad_signature_or_index():
    pc = BiosPC()
    pc.run_program("""
        mov eax, 0xe820
        xor ebx, ebx
        mov edx, 0x12345678
        mov ecx, 20
        mov di, 0x1000
        int 0x15
        sbb cx, cx
        mov [0x600], cx
        mov eax, 0xe820
        mov ebx, 99
        mov edx, 0x534d4150
        mov ecx, 20
        int 0x15
        sbb cx, cx
        mov [0x602], cx
    """)
    assert pc.results(2) == [0xFFFF, 0xFFFF]      # CF set both times


# extended memory ends where the firmware tables start, 128 KiB below the top
@pytest.mark.parametrize("mib, ext, e801", [
    (8, 7 * 1024 - 128, (7 * 1024 - 128, 0)),
    (64, 63 * 1024 - 128, (0x3C00, 48 * 16 - 2)),
    (128, 0xFFFF, (0x3C00, 112 * 16 - 2)),
])
def test_memory_sizes(mib, ext, e801):
    pc = BiosPC(memory_mib=mib)
    pc.run_program("""
        int 0x12
        mov [0x600], ax
        mov ah, 0x88
        int 0x15
        mov [0x602], ax
        mov ax, 0xe801
        int 0x15
        mov [0x604], ax
        mov [0x606], bx
        mov [0x608], cx
        mov [0x60a], dx
        int 0x11
        mov [0x60c], ax
    """)
    base, ext_kib, ax, bx, cx, dx, equipment = pc.results(7)
    assert base == 632
    assert ext_kib == ext
    assert (ax, bx) == (cx, dx) == e801
    assert equipment == pc.word(0x410) == 0x0422


def test_tick_count_follows_virtual_time():
    pc = BiosPC()
    # 36 HLTs: each returns after the next interrupt, the timer tick (18.2 Hz) being the
    # only one enabled
    pc.run_program("""
        xor ah, ah
        int 0x1a
        mov [0x600], dx
        mov [0x602], cx
        mov cx, 36
    wait:
        hlt
        loop wait
        xor ah, ah
        int 0x1a
        mov [0x604], dx
        mov [0x606], cx
        mov [0x608], al
    """)
    lo0, hi0, lo1, hi1, midnight = pc.results(5)
    t0, t1 = hi0 << 16 | lo0, hi1 << 16 | lo1
    assert t1 - t0 == 36
    # POST set the count from the RTC (12:00:00) and about a second has gone by since
    assert 43200 * 1193182 // 65536 <= t0 <= 43203 * 1193182 // 65536
    assert midnight & 0xFF == 0
    assert pc.dword(0x46C) == t1


def test_wait_86h_takes_its_time():
    pc = BiosPC()
    pc.run_program("""
        xor ah, ah
        int 0x1a
        mov [0x600], dx
        mov ah, 0x86
        mov cx, 0x0007
        mov dx, 0xa120
        int 0x15
        sbb bx, bx
        mov [0x604], bx
        xor ah, ah
        int 0x1a
        mov [0x602], dx
    """)
    t0, t1, cf = pc.results(3)
    assert cf == 0
    assert 8 <= t1 - t0 <= 10                     # 500 ms is 9.1 ticks


def test_rtc_time_and_date():
    pc = BiosPC()
    pc.run_program("""
        mov ah, 0x02
        int 0x1a
        mov [0x600], cx
        mov [0x602], dx
        mov ah, 0x04
        int 0x1a
        mov [0x604], cx
        mov [0x606], dx
        mov ah, 0x03
        mov cx, 0x0830
        mov dx, 0x1500
        int 0x1a
        mov ah, 0x05
        mov cx, 0x2025
        mov dx, 0x1224
        int 0x1a
        mov ah, 0x02
        int 0x1a
        mov [0x608], cx
        mov [0x60a], dx
        mov ah, 0x04
        int 0x1a
        mov [0x60c], cx
        mov [0x60e], dx
    """)
    time0, sec0, century_year, month_day, time1, sec1, cy1, md1 = pc.results(8)
    assert time0 == 0x1200 and sec0 >> 8 in (0x00, 0x01, 0x02)
    assert (century_year, month_day) == (0x2024, 0x0131)
    assert time1 == 0x0830 and sec1 >> 8 in (0x15, 0x16)
    assert (cy1, md1) == (0x2025, 0x1224)


# scan code set 2 bytes of key presses (make, then break)
def tap(code, e0=False):
    prefix = [0xE0] if e0 else []
    return [prefix + [code], prefix + [0xF0, code]]


def test_int16_keys_from_the_keyboard():
    pc = BiosPC()
    keys = (tap(0x1C)                             # a
            + [[0x12]] + tap(0x1C) + [[0xF0, 0x12]]   # Shift+a
            + [[0x14]] + tap(0x21) + [[0xF0, 0x14]]   # Ctrl+c
            + tap(0x5A)                           # Enter
            + tap(0x05)                           # F1
            + tap(0x75, e0=True)                  # grey up arrow
            + tap(0x75, e0=True))                 # ... again, for AH=00h
    pc.start(pc_program("""
        mov di, 0x600
        mov cx, 6
    get:
        mov ah, 0x10
        int 0x16
        mov [di], ax
        add di, 2
        loop get
    poll:
        mov ah, 0x01
        int 0x16
        jz poll
        mov [0x610], ax
        xor ah, ah
        int 0x16
        mov [0x612], ax
        mov ah, 0x01
        int 0x16
        lahf
        mov [0x614], ax
    """))
    for codes in keys:
        pc.m.kbc.keyboard.press(codes)
        if pc.step(20_000).stop is not Stop.LIMIT:
            break
    pc.finish()
    assert pc.results(6) == [0x1E61, 0x1E41, 0x2E03, 0x1C0D, 0x3B00, 0x48E0]
    assert pc.word(0x610) == pc.word(0x612) == 0x4800     # AH=01h/00h: no E0 marker
    assert pc.word(0x614) & 0x4000                # ZF: the buffer is empty now


def test_int16_shift_state_and_store():
    pc = BiosPC()
    pc.start(pc_program("""
    wait:
        mov ah, 0x02
        int 0x16
        and al, 0x06
        cmp al, 0x06
        jne wait
        mov ah, 0x02
        int 0x16
        mov [0x600], ax
        mov ah, 0x12
        int 0x16
        mov [0x602], ax
        mov ah, 0x05
        mov cx, 0x3920
        int 0x16
        mov [0x604], ax
        xor ah, ah
        int 0x16
        mov [0x606], ax
    """))
    pc.m.kbc.keyboard.press([0x12])               # left Shift held
    pc.m.kbc.keyboard.press([0x14])               # left Ctrl held
    pc.finish()
    flags, ext, stored, key = pc.results(4)
    assert flags & 0xFF == 0x06                   # left shift + ctrl
    assert ext & 0xFF == 0x06 and ext >> 8 & 0x01  # ... and AH bit 0: left Ctrl down
    assert stored & 0xFF == 0 and key == 0x3920


def pc_program(src):
    return asm(src + EXIT)


def test_int10_teletype_cursor_and_scroll():
    pc = BiosPC()
    pc.run_program("""
        mov ah, 0x02
        xor bh, bh
        mov dx, 0x050a
        int 0x10
        mov ax, 0x0e48
        int 0x10
        mov ax, 0x0e69
        int 0x10
        mov ah, 0x03
        xor bh, bh
        int 0x10
        mov [0x600], dx
        mov [0x602], cx
        mov ah, 0x02
        mov dx, 0x1800
        int 0x10
        mov ax, 0x0e5a
        int 0x10
        mov ax, 0x0e0d
        int 0x10
        mov ax, 0x0e0a
        int 0x10
        mov ah, 0x03
        int 0x10
        mov [0x604], dx
        mov ah, 0x0f
        int 0x10
        mov [0x606], ax
        mov [0x608], bx
    """)
    cursor, shape, after_scroll, mode, page = pc.results(5)
    assert cursor == 0x050C and shape == 0x0607    # the CGA shape, emulated on 16 lines
    assert pc.screen_row(4)[10:12] == "Hi"        # one line up after the scroll
    assert pc.screen_row(23).rstrip() == "Z"
    assert pc.screen_row(24).strip() == ""
    assert after_scroll == 0x1800
    assert pc.word(0x450) == 0x1800               # the BDA's cursor of page 0
    assert mode == 0x5003 and page >> 8 == 0


def test_int10_write_char_attr_string_and_window_scroll():
    pc = BiosPC()
    pc.run_program("""
        mov ah, 0x02
        xor bh, bh
        mov dx, 0x0200
        int 0x10
        mov ax, 0x0941
        mov bx, 0x001e
        mov cx, 3
        int 0x10
        mov ax, 0x1301
        mov bx, 0x0007
        mov cx, 5
        mov dx, 0x0300
        mov bp, text
        int 0x10
        mov ax, 0x0601
        mov bh, 0x17
        mov cx, 0x0200
        mov dx, 0x034f
        int 0x10
        mov ah, 0x03
        xor bh, bh
        int 0x10
        mov [0x600], dx
        jmp out
    text:
        .ascii "Hello"
    out:
    """)
    assert pc.screen_row(2).rstrip() == "Hello"   # row 3 moved up into row 2 ...
    assert pc.screen_row(3).strip() == ""         # ... and row 3 blanked with 17h
    assert pc.read(0xB8000 + 3 * 160 + 1, 1) == b"\x17"
    assert pc.word(RESULTS) == 0x0305             # AL bit 0: the cursor moved


def test_int10_mode_set_and_display_combination():
    pc = BiosPC()
    pc.run_program("""
        mov ax, 0x1a00
        int 0x10
        mov [0x600], ax
        mov [0x602], bx
        mov ax, 0x0013
        int 0x10
        mov ah, 0x0f
        int 0x10
        mov [0x604], ax
        mov ax, 0x0003
        int 0x10
        mov ah, 0x0f
        int 0x10
        mov [0x606], ax
    """)
    assert pc.results(4) == [0x1A1A, 0x0008, 0x2813, 0x5003]   # AL = 1Ah: supported


def test_int15_config_a20_and_block_move():
    pc = BiosPC()
    pc.m.mem.write(0x2000, bytes(range(64)))
    pc.run_program("""
        mov ah, 0xc0
        int 0x15
        mov [0x600], es
        mov [0x602], bx
        xor ax, ax
        mov es, ax
        mov ax, 0x2402
        int 0x15
        mov [0x604], ax
        mov ax, 0x2400
        int 0x15
        mov ax, 0x2402
        int 0x15
        mov [0x606], ax
        mov ax, 0x2401
        int 0x15
        mov ax, 0x2402
        int 0x15
        mov [0x608], ax
        mov ax, 0x2400
        int 0x15
        mov si, 0x1000
        mov ah, 0x87
        mov cx, 32
        int 0x15
        sbb bx, bx
        mov [0x60a], bx
        mov [0x60c], ax
        mov si, 0x1100
        mov ah, 0x87
        mov cx, 32
        int 0x15
        mov ax, 0x2402
        int 0x15
        mov [0x60e], ax
        mov ax, 0xc100
        int 0x15
        mov [0x610], es
    """)
    es, bx, a20_on, a20_off, a20_again, cf, ax, a20_after, ebda = pc.results(9)
    assert (es, bx) == (0xF000, 0xE6F5)
    assert pc.read(0xFE6F5, 3) == bytes((8, 0, 0xFC))
    assert (a20_on, a20_off, a20_again, a20_after) == (1, 0, 1, 0)
    assert cf == 0 and ax >> 8 == 0
    assert pc.read(0x300000, 64) == bytes(range(64))
    assert pc.read(0x3000, 64) == bytes(range(64))
    assert ebda == 0x9E00


def block_move_gdts(pc):
    """Two INT 15h AH=87h GDTs at 0x1000 (0x2000 -> 3 MiB) and 0x1100 (3 MiB -> 0x3000)."""
    def desc(base):
        return (b"\xff\xff" + (base & 0xFFFFFF).to_bytes(3, "little") + b"\x93\x00"
                + bytes((base >> 24,)))
    for addr, src, dst in ((0x1000, 0x2000, 0x300000), (0x1100, 0x300000, 0x3000)):
        pc.m.mem.write(addr, bytes(16) + desc(src) + desc(dst) + bytes(16))


@pytest.fixture(autouse=True)
def _gdts(request, monkeypatch):
    """test_int15_config_a20_and_block_move needs its GDTs in RAM before it starts."""
    if request.node.name == "test_int15_config_a20_and_block_move":
        original = BiosPC.start

        def start(self, code, drive=0x80):
            original(self, code, drive)
            block_move_gdts(self)
        monkeypatch.setattr(BiosPC, "start", start)


def test_apm_real_mode_interface():
    """APM 1.2 over INT 15h AH=53h: installation check, connect, driver version,
    power status, CPU idle, and the errors of an unconnected or repeated connect."""
    pc = BiosPC()
    pc.run_program("""
        mov ax, 0x5304
        xor bx, bx
        int 0x15
        mov byte ptr [0x600], ah
        mov ax, 0x5300
        xor bx, bx
        int 0x15
        mov word ptr [0x602], ax
        mov word ptr [0x604], bx
        mov word ptr [0x606], cx
        mov ax, 0x5301
        xor bx, bx
        int 0x15
        mov ax, 0x5301
        xor bx, bx
        int 0x15
        mov byte ptr [0x608], ah
        mov ax, 0x530e
        xor bx, bx
        mov cx, 0x0101
        int 0x15
        mov word ptr [0x60a], ax
        mov ax, 0x530a
        mov bx, 1
        int 0x15
        mov word ptr [0x60c], bx
        mov word ptr [0x60e], cx
        mov ax, 0x5305
        int 0x15
        setc byte ptr [0x610]
        mov ax, 0x5303
        xor bx, bx
        int 0x15
        mov byte ptr [0x611], ah
    """)
    assert pc.read(RESULTS, 1) == b"\x03"                      # not connected yet
    assert pc.word(RESULTS + 2) == 0x0102                      # APM 1.2
    assert pc.word(RESULTS + 4) == ord("P") << 8 | ord("M")
    assert pc.word(RESULTS + 6) == 0                           # no protected-mode interface
    assert pc.read(RESULTS + 8, 1) == b"\x02"                  # already connected
    assert pc.word(RESULTS + 10) == 0x0101                     # the driver's lower version
    assert (pc.word(RESULTS + 12), pc.word(RESULTS + 14)) == (0x01FF, 0x80FF)
    assert pc.read(RESULTS + 16, 1) == b"\x00"                 # CPU idle succeeded
    assert pc.read(RESULTS + 17, 1) == b"\x08"                 # no 32-bit interface


def test_apm_power_off_switches_the_machine_off():
    pc = BiosPC()
    pc.start(asm("""
        mov ax, 0x5301
        xor bx, bx
        int 0x15
        mov ax, 0x5307
        mov bx, 1
        mov cx, 3
        int 0x15
        mov al, 0xee
        out 0xf4, al
    """))
    outcome = pc.m.run(pc.cpu.icount + 2_000_000)
    assert outcome.stop is Stop.POWER_OFF and "ACPI S5" in outcome.message


def test_pci_bios_finds_devices_and_reads_config():
    """INT 1Ah AX=B1xxh: installation check, find device (the IDE function 8086:7010),
    find class (the VGA, class 030000h), config reads and a write, the errors."""
    pc = BiosPC()
    pc.run_program("""
        mov ax, 0xb101
        int 0x1a
        mov word ptr [0x600], ax
        mov word ptr [0x602], bx
        mov dword ptr [0x604], edx
        mov ax, 0xb102
        mov cx, 0x7010
        mov dx, 0x8086
        xor si, si
        int 0x1a
        mov word ptr [0x608], bx
        mov ax, 0xb103
        mov ecx, 0x030000
        xor si, si
        int 0x1a
        mov word ptr [0x60a], bx
        mov ax, 0xb10a
        mov di, 0
        int 0x1a
        mov dword ptr [0x60c], ecx
        mov ax, 0xb102
        mov cx, 0x7010
        mov dx, 0x8086
        mov si, 1
        int 0x1a
        mov byte ptr [0x610], ah
        mov ax, 0xb109
        xor bx, bx
        mov di, 3
        int 0x1a
        mov byte ptr [0x611], ah
        mov ax, 0xb10b
        mov bx, 0x0010
        mov di, 0x3c
        mov cl, 0x0b
        int 0x1a
        mov ax, 0xb108
        mov bx, 0x0010
        mov di, 0x3c
        int 0x1a
        mov byte ptr [0x612], cl
    """)
    assert pc.word(RESULTS) == 0x0001 and pc.word(RESULTS + 2) == 0x0210
    assert pc.read(RESULTS + 4, 4) == b"PCI "
    assert pc.word(RESULTS + 8) == 0x0009                      # 00:01.1
    assert pc.word(RESULTS + 10) == 0x0010                     # 00:02.0
    assert pc.read(RESULTS + 12, 4) == (0x11111234).to_bytes(4, "little")
    assert pc.read(RESULTS + 16, 3) == b"\x86\x87\x0b"         # not found, bad reg, written
