/* INT 13h for the floppy drives 00h/01h on the 82077AA controller (PC-AT mode, ports
 * 3F2h-3F5h and 3F7h, IRQ6, DMA channel 2), as the IBM PC/AT Technical Reference's
 * diskette BIOS and Ralf Brown's interrupt list describe the functions; the
 * controller's commands and result bytes as in the 82077AA data sheet.
 *
 * The BIOS data area keeps the state software looks at: 3Eh recalibrated drives and
 * the IRQ6 flag (bit 7, set by INT 0Eh), 3Fh motor state, 40h the ticks until the
 * motor goes off (INT 08h counts it down), 41h the last status, 42h-48h the
 * controller's result bytes, 8Bh the data rate last used, 8Fh what the drives can
 * do, 90h/91h each drive's media state (data rate in bits 7-6, "established" bit 4)
 * and 94h/95h each drive's present cylinder.
 *
 * Transfers go per track (the command's EOT is the last sector of the piece, so DMA's
 * terminal count ends it) and across heads and cylinders: a request that continues
 * past the last sector of a track goes on with the next head, as a multi-track read
 * would. DMA addresses wrap at 64 KiB boundaries: a sector that would straddle one
 * goes through a bounce buffer in the EBDA instead of failing with status 09h. The
 * medium's format is sensed the first time a disk is used (READ ID at each data
 * rate the drive supports), and again after the disk change line said the disk was
 * changed (that call answers 06h, as on an AT). Errors are retried three times,
 * recalibrating in between. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "disk.h"

#define FD_DOR 0x3F2
#define FD_MSR 0x3F4
#define FD_FIFO 0x3F5
#define FD_DIR 0x3F7
#define FD_CCR 0x3F7
#define DOR_NRESET 0x04
#define DOR_DMA 0x08
#define DOR_MOTOR0 0x10
#define MSR_RQM 0x80
#define MSR_DIO 0x40
#define DIR_CHANGE 0x80

#define FDC_READ 0x46                       /* MFM; no multi-track: we split per track */
#define FDC_WRITE 0x45
#define FDC_VERIFY 0x56
#define FDC_FORMAT 0x4D
#define FDC_READ_ID 0x4A
#define FDC_RECAL 0x07
#define FDC_SEEK 0x0F
#define FDC_SENSE_INT 0x08
#define FDC_SPECIFY 0x03

/* DMA channel 2 on the first 8237 (IBM PC/AT Technical Reference, "DMA") */
#define DMA_ADDR2 0x04
#define DMA_COUNT2 0x05
#define DMA_MASK 0x0A
#define DMA_MODE 0x0B
#define DMA_FLIPFLOP 0x0C
#define DMA_PAGE2 0x81
#define DMA2_MODE 0xD6
#define DMA2_MASK 0xD4
#define DMA_MODE_TO_MEM 0x46                /* single, write (into memory), channel 2 */
#define DMA_MODE_FROM_MEM 0x4A              /* single, read (from memory), channel 2 */

#define BDA_FD_RESULTS 0x42
#define BDA_FD_INFO 0x8F
#define BDA_FD_CYL 0x94
#define MEDIA_KNOWN 0x10
#define FD_STATUS_MEDIA 0x0C                /* unsupported track or invalid media */
#define FD_STATUS_CRC 0x10
#define FD_STATUS_OVERRUN 0x08
#define FD_STATUS_MARK 0x02
#define RETRIES 3
#define IRQ_TICKS 37                        /* 2 s without IRQ6: a timeout */

#define RATE_500K 0
#define RATE_300K 1
#define RATE_250K 2
#define RATE_1M 3

/* A format a drive type can hold: the data rate, sectors per track, cylinders and
 * the media state bits 2-0 (3 = 360K in 360K drive, 4 = 360K in 1.2M, 5 = 1.2M,
 * 7 = other), first the drive's own highest. */
struct fd_media {
    uint8_t rate, spt, cyls, state;
};

static const struct fd_media media_360k[] = { { RATE_250K, 9, 40, 3 } };
static const struct fd_media media_1200k[] = { { RATE_500K, 15, 80, 5 },
                                               { RATE_300K, 9, 40, 4 } };
static const struct fd_media media_720k[] = { { RATE_250K, 9, 80, 7 } };
static const struct fd_media media_1440k[] = { { RATE_500K, 18, 80, 7 },
                                               { RATE_250K, 9, 80, 7 } };
static const struct fd_media media_2880k[] = { { RATE_1M, 36, 80, 7 },
                                               { RATE_500K, 18, 80, 7 },
                                               { RATE_250K, 9, 80, 7 } };

struct fd_type {
    const struct fd_media *media;
    uint8_t nmedia;
    uint8_t int13_type;                     /* BL of AH=08h (RBIL table 00242) */
    const uint8_t *dpt;                     /* its parameter table (in segment F000) */
};

/* diskette parameter tables (INT 1Eh format) for AH=08h/18h; the 1.44 MB one is the
 * fixed table at F000:EFC7 (entry_16.S). They live in the ROM's code segment. */
extern const uint8_t diskette_params[];
#define DPT_SECTION __attribute__((section(".text.fd_dpt"), used))
static const uint8_t dpt_360k[11] DPT_SECTION =
    { 0xDF, 0x02, 0x25, 0x02, 9, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 };
static const uint8_t dpt_1200k[11] DPT_SECTION =
    { 0xDF, 0x02, 0x25, 0x02, 15, 0x1B, 0xFF, 0x54, 0xF6, 0x0F, 0x08 };
static const uint8_t dpt_720k[11] DPT_SECTION =
    { 0xDF, 0x02, 0x25, 0x02, 9, 0x2A, 0xFF, 0x50, 0xF6, 0x0F, 0x08 };
static const uint8_t dpt_2880k[11] DPT_SECTION =
    { 0xAF, 0x02, 0x25, 0x02, 36, 0x1B, 0xFF, 0x53, 0xF6, 0x0F, 0x08 };

#define OFF(p) ((uint16_t)(uint32_t)(p))

static const struct fd_type types[5] = {          /* CMOS types 1-5 */
    { media_360k, 1, 0x01, dpt_360k },
    { media_1200k, 2, 0x02, dpt_1200k },
    { media_720k, 1, 0x03, dpt_720k },
    { media_1440k, 2, 0x04, diskette_params },
    { media_2880k, 3, 0x06, dpt_2880k },
};

static const struct fd_type *fd_type(uint8_t drive)
{
    uint8_t t = drive < 2 ? PRIV->floppy_types[drive] : 0;
    return t >= 1 && t <= 5 ? &types[t - 1] : NULL;
}

/* the parameter table of a format (AH=08h/18h, El Torito's floppy emulation) */
uint16_t floppy_dpt(uint8_t spt, uint16_t cyls)
{
    if (spt == 9)
        return OFF(cyls == 40 ? dpt_360k : dpt_720k);
    if (spt == 15)
        return OFF(dpt_1200k);
    if (spt == 18)
        return OFF(diskette_params);
    return OFF(dpt_2880k);
}

/* a byte of the parameter table INT 1Eh points to (software may install its own) */
static uint8_t dpt(uint8_t i)
{
    uint32_t v = peekl(0, 0x1E * 4);
    return peekb(v >> 16, (v & 0xFFFF) + i);
}

static uint8_t bounce[512];                 /* DMA bounce buffer (in the EBDA) */

/* ---- the controller ---- */

static int fdc_out(uint8_t v)
{
    for (uint32_t i = 0; i < 100000; i++) {
        if ((inb(FD_MSR) & (MSR_RQM | MSR_DIO)) == MSR_RQM) {
            outb(FD_FIFO, v);
            return 0;
        }
    }
    return -1;
}

static int fdc_in(void)
{
    for (uint32_t i = 0; i < 100000; i++) {
        if ((inb(FD_MSR) & (MSR_RQM | MSR_DIO)) == (MSR_RQM | MSR_DIO))
            return inb(FD_FIFO);
    }
    return -1;
}

static int fdc_send(const uint8_t *cmd, int n)
{
    for (int i = 0; i < n; i++)
        if (fdc_out(cmd[i]))
            return DISK_TIMEOUT;
    return DISK_OK;
}

/* the IRQ6 flag (BDA 3Eh bit 7) is cleared before a command and set by INT 0Eh */
static void irq_arm(void)
{
    bda_set8(BDA_FD_RECAL, bda_get8(BDA_FD_RECAL) & 0x7F);
}

static int irq_wait(void)
{
    uint32_t last = bda_get32(BDA_TICKS);
    unsigned ticks = 0;
    cli();
    while (!(bda_get8(BDA_FD_RECAL) & 0x80)) {
        uint32_t now = bda_get32(BDA_TICKS);
        if (now != last && ++ticks > IRQ_TICKS) {
            sti();
            return DISK_TIMEOUT;
        }
        last = now;
        halt_wait();
    }
    sti();
    irq_arm();
    return DISK_OK;
}

/* SENSE INTERRUPT STATUS: ST0 and the present cylinder, -1 when it fails */
static int sense_interrupt(uint8_t *pcn)
{
    if (fdc_out(FDC_SENSE_INT))
        return -1;
    int st0 = fdc_in();
    if (st0 < 0 || st0 == 0x80)
        return -1;
    int c = fdc_in();
    if (c < 0)
        return -1;
    *pcn = c;
    return st0;
}

static uint8_t dor_bits(void)
{
    uint8_t motor = bda_get8(BDA_FD_MOTOR);
    return DOR_NRESET | DOR_DMA | (motor & 0x0F) << 4 | (motor >> 4 & 3);
}

/* reset the controller (DOR bit 2 low, then high): it interrupts and reports the
 * four drives' "ready changed"; every drive must be recalibrated afterwards */
static int fdc_reset(void)
{
    uint8_t dor = dor_bits();
    irq_arm();
    outb(FD_DOR, dor & ~DOR_NRESET);
    outb(FD_DOR, dor);
    int status = irq_wait();
    uint8_t pcn;
    for (int i = 0; i < 4; i++)
        sense_interrupt(&pcn);
    uint8_t specify[3] = { FDC_SPECIFY, dpt(0), dpt(1) & 0xFE };  /* ND = 0: DMA */
    if (!status)
        status = fdc_send(specify, 3);
    bda_set8(BDA_FD_RECAL, 0);
    if (status)
        log_printf("floppy: the controller does not answer\n");
    return status;
}

/* select the drive and start its motor; it stays on until INT 08h counts BDA 40h
 * down after the operation (fd_done) */
static void motor_on(uint8_t drive, int write)
{
    bda_set8(BDA_FD_MOTOR_TICKS, 0xFF);
    uint8_t motor = bda_get8(BDA_FD_MOTOR);
    motor = (write ? 0x80 : 0) | drive << 4 | (motor & 0x0F) | 1 << drive;
    bda_set8(BDA_FD_MOTOR, motor);
    outb(FD_DOR, dor_bits());
}

static void fd_done(uint8_t status)
{
    bda_set8(BDA_FD_MOTOR, bda_get8(BDA_FD_MOTOR) & 0x7F);
    bda_set8(BDA_FD_MOTOR_TICKS, dpt(2));
    bda_set8(BDA_FD_STATUS, status);
}

static int recalibrate(uint8_t drive)
{
    /* a head beyond 79 tracks needs a second RECALIBRATE (the 82077AA stops after
     * 79 step pulses) */
    for (int i = 0; i < 2; i++) {
        uint8_t cmd[2] = { FDC_RECAL, drive }, pcn;
        irq_arm();
        if (fdc_send(cmd, 2) || irq_wait())
            return DISK_TIMEOUT;
        int st0 = sense_interrupt(&pcn);
        if (st0 >= 0 && !(st0 & 0xC0) && pcn == 0) {
            bda_set8(BDA_FD_RECAL, bda_get8(BDA_FD_RECAL) | 1 << drive);
            bda_set8(BDA_FD_CYL + drive, 0);
            return DISK_OK;
        }
    }
    return DISK_SEEK;
}

static int seek(uint8_t drive, uint8_t head, uint8_t cyl)
{
    if (!(bda_get8(BDA_FD_RECAL) & 1 << drive)) {
        int status = recalibrate(drive);
        if (status)
            return status;
    }
    if (bda_get8(BDA_FD_CYL + drive) == cyl)
        return DISK_OK;
    uint8_t cmd[3] = { FDC_SEEK, head << 2 | drive, cyl }, pcn;
    irq_arm();
    if (fdc_send(cmd, 3) || irq_wait())
        return DISK_TIMEOUT;
    int st0 = sense_interrupt(&pcn);
    if (st0 < 0 || (st0 & 0xC0) || pcn != cyl) {
        bda_set8(BDA_FD_RECAL, bda_get8(BDA_FD_RECAL) & ~(1 << drive));
        return DISK_SEEK;
    }
    bda_set8(BDA_FD_CYL + drive, cyl);
    return DISK_OK;
}

/* the seven result bytes of a data command into BDA 42h-48h; their status code */
static int read_results(void)
{
    for (int i = 0; i < 7; i++) {
        int v = fdc_in();
        if (v < 0)
            return DISK_TIMEOUT;
        bda_set8(BDA_FD_RESULTS + i, v);
    }
    uint8_t st0 = bda_get8(BDA_FD_RESULTS), st1 = bda_get8(BDA_FD_RESULTS + 1),
            st2 = bda_get8(BDA_FD_RESULTS + 2);
    if (!(st0 & 0xC0))
        return DISK_OK;
    if ((st0 & 0xC0) != 0x40)
        return DISK_CONTROLLER;
    if (st1 & 0x02)
        return DISK_WRITE_PROTECTED;
    if (st1 & 0x01)
        return FD_STATUS_MARK;
    if (st1 & 0x84)                         /* end of cylinder, no data */
        return DISK_NOT_FOUND;
    if (st1 & 0x20)
        return FD_STATUS_CRC;
    if (st1 & 0x10)
        return FD_STATUS_OVERRUN;
    if (st2 & 0x10)                         /* wrong cylinder */
        return DISK_SEEK;
    return DISK_CONTROLLER;
}

/* a command that ends with an interrupt and seven result bytes */
static int fdc_command(const uint8_t *cmd, int n)
{
    irq_arm();
    int status = fdc_send(cmd, n);
    if (!status)
        status = irq_wait();
    if (!status)
        status = read_results();
    if (status == DISK_TIMEOUT)
        fdc_reset();
    return status;
}

static void dma_setup(uint8_t mode, uint32_t lin, uint16_t bytes)
{
    outb(DMA_MASK, 0x06);                   /* mask channel 2 while programming it */
    outb(DMA_FLIPFLOP, 0);
    outb(DMA_MODE, mode);
    outb(DMA_ADDR2, lin);
    outb(DMA_ADDR2, lin >> 8);
    outb(DMA_PAGE2, lin >> 16);
    outb(DMA_FLIPFLOP, 0);
    outb(DMA_COUNT2, bytes - 1);
    outb(DMA_COUNT2, (bytes - 1) >> 8);
    outb(DMA_MASK, 0x02);
}

/* ---- media ---- */

static const struct fd_media *media_of(uint8_t drive)
{
    const struct fd_type *t = fd_type(drive);
    uint8_t state = bda_get8(BDA_FD_MEDIA + drive);
    if (!t || !(state & MEDIA_KNOWN))
        return NULL;
    for (int i = 0; i < t->nmedia; i++)
        if (t->media[i].rate == state >> 6)
            return &t->media[i];
    return NULL;
}

static void set_media(uint8_t drive, const struct fd_media *m)
{
    bda_set8(BDA_FD_MEDIA + drive, m->rate << 6 | MEDIA_KNOWN | m->state);
    bda_set8(BDA_FD_RATE, m->rate << 6);
    outb(FD_CCR, m->rate);
}

/* READ ID at each data rate the drive supports: the medium's format */
static int sense_media(uint8_t drive)
{
    const struct fd_type *t = fd_type(drive);
    for (int i = 0; i < t->nmedia; i++) {
        outb(FD_CCR, t->media[i].rate);
        uint8_t cmd[2] = { FDC_READ_ID, drive };
        int status = fdc_command(cmd, 2);
        if (status == DISK_TIMEOUT)
            return status;
        if (!status) {
            set_media(drive, &t->media[i]);
            return DISK_OK;
        }
    }
    return FD_STATUS_MEDIA;
}

/* the disk change line (DIR bit 7, valid with the drive selected and its motor on)
 * says the disk left the drive since the last step pulse; stepping clears it when a
 * disk is in. Status: 0, 06h (changed: the format is sensed again) or 80h (empty). */
static int check_change(uint8_t drive)
{
    if (!(inb(FD_DIR) & DIR_CHANGE))
        return DISK_OK;
    bda_set8(BDA_FD_MEDIA + drive, bda_get8(BDA_FD_MEDIA + drive) & ~MEDIA_KNOWN);
    uint8_t cyl = bda_get8(BDA_FD_CYL + drive);
    int status = seek(drive, 0, cyl ? 0 : 1);
    if (!status)
        status = seek(drive, 0, cyl);
    if (status)
        return status;
    return inb(FD_DIR) & DIR_CHANGE ? DISK_TIMEOUT : DISK_CHANGED;
}

/* motor on, the change line, the format: what every media access starts with */
static int prepare(uint8_t drive, int write, int sense)
{
    motor_on(drive, write);
    if (!(bda_get8(BDA_FD_RECAL) & 1 << drive)) {
        int status = recalibrate(drive);
        if (status)
            return status;
    }
    int status = check_change(drive);
    if (status)
        return status;
    const struct fd_media *m = media_of(drive);
    if (m) {
        outb(FD_CCR, m->rate);
        return DISK_OK;
    }
    return sense ? sense_media(drive) : DISK_OK;
}

/* ---- transfers ---- */

/* one FDC command for n sectors on one track, DMA at linear address lin */
static int transfer(uint8_t drive, uint8_t op, uint8_t cyl, uint8_t head, uint8_t sector,
                    uint8_t n, uint32_t lin)
{
    static const uint8_t opcodes[] = { FDC_READ, FDC_WRITE, FDC_VERIFY };
    if (op != 0x04)
        dma_setup(op == 0x02 ? DMA_MODE_TO_MEM : DMA_MODE_FROM_MEM, lin, n * 512u);
    uint8_t cmd[9] = { opcodes[op - 2], head << 2 | drive, cyl, head, sector, 2,
                       sector + n - 1, dpt(5), dpt(6) };
    return fdc_command(cmd, 9);
}

static int transfer_retried(uint8_t drive, uint8_t op, uint8_t cyl, uint8_t head,
                            uint8_t sector, uint8_t n, uint32_t lin)
{
    int status = DISK_OK;
    for (int i = 0; i < RETRIES; i++) {
        status = seek(drive, head, cyl);
        if (!status)
            status = transfer(drive, op, cyl, head, sector, n, lin);
        if (!status || status == DISK_WRITE_PROTECTED || status == DISK_TIMEOUT)
            break;
        recalibrate(drive);
    }
    return status;
}

static void copy_linear(uint32_t dst, uint32_t src, uint16_t n)
{
    farcopy(dst >> 4, dst & 15, src >> 4, src & 15, n);
}

/* AH=02h/03h/04h: count sectors from (cyl, head, sector); *done counts them */
static int read_write(uint8_t drive, uint8_t op, uint8_t cyl, uint8_t head, uint8_t sector,
                      uint8_t count, uint32_t lin, uint8_t *done)
{
    const struct fd_media *m = media_of(drive);
    uint32_t bounce_lin = EBDA_BASE + OFF(bounce);
    *done = 0;
    while (*done < count) {
        uint8_t n = count - *done;
        if (sector <= m->spt && n > m->spt - sector + 1)
            n = m->spt - sector + 1;
        int status;
        uint32_t room = 0x10000 - (lin & 0xFFFF);
        if (op != 0x04 && room < 512) {
            /* this sector straddles a 64 KiB DMA boundary: through the buffer */
            n = 1;
            if (op == 0x03)
                copy_linear(bounce_lin, lin, 512);
            status = transfer_retried(drive, op, cyl, head, sector, 1, bounce_lin);
            if (!status && op == 0x02)
                copy_linear(lin, bounce_lin, 512);
        } else {
            if (op != 0x04 && n > room / 512)
                n = room / 512;
            status = transfer_retried(drive, op, cyl, head, sector, n, lin);
        }
        if (status)
            return status;
        *done += n;
        lin += n * 512u;
        sector += n;
        if (sector > m->spt) {
            sector = 1;
            if (++head > 1) {
                head = 0;
                cyl++;
            }
        }
    }
    return DISK_OK;
}

/* AH=05h: format the track under (cyl, head); ES:BX the AL address fields (C H R N) */
static int format_track(uint8_t drive, uint8_t cyl, uint8_t head, uint8_t sectors,
                        uint32_t lin)
{
    uint16_t bytes = sectors * 4u;
    if ((lin & 0xFFFF) + bytes > 0x10000)
        return DISK_DMA_BOUNDARY;
    int status = seek(drive, head, cyl);
    if (status)
        return status;
    dma_setup(DMA_MODE_FROM_MEM, lin, bytes);
    uint8_t cmd[6] = { FDC_FORMAT, head << 2 | drive, 2, sectors, dpt(7), dpt(8) };
    return fdc_command(cmd, 6);
}

/* ---- INT 13h ---- */

static void fd_status(struct regs *r, int status)
{
    bda_set8(BDA_FD_STATUS, status);
    r->ax.h = status;
    set_cf(r, status != DISK_OK);
}

static int fd_count(void)
{
    return (PRIV->floppy_types[0] != 0) + (PRIV->floppy_types[1] != 0);
}

/* AH=08h */
static void get_params(struct regs *r, uint8_t drive)
{
    const struct fd_type *t = fd_type(drive);
    r->ax.x = 0;
    r->bx.x = 0;
    r->cx.x = 0;
    uint16_t eq = bda_get16(BDA_EQUIPMENT);
    r->dx.x = eq & 1 ? (eq >> 6 & 3) + 1 : 0;    /* floppy drives INT 13h shows */
    r->es = 0;
    r->di.x = 0;
    set_cf(r, 0);
    if (!t)
        return;
    const struct fd_media *m = &t->media[0];
    r->bx.l = t->int13_type;
    r->cx.h = m->cyls - 1;
    r->cx.l = m->spt;
    r->dx.h = 1;
    r->es = BIOS_SEG;
    r->di.x = OFF(t->dpt);
}

/* AH=17h: AL 1 320/360K disk in a 360K drive, 2 360K in 1.2M, 3 1.2M in 1.2M,
 * 4 720K in a 720K/1.44M drive: the format for AH=05h */
static int set_dasd_type(uint8_t drive, uint8_t kind)
{
    const struct fd_type *t = fd_type(drive);
    static const uint8_t spt_of[] = { 0, 9, 9, 15, 9 };
    if (kind < 1 || kind > 4)
        return DISK_BAD_COMMAND;
    for (int i = 0; i < t->nmedia; i++) {
        const struct fd_media *m = &t->media[i];
        if (m->spt == spt_of[kind] && (m->cyls == 40) == (kind <= 2)) {
            set_media(drive, m);
            return DISK_OK;
        }
    }
    return FD_STATUS_MEDIA;
}

/* AH=18h: the format with CH/CL's cylinders and sectors; ES:DI its parameter table */
static void set_media_type(struct regs *r, uint8_t drive)
{
    const struct fd_type *t = fd_type(drive);
    uint16_t cyls = (r->cx.h | (uint16_t)(r->cx.l & 0xC0) << 2) + 1;
    uint8_t spt = r->cx.l & 0x3F;
    for (int i = 0; i < t->nmedia; i++) {
        const struct fd_media *m = &t->media[i];
        if (m->spt == spt && m->cyls == cyls) {
            motor_on(drive, 0);
            int status = check_change(drive);
            if (status == DISK_TIMEOUT) {
                fd_done(status);
                fd_status(r, status);
                return;
            }
            set_media(drive, m);
            r->es = BIOS_SEG;
            r->di.x = floppy_dpt(m->spt, m->cyls);
            fd_done(DISK_OK);
            fd_status(r, DISK_OK);
            return;
        }
    }
    fd_status(r, FD_STATUS_MEDIA);
}

void floppy_13(struct regs *r, uint8_t drive)
{
    uint8_t op = r->ax.h;
    const struct fd_type *t = fd_type(drive);
    if (op == 0x01) {
        r->ax.h = r->ax.l = bda_get8(BDA_FD_STATUS);
        set_cf(r, r->ax.h != 0);
        return;
    }
    if (op == 0x08) {
        get_params(r, drive);
        return;
    }
    if (op == 0x15) {
        r->ax.h = !t ? 0 : t->media == media_360k ? 1 : 2;  /* 2: has a change line */
        set_cf(r, 0);
        return;
    }
    if (!t) {
        fd_status(r, op == 0x00 ? DISK_OK : DISK_BAD_COMMAND);
        return;
    }
    int status;
    uint32_t lin = (uint32_t)r->es * 16 + r->bx.x;
    switch (op) {
    case 0x00:
        status = fdc_reset();
        break;
    case 0x02:
    case 0x03:
    case 0x04: {
        uint8_t count = r->ax.l, sector = r->cx.l & 0x3F, done = 0;
        uint8_t cyl = r->cx.h, head = r->dx.h;
        if (!count || !sector || head > 1) {
            status = DISK_BAD_COMMAND;
        } else {
            status = prepare(drive, op == 0x03, 1);
            if (!status)
                status = read_write(drive, op, cyl, head, sector, count, lin, &done);
            if (status == FD_STATUS_MARK && !done) {
                /* no sector ID at the data rate we took: the format may be another
                 * one (AH=17h/18h set it for formatting): sense it again */
                bda_set8(BDA_FD_MEDIA + drive, bda_get8(BDA_FD_MEDIA + drive) & ~MEDIA_KNOWN);
                status = prepare(drive, op == 0x03, 1);
                if (!status)
                    status = read_write(drive, op, cyl, head, sector, count, lin, &done);
            }
        }
        r->ax.l = done;
        break;
    }
    case 0x05: {
        status = prepare(drive, 1, 0);
        if (!status && !media_of(drive))
            set_media(drive, &t->media[0]);
        if (!status)
            status = format_track(drive, r->cx.h, r->dx.h, r->ax.l, lin);
        break;
    }
    case 0x16:
        motor_on(drive, 0);
        status = inb(FD_DIR) & DIR_CHANGE ? DISK_CHANGED : DISK_OK;
        break;
    case 0x17:
        status = set_dasd_type(drive, r->ax.l);
        break;
    case 0x18:
        set_media_type(r, drive);
        return;
    default:
        log_printf("int13: AX=%04x DL=%02x not supported\n", r->ax.x, r->dx.l);
        fd_status(r, DISK_BAD_COMMAND);
        return;
    }
    fd_done(status);
    fd_status(r, status);
}

/* read count sectors from LBA lba of a floppy drive (for the boot loader) */
int floppy_read(uint8_t drive, uint32_t lba, uint8_t count, uint16_t seg, uint16_t off)
{
    if (!fd_type(drive))
        return DISK_NOT_FOUND;
    int status = DISK_OK;
    uint8_t done;
    for (int i = 0; i < RETRIES; i++) {
        status = prepare(drive, 0, 1);
        if (!status) {
            const struct fd_media *m = media_of(drive);
            uint16_t track = lba / m->spt;
            status = read_write(drive, 0x02, track >> 1, track & 1, lba % m->spt + 1, count,
                                (uint32_t)seg * 16 + off, &done);
        }
        if (!status || status == DISK_TIMEOUT)
            break;
    }
    fd_done(status);
    return status;
}

int floppy_present(uint8_t drive)
{
    return fd_type(drive) != NULL;
}

/* POST: DMA cascade on, the controller out of reset, each drive recalibrated with
 * its change line cleared and its format sensed */
void floppy_setup(void)
{
    outb(DMA2_MODE, 0xC0);                  /* channel 4: cascade (DMA1 behind it) */
    outb(DMA2_MASK, 0x00);                  /* ... unmasked */
    bda_set8(BDA_FD_MOTOR, 0);
    bda_set8(BDA_FD_STATUS, 0);
    bda_set16(BDA_FD_MEDIA, 0);
    bda_set16(BDA_FD_CYL, 0);
    uint8_t info = 0;
    for (int d = 0; d < 2; d++) {
        const struct fd_type *t = fd_type(d);
        if (t)                              /* determined; multi-rate; change line */
            info |= (t->media == media_360k ? 0x04 : 0x07) << (4 * d);
    }
    bda_set8(BDA_FD_INFO, info);
    if (!fd_count())
        return;
    sti();
    fdc_reset();
    for (int d = 0; d < 2; d++) {
        if (!fd_type(d))
            continue;
        int status = prepare(d, 0, 1);
        if (status == DISK_CHANGED)
            status = prepare(d, 0, 1);
        const struct fd_media *m = media_of(d);
        if (m)
            log_printf("floppy %c: %u sectors per track\n", 'A' + d, m->spt);
        else
            log_printf("floppy %c: no disk (%02x)\n", 'A' + d, status);
        fd_done(DISK_OK);
    }
}
