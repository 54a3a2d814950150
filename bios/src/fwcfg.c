/* The fw_cfg interface (QEMU's docs/specs/fw_cfg.txt; the device is hw/fw_cfg.py):
 * a selector at 0x510, a byte-wide data port at 0x511 and the DMA interface at 0x514,
 * whose big-endian descriptor {control, length, address} the device carries out
 * when the low half of its address is written. Items are read through DMA when the
 * device offers it (feature bit 1, signature "QEMU CFG" at 0x514), else a byte at a
 * time. Named files come from the directory item 0x19: a big-endian count, then
 * 64-byte records {size, select, reserved, name[56]}. */
#include "platform.h"
#include "util.h"

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_DMA 0x514
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_FILE_DIR 0x0019
#define FEATURE_DMA 0x2
#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SELECT 0x08

struct fw_cfg_dma {
    uint32_t control, length;
    uint32_t address_hi, address_lo;
};

struct fw_cfg_file {
    uint32_t size;
    uint16_t select, reserved;
    char name[56];
};

static int have_dma;

static inline uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }

static void read_bytes(void *buf, uint32_t len)
{
    uint8_t *p = buf;
    while (len--)
        *p++ = inb(FW_CFG_DATA);
}

static void read_dma(uint16_t key, int select, void *buf, uint32_t len)
{
    volatile struct fw_cfg_dma d;
    d.control = be32((uint32_t)key << 16 | (select ? DMA_CTL_SELECT : 0) | DMA_CTL_READ);
    d.length = be32(len);
    d.address_hi = 0;
    d.address_lo = be32((uint32_t)buf);
    outl(FW_CFG_DMA, 0);
    outl(FW_CFG_DMA + 4, be32((uint32_t)&d));
    while (be32(d.control) & ~DMA_CTL_ERROR)
        ;
    if (be32(d.control) & DMA_CTL_ERROR)
        log_printf("fw_cfg: DMA read of item %x failed\n", key);
}

/* the next len bytes of the selected item */
static void read_on(void *buf, uint32_t len)
{
    if (have_dma)
        read_dma(0, 0, buf, len);
    else
        read_bytes(buf, len);
}

void fwcfg_read_item(uint16_t key, void *buf, uint32_t len)
{
    if (have_dma) {
        read_dma(key, 1, buf, len);
        return;
    }
    outw(FW_CFG_SELECTOR, key);
    read_bytes(buf, len);
}

int fwcfg_init(void)
{
    char sig[4];
    outw(FW_CFG_SELECTOR, FW_CFG_SIGNATURE);
    read_bytes(sig, 4);
    if (memcmp(sig, "QEMU", 4))
        return 0;
    uint32_t features;
    outw(FW_CFG_SELECTOR, FW_CFG_ID);
    read_bytes(&features, 4);
    char dma_sig[8];
    for (int i = 0; i < 8; i++)
        dma_sig[i] = inb(FW_CFG_DMA + i);
    have_dma = (features & FEATURE_DMA) && !memcmp(dma_sig, "QEMU CFG", 8);
    return 1;
}

int fwcfg_find(const char *name, uint32_t *size)
{
    uint32_t count;
    outw(FW_CFG_SELECTOR, FW_CFG_FILE_DIR);
    read_bytes(&count, 4);
    count = be32(count);
    size_t n = strlen(name);
    for (uint32_t i = 0; i < count; i++) {
        struct fw_cfg_file f;
        read_on(&f, sizeof(f));
        if (!memcmp(f.name, name, n + 1)) {
            *size = be32(f.size);
            return (uint16_t)__builtin_bswap16(f.select);
        }
    }
    return -1;
}
