#ifndef DISK_H
#define DISK_H

#include "types.h"

/* status codes of INT 13h (AH on return) */
#define DISK_OK 0x00
#define DISK_BAD_COMMAND 0x01
#define DISK_WRITE_PROTECTED 0x03
#define DISK_NOT_FOUND 0x04
#define DISK_DMA_BOUNDARY 0x09
#define DISK_CONTROLLER 0x20
#define DISK_SEEK 0x40
#define DISK_TIMEOUT 0x80
#define DISK_NOT_READY 0xAA

/* read count sectors from LBA lba of BIOS drive `drive` to seg:off; status code */
int disk_read(uint8_t drive, uint32_t lba, uint16_t count, uint16_t seg, uint16_t off);
int disk_present(uint8_t drive);

#endif
