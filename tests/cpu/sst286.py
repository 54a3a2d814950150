"""Runner for the SingleStepTests 80286 real-mode suite (../shared/testdata/sst286).

Each case loads registers and RAM, executes one instruction and the HLT after it (or
the exception handler's HLT), then compares registers, defined flags and memory.
"""
import gzip
import json
import pathlib

from cpu.interp import CPU
from emu.memory import Memory

SEGS = ("cs", "ss", "ds", "es")
GPRS = {"ax": "eax", "bx": "ebx", "cx": "ecx", "dx": "edx",
        "sp": "esp", "bp": "ebp", "si": "esi", "di": "edi"}
STOP_HLT = 2

# Where a real 286 and a P6-class CPU legitimately differ. Each entry: opcode form ->
# why. Cases of these forms are compared with the named flag bits masked.
FLAGS_12_15 = 0xF000
P6_DIFFERENCES = {
    # 286 real mode keeps IOPL/NT (bits 12-14) and bit 15 clear; a P6 loads them from
    # the popped image.
    "9D": ("POPF loads IOPL/NT on a P6", FLAGS_12_15),
    "CF": ("IRET loads IOPL/NT on a P6", FLAGS_12_15),
}


def _p6_rejects_lock(case):
    """A LOCK prefix the 286 ignores but a P6 answers with #UD (SDM: LOCK)."""
    from cpu.opcodes import TABLE
    b = case["bytes"]
    k = 0
    while b[k] in (0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x66, 0x67):
        k += 1
    if 0xF0 not in b[:k]:
        return False
    op = TABLE.get(b[k])
    if op is None or not op.modrm or (b[k + 1] >> 6) == 3:
        return True
    return not (op.lock if op.group is None else ((b[k + 1] >> 3) & 7) in op.lock)


def _split_prefixes(case):
    """(segment override byte or None, index of the opcode byte) of a case."""
    b = case["bytes"]
    k = 0
    seg = None
    while b[k] in (0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x66, 0x67):
        if b[k] in (0x26, 0x2E, 0x36, 0x3E):
            seg = b[k]
        k += 1
    return seg, k


def _overrun_fault(case):
    exc = case.get("exception")
    return exc is not None and exc["number"] == 13


def _286_ss_overrun_is_int13(case):
    """An SS-relative ModRM operand running past offset FFFF: the 286 raises INT 13 in
    real mode, a P6 raises #SS (SDM vol. 2, "Real-Address Mode Exceptions")."""
    from cpu.opcodes import TABLE
    if not _overrun_fault(case):
        return False
    seg, k = _split_prefixes(case)
    b, regs = case["bytes"], case["initial"]["regs"]
    op = TABLE.get(b[k])
    if op is None or not op.modrm or (b[k + 1] >> 6) == 3:
        return False
    mod, rm = b[k + 1] >> 6, b[k + 1] & 7
    if mod == 0 and rm == 6:
        ea, bp_based = b[k + 2] | (b[k + 3] << 8), False
    else:
        base = (("bx", "si"), ("bx", "di"), ("bp", "si"), ("bp", "di"), ("si",), ("di",),
                ("bp",), ("bx",))[rm]
        ea = sum(regs[r] for r in base)
        if mod == 1:
            ea += b[k + 2] - (0x100 if b[k + 2] & 0x80 else 0)
        elif mod == 2:
            ea += b[k + 2] | (b[k + 3] << 8)
        bp_based = "bp" in base
    ss = seg == 0x36 or (seg is None and bp_based)
    return ss and (ea & 0xFFFF) >= 0xFFFD


# bytes each stack-reading opcode reads from SS:SP (LEAVE reads at SS:BP)
STACK_READS = {0x07: 2, 0x17: 2, 0x1F: 2, 0x61: 16, 0x8F: 2, 0x9D: 2, 0xC2: 2, 0xC3: 2,
               0xCA: 4, 0xCB: 4, 0xCF: 6, **{0x58 + r: 2 for r in range(8)}}


def _286_stack_overrun_is_int13(case):
    """A stack read running past SS:FFFF: INT 13 on a 286, #SS on a P6 (as above)."""
    _, k = _split_prefixes(case)
    op, regs = case["bytes"][k], case["initial"]["regs"]
    if not _overrun_fault(case):
        return False
    if op == 0xC9:
        return regs["bp"] > 0xFFFE
    return op in STACK_READS and regs["sp"] + STACK_READS[op] > 0x10000


def _longer_than_10_bytes(case):
    """The 286 limits an instruction to 10 bytes (#GP beyond); a P6 allows 15."""
    return len(case["bytes"]) - 1 > 10 and case.get("exception") is not None


def _fs_gs_operand(case):
    """MOV to/from segment register 4 or 5: #UD on a 286, FS/GS on a 386 and later."""
    _, k = _split_prefixes(case)
    b = case["bytes"]
    return b[k] in (0x8C, 0x8E) and ((b[k + 1] >> 3) & 7) in (4, 5)


def _x87_escape(case):
    """The captured 286 had no coprocessor; a P6 always executes x87 instructions."""
    _, k = _split_prefixes(case)
    return 0xD8 <= case["bytes"][k] <= 0xDF


def _286_string_overrun_advances(case):
    """A word string instruction overrunning offset FFFF: the 286 advances SI/DI (and
    CX) before its INT 13; a P6 fault leaves them as they were (SDM vol. 3A, 6.5)."""
    _, k = _split_prefixes(case)
    return (_overrun_fault(case) and case["bytes"][k] in (0xA5, 0xA7, 0xAB, 0xAD, 0xAF, 0x6D, 0x6F)
            and ("si" in case["final"]["regs"] or "di" in case["final"]["regs"]))


# Cases skipped outright: (predicate, why).
SKIP_CASES = [
    (_p6_rejects_lock, "LOCK on a non-lockable instruction: ignored by a 286, #UD on a P6"),
    (_286_ss_overrun_is_int13, "SS operand past offset FFFF: INT 13 on a 286, #SS on a P6"),
    (_286_string_overrun_advances, "286 string overrun fault advances SI/DI; P6 faults are precise"),
    (_286_stack_overrun_is_int13, "stack read past SS:FFFF: INT 13 on a 286, #SS on a P6"),
    (_longer_than_10_bytes, "instruction over 10 bytes: #GP on a 286, legal up to 15 on a P6"),
    (_fs_gs_operand, "segment register 4/5: #UD on a 286, FS/GS on a P6"),
    (_x87_escape, "ESC opcodes: no coprocessor on the captured 286"),
]


class Suite:
    def __init__(self, root: pathlib.Path):
        self.root = root
        meta = json.loads((root / "metadata.json").read_text())
        self.opcodes = meta["opcodes"]
        self.mem = Memory(17 << 20)
        self.cpu = CPU(self.mem)

    def forms(self):
        return sorted(p.name[:-len(".json.gz")] for p in self.root.glob("*.json.gz"))

    def cases(self, form):
        with gzip.open(self.root / f"{form}.json.gz") as f:
            return json.load(f)

    def flags_mask(self, form):
        op, _, reg = form.partition(".")
        info = self.opcodes.get(op, {})
        if reg:
            info = info.get("reg", {}).get(reg, {})
        mask = info.get("flags-mask", 0xFFFF)
        if op in P6_DIFFERENCES:
            mask &= ~P6_DIFFERENCES[op][1]
        return mask

    @staticmethod
    def skip_reason(case):
        for pred, why in SKIP_CASES:
            if pred(case):
                return why
        return None

    def run(self, case, mask):
        """Execute one case; returns a list of mismatch descriptions (empty = pass)."""
        cpu, mem = self.cpu, self.mem
        init = case["initial"]
        regs = init["regs"]
        for addr, val in init["ram"]:
            mem.load(addr, bytes((val,)))
        cpu.reset()
        for r16, r32 in GPRS.items():
            cpu.set_reg(r32, regs[r16])
        for sg in SEGS:
            cpu.load_seg_real(sg, regs[sg])
        cpu.eflags = regs["flags"] & 0x0FFF       # real mode cannot hold IOPL/NT on a 286
        cpu.eip = regs["ip"]
        stop = cpu.run(1_000_000)
        errors = []
        if stop != STOP_HLT:
            errors.append(f"stopped with {stop}, not HLT")
        want = dict(regs)
        want.update(case["final"]["regs"])
        for r16, r32 in GPRS.items():
            got = cpu.get_reg(r32) & 0xFFFF
            if got != want[r16]:
                errors.append(f"{r16}={got:04x} want {want[r16]:04x}")
        for sg in SEGS:
            got = cpu.get_seg(sg)["sel"]
            if got != want[sg]:
                errors.append(f"{sg}={got:04x} want {want[sg]:04x}")
        if cpu.eip != want["ip"]:
            errors.append(f"ip={cpu.eip:04x} want {want['ip']:04x}")
        fmask = mask & 0x0FFF if "flags" not in case["final"]["regs"] else mask
        wf = want["flags"] if "flags" in case["final"]["regs"] else want["flags"] & 0x0FFF
        if (cpu.eflags & fmask) != (wf & fmask):
            errors.append(f"flags={cpu.eflags & 0xFFFF:04x} want {wf:04x} (mask {fmask:04x})")
        exc = case.get("exception")
        # The pushed FLAGS image lies at SS:SP+4 after the exception. (The captures'
        # "flag_address" is one byte low when SP is odd, so it is not used.)
        flag_lo = flag_hi = -1
        if exc:
            flag_lo = want["ss"] * 16 + ((want["sp"] + 4) & 0xFFFF)
            flag_hi = want["ss"] * 16 + ((want["sp"] + 5) & 0xFFFF)
        final_ram = dict((a, v) for a, v in case["final"]["ram"])
        for addr, val in case["final"]["ram"]:
            got = mem.read(addr, 1)[0]
            m = 0xFF
            if addr == flag_lo:
                m = mask & 0xFF
            elif addr == flag_hi:
                m = (mask >> 8) & 0xFF
            if (got & m) != (val & m):
                errors.append(f"[{addr:06x}]={got:02x} want {val:02x}")
        for addr, val in init["ram"]:
            if addr not in final_ram and mem.read(addr, 1)[0] != val:
                errors.append(f"[{addr:06x}] changed to {mem.read(addr, 1)[0]:02x}")
        return errors
