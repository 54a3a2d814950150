"""Core mechanisms: decoded-instruction cache, fault delivery, decoder limits."""
import subprocess
import sys

from tests.conftest import ROOT
from tests.cpu.realmode import STOP_HLT, STOP_TRIPLE, asm16, machine, run_at, set_vector


def test_every_table_handler_is_defined():
    r = subprocess.run([sys.executable, str(ROOT / "cpu" / "gen_optable.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, "opcodes without a handler:\n" + r.stdout


def test_self_modifying_code_runs_new_bytes():
    mem, cpu, _ = machine()
    # the loop body is decoded (cached) once, then the store rewrites its immediate
    src = """
        mov cx, 3
    again:
        mov ax, 1
        add bx, ax
        mov byte ptr [0x1000 + patch - 0x1000 + 1], 5
        dec cx
        jnz again
        hlt
    patch_dummy: nop
    """
    code = asm16(src.replace("patch - 0x1000", "0"), 0x1000)
    # locate "mov ax, 1" (B8 01 00) and patch its immediate byte
    at = code.index(bytes((0xB8, 0x01, 0x00)))
    src = src.replace("0x1000 + patch - 0x1000 + 1", hex(0x1000 + at + 1))
    assert run_at(cpu, mem, src) == STOP_HLT
    assert cpu.get_reg("ebx") == 1 + 5 + 5       # first pass old bytes, then the new ones


def test_divide_error_is_a_fault_delivered_through_the_ivt():
    mem, cpu, _ = machine()
    mem.load(0x2000, bytes((0xF4,)))             # handler: hlt
    set_vector(mem, 0, 0, 0x2000)
    assert run_at(cpu, mem, "mov ax, 1\nmov bl, 0\ndiv bl\nhlt") == STOP_HLT
    assert cpu.eip == 0x2001
    sp = cpu.get_reg("esp")
    ip, cs, fl = (int.from_bytes(mem.read(sp + k, 2), "little") for k in (0, 2, 4))
    assert (cs, ip) == (0, 0x1000 + 5)           # points at the DIV, not after it
    assert cpu.eflags & 0x200 == 0


def test_unknown_opcode_gives_the_guest_ud():
    mem, cpu, _ = machine()
    mem.load(0x2000, bytes((0xF4,)))
    set_vector(mem, 6, 0, 0x2000)
    mem.load(0x1000, bytes((0x0F, 0xFF)))        # 0F FF: undefined
    cpu.load_seg_real("cs", 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    assert cpu.run(1000) == STOP_HLT
    assert int.from_bytes(mem.read(cpu.get_reg("esp"), 2), "little") == 0x1000


def test_instruction_longer_than_15_bytes_is_gp():
    mem, cpu, _ = machine()
    mem.load(0x2000, bytes((0xF4,)))
    set_vector(mem, 13, 0, 0x2000)
    mem.load(0x1000, bytes([0x26] * 15 + [0x90]))
    cpu.load_seg_real("cs", 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    assert cpu.run(1000) == STOP_HLT
    assert cpu.eip == 0x2001


def test_fault_with_no_usable_idt_escalates_to_triple_fault():
    mem, cpu, _ = machine()
    cpu.set_dtr("idtr", 0, 0)                    # no vector fits: #GP -> #DF -> shutdown
    assert run_at(cpu, mem, "mov ax, 1\nmov bl, 0\ndiv bl\nhlt",
                  setup=lambda c: c.set_dtr("idtr", 0, 0)) == STOP_TRIPLE


def test_string_of_faults_cannot_hang_the_loop():
    mem, cpu, _ = machine()
    set_vector(mem, 6, 0, 0x3000)                # the #UD handler is itself undefined
    mem.load(0x3000, bytes((0x0F, 0xFF)))
    mem.load(0x1000, bytes((0x0F, 0xFF)))
    cpu.load_seg_real("cs", 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    assert cpu.run(500) != STOP_HLT              # returns when the budget is spent


def test_a20_gate_wraps_at_1mib():
    mem, cpu, _ = machine()
    mem.load(0x0000_0010, b"\x11")
    mem.load(0x0010_0010, b"\x22")
    cpu.set_a20(False)
    src = "mov ax, 0xffff\nmov ds, ax\nmov al, [0x20]\nhlt"
    assert run_at(cpu, mem, src) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFF == 0x11
    cpu.set_a20(True)
    assert run_at(cpu, mem, src) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFF == 0x22


def _run_bytes(code_at):
    """Load {address: bytes} and run real-mode code from 0000:1000 until HLT."""
    mem, cpu, _ = machine()
    for addr, code in code_at.items():
        mem.load(addr, code)
    cpu.load_seg_real("cs", 0)
    for sg in ("ds", "es", "ss"):
        cpu.load_seg_real(sg, 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    assert cpu.run(10_000) == STOP_HLT
    return cpu


def test_mov_from_cr_ignores_modrm_mod():
    # 0F 20 06 is MOV ESI, CR0 (mod bits ignored), not a memory form with disp16
    cpu = _run_bytes({0x1000: bytes.fromhex("0f2006" "4040" "f4")})
    assert cpu.get_reg("eax") & 0xFFFF == 2


def test_write_keeps_code_marks_of_instructions_reaching_into_the_previous_chunk():
    # mov ebx, imm32 at 0x103C spans the 64-byte chunks 0x1000 and 0x1040. A write to
    # chunk 0x1080 must not forget that chunk 0x1040 holds its bytes: the later patch
    # at 0x1040 has to take effect.
    cpu = _run_bytes({
        0x1000: bytes.fromhex("31c9" "e98b00"),               # xor cx,cx; jmp 0x1090
        0x1090: bytes.fromhex("ebaa"),                        # jmp 0x103c
        0x103C: bytes.fromhex("66bb22222222" "e97b00"),       # mov ebx,..; jmp 0x10c0
        0x10C0: bytes.fromhex("41" "83f902" "740d"            # inc cx; cmp cx,2; je done
                              "c6069010eb"                    # mov byte [0x1090], 0xEB
                              "c606401033"                    # mov byte [0x1040], 0x33
                              "e969ff" "f4"),                 # jmp 0x103c; done: hlt
    })
    assert cpu.get_reg("ebx") == 0x22332222


def test_store_into_the_next_instruction_of_a_block_takes_effect():
    # straight-line code is decoded as one block; the store rewrites the immediate of
    # the instruction right after it, which must run with the new byte
    src = "mov byte ptr [{}], 5\nmov ax, 1\nhlt"
    at = len(asm16(src.format("0x1234"), 0x1000))  # mov ax, 1 starts here...
    at -= len(asm16("mov ax, 1\nhlt", 0))
    mem, cpu, _ = machine()
    assert run_at(cpu, mem, src.format(hex(0x1000 + at + 1))) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFFFF == 5


def test_block_reached_through_a_shorter_cs_limit_faults_at_the_limit():
    # the same bytes run first with a 64 KiB CS (decoded as one block), then with a CS
    # limit that ends inside them: the instruction past the limit is #GP, the ones
    # before it have run
    mem, cpu, _ = machine()
    mem.load(0x0F00, bytes((0xF4,)))                 # #GP handler (inside the limit): hlt
    set_vector(mem, 13, 0, 0x0F00)
    code = bytes((0x40,) * 8 + (0xF4,))               # inc ax x8; hlt
    assert run_at(cpu, mem, ".byte " + ", ".join(map(str, code))) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFFFF == 8
    cs = cpu.get_seg("cs")
    cpu.set_reg("eax", 0)
    cpu.set_seg("cs", cs["sel"], cs["base"], 0x1004, cs["ar"])
    cpu.eip = 0x1000
    cpu.halted = False
    assert cpu.run(1000) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFFFF == 5           # 0x1000-0x1004 ran
    assert cpu.eip == 0x0F01
    assert int.from_bytes(mem.read(cpu.get_reg("esp"), 2), "little") == 0x1005


def test_fetch_fault_after_a_block_reports_the_next_instruction():
    # code runs up to the CS limit at a page end; fetching the next instruction (on a
    # page not in the TLB yet) is #GP, and the frame must hold its address
    mem, cpu, _ = machine()
    mem.load(0x0F00, bytes((0xF4,)))                 # #GP handler: hlt
    set_vector(mem, 13, 0, 0x0F00)
    mem.load(0x0FF8, bytes((0x40,) * 8))              # inc ax x8, up to the limit
    cpu.load_seg_real("cs", 0)
    for sg in ("ds", "es", "ss"):
        cpu.load_seg_real(sg, 0)
    cs = cpu.get_seg("cs")
    cpu.set_seg("cs", cs["sel"], cs["base"], 0x0FFF, cs["ar"])
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x0FF8
    assert cpu.run(1000) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFFFF == 8
    assert int.from_bytes(mem.read(cpu.get_reg("esp"), 2), "little") == 0x1000
