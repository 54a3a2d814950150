/* The BIOS's own run-time data: struct bios_private at EBDA offset PRIV_OFF, filled by
 * POST and read by the services. 16-bit code reaches it as PRIV (DS = EBDA_SEG), 32-bit
 * POST code through its linear address. */
#ifndef PRIVATE_H
#define PRIVATE_H

#include "layout.h"
#include "types.h"

#define MAX_ATA 4
#define MAX_CD 4
#define BOOT_NONE 0
#define BOOT_FLOPPY 1
#define BOOT_DISK 2
#define BOOT_CDROM 3

struct ata_drive {
    uint8_t present;            /* 1: an ATA disk answered IDENTIFY */
    uint8_t lba;                /* supports LBA addressing */
    uint16_t base;              /* command block ports: 0x1F0 or 0x170 */
    uint16_t ctrl;              /* control block: 0x3F6 or 0x376 */
    uint8_t slave;              /* device 1 on its channel */
    uint8_t dma;                /* supports DMA (IDENTIFY word 49 bit 8) */
    uint16_t cyls, heads, spt;  /* the geometry INT 13h shows (translated when large) */
    uint16_t pcyls, pheads, pspt; /* the drive's own (IDENTIFY words 1, 3, 6) */
    uint32_t sectors;           /* LBA28 capacity */
};

struct cd_drive {              /* an ATAPI CD/DVD-ROM drive (IDENTIFY PACKET DEVICE) */
    uint16_t base;              /* command block ports */
    uint16_t ctrl;              /* control block */
    uint8_t slave;              /* device 1 on its channel */
    uint8_t pad;
};

struct bios_private {
    uint32_t ram_end;           /* end of RAM below 4 GiB (bytes) */
    uint8_t cd_count;           /* CD drives E0h.. in order of cd[] */
    uint8_t cd_pad;
    struct cd_drive cd[MAX_CD];
    uint8_t boot_order[3];      /* BOOT_* in the order to try */
    uint8_t boot_drive;         /* DL of the last boot attempt */
    uint8_t kbd_e0;             /* the last scan code byte was 0xE0 */
    uint8_t ata_count;          /* hard disks 0x80.. in order of ata[] */
    uint8_t floppy_types[2];    /* CMOS 0x10 nibbles: 0 none, 4 1.44 MB, ... */
    uint8_t fd_last_status;     /* INT 13h AH=01 for floppies */
    uint8_t hd_last_status;
    uint16_t rtc_wait_active;
    struct ata_drive ata[MAX_ATA];
    uint32_t tables_base;       /* start of the firmware tables' zone at the top of RAM
                                 * (up to ram_end, E820-reserved); ram_end when none */
};

_Static_assert(sizeof(struct bios_private) <= DATA16_OFF - PRIV_OFF,
               "struct bios_private outgrew its place in the EBDA (layout.h)");

#endif
