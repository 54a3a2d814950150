"""The debug architecture (Intel SDM vol. 3A ch. 17, MOV SS shadow 6.8.3): DR0-DR3
instruction, data and I/O breakpoints, DR6 reporting, the resume flag, single step and
the TSS T bit. General detect (DR7.GD) is in tests/cpu/test_system.py.

Each test runs 32-bit protected-mode code (tests/cpu/pmkit.py) with a #DB handler that
logs every debug exception (frame EIP and EFLAGS, DR6, which it then clears) and
returns with RF set in the frame, as a debugger does to go on past a breakpoint."""
import struct

from tests.cpu.pmkit import (PMachine, CODE0, RESULT, TSS1, TSS32, SEL_CODE0, SEL_DATA0,
                             SEL_TSS1, INT32, STOP_HLT, asm, far, gate, sysdesc, tss32)

HANDLER = CODE0 + 0x4000
DBLOG = RESULT + 0x100          # count, then (EIP, EFLAGS, DR6) per #DB
DATA = RESULT + 0x800           # watched data
F_TF, F_RF = 0x100, 0x10000
DR6_BS, DR6_BT = 0x4000, 0x8000
CR4_DE = 0x8
SET_TF = f"pushfd\nor dword ptr [esp], {F_TF:#x}\npopfd"
CLEAR_TF = f"pushfd\nand dword ptr [esp], {~F_TF & 0xFFFFFFFF:#x}\npopfd"


def dr7(n, rw=0, ln=0, enable=1):
    """DR7 bits enabling DRn (enable 1: Ln, 2: Gn) with its R/W and LEN fields."""
    return (enable << (2 * n)) | (rw << (16 + 4 * n)) | (ln << (18 + 4 * n))


def machine(set_rf=True):
    m = PMachine()
    rf = f"or dword ptr [esp + 16], {F_RF:#x}\n" if set_rf else ""
    m.code(HANDLER, f"""push eax
        push ecx
        mov ecx, dword ptr ss:[{DBLOG:#x}]
        imul ecx, ecx, 12
        mov eax, dword ptr [esp + 8]
        mov dword ptr ss:[{DBLOG + 4:#x} + ecx], eax
        mov eax, dword ptr [esp + 16]
        mov dword ptr ss:[{DBLOG + 8:#x} + ecx], eax
        mov eax, dr6
        mov dword ptr ss:[{DBLOG + 12:#x} + ecx], eax
        xor eax, eax
        mov dr6, eax
        inc dword ptr ss:[{DBLOG:#x}]
        {rf}pop ecx
        pop eax
        iretd""")
    m.set_idt(1, gate(SEL_CODE0, HANDLER, INT32))
    m.mem.load(DBLOG, b"\0" * 4)
    return m


def run(m, text, eflags=2):
    """Run text at CODE0 (then HLT); returns the #DB log [(EIP, EFLAGS, DR6), ...]."""
    m.code(CODE0, text + "\nhlt")
    m.start(CODE0, ds=SEL_DATA0, eflags=eflags)
    assert m.run(10000) == STOP_HLT, m.cpu.dump()
    n = m.dword(DBLOG)
    return [struct.unpack("<3I", m.mem.read(DBLOG + 4 + 12 * k, 12)) for k in range(n)]


def setup_drs(*values, dr7_value, cr4=0):
    """Assembler text loading DR0.. with values, then CR4 and DR7."""
    text = "".join(f"mov eax, {v:#x}\nmov dr{n}, eax\n" for n, v in enumerate(values))
    if cr4:
        text += f"mov eax, {cr4:#x}\nmov cr4, eax\n"
    return text + f"mov eax, {dr7_value:#x}\nmov dr7, eax\n"


def end_of(text):
    """Address after the code text assembles to at CODE0."""
    return CODE0 + len(asm(text, CODE0))


# ---------------------------------------------------------------------------------
# Instruction breakpoints (17.3.1.1)

def test_instruction_breakpoint_is_a_fault_before_the_instruction():
    m = machine()
    target = CODE0 + 0x100
    m.code(target, "mov ebx, 0x1234\nhlt")
    log = run(m, setup_drs(target, dr7_value=dr7(0)) + f"jmp {target:#x}")
    assert len(log) == 1
    eip, eflags, dr6 = log[0]
    assert eip == target
    assert eflags & F_RF == 0                   # the only fault that pushes RF = 0
    assert dr6 & 0xF == 1                       # B0
    assert m.cpu.get_reg("ebx") == 0x1234       # ran after the handler set RF: no 2nd #DB


def test_resume_flag_suppresses_one_instruction_only():
    m = machine()
    target = CODE0 + 0x100
    m.code(target, f"inc ebx\ncmp ebx, 3\njb {target:#x}\nhlt")
    log = run(m, "xor ebx, ebx\n" + setup_drs(target, dr7_value=dr7(0, enable=2))
              + f"jmp {target:#x}")
    assert [e[0] for e in log] == [target] * 3   # each pass hits again: RF was cleared
    assert m.cpu.get_reg("ebx") == 3
    assert m.cpu.eflags & F_RF == 0


def test_instruction_breakpoint_with_len_not_zero_is_not_enabled():
    m = machine()
    target = CODE0 + 0x100
    m.code(target, "hlt")
    assert run(m, setup_drs(target, dr7_value=dr7(0, ln=3)) + f"jmp {target:#x}") == []


def test_instruction_breakpoint_in_a_handler_after_an_event():
    # a breakpoint on the first instruction of an INT handler fires before it runs
    m = machine()
    h = CODE0 + 0x200
    m.code(h, "mov ecx, 5\niretd")
    m.set_idt(0x40, gate(SEL_CODE0, h, INT32))
    log = run(m, setup_drs(h, dr7_value=dr7(0)) + "int 0x40")
    assert [e[0] for e in log] == [h]
    assert m.cpu.get_reg("ecx") == 5


def test_no_instruction_breakpoint_right_after_mov_ss():
    # POP SS / MOV SS inhibit the next instruction's breakpoint (17.3.1.1); the one
    # after that fires
    m = machine()
    body = "mov eax, 0x10\nmov ss, ax"
    setup = setup_drs(0, 0, dr7_value=dr7(0) | dr7(1))    # as long with any addresses
    target, later = end_of(setup + body), end_of(setup + body + "\nnop")
    log = run(m, setup_drs(target, later, dr7_value=dr7(0) | dr7(1)) + body + "\nnop\nnop")
    assert [(e[0], e[2] & 0xF) for e in log] == [(later, 0x2)]

def test_write_breakpoint_traps_after_writes_only():
    m = machine()
    pre = setup_drs(0, DATA, dr7_value=dr7(1, rw=1, ln=3))
    body = [f"mov eax, dword ptr [{DATA:#x}]",           # read: no #DB
            f"mov dword ptr [{DATA:#x}], eax",           # write: #DB after it
            "nop"]
    log = run(m, pre + "\n".join(body))
    after_write = end_of(pre + "\n".join(body[:2]))
    assert [(e[0], e[2] & 0xF) for e in log] == [(after_write, 0x2)]
    assert log[0][1] & F_RF == 0                # a trap: the program's RF, 0


def test_read_write_breakpoint_traps_after_reads():
    m = machine()
    pre = setup_drs(0, 0, DATA, dr7_value=dr7(2, rw=3, ln=3))
    body = f"mov eax, dword ptr [{DATA:#x}]"
    log = run(m, pre + body + "\nnop")
    assert [(e[0], e[2] & 0xF) for e in log] == [(end_of(pre + body), 0x4)]


def test_data_breakpoint_matches_any_overlap_of_the_aligned_range():
    # DR0 = DATA + 2 with LEN 4 covers DATA .. DATA+3 (the low address bits are ignored)
    accesses = {f"mov word ptr [{DATA - 1:#x}], ax": True,
                f"mov byte ptr [{DATA + 3:#x}], al": True,
                f"mov dword ptr [{DATA + 2:#x}], eax": True,     # straddles the end
                f"mov dword ptr [{DATA + 4:#x}], eax": False,
                f"mov dword ptr [{DATA - 4:#x}], eax": False,
                f"mov byte ptr [{DATA - 1:#x}], al": False}
    for insn, hit in accesses.items():
        m = machine()
        log = run(m, setup_drs(DATA + 2, dr7_value=dr7(0, rw=1, ln=3)) + insn)
        assert len(log) == hit, insn


def test_data_breakpoint_on_a_push_and_a_string_store():
    m = machine()
    slot = 0x7FFFC                              # where PUSH writes (ESP = 0x80000)
    log = run(m, setup_drs(slot, DATA, dr7_value=dr7(0, rw=1, ln=3) | dr7(1, rw=1))
              + f"push eax\nmov edi, {DATA - 4:#x}\nmov ecx, 4\ncld\nrep stosd\nnop")
    assert [e[2] & 0xF for e in log] == [0x1, 0x2]


def test_data_breakpoint_hits_of_a_faulting_instruction_are_dropped():
    # BOUND reads the watched bounds, then raises #BR: it did not complete, so only
    # the fault comes
    m = machine()
    log = run(m, setup_drs(DATA, dr7_value=dr7(0, rw=3, ln=3))
              + f"mov eax, 5\nbound eax, qword ptr [{DATA:#x}]")
    assert m.caught()[0] == 5
    assert log == []


def test_disabling_dr7_stops_data_breakpoints():
    m = machine()
    log = run(m, setup_drs(DATA, dr7_value=dr7(0, rw=1)) + "xor eax, eax\nmov dr7, eax\n"
              f"mov byte ptr [{DATA:#x}], al")
    assert log == []


# ---------------------------------------------------------------------------------
# I/O breakpoints (17.2.4: R/W = 10 with CR4.DE)

def test_io_breakpoints_need_cr4_de():
    m = machine()
    assert run(m, setup_drs(0x80, dr7_value=dr7(0, rw=2)) + "out 0x80, al") == []
    m = machine()
    pre = setup_drs(0x80, dr7_value=dr7(0, rw=2), cr4=CR4_DE)
    log = run(m, pre + "out 0x80, al\nnop")
    assert [(e[0], e[2] & 0xF) for e in log] == [(end_of(pre + "out 0x80, al"), 1)]


def test_io_breakpoints_match_port_ranges_and_string_io():
    m = machine()
    pre = setup_drs(0, 0, 0x3F8, dr7_value=dr7(2, rw=2, ln=1), cr4=CR4_DE)
    log = run(m, pre + "mov dx, 0x3F6\nin eax, dx\nmov dx, 0x3FA\nin al, dx\n"
              f"mov dx, 0x3F9\nmov edi, {DATA:#x}\ninsb\nnop")
    assert [e[2] & 0xF for e in log] == [0x4, 0x4]           # IN EAX (3F6-3F9), INSB 3F9


# ---------------------------------------------------------------------------------
# Single step, MOV SS (6.8.3), DR6 reporting

def test_single_step_is_held_back_by_mov_ss_but_not_by_sti():
    m = machine(set_rf=False)
    steps = ["mov eax, 0x10", "mov ss, ax", "nop", "cli", "sti", "nop", "nop"]
    log = run(m, SET_TF + "\n" + "\n".join(steps) + "\n" + CLEAR_TF)
    eips = [e[0] for e in log]
    ends = [end_of(SET_TF + "\n" + "\n".join(steps[:k + 1])) for k in range(len(steps))]
    # one trap per instruction, none after MOV SS; STI's shadow does not matter
    assert eips[:6] == [ends[0], ends[2], ends[3], ends[4], ends[5], ends[6]]
    assert all(e[2] & DR6_BS for e in log)


def test_data_breakpoint_and_single_step_share_one_debug_exception():
    m = machine(set_rf=False)
    pre = setup_drs(0, DATA, dr7_value=dr7(1, rw=1)) + SET_TF
    log = run(m, pre + f"\nmov byte ptr [{DATA:#x}], al\n" + CLEAR_TF)
    assert log[0][0] == end_of(pre + f"\nmov byte ptr [{DATA:#x}], al")
    assert log[0][2] & (DR6_BS | 0xF) == DR6_BS | 0x2


def test_data_breakpoint_on_pop_ss_is_held_back_one_instruction():
    m = machine()
    slot = 0x7FFFC
    # (the instruction after POP SS moves ESP so that the #DB frame misses the slot)
    pre = setup_drs(slot, dr7_value=dr7(0, rw=3, ln=3)) + "push 0x10\n.byte 0x17\nsub esp, 16"
    log = run(m, pre + "\nnop")
    # #DBs: the PUSH (a write), then POP SS's read, after the instruction after it
    assert [e[0] for e in log] == [end_of(setup_drs(slot, dr7_value=dr7(0, rw=3, ln=3))
                                              + "push 0x10"), end_of(pre)]


# ---------------------------------------------------------------------------------
# Faults push RF = 1 (17.3.1.1)

def test_fault_frames_have_rf_and_software_interrupts_do_not():
    m = PMachine()
    m.code(CODE0, "mov eax, 0x1238\nmov ds, ax\nhlt")
    m.start(CODE0)
    m.run(1000)
    v, e, frame = m.caught()
    assert (v, e) == (13, 0x1238) and frame[2] & F_RF
    m = PMachine()
    m.code(CODE0, "int 5\nhlt")                 # vector 5 through its catcher (gate DPL 0)
    m.start(CODE0)
    m.run(1000)
    v, _, frame = m.caught()
    assert v == 5 and frame[2] & F_RF == 0


# ---------------------------------------------------------------------------------
# Task switches: the T bit (7.2.1, 17.3.1.5), DR7 local enables (17.2.4)

def task_machine(t_bit):
    m = machine()
    m.set_gdt(6, sysdesc(TSS1, 0x67, TSS32))
    t = bytearray(tss32(eip=CODE0 + 0x800, eflags=2, regs=dict(esp=0x60000),
                        segs=dict(cs=SEL_CODE0, ss=SEL_DATA0, ds=SEL_DATA0)))
    struct.pack_into("<H", t, 0x64, t_bit)
    m.mem.load(TSS1, bytes(t))
    m.code(CODE0 + 0x800, "mov ebx, dr7\nhlt")
    return m


def test_t_bit_traps_before_the_new_tasks_first_instruction():
    m = task_machine(1)
    log = run(m, far("jmp", SEL_TSS1, 0))
    assert len(log) == 1
    eip, eflags, dr6 = log[0]
    assert eip == CODE0 + 0x800
    assert dr6 & (DR6_BT | DR6_BS) == DR6_BT
    assert m.dword(0x60000 - 12) == CODE0 + 0x800   # the frame is on the new task's stack
    assert run(task_machine(0), far("jmp", SEL_TSS1, 0)) == []


def test_task_switch_clears_the_local_breakpoint_enables():
    m = task_machine(0)
    run(m, setup_drs(DATA, DATA, dr7_value=dr7(0, rw=1) | dr7(1, rw=1, enable=2))
        + far("jmp", SEL_TSS1, 0))
    assert m.cpu.get_reg("ebx") == 0x400 | dr7(1, rw=1, enable=2) | dr7(0, rw=1, enable=0)
