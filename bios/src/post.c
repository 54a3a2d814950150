/* POST: the power-on self test and set-up, in 32-bit flat protected mode (entry_32.S
 * calls post_main; when it returns the machine goes back to real mode and boots).
 * Order and values as the IBM PC/AT Technical Reference's POST has them, with the
 * configuration taken from CMOS as QEMU and Bochs fill it (memory sizes 15h-18h,
 * 30h-31h, 34h-35h; boot order 3Dh and 38h; floppy types 10h; equipment 14h). */
#include "types.h"
#include "hw.h"
#include "layout.h"
#include "platform.h"
#include "private.h"
#include "util.h"

#define LIN(a) ((volatile uint8_t *)(uint32_t)(a))
#define W16(a) (*(volatile uint16_t *)(uint32_t)(a))
#define W32(a) (*(volatile uint32_t *)(uint32_t)(a))
#define BDA(o) (0x400 + (o))
#define FAR(seg, off) ((uint32_t)(seg) << 16 | (off))
#define BIOS(off) FAR(BIOS_SEG, off)

static struct bios_private *const priv = (struct bios_private *)(EBDA_BASE + PRIV_OFF);

/* linker symbols (bios.ld) and 16-bit code entry points (entry_16.S); the 16-bit
 * ones are offsets in segment F000 */
extern char __data16_start[], __data16_end[], __data16_load[];
extern char int18_entry[], int70_entry[], int75_entry[], default_iret[],
    default_irq_master[], default_irq_slave[];

static void post_code(uint8_t code)
{
    outb(0x80, code);
}

static void serial_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, 0x80);               /* divisor latch */
    outb(COM1 + UART_DLL, 1);                  /* 115200 baud */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, 0x03);               /* 8N1 */
    outb(COM1 + UART_FCR, 0x07);               /* FIFOs on and cleared */
    outb(COM1 + UART_MCR, 0x03);               /* DTR, RTS */
}

static void pic_init(void)
{
    outb(PIC1_CMD, 0x11);                      /* ICW1: edge, cascade, ICW4 */
    outb(PIC2_CMD, 0x11);
    io_delay();
    outb(PIC1_DATA, 0x08);                     /* ICW2: vectors 08h-0Fh, 70h-77h */
    outb(PIC2_DATA, 0x70);
    io_delay();
    outb(PIC1_DATA, 0x04);                     /* ICW3: slave on IRQ2 */
    outb(PIC2_DATA, 0x02);
    io_delay();
    outb(PIC1_DATA, 0x01);                     /* ICW4: 8086 mode */
    outb(PIC2_DATA, 0x01);
    io_delay();
    outb(PIC1_DATA, 0xB8);                     /* IRQ0, 1, 2 (cascade), 6 on */
    outb(PIC2_DATA, 0xDF);                     /* IRQ13: x87 errors (INT 75h) */
}

static void pit_init(void)
{
    outb(PIT_MODE, 0x36);                      /* channel 0, lobyte/hibyte, mode 3 */
    outb(PIT_CH0, 0);                          /* divisor 65536: 18.2 Hz */
    outb(PIT_CH0, 0);
}

static void rtc_init(void)
{
    cmos_write(0x0A, 0x26);                    /* 32.768 kHz base, 1024 Hz periodic */
    cmos_write(0x0B, cmos_read(0x0B) & ~0x70); /* no periodic/alarm/update interrupts */
    cmos_read(0x0C);
    cmos_read(0x0D);
}

static void kbc_init(void)
{
    while (inb(KBC_STATUS) & KBC_ST_OBF)
        inb(KBC_DATA);
    kbc_command(0xAA);
    if (kbc_read() != 0x55)
        log_printf("keyboard controller: self test failed\n");
    kbc_command(0xAB);
    if (kbc_read() != 0x00)
        log_printf("keyboard controller: keyboard interface test failed\n");
    kbc_command(0x60);
    kbc_write(0x64);                           /* translate, system flag, aux off, no IRQ */
    kbc_write(0xFF);                           /* keyboard reset: FA, then AA */
    int ack = kbc_read(), bat = kbc_read();
    if (ack != 0xFA || bat != 0xAA)
        log_printf("keyboard: reset answered %x %x\n", ack, bat);
    kbc_write(0xF4);                           /* enable scanning */
    kbc_read();
    kbc_command(0x60);
    kbc_write(0x65);                           /* ... and IRQ1 on */
}

static uint32_t ram_size(void)
{
    uint32_t high = cmos_read(0x34) | cmos_read(0x35) << 8;
    if (high)
        return 16u * 1024 * 1024 + high * 65536;
    uint32_t ext = cmos_read(0x30) | cmos_read(0x31) << 8;
    return 1024 * 1024 + ext * 1024;
}

static void ivt_init(void)
{
    for (int v = 0; v < 256; v++)
        W32(v * 4) = BIOS((uint32_t)default_iret);
    for (int v = 0x08; v < 0x10; v++)
        W32(v * 4) = BIOS((uint32_t)default_irq_master);
    for (int v = 0x70; v < 0x78; v++)
        W32(v * 4) = BIOS((uint32_t)default_irq_slave);
    for (int v = 0x60; v < 0x68; v++)
        W32(v * 4) = 0;                        /* user vectors */
    W32(0x02 * 4) = BIOS(0xE2C3);
    W32(0x05 * 4) = BIOS(0xFF54);
    W32(0x08 * 4) = BIOS(0xFEA5);
    W32(0x09 * 4) = BIOS(0xE987);
    W32(0x0E * 4) = BIOS(0xEF57);
    W32(0x10 * 4) = BIOS(0xF065);
    W32(0x11 * 4) = BIOS(0xF84D);
    W32(0x12 * 4) = BIOS(0xF841);
    W32(0x13 * 4) = BIOS(0xE3FE);
    W32(0x14 * 4) = BIOS(0xE739);
    W32(0x15 * 4) = BIOS(0xF859);
    W32(0x16 * 4) = BIOS(0xE82E);
    W32(0x17 * 4) = BIOS(0xEFD2);
    W32(0x18 * 4) = BIOS((uint32_t)int18_entry);
    W32(0x19 * 4) = BIOS(0xE6F2);
    W32(0x1A * 4) = BIOS(0xFE6E);
    W32(0x1C * 4) = BIOS(0xFF53);
    W32(0x1D * 4) = 0;                         /* no video parameter table */
    W32(0x1E * 4) = BIOS(0xEFC7);
    W32(0x1F * 4) = 0;                         /* no graphics font */
    W32(0x40 * 4) = BIOS(0xEC59);
    W32(0x41 * 4) = 0;                         /* no fixed disk parameter tables */
    W32(0x43 * 4) = 0;
    W32(0x46 * 4) = 0;
    W32(0x4A * 4) = BIOS(0xFF53);
    W32(0x70 * 4) = BIOS((uint32_t)int70_entry);
    W32(0x75 * 4) = BIOS((uint32_t)int75_entry);
}

/* a 16550's scratch register keeps what is written to it; nothing answers 0xFF */
static int uart_present(uint16_t base)
{
    outb(base + UART_SCR, 0x5A);
    if (inb(base + UART_SCR) != 0x5A)
        return 0;
    outb(base + UART_SCR, 0xA5);
    return inb(base + UART_SCR) == 0xA5;
}

static void bda_init(uint32_t ram_end)
{
    static const uint16_t com_ports[] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };
    memset((void *)0x400, 0, 0x100);
    unsigned ncom = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(com_ports); i++)
        if (uart_present(com_ports[i]))
            W16(BDA(BDA_COM_BASE) + 2 * ncom++) = com_ports[i];
    uint8_t floppies = cmos_read(0x10);
    unsigned nfd = ((floppies >> 4) != 0) + ((floppies & 0x0F) != 0);
    uint16_t equipment = 0x0020 | (cmos_read(0x14) & 0x02) | ncom << 9;  /* 80x25 colour */
    if (nfd)
        equipment |= 0x01 | (nfd - 1) << 6;
    W16(BDA(BDA_EQUIPMENT)) = equipment;
    W16(BDA(BDA_MEM_KIB)) = BASE_MEM_KIB;
    W16(BDA(BDA_EBDA_SEG)) = EBDA_SEG;
    W16(BDA(BDA_KB_HEAD)) = BDA_KB_BUF;
    W16(BDA(BDA_KB_TAIL)) = BDA_KB_BUF;
    W16(BDA(BDA_KB_BUF_START)) = BDA_KB_BUF;
    W16(BDA(BDA_KB_BUF_END)) = BDA_KB_BUF + 32;
    *LIN(BDA(BDA_KB_FLAGS3)) = 0x10;            /* 101/102-key keyboard */
    *LIN(BDA(BDA_FD_MEDIA)) = 0;

    /* the tick count from the RTC's time of day: 1193182 / 65536 ticks a second */
    uint32_t secs = bcd2bin(cmos_read(0x04)) * 3600 + bcd2bin(cmos_read(0x02)) * 60 +
                    bcd2bin(cmos_read(0x00));
    W32(BDA(BDA_TICKS)) = secs * 18 + secs * 2065 / 10000;
    (void)ram_end;
}

static void ebda_init(uint32_t ram_end)
{
    memset((void *)EBDA_BASE, 0, EBDA_KIB * 1024);
    *LIN(EBDA_BASE) = EBDA_KIB;
    memcpy((void *)(EBDA_BASE + (uint32_t)__data16_start), __data16_load,
           __data16_end - __data16_start);
    priv->ram_end = ram_end;
    priv->tables_base = ram_end;
}

/* PCI, then the firmware tables (tables.c) in a zone at the top of RAM: only when
 * there is extended memory to spare for it */
static void platform_init(uint32_t ram_end)
{
    pci_setup(ram_end);
    uint32_t high = 0;
    if (ram_end >= 0x200000) {
        high = ram_end - HIGH_ZONE_SIZE;
        priv->tables_base = high;
    }
    tables_setup(high, high ? ram_end : 0);
}

static const char *const boot_names[] = { "none", "floppy", "hard disk", "CD-ROM" };

/* Bochs' CMOS boot sequence: 3Dh bits 3-0 first device, 7-4 second, 38h bits 7-4
 * third; 1 floppy, 2 hard disk, 3 CD-ROM. Nothing set: hard disk, floppy, CD-ROM. */
static void boot_order_init(void)
{
    uint8_t seq = cmos_read(0x3D), third = cmos_read(0x38) >> 4;
    uint8_t order[3] = { seq & 0x0F, seq >> 4, third };
    if (!order[0])
        order[0] = BOOT_DISK, order[1] = BOOT_FLOPPY, order[2] = BOOT_CDROM;
    log_printf("boot order:");
    for (int i = 0; i < 3; i++) {
        priv->boot_order[i] = order[i] <= BOOT_CDROM ? order[i] : BOOT_NONE;
        if (priv->boot_order[i])
            log_printf(" %s", boot_names[priv->boot_order[i]]);
    }
    log_printf("\n");
}

/* ---- ATA disks (ATA/ATAPI-6: IDENTIFY DEVICE, the signature of packet devices) ---- */

static int ata_wait_ready(uint16_t base)
{
    for (uint32_t i = 0; i < 1000000; i++) {
        uint8_t st = inb(base + 7);
        if (st == 0xFF)
            return -1;                          /* nothing on this channel */
        if (!(st & 0x80))
            return st;
    }
    return -1;
}

static void ata_string(const uint16_t *id, int first, int words, char *out)
{
    int n = 0;
    for (int i = 0; i < words; i++) {
        out[n++] = id[first + i] >> 8;
        out[n++] = id[first + i] & 0xFF;
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = 0;
}

/* the geometry INT 13h shows: the drive's own when it fits 1024 cylinders, else the
 * usual LBA-assisted translation (63 sectors, 16..255 heads) */
static void ata_geometry(struct ata_drive *d)
{
    if (d->pcyls <= 1024 && d->pheads <= 16 && d->pspt <= 63 && d->pcyls) {
        d->cyls = d->pcyls, d->heads = d->pheads, d->spt = d->pspt;
        return;
    }
    d->spt = 63;
    d->heads = 255;
    for (uint16_t h = 16; h < 255; h *= 2) {
        if (d->sectors / (63u * h) <= 1024) {
            d->heads = h;
            break;
        }
    }
    uint32_t cyls = d->sectors / (63u * d->heads);
    d->cyls = cyls > 1024 ? 1024 : cyls;
}

/* a PACKET device (it aborted IDENTIFY DEVICE with the ATAPI signature): IDENTIFY
 * PACKET DEVICE; CD-ROM drives (word 0 bits 12-8 = 05h) become BIOS drives E0h.. */
static void atapi_probe_device(uint16_t base, uint16_t ctrl, int slave)
{
    outb(base + 7, 0xA1);
    io_delay();
    int st = ata_wait_ready(base);
    if (st < 0 || (st & 0x09) != 0x08)
        return;
    uint16_t id[256];
    for (int i = 0; i < 256; i++)
        id[i] = inw(base);
    char model[41];
    ata_string(id, 27, 20, model);
    int channel = base == 0x1F0 ? 0 : 1;
    if ((id[0] >> 8 & 0x1F) != 0x05 || priv->cd_count >= MAX_CD) {
        log_printf("ata%d-%d: %s (ATAPI, not a CD-ROM)\n", channel, slave, model);
        return;
    }
    struct cd_drive *cd = &priv->cd[priv->cd_count++];
    cd->base = base;
    cd->ctrl = ctrl;
    cd->slave = slave;
    log_printf("ata%d-%d: %s, CD-ROM drive %x\n", channel, slave, model,
               0xE0 + priv->cd_count - 1);
}

static void ata_probe_device(uint16_t base, uint16_t ctrl, int slave)
{
    outb(ctrl, 0x02);                           /* nIEN: no interrupts, we poll */
    outb(base + 6, 0xA0 | slave << 4);
    io_delay();
    if (ata_wait_ready(base) < 0)
        return;
    outb(base + 7, 0xEC);                       /* IDENTIFY DEVICE */
    io_delay();
    if (inb(base + 7) == 0)
        return;                                 /* no device */
    int st = ata_wait_ready(base);
    if (st < 0)
        return;
    if (st & 0x01) {
        if (inb(base + 4) == 0x14 && inb(base + 5) == 0xEB)
            atapi_probe_device(base, ctrl, slave);
        return;
    }
    if (!(st & 0x08))
        return;
    uint16_t id[256];
    for (int i = 0; i < 256; i++)
        id[i] = inw(base);
    if (priv->ata_count >= MAX_ATA)
        return;
    struct ata_drive *d = &priv->ata[priv->ata_count++];
    d->present = 1;
    d->base = base;
    d->ctrl = ctrl;
    d->slave = slave;
    d->lba = (id[49] >> 9) & 1;
    d->dma = (id[49] >> 8) & 1;
    d->pcyls = id[1], d->pheads = id[3], d->pspt = id[6];
    d->sectors = d->lba ? (id[60] | (uint32_t)id[61] << 16)
                        : (uint32_t)d->pcyls * d->pheads * d->pspt;
    ata_geometry(d);
    char model[41];
    ata_string(id, 27, 20, model);
    log_printf("ata%d-%d: %s, %u MiB, CHS %u/%u/%u\n", base == 0x1F0 ? 0 : 1, slave,
               model, d->sectors >> 11, d->cyls, d->heads, d->spt);
}

static void ata_init(void)
{
    static const uint16_t ports[2][2] = { { 0x1F0, 0x3F6 }, { 0x170, 0x376 } };
    for (int c = 0; c < 2; c++)
        for (int s = 0; s < 2; s++)
            ata_probe_device(ports[c][0], ports[c][1], s);
    *LIN(BDA(BDA_HD_COUNT)) = priv->ata_count;
}

void post_main(void)
{
    post_code(0x01);
    serial_init();
    log_printf("\npyx86 BIOS\n");
    uint32_t ram_end = ram_size();
    log_printf("RAM: %u KiB conventional, %u MiB total\n", BASE_MEM_KIB, ram_end >> 20);
    post_code(0x02);
    ebda_init(ram_end);
    bda_init(ram_end);
    ivt_init();
    post_code(0x03);
    pic_init();
    pit_init();
    rtc_init();
    platform_init(ram_end);
    post_code(0x04);
    kbc_init();
    post_code(0x05);
    ata_init();
    priv->floppy_types[0] = cmos_read(0x10) >> 4;
    priv->floppy_types[1] = cmos_read(0x10) & 0x0F;
    boot_order_init();
    *LIN(BDA(BDA_RESET_FLAG)) = 0;
    tables_finish();
    post_code(0x06);
}
