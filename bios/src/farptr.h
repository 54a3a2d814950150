/* Memory outside the 16-bit code's own segment (DS = SS = EBDA_SEG): the IVT, the BDA,
 * video memory and callers' buffers, through FS (which the C compiler never uses). */
#ifndef FARPTR_H
#define FARPTR_H

#include "types.h"
#include "layout.h"
#include "private.h"
#include "hw.h"

#define PRIV ((struct bios_private *)PRIV_OFF)

static inline uint8_t peekb(uint16_t seg, uint16_t off)
{
    uint8_t v;
    asm volatile("movw %w1, %%fs\n\tmovb %%fs:(%2), %0"
                 : "=q"(v) : "r"(seg), "r"((uint32_t)off) : "memory");
    return v;
}

static inline uint16_t peekw(uint16_t seg, uint16_t off)
{
    uint16_t v;
    asm volatile("movw %w1, %%fs\n\tmovw %%fs:(%2), %0"
                 : "=r"(v) : "r"(seg), "r"((uint32_t)off) : "memory");
    return v;
}

static inline uint32_t peekl(uint16_t seg, uint16_t off)
{
    uint32_t v;
    asm volatile("movw %w1, %%fs\n\tmovl %%fs:(%2), %0"
                 : "=r"(v) : "r"(seg), "r"((uint32_t)off) : "memory");
    return v;
}

static inline void pokeb(uint16_t seg, uint16_t off, uint8_t v)
{
    asm volatile("movw %w0, %%fs\n\tmovb %2, %%fs:(%1)"
                 : : "r"(seg), "r"((uint32_t)off), "q"(v) : "memory");
}

static inline void pokew(uint16_t seg, uint16_t off, uint16_t v)
{
    asm volatile("movw %w0, %%fs\n\tmovw %2, %%fs:(%1)"
                 : : "r"(seg), "r"((uint32_t)off), "r"(v) : "memory");
}

static inline void pokel(uint16_t seg, uint16_t off, uint32_t v)
{
    asm volatile("movw %w0, %%fs\n\tmovl %2, %%fs:(%1)"
                 : : "r"(seg), "r"((uint32_t)off), "r"(v) : "memory");
}

#define bda_get8(o) peekb(BDA_SEG, (o))
#define bda_get16(o) peekw(BDA_SEG, (o))
#define bda_get32(o) peekl(BDA_SEG, (o))
#define bda_set8(o, v) pokeb(BDA_SEG, (o), (v))
#define bda_set16(o, v) pokew(BDA_SEG, (o), (v))
#define bda_set32(o, v) pokel(BDA_SEG, (o), (v))

/* copy n bytes (n <= 64 KiB, no segment wrap) between far addresses */
static inline void farcopy(uint16_t dseg, uint16_t doff, uint16_t sseg, uint16_t soff,
                           uint16_t n)
{
    uint32_t d = doff, s = soff, c = n;
    asm volatile("pushw %%ds\n\tpushw %%es\n\t"
                 "movw %w3, %%ds\n\tmovw %w4, %%es\n\t"
                 "rep movsb\n\t"
                 "popw %%es\n\tpopw %%ds"
                 : "+D"(d), "+S"(s), "+c"(c) : "r"(sseg), "r"(dseg) : "memory");
}

/* far pointers (seg:off) of the caller's DS, which is the BIOS's own data segment */
#define OUR_SEG EBDA_SEG

static inline void halt_wait(void)
{
    asm volatile("sti\n\thlt\n\tcli" : : : "memory");
}

#endif
