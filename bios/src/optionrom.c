/* The 16-bit end of POST: option ROMs in the ISA expansion ROM space C0000-DFFFF, as
 * the IBM PC/AT Technical Reference ("Adapter ROM") and the BIOS Boot Specification
 * describe: a ROM starts at a 2 KiB boundary with 55h AAh, its size in 512-byte blocks
 * at offset 2, all its bytes sum to 0, and the BIOS far-calls its initialisation entry
 * at offset 3 (which may hook vectors such as INT 13h or INT 19h). */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "disk.h"

static int rom_valid(uint16_t seg)
{
    if (peekw(seg, 0) != 0xAA55)
        return 0;
    uint32_t size = peekb(seg, 2) * 512u;
    if (!size || (uint32_t)seg * 16 + size > 0xE0000)
        return 0;
    uint8_t sum = 0;
    for (uint32_t off = 0; off < size; off++)
        sum += peekb(seg + (off >> 4), off & 15);
    return sum == 0;
}

static void rom_init(uint16_t seg)
{
    uint16_t target[2] = { 0x0003, seg };
    /* the ROM may change any register; BP/SI/DI/BX and the segments are ours */
    asm volatile("pushal\n\tpushw %%ds\n\tpushw %%es\n\tpushw %%fs\n\tpushw %%gs\n\t"
                 "sti\n\tlcallw *(%0)\n\tcli\n\t"
                 "popw %%gs\n\tpopw %%fs\n\tpopw %%es\n\tpopw %%ds\n\tpopal"
                 : : "r"(target) : "memory", "cc");
}

HANDLER post16(struct regs *r)
{
    disk_setup();
    for (uint32_t seg = 0xC000; seg < 0xE000;) {
        if (!rom_valid(seg)) {
            seg += 0x80;                        /* 2 KiB */
            continue;
        }
        uint16_t blocks = peekb(seg, 2);
        log_printf("option ROM at %x000 (%u KiB)\n", seg >> 8, blocks / 2);
        rom_init(seg);
        seg += (blocks * 512u + 2047) / 2048 * 0x80;
    }
}
