"""The intercept point the virtualization layer builds on (cpu/intercept.pxi)."""
from tests.cpu.realmode import STOP_HLT, STOP_TRIPLE, asm16, machine, run_at, set_vector


def hook(cpu, reasons, take=True):
    seen = []

    def cb(reason, qual):
        seen.append((reason, qual))
        return take(reason, qual) if callable(take) else take
    cpu.set_intercepts(reasons, cb)
    return seen


def test_taken_cpuid_has_no_effect_of_its_own():
    mem, cpu, _ = machine()
    seen = hook(cpu, ["cpuid"])
    assert run_at(cpu, mem, "mov eax, 1\nxor ebx, ebx\ncpuid\nhlt") == STOP_HLT
    assert seen == [("cpuid", 1)]
    assert (cpu.get_reg("eax"), cpu.get_reg("ebx")) == (1, 0)


def test_observed_cpuid_still_executes():
    mem, cpu, _ = machine()
    seen = hook(cpu, ["cpuid"], take=False)
    assert run_at(cpu, mem, "xor eax, eax\ncpuid\nhlt") == STOP_HLT
    assert seen == [("cpuid", 0)]
    assert cpu.get_reg("ebx") == int.from_bytes(b"Genu", "little")


def test_io_qualification_and_taken_out_skips_the_bus():
    mem, cpu, io = machine()
    seen = hook(cpu, ["io"], take=lambda r, q: q & 0xFFFF == 0x80)
    src = "mov al, 7\nout 0x80, al\nmov dx, 0x3f8\nmov ax, 5\nout dx, ax\nin al, 0x61\nhlt"
    assert run_at(cpu, mem, src) == STOP_HLT
    assert seen == [("io", 0x80 | 1 << 16), ("io", 0x3F8 | 2 << 16), ("io", 0x61 | 1 << 16 | 1 << 20)]
    assert io.writes == [(0x3F8, 5, 2)]


def test_string_io_is_seen_once_per_instruction():
    mem, cpu, io = machine()
    seen = hook(cpu, ["io"], take=False)
    src = "mov si, 0x600\nmov cx, 3\nmov dx, 0xe9\nrep outsb\nhlt"
    assert run_at(cpu, mem, src) == STOP_HLT
    assert seen == [("io", 0xE9 | 1 << 16 | 1 << 21)]
    assert len(io.writes) == 3


def test_taken_hlt_does_not_halt():
    mem, cpu, _ = machine()
    hook(cpu, ["hlt"], take=lambda r, q: cpu.get_reg("ecx") == 0)
    assert run_at(cpu, mem, "xor cx, cx\nhlt\ninc cx\nhlt") == STOP_HLT
    assert cpu.get_reg("ecx") == 1


def test_exceptions_and_software_interrupts_are_reported_with_their_vectors():
    mem, cpu, _ = machine()
    # #UD handler: step over the 2-byte UD2 and return; INT 21h handler: return
    mem.load(0x2000, asm16("push bp\nmov bp, sp\nadd word ptr [bp+2], 2\npop bp\niret", 0x2000))
    mem.load(0x2100, bytes((0xCF,)))
    set_vector(mem, 6, 0, 0x2000)
    set_vector(mem, 0x21, 0, 0x2100)
    seen = hook(cpu, ["exception", "soft_int"], take=False)
    assert run_at(cpu, mem, "ud2\nint 0x21\nhlt") == STOP_HLT
    assert seen == [("exception", 6), ("soft_int", 0x21)]


def test_taken_shutdown_replaces_the_triple_fault():
    mem, cpu, _ = machine()
    seen = hook(cpu, ["shutdown"])
    stop = run_at(cpu, mem, "int3\nhlt", budget=1000, setup=lambda c: c.set_dtr("idtr", 0, 0))
    assert stop != STOP_TRIPLE
    assert seen and seen[0] == ("shutdown", 0)
    cpu.set_intercepts([], None)
    assert run_at(cpu, mem, "int3\nhlt", setup=lambda c: c.set_dtr("idtr", 0, 0)) == STOP_TRIPLE
