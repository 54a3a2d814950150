/* INT 11h (equipment), INT 12h (conventional memory), INT 15h (system services:
 * memory maps E820h/E801h/88h, A20 control, event waits, block move, configuration
 * table), and the catch-all for services this BIOS does not provide. Functions and
 * return conventions as in Ralf Brown's interrupt list and the ACPI specification
 * (E820h address range descriptors). */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "clock.h"
#include "apm.h"

#define SMAP 0x534D4150                         /* "SMAP" */
#define E820_RAM 1
#define E820_RESERVED 2
#define UNSUPPORTED 0x86
#define ROM_SIZE 0x20000

void pm_copy(uint32_t dst, uint32_t src, uint32_t len);
extern char config_table[];

HANDLER handle_11(struct regs *r)
{
    r->ax.x = bda_get16(BDA_EQUIPMENT);
}

HANDLER handle_12(struct regs *r)
{
    r->ax.x = bda_get16(BDA_MEM_KIB);
}

HANDLER handle_unsupported(struct regs *r)
{
    fail(r, UNSUPPORTED);
}

struct e820_entry {
    uint32_t base_lo, base_hi, len_lo, len_hi, type;
};

/* entry i of the memory map; returns 0 past the end */
static int e820_entry(unsigned i, struct e820_entry *e)
{
    uint32_t ram_end = PRIV->tables_base;
    struct { uint32_t base, end; uint8_t type; } map[6];
    unsigned n = 0;
    uint32_t low = ram_end < EBDA_BASE ? ram_end : EBDA_BASE;
    map[n].base = 0, map[n].end = low, map[n++].type = E820_RAM;
    if (ram_end > EBDA_BASE)
        map[n].base = EBDA_BASE, map[n].end = 0xA0000, map[n++].type = E820_RESERVED;
    map[n].base = 0x100000 - ROM_SIZE, map[n].end = 0x100000, map[n++].type = E820_RESERVED;
    if (ram_end > 0x100000)
        map[n].base = 0x100000, map[n].end = ram_end, map[n++].type = E820_RAM;
    if (PRIV->ram_end > ram_end)                /* the ACPI and SMBIOS tables */
        map[n].base = ram_end, map[n].end = PRIV->ram_end, map[n++].type = E820_RESERVED;
    map[n].base = (uint32_t)-ROM_SIZE, map[n].end = 0, map[n++].type = E820_RESERVED;
    if (i >= n)
        return 0;
    e->base_lo = map[i].base;
    e->base_hi = 0;
    e->len_lo = map[i].end - map[i].base;       /* the last ends at 4 GiB (0): wraps */
    e->len_hi = 0;
    e->type = map[i].type;
    return 1;
}

static void e820(struct regs *r)
{
    struct e820_entry e;
    if (r->dx.e != SMAP || r->cx.e < 20 || !e820_entry(r->bx.e, &e)) {
        fail(r, UNSUPPORTED);
        return;
    }
    farcopy(r->es, r->di.x, OUR_SEG, (uint16_t)(uint32_t)&e, sizeof(e));
    r->ax.e = SMAP;
    r->cx.e = sizeof(e);
    r->bx.e = e820_entry(r->bx.e + 1, &e) ? r->bx.e + 1 : 0;
    set_cf(r, 0);
}

/* extended memory for the old interfaces: up to the firmware tables */
static uint32_t ext_kib(void)
{
    uint32_t end = PRIV->tables_base;
    return end > 0x100000 ? (end - 0x100000) >> 10 : 0;
}

static void e801(struct regs *r)
{
    uint32_t kib = ext_kib(), low = kib > 0x3C00 ? 0x3C00 : kib;
    uint32_t end = PRIV->tables_base;
    uint32_t high = end > 0x1000000 ? (end - 0x1000000) >> 16 : 0;
    r->ax.x = r->cx.x = low;
    r->bx.x = r->dx.x = high;
    set_cf(r, 0);
}

/* A20 is on when the byte at 0000:0500 and its alias FFFF:0510 (1 MiB up) differ
 * after changing one of them */
static int a20_enabled(void)
{
    uint8_t saved = peekb(0, 0x500);
    pokeb(0, 0x500, ~peekb(0xFFFF, 0x510));
    int on = peekb(0, 0x500) != peekb(0xFFFF, 0x510);
    pokeb(0, 0x500, saved);
    return on;
}

/* the machine's A20 is port 0x92 bit 1 OR the i8042's output port bit 1 */
static void set_a20(int on)
{
    uint8_t a = inb(PORT_A) & ~0x01;            /* never write the reset bit */
    outb(PORT_A, on ? a | 0x02 : a & ~0x02);
    kbc_command(0xD1);
    kbc_write(on ? 0xDF : 0xDD);
}

static void a20(struct regs *r)
{
    switch (r->ax.l) {
    case 0x00:
    case 0x01:
        set_a20(r->ax.l);
        succeed(r);
        break;
    case 0x02:
        r->ax.l = a20_enabled();
        succeed(r);
        break;
    case 0x03:
        r->bx.x = 0x0003;                       /* keyboard controller and port 92h */
        succeed(r);
        break;
    default:
        fail(r, 0x86);
    }
}

static uint32_t desc_base(uint16_t seg, uint16_t off)
{
    return peekw(seg, off + 2) | (uint32_t)peekb(seg, off + 4) << 16 |
           (uint32_t)peekb(seg, off + 7) << 24;
}

/* AH=87h: copy CX words between the bases of the descriptors at ES:SI+10h (source)
 * and ES:SI+18h (destination), with A20 on for the copy */
static void block_move(struct regs *r)
{
    if (r->cx.x > 0x8000) {
        fail(r, 0x01);
        return;
    }
    uint32_t src = desc_base(r->es, r->si.x + 0x10);
    uint32_t dst = desc_base(r->es, r->si.x + 0x18);
    int was_on = a20_enabled();
    if (!was_on)
        set_a20(1);
    pm_copy(dst, src, (uint32_t)r->cx.x * 2);
    if (!was_on)
        set_a20(0);
    succeed(r);
    set_zf(r, 1);
}

static volatile uint8_t wait_flag;

HANDLER handle_15(struct regs *r)
{
    switch (r->ax.h) {
    case 0x24:
        a20(r);
        break;
    case 0x4F:                                  /* keyboard intercept: keep the key */
        set_cf(r, 1);
        break;
    case 0x53:
        apm_call(r);
        break;
    case 0x83:
        if (r->ax.l == 1) {
            event_wait_cancel();
            set_cf(r, 0);
        } else if (event_wait_start(r->es, r->bx.x, (uint32_t)r->cx.x << 16 | r->dx.x)) {
            fail(r, 0x80);
        } else {
            set_cf(r, 0);
        }
        break;
    case 0x86: {
        uint32_t us = (uint32_t)r->cx.x << 16 | r->dx.x;
        if (event_wait_start(OUR_SEG, (uint16_t)(uint32_t)&wait_flag, us)) {
            fail(r, 0x83);
            break;
        }
        while (!(wait_flag & 0x80))
            halt_wait();
        succeed(r);
        break;
    }
    case 0x87:
        block_move(r);
        break;
    case 0x88: {
        uint32_t kib = ext_kib();
        r->ax.x = kib > 0xFFFF ? 0xFFFF : kib;
        set_cf(r, 0);
        break;
    }
    case 0x90:                                  /* device busy / interrupt complete */
    case 0x91:
        succeed(r);
        break;
    case 0xC0:
        r->es = BIOS_SEG;
        r->bx.x = (uint16_t)(uint32_t)config_table;  /* F000:E6F5 */
        succeed(r);
        break;
    case 0xC1:
        r->es = EBDA_SEG;
        set_cf(r, 0);
        break;
    case 0xE8:
        if (r->ax.l == 0x20) {
            e820(r);
            break;
        }
        if (r->ax.l == 0x01) {
            e801(r);
            break;
        }
        fail(r, UNSUPPORTED);
        break;
    default:
        log_printf("int15: AX=%04x not supported\n", r->ax.x);
        fail(r, UNSUPPORTED);
        break;
    }
}
