/* The MultiProcessor Specification 1.4 tables (chapter 4) and the PCI IRQ Routing
 * Table ($PIR, Microsoft's "PCI IRQ Routing Table Specification" 1.0), for operating
 * systems that do not read ACPI. Both go in the shadowed F segment (tables.c).
 *
 * MP: the floating pointer names a configuration table (no default configuration)
 * and says no IMCR (virtual wire mode: the 8259s reach the CPU through LINT0). The
 * table has the one processor (the BSP, local APIC ID 0), bus 0 = PCI and bus 1 =
 * ISA, the I/O APIC (ID 0, what it resets to and what the ACPI MADT says) at
 * 0xFEC00000, and the interrupt wiring of hw/ioapic.py: ISA IRQ 0 on pin 2, the
 * other ISA IRQs on their own pins (edge, active high) except the ones the PIRQs are
 * routed to (those pins carry PCI levels), the SCI (IRQ 9) level / active high, each
 * PCI function's INTx# on pin 16 + its PIRQ (level, active low), and the local
 * interrupts: ExtINT on LINT0, NMI on LINT1.
 * $PIR: the PIIX3 (00:01.0) is the router; each slot with functions on bus 0 gets an
 * entry whose links are the PIIX's PIRQ route control registers (0x60-0x63, which
 * Linux's PIIX router reads and writes) per the board's swizzle. */
#include "platform.h"
#include "util.h"

#define LAPIC_BASE 0xFEE00000u
#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_ID 0
#define IOAPIC_VERSION 0x11
#define LAPIC_VERSION 0x14
#define BUS_PCI 0
#define BUS_ISA 1
#define SCI_IRQ 9

#define MP_PROCESSOR 0
#define MP_BUS 1
#define MP_IOAPIC 2
#define MP_IOINT 3
#define MP_LINT 4
#define INT_TYPE_INT 0
#define INT_TYPE_NMI 1
#define INT_TYPE_EXTINT 3
#define POL_HIGH 0x1
#define POL_LOW 0x3
#define TRIG_EDGE (0x1 << 2)
#define TRIG_LEVEL (0x3 << 2)
#define CPU_EN 0x1
#define CPU_BP 0x2
#define MP_MAX_ENTRIES (1 + 2 + 1 + 16 + PCI_MAX_DEVS + 2)

#define PIR_LINK_BASE 0x60                      /* PIIX PIRQRC[A:D] */
#define PIR_IRQ_MAP 0xDEF8                      /* IRQ 3-7, 9-12, 14, 15 */
#define PIIX3_DEVFN 0x08

struct mp_floating {
    char signature[4];
    uint32_t config;
    uint8_t length, revision, checksum, feature1;
    uint8_t feature2, reserved[3];
} __attribute__((packed));

struct mp_config {
    char signature[4];
    uint16_t length;
    uint8_t revision, checksum;
    char oem[8], product[12];
    uint32_t oem_table;
    uint16_t oem_size, count;
    uint32_t lapic;
    uint16_t ext_length;
    uint8_t ext_checksum, reserved;
} __attribute__((packed));

struct mp_cpu {
    uint8_t type, apic_id, apic_version, flags;
    uint32_t signature, features;
    uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
    uint8_t type, id;
    char name[6];
} __attribute__((packed));

struct mp_ioapic {
    uint8_t type, id, version, flags;
    uint32_t address;
} __attribute__((packed));

struct mp_int {
    uint8_t type, int_type;
    uint16_t flags;
    uint8_t src_bus, src_irq, dst_id, dst_pin;
} __attribute__((packed));

struct pir_slot {
    uint8_t bus, devfn;
    struct { uint8_t link; uint16_t bitmap; } __attribute__((packed)) intx[4];
    uint8_t slot, reserved;
} __attribute__((packed));

struct pir_header {
    char signature[4];
    uint16_t version, size;
    uint8_t router_bus, router_devfn;
    uint16_t exclusive_irqs;
    uint16_t router_vendor, router_device;
    uint32_t miniport;
    uint8_t reserved[11], checksum;
} __attribute__((packed));

/* entries are written at *p; a helper per kind keeps mptable_setup readable */
static uint8_t *put_int(uint8_t *p, uint8_t type, uint8_t int_type, uint16_t flags,
                        uint8_t bus, uint8_t irq, uint8_t dst_id, uint8_t dst_pin)
{
    struct mp_int *e = (struct mp_int *)p;
    e->type = type;
    e->int_type = int_type;
    e->flags = flags;
    e->src_bus = bus;
    e->src_irq = irq;
    e->dst_id = dst_id;
    e->dst_pin = dst_pin;
    return p + sizeof(*e);
}

static int irq_is_pirq(unsigned irq)
{
    for (int i = 0; i < 4; i++)
        if (pirq_irqs[i] == irq)
            return 1;
    return 0;
}

static unsigned mp_entries(uint8_t *p0)
{
    uint8_t *p = p0;
    uint32_t a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    struct mp_cpu *cpu = (struct mp_cpu *)p;
    cpu->type = MP_PROCESSOR;
    cpu->apic_id = 0;
    cpu->apic_version = LAPIC_VERSION;
    cpu->flags = CPU_EN | CPU_BP;
    cpu->signature = a;
    cpu->features = d;
    p += sizeof(*cpu);
    struct mp_bus *bus = (struct mp_bus *)p;
    bus[0].type = MP_BUS, bus[0].id = BUS_PCI;
    memcpy(bus[0].name, "PCI   ", 6);
    bus[1].type = MP_BUS, bus[1].id = BUS_ISA;
    memcpy(bus[1].name, "ISA   ", 6);
    p += 2 * sizeof(*bus);
    struct mp_ioapic *io = (struct mp_ioapic *)p;
    io->type = MP_IOAPIC;
    io->id = IOAPIC_ID;
    io->version = IOAPIC_VERSION;
    io->flags = 1;
    io->address = IOAPIC_BASE;
    p += sizeof(*io);
    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == 2 || (irq != SCI_IRQ && irq_is_pirq(irq)))
            continue;                           /* 2: the cascade; PIRQ targets */
        uint16_t flags = irq == SCI_IRQ ? (TRIG_LEVEL | POL_HIGH) : (TRIG_EDGE | POL_HIGH);
        p = put_int(p, MP_IOINT, INT_TYPE_INT, flags, BUS_ISA, irq, IOAPIC_ID,
                    irq == 0 ? 2 : irq);
    }
    for (unsigned i = 0; i < pci_count; i++) {
        struct pci_dev *dv = &pci_devs[i];
        if (!dv->pin)
            continue;
        p = put_int(p, MP_IOINT, INT_TYPE_INT, TRIG_LEVEL | POL_LOW, BUS_PCI,
                    PCI_SLOT(dv->bdf) << 2 | (dv->pin - 1), IOAPIC_ID,
                    16 + pci_pirq(dv->bdf, dv->pin));
    }
    p = put_int(p, MP_LINT, INT_TYPE_EXTINT, 0, BUS_ISA, 0, 0xFF, 0);
    p = put_int(p, MP_LINT, INT_TYPE_NMI, 0, BUS_ISA, 0, 0xFF, 1);
    return p - p0;
}

void mptable_setup(void)
{
    /* the largest it can be: header, CPU, buses, I/O APIC, interrupt entries */
    uint32_t max = sizeof(struct mp_config) + sizeof(struct mp_cpu) + 2 * sizeof(struct mp_bus)
                   + sizeof(struct mp_ioapic) + (16 + pci_count + 2) * sizeof(struct mp_int);
    struct mp_floating *fp = zone_alloc(ZONE_FSEG, sizeof(*fp), 16);
    struct mp_config *cfg = zone_alloc(ZONE_FSEG, max, 4);
    if (!fp || !cfg) {
        log_printf(" [no room for the MP table]");
        return;
    }
    memcpy(cfg->signature, "PCMP", 4);
    cfg->revision = 4;
    memcpy(cfg->oem, "PYX86   ", 8);
    memcpy(cfg->product, "PYX86 PC    ", 12);
    cfg->lapic = LAPIC_BASE;
    uint8_t *entries = (uint8_t *)(cfg + 1);
    unsigned len = mp_entries(entries);
    unsigned count = 0;
    for (uint8_t *e = entries; e < entries + len; e += *e == MP_PROCESSOR ? 20 : 8)
        count++;
    cfg->length = sizeof(*cfg) + len;
    cfg->count = count;
    cfg->checksum = checksum(cfg, cfg->length);

    memcpy(fp->signature, "_MP_", 4);
    fp->config = (uint32_t)cfg;
    fp->length = 1;                             /* 16-byte paragraphs */
    fp->revision = 4;
    fp->checksum = checksum(fp, sizeof(*fp));
    log_printf(" MP %x", (uint32_t)fp);
}

void pirtable_setup(void)
{
    const struct pci_dev *router = NULL;
    unsigned slots = 0;
    uint32_t seen = 0;
    for (unsigned i = 0; i < pci_count; i++) {
        const struct pci_dev *d = &pci_devs[i];
        if (d->bdf == PIIX3_DEVFN && d->vendor == 0x8086)
            router = d;
        if (!(seen & 1u << PCI_SLOT(d->bdf)))
            slots++;
        seen |= 1u << PCI_SLOT(d->bdf);
    }
    if (!router)
        return;
    uint32_t size = sizeof(struct pir_header) + slots * sizeof(struct pir_slot);
    struct pir_header *h = zone_alloc(ZONE_FSEG, size, 16);
    if (!h) {
        log_printf(" [no room for $PIR]");
        return;
    }
    memcpy(h->signature, "$PIR", 4);
    h->version = 0x0100;
    h->size = size;
    h->router_bus = 0;
    h->router_devfn = router->bdf;
    h->router_vendor = router->vendor;
    h->router_device = router->device;
    struct pir_slot *s = (struct pir_slot *)(h + 1);
    for (unsigned slot = 0; slot < 32; slot++) {
        if (!(seen & 1u << slot))
            continue;
        s->bus = 0;
        s->devfn = slot << 3;
        for (unsigned pin = 1; pin <= 4; pin++) {
            s->intx[pin - 1].link = PIR_LINK_BASE + pci_pirq(slot << 3, pin);
            s->intx[pin - 1].bitmap = PIR_IRQ_MAP;
        }
        s->slot = 0;                            /* on the board, not a slot */
        s++;
    }
    h->checksum = checksum(h, size);
    log_printf(" $PIR %x", (uint32_t)h);
}
