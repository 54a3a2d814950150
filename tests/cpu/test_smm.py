"""System Management Mode on a bare CPU (cpu/smm.pxi): SMI entry, the 32-bit state
save map, RSM, SMBASE relocation, auto HALT restart, SMI/NMI latching."""
import struct

from keystone import KS_ARCH_X86, KS_MODE_32, Ks

from tests.cpu.flat import FLAT_CODE, flat32
from tests.cpu.realmode import STOP_HLT, STOP_TRIPLE, asm16, machine, set_vector

SMBASE = 0x30000
MAP = SMBASE + 0x8000                  # the save map offsets (7E00H-7FFFH) count from here
_ks32 = Ks(KS_ARCH_X86, KS_MODE_32)


def asm32(src, addr):
    return bytes(_ks32.asm(src, addr)[0])


def dword(mem, addr):
    return struct.unpack("<I", mem.read(addr, 4))[0]


def smm_cpu():
    """A bare CPU whose on_smm records SMIACT# changes."""
    mem, cpu, io = machine(ram_mib=2)
    events = []
    cpu.on_smm = events.append
    return mem, cpu, events


def handler(mem, src, smbase=SMBASE):
    """The SMI handler at SMBASE + 8000H (16-bit code, CS base SMBASE)."""
    mem.load(smbase + 0x8000, asm16(src, 0x8000))


def halted_in_pmode(mem, cpu, program="hlt"):
    """32-bit flat protected mode with recognisable state, run to its HLT."""
    mem.load(0x1000, asm32(program, 0x1000))
    flat32(cpu)
    cpu.set_cr(4, 0x10)                    # PSE
    cpu.set_cr(3, 0x5000)
    cpu.set_dtr("gdtr", 0x2000, 0x37)
    cpu.set_dtr("idtr", 0x2100, 0x7FF)
    for k, r in enumerate(("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")):
        cpu.set_reg(r, 0x11111111 * (k + 1))
    cpu.set_seg("fs", 0x18, 0x12345000, 0xFFFF, 0x4093)
    cpu.set_seg("gs", 0, 0, 0, 0x93, valid=False)          # a null selector
    cpu.eip = 0x1000
    cpu.eflags = 0x202 | 0x1                               # IF, CF
    assert cpu.run(1000) == STOP_HLT
    return cpu.state()


def test_rsm_is_undefined_outside_smm():
    mem, cpu, events = smm_cpu()
    set_vector(mem, 6, 0, 0x2000)
    mem.load(0x2000, asm16("mov ax, 0x66; hlt", 0x2000))
    mem.load(0x1000, b"\x0f\xaa")
    cpu.load_seg_real("cs", 0)
    cpu.load_seg_real("ss", 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    assert cpu.run(100) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFFFF == 0x66 and not cpu.in_smm and events == []


def test_smi_entry_state_and_save_map():
    mem, cpu, events = smm_cpu()
    before = halted_in_pmode(mem, cpu)
    handler(mem, "hlt")
    cpu.smi()
    assert cpu.smi_pending
    assert cpu.run(100) == STOP_HLT
    assert cpu.in_smm and events == [True] and not cpu.smi_pending
    # "Processor Register Initialization in SMM"
    st = cpu.state()
    assert st["cs"]["sel"] == SMBASE >> 4 and st["cs"]["base"] == SMBASE
    assert st["cs"]["limit"] == 0xFFFFFFFF
    assert st["eip"] == 0x8001                           # past the handler's HLT
    assert st["eflags"] == 0x2
    assert st["cr0"] & 0x8000000D == 0 and st["cr4"] == 0
    for sg in ("ds", "es", "ss", "fs", "gs"):
        assert (st[sg]["sel"], st[sg]["base"], st[sg]["limit"]) == (0, 0, 0xFFFFFFFF)
    # the 32-bit state save map
    assert dword(mem, MAP + 0x7FFC) == before["cr0"]
    assert dword(mem, MAP + 0x7FF8) == 0x5000                 # CR3
    assert dword(mem, MAP + 0x7FF4) == before["eflags"]
    assert dword(mem, MAP + 0x7FF0) == 0x1001                 # EIP after the HLT
    for k, r in enumerate(("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")):
        assert dword(mem, MAP + 0x7FD0 + 4 * k) == before[r]
    assert dword(mem, MAP + 0x7FC8) == 0x400                  # DR7
    for k, sg in enumerate(("es", "cs", "ss", "ds", "fs", "gs")):
        assert dword(mem, MAP + 0x7FA8 + 4 * k) == before[sg]["sel"]
    # caches (attributes, limit, base): CS at 7F90H, FS at 7F38H, GS unusable
    assert dword(mem, MAP + 0x7F90) == FLAT_CODE & 0xF0FF
    assert dword(mem, MAP + 0x7F94) == 0xFFFFFFFF
    assert (dword(mem, MAP + 0x7F38), dword(mem, MAP + 0x7F3C),
            dword(mem, MAP + 0x7F40)) == (0x4093, 0xFFFF, 0x12345000)
    assert dword(mem, MAP + 0x7F44) & 0x10000
    assert (dword(mem, MAP + 0x7F70), dword(mem, MAP + 0x7F74)) == (0x37, 0x2000)
    assert (dword(mem, MAP + 0x7F54), dword(mem, MAP + 0x7F58)) == (0x7FF, 0x2100)
    assert dword(mem, MAP + 0x7F14) == 0x10                   # CR4
    assert mem.read(MAP + 0x7F02, 2) == b"\x01\x00"           # auto HALT restart
    assert dword(mem, MAP + 0x7EFC) == 0x00020000             # revision: relocation
    assert dword(mem, MAP + 0x7EF8) == SMBASE


def test_rsm_restores_the_interrupted_state():
    mem, cpu, events = smm_cpu()
    before = halted_in_pmode(mem, cpu)
    # clobber what RSM must restore, in SMM's real-address-like mode
    handler(mem, "mov eax, 0xdeadbeef; mov ds, ax; mov esp, 0x100; xor ebx, ebx;"
                 "lgdt [0x9000]; rsm")
    cpu.smi()
    assert cpu.run(100) == STOP_HLT                 # back in the program's HLT
    assert not cpu.in_smm and events == [True, False]
    after = cpu.state()
    for key in ("icount",):
        del before[key], after[key]
    assert after == before


def test_smbase_relocation():
    mem, cpu, events = smm_cpu()
    halted_in_pmode(mem, cpu)
    handler(mem, "mov ebx, 0x3fef8; mov dword ptr [ebx], 0x50000; rsm")
    cpu.smi()
    assert cpu.run(100) == STOP_HLT
    assert cpu.smbase == 0x50000
    handler(mem, "hlt", smbase=0x50000)
    cpu.smi()
    assert cpu.run(100) == STOP_HLT and cpu.in_smm
    assert cpu.get_seg("cs")["base"] == 0x50000 and cpu.eip == 0x8001
    assert dword(mem, 0x58000 + 0x7EF8) == 0x50000


def test_auto_halt_restart_cleared_continues_after_the_hlt():
    mem, cpu, events = smm_cpu()
    halted_in_pmode(mem, cpu, "hlt; mov eax, 0x1234; hlt")
    handler(mem, "mov ebx, 0x3ff02; mov word ptr [ebx], 0; rsm")
    cpu.smi()
    assert cpu.run(100) == STOP_HLT
    assert cpu.get_reg("eax") == 0x1234 and cpu.eip == 0x1007


def test_smi_without_hlt_saves_a_clear_auto_halt_flag():
    mem, cpu, events = smm_cpu()
    mem.load(0x1000, asm16("inc cx; jmp 0x1000", 0x1000))
    cpu.load_seg_real("cs", 0)
    cpu.eip = 0x1000
    assert cpu.run(101) != STOP_HLT
    handler(mem, "hlt")
    cpu.smi()
    assert cpu.run(100) == STOP_HLT and cpu.in_smm
    assert mem.read(MAP + 0x7F02, 2) == b"\x00\x00"
    assert dword(mem, MAP + 0x7FF0) in (0x1000, 0x1001)


def test_smi_and_nmi_wait_while_in_smm():
    mem, cpu, events = smm_cpu()
    set_vector(mem, 2, 0, 0x3000)
    mem.load(0x3000, asm16("mov dx, 0x22; hlt", 0x3000))
    mem.load(0x1000, asm16("hlt", 0x1000))
    cpu.load_seg_real("cs", 0)
    cpu.load_seg_real("ss", 0)
    cpu.set_reg("esp", 0x8000)
    cpu.eip = 0x1000
    assert cpu.run(100) == STOP_HLT
    handler(mem, "hlt; rsm")
    cpu.smi()
    assert cpu.run(100) == STOP_HLT and cpu.in_smm
    cpu.smi()                                          # latched until RSM
    cpu.nmi()                                          # blocked until RSM
    assert cpu.run(100) == STOP_HLT and cpu.in_smm and cpu.eip == 0x8001
    cpu.halted = False                                 # on to the RSM
    # RSM, then the latched SMI at once (SMI ranks above NMI)
    assert cpu.run(100) == STOP_HLT and cpu.eip == 0x8001
    assert events == [True, False, True]
    cpu.halted = False
    assert cpu.run(100) == STOP_HLT                    # RSM, then the NMI handler
    assert not cpu.in_smm and cpu.get_reg("edx") & 0xFFFF == 0x22


def test_rsm_to_an_impossible_state_shuts_down():
    mem, cpu, events = smm_cpu()
    halted_in_pmode(mem, cpu)
    # CR0.PG without PE
    handler(mem, "mov ebx, 0x3fffc; mov dword ptr [ebx], 0x80000010; rsm")
    cpu.smi()
    assert cpu.run(100) == STOP_TRIPLE


def test_reset_leaves_smm_and_restores_smbase():
    mem, cpu, events = smm_cpu()
    halted_in_pmode(mem, cpu)
    handler(mem, "mov ebx, 0x3fef8; mov dword ptr [ebx], 0x50000; rsm")
    cpu.smi()
    cpu.run(100)
    handler(mem, "hlt", smbase=0x50000)
    cpu.smi()
    cpu.run(100)
    assert cpu.in_smm and cpu.smbase == 0x50000
    cpu.smi()
    cpu.reset()
    assert not cpu.in_smm and events[-1] is False
    assert cpu.smbase == SMBASE and not cpu.smi_pending


def test_init_keeps_smbase():
    mem, cpu, events = smm_cpu()
    halted_in_pmode(mem, cpu)
    handler(mem, "mov ebx, 0x3fef8; mov dword ptr [ebx], 0x50000; rsm")
    cpu.smi()
    cpu.run(100)
    cpu.init()
    assert cpu.smbase == 0x50000
