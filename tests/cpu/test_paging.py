"""Paging and the TLB (Intel SDM vol. 3A, ch. 4): page walks through CPU.translate,
and programs running with paging enabled (TLB use, invalidation, self-modifying code)."""
import struct

import pytest
from keystone import KS_ARCH_X86, KS_MODE_32, Ks

from cpu.interp import CPU, PageFault
from emu.memory import Memory

STOP_HLT = 2
READ, WRITE, FETCH = 0, 1, 2
P, RW, US, A, D, PS, G = 1, 2, 4, 0x20, 0x40, 0x80, 0x100
XD = 1 << 63
CR0_PE, CR0_ET, CR0_WP, CR0_PG = 1, 0x10, 0x10000, 0x80000000
CR4_PSE, CR4_PAE, CR4_PGE = 0x10, 0x20, 0x80
PF_P, PF_W, PF_U, PF_RSVD, PF_I = 1, 2, 4, 8, 16

PD = 0x10000              # 32-bit paging: page directory
PDPT = 0x20000            # PAE: page-directory-pointer table (4 PDs follow it)
CODE = 0x1000
STACK_TOP = 0x8000

_ks = Ks(KS_ARCH_X86, KS_MODE_32)


def asm(src, addr):
    return bytes(_ks.asm(src, addr)[0])


def rd32(mem, a):
    return struct.unpack("<I", mem.read(a, 4))[0]


def rd64(mem, a):
    return struct.unpack("<Q", mem.read(a, 8))[0]


class Tables:
    """Page tables built in guest RAM; page tables are allocated from 0x30000 up."""

    def __init__(self, mem, pae=False):
        self.mem = mem
        self.pae = pae
        self.next_pt = 0x30000
        if pae:
            for k in range(4):
                self.w64(PDPT + 8 * k, (PDPT + 0x1000 * (k + 1)) | P)

    def w32(self, a, v):
        self.mem.load(a, struct.pack("<I", v))

    def w64(self, a, v):
        self.mem.load(a, struct.pack("<Q", v))

    def pde_addr(self, lin):
        if self.pae:
            return PDPT + 0x1000 * ((lin >> 30) + 1) + 8 * ((lin >> 21) & 0x1FF)
        return PD + 4 * (lin >> 22)

    def _entry(self, a):
        return rd64(self.mem, a) if self.pae else rd32(self.mem, a)

    def _set(self, a, v):
        (self.w64 if self.pae else self.w32)(a, v)

    def pte_addr(self, lin):
        """Address of lin's PTE, creating the page table (P RW US) if needed."""
        pa = self.pde_addr(lin)
        pde = self._entry(pa)
        if not pde & P:
            pde = self.next_pt | P | RW | US
            self.next_pt += 0x1000
            self._set(pa, pde)
        if self.pae:
            return (pde & 0xFFFFFF000) + 8 * ((lin >> 12) & 0x1FF)
        return (pde & 0xFFFFF000) + 4 * ((lin >> 12) & 0x3FF)

    def map(self, lin, phys, flags=P | RW):
        self._set(self.pte_addr(lin), phys | flags)

    def map_large(self, lin, phys, flags=P | RW):
        self._set(self.pde_addr(lin), phys | flags | PS)

    def pde(self, lin):
        return self._entry(self.pde_addr(lin))

    def set_pde_flags(self, lin, flags):
        """Replace the low flag bits (0-11) of lin's PDE."""
        a = self.pde_addr(lin)
        self._set(a, (self._entry(a) & ~0xFFF) | flags)

    def pte(self, lin):
        return self._entry(self.pte_addr(lin))

    def identity(self, start, end, flags=P | RW):
        for a in range(start, end, 0x1000):
            self.map(a, a, flags)


def machine(pae=False, cr4=0, ram=16 << 20):
    mem = Memory(ram)
    cpu = CPU(mem)
    cpu.set_seg("cs", 0x08, 0, 0xFFFFFFFF, 0xC09B)
    for s in ("ds", "es", "ss", "fs", "gs"):
        cpu.set_seg(s, 0x10, 0, 0xFFFFFFFF, 0xC093)
    cpu.set_reg("esp", STACK_TOP)
    t = Tables(mem, pae)
    cpu.set_cr(3, PDPT if pae else PD)
    cpu.set_cr(4, cr4 | (CR4_PAE if pae else 0))
    return mem, cpu, t


def paging_on(cpu, wp=False):
    cpu.set_cr(0, CR0_PE | CR0_ET | CR0_PG | (CR0_WP if wp else 0))


def run(cpu, mem, src, budget=10000):
    mem.load(CODE, asm(src, CODE))
    cpu.eip = CODE
    cpu.halted = False
    r = cpu.run(budget)
    assert r == STOP_HLT, (r, cpu.dump())


def fault(cpu, lin, access, user=False):
    with pytest.raises(PageFault) as e:
        cpu.translate(lin, access, user)
    return e.value.cr2, e.value.error_code


# ---------------------------------------------------------------------------------
# 32-bit paging

def test_translate_without_paging_is_identity():
    mem, cpu, t = machine()
    assert cpu.translate(0x12345678, READ, False) == 0x12345678


def test_not_present():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, 0)             # page table present, PTE not
    paging_on(cpu)
    assert fault(cpu, 0x00400123, READ) == (0x00400123, 0)
    assert fault(cpu, 0x00400123, WRITE, user=True) == (0x00400123, PF_W | PF_U)
    assert fault(cpu, 0x00400123, FETCH) == (0x00400123, 0)   # no I bit without NXE
    assert fault(cpu, 0x80000000, READ) == (0x80000000, 0)    # PDE not present
    assert cpu.get_cr(2) == 0, "translate() must not change CR2"


def test_read_only_page():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, P | US)         # user, read-only
    paging_on(cpu)
    assert cpu.translate(0x00400010, READ, True) == 0x5010
    assert fault(cpu, 0x00400010, WRITE, user=True) == (0x00400010, PF_P | PF_W | PF_U)
    # supervisor writes ignore R/W unless CR0.WP
    assert cpu.translate(0x00400010, WRITE, False) == 0x5010
    paging_on(cpu, wp=True)
    assert fault(cpu, 0x00400010, WRITE) == (0x00400010, PF_P | PF_W)


def test_read_only_in_pde_applies_to_all_its_pages():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, P | RW | US)
    t.set_pde_flags(0x00400000, P | US)
    paging_on(cpu)
    assert fault(cpu, 0x00400000, WRITE, user=True) == (0x00400000, PF_P | PF_W | PF_U)


def test_user_access_to_supervisor_page():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, P | RW)         # PTE supervisor
    t.map(0x00800000, 0x6000, P | RW | US)
    t.set_pde_flags(0x00800000, P | RW)       # PDE supervisor
    paging_on(cpu)
    assert cpu.translate(0x00400004, READ, False) == 0x5004
    assert fault(cpu, 0x00400004, READ, user=True) == (0x00400004, PF_P | PF_U)
    assert fault(cpu, 0x00400004, FETCH, user=True) == (0x00400004, PF_P | PF_U)
    assert fault(cpu, 0x00800004, WRITE, user=True) == (0x00800004, PF_P | PF_W | PF_U)


def test_accessed_and_dirty_bits():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, P | RW)
    paging_on(cpu)
    assert not t.pde(0x00400000) & A and not t.pte(0x00400000) & (A | D)
    cpu.translate(0x00400000, READ, False)
    assert t.pde(0x00400000) & (A | D) == A
    assert t.pte(0x00400000) & (A | D) == A
    cpu.translate(0x00400000, WRITE, False)
    assert t.pte(0x00400000) & (A | D) == A | D
    assert not t.pde(0x00400000) & D, "D is only set in the entry that maps the page"


def test_faulting_write_sets_no_dirty_bit():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, P | A)          # read-only
    paging_on(cpu, wp=True)
    fault(cpu, 0x00400000, WRITE)
    assert not t.pte(0x00400000) & D


def test_pse_4mib_pages():
    mem, cpu, t = machine(cr4=CR4_PSE)
    t.map_large(0x00800000, 0x00C00000, P | RW | US)
    paging_on(cpu)
    assert cpu.translate(0x00812345, READ, True) == 0x00C12345
    assert t.pde(0x00800000) & (A | D) == A
    cpu.translate(0x00BFFFFC, WRITE, True)
    assert t.pde(0x00800000) & (A | D) == A | D


def test_pse_bit_ignored_without_cr4_pse():
    mem, cpu, t = machine()
    # the PDE's frame is then a page table: entry 0x12 maps 0x00812000
    t.map_large(0x00800000, 0x00C00000, P | RW)
    t.w32(0x00C00000 + 4 * 0x12, 0x7000 | P | RW)
    paging_on(cpu)
    assert cpu.translate(0x00812345, READ, False) == 0x7345


def test_pse_reserved_bits():
    mem, cpu, t = machine(cr4=CR4_PSE)
    # no PSE-36: bits 21:13 of a 4 MiB PDE are reserved
    t.map_large(0x00800000, 0x00C00000 | (1 << 13), P | RW)
    paging_on(cpu)
    assert fault(cpu, 0x00800000, WRITE) == (0x00800000, PF_P | PF_W | PF_RSVD)


# ---------------------------------------------------------------------------------
# PAE paging

def enable_nxe(cpu, mem):
    """EFER.NXE through WRMSR (paging is still off)."""
    cpu.set_cr(0, CR0_PE | CR0_ET)
    run(cpu, mem, "mov ecx, 0xC0000080; rdmsr; or eax, 0x800; wrmsr; hlt")


def test_pae_4k_and_2m_pages():
    mem, cpu, t = machine(pae=True)
    t.map(0xC0001000, 0x9000, P | RW)
    t.map_large(0x40200000, 0x00600000, P | RW)
    t.map(0x00400000, 0x123456000, P | RW)   # above 4 GiB (MAXPHYADDR 36)
    paging_on(cpu)
    assert cpu.translate(0xC0001ABC, READ, False) == 0x9ABC
    assert cpu.translate(0x403FFFFF, WRITE, False) == 0x007FFFFF
    assert cpu.translate(0x00400008, READ, False) == 0x123456008
    assert t.pde(0x40200000) & (A | D) == A | D
    assert t.pte(0xC0001000) & (A | D) == A


def test_pae_pdpte_not_present():
    mem, cpu, t = machine(pae=True)
    t.w64(PDPT + 8 * 2, 0)
    paging_on(cpu)
    assert fault(cpu, 0x80000000, WRITE) == (0x80000000, PF_W)


def test_pae_reserved_bits():
    mem, cpu, t = machine(pae=True)
    t.map(0x00400000, 0x5000 | (1 << 40), P | RW)
    t.map(0x00401000, 0x5000 | XD, P | RW)     # XD is reserved while EFER.NXE = 0
    t.map_large(0x00600000, 0x00600000 | (1 << 13), P | RW)
    paging_on(cpu)
    assert fault(cpu, 0x00400000, READ) == (0x00400000, PF_P | PF_RSVD)
    assert fault(cpu, 0x00401000, WRITE, True) == (0x00401000, PF_P | PF_W | PF_U | PF_RSVD)
    assert fault(cpu, 0x00600000, READ) == (0x00600000, PF_P | PF_RSVD)
    # PDPTE bit 1 (R/W) is reserved in PAE mode
    t.w64(PDPT + 8 * 3, (PDPT + 0x4000) | P | RW)
    assert fault(cpu, 0xC0000000, READ) == (0xC0000000, PF_P | PF_RSVD)


def test_nx_fetch_fault():
    mem, cpu, t = machine(pae=True)
    t.identity(0, 0x40000)                      # code and tables
    t.map(0x00400000, 0x5000, P | RW | US | XD)
    t.map(0x00401000, 0x6000, P | RW | US)
    enable_nxe(cpu, mem)
    paging_on(cpu)
    assert cpu.translate(0x00400000, READ, True) == 0x5000
    assert fault(cpu, 0x00400000, FETCH, True) == (0x00400000, PF_P | PF_U | PF_I)
    assert fault(cpu, 0x00400000, FETCH) == (0x00400000, PF_P | PF_I)
    # with NXE the I bit also marks fetches from not-present pages
    assert fault(cpu, 0x00402000, FETCH) == (0x00402000, PF_I)
    assert cpu.translate(0x00401000, FETCH, True) == 0x6000
    # XD in the PDE covers every page below it
    t.set_pde_flags(0x00400000, P | RW | US)
    pde_addr = t.pde_addr(0x00400000)
    t.w64(pde_addr, t.pde(0x00400000) | XD)
    assert fault(cpu, 0x00401000, FETCH) == (0x00401000, PF_P | PF_I)


def test_nx_prevents_execution_but_not_data_access():
    mem, cpu, t = machine(pae=True)
    t.identity(0, 0x40000)
    t.map(0x00400000, 0x5000, P | RW | XD)
    enable_nxe(cpu, mem)
    paging_on(cpu)
    mem.load(0x5000, b"\xf4")                   # HLT, never executed
    run(cpu, mem, "mov eax, [0x00400000]; hlt")
    assert cpu.get_reg("eax") & 0xFF == 0xF4


# ---------------------------------------------------------------------------------
# A20

def test_a20_masking_without_paging():
    mem, cpu, t = machine()
    cpu.set_a20(False)
    assert cpu.translate(0x00123456, READ, False) == 0x00023456
    cpu.set_a20(True)
    assert cpu.translate(0x00123456, READ, False) == 0x00123456


def test_a20_masking_with_paging():
    mem, cpu, t = machine(pae=True)
    t.map(0x00400000, 0x00105000, P | RW)
    t.map(0x00401000, 0x123505000, P | RW)
    paging_on(cpu)
    assert cpu.translate(0x00400004, READ, False) == 0x00105004
    cpu.set_a20(False)
    assert cpu.translate(0x00400004, READ, False) == 0x00005004
    # only bit 20 is masked, physical bits 32-35 stay
    assert cpu.translate(0x00401004, READ, False) == 0x123405004


def test_a20_masks_data_access_through_tlb():
    mem, cpu, t = machine()
    t.identity(0, 0x40000)
    t.map(0x00400000, 0x00105000, P | RW)
    paging_on(cpu)
    mem.load(0x00105000, struct.pack("<I", 0x11111111))
    mem.load(0x00005000, struct.pack("<I", 0x22222222))
    run(cpu, mem, "mov eax, [0x00400000]; hlt")
    assert cpu.get_reg("eax") == 0x11111111
    cpu.set_a20(False)                         # flushes the TLB
    run(cpu, mem, "mov eax, [0x00400000]; hlt")
    assert cpu.get_reg("eax") == 0x22222222


# ---------------------------------------------------------------------------------
# Programs under paging: the TLB, its invalidation, self-modifying code

LIN = 0x40000000           # remapped page used by the programs
FRAME_A, FRAME_B = 0x9000, 0xA000


def program_machine(pae=False, cr4=0, global_page=False):
    mem, cpu, t = machine(pae=pae, cr4=cr4)
    t.identity(0, 0x40000)                     # code, stack, page tables
    t.map(LIN, FRAME_A, P | RW | (G if global_page else 0))
    mem.load(FRAME_A, struct.pack("<I", 0xAAAAAAAA))
    mem.load(FRAME_B, struct.pack("<I", 0xBBBBBBBB))
    paging_on(cpu)
    return mem, cpu, t


@pytest.mark.parametrize("pae", [False, True])
def test_program_through_remapped_page(pae):
    mem, cpu, t = program_machine(pae=pae)
    mem.load(FRAME_A + 0x20, struct.pack("<I", 0x12345678))
    run(cpu, mem, f"""
        mov dword ptr [{LIN + 0x10:#x}], 0xCAFEBABE
        mov eax, [{LIN + 0x20:#x}]
        mov ebx, [{LIN + 0x10:#x}]
        push 0x55
        pop ecx
        hlt""")
    assert rd32(mem, FRAME_A + 0x10) == 0xCAFEBABE
    assert cpu.get_reg("eax") == 0x12345678
    assert cpu.get_reg("ebx") == 0xCAFEBABE
    assert cpu.get_reg("ecx") == 0x55
    assert t.pte(LIN) & (A | D) == A | D
    assert t.pte(CODE) & (A | D) == A, "code page fetched, not written"


def swap_program(flush):
    """Read LIN, point its PTE at FRAME_B, `flush`, read again."""
    return lambda pte: f"""
        mov eax, [{LIN:#x}]
        mov dword ptr [{pte:#x}], {FRAME_B | P | RW | G:#x}
        {flush}
        mov ebx, [{LIN:#x}]
        invlpg [{LIN:#x}]
        mov edx, [{LIN:#x}]
        hlt"""


@pytest.mark.parametrize("pae", [False, True])
def test_stale_tlb_until_invalidated(pae):
    mem, cpu, t = program_machine(pae=pae)
    run(cpu, mem, swap_program("nop")(t.pte_addr(LIN)))
    # the TLB still holds the old translation until INVLPG
    assert cpu.get_reg("eax") == 0xAAAAAAAA
    assert cpu.get_reg("ebx") == 0xAAAAAAAA
    assert cpu.get_reg("edx") == 0xBBBBBBBB


@pytest.mark.parametrize("pae", [False, True])
def test_cr3_reload_flushes_non_global(pae):
    mem, cpu, t = program_machine(pae=pae, cr4=CR4_PGE)
    run(cpu, mem, swap_program("mov ecx, cr3; mov cr3, ecx")(t.pte_addr(LIN)))
    assert cpu.get_reg("ebx") == 0xBBBBBBBB


@pytest.mark.parametrize("pae", [False, True])
def test_global_page_survives_cr3_reload_not_invlpg(pae):
    mem, cpu, t = program_machine(pae=pae, cr4=CR4_PGE, global_page=True)
    run(cpu, mem, swap_program("mov ecx, cr3; mov cr3, ecx")(t.pte_addr(LIN)))
    assert cpu.get_reg("ebx") == 0xAAAAAAAA
    assert cpu.get_reg("edx") == 0xBBBBBBBB


def test_global_bit_needs_cr4_pge():
    mem, cpu, t = program_machine(global_page=True)
    run(cpu, mem, swap_program("mov ecx, cr3; mov cr3, ecx")(t.pte_addr(LIN)))
    assert cpu.get_reg("ebx") == 0xBBBBBBBB


def test_toggling_cr4_pge_flushes_global_pages():
    mem, cpu, t = program_machine(cr4=CR4_PGE, global_page=True)
    run(cpu, mem, swap_program(
        "mov ecx, cr4; and ecx, 0xFFFFFF7F; mov cr4, ecx; or ecx, 0x80; mov cr4, ecx")(
        t.pte_addr(LIN)))
    assert cpu.get_reg("ebx") == 0xBBBBBBBB


def test_invlpg_drops_whole_large_page():
    """A 4 MiB page is cached in 4 KiB pieces; INVLPG of one must drop them all."""
    mem, cpu, t = machine(cr4=CR4_PSE)
    t.identity(0, 0x40000)
    t.map_large(0x00800000, 0x00400000, P | RW)
    mem.load(0x00400000 + 0x3000, struct.pack("<I", 0xAAAAAAAA))
    mem.load(0x00C00000 + 0x3000, struct.pack("<I", 0xBBBBBBBB))
    paging_on(cpu)
    run(cpu, mem, f"""
        mov eax, [0x00803000]
        mov dword ptr [{t.pde_addr(0x00800000):#x}], {0x00C00000 | P | RW | PS:#x}
        invlpg [0x00800000]
        mov ebx, [0x00803000]
        hlt""")
    assert cpu.get_reg("eax") == 0xAAAAAAAA
    assert cpu.get_reg("ebx") == 0xBBBBBBBB


def test_write_to_clean_page_cached_by_read_sets_dirty():
    mem, cpu, t = program_machine()
    run(cpu, mem, f"mov eax, [{LIN:#x}]; hlt")
    assert t.pte(LIN) & (A | D) == A
    run(cpu, mem, f"mov dword ptr [{LIN:#x}], 1; hlt")
    assert t.pte(LIN) & D


def test_write_protect_after_tlb_fill():
    """CR0.WP changes must not leave supervisor write rights cached in the TLB.

    The second write must fault. Protected-mode delivery is not part of this test
    (there is no IDT): the fault shows as CR2, unchanged memory and no HLT."""
    mem, cpu, t = program_machine()
    t.map(LIN, FRAME_A, P | A | D)             # read-only, already dirty
    run(cpu, mem, f"mov dword ptr [{LIN:#x}], 1; hlt")    # allowed: WP = 0
    assert rd32(mem, FRAME_A) == 1
    mem.load(CODE, asm(f"""
        mov eax, cr0
        or eax, {CR0_WP:#x}
        mov cr0, eax
        mov dword ptr [{LIN:#x}], 2
        hlt""", CODE))
    cpu.eip = CODE
    cpu.halted = False
    assert cpu.run(100) != STOP_HLT
    assert cpu.get_cr(2) == LIN
    assert rd32(mem, FRAME_A) == 1


def test_self_modifying_code_through_alias():
    """Code patches an instruction it already executed through another linear
    address of the same physical page; the next execution runs the new bytes."""
    mem, cpu, t = program_machine()
    alias = 0x50000000
    t.map(alias, CODE, P | RW)                 # second mapping of the code page
    head = asm("xor ebx, ebx; mov ecx, 2", CODE)
    again = CODE + len(head)
    loop = asm(f"""
        mov eax, 1
        add ebx, eax
        mov dword ptr [{alias + again + 1 - CODE:#x}], 5
        dec ecx
        jnz {again:#x}""", again)
    patch_at = again + len(loop)
    ahead = patch_at + 7                       # C6 05 disp32 imm8
    patch = asm(f"mov byte ptr [{alias + ahead - CODE:#x}], 0x43", patch_at)
    assert len(patch) == 7
    code = head + loop + patch + asm("nop; hlt", ahead)
    mem.load(CODE, code)
    cpu.eip = CODE
    assert cpu.run(1000) == STOP_HLT
    # first pass adds 1, the second adds the patched immediate; then INC EBX
    assert cpu.get_reg("ebx") == 1 + 5 + 1


def test_translate_from_a_device_callback_keeps_the_run_loop_intact():
    """A device (or debugger) callback may translate in the middle of cpu_run; a #PF
    raised later by the program must still reach the run loop. There is no IDT, so
    the program's fault shows as CR2 and no HLT."""
    mem, cpu, t = program_machine()
    unmapped = 0x70000000

    class Io:
        faults = []

        def port_read(self, port, size):
            return 0

        def port_write(self, port, value, size):
            try:
                cpu.translate(unmapped + 4, READ, False)
            except PageFault as e:
                self.faults.append((e.cr2, e.error_code))

    cpu.io = Io()
    mem.load(CODE, asm(f"out 0x80, al; mov eax, [{unmapped:#x}]; hlt", CODE))
    cpu.eip = CODE
    assert cpu.run(100) != STOP_HLT
    assert Io.faults == [(unmapped + 4, 0)]
    assert cpu.get_cr(2) == unmapped


def test_access_crossing_into_mmio_is_split_for_the_device():
    """Devices see 1, 2 or 4 byte accesses: the 3-byte MMIO part of a dword that
    crosses from RAM into an MMIO page arrives as single bytes."""
    mem, cpu, t = machine()
    cpu.set_cr(0, CR0_PE | CR0_ET)

    class Dev:
        log = []

        def mmio_read(self, addr, size):
            self.log.append(("r", addr, size))
            return 0xA0 + (addr & 0xF)

        def mmio_write(self, addr, value, size):
            self.log.append(("w", addr, value, size))

    mmio = 16 << 20                            # just above RAM
    mem.map_mmio(mmio, 0x1000, Dev())
    mem.load(mmio - 1, b"\x11")
    run(cpu, mem, f"mov dword ptr [{mmio - 1:#x}], 0x44332211; mov eax, [{mmio - 1:#x}]; hlt")
    assert Dev.log == [("w", mmio, 0x22, 1), ("w", mmio + 1, 0x33, 1), ("w", mmio + 2, 0x44, 1),
                       ("r", mmio, 1), ("r", mmio + 1, 1), ("r", mmio + 2, 1)]
    assert cpu.get_reg("eax") == 0xA2A1A011


def test_read_virt_goes_through_paging():
    mem, cpu, t = machine()
    t.map(0x00400000, 0x5000, P | RW)
    mem.load(0x5FFF, b"\x11")
    mem.load(0x6000, b"\x22")
    t.map(0x00401000, 0x6000, P | RW)
    paging_on(cpu)
    assert cpu.read_virt("ds", 0x00400FFF, 2) == 0x2211      # crosses into the next page
    with pytest.raises(PageFault):
        cpu.read_virt("ds", 0x00800000, 1)


@pytest.mark.parametrize("body, esp_back", [
    # a fault in the middle of a decoded block: ESP and EIP are those of the faulting
    # instruction, whatever the instructions before it in the block did to ESP
    ("push eax; push eax; mov eax, [{bad:#x}]", STACK_TOP - 8),
    # instructions that move ESP before they fault (cpu/loop.pxi keep_esp)
    ("push eax; push eax; pop dword ptr [{bad:#x}]", STACK_TOP - 8),
    ("push eax; mov esp, {edge:#x}; pushad", None),
    ("push eax; enter 8, 0; mov eax, [{bad:#x}]", STACK_TOP - 16),
    ("mov ebp, 0x8000; mov esp, {edge:#x}; enter 8, 3", None),
])
def test_fault_in_a_block_restores_esp_and_eip(body, esp_back):
    """No IDT here: the fault ends in a shutdown, which leaves the faulting
    instruction's state (restored before delivery was attempted) to look at."""
    mem, cpu, t = program_machine()
    bad = 0x70000000
    edge = 0x80000 + 8            # a stack page whose page below is not mapped
    t.map(0x80000, 0x80000, P | RW)
    src = body.format(bad=bad, edge=edge) + "; hlt"
    lines = src.split("; ")
    mem.load(CODE, asm(src, CODE))
    faulting = CODE + len(asm("; ".join(lines[:-2]), CODE)) if len(lines) > 2 else CODE
    cpu.eip = CODE
    assert cpu.run(100) != STOP_HLT
    assert cpu.eip == faulting
    assert cpu.get_reg("esp") == (edge if esp_back is None else esp_back)
