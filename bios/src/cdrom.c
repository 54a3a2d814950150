/* ATAPI CD-ROM drives: the PACKET command protocol with polling (ATA/ATAPI-6 9.8:
 * A0h, the 12-byte command packet, then DRQ blocks whose size the drive puts in the
 * byte count registers, or with features bit 0 the data through the IDE bus master
 * when the controller has one: whole-sector reads go that way, disk.c), READ (10)
 * and READ CAPACITY (MMC), and INT 13h for the
 * CD drives E0h.. (the numbers SeaBIOS gives them): EDD functions 41h, 42h, 44h,
 * 47h and 48h on 2048-byte sectors (BIOS Enhanced Disk Drive Specification 3.0);
 * a CD is read-only (43h answers "write protected").
 *
 * Reads take a byte range of the data stream: the bytes before and after it are
 * read from the drive and dropped, so El Torito's 512-byte virtual sectors need no
 * 2 KiB buffer. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "disk.h"

#define ATA_DATA 0
#define ATA_FEATURES 1
#define ATA_ERROR 1
#define ATA_LBA1 4
#define ATA_LBA2 5
#define ATA_DEVICE 6
#define ATA_STATUS 7
#define ATA_COMMAND 7
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_BSY 0x80
#define CTL_NIEN 0x02
#define ATA_PACKET 0xA0
#define BYTE_LIMIT 0x8000                   /* DRQ block size we ask for */
#define DMA_SECTORS 32                      /* 64 KiB per bus master transfer */

#define SCSI_READ_CAPACITY 0x25
#define SCSI_READ10 0x28
#define SENSE_NOT_READY 0x2
#define SENSE_MEDIUM_ERROR 0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION 0x6
#define CD_RETRIES 3

static uint8_t cd_last_status;

static int wait_not_busy(const struct cd_drive *cd)
{
    for (uint32_t i = 0; i < 1000000; i++) {
        uint8_t st = inb(cd->base + ATA_STATUS);
        if (!(st & ST_BSY))
            return st;
    }
    return -1;
}

static void insw_lin(uint16_t port, uint32_t lin, uint16_t words)
{
    uint32_t d = lin & 15, c = words;
    uint16_t seg = lin >> 4;
    asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep insw\n\tpopw %%es"
                 : "+D"(d), "+c"(c) : "d"(port), "r"(seg) : "memory");
}

static int sense_status(uint8_t key)
{
    switch (key) {
    case SENSE_NOT_READY:
        return DISK_NOT_READY;
    case SENSE_MEDIUM_ERROR:
        return 0x10;                        /* read error */
    case SENSE_ILLEGAL_REQUEST:
        return DISK_NOT_FOUND;
    case SENSE_UNIT_ATTENTION:
        return 0x06;                        /* media changed */
    default:
        return DISK_CONTROLLER;
    }
}

/* the drive selected and idle, then A0h and the command packet; status code */
static int send_packet(const struct cd_drive *cd, const uint8_t *cdb, int dma)
{
    uint16_t base = cd->base;
    outb(cd->ctrl, CTL_NIEN);
    outb(base + ATA_DEVICE, 0xA0 | cd->slave << 4);
    int st = wait_not_busy(cd);
    if (st < 0)
        return DISK_TIMEOUT;
    outb(base + ATA_FEATURES, dma ? 1 : 0);
    outb(base + ATA_LBA1, BYTE_LIMIT & 0xFF);
    outb(base + ATA_LBA2, BYTE_LIMIT >> 8);
    outb(base + ATA_COMMAND, ATA_PACKET);
    inb(cd->ctrl);
    st = wait_not_busy(cd);
    if (st < 0)
        return DISK_TIMEOUT;
    if ((st & (ST_ERR | ST_DRQ)) != ST_DRQ)
        return DISK_CONTROLLER;
    uint32_t si = (uint32_t)cdb, c = 6;
    asm volatile("rep outsw" : "+S"(si), "+c"(c) : "d"(base + ATA_DATA) : "memory");
    return DISK_OK;
}

/* the drive's status once the command is over */
static int packet_status(const struct cd_drive *cd)
{
    inb(cd->ctrl);
    int st = wait_not_busy(cd);
    if (st < 0)
        return DISK_TIMEOUT;
    if (st & ST_ERR)
        return sense_status(inb(cd->base + ATA_ERROR) >> 4);
    return st & ST_DRQ ? DISK_CONTROLLER : DISK_OK;
}

/* one PACKET command in PIO; of the data it returns, bytes [skip, skip + len) go to
 * linear address lin (skip and len even, the stored part below 1 MiB + 64 KiB) */
static int packet(const struct cd_drive *cd, const uint8_t *cdb, uint32_t skip,
                  uint32_t len, uint32_t lin)
{
    uint16_t base = cd->base;
    int status = send_packet(cd, cdb, 0);
    if (status)
        return status;
    uint32_t pos = 0;
    for (;;) {
        inb(cd->ctrl);
        int st = wait_not_busy(cd);
        if (st < 0)
            return DISK_TIMEOUT;
        if (st & ST_ERR)
            return sense_status(inb(base + ATA_ERROR) >> 4);
        if (!(st & ST_DRQ))
            return DISK_OK;
        uint32_t end = pos + (inb(base + ATA_LBA1) | inb(base + ATA_LBA2) << 8);
        for (; pos < end && pos < skip; pos += 2)
            inw(base + ATA_DATA);
        if (pos < end && pos < skip + len) {
            uint32_t take = (end < skip + len ? end : skip + len) - pos;
            insw_lin(base + ATA_DATA, lin, take / 2);
            lin += take;
            pos += take;
        }
        for (; pos < end; pos += 2)
            inw(base + ATA_DATA);
    }
}

/* one PACKET command whose len bytes of data go to lin through the bus master */
static int packet_dma(const struct cd_drive *cd, uint16_t bm, const uint8_t *cdb,
                      uint32_t len, uint32_t lin)
{
    ide_dma_prepare(bm, 1, lin, len);
    int status = send_packet(cd, cdb, 1);
    if (status)
        return status;
    int moved = ide_dma_run(bm, cd->ctrl, 1);
    status = packet_status(cd);
    return status ? status : moved;
}

static int packet_retried(const struct cd_drive *cd, const uint8_t *cdb, uint32_t skip,
                          uint32_t len, uint32_t lin)
{
    int status = DISK_OK;
    /* a unit attention (a disc arrived) fails the first command once */
    for (int i = 0; i < CD_RETRIES; i++) {
        status = packet(cd, cdb, skip, len, lin);
        if (status != 0x06 && status != DISK_CONTROLLER)
            break;
    }
    return status;
}

static void read10(uint8_t *cdb, uint32_t lba, uint16_t count)
{
    cdb[0] = SCSI_READ10;
    cdb[1] = 0;
    cdb[2] = lba >> 24, cdb[3] = lba >> 16, cdb[4] = lba >> 8, cdb[5] = lba;
    cdb[6] = 0;
    cdb[7] = count >> 8, cdb[8] = count;
    cdb[9] = cdb[10] = cdb[11] = 0;
}

/* read count 2048-byte sectors from lba; bytes [skip, skip + len) of them to lin */
int cd_read(uint8_t idx, uint32_t lba, uint16_t count, uint32_t skip, uint32_t len,
            uint32_t lin)
{
    const struct cd_drive *cd = &PRIV->cd[idx];
    uint8_t cdb[12];
    uint16_t bm = ide_bus_master(cd->base);
    if (bm && !skip && len == count * 2048u) {
        while (count) {
            uint16_t n = count > DMA_SECTORS ? DMA_SECTORS : count;
            read10(cdb, lba, n);
            int status = DISK_OK;
            for (int i = 0; i < CD_RETRIES; i++) {
                status = packet_dma(cd, bm, cdb, n * 2048u, lin);
                if (status != 0x06 && status != DISK_CONTROLLER)
                    break;
            }
            if (status)
                return status;
            lba += n, count -= n, lin += n * 2048u;
        }
        return DISK_OK;
    }
    if (!count)
        return DISK_OK;
    read10(cdb, lba, count);
    return packet_retried(cd, cdb, skip, len, lin);
}

/* the disc's size in 2048-byte sectors (0: no disc) */
uint32_t cd_capacity(uint8_t idx)
{
    static uint8_t reply[8];
    uint8_t cdb[12] = { SCSI_READ_CAPACITY };
    if (packet_retried(&PRIV->cd[idx], cdb, 0, 8, EBDA_BASE + (uint32_t)reply))
        return 0;
    return ((uint32_t)reply[0] << 24 | (uint32_t)reply[1] << 16 | reply[2] << 8 |
            reply[3]) + 1;
}

static void cd_status(struct regs *r, int status)
{
    cd_last_status = status;
    r->ax.h = status;
    set_cf(r, status != DISK_OK);
}

/* AH=42h/44h/47h: the disk address packet at DS:SI, 2048-byte sectors */
static void cd_ext(struct regs *r, uint8_t idx, uint8_t op)
{
    uint16_t seg = r->ds, off = r->si.x;
    uint16_t count = peekw(seg, off + 2);
    uint32_t lin = (uint32_t)peekw(seg, off + 6) * 16 + peekw(seg, off + 4);
    uint32_t lba = peekl(seg, off + 8);
    if (peekb(seg, off) < 0x10 || peekl(seg, off + 12) != 0) {
        cd_status(r, DISK_BAD_COMMAND);
        return;
    }
    int status = DISK_OK;
    if (op == 0x42)
        status = cd_read(idx, lba, count, 0, (uint32_t)count * 2048, lin);
    else if (op == 0x44)
        status = cd_read(idx, lba, count, 0, 0, 0);
    else if (lba >= cd_capacity(idx))
        status = DISK_NOT_FOUND;
    if (op != 0x47 && status)
        pokew(seg, off + 2, 0);
    cd_status(r, status);
}

/* AH=48h: EDD 1.1 drive parameters: removable, no geometry, 2048-byte sectors */
static void cd_params(struct regs *r, uint8_t idx)
{
    uint16_t seg = r->ds, off = r->si.x;
    if (peekw(seg, off) < 0x1A) {
        cd_status(r, DISK_BAD_COMMAND);
        return;
    }
    pokew(seg, off, 0x1A);
    pokew(seg, off + 2, 0x0004);            /* removable */
    pokel(seg, off + 4, 0);
    pokel(seg, off + 8, 0);
    pokel(seg, off + 12, 0);
    pokel(seg, off + 16, cd_capacity(idx));
    pokel(seg, off + 20, 0);
    pokew(seg, off + 24, 2048);
    cd_status(r, DISK_OK);
}

void cdrom_13(struct regs *r, uint8_t idx)
{
    switch (r->ax.h) {
    case 0x00:
        cd_status(r, DISK_OK);
        break;
    case 0x01:
        r->ax.h = cd_last_status;
        set_cf(r, r->ax.h != 0);
        break;
    case 0x41:
        if (r->bx.x != 0x55AA) {
            cd_status(r, DISK_BAD_COMMAND);
            break;
        }
        r->bx.x = 0xAA55;
        r->cx.x = 0x0001;                   /* extended disk access (42h-44h, 47h, 48h) */
        cd_status(r, DISK_OK);
        r->ax.h = 0x21;                     /* EDD 1.1 */
        break;
    case 0x42:
    case 0x44:
    case 0x47:
        cd_ext(r, idx, r->ax.h);
        break;
    case 0x43:
        cd_status(r, DISK_WRITE_PROTECTED);
        break;
    case 0x48:
        cd_params(r, idx);
        break;
    default:
        log_printf("int13: AX=%04x DL=%02x not supported\n", r->ax.x, r->dx.l);
        cd_status(r, DISK_BAD_COMMAND);
        break;
    }
}
