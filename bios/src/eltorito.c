/* Booting CDs: the El Torito Bootable CD-ROM Format Specification 1.0 (Phoenix/IBM,
 * 1995). The Boot Record Volume Descriptor in sector 17 points to the boot catalog,
 * whose validation entry (header 01h, platform 0 = 80x86, key bytes 55h AAh, its 16
 * words summing to 0) is followed by the initial/default entry: bootable (88h), the
 * media type, the load segment (0: 07C0h), the count of 512-byte virtual sectors to
 * load and the image's first 2048-byte sector.
 *
 *   no emulation   the image is loaded as it is and started with DL = the CD
 *                  drive's number (E0h..), which INT 13h serves with 2048-byte
 *                  sectors (cdrom.c)
 *   1.2M/1.44M/2.88M floppy emulation   the image becomes drive 00h; the real
 *                  floppy A: answers as 01h (a real B: is out of reach)
 *   hard disk emulation   the image (an MBR disk) becomes drive 80h, its geometry
 *                  taken from the partition table; real hard disks move up one
 *
 * The emulated drive is read-only; INT 13h AX=4B00h ends the emulation (the drives
 * take their own numbers again), AX=4B01h returns the specification packet. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "disk.h"

#define MEDIA_NONE 0
#define MEDIA_1200K 1
#define MEDIA_1440K 2
#define MEDIA_2880K 3
#define MEDIA_HDD 4
#define CD_DRIVE0 0xE0

void boot_jump_far(uint32_t drive, uint32_t segoff) __attribute__((noreturn));

static struct {
    uint8_t booted;             /* the machine booted from a CD: AX=4B01h answers */
    uint8_t active;             /* an emulated drive is in place */
    uint8_t media;              /* MEDIA_* */
    uint8_t drive;              /* 00h/80h emulated, E0h.. no emulation */
    uint8_t cd;                 /* index of the CD drive (PRIV->cd) */
    uint8_t status;             /* last status of the emulated drive */
    uint8_t heads, spt;
    uint16_t cyls;
    uint16_t load_seg, count;
    uint16_t saved_equipment;   /* the BDA fields the emulation changed */
    uint8_t saved_hd_count;
    uint32_t lba;               /* the image's first 2048-byte sector */
} emu;

static uint8_t buf[0x4C];      /* descriptor, catalog and partition table pieces */

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_piece(uint8_t idx, uint32_t lba, uint16_t skip, uint16_t len)
{
    return cd_read(idx, lba, 1, skip, len, EBDA_BASE + (uint32_t)buf);
}

/* count virtual 512-byte sectors from vlba of the image: to lin (store) or verified */
static int emu_read(uint32_t vlba, uint16_t count, uint32_t lin, int store)
{
    uint32_t skip = (vlba & 3) * 512, len = (uint32_t)count * 512;
    uint16_t sectors = (skip + len + 2047) / 2048;
    return cd_read(emu.cd, emu.lba + vlba / 4, sectors, skip, store ? len : 0, lin);
}

/* ---- INT 13h on the emulated drive ---- */

static void emu_status(struct regs *r, int status)
{
    emu.status = status;
    if (emu.drive < 0x80)
        bda_set8(BDA_FD_STATUS, status);
    r->ax.h = status;
    set_cf(r, status != DISK_OK);
}

static void emu_chs(struct regs *r, uint8_t op)
{
    uint16_t cyl = r->cx.h | (uint16_t)(r->cx.l & 0xC0) << 2;
    uint8_t sector = r->cx.l & 0x3F, head = r->dx.h, count = r->ax.l;
    if (!count || !sector || sector > emu.spt || head >= emu.heads || cyl >= emu.cyls) {
        r->ax.l = 0;
        emu_status(r, DISK_BAD_COMMAND);
        return;
    }
    uint32_t vlba = ((uint32_t)cyl * emu.heads + head) * emu.spt + sector - 1;
    int status = emu_read(vlba, count, (uint32_t)r->es * 16 + r->bx.x, op == 0x02);
    r->ax.l = status ? 0 : count;
    emu_status(r, status);
}

static void emu_params(struct regs *r)
{
    uint16_t maxcyl = emu.cyls - 1;
    r->ax.x = 0;
    r->cx.h = maxcyl & 0xFF;
    r->cx.l = (maxcyl >> 2 & 0xC0) | emu.spt;
    r->dx.h = emu.heads - 1;
    if (emu.drive < 0x80) {
        static const uint8_t types[] = { 0, 0x02, 0x04, 0x06 };
        r->bx.x = types[emu.media];
        r->dx.l = (bda_get16(BDA_EQUIPMENT) >> 6 & 3) + 1;
        r->es = BIOS_SEG;
        r->di.x = floppy_dpt(emu.spt, emu.cyls);
    } else {
        r->bx.l = 0;
        r->dx.l = bda_get8(BDA_HD_COUNT);
    }
    emu_status(r, DISK_OK);
}

static void emulated_drive(struct regs *r)
{
    switch (r->ax.h) {
    case 0x00:
    case 0x0C:
    case 0x0D:
    case 0x10:
    case 0x11:
    case 0x17:
    case 0x18:
        emu_status(r, DISK_OK);
        break;
    case 0x01:
        r->ax.h = emu.status;
        set_cf(r, r->ax.h != 0);
        break;
    case 0x02:
    case 0x04:
        emu_chs(r, r->ax.h);
        break;
    case 0x03:
    case 0x05:
        emu_status(r, DISK_WRITE_PROTECTED);
        break;
    case 0x08:
        emu_params(r);
        break;
    case 0x15:
        emu_status(r, DISK_OK);
        if (emu.drive < 0x80) {
            r->ax.h = 0x02;                 /* floppy with change line */
        } else {
            uint32_t n = (uint32_t)emu.cyls * emu.heads * emu.spt;
            r->ax.h = 0x03;
            r->cx.x = n >> 16;
            r->dx.x = n & 0xFFFF;
        }
        break;
    case 0x16:
        emu_status(r, DISK_OK);             /* the disk never changes */
        break;
    default:
        log_printf("int13: AX=%04x DL=%02x not supported (emulated drive)\n", r->ax.x,
                   r->dx.l);
        emu_status(r, DISK_BAD_COMMAND);
        break;
    }
}

static void end_emulation(void)
{
    if (!emu.active)
        return;
    emu.active = 0;
    bda_set16(BDA_EQUIPMENT, emu.saved_equipment);
    bda_set8(BDA_HD_COUNT, emu.saved_hd_count);
}

/* AH=4Bh: AL=00h terminate the emulation, AL=01h status; the specification packet
 * (13h bytes) at DS:SI */
static void spec_packet(struct regs *r)
{
    uint8_t al = r->ax.l, dl = r->dx.l;
    if (al > 1 || !emu.booted || (dl != emu.drive && !(al == 0 && dl == 0x7F))) {
        fail(r, DISK_BAD_COMMAND);
        return;
    }
    uint16_t seg = r->ds, off = r->si.x;
    const struct cd_drive *cd = &PRIV->cd[emu.cd];
    uint16_t maxcyl = emu.cyls - 1;
    pokeb(seg, off, 0x13);
    pokeb(seg, off + 1, emu.media);
    pokeb(seg, off + 2, emu.drive);
    pokeb(seg, off + 3, cd->base == 0x1F0 ? 0 : 1);     /* controller index */
    pokel(seg, off + 4, emu.lba);
    pokew(seg, off + 8, cd->slave);                     /* device: master/slave */
    pokew(seg, off + 10, 0);
    pokew(seg, off + 12, emu.load_seg);
    pokew(seg, off + 14, emu.count);
    pokeb(seg, off + 16, emu.media ? maxcyl & 0xFF : 0);
    pokeb(seg, off + 17, emu.media ? (maxcyl >> 2 & 0xC0) | emu.spt : 0);
    pokeb(seg, off + 18, emu.media ? emu.heads - 1 : 0);
    if (al == 0)
        end_emulation();
    succeed(r);
}

int cdemu_13(struct regs *r)
{
    if (r->ax.h == 0x4B) {
        spec_packet(r);
        return 1;
    }
    if (!emu.active || r->dx.l != emu.drive)
        return 0;
    emulated_drive(r);
    return 1;
}

uint8_t cdemu_real_drive(uint8_t dl)
{
    if (emu.active && (dl & 0x80) == (emu.drive & 0x80) && dl > emu.drive && dl < CD_DRIVE0)
        return dl - 1;
    return dl;
}

/* ---- booting ---- */

static int boot_catalog(uint8_t idx, uint32_t *catalog)
{
    static const char el_torito[] = "EL TORITO SPECIFICATION";
    if (read_piece(idx, 17, 0, sizeof(buf)))
        return -1;
    if (buf[0] != 0 || memcmp(buf + 1, "CD001", 5) || buf[6] != 1 ||
        memcmp(buf + 7, el_torito, sizeof(el_torito) - 1)) {
        log_printf("boot: the CD has no El Torito boot record\n");
        return -1;
    }
    *catalog = le32(buf + 0x47);
    return 0;
}

static int validate_catalog(void)
{
    uint16_t sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum += buf[i] | buf[i + 1] << 8;
    if (buf[0] != 1 || buf[30] != 0x55 || buf[31] != 0xAA || sum) {
        log_printf("boot: the CD's boot catalog is not valid\n");
        return -1;
    }
    if (buf[1] != 0) {
        log_printf("boot: the CD's boot catalog is for platform %x, not 80x86\n", buf[1]);
        return -1;
    }
    if (buf[32] != 0x88) {
        log_printf("boot: the CD's default boot entry is not bootable\n");
        return -1;
    }
    return 0;
}

/* hard disk emulation: the geometry the image's first partition ends at */
static void hdd_geometry(void)
{
    emu.heads = 16, emu.spt = 63, emu.cyls = 1;
    if (read_piece(emu.cd, emu.lba, 0x1BE, 0x40))
        return;
    for (int i = 0; i < 0x40; i += 16) {
        const uint8_t *e = buf + i;
        if (!e[4] || !(e[6] & 0x3F))
            continue;
        emu.heads = e[5] + 1;
        emu.spt = e[6] & 0x3F;
        emu.cyls = (e[7] | (uint16_t)(e[6] & 0xC0) << 2) + 1;
        return;
    }
}

static void emulate(uint8_t media)
{
    emu.saved_equipment = bda_get16(BDA_EQUIPMENT);
    emu.saved_hd_count = bda_get8(BDA_HD_COUNT);
    if (media == MEDIA_HDD) {
        emu.drive = 0x80;
        hdd_geometry();
        bda_set8(BDA_HD_COUNT, emu.saved_hd_count + 1);
    } else {
        static const uint8_t spt[] = { 0, 15, 18, 36 };
        emu.drive = 0x00;
        emu.heads = 2, emu.cyls = 80, emu.spt = spt[media];
        /* the emulated drive is A:, the real A: answers as B: */
        uint16_t eq = emu.saved_equipment;
        uint8_t n = eq & 1 ? (eq >> 6 & 3) + 1 : 0;
        n = n + 1 > 2 ? 2 : n + 1;
        bda_set16(BDA_EQUIPMENT, (eq & ~0xC1) | 0x01 | (n - 1) << 6);
    }
    emu.active = 1;
}

/* boot from the first CD drive whose disc has a boot image; returns only when none */
int eltorito_boot(void)
{
    for (uint8_t idx = 0; idx < PRIV->cd_count; idx++) {
        uint32_t catalog;
        if (boot_catalog(idx, &catalog) || read_piece(idx, catalog, 0, 64) ||
            validate_catalog())
            continue;
        static const char *const kinds[] = { "no emulation", "1.2M floppy emulation",
            "1.44M floppy emulation", "2.88M floppy emulation", "hard disk emulation" };
        uint8_t media = buf[33] & 0x0F;
        if (media > MEDIA_HDD) {
            log_printf("boot: unknown El Torito media type %x\n", media);
            continue;
        }
        emu.cd = idx;
        emu.media = media;
        emu.load_seg = (buf[34] | buf[35] << 8) ?: 0x07C0;
        emu.count = buf[38] | buf[39] << 8;
        emu.lba = le32(buf + 40);
        emu.drive = CD_DRIVE0 + idx;
        emu.cyls = 0;
        emu.active = 0;
        log_printf("boot: El Torito %s image at sector %u, %u sectors to %x:0000\n",
                   kinds[media], emu.lba, emu.count, emu.load_seg);
        if (media != MEDIA_NONE)
            emulate(media);
        uint16_t count = emu.count ? emu.count : 1;
        int status = emu_read(0, count, (uint32_t)emu.load_seg * 16, 1);
        if (status) {
            log_printf("boot: reading the CD's boot image failed (%x)\n", status);
            end_emulation();
            continue;
        }
        emu.booted = 1;
        PRIV->boot_drive = emu.drive;
        log_printf("boot: booting from the CD-ROM (drive %x)\n", emu.drive);
        boot_jump_far(emu.drive, (uint32_t)emu.load_seg << 16);
    }
    if (!PRIV->cd_count)
        log_printf("boot: no CD-ROM drive\n");
    return -1;
}
