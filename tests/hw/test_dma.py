"""The 8237A pair programmed through its ports, as a BIOS or driver does, with a
device moving data through dma.channel(n)."""
import pytest

from emu.memory import Memory
from hw.dma import Dma
from tests.hw.harness import Ports

MIB = 1 << 20


@pytest.fixture
def rig():
    mem = Memory(4 * MIB)
    dma = Dma(mem)
    io = Ports(dma)
    unmask_cascade(io)
    return mem, dma, io


def unmask_cascade(io):
    """What a BIOS does at POST: channel 4 in cascade mode and unmasked."""
    io.outb(0xD6, 0xC0)
    io.outb(0xD4, 0x00)


def program8(io, ch, addr, count, mode):
    """Program 8-bit channel ch: physical address, bytes-1, mode byte (type/auto/dec)."""
    addr_port, count_port = ch * 2, ch * 2 + 1
    page_port = {0: 0x87, 1: 0x83, 2: 0x81, 3: 0x82}[ch]
    io.outb(0x0A, 4 | ch)                         # mask
    io.outb(0x0C, 0)                              # clear flip-flop
    io.outb(0x0B, mode | ch)
    io.outb(addr_port, addr & 0xFF, addr >> 8 & 0xFF)
    io.outb(page_port, addr >> 16)
    io.outb(count_port, count & 0xFF, count >> 8)
    io.outb(0x0A, ch)                             # unmask


def program16(io, ch, addr, words_minus_1, mode):
    k = ch - 4
    page_port = {5: 0x8B, 6: 0x89, 7: 0x8A}[ch]
    io.outb(0xD4, 4 | k)
    io.outb(0xD8, 0)
    io.outb(0xD6, mode | k)
    word = addr >> 1 & 0xFFFF
    io.outb(0xC0 + 4 * k, word & 0xFF, word >> 8)
    io.outb(page_port, addr >> 16)
    io.outb(0xC2 + 4 * k, words_minus_1 & 0xFF, words_minus_1 >> 8)
    io.outb(0xD4, k)


WRITE = 0x44          # single mode, write transfer (device -> memory)
READ = 0x48           # single mode, read transfer (memory -> device)
VERIFY = 0x40
AUTO = 0x10
DEC = 0x20


def read_word(io, port):
    return io.inb(port) | io.inb(port) << 8


def test_write_transfer_lands_in_memory_and_reaches_tc(rig):
    mem, dma, io = rig
    program8(io, 2, 0x12340, 511, WRITE)
    ch = dma.channel(2)
    assert not ch.masked and ch.remaining == 512
    data = bytes(range(256)) * 3
    assert ch.transfer_to_memory(data) == 512      # stops at terminal count
    assert ch.terminal_count
    assert mem.read(0x12340, 512) == data[:512]
    assert mem.read(0x12340 + 512, 1) == b"\0"
    assert ch.masked                               # no autoinit: masks itself
    io.outb(0x0C, 0)
    assert read_word(io, 0x04) == 0x2540           # current address past the block
    assert read_word(io, 0x05) == 0xFFFF           # count rolled over
    assert io.inb(0x08) & 0x0F == 0x04             # TC bit of channel 2 ...
    assert io.inb(0x08) & 0x0F == 0                # ... cleared by the read


def test_partial_transfers_continue_where_they_stopped(rig):
    mem, dma, io = rig
    program8(io, 1, 0x20000, 9, WRITE)
    ch = dma.channel(1)
    assert ch.transfer_to_memory(b"abcd") == 4 and not ch.terminal_count
    assert ch.transfer_to_memory(b"efghijklmn") == 6 and ch.terminal_count
    assert mem.read(0x20000, 10) == b"abcdefghij"


def test_read_transfer_and_page_wrap(rig):
    mem, dma, io = rig
    mem.write(0x3FFFE, b"XY")                      # end of the 64 KiB page 3
    mem.write(0x30000, b"Z")                       # the address wraps to its start
    mem.write(0x40000, b"!")                       # not to the next page
    program8(io, 3, 0x3FFFE, 2, READ)
    assert dma.channel(3).transfer_from_memory(3) == b"XYZ"
    assert dma.channel(3).terminal_count


def test_autoinit_reloads_and_stays_unmasked(rig):
    mem, dma, io = rig
    program8(io, 1, 0x5000, 3, WRITE | AUTO)
    ch = dma.channel(1)
    assert ch.transfer_to_memory(b"ABCDEF") == 4 and ch.terminal_count
    assert not ch.masked
    assert ch.transfer_to_memory(b"abcd") == 4
    assert mem.read(0x5000, 4) == b"abcd"
    io.outb(0x0C, 0)
    assert read_word(io, 0x02) == 0x5000 and read_word(io, 0x03) == 3


def test_decrement_mode_writes_downwards(rig):
    mem, dma, io = rig
    program8(io, 0, 0x8003, 3, WRITE | DEC)
    assert dma.channel(0).transfer_to_memory(b"1234") == 4
    assert mem.read(0x8000, 4) == b"4321"
    io.outb(0x0C, 0)
    assert read_word(io, 0x00) == 0x7FFF


def test_verify_moves_nothing_but_counts(rig):
    mem, dma, io = rig
    program8(io, 2, 0x6000, 1, VERIFY)
    assert dma.channel(2).transfer_to_memory(b"xy") == 2
    assert dma.channel(2).terminal_count
    assert mem.read(0x6000, 2) == b"\0\0"


def test_wrong_direction_moves_no_data(rig):
    mem, dma, io = rig
    mem.write(0x7000, b"keep")
    program8(io, 2, 0x7000, 3, READ)
    assert dma.channel(2).transfer_to_memory(b"lose") == 4
    assert mem.read(0x7000, 4) == b"keep"


def test_masks_block_transfers(rig):
    mem, dma, io = rig
    program8(io, 2, 0x1000, 9, WRITE)
    ch = dma.channel(2)
    io.outb(0x0A, 4 | 2)                            # single mask
    assert ch.masked and ch.transfer_to_memory(b"ab") == 0
    io.outb(0x0E, 0)                                # clear all masks
    assert not ch.masked
    io.outb(0x0F, 0x0F)                             # mask all
    assert ch.masked
    io.outb(0x0F, 0x00)
    io.outb(0x08, 0x04)                             # command: controller disable
    assert ch.masked
    io.outb(0x08, 0x00)
    io.outb(0xD4, 4 | 0)                            # cascade channel 4 masked:
    assert ch.masked                                # DMA1 cannot get the bus
    io.outb(0xD4, 0)
    assert ch.transfer_to_memory(b"ab") == 2


def test_request_service_called_when_unmasked(rig):
    mem, dma, io = rig
    program8(io, 2, 0x1000, 9, WRITE)
    io.outb(0x0A, 4 | 2)
    ch = dma.channel(2)
    calls = []
    ch.request(lambda: calls.append(ch.transfer_to_memory(b"hello")))
    assert io.inb(0x08) & 0xF0 == 0x40              # request bit of channel 2
    io.outb(0x0B, WRITE | 2)                        # still masked: no call
    assert calls == []
    io.outb(0x0A, 2)
    assert calls == [5]
    assert mem.read(0x1000, 5) == b"hello"
    ch.release()
    assert io.inb(0x08) & 0xF0 == 0


def test_master_clear_masks_and_resets_flipflop(rig):
    mem, dma, io = rig
    program8(io, 2, 0x1000, 9, WRITE)
    io.outb(0x04, 0x34)                             # flip-flop now on the high byte
    io.outb(0x0D, 0)                                # master clear
    assert dma.channel(2).masked
    io.outb(0x04, 0x78)
    io.outb(0x04, 0x56)
    io.outb(0x0C, 0)
    assert read_word(io, 0x04) == 0x5678


def test_16bit_channel_counts_words_in_128k_pages(rig):
    mem, dma, io = rig
    program16(io, 5, 0x3FFFC, 3, WRITE)             # 4 words from 3FFFC: wraps at 128K
    ch = dma.channel(5)
    assert ch.remaining == 8
    assert ch.transfer_to_memory(b"abcdefghij") == 8 and ch.terminal_count
    assert mem.read(0x3FFFC, 4) == b"abcd"
    assert mem.read(0x20000, 4) == b"efgh"          # page bit 0 ignored: 128K block
    io.outb(0xD8, 0)
    assert read_word(io, 0xC4) == 0x0002            # word address wrapped
    assert io.inb(0xD0) & 0x0F == 0x02              # TC of channel 5


def test_16bit_odd_byte_counts_whole_words(rig):
    mem, dma, io = rig
    program16(io, 6, 0x100000, 9, READ)
    mem.write(0x100000, b"0123456789")
    ch = dma.channel(6)
    assert ch.transfer_from_memory(5) == b"0123"


def test_page_registers_latch_and_port_80_is_not_claimed(rig):
    mem, dma, io = rig
    for port in range(0x81, 0x90):
        io.outb(port, port ^ 0x5A)
    assert [io.inb(p) for p in range(0x81, 0x90)] == [p ^ 0x5A for p in range(0x81, 0x90)]
    assert io.bus.owner(0x80) is None
    assert io.bus.owner(0x8F) == "DMA page registers"


def test_reset_masks_everything(rig):
    mem, dma, io = rig
    program8(io, 2, 0x1000, 9, WRITE)
    dma.reset()
    assert dma.channel(2).masked and dma.channel(5).masked


def test_a_spare_page_latch_can_be_left_to_another_device():
    dma = Dma(Memory(MIB), leave=(0x84,))
    io = Ports(dma)
    assert io.bus.owner(0x84) is None
    assert io.bus.owner(0x83) == io.bus.owner(0x85) == "DMA page registers"
    with pytest.raises(ValueError, match="0x81 are not spare"):
        Dma(Memory(MIB), leave=(0x81,))
