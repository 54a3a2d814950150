/* struct regs: what entry_common (entry_16.S) saves on interrupt entry, in that order:
 * PUSHAD, GS FS ES DS, the handler's address, then the CPU's IRET frame. A 16-bit
 * handler gets a pointer to it; what it leaves there is what the caller gets back. */
#ifndef REGS_H
#define REGS_H

#include "types.h"

union reg32 {
    uint32_t e;
    struct { uint16_t x, hx; };
    struct { uint8_t l, h; };
};

struct regs {
    union reg32 di, si, bp, sp_unused, bx, dx, cx, ax;
    uint16_t gs, fs, es, ds;
    uint32_t handler;
    uint16_t ip, cs, flags;
} __attribute__((packed));

#define F_CF 0x0001
#define F_ZF 0x0040
#define F_IF 0x0200

static inline void set_cf(struct regs *r, int on)
{
    if (on)
        r->flags |= F_CF;
    else
        r->flags &= ~F_CF;
}

static inline void set_zf(struct regs *r, int on)
{
    if (on)
        r->flags |= F_ZF;
    else
        r->flags &= ~F_ZF;
}

/* the usual error return: AH = status, CF = 1 */
static inline void fail(struct regs *r, uint8_t status)
{
    r->ax.h = status;
    set_cf(r, 1);
}

static inline void succeed(struct regs *r)
{
    r->ax.h = 0;
    set_cf(r, 0);
}

#define HANDLER __attribute__((used)) void

#endif
