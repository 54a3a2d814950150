#ifndef DISK_H
#define DISK_H

#include "types.h"
#include "regs.h"

/* status codes of INT 13h (AH on return) */
#define DISK_OK 0x00
#define DISK_BAD_COMMAND 0x01
#define DISK_WRITE_PROTECTED 0x03
#define DISK_NOT_FOUND 0x04
#define DISK_CHANGED 0x06
#define DISK_DMA_BOUNDARY 0x09
#define DISK_CONTROLLER 0x20
#define DISK_SEEK 0x40
#define DISK_TIMEOUT 0x80
#define DISK_NOT_READY 0xAA

/* read count sectors from LBA lba of BIOS drive `drive` to seg:off; status code */
int disk_read(uint8_t drive, uint32_t lba, uint16_t count, uint16_t seg, uint16_t off);
int disk_present(uint8_t drive);
void disk_setup(void);
uint16_t ide_bus_master(uint16_t base);
void ide_dma_prepare(uint16_t bm, int to_memory, uint32_t lin, uint32_t bytes);
int ide_dma_run(uint16_t bm, uint16_t ctrl, int to_memory);

/* floppy.c: drives 00h/01h */
void floppy_13(struct regs *r, uint8_t drive);
int floppy_read(uint8_t drive, uint32_t lba, uint8_t count, uint16_t seg, uint16_t off);
int floppy_present(uint8_t drive);
uint16_t floppy_dpt(uint8_t spt, uint16_t cyls);
void floppy_setup(void);

/* cdrom.c: ATAPI CD-ROM drives E0h.. */
int cd_read(uint8_t idx, uint32_t lba, uint16_t count, uint32_t skip, uint32_t len,
            uint32_t lin);
uint32_t cd_capacity(uint8_t idx);
void cdrom_13(struct regs *r, uint8_t idx);

/* eltorito.c: CD boot and the emulated drive */
int eltorito_boot(void);
int cdemu_13(struct regs *r);
uint8_t cdemu_real_drive(uint8_t dl);

#endif
