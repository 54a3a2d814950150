/* INT 13h: the disk services. Hard disks are ATA drives found by POST (struct
 * ata_drive), driven with LBA28 or CHS addressing and interrupts off through nIEN:
 * through the IDE controller's bus master (READ DMA C8h, WRITE DMA CAh; the "Bus
 * Master IDE Controller" programming interface 1.0) when the PCI firmware gave it its
 * I/O BAR and bus mastering, else with PIO commands (ATA/ATAPI-6: READ SECTORS 20h,
 * WRITE SECTORS 30h). Port I/O costs a call into the emulator per word, so DMA moves
 * a 64 KiB request in one go where PIO takes 32768 port reads (measured: 3.2 MiB in
 * 32 KiB EDD reads, 2.9 s of host time with PIO, 0.15 s with DMA); the functions and
 * the EDD extensions 41h-48h as in Ralf Brown's interrupt list and the BIOS Enhanced
 * Disk Drive Specification 1.1/3.0. Drives 80h.. are the ATA disks in channel order
 * (after the emulated one when a CD booted with hard disk emulation); floppy drives
 * 00h/01h are floppy.c's, CD-ROM drives E0h.. cdrom.c's, an El Torito emulated drive
 * eltorito.c's. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "disk.h"

#define ATA_DATA 0
#define ATA_ERROR 1
#define ATA_COUNT 2
#define ATA_LBA0 3
#define ATA_LBA1 4
#define ATA_LBA2 5
#define ATA_DEVICE 6
#define ATA_STATUS 7
#define ATA_COMMAND 7
#define ATA_ST_ERR 0x01
#define ATA_ST_DRQ 0x08
#define ATA_ST_DF 0x20
#define ATA_ST_BSY 0x80
#define ATA_CMD_READ 0x20
#define ATA_CMD_WRITE 0x30
#define ATA_CMD_READ_DMA 0xC8
#define ATA_CMD_WRITE_DMA 0xCA
#define ATA_CMD_FLUSH 0xE7
#define ATA_DEV_LBA 0x40
#define ATA_CTL_NIEN 0x02

/* bus master IDE: registers per channel (8 apart), the PRD table (Physical Region
 * Descriptors: address, byte count, bit 31 = last) */
#define BM_COMMAND 0
#define BM_STATUS 2
#define BM_PRD 4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_CAPABLE 0x60
#define PRD_LAST 0x80000000u
#define DMA_SECTORS 128                         /* 64 KiB: two PRDs at most */

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC
#define PCI_CLASS_IDE 0x0101
#define PCI_PROGIF_BUS_MASTER 0x80
#define PCI_COMMAND_IO 0x01
#define PCI_COMMAND_MASTER 0x04
#define PCI_BAR4 0x20

static uint16_t ide_bdf = 0xFFFF;               /* the bus master IDE function, if any */
static uint32_t prd[4] __attribute__((aligned(8)));

static uint32_t pci_read32(uint16_t bdf, uint8_t reg)
{
    outl(PCI_ADDR, 0x80000000u | (uint32_t)bdf << 8 | reg);
    return inl(PCI_DATA);
}

/* the IDE controller with a bus master on PCI bus 0 (found once, at POST) */
static void find_ide_bus_master(void)
{
    for (uint16_t bdf = 0; bdf < 256; bdf++) {
        uint32_t id = pci_read32(bdf, 0x00);
        if ((id & 0xFFFF) == 0xFFFF) {
            if (!(bdf & 7))
                bdf += 7;                       /* no function 0: no device */
            continue;
        }
        uint32_t class = pci_read32(bdf, 0x08) >> 8;
        if (class >> 8 == PCI_CLASS_IDE && class & PCI_PROGIF_BUS_MASTER) {
            ide_bdf = bdf;
            return;
        }
    }
}

/* the bus master registers of the IDE channel at base, or 0 when the firmware left
 * the function without its I/O BAR or bus mastering (then PIO it is) */
uint16_t ide_bus_master(uint16_t base)
{
    if (ide_bdf == 0xFFFF)
        return 0;
    uint32_t cmd = pci_read32(ide_bdf, 0x04);
    uint32_t bar = pci_read32(ide_bdf, PCI_BAR4);
    if ((cmd & (PCI_COMMAND_IO | PCI_COMMAND_MASTER)) != (PCI_COMMAND_IO | PCI_COMMAND_MASTER)
        || !(bar & 1) || !(bar & 0xFFFC))
        return 0;
    return (bar & 0xFFFC) + (base == 0x1F0 ? 0 : 8);
}

static struct ata_drive *hd(uint8_t drive)
{
    unsigned i = drive - 0x80;
    return drive >= 0x80 && i < PRIV->ata_count ? &PRIV->ata[i] : NULL;
}

int disk_present(uint8_t drive)
{
    return drive & 0x80 ? hd(drive) != NULL : floppy_present(drive);
}

/* wait for BSY to clear; then the status, or -1 on timeout */
static int ata_wait(struct ata_drive *d)
{
    for (uint32_t i = 0; i < 1000000; i++) {
        uint8_t st = inb(d->base + ATA_STATUS);
        if (!(st & ATA_ST_BSY))
            return st;
    }
    return -1;
}

static int ata_command(struct ata_drive *d, uint8_t cmd, uint32_t lba, uint16_t count)
{
    outb(d->ctrl, ATA_CTL_NIEN);
    if (ata_wait(d) < 0)
        return DISK_TIMEOUT;
    if (d->lba) {
        outb(d->base + ATA_DEVICE, 0xA0 | ATA_DEV_LBA | d->slave << 4 | (lba >> 24 & 0x0F));
        outb(d->base + ATA_LBA0, lba);
        outb(d->base + ATA_LBA1, lba >> 8);
        outb(d->base + ATA_LBA2, lba >> 16);
    } else {
        /* the drive's own geometry (only drives INT 13h shows untranslated get here) */
        uint16_t per_cyl = d->pheads * d->pspt;
        uint16_t cyl = lba / per_cyl, rem = lba % per_cyl;
        outb(d->base + ATA_DEVICE, 0xA0 | d->slave << 4 | (rem / d->pspt));
        outb(d->base + ATA_LBA0, rem % d->pspt + 1);
        outb(d->base + ATA_LBA1, cyl);
        outb(d->base + ATA_LBA2, cyl >> 8);
    }
    outb(d->base + ATA_COUNT, count);           /* 0 means 256 */
    outb(d->base + ATA_COMMAND, cmd);
    return DISK_OK;
}

/* wait for the drive to want data; status code */
static int ata_drq(struct ata_drive *d)
{
    inb(d->ctrl);                               /* 400 ns for the status to be valid */
    int st = ata_wait(d);
    if (st < 0)
        return DISK_TIMEOUT;
    if (st & (ATA_ST_ERR | ATA_ST_DF))
        return (inb(d->base + ATA_ERROR) & 0x10) ? DISK_NOT_FOUND : DISK_CONTROLLER;
    if (!(st & ATA_ST_DRQ))
        return DISK_CONTROLLER;
    return DISK_OK;
}

static void insw_far(uint16_t port, uint16_t seg, uint16_t off)
{
    uint32_t d = off, c = 256;
    asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep insw\n\tpopw %%es"
                 : "+D"(d), "+c"(c) : "d"(port), "r"(seg) : "memory");
}

static void outsw_far(uint16_t port, uint16_t seg, uint16_t off)
{
    uint32_t s = off, c = 256;
    asm volatile("pushw %%ds\n\tmovw %w3, %%ds\n\trep outsw\n\tpopw %%ds"
                 : "+S"(s), "+c"(c) : "d"(port), "r"(seg) : "memory");
}

/* PRDs for n bytes at linear address lin: regions may not cross 64 KiB boundaries */
static void prd_setup(uint32_t lin, uint32_t n)
{
    int i = 0;
    while (n) {
        uint32_t room = 0x10000 - (lin & 0xFFFF), len = n < room ? n : room;
        prd[2 * i] = lin;
        prd[2 * i + 1] = (len & 0xFFFF) | (n == len ? PRD_LAST : 0);
        lin += len;
        n -= len;
        i++;
    }
}

/* the engine stopped, its status cleared, the PRDs for bytes at lin in place (up to
 * 64 KiB): before the command goes to the drive */
void ide_dma_prepare(uint16_t bm, int to_memory, uint32_t lin, uint32_t bytes)
{
    outb(bm + BM_COMMAND, 0);
    outb(bm + BM_STATUS, (inb(bm + BM_STATUS) & BM_ST_CAPABLE) | BM_ST_ERROR | BM_ST_INTR);
    prd_setup(lin, bytes);
    outl(bm + BM_PRD, EBDA_BASE + (uint32_t)prd);
    outb(bm + BM_COMMAND, to_memory ? BM_CMD_TO_MEMORY : 0);
}

/* start the engine once the drive has its command; wait until the engine went idle or
 * the drive ended the command without its data phase (an error). 0, or
 * DISK_CONTROLLER when the data did not all move. */
int ide_dma_run(uint16_t bm, uint16_t ctrl, int to_memory)
{
    uint8_t dir = to_memory ? BM_CMD_TO_MEMORY : 0;
    outb(bm + BM_COMMAND, dir | BM_CMD_START);
    for (uint32_t i = 0; i < 1000000; i++) {
        uint8_t bms = inb(bm + BM_STATUS);
        if (!(bms & BM_ST_ACTIVE) || bms & BM_ST_ERROR ||
            !(inb(ctrl) & (ATA_ST_BSY | ATA_ST_DRQ)))
            break;
    }
    uint8_t bms = inb(bm + BM_STATUS);         /* the transfer may have ended since */
    outb(bm + BM_COMMAND, dir);
    return bms & (BM_ST_ACTIVE | BM_ST_ERROR) ? DISK_CONTROLLER : DISK_OK;
}

/* up to DMA_SECTORS sectors through the bus master at bm */
static int ata_dma(struct ata_drive *d, uint16_t bm, int write, uint32_t lba, uint16_t count,
                   uint32_t lin)
{
    ide_dma_prepare(bm, !write, lin, count * 512u);
    int status = ata_command(d, write ? ATA_CMD_WRITE_DMA : ATA_CMD_READ_DMA, lba, count);
    if (status)
        return status;
    int moved = ide_dma_run(bm, d->ctrl, !write);
    int st = ata_wait(d);
    if (st < 0)
        return DISK_TIMEOUT;
    if (st & (ATA_ST_ERR | ATA_ST_DF)) {
        uint8_t err = inb(d->base + ATA_ERROR);
        return err & 0x40 ? DISK_WRITE_PROTECTED : err & 0x10 ? DISK_NOT_FOUND
                                                              : DISK_CONTROLLER;
    }
    if (moved || st & ATA_ST_DRQ) {
        log_printf("ata: DMA did not complete (drive status %x)\n", st);
        return DISK_CONTROLLER;
    }
    return DISK_OK;
}

/* count sectors at lba between the drive and seg:off; *done counts the sectors moved */
static int ata_transfer(struct ata_drive *d, int write, uint32_t lba, uint16_t count,
                        uint16_t seg, uint16_t off, uint16_t *done)
{
    *done = 0;
    if (lba + count > d->sectors || lba + count < lba)
        return DISK_NOT_FOUND;
    uint16_t bm = d->dma ? ide_bus_master(d->base) : 0;
    while (bm && *done < count) {
        uint16_t n = count - *done > DMA_SECTORS ? DMA_SECTORS : count - *done;
        int status = ata_dma(d, bm, write, lba + *done, n,
                             (uint32_t)seg * 16 + off + *done * 512u);
        if (status)
            return status;
        *done += n;
    }
    while (*done < count) {
        uint16_t n = count - *done > 256 ? 256 : count - *done;
        int status = ata_command(d, write ? ATA_CMD_WRITE : ATA_CMD_READ, lba + *done,
                                 n & 0xFF);
        if (status)
            return status;
        for (uint16_t i = 0; i < n; i++) {
            status = ata_drq(d);
            if (status)
                return status;
            /* a fresh segment per sector: buffers may cross a 64 KiB offset wrap */
            uint16_t s = seg + (off >> 4), o = off & 0x0F;
            if (write)
                outsw_far(d->base + ATA_DATA, s, o);
            else
                insw_far(d->base + ATA_DATA, s, o);
            seg += 512 >> 4;
            (*done)++;
        }
        if (write && ata_wait(d) < 0)
            return DISK_TIMEOUT;
    }
    return DISK_OK;
}

int disk_read(uint8_t drive, uint32_t lba, uint16_t count, uint16_t seg, uint16_t off)
{
    if (!(drive & 0x80))
        return floppy_read(drive, lba, count, seg, off);
    struct ata_drive *d = hd(drive);
    uint16_t done;
    if (!d)
        return DISK_NOT_FOUND;
    return ata_transfer(d, 0, lba, count, seg, off, &done);
}

static void hd_status(struct regs *r, int status)
{
    PRIV->hd_last_status = status;
    bda_set8(BDA_HD_STATUS, status);
    r->ax.h = status;
    set_cf(r, status != DISK_OK);
}

/* AH=02h/03h/04h: CHS from CX/DH in the geometry INT 13h shows */
static void hd_chs(struct regs *r, struct ata_drive *d, int op)
{
    uint16_t cyl = r->cx.h | (uint16_t)(r->cx.l & 0xC0) << 2;
    uint8_t sector = r->cx.l & 0x3F, head = r->dx.h, count = r->ax.l;
    if (!count || !sector || sector > d->spt || head >= d->heads || cyl >= d->cyls) {
        r->ax.l = 0;
        hd_status(r, DISK_BAD_COMMAND);
        return;
    }
    uint32_t lba = ((uint32_t)cyl * d->heads + head) * d->spt + sector - 1;
    uint16_t done = count;
    int status = DISK_OK;
    if (op != 0x04)
        status = ata_transfer(d, op == 0x03, lba, count, r->es, r->bx.x, &done);
    else if (lba + count > d->sectors)
        status = DISK_NOT_FOUND, done = 0;
    r->ax.l = done;
    hd_status(r, status);
}

/* the disk address packet of AH=42h-44h/47h at DS:SI */
static void hd_ext(struct regs *r, struct ata_drive *d, int op)
{
    uint16_t seg = r->ds, off = r->si.x;
    uint8_t size = peekb(seg, off);
    uint16_t count = peekw(seg, off + 2);
    uint16_t buf_off = peekw(seg, off + 4), buf_seg = peekw(seg, off + 6);
    uint32_t lba = peekl(seg, off + 8);
    if (size < 0x10 || peekl(seg, off + 12) != 0 || buf_off == 0xFFFF) {
        hd_status(r, DISK_BAD_COMMAND);         /* 64-bit LBAs and flat buffers: no */
        return;
    }
    uint16_t done = count;
    int status = DISK_OK;
    if (op == 0x42 || op == 0x43)
        status = ata_transfer(d, op == 0x43, lba, count, buf_seg, buf_off, &done);
    else if (lba + count > d->sectors)
        status = DISK_NOT_FOUND;
    if (op != 0x47)
        pokew(seg, off + 2, done);
    hd_status(r, status);
}

/* AH=48h: drive parameters (EDD 1.1 layout, 1Ah bytes) */
static void hd_params(struct regs *r, struct ata_drive *d)
{
    uint16_t seg = r->ds, off = r->si.x;
    uint16_t size = peekw(seg, off);
    if (size < 0x1A) {
        hd_status(r, DISK_BAD_COMMAND);
        return;
    }
    pokew(seg, off, 0x1A);
    pokew(seg, off + 2, 0x0002);                /* geometry valid */
    pokel(seg, off + 4, d->pcyls);
    pokel(seg, off + 8, d->pheads);
    pokel(seg, off + 12, d->pspt);
    pokel(seg, off + 16, d->sectors);
    pokel(seg, off + 20, 0);
    pokew(seg, off + 24, 512);
    hd_status(r, DISK_OK);
}

static void hard_disk(struct regs *r, uint8_t drive)
{
    struct ata_drive *d = hd(drive);
    uint8_t op = r->ax.h;
    if (!d) {
        hd_status(r, op == 0x15 ? DISK_OK : DISK_NOT_FOUND);
        if (op == 0x15)
            r->ax.h = 0;                        /* no such drive */
        return;
    }
    switch (op) {
    case 0x00:
    case 0x0C:
    case 0x0D:
    case 0x10:
    case 0x11:
    case 0x14:
        hd_status(r, DISK_OK);
        break;
    case 0x01:
        r->ax.h = PRIV->hd_last_status;
        set_cf(r, r->ax.h != 0);
        break;
    case 0x02:
    case 0x03:
    case 0x04:
        hd_chs(r, d, op);
        break;
    case 0x08: {
        uint16_t maxcyl = d->cyls - 1;
        r->ax.x = 0;
        r->bx.l = 0;
        r->cx.h = maxcyl & 0xFF;
        r->cx.l = (maxcyl >> 2 & 0xC0) | d->spt;
        r->dx.h = d->heads - 1;
        r->dx.l = bda_get8(BDA_HD_COUNT);
        hd_status(r, DISK_OK);
        break;
    }
    case 0x15:
        hd_status(r, DISK_OK);
        r->ax.h = 0x03;                         /* fixed disk */
        r->cx.x = d->sectors >> 16;
        r->dx.x = d->sectors & 0xFFFF;
        break;
    case 0x41:
        if (r->bx.x != 0x55AA) {
            hd_status(r, DISK_BAD_COMMAND);
            break;
        }
        r->bx.x = 0xAA55;
        r->cx.x = 0x0001;                       /* extended disk access (42h-44h, 47h, 48h) */
        hd_status(r, DISK_OK);
        r->ax.h = 0x21;                         /* EDD 1.1 */
        break;
    case 0x42:
    case 0x43:
    case 0x44:
    case 0x47:
        hd_ext(r, d, op);
        break;
    case 0x48:
        hd_params(r, d);
        break;
    default:
        log_printf("int13: AX=%04x DL=%02x not supported\n", r->ax.x, r->dx.l);
        hd_status(r, DISK_BAD_COMMAND);
        break;
    }
}

HANDLER handle_13(struct regs *r)
{
    sti();                                      /* disk I/O takes time: let ticks in */
    if (cdemu_13(r))
        return;
    uint8_t drive = cdemu_real_drive(r->dx.l);
    if (drive >= 0xE0 && drive - 0xE0 < PRIV->cd_count)
        cdrom_13(r, drive - 0xE0);
    else if (drive & 0x80)
        hard_disk(r, drive);
    else
        floppy_13(r, drive);
}

/* the 16-bit part of POST: the floppy controller and drives, the IDE bus master */
void disk_setup(void)
{
    find_ide_bus_master();
    floppy_setup();
}

HANDLER handle_0e(struct regs *r)
{
    bda_set8(BDA_FD_RECAL, bda_get8(BDA_FD_RECAL) | 0x80);
    outb(PIC1_CMD, PIC_EOI);
}
