/* The platform side of POST (32-bit code only): PCI enumeration and resources
 * (pci.c), the fw_cfg interface (fwcfg.c), the firmware tables: ACPI through the
 * machine's table-loader script, SMBIOS from the machine's fw_cfg files (tables.c),
 * the MP table and the $PIR table (mptable.c). */
#ifndef PLATFORM_H
#define PLATFORM_H

#include "types.h"

/* ---- PCI (PCI Local Bus Specification 3.0; bus 0 only) ---- */
#define PCI_MAX_DEVS 64
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_INT_LINE 0x3C
#define PCI_INT_PIN 0x3D
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4

#define PCI_BDF(dev, fn) ((dev) << 3 | (fn))
#define PCI_SLOT(bdf) (((bdf) >> 3) & 0x1F)

struct pci_dev {
    uint16_t bdf;               /* bus 0: device << 3 | function */
    uint16_t vendor, device;
    uint8_t pin;                /* INTx# pin: 1 = INTA#, 0 none */
    uint8_t irq;                /* the ISA IRQ its PIRQ is routed to (0: no pin) */
    uint32_t class_rev;         /* config 0x08: class code << 8 | revision */
};

extern struct pci_dev pci_devs[PCI_MAX_DEVS];
extern unsigned pci_count;
extern const uint8_t pirq_irqs[4];

uint32_t pci_read32(uint16_t bdf, uint8_t off);
uint16_t pci_read16(uint16_t bdf, uint8_t off);
uint8_t pci_read8(uint16_t bdf, uint8_t off);
void pci_write32(uint16_t bdf, uint8_t off, uint32_t v);
void pci_write16(uint16_t bdf, uint8_t off, uint16_t v);
void pci_write8(uint16_t bdf, uint8_t off, uint8_t v);
int pci_pirq(uint16_t bdf, uint8_t pin);        /* 0..3 = PIRQA..D */
void pci_setup(uint32_t ram_end);

/* ---- fw_cfg (QEMU docs/specs/fw_cfg.txt) ---- */
int fwcfg_init(void);
int fwcfg_find(const char *name, uint32_t *size);   /* the file's selector, or -1 */
void fwcfg_read_item(uint16_t key, void *buf, uint32_t len);

/* ---- table memory ---- */
#define ZONE_HIGH 1
#define ZONE_FSEG 2
#define HIGH_ZONE_SIZE (128 * 1024)                     /* top of RAM, E820-reserved */
void *zone_alloc(int zone, uint32_t size, uint32_t align);  /* zeroed; NULL when full */
uint8_t checksum(const void *p, uint32_t len);          /* the byte that makes the sum 0 */
void tables_setup(uint32_t high_base, uint32_t high_end);
void tables_finish(void);
void mptable_setup(void);
void pirtable_setup(void);

#endif
