/* Where the firmware tables live, and the ones the machine hands over through fw_cfg.
 *
 * Two zones, the names of QEMU's table-loader interface:
 *   FSEG  the free end of the F segment (after the 16-bit code and its data image, up
 *         to the fixed area at 0xFE000). The ROM is read-only, so POST shadows the F
 *         segment as SeaBIOS does: PAM0 (i440FX config 0x59, hw/i440fx.py) to RAM
 *         read/write, the ROM's bytes copied in from their alias below 4 GiB, tables
 *         written, then PAM0 set to read-only RAM at the end of POST (tables_finish).
 *         The RSDP, the SMBIOS entry point, the MP floating pointer and table and the
 *         $PIR table go here: 0xF0000-0xFFFFF is where their specifications let an OS
 *         look for them.
 *   HIGH  HIGH_ZONE_SIZE at the top of RAM, which INT 15h E820h reports as reserved:
 *         the ACPI tables proper and the SMBIOS structures.
 * ACPI (emu/acpi.py): "etc/table-loader" is a script of 128-byte commands, ALLOCATE
 * (load a file into a zone), ADD_POINTER (add where a file landed to a field of
 * another) and ADD_CHECKSUM, run in order (emu/acpi.py run_loader is its Python twin).
 * SMBIOS (emu/smbios.py): QEMU's "etc/smbios/smbios-tables" (the structures) and
 * "etc/smbios/smbios-anchor" (a 2.x entry point); POST puts the structures in HIGH,
 * fills the processor's CPUID signature and features into type 4 (the machine does
 * not know them), points the anchor at the structures and checksums it, as SeaBIOS
 * does with QEMU's. */
#include "platform.h"
#include "util.h"

#define FSEG_BASE 0xF0000
#define FSEG_END 0xFE000                        /* the fixed entry points start here */
#define FSEG_ROM_ALIAS 0xFFFF0000u              /* the F segment's bytes in the ROM */
#define I440FX_PAM0 0x59
#define PAM_F_RW 0x30                           /* high nibble: RE | WE */
#define PAM_F_RO 0x10                           /* RE: write-protected shadow RAM */
#define I440FX_DEVICE 0x1237

#define LOADER_FILE "etc/table-loader"
#define LOADER_MAX 16384
#define LOADER_CMD_SIZE 128
#define CMD_ALLOCATE 1
#define CMD_ADD_POINTER 2
#define CMD_ADD_CHECKSUM 3
#define MAX_FILES 16

#define SMBIOS_TABLES_FILE "etc/smbios/smbios-tables"
#define SMBIOS_ANCHOR_FILE "etc/smbios/smbios-anchor"
#define SMBIOS_ANCHOR_LEN 31
#define SMBIOS_TYPE_PROCESSOR 4
#define SMBIOS_TYPE_END 127

extern char __data16_start[], __data16_end[], __data16_load[];

struct zone {
    uint32_t next, end;
};

static struct zone zones[3];                    /* indexed by ZONE_HIGH, ZONE_FSEG */
static uint16_t host_bridge;
static int shadowed;                            /* the F segment is shadow RAM */

struct loader_cmd {
    uint32_t command;
    union {
        struct { char file[56]; uint32_t align; uint8_t zone; } alloc;
        struct { char dest[56]; char src[56]; uint32_t offset; uint8_t size; } pointer;
        struct { char file[56]; uint32_t offset, start, length; } cksum;
        uint8_t pad[LOADER_CMD_SIZE - 4];
    };
};

struct loaded_file {
    char name[56];
    uint8_t *data;
    uint32_t size;
};

static uint8_t loader[LOADER_MAX];
static struct loaded_file files[MAX_FILES];
static unsigned file_count;

uint8_t checksum(const void *p, uint32_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    while (len--)
        sum += *b++;
    return -sum;
}

void *zone_alloc(int zone, uint32_t size, uint32_t align)
{
    struct zone *z = &zones[zone];
    if (!align)
        align = 1;
    uint32_t addr = (z->next + align - 1) & ~(align - 1);
    if (!z->end || addr < z->next || addr + size > z->end || addr + size < addr)
        return NULL;
    z->next = addr + size;
    memset((void *)addr, 0, size);
    return (void *)addr;
}

static void shadow_fseg(void)
{
    for (unsigned i = 0; i < pci_count; i++) {
        if (pci_devs[i].vendor == 0x8086 && pci_devs[i].device == I440FX_DEVICE) {
            host_bridge = pci_devs[i].bdf;
            shadowed = 1;
        }
    }
    if (!shadowed) {
        log_printf(" [no i440FX, the F segment stays ROM: no RSDP, SMBIOS, MP, $PIR]");
        return;
    }
    pci_write8(host_bridge, I440FX_PAM0, PAM_F_RW);
    uint32_t d = FSEG_BASE, src = FSEG_ROM_ALIAS, n = 0x10000 / 4;
    asm volatile("rep movsl" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    uint32_t free = (uint32_t)__data16_load + (__data16_end - __data16_start);
    zones[ZONE_FSEG].next = (free + 15) & ~15u;
    zones[ZONE_FSEG].end = FSEG_END;
}

static struct loaded_file *find_loaded(const char *name)
{
    for (unsigned i = 0; i < file_count; i++)
        if (!memcmp(files[i].name, name, 56))
            return &files[i];
    log_printf(" [table-loader: %s was not allocated]", name);
    return NULL;
}

static int cmd_allocate(const struct loader_cmd *c)
{
    char name[57];
    memcpy(name, c->alloc.file, 56);
    name[56] = 0;
    uint32_t size;
    int sel = fwcfg_find(name, &size);
    if (sel < 0 || file_count >= MAX_FILES ||
        (c->alloc.zone != ZONE_HIGH && c->alloc.zone != ZONE_FSEG)) {
        log_printf(" [table-loader: cannot allocate %s]", name);
        return -1;
    }
    uint8_t *p = zone_alloc(c->alloc.zone, size, c->alloc.align);
    if (!p) {
        log_printf(" [table-loader: no room for %s (%u bytes)]", name, size);
        return -1;
    }
    fwcfg_read_item(sel, p, size);
    struct loaded_file *f = &files[file_count++];
    memcpy(f->name, c->alloc.file, 56);
    f->data = p;
    f->size = size;
    return 0;
}

static int cmd_add_pointer(const struct loader_cmd *c)
{
    struct loaded_file *dest = find_loaded(c->pointer.dest);
    struct loaded_file *src = find_loaded(c->pointer.src);
    uint8_t size = c->pointer.size;
    if (!dest || !src || (size != 1 && size != 2 && size != 4 && size != 8) ||
        c->pointer.offset > dest->size || dest->size - c->pointer.offset < size)
        return -1;
    uint8_t *field = dest->data + c->pointer.offset;
    uint64_t v = 0;
    memcpy(&v, field, size);
    v += (uint32_t)src->data;
    memcpy(field, &v, size);
    return 0;
}

static int cmd_add_checksum(const struct loader_cmd *c)
{
    struct loaded_file *f = find_loaded(c->cksum.file);
    if (!f || c->cksum.offset >= f->size || c->cksum.start > f->size ||
        f->size - c->cksum.start < c->cksum.length)
        return -1;
    f->data[c->cksum.offset] = 0;
    f->data[c->cksum.offset] = checksum(f->data + c->cksum.start, c->cksum.length);
    return 0;
}

static void run_table_loader(void)
{
    uint32_t size;
    int sel = fwcfg_find(LOADER_FILE, &size);
    if (sel < 0) {
        log_printf(" [no %s, no ACPI]", LOADER_FILE);
        return;
    }
    if (size > LOADER_MAX) {
        log_printf(" [%s is too long (%u bytes)]", LOADER_FILE, size);
        return;
    }
    fwcfg_read_item(sel, loader, size);
    for (uint32_t off = 0; off + LOADER_CMD_SIZE <= size; off += LOADER_CMD_SIZE) {
        const struct loader_cmd *c = (const struct loader_cmd *)(loader + off);
        int err;
        switch (c->command) {
        case CMD_ALLOCATE:
            err = cmd_allocate(c);
            break;
        case CMD_ADD_POINTER:
            err = cmd_add_pointer(c);
            break;
        case CMD_ADD_CHECKSUM:
            err = cmd_add_checksum(c);
            break;
        default:
            err = 0;                            /* other commands: not for us */
            break;
        }
        if (err) {
            /* half-made tables are worse than none: no RSDP for an OS to find */
            log_printf(" [table-loader: command %u failed, no ACPI]", off / LOADER_CMD_SIZE);
            for (unsigned i = 0; i < file_count; i++)
                memset(files[i].data, 0, files[i].size);
            file_count = 0;
            return;
        }
    }
    for (unsigned i = 0; i < file_count; i++)
        if (!memcmp(files[i].data, "RSD PTR ", 8))
            log_printf(" RSDP %x", (uint32_t)files[i].data);
}

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* the length of the structure at p (formatted part and its strings), 0 when it
 * runs past end */
static uint32_t smbios_struct_len(const uint8_t *p, const uint8_t *end)
{
    if (end - p < 4 || p[1] < 4 || end - p < p[1] + 2)
        return 0;
    const uint8_t *s = p + p[1];
    while (s + 1 < end && (s[0] || s[1]))
        s++;
    return s + 1 < end ? (uint32_t)(s + 2 - p) : 0;
}

static void smbios_fill_cpu(uint8_t *tables, uint32_t size)
{
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    for (uint8_t *p = tables; p < tables + size;) {
        uint32_t len = smbios_struct_len(p, tables + size);
        if (!len)
            break;
        if (p[0] == SMBIOS_TYPE_PROCESSOR && p[1] >= 0x10) {
            memcpy(p + 8, &a, 4);               /* processor ID: CPUID.1 EAX, EDX */
            memcpy(p + 12, &d, 4);
        }
        if (p[0] == SMBIOS_TYPE_END)
            break;
        p += len;
    }
}

static void smbios_setup(void)
{
    uint32_t tsize, asize;
    int tsel = fwcfg_find(SMBIOS_TABLES_FILE, &tsize);
    int asel = fwcfg_find(SMBIOS_ANCHOR_FILE, &asize);
    if (tsel < 0 || asel < 0 || asize != SMBIOS_ANCHOR_LEN) {
        log_printf(" [no SMBIOS from the machine]");
        return;
    }
    uint8_t *tables = zone_alloc(ZONE_HIGH, tsize, 16);
    uint8_t *anchor = zone_alloc(ZONE_FSEG, asize, 16);
    if (!tables || !anchor) {
        log_printf(" [no room for SMBIOS]");
        return;
    }
    fwcfg_read_item(tsel, tables, tsize);
    fwcfg_read_item(asel, anchor, asize);
    if (memcmp(anchor, "_SM_", 4) || memcmp(anchor + 0x10, "_DMI_", 5)) {
        log_printf(" [bad SMBIOS anchor]");
        memset(anchor, 0, asize);
        return;
    }
    smbios_fill_cpu(tables, tsize);
    uint32_t addr = (uint32_t)tables;
    *(uint16_t *)(anchor + 0x16) = tsize;
    memcpy(anchor + 0x18, &addr, 4);
    anchor[0x15] = 0;
    anchor[0x15] = checksum(anchor + 0x10, 0x0F);
    anchor[0x04] = 0;
    anchor[0x04] = checksum(anchor, anchor[0x05]);
    log_printf(" SMBIOS %x", (uint32_t)anchor);
}

void tables_setup(uint32_t high_base, uint32_t high_end)
{
    zones[ZONE_HIGH].next = high_base;
    zones[ZONE_HIGH].end = high_end;
    shadow_fseg();
    log_printf("tables:");
    if (fwcfg_init()) {
        run_table_loader();
        smbios_setup();
    } else {
        log_printf(" [no fw_cfg, no ACPI or SMBIOS]");
    }
    mptable_setup();
    pirtable_setup();
    log_printf("\n");
}

void tables_finish(void)
{
    if (shadowed)
        pci_write8(host_bridge, I440FX_PAM0, PAM_F_RO);
}
