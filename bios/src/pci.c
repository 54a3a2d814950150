/* PCI set-up in POST: enumerate bus 0 through configuration mechanism #1, size every
 * BAR and give it an address, enable the functions, route the PIIX's PIRQs and write
 * each function's interrupt line; then the chipset functions that need firmware
 * set-up (PIIX3 IDE decode, PIIX4 power management and SMBus blocks).
 *
 * Resources as SeaBIOS gives them on QEMU's i440FX machine, so guests see familiar
 * addresses: I/O BARs from 0xC000 up, memory BARs packed at the top of the PCI hole
 * (PCI_MEM_START..PCI_MEM_END; largest first, each naturally aligned, so the 16 MiB
 * VGA framebuffer lands at 0xFD000000), PIRQA-D to IRQ 10, 10, 11, 11, made
 * level-triggered in the PIIX ELCR together with the ACPI SCI (IRQ 9). */
#include "layout.h"
#include "platform.h"
#include "util.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_IO_START 0xC000
#define PCI_IO_END 0x10000
#define PCI_MEM_START 0xE0000000u
#define PCI_MEM_END 0xFEC00000u                 /* the I/O APIC and the ROM above */
#define MAX_BARS 64

#define ELCR0 0x4D0
#define ELCR1 0x4D1
#define SCI_IRQ 9

#define VENDOR_INTEL 0x8086
#define PIIX3_ISA 0x7000
#define PIIX3_IDE 0x7010
#define PIIX4_PM 0x7113
#define PIIX_PIRQRC 0x60
#define PIIX_IDETIM 0x40
#define IDETIM_DECODE 0x8000
#define PM_PMBA 0x40
#define PM_PMREGMISC 0x80
#define PM_SMBBA 0x90
#define PM_SMBHSTCFG 0xD2
#define SMB_BASE 0xB100
#define SMBHSTCFG_EN_IRQ9 0x09                  /* host enable, interrupt on IRQ 9 */

const uint8_t pirq_irqs[4] = { 10, 10, 11, 11 };
struct pci_dev pci_devs[PCI_MAX_DEVS];
unsigned pci_count;

struct bar {
    uint16_t bdf;
    uint8_t reg;
    uint8_t io;
    uint8_t is64;               /* memory type 10b: the next BAR is the high half */
    uint32_t size;
};

static struct bar bars[MAX_BARS];
static unsigned bar_count;

static void select(uint16_t bdf, uint8_t off)
{
    outl(PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)bdf << 8 | (off & 0xFC));
}

uint32_t pci_read32(uint16_t bdf, uint8_t off)
{
    select(bdf, off);
    return inl(PCI_CONFIG_DATA);
}

uint16_t pci_read16(uint16_t bdf, uint8_t off)
{
    select(bdf, off);
    return inw(PCI_CONFIG_DATA + (off & 2));
}

uint8_t pci_read8(uint16_t bdf, uint8_t off)
{
    select(bdf, off);
    return inb(PCI_CONFIG_DATA + (off & 3));
}

void pci_write32(uint16_t bdf, uint8_t off, uint32_t v)
{
    select(bdf, off);
    outl(PCI_CONFIG_DATA, v);
}

void pci_write16(uint16_t bdf, uint8_t off, uint16_t v)
{
    select(bdf, off);
    outw(PCI_CONFIG_DATA + (off & 2), v);
}

void pci_write8(uint16_t bdf, uint8_t off, uint8_t v)
{
    select(bdf, off);
    outb(PCI_CONFIG_DATA + (off & 3), v);
}

/* the i440FX board's swizzle: INTx# of slot S reaches PIRQ[(S + pin - 1) mod 4] */
int pci_pirq(uint16_t bdf, uint8_t pin)
{
    return (PCI_SLOT(bdf) + pin - 1) & 3;
}

static void add_function(uint16_t bdf, uint32_t id)
{
    if (pci_count >= PCI_MAX_DEVS)
        return;
    struct pci_dev *d = &pci_devs[pci_count++];
    d->bdf = bdf;
    d->vendor = id & 0xFFFF;
    d->device = id >> 16;
    d->class_rev = pci_read32(bdf, PCI_CLASS_REV);
    d->pin = pci_read8(bdf, PCI_INT_PIN);
    if (d->pin > 4)
        d->pin = 0;
    d->irq = 0;
}

static void enumerate(void)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            uint16_t bdf = PCI_BDF(dev, fn);
            uint32_t id = pci_read32(bdf, PCI_VENDOR_ID);
            if ((id & 0xFFFF) == 0xFFFF || (id & 0xFFFF) == 0) {
                if (fn == 0)
                    break;
                continue;
            }
            add_function(bdf, id);
            if (fn == 0 && !(pci_read8(bdf, PCI_HEADER_TYPE) & 0x80))
                break;                          /* single-function device */
        }
    }
}

/* size the BARs of a type-0 function with its decoding off (PCI 3.0, 6.2.5.1) */
static void size_bars(uint16_t bdf)
{
    if ((pci_read8(bdf, PCI_HEADER_TYPE) & 0x7F) != 0)
        return;                                 /* bridges: none on this board */
    uint16_t cmd = pci_read16(bdf, PCI_COMMAND);
    pci_write16(bdf, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
    for (uint8_t reg = PCI_BAR0; reg < PCI_BAR0 + 24; reg += 4) {
        uint32_t old = pci_read32(bdf, reg);
        pci_write32(bdf, reg, 0xFFFFFFFF);
        uint32_t v = pci_read32(bdf, reg);
        pci_write32(bdf, reg, old);
        if (!v || bar_count >= MAX_BARS)
            continue;
        struct bar *b = &bars[bar_count];
        b->bdf = bdf;
        b->reg = reg;
        b->io = v & 1;
        b->is64 = !b->io && (v & 6) == 4;
        b->size = b->io ? (~(v | 0xFFFF0000u) | 3) + 1 : ~(v & ~0xFu) + 1;
        if (b->is64) {
            reg += 4;                           /* the high half: always 0 here */
            pci_write32(bdf, reg, 0xFFFFFFFF);
            uint32_t hi = pci_read32(bdf, reg);
            pci_write32(bdf, reg, 0);
            if (hi != 0xFFFFFFFF || !b->size) {
                log_printf("PCI %02x.%x: BAR at %x needs more than 4 GiB, not mapped\n",
                           bdf >> 3, bdf & 7, b->reg);
                continue;
            }
        }
        if (b->size)
            bar_count++;
    }
    pci_write16(bdf, PCI_COMMAND, cmd);
}

/* largest first: with natural alignment that packs them without holes */
static void sort_bars(void)
{
    for (unsigned i = 1; i < bar_count; i++) {
        struct bar b = bars[i];
        unsigned j = i;
        for (; j > 0 && bars[j - 1].size < b.size; j--)
            bars[j] = bars[j - 1];
        bars[j] = b;
    }
}

static void assign_bars(uint32_t ram_end)
{
    uint32_t io = PCI_IO_START, mem_total = 0, mem_align = 1;
    for (unsigned i = 0; i < bar_count; i++) {
        if (!bars[i].io) {
            mem_total += bars[i].size;
            if (bars[i].size > mem_align)
                mem_align = bars[i].size;
        }
    }
    uint32_t mem_start = ram_end > PCI_MEM_START ? ram_end : PCI_MEM_START;
    uint32_t mem_base = mem_total > PCI_MEM_END - mem_start ? 0
                        : (PCI_MEM_END - mem_total) & ~(mem_align - 1);
    uint32_t mem = mem_base;
    for (unsigned i = 0; i < bar_count; i++) {
        struct bar *b = &bars[i];
        uint32_t addr;
        if (b->io) {
            addr = (io + b->size - 1) & ~(b->size - 1);
            if (addr + b->size > PCI_IO_END) {
                log_printf("PCI %02x.%x: no I/O space for BAR %x\n", b->bdf >> 3,
                           b->bdf & 7, b->reg);
                continue;
            }
            io = addr + b->size;
        } else {
            if (mem < mem_start) {
                log_printf("PCI %02x.%x: no memory space for BAR %x\n", b->bdf >> 3,
                           b->bdf & 7, b->reg);
                continue;
            }
            addr = mem;
            mem += b->size;
        }
        pci_write32(b->bdf, b->reg, addr);
    }
    /* one line: the serial log costs POST time (115200 baud) */
    log_printf("PCI: %u functions, I/O %x-%x, memory %x-%x\n", pci_count, PCI_IO_START,
               io - 1, mem_base, mem - 1);
}

static void route_pirqs(uint16_t isa_bdf)
{
    for (int i = 0; i < 4; i++)
        pci_write8(isa_bdf, PIIX_PIRQRC + i, pirq_irqs[i]);
    uint16_t elcr = 1 << SCI_IRQ;
    for (int i = 0; i < 4; i++)
        elcr |= 1 << pirq_irqs[i];
    outb(ELCR0, inb(ELCR0) | (elcr & 0xFF));
    outb(ELCR1, inb(ELCR1) | elcr >> 8);
}

static void piix4_pm_setup(uint16_t bdf)
{
    pci_write32(bdf, PM_PMBA, PM_BASE | 1);
    pci_write8(bdf, PM_PMREGMISC, pci_read8(bdf, PM_PMREGMISC) | 1);
    pci_write32(bdf, PM_SMBBA, SMB_BASE | 1);
    pci_write8(bdf, PM_SMBHSTCFG, SMBHSTCFG_EN_IRQ9);
}

static void function_setup(struct pci_dev *d)
{
    pci_write16(d->bdf, PCI_COMMAND, pci_read16(d->bdf, PCI_COMMAND) | PCI_CMD_IO |
                PCI_CMD_MEM | PCI_CMD_MASTER);
    if (d->pin) {
        d->irq = pirq_irqs[pci_pirq(d->bdf, d->pin)];
        pci_write8(d->bdf, PCI_INT_LINE, d->irq);
    }
    if (d->vendor != VENDOR_INTEL)
        return;
    if (d->device == PIIX3_ISA) {
        route_pirqs(d->bdf);
    } else if (d->device == PIIX3_IDE) {
        /* both channels decode at the legacy ports (compatibility mode, IRQ 14/15;
         * the function has no INTx# pin, so its interrupt line stays as it is) */
        pci_write16(d->bdf, PIIX_IDETIM, IDETIM_DECODE);
        pci_write16(d->bdf, PIIX_IDETIM + 2, IDETIM_DECODE);
    } else if (d->device == PIIX4_PM) {
        piix4_pm_setup(d->bdf);
    }
}

void pci_setup(uint32_t ram_end)
{
    enumerate();
    for (unsigned i = 0; i < pci_count; i++)
        size_bars(pci_devs[i].bdf);
    sort_bars();
    assign_bars(ram_end);
    for (unsigned i = 0; i < pci_count; i++)
        function_setup(&pci_devs[i]);
}
