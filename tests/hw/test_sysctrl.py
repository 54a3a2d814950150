"""Ports 0x92 (A20, reset) and 0x61 (gate, OUT2) from the guest's side."""
from hw.sysctrl import PortA
from tests.hw.harness import Ports


def test_port_92_a20_and_fast_reset():
    state = {"a20": True, "resets": 0}
    a = PortA(lambda on: state.__setitem__("a20", on), lambda: state["a20"],
              lambda: state.__setitem__("resets", state["resets"] + 1))
    p = Ports(a)
    assert not state["a20"] and p.inb(0x92) == 0x00    # power-on: the bit is 0
    p.outb(0x92, 0x02)
    assert state["a20"] and p.inb(0x92) == 0x02
    p.outb(0x92, 0x00)
    assert not state["a20"] and p.inb(0x92) == 0x00
    state["a20"] = True                                 # someone else enabled it
    assert p.inb(0x92) == 0x02                          # bit 1 shows the real state
    p.outb(0x92, 0x03)
    assert state["resets"] == 1
    p.outb(0x92, 0x03)                                  # needs a 0 -> 1 change
    assert state["resets"] == 1
    p.outb(0x92, 0x02)
    p.outb(0x92, 0x03)
    assert state["resets"] == 2
