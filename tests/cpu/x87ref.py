"""An independent model of x87 extended-precision rounding, for checking what Unicorn
does not model (exception flags, C1, precision control corner cases): exact rational
arithmetic with Python's Fraction, rounded to the precision control's significand
width in the 15-bit exponent range. Underflow is tininess after rounding (SDM vol. 1,
4.9.1.5: the result rounded with unbounded exponent is below the smallest normal).

Values are (sig, se) pairs: the 64-bit significand with its explicit integer bit and
sign/exponent, as in the register file. Only finite operands are modelled."""
from fractions import Fraction

BIAS = 16383
PC_BITS = {0: 24, 2: 53, 3: 64}
IE, DE, ZE, OE, UE, PE = 1, 2, 4, 8, 16, 32
C1 = 0x200


def decode(v):
    sig, se = v
    e = se & 0x7FFF
    assert e != 0x7FFF, "finite values only"
    mag = Fraction(sig) * Fraction(2) ** ((e or 1) - BIAS - 63)
    return -mag if se & 0x8000 else mag


def is_denormal(v):
    return (v[1] & 0x7FFF) == 0 and v[0] != 0


def round_x80(q, fcw, sign_of_zero=0):
    """Round the exact value q per fcw (PC, RC). Returns (value, flags, c1)."""
    pc = PC_BITS[(fcw >> 8) & 3]
    rc = (fcw >> 10) & 3
    neg = q < 0
    a = -q if neg else q
    sgn = 0x8000 if neg else 0
    if a == 0:
        return (0, sign_of_zero), 0, 0
    # exponent of the leading bit
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    # rounded to pc bits with an unbounded exponent: is it below the smallest normal?
    u = a / Fraction(2) ** (e - (pc - 1))
    un = u.numerator // u.denominator
    ur = u - un
    if ur:
        if rc == 0:
            un += ur > Fraction(1, 2) or (ur == Fraction(1, 2) and un & 1)
        elif (rc == 1 and neg) or (rc == 2 and not neg):
            un += 1
    tiny = un * Fraction(2) ** (e - (pc - 1)) < Fraction(2) ** (1 - BIAS)
    # quantum: pc bits of significand, but not below the denormal quantum
    qexp = max(e, 1 - BIAS) - (pc - 1)
    qexp = max(qexp, 1 - BIAS - 63)
    scaled = a / Fraction(2) ** qexp
    n = scaled.numerator // scaled.denominator
    rem = scaled - n
    up = False
    if rem:
        if rc == 0:
            up = rem > Fraction(1, 2) or (rem == Fraction(1, 2) and n & 1)
        elif rc == 1:
            up = neg
        elif rc == 2:
            up = not neg
    m = n + up
    flags = PE if rem else 0
    if tiny and rem:
        flags |= UE
    val = Fraction(m) * Fraction(2) ** qexp
    # overflow: above the largest finite value of this precision
    emax = BIAS + 1                   # the largest finite value is below 2^16384
    if val >= Fraction(2) ** emax:
        flags |= OE | PE
        to_inf = rc == 0 or (rc == 1 and neg) or (rc == 2 and not neg)
        if to_inf:
            return (1 << 63, sgn | 0x7FFF), flags, C1
        big = (Fraction(2) ** pc - 1) * Fraction(2) ** (emax - pc)
        return encode(big, sgn), flags, 0
    return encode(val, sgn), flags, C1 if up else 0


def encode(mag, sgn):
    if mag == 0:
        return (0, sgn)
    e = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** e > mag:
        e -= 1
    if e < 1 - BIAS:
        sig = mag / Fraction(2) ** (1 - BIAS - 63)
        assert sig.denominator == 1
        return (sig.numerator, sgn)
    sig = mag / Fraction(2) ** (e - 63)
    assert sig.denominator == 1
    return (sig.numerator, sgn | (e + BIAS))


def arith(op, a, b, fcw):
    """op: add sub subr mul div divr on finite a (destination) and b."""
    x, y = decode(a), decode(b)
    flags = DE if is_denormal(a) or is_denormal(b) else 0
    if op in ("subr", "divr"):
        x, y, a, b = y, x, b, a
        op = op[:3]
    rc = (fcw >> 10) & 3
    if op == "div":
        if y == 0:
            # the zero divide is reported alone, without DE for a denormal dividend
            if x == 0:
                return (0xC000000000000000, 0xFFFF), IE, 0
            sgn = (a[1] ^ b[1]) & 0x8000
            return (1 << 63, sgn | 0x7FFF), ZE, 0
        q = x / y
        zsign = (a[1] ^ b[1]) & 0x8000
    elif op == "mul":
        q = x * y
        zsign = (a[1] ^ b[1]) & 0x8000
    else:
        q = x + y if op == "add" else x - y
        sa = a[1] & 0x8000
        sb = (b[1] & 0x8000) ^ (0 if op == "add" else 0x8000)
        # exact zero sum: +0 unless both operands are -0 (or round down)
        if x == 0 and y == 0:
            zsign = sa & sb if rc != 1 else sa | sb
        else:
            zsign = 0x8000 if rc == 1 else 0
    v, f, c1 = round_x80(q, fcw, zsign)
    return v, flags | f, c1
