/* INT 1Ah AH=B1h: the PCI BIOS real-mode interface (PCI BIOS Specification 2.1,
 * chapter 2) over configuration mechanism #1, for DOS-era drivers and boot loaders
 * that ask the BIOS instead of touching 0xCF8 themselves. Bus 0 is the only bus.
 * Not offered: special cycles and the IRQ routing calls (B10Eh/B10Fh; the $PIR table
 * that POST writes describes the routing), and the 32-bit BIOS32 entry. */
#include "regs.h"
#include "pcibios.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC
#define PCI_SIGNATURE 0x20494350                /* "PCI " */
enum { PCIBIOS_OK = 0x00, PCIBIOS_UNSUPPORTED = 0x81, PCIBIOS_BAD_VENDOR = 0x83,
       PCIBIOS_NOT_FOUND = 0x86, PCIBIOS_BAD_REGISTER = 0x87 };

static uint32_t address(uint16_t bdf, uint16_t reg)
{
    return 0x80000000u | (uint32_t)bdf << 8 | (reg & 0xFC);
}

static uint32_t read32(uint16_t bdf, uint16_t reg)
{
    outl(CONFIG_ADDRESS, address(bdf, reg));
    return inl(CONFIG_DATA);
}

/* the next function of bus 0 after `bdf` (0xFFFF to start), or 0xFFFF at the end:
 * functions 1-7 only of multi-function devices */
static uint16_t next_function(uint16_t bdf)
{
    for (bdf = bdf == 0xFFFF ? 0 : bdf + 1; bdf < 0x100; bdf++) {
        if ((bdf & 7) && !(read32(bdf & ~7, 0x0C) >> 16 & 0x80)) {
            bdf |= 7;                           /* single-function: skip to the next slot */
            continue;
        }
        if ((read32(bdf, 0) & 0xFFFF) != 0xFFFF)
            return bdf;
    }
    return 0xFFFF;
}

static void find(struct regs *r, int by_class)
{
    uint16_t index = r->si.x;
    if (!by_class && r->dx.x == 0xFFFF) {
        fail(r, PCIBIOS_BAD_VENDOR);
        return;
    }
    for (uint16_t bdf = next_function(0xFFFF); bdf != 0xFFFF; bdf = next_function(bdf)) {
        int match = by_class ? (read32(bdf, 0x08) >> 8) == (r->cx.e & 0xFFFFFF)
                             : read32(bdf, 0) == ((uint32_t)r->cx.x << 16 | r->dx.x);
        if (match && index-- == 0) {
            r->bx.x = bdf;
            succeed(r);
            return;
        }
    }
    fail(r, PCIBIOS_NOT_FOUND);
}

static void config(struct regs *r)
{
    uint8_t fn = r->ax.l;
    uint16_t reg = r->di.x;
    unsigned size = fn == 0x08 || fn == 0x0B ? 1 : fn == 0x09 || fn == 0x0C ? 2 : 4;
    if (reg & (size - 1) || reg > 0xFF) {
        fail(r, PCIBIOS_BAD_REGISTER);
        return;
    }
    uint16_t port = CONFIG_DATA + (reg & 3);
    outl(CONFIG_ADDRESS, address(r->bx.x, reg));
    if (fn <= 0x0A) {
        if (size == 1)
            r->cx.l = inb(port);
        else if (size == 2)
            r->cx.x = inw(port);
        else
            r->cx.e = inl(port);
    } else if (size == 1) {
        outb(port, r->cx.l);
    } else if (size == 2) {
        outw(port, r->cx.x);
    } else {
        outl(port, r->cx.e);
    }
    succeed(r);
}

void pcibios_call(struct regs *r)
{
    switch (r->ax.l) {
    case 0x01:                                  /* installation check */
        r->ax.x = 0x0001;                       /* AH 0: present; AL: mechanism #1 */
        r->bx.x = 0x0210;                       /* version 2.10 */
        r->cx.l = 0;                            /* the last bus */
        r->dx.e = PCI_SIGNATURE;
        set_cf(r, 0);
        break;
    case 0x02:
        find(r, 0);
        break;
    case 0x03:
        find(r, 1);
        break;
    case 0x08: case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
        config(r);
        break;
    default:
        fail(r, PCIBIOS_UNSUPPORTED);
    }
}
