/* Time: the timer tick (INT 08h, IRQ0 at 18.2 Hz), INT 1Ah (tick count, RTC time,
 * date and alarm), the RTC's interrupt (INT 70h, IRQ8) that runs the event waits of
 * INT 15h AH=83h/86h at its 1024 Hz periodic rate. As in the IBM PC/AT Technical
 * Reference (BIOS listing, "Time of day", "Event wait") and the MC146818A data sheet. */
#include "pcibios.h"
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "clock.h"

#define RTC_A 0x0A
#define RTC_B 0x0B
#define RTC_C 0x0C
#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_DSE 0x01
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_PERIOD_US 976                       /* 1024 Hz */
#define FD_DOR 0x3F2

HANDLER handle_08(struct regs *r)
{
    uint32_t ticks = bda_get32(BDA_TICKS) + 1;
    if (ticks >= TICKS_PER_DAY) {
        ticks = 0;
        bda_set8(BDA_MIDNIGHT, 1);
    }
    bda_set32(BDA_TICKS, ticks);
    uint8_t motor = bda_get8(BDA_FD_MOTOR_TICKS);
    if (motor && !--motor) {                    /* floppy motors off after the delay */
        bda_set8(BDA_FD_MOTOR, bda_get8(BDA_FD_MOTOR) & 0xF0);
        outb(FD_DOR, 0x0C);                     /* controller enabled, DMA on, no motor */
    }
    bda_set8(BDA_FD_MOTOR_TICKS, motor);
    asm volatile("int $0x1c" : : : "memory");
    outb(PIC1_CMD, PIC_EOI);
}

/* wait until the RTC is not updating, so the time registers are consistent */
static int rtc_ready(void)
{
    for (uint32_t i = 0; i < 100000; i++)
        if (!(cmos_read(RTC_A) & RTC_A_UIP))
            return 1;
    return 0;
}

static void rtc_set(uint8_t reg0, uint8_t v0, uint8_t reg1, uint8_t v1, uint8_t reg2,
                    uint8_t v2)
{
    uint8_t b = cmos_read(RTC_B);
    cmos_write(RTC_B, b | RTC_B_SET);
    cmos_write(reg0, v0);
    cmos_write(reg1, v1);
    cmos_write(reg2, v2);
    cmos_write(RTC_B, b & ~RTC_B_SET);
}

static void pie(int on)
{
    uint8_t b = cmos_read(RTC_B);
    cmos_write(RTC_B, on ? b | RTC_B_PIE : b & ~RTC_B_PIE);
}

HANDLER handle_1a(struct regs *r)
{
    set_cf(r, 0);
    switch (r->ax.h) {
    case 0x00: {
        uint32_t ticks = bda_get32(BDA_TICKS);
        r->cx.x = ticks >> 16;
        r->dx.x = ticks & 0xFFFF;
        r->ax.l = bda_get8(BDA_MIDNIGHT);
        bda_set8(BDA_MIDNIGHT, 0);
        break;
    }
    case 0x01:
        bda_set32(BDA_TICKS, (uint32_t)r->cx.x << 16 | r->dx.x);
        bda_set8(BDA_MIDNIGHT, 0);
        break;
    case 0x02:
        if (!rtc_ready()) {
            set_cf(r, 1);
            break;
        }
        r->cx.h = cmos_read(0x04);
        r->cx.l = cmos_read(0x02);
        r->dx.h = cmos_read(0x00);
        r->dx.l = cmos_read(RTC_B) & RTC_B_DSE;
        break;
    case 0x03:
        rtc_ready();
        rtc_set(0x04, r->cx.h, 0x02, r->cx.l, 0x00, r->dx.h);
        cmos_write(RTC_B, (cmos_read(RTC_B) & ~RTC_B_DSE) | (r->dx.l & RTC_B_DSE));
        break;
    case 0x04:
        if (!rtc_ready()) {
            set_cf(r, 1);
            break;
        }
        r->cx.h = cmos_read(0x32);
        r->cx.l = cmos_read(0x09);
        r->dx.h = cmos_read(0x08);
        r->dx.l = cmos_read(0x07);
        break;
    case 0x05:
        rtc_ready();
        rtc_set(0x09, r->cx.l, 0x08, r->dx.h, 0x07, r->dx.l);
        cmos_write(0x32, r->cx.h);
        break;
    case 0x06:
        if (cmos_read(RTC_B) & RTC_B_AIE) {     /* an alarm is already set */
            set_cf(r, 1);
            break;
        }
        rtc_ready();
        rtc_set(0x05, r->cx.h, 0x03, r->cx.l, 0x01, r->dx.h);
        cmos_write(RTC_B, cmos_read(RTC_B) | RTC_B_AIE);
        outb(PIC2_DATA, inb(PIC2_DATA) & ~0x01);
        break;
    case 0x07:
        cmos_write(RTC_B, cmos_read(RTC_B) & ~RTC_B_AIE);
        break;
    case 0xB1:                                  /* the PCI BIOS */
        pcibios_call(r);
        break;
    default:
        set_cf(r, 1);
        break;
    }
}

HANDLER handle_70(struct regs *r)
{
    uint8_t c = cmos_read(RTC_C);              /* reading C acknowledges the interrupt */
    if ((c & RTC_C_PF) && (bda_get8(BDA_WAIT_ACTIVE) & 1)) {
        int32_t left = (int32_t)bda_get32(BDA_WAIT_COUNT) - RTC_PERIOD_US;
        bda_set32(BDA_WAIT_COUNT, left);
        if (left <= 0) {
            uint16_t off = bda_get16(BDA_WAIT_PTR), seg = bda_get16(BDA_WAIT_PTR + 2);
            pokeb(seg, off, peekb(seg, off) | 0x80);
            bda_set8(BDA_WAIT_ACTIVE, 0);
            pie(0);
        }
    }
    if (c & RTC_C_AF) {
        sti();
        asm volatile("int $0x4a" : : : "memory");
        cli();
    }
    outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

/* start an event wait: after us microseconds the byte at seg:off gets bit 7 set;
 * returns -1 when one is already running */
int event_wait_start(uint16_t seg, uint16_t off, uint32_t us)
{
    if (bda_get8(BDA_WAIT_ACTIVE) & 1)
        return -1;
    pokeb(seg, off, peekb(seg, off) & 0x7F);
    bda_set16(BDA_WAIT_PTR, off);
    bda_set16(BDA_WAIT_PTR + 2, seg);
    bda_set32(BDA_WAIT_COUNT, us);
    bda_set8(BDA_WAIT_ACTIVE, 1);
    outb(PIC2_DATA, inb(PIC2_DATA) & ~0x01);    /* IRQ8 */
    pie(1);
    return 0;
}

void event_wait_cancel(void)
{
    bda_set8(BDA_WAIT_ACTIVE, 0);
    pie(0);
}
