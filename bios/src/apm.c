/* INT 15h AH=53h: Advanced Power Management 1.2, the real-mode interface (APM BIOS
 * Interface Specification 1.2, chapter 4), so DOS-era software can idle the CPU and
 * switch the machine off. The 16- and 32-bit protected-mode interfaces are not
 * offered (installation check flags 0; connect answers "not supported"), which is
 * what keeps Linux's APM driver away: it powers off through ACPI.
 *
 * "Off" (set power state 0003h for all devices) goes through the PIIX4's ACPI sleep
 * control, S5, at the PM base POST programmed (pci.c). */
#include "regs.h"
#include "util.h"
#include "farptr.h"
#include "layout.h"

enum {
    APM_OK = 0x00, APM_NOT_CONNECTED = 0x03, APM_ALREADY_CONNECTED = 0x02,
    APM_NO_16BIT = 0x06, APM_NO_32BIT = 0x08, APM_BAD_DEVICE = 0x09,
    APM_BAD_PARAM = 0x0A, APM_NO_STATE = 0x60, APM_NO_EVENTS = 0x80,
};
#define APM_VERSION 0x0102
#define DEV_BIOS 0x0000
#define DEV_ALL 0x0001
#define STATE_READY 0
#define STATE_OFF 3

static uint8_t connected;
static uint16_t version = 0x0100;         /* what the driver said it speaks (0Eh) */

static void power_off(void)
{
    outw(PM_BASE + PM1_CNT, PM1_SLP_TYP_S5 << 10 | PM1_SLP_EN);
    for (;;)
        halt_wait();
}

void apm_call(struct regs *r)
{
    uint16_t dev = r->bx.x;
    switch (r->ax.l) {
    case 0x00:                                  /* installation check */
        if (dev != DEV_BIOS)
            return fail(r, APM_BAD_DEVICE);
        r->ax.x = APM_VERSION;
        r->bx.x = 'P' << 8 | 'M';
        r->cx.x = 0;                            /* no 16/32-bit protected-mode interface */
        set_cf(r, 0);
        return;
    case 0x01:                                  /* connect the real-mode interface */
        if (dev != DEV_BIOS)
            return fail(r, APM_BAD_DEVICE);
        if (connected)
            return fail(r, APM_ALREADY_CONNECTED);
        connected = 1;
        break;
    case 0x02:
        return fail(r, APM_NO_16BIT);
    case 0x03:
        return fail(r, APM_NO_32BIT);
    case 0x04:                                  /* disconnect */
        if (!connected)
            return fail(r, APM_NOT_CONNECTED);
        connected = 0;
        version = 0x0100;
        break;
    }
    if (r->ax.l > 0x04 && !connected)
        return fail(r, APM_NOT_CONNECTED);
    switch (r->ax.l) {
    case 0x01:
    case 0x04:
    case 0x06:                                  /* CPU busy */
    case 0x08:                                  /* enable/disable power management */
    case 0x0D:                                  /* enable/disable device PM */
    case 0x0F:                                  /* engage/disengage */
        break;
    case 0x05:                                  /* CPU idle: until the next interrupt */
        halt_wait();
        break;
    case 0x07:                                  /* set power state */
        if (r->cx.x == STATE_READY)
            break;
        if (r->cx.x == STATE_OFF && (dev == DEV_ALL || dev == DEV_BIOS))
            power_off();
        return fail(r, r->cx.x > STATE_OFF ? APM_BAD_PARAM : APM_NO_STATE);
    case 0x0A:                                  /* power status: on mains, no battery */
        r->bx.x = 0x01FF;
        r->cx.x = 0x80FF;
        r->dx.x = 0xFFFF;
        break;
    case 0x0B:                                  /* PM event: none ever */
        return fail(r, APM_NO_EVENTS);
    case 0x0C:                                  /* power state of a device */
        r->cx.x = STATE_READY;
        break;
    case 0x0E:                                  /* driver version: agree on the lower */
        version = r->cx.x < APM_VERSION ? r->cx.x : APM_VERSION;
        r->ax.x = version;
        set_cf(r, 0);
        return;
    case 0x10:                                  /* capabilities: no batteries, none */
        r->bx.l = 0;
        r->cx.x = 0;
        break;
    default:
        return fail(r, APM_BAD_PARAM);
    }
    succeed(r);
}
