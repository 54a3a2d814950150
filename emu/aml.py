"""A small ACPI Machine Language encoder: the DSDT is built from Python, no iasl.

Each function returns the bytes of one AML term (ACPI 6.x specification, chapter 20,
"ACPI Machine Language (AML) Specification"). Only the terms pyx86's DSDT needs are
here; they compose, e.g. scope("\\_SB", device("PCI0", name("_HID", eisaid("PNP0A03")))).
"""
import struct

ZERO, ONE, ONES = b"\x00", b"\x01", b"\xff"
ARG0, ARG1 = b"\x68", b"\x69"
LOCAL0, LOCAL1 = b"\x60", b"\x61"


def pkglength(body_len):
    """The PkgLength of a body of body_len bytes (the length counts itself)."""
    if body_len + 1 < 0x40:
        return bytes((body_len + 1,))
    for extra in (1, 2, 3):
        total = body_len + 1 + extra
        if total < 1 << (4 + 8 * extra):
            out = [(extra << 6) | (total & 0xF)]
            total >>= 4
            for _ in range(extra):
                out.append(total & 0xFF)
                total >>= 8
            return bytes(out)
    raise ValueError("AML package too large")


def _seg(s):
    if not 1 <= len(s) <= 4 or not (s[0].isupper() or s[0] == "_"):
        raise ValueError("bad AML name segment %r" % s)
    return s.ljust(4, "_").encode()


def namestring(path):
    """"\\_SB.PCI0", "^LNKA", "PRQ0" -> NameString bytes."""
    prefix = b""
    while path.startswith(("\\", "^")):
        prefix += path[0].encode()
        path = path[1:]
    if not path:
        return prefix + b"\x00"
    segs = [_seg(s) for s in path.split(".")]
    if len(segs) == 1:
        return prefix + segs[0]
    if len(segs) == 2:
        return prefix + b"\x2e" + b"".join(segs)
    return prefix + b"\x2f" + bytes((len(segs),)) + b"".join(segs)


def integer(v):
    if v == 0:
        return ZERO
    if v == 1:
        return ONE
    if v <= 0xFF:
        return b"\x0a" + bytes((v,))
    if v <= 0xFFFF:
        return b"\x0b" + struct.pack("<H", v)
    if v <= 0xFFFFFFFF:
        return b"\x0c" + struct.pack("<I", v)
    return b"\x0e" + struct.pack("<Q", v)


def string(s):
    return b"\x0d" + s.encode("ascii") + b"\x00"


def eisaid(s):
    """EISAID("PNP0A03") as the 32-bit compressed ID integer."""
    v = ((ord(s[0]) - 0x40) << 26 | (ord(s[1]) - 0x40) << 21 | (ord(s[2]) - 0x40) << 16
         | int(s[3:], 16))
    return integer(struct.unpack("<I", struct.pack(">I", v))[0])


def _data(x):
    if isinstance(x, int):
        return integer(x)
    if isinstance(x, str):
        return namestring(x)
    return x


def name(n, value):
    return b"\x08" + namestring(n) + _data(value)


def package(*elems):
    body = bytes((len(elems),)) + b"".join(_data(e) for e in elems)
    return b"\x12" + pkglength(len(body)) + body


def buffer(data):
    body = integer(len(data)) + bytes(data)
    return b"\x11" + pkglength(len(body)) + body


def scope(n, *terms):
    body = namestring(n) + b"".join(terms)
    return b"\x10" + pkglength(len(body)) + body


def device(n, *terms):
    body = namestring(n) + b"".join(terms)
    return b"\x5b\x82" + pkglength(len(body)) + body


def method(n, nargs, *terms, serialized=False):
    body = namestring(n) + bytes((nargs | (8 if serialized else 0),)) + b"".join(terms)
    return b"\x14" + pkglength(len(body)) + body


def ret(value):
    return b"\xa4" + _data(value)


def store(src, dst):
    return b"\x70" + _data(src) + _data(dst)


def and_(a, b, target=ZERO):
    return b"\x7b" + _data(a) + _data(b) + _data(target)


def or_(a, b, target=ZERO):
    return b"\x7d" + _data(a) + _data(b) + _data(target)


def lequal(a, b):
    return b"\x93" + _data(a) + _data(b)


def if_(predicate, *terms):
    body = _data(predicate) + b"".join(terms)
    return b"\xa0" + pkglength(len(body)) + body


def else_(*terms):
    body = b"".join(terms)
    return b"\xa1" + pkglength(len(body)) + body


def create_dword_field(buf, index, n):
    return b"\x8a" + _data(buf) + integer(index) + namestring(n)


def operation_region(n, space, offset, length):
    return b"\x5b\x80" + namestring(n) + bytes((space,)) + integer(offset) + integer(length)


PCI_CONFIG, SYSTEM_IO = 0x02, 0x01
BYTE_ACC = 0x01


def field(region, flags, *fields):
    """fields: (name, bits) pairs; a name of None is a reserved gap."""
    body = namestring(region) + bytes((flags,))
    for n, bits in fields:
        body += (b"\x00" if n is None else _seg(n)) + _field_len(bits)
    return b"\x5b\x81" + pkglength(len(body)) + body


def _field_len(bits):
    """A field's bit width is encoded as a PkgLength whose value is the width itself."""
    if bits < 0x40:
        return bytes((bits,))
    if bits < 1 << 12:
        return bytes((0x40 | (bits & 0xF), bits >> 4))
    raise ValueError("field too wide")


# -- resource templates (ACPI 6.x, 6.4 "Resource Data Types") ---------------------------
def end_tag(body):
    """Close a resource template: the end tag with a checksum of 0 (means "none")."""
    return bytes(body) + b"\x79\x00"


def extended_irq(irqs, level=True, active_low=False, shared=True):
    flags = 0x01 | (0 if level else 0x02) | (0x04 if active_low else 0) | (
        0x08 if shared else 0)
    body = bytes((flags, len(irqs))) + b"".join(struct.pack("<I", i) for i in irqs)
    return b"\x89" + struct.pack("<H", len(body)) + body


def io_port(base, length, align=1):
    """Fixed 16-bit-decode I/O port descriptor."""
    return b"\x47\x01" + struct.pack("<HHBB", base, base, align, length)


def irq_noflags(irq):
    return b"\x22" + struct.pack("<H", 1 << irq)


def word_bus_number(lo, hi):
    return _address_space(2, 0x0C, 0, struct.pack("<HHHHH", 0, lo, hi, 0, hi - lo + 1))


def word_io(lo, hi):
    return _address_space(1, 0x0C, 3, struct.pack("<HHHHH", 0, lo, hi, 0, hi - lo + 1))


def dword_memory(lo, hi, cacheable=True):
    type_flags = 0x03 if cacheable else 0x01        # read/write, cacheable or not
    return b"\x87" + struct.pack("<H", 23) + bytes((0, 0x0C, type_flags)) + \
        struct.pack("<IIIII", 0, lo, hi, 0, hi - lo + 1)


def _address_space(rtype, gflags, tflags, fields):
    """Word address space descriptor (0x88): type, general flags (min/max fixed,
    producer), type flags."""
    body = bytes((rtype, gflags, tflags)) + fields
    return b"\x88" + struct.pack("<H", len(body)) + body
