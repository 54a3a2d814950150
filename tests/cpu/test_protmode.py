"""Protected-mode mechanics, hand-written scenarios: segment loads, call gates,
interrupts and IRET across privilege levels, task switches, virtual-8086 mode, the I/O
permission bitmap, double and triple faults, and the descriptor instructions.

Each scenario is a small program built with keystone and run from a CPU put straight
into protected mode by tests/cpu/pmkit.py; fault catchers record vector, error code and
the exception frame, so the assertions see exactly what the handler would.
"""
import struct

import pytest

from tests.cpu.pmkit import (
    CALL32, CODE0, CODE3, DATA_RW, GDT, INT16, INT32, LDT, RESULT, SEL_CODE0,
    SEL_CODE3, SEL_DATA0, SEL_DATA3, SEL_TSS0, SEL_TSS1, SEL_TSS2, STACK0, STACK3,
    STOP_HLT, STOP_TRIPLE, TASK_GATE, TRAP32, TSS0, TSS1, TSS2, TSS32, PMachine, far, gate,
    seg, sysdesc, tss16, tss32)

R = RESULT
F_CF, F_IF, F_NT, F_VM = 0x1, 0x200, 0x4000, 0x20000
EXC_DF, EXC_NP, EXC_SS, EXC_GP, EXC_UD = 8, 11, 12, 13, 6


def run_to_hlt(m, budget=10000):
    stop = m.run(budget)
    assert stop == STOP_HLT, m.cpu.dump()


# ---- data segment loads ---------------------------------------------------------------
def seg_machine():
    m = PMachine()
    m.set_gdt(8, seg(0, 0xFFFFF, DATA_RW, present=0))            # 0x40 not present
    m.set_gdt(9, seg(0, 0xFFFFF, 0x8))                           # 0x48 execute-only code
    m.set_gdt(10, seg(0x40000, 0xFFFFF, DATA_RW))                # 0x50 DPL 0, not accessed
    m.set_gdt(11, seg(0, 0xFFFFF, 0x0))                          # 0x58 read-only data
    m.set_gdt(12, seg(0, 0xFFFFF, DATA_RW, dpl=3, present=0))    # 0x60 not present, DPL 3
    return m


@pytest.mark.parametrize("sreg, sel, vec, err", [
    ("ds", 0x40, EXC_NP, 0x40),       # not present: #NP(selector)
    ("ds", 0x48, EXC_GP, 0x48),       # execute-only code is not readable
    ("es", 0x53, EXC_GP, 0x50),       # RPL 3 > DPL 0; the error code drops the RPL
    ("ds", 0x108, EXC_GP, 0x108),     # index beyond the GDT limit
    ("gs", 0x0C, EXC_GP, 0x0C),       # TI = 1 with a null LDTR
    ("ss", 0x58, EXC_GP, 0x58),       # SS must be writable
    ("ss", 0x40, EXC_SS, 0x40),       # SS not present: #SS, not #NP
    ("ss", 0x23, EXC_GP, 0x20),       # SS RPL/DPL 3 at CPL 0
    ("ss", 0x00, EXC_GP, 0x00),       # null SS
    ("fs", 0x63, EXC_NP, 0x60),
])
def test_segment_load_faults(sreg, sel, vec, err):
    m = seg_machine()
    end = m.code(CODE0, f"mov eax, {sel:#x}\nmov {sreg}, ax\nhlt")
    m.start(CODE0, ds=SEL_DATA0)
    before = m.cpu.get_seg(sreg)
    run_to_hlt(m)
    v, e, frame = m.caught()
    assert (v, e) == (vec, err)
    assert frame[0] == end - 4                      # EIP of the MOV Sreg (3 bytes + HLT)
    assert m.cpu.get_seg(sreg) == before            # nothing loaded


def test_segment_load_sets_accessed_and_cache():
    m = seg_machine()
    m.code(CODE0, "mov eax, 0x50\nmov ds, ax\nmov ebx, [0x10]\nhlt")
    m.mem.load(0x40010, struct.pack("<I", 0xCAFEF00D))
    m.start(CODE0, ds=SEL_DATA0)
    run_to_hlt(m)
    assert m.cpu.get_reg("ebx") == 0xCAFEF00D       # base 0x1000 is used
    assert m.gdt_entry(10)[1] & 0x100               # accessed bit written back
    assert m.cpu.get_seg("ds") == dict(sel=0x50, base=0x40000, limit=0xFFFFF, ar=0x4093,
                                       valid=True)


def test_null_data_segment_loads_then_faults_on_use():
    m = seg_machine()
    end = m.code(CODE0, "xor eax, eax\nmov ds, ax\nmov ebx, [0x10]\nhlt")
    m.start(CODE0, ds=SEL_DATA0)
    run_to_hlt(m)
    v, e, frame = m.caught()
    assert (v, e) == (EXC_GP, 0)
    assert frame[0] == end - 7                      # the MOV EBX, [0x10] (6 bytes)
    assert m.cpu.get_seg("ds")["sel"] == 0 and not m.cpu.get_seg("ds")["valid"]


def test_ldt_selector_loads_from_ldt():
    m = seg_machine()
    ldt_base = 0x6000
    m.mem.load(ldt_base + 8, seg(0x7000, 0xFFF, DATA_RW, dpl=3))
    m.set_gdt(13, sysdesc(ldt_base, 0xF, LDT))                   # 0x68
    m.mem.load(0x7004, struct.pack("<I", 0x12345678))
    m.code(CODE0, "mov eax, 0x68\nlldt ax\nmov eax, 0x0F\nmov ds, ax\nmov ebx, [4]\n"
                  "sldt ecx\nhlt")
    m.start(CODE0, ds=SEL_DATA0)
    run_to_hlt(m)
    assert m.cpu.get_reg("ebx") == 0x12345678
    assert m.cpu.get_reg("ecx") == 0x68
    assert m.cpu.get_seg("ldtr")["base"] == ldt_base


# ---- call gates and far RET ---------------------------------------------------------------
def test_call_gate_ring3_to_ring0_with_parameters_and_retf_back():
    m = PMachine()
    target = CODE0 + 0x400
    m.set_gdt(7, gate(SEL_CODE0, target, CALL32, dpl=3, params=3))   # 0x38
    ring0 = f"""
        mov dword ptr [{R + 0x200:#x}], esp
        mov eax, cs
        mov dword ptr [{R + 0x204:#x}], eax
        mov eax, ss
        mov dword ptr [{R + 0x208:#x}], eax
    """ + "".join(f"mov eax, [esp + {4 * k}]\nmov dword ptr [{R + 0x220 + 4 * k:#x}], eax\n"
                  for k in range(7)) + f"""
        mov eax, {SEL_DATA0}
        mov ds, ax
        mov eax, 0x600DF00D
        retf 12
    """
    m.code(target, ring0)
    after_call = m.code(CODE3, "push 0xA1\npush 0xB2\npush 0xC3\n" + far("call", 0x3B, 0))
    hlt_at = m.code(after_call, f"""
        mov dword ptr ss:[{R + 0x100:#x}], esp
        mov dword ptr ss:[{R + 0x104:#x}], eax
        mov ebx, ds
        mov dword ptr ss:[{R + 0x108:#x}], ebx
        mov ebx, es
        mov dword ptr ss:[{R + 0x10C:#x}], ebx
        mov ebx, cs
        mov dword ptr ss:[{R + 0x110:#x}], ebx
    """)
    m.code(hlt_at, "hlt")
    m.code(CODE0, m.to_ring3(CODE3))
    m.start(CODE0)
    run_to_hlt(m)
    # in ring 0: the stack from the TSS, old SS:ESP, the parameters copied in order,
    # then the return address
    assert m.dword(R + 0x200) == STACK0 - 28
    assert m.dword(R + 0x204) == SEL_CODE0
    assert m.dword(R + 0x208) == SEL_DATA0
    frame = [m.dword(R + 0x220 + 4 * k) for k in range(7)]
    assert frame == [after_call, SEL_CODE3 | 3, 0xC3, 0xB2, 0xA1, STACK3 - 12, SEL_DATA3 | 3]
    # back in ring 3: parameters released, DS (DPL 0) nulled, ES (DPL 3) kept
    assert m.dword(R + 0x100) == STACK3
    assert m.dword(R + 0x104) == 0x600DF00D
    assert m.dword(R + 0x108) == 0
    assert m.dword(R + 0x10C) == SEL_DATA3 | 3
    assert m.dword(R + 0x110) == SEL_CODE3 | 3
    v, e, fr = m.caught()                          # ring-3 HLT: #GP(0)
    assert (v, e) == (EXC_GP, 0)
    assert fr[:5] == [hlt_at, SEL_CODE3 | 3, fr[2], STACK3, SEL_DATA3 | 3]
    assert m.gdt_entry(1)[1] & 0x100               # CS descriptor marked accessed


def test_far_jump_to_other_ring_code_is_gp():
    m = PMachine()
    end = m.code(CODE0, far("jmp", SEL_CODE3, CODE3) + "\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    v, e, fr = m.caught()
    assert (v, e, fr[0]) == (EXC_GP, SEL_CODE3, end - 8)


def test_call_gate_with_dpl_below_cpl_is_gp():
    m = PMachine()
    m.set_gdt(7, gate(SEL_CODE0, CODE0, CALL32, dpl=0))
    after = m.code(CODE3, far("call", 0x3B, 0))
    m.code(after, "hlt")
    m.code(CODE0, m.to_ring3(CODE3))
    m.start(CODE0)
    run_to_hlt(m)
    v, e, fr = m.caught()
    assert (v, e, fr[0]) == (EXC_GP, 0x38, CODE3)


# ---- interrupts and IRET -------------------------------------------------------------------
def test_int_from_ring3_switches_stack_and_iret_returns():
    m = PMachine()
    handler = CODE0 + 0x400
    m.set_idt(0x40, gate(SEL_CODE0, handler, INT32, dpl=3))
    m.code(handler, f"""
        pushfd
        pop eax
        mov dword ptr [{R + 0x200:#x}], eax
        mov dword ptr [{R + 0x204:#x}], esp
    """ + "".join(f"mov eax, [esp + {4 * k}]\nmov dword ptr [{R + 0x210 + 4 * k:#x}], eax\n"
                  for k in range(5)) + "mov ebx, 0x5678\niretd\n")
    after_int = m.code(CODE3, "mov ebx, 0x1234\nstc\nint 0x40")
    hlt_at = m.code(after_int, f"""
        mov dword ptr [{R + 0x100:#x}], esp
        mov dword ptr [{R + 0x104:#x}], ebx
        pushfd
        pop eax
        mov dword ptr [{R + 0x108:#x}], eax
    """)
    m.code(hlt_at, "hlt")
    m.code(CODE0, m.to_ring3(CODE3, eflags=0x202))
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x200) & F_IF == 0          # interrupt gate cleared IF
    assert m.dword(R + 0x204) == STACK0 - 20       # ring-0 stack from the TSS
    frame = [m.dword(R + 0x210 + 4 * k) for k in range(5)]
    assert frame == [after_int, SEL_CODE3 | 3, 0x203, STACK3, SEL_DATA3 | 3]
    assert m.dword(R + 0x100) == STACK3
    assert m.dword(R + 0x104) == 0x5678
    assert m.dword(R + 0x108) & (F_IF | F_CF) == F_IF | F_CF
    v, e, fr = m.caught()
    assert (v, fr[0], fr[1]) == (EXC_GP, hlt_at, SEL_CODE3 | 3)


def test_trap_gate_keeps_if_interrupt_gate_clears_it():
    m = PMachine()
    for vec, typ, slot in ((0x41, TRAP32, 0), (0x42, INT32, 4)):
        h = CODE0 + 0x400 + 0x40 * slot
        m.set_idt(vec, gate(SEL_CODE0, h, typ))
        m.code(h, f"pushfd\npop eax\nmov dword ptr [{R + 0x200 + slot:#x}], eax\niretd")
    m.code(CODE0, "sti\nint 0x41\nint 0x42\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x200) & F_IF
    assert not m.dword(R + 0x204) & F_IF
    assert m.cpu.eflags & F_IF                     # restored by IRET


def test_16bit_interrupt_gate_pushes_words():
    m = PMachine()
    h = 0xC000                                     # a 16-bit gate has a 16-bit offset
    m.set_idt(0x44, gate(SEL_CODE0, h, INT16))
    m.code(h, f"mov dword ptr [{R + 0x200:#x}], esp\nmov eax, [esp]\n"
              f"mov dword ptr [{R + 0x204:#x}], eax\nmov eax, [esp + 4]\n"
              f"mov dword ptr [{R + 0x208:#x}], eax\niret")     # 66 CF: 16-bit IRET
    main = 0xB000                                  # and IRET returns to a 16-bit IP
    after = m.code(main, "int 0x44")
    m.code(after, "mov ecx, esp\nhlt")
    m.start(main)
    run_to_hlt(m)
    assert m.dword(R + 0x200) == STACK0 - 6
    assert m.dword(R + 0x204) == (SEL_CODE0 << 16) | after
    assert m.dword(R + 0x208) & 0xFFFF == 0x0002
    assert m.cpu.get_reg("ecx") == STACK0


class OneIRQ:
    def __init__(self, vec):
        self.vec = vec

    def ack(self):
        v, self.vec = self.vec, -1
        return v


@pytest.mark.parametrize("case", ["gate_cs_beyond_gdt", "gate_not_present", "soft_int_dpl",
                                  "soft_int_beyond_idt", "hw_int_beyond_idt"])
def test_error_codes_with_idt_and_ext_bits(case):
    m = PMachine()
    ring3 = False
    if case == "gate_cs_beyond_gdt":
        m.set_idt(EXC_UD, gate(0x100, CODE0, INT32))
        code, want = "ud2", (EXC_GP, 0x101)                       # EXT: caused by #UD
    elif case == "gate_not_present":
        m.set_idt(EXC_UD, gate(SEL_CODE0, CODE0, INT32, present=0))
        code, want = "ud2", (EXC_NP, EXC_UD * 8 + 2 + 1)          # IDT + EXT
    elif case == "soft_int_dpl":
        m.set_idt(0x43, gate(SEL_CODE0, CODE0, INT32, dpl=0))
        code, want, ring3 = "int 0x43", (EXC_GP, 0x43 * 8 + 2), True
    elif case == "soft_int_beyond_idt":
        m.idt_limit = 0x80 * 8 - 1
        code, want = "int 0x80", (EXC_GP, 0x80 * 8 + 2)
    else:
        m.idt_limit = 0x80 * 8 - 1
        m.cpu.intc = OneIRQ(0x90)
        code, want = "sti\nnop\nnop", (EXC_GP, 0x90 * 8 + 2 + 1)
    if ring3:
        m.code(CODE3, code + "\nhlt")
        m.code(CODE0, m.to_ring3(CODE3))
    else:
        m.code(CODE0, code + "\nhlt")
    m.start(CODE0)
    m.cpu.set_intr(case == "hw_int_beyond_idt")
    run_to_hlt(m)
    v, e, _ = m.caught()
    assert (v, e) == want


# ---- task switches -------------------------------------------------------------------------
def task_machine(task2_code, eflags2=0x3):
    """TSS1 (selector 0x30) describes a second task starting at CODE0 + 0x800."""
    m = PMachine()
    m.set_gdt(6, sysdesc(TSS1, 0x67, TSS32))
    m.mem.load(TSS1, tss32(eip=CODE0 + 0x800, eflags=eflags2,
                           regs=dict(eax=0xAAAA0001, ebx=0xBBBB0002, esp=0x60000),
                           segs=dict(cs=SEL_CODE0, ss=SEL_DATA0, ds=SEL_DATA3 | 3,
                                     es=SEL_DATA3 | 3, fs=0, gs=SEL_DATA0)))
    m.code(CODE0 + 0x800, task2_code)
    return m


def tss_field(m, base, off):
    return m.dword(base + off)


def test_task_switch_by_jmp_and_back():
    t2 = f"""
        mov dword ptr [{R + 0x10:#x}], eax
        mov dword ptr [{R + 0x14:#x}], ebx
        mov dword ptr [{R + 0x18:#x}], esp
        pushfd
        pop ecx
        mov dword ptr [{R + 0x1C:#x}], ecx
        str ecx
        mov dword ptr [{R + 0x20:#x}], ecx
        mov ecx, dword ptr [{GDT + 5 * 8 + 4:#x}]
        mov dword ptr [{R + 0x24:#x}], ecx
        mov ecx, gs
        mov dword ptr [{R + 0x28:#x}], ecx
        mov eax, 0x33333333
    """
    m = task_machine(t2)
    t2_jmp = m.code(CODE0 + 0x800, t2)
    t2_after = m.code(t2_jmp, far("jmp", SEL_TSS0, 0))
    after = m.code(CODE0, "mov eax, 0x11111111\nmov esi, 0x22222222\n" + far("jmp", SEL_TSS1, 0))
    m.code(after, f"mov dword ptr [{R + 0x40:#x}], eax\nmov dword ptr [{R + 0x44:#x}], esi\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    # inside task 2: its registers, no NT (JMP does not nest), TR, old TSS not busy
    assert m.dword(R + 0x10) == 0xAAAA0001
    assert m.dword(R + 0x14) == 0xBBBB0002
    assert m.dword(R + 0x18) == 0x60000
    assert m.dword(R + 0x1C) & (F_NT | F_CF) == F_CF
    assert m.dword(R + 0x20) == SEL_TSS1
    assert (m.dword(R + 0x24) >> 8) & 0xF == TSS32
    assert m.dword(R + 0x28) == SEL_DATA0
    # back in task 1 where it left off, with its registers from TSS0
    assert m.dword(R + 0x40) == 0x11111111
    assert m.dword(R + 0x44) == 0x22222222
    assert m.cpu.get_seg("tr")["sel"] == SEL_TSS0
    assert m.gdt_type(5) == 0xB and m.gdt_type(6) == TSS32
    # task 2's state was saved into TSS1; no back link was written
    assert tss_field(m, TSS1, 0x20) == t2_after
    assert tss_field(m, TSS1, 0x28) == 0x33333333
    assert tss_field(m, TSS1, 0x0) == 0
    assert tss_field(m, TSS0, 0x20) == after
    assert m.cpu.get_cr(0) & 0x8                   # CR0.TS


def test_task_switch_by_call_and_iret():
    t2 = f"""
        pushfd
        pop ecx
        mov dword ptr [{R + 0x10:#x}], ecx
        mov ecx, dword ptr [{TSS1:#x}]
        mov dword ptr [{R + 0x14:#x}], ecx
        mov ecx, dword ptr [{GDT + 5 * 8 + 4:#x}]
        mov dword ptr [{R + 0x18:#x}], ecx
        mov ecx, dword ptr [{GDT + 6 * 8 + 4:#x}]
        mov dword ptr [{R + 0x1C:#x}], ecx
        mov eax, 0x44444444
        iretd
    """
    m = task_machine(t2)
    after = m.code(CODE0, "mov eax, 0x11111111\n" + far("call", SEL_TSS1, 0))
    m.code(after, f"mov dword ptr [{R + 0x40:#x}], eax\npushfd\npop ecx\n"
                  f"mov dword ptr [{R + 0x44:#x}], ecx\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x10) & F_NT                # nested task
    assert m.dword(R + 0x14) == SEL_TSS0           # back link
    assert (m.dword(R + 0x18) >> 8) & 0xF == 0xB   # both busy while nested
    assert (m.dword(R + 0x1C) >> 8) & 0xF == 0xB
    # IRET returned to task 1 right after the CALL
    assert m.dword(R + 0x40) == 0x11111111
    assert not m.dword(R + 0x44) & F_NT
    assert m.gdt_type(6) == TSS32                  # IRET freed task 2
    assert m.gdt_type(5) == 0xB
    assert tss_field(m, TSS1, 0x24) & F_NT == 0    # saved without NT
    assert tss_field(m, TSS1, 0x28) == 0x44444444
    assert m.cpu.get_seg("tr")["sel"] == SEL_TSS0


def test_task_gate_in_idt_for_int_and_for_exception_with_error_code():
    t2 = f"""
        mov ecx, dword ptr [{TSS1:#x}]
        mov dword ptr [{R + 0x14:#x}], ecx
        iretd
    """
    m = task_machine(t2)
    m.set_idt(0x60, gate(SEL_TSS1, 0, TASK_GATE))
    # #GP goes to a third task (TSS2, selector 0x38) that records its error code
    m.set_gdt(7, sysdesc(TSS2, 0x67, TSS32))
    t3 = CODE0 + 0xA00
    m.mem.load(TSS2, tss32(eip=t3, eflags=2, regs=dict(esp=0x64000),
                           segs=dict(cs=SEL_CODE0, ss=SEL_DATA0, ds=SEL_DATA0)))
    m.code(t3, f"pop eax\nmov dword ptr [{R + 0x50:#x}], eax\n"
               f"mov dword ptr [{R + 0x54:#x}], esp\nhlt")
    m.set_idt(EXC_GP, gate(SEL_TSS2, 0, TASK_GATE))
    after = m.code(CODE0, "int 0x60")
    fault_at = m.code(after, f"mov dword ptr [{R + 0x40:#x}], 1\n")
    m.code(fault_at, "mov eax, 0x1238\nmov ds, ax\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x14) == SEL_TSS0           # task gate: back link like CALL
    assert m.dword(R + 0x40) == 1                  # IRET came back after INT
    assert m.dword(R + 0x50) == 0x1238             # error code on the new task's stack
    assert m.dword(R + 0x54) == 0x64000
    assert tss_field(m, TSS0, 0x20) == fault_at + 5    # faulting MOV DS (after MOV EAX)
    assert tss_field(m, TSS2, 0) == SEL_TSS0
    assert m.cpu.eflags & F_NT


def test_task_switch_to_bad_ss_raises_ts_in_new_task():
    m = task_machine("hlt")
    m.mem.load(TSS1 + 0x50, struct.pack("<I", SEL_DATA3 | 3))   # SS DPL 3 for a CPL-0 task
    # the new task's segments are unusable, so #TS goes to a task of its own
    m.set_gdt(7, sysdesc(TSS2, 0x67, TSS32))
    t3 = CODE0 + 0xA00
    m.mem.load(TSS2, tss32(eip=t3, eflags=2, regs=dict(esp=0x64000),
                           segs=dict(cs=SEL_CODE0, ss=SEL_DATA0, ds=SEL_DATA0)))
    m.code(t3, f"pop eax\nmov dword ptr [{R + 0x50:#x}], eax\nhlt")
    m.set_idt(10, gate(SEL_TSS2, 0, TASK_GATE))
    m.code(CODE0, far("jmp", SEL_TSS1, 0))
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x50) == SEL_DATA3          # #TS(SS selector)
    assert tss_field(m, TSS2, 0) == SEL_TSS1       # raised while in task 2 ...
    assert tss_field(m, TSS1, 0x20) == CODE0 + 0x800   # ... at its first instruction
    assert tss_field(m, TSS1, 0x50) == SEL_DATA3 | 3
    assert m.gdt_type(5) == TSS32                  # the JMP had freed task 1


def test_jmp_to_busy_tss_is_gp():
    m = task_machine("hlt")
    m.code(CODE0, far("jmp", SEL_TSS0, 0) + "\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    v, e, fr = m.caught()
    assert (v, e, fr[0]) == (EXC_GP, SEL_TSS0, CODE0)


def test_task_switch_to_16bit_tss_and_back():
    m = PMachine()
    t2 = 0xB000                                    # IP is 16 bits in a 286 TSS
    m.set_gdt(6, sysdesc(TSS1, 0x2B, 0x1))         # available 16-bit TSS
    m.mem.load(TSS1, tss16(ip=t2, flags=0x0001, regs=dict(ax=0x1111, sp=0x6000),
                           segs=dict(cs=SEL_CODE0, ss=SEL_DATA0, ds=SEL_DATA3 | 3,
                                     es=SEL_DATA3 | 3)))
    t2_jmp = m.code(t2, f"mov dword ptr [{R + 0x10:#x}], eax\n"
                        f"mov dword ptr [{R + 0x14:#x}], esp\nmov ecx, fs\n"
                        f"mov dword ptr [{R + 0x18:#x}], ecx\nmov eax, 0x12345678\n")
    t2_after = m.code(t2_jmp, far("jmp", SEL_TSS0, 0))
    after = m.code(CODE0, "mov eax, 0xCAFE\n" + far("jmp", SEL_TSS1, 0))
    m.code(after, f"mov dword ptr [{R + 0x40:#x}], eax\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x10) == 0xFFFF1111         # upper halves: all ones
    assert m.dword(R + 0x14) == 0xFFFF6000
    assert m.dword(R + 0x18) == 0                  # no FS in a 16-bit TSS
    assert m.dword(R + 0x40) == 0xCAFE
    assert m.word(TSS1 + 0x0E) == t2_after         # IP saved in the 16-bit layout
    assert m.word(TSS1 + 0x12) == 0x5678           # AX
    assert m.gdt_type(6) == 0x1


# ---- virtual-8086 mode ---------------------------------------------------------------------
V86_CS, V86_SS, V86_DS, V86_ES, V86_FS, V86_GS = 0x0800, 0x0900, 0x0500, 0x0600, 0x0A00, 0x0B00


def enter_v86(eflags):
    """Ring-0 code that IRETs into v8086 mode at V86_CS:0 with SP 0x800."""
    return "".join(f"push {v:#x}\n" for v in (V86_GS, V86_FS, V86_DS, V86_ES, V86_SS, 0x800,
                                               eflags, V86_CS, 0)) + "iretd\n"


def test_v86_int_to_ring0_and_back_then_gp():
    m = PMachine()
    h = CODE0 + 0x400
    m.set_idt(0x30, gate(SEL_CODE0, h, INT32, dpl=3))
    m.code(h, "".join(f"mov eax, [esp + {4 * k}]\nmov dword ptr ss:[{R + 0x100 + 4 * k:#x}], eax\n"
                      for k in range(9)) +
           f"mov eax, ds\nmov dword ptr ss:[{R + 0x130:#x}], eax\n"
           f"mov dword ptr ss:[{R + 0x134:#x}], esp\nmov ebx, 0x77\niretd")
    base = V86_CS << 4
    v86 = m.code(base, "mov ax, 0x1234\nmov [0x10], ax\nint 0x30", bits=16)
    after_int = v86 - base
    iret_target = 0x40
    m.code(v86, f"mov [0x12], bx\nmov cx, 0x4321\npushf\npush cs\nmov ax, {iret_target:#x}\n"
                "push ax\niret", bits=16)
    hlt_at = m.code(base + iret_target, "mov [0x14], cx\nmov [0x16], sp", bits=16)
    m.code(hlt_at, "hlt", bits=16)
    m.code(CODE0, enter_v86(F_VM | 0x3000 | F_IF | 2))
    m.start(CODE0)
    run_to_hlt(m)
    frame = [m.dword(R + 0x100 + 4 * k) for k in range(9)]
    assert frame[0:2] == [after_int, V86_CS]
    assert frame[2] & (F_VM | 0x3000 | F_IF) == F_VM | 0x3000 | F_IF
    assert frame[3:] == [0x800, V86_SS, V86_ES, V86_DS, V86_FS, V86_GS]
    assert m.dword(R + 0x130) == 0                 # data segments nulled in ring 0
    assert m.dword(R + 0x134) == STACK0 - 36
    ds = V86_DS << 4
    assert m.word(ds + 0x10) == 0x1234
    assert m.word(ds + 0x12) == 0x77               # EBX from the handler, after IRETD
    assert m.word(ds + 0x14) == 0x4321             # reached via the v8086 IRET
    assert m.word(ds + 0x16) == 0x800              # that IRET popped its frame
    v, e, fr = m.caught()                          # HLT at CPL 3: #GP(0) to ring 0
    assert (v, e) == (EXC_GP, 0)
    assert fr[0:2] == [hlt_at - base, V86_CS]
    assert fr[2] & F_VM
    assert fr[3:] == [0x800, V86_SS, V86_ES, V86_DS, V86_FS, V86_GS]


def test_v86_int_with_iopl0_is_gp_emulated_by_ring0_then_lar_is_ud():
    m = PMachine()
    # a minimal v8086 monitor: #GP handler skips the 2-byte INT n and returns
    mon = CODE0 + 0x400
    m.set_idt(EXC_GP, gate(SEL_CODE0, mon, INT32))
    m.code(mon, f"pop eax\nmov dword ptr ss:[{R + 0x100:#x}], eax\n"
                f"mov eax, [esp]\nmov dword ptr ss:[{R + 0x104:#x}], eax\n"
                f"mov eax, [esp + 8]\nmov dword ptr ss:[{R + 0x108:#x}], eax\n"
                "add dword ptr [esp], 2\nmov ebx, 0x99\niretd")
    base = V86_CS << 4
    after = m.code(base, "int 0x30\nmov [0x20], bx", bits=16)
    m.code(after, "lar ax, bx", bits=16)
    m.code(CODE0, enter_v86(F_VM | 2))
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x100) == 0                 # #GP(0) for INT n at IOPL 0
    assert m.dword(R + 0x104) == 0                 # at the INT instruction
    assert m.dword(R + 0x108) & F_VM
    assert m.word((V86_DS << 4) + 0x20) == 0x99    # IRETD went back to v8086 mode
    v, _, fr = m.caught()                          # LAR: #UD in v8086 mode
    assert (v, fr[0], fr[1]) == (EXC_UD, after - base, V86_CS)
    assert fr[2] & F_VM


# ---- I/O permission bitmap -----------------------------------------------------------------
@pytest.mark.parametrize("insn, port, size, iopl, allowed", [
    ("in al, 0x60", 0x60, 1, 0, True),
    ("in al, 0x61", 0x61, 1, 0, False),
    ("in ax, 0x63", 0x63, 2, 0, False),      # 0x63 is allowed but 0x64 is not
    ("in al, 0x78", 0x78, 1, 0, True),       # last bitmap byte, second byte within limit
    ("in al, 0x80", 0x80, 1, 0, False),      # its second byte is beyond the TSS limit
    ("in al, 0x61", 0x61, 1, 3, True),       # CPL <= IOPL: no bitmap check
])
def test_io_bitmap_at_cpl3(insn, port, size, iopl, allowed):
    m = PMachine()
    bitmap = bytearray(b"\xff" * 16)
    bitmap[0x60 >> 3] &= ~(1 << 0) & ~(1 << 3) & 0xFF         # ports 0x60 and 0x63
    bitmap[0x78 >> 3] = 0x00                                   # ports 0x78..0x7F
    bitmap += b"\x00"                                          # byte 16 (ports 0x80..)
    m.mem.load(TSS0, tss32(stacks=[(SEL_DATA0, STACK0)], iomap=0x68) + bytes(bitmap))
    m.set_gdt(5, sysdesc(TSS0, 0x68 + 16, TSS32))
    hlt_at = m.code(CODE3, insn)
    m.code(hlt_at, "hlt")
    m.code(CODE0, m.to_ring3(CODE3, eflags=0x2 | (iopl << 12)))
    m.start(CODE0)
    run_to_hlt(m)
    v, e, fr = m.caught()
    assert (v, e) == (EXC_GP, 0)
    if allowed:
        assert m.io.log == [("in", port, size)]
        assert fr[0] == hlt_at
    else:
        assert m.io.log == []
        assert fr[0] == CODE3


# ---- double and triple faults ---------------------------------------------------------------
def test_double_fault_when_gp_gate_missing():
    m = PMachine()
    m.set_idt(EXC_GP, gate(SEL_CODE0, CODE0, INT32, present=0))
    fault_at = m.code(CODE0, "mov eax, 0x1238\n")
    m.code(fault_at, "mov ds, ax\nhlt")
    m.start(CODE0)
    run_to_hlt(m)
    v, e, fr = m.caught()
    assert (v, e) == (EXC_DF, 0)
    assert fr[0:2] == [fault_at, SEL_CODE0]


def test_triple_fault_when_df_gate_missing_too():
    m = PMachine()
    m.set_idt(EXC_GP, gate(SEL_CODE0, CODE0, INT32, present=0))
    m.set_idt(EXC_DF, gate(SEL_CODE0, CODE0, INT32, present=0))
    m.code(CODE0, "mov eax, 0x1238\nmov ds, ax\nhlt")
    m.start(CODE0)
    assert m.run(1000) == STOP_TRIPLE
    assert m.dword(R) == 0xFFFFFFFF                # no catcher ran


# ---- descriptor instructions ----------------------------------------------------------------
def test_descriptor_instructions_at_cpl0():
    m = PMachine()
    m.set_gdt(6, sysdesc(TSS1, 0x67, TSS32))
    m.set_idt(0x50, gate(SEL_CODE0, CODE0, INT32))
    m.code(CODE0, f"""
        mov ebx, {SEL_DATA3 | 3}
        lar eax, ebx
        mov dword ptr [{R + 0x100:#x}], eax
        lsl eax, ebx
        mov dword ptr [{R + 0x104:#x}], eax
        mov ebx, {SEL_TSS0}
        lsl eax, ebx
        mov dword ptr [{R + 0x108:#x}], eax
        mov eax, 0x0BAD
        mov ebx, 0x100
        lar eax, ebx
        mov dword ptr [{R + 0x10C:#x}], eax
        mov eax, {SEL_CODE0}
        verr ax
        setz byte ptr [{R + 0x110:#x}]
        verw ax
        setz byte ptr [{R + 0x111:#x}]
        mov eax, {SEL_DATA0}
        verw ax
        setz byte ptr [{R + 0x112:#x}]
        mov eax, {SEL_TSS1}
        ltr ax
        str ecx
        mov dword ptr [{R + 0x114:#x}], ecx
        mov eax, {SEL_DATA0}
        mov ebx, {SEL_DATA3 | 3}
        arpl ax, bx
        setz byte ptr [{R + 0x118:#x}]
        mov dword ptr [{R + 0x11C:#x}], eax
        arpl ax, bx
        setz byte ptr [{R + 0x119:#x}]
        hlt
    """)
    m.start(CODE0)
    run_to_hlt(m)
    assert m.dword(R + 0x100) == m.gdt_entry(4)[1] & 0x00FFFF00
    assert m.dword(R + 0x104) == 0xFFFFFFFF
    assert m.dword(R + 0x108) == 0x67
    assert m.dword(R + 0x10C) == 0x0BAD            # beyond the GDT: ZF=0, unchanged
    assert m.mem.read(R + 0x110, 3) == b"\x01\x00\x01"
    assert m.dword(R + 0x114) == SEL_TSS1
    assert m.gdt_type(6) == 0xB                    # LTR marks the TSS busy
    assert m.mem.read(R + 0x118, 2) == b"\x01\x00"
    assert m.dword(R + 0x11C) == SEL_DATA0 | 3


def test_descriptor_instructions_respect_cpl():
    m = PMachine()
    m.code(CODE3, f"""
        mov ebx, {SEL_DATA0}
        mov eax, 0x0BAD
        lar eax, ebx
        setz byte ptr [{R + 0x100:#x}]
        mov dword ptr [{R + 0x104:#x}], eax
        mov eax, {SEL_DATA3 | 3}
        verw ax
        setz byte ptr [{R + 0x101:#x}]
        lldt ax
    """)
    m.code(CODE0, m.to_ring3(CODE3))
    m.mem.load(R + 0x100, b"\xff\xff")
    m.start(CODE0)
    run_to_hlt(m)
    assert m.mem.read(R + 0x100, 2) == b"\x00\x01"
    assert m.dword(R + 0x104) == 0x0BAD
    v, e, _ = m.caught()
    assert (v, e) == (EXC_GP, 0)                   # LLDT at CPL 3
