/* The keyboard: INT 09h (IRQ1) turns scan code set 1 bytes (the i8042 translates the
 * keyboard's set 2) into the BIOS keystroke words (scan code << 8 | ASCII) in the BDA
 * ring buffer, keeping the shift/lock state; INT 16h hands them to programs. Codes as
 * in the IBM PC/AT Technical Reference keyboard tables (Ralf Brown's list, INT 16h,
 * for the enhanced keyboard's extra codes). */
#include "farptr.h"
#include "regs.h"
#include "util.h"

/* BDA 0x17 */
#define KF_RSHIFT 0x01
#define KF_LSHIFT 0x02
#define KF_CTRL 0x04
#define KF_ALT 0x08
#define KF_SCROLL 0x10
#define KF_NUM 0x20
#define KF_CAPS 0x40
#define KF_INSERT 0x80
/* BDA 0x18 */
#define KF1_LCTRL 0x01
#define KF1_LALT 0x02
/* BDA 0x96 */
#define KF3_E0 0x02
#define KF3_RCTRL 0x04
#define KF3_RALT 0x08
#define KF3_101 0x10

#define SC_CTRL 0x1D
#define SC_LSHIFT 0x2A
#define SC_RSHIFT 0x36
#define SC_ALT 0x38
#define SC_CAPS 0x3A
#define SC_NUM 0x45
#define SC_SCROLL 0x46
#define SC_INSERT 0x52
#define SC_DEL 0x53

/* ASCII for the main block, scan codes 0x00-0x39, without and with shift */
static const char plain[] =
    "\0\x1b" "1234567890-=\x08\t" "qwertyuiop[]\r\0" "asdfghjkl;'`\0\\" "zxcvbnm,./\0*\0 ";
static const char shifted[] =
    "\0\x1b" "!@#$%^&*()_+\x08\0" "QWERTYUIOP{}\r\0" "ASDFGHJKL:\"~\0|" "ZXCVBNM<>?\0*\0 ";
static const char keypad[] = "789-456+1230.";     /* 0x47-0x53 with Num Lock */

static int buffer_put(uint16_t key)
{
    uint16_t tail = bda_get16(BDA_KB_TAIL);
    uint16_t next = tail + 2;
    if (next >= bda_get16(BDA_KB_BUF_END))
        next = bda_get16(BDA_KB_BUF_START);
    if (next == bda_get16(BDA_KB_HEAD))
        return -1;                              /* full: the key is lost */
    bda_set16(tail, key);
    bda_set16(BDA_KB_TAIL, next);
    return 0;
}

static int buffer_get(uint16_t *key, int remove)
{
    uint16_t head = bda_get16(BDA_KB_HEAD);
    if (head == bda_get16(BDA_KB_TAIL))
        return -1;
    *key = bda_get16(head);
    if (remove) {
        head += 2;
        if (head >= bda_get16(BDA_KB_BUF_END))
            head = bda_get16(BDA_KB_BUF_START);
        bda_set16(BDA_KB_HEAD, head);
    }
    return 0;
}

/* the keystroke word for a make code, or 0 for none */
static uint16_t translate(uint8_t sc, int e0, uint8_t flags)
{
    uint16_t scw = (uint16_t)sc << 8;
    int shift = flags & (KF_LSHIFT | KF_RSHIFT);
    if (e0) {
        if (sc == 0x1C)                         /* keypad Enter */
            return flags & KF_CTRL ? 0xE00A : 0xE00D;
        if (sc == 0x35)                         /* keypad / */
            return 0xE02F;
        if (sc >= 0x47 && sc <= 0x53)           /* the grey cursor block */
            return flags & KF_ALT ? (uint16_t)(sc + 0x50) << 8 : scw | 0xE0;
        return 0;
    }
    if (sc >= 0x3B && sc <= 0x44) {             /* F1-F10 */
        uint8_t n = sc - 0x3B;
        if (flags & KF_ALT)
            return (0x68 + n) << 8;
        if (flags & KF_CTRL)
            return (0x5E + n) << 8;
        if (shift)
            return (0x54 + n) << 8;
        return scw;
    }
    if (sc == 0x57 || sc == 0x58) {             /* F11, F12 */
        uint8_t n = sc - 0x57;
        if (flags & KF_ALT)
            return (0x8B + n) << 8;
        if (flags & KF_CTRL)
            return (0x89 + n) << 8;
        if (shift)
            return (0x87 + n) << 8;
        return (0x85 + n) << 8;
    }
    if (sc >= 0x47 && sc <= 0x53) {             /* keypad */
        char c = keypad[sc - 0x47];
        if (c == '-' || c == '+')
            return scw | c;
        if (flags & KF_ALT)
            return 0;                           /* Alt+digits: not composed here */
        if (!!(flags & KF_NUM) != !!shift)
            return scw | c;
        return scw;
    }
    if (sc >= sizeof(plain) - 1)
        return 0;
    char c = plain[sc];
    if (flags & KF_ALT) {
        if (sc >= 0x02 && sc <= 0x0D)           /* Alt+1 .. Alt+= */
            return (0x76 + sc) << 8;
        if (c >= 'a' && c <= 'z')
            return scw;
        return c ? scw : 0;
    }
    if (flags & KF_CTRL) {
        if (c >= 'a' && c <= 'z')
            return scw | (c - 'a' + 1);
        switch (sc) {
        case 0x01: return 0x011B;
        case 0x03: return 0x0300;               /* Ctrl+2: NUL */
        case 0x07: return 0x071E;               /* Ctrl+6 */
        case 0x0C: return 0x0C1F;               /* Ctrl+- */
        case 0x0E: return 0x0E7F;
        case 0x0F: return 0x9400;
        case 0x1A: return 0x1A1B;
        case 0x1B: return 0x1B1D;
        case 0x1C: return 0x1C0A;
        case 0x2B: return 0x2B1C;
        case 0x39: return 0x3920;
        }
        return 0;
    }
    int upper = !!shift;
    if (c >= 'a' && c <= 'z' && (flags & KF_CAPS))
        upper = !upper;
    if (sc == 0x0F && shift)
        return 0x0F00;                          /* Shift+Tab */
    c = upper ? shifted[sc] : c;
    return c ? scw | (uint8_t)c : 0;
}

static void reboot(void)
{
    bda_set16(BDA_RESET_FLAG, 0x1234);          /* warm boot: skip the memory test */
    kbc_command(0xFE);                          /* pulse the CPU reset line */
    for (;;)
        halt_wait();
}

static void process(uint8_t code)
{
    uint8_t f0 = bda_get8(BDA_KB_FLAGS0), f1 = bda_get8(BDA_KB_FLAGS1);
    uint8_t f3 = bda_get8(BDA_KB_FLAGS3);
    int e0 = f3 & KF3_E0;
    uint8_t sc = code & 0x7F;
    int brk = code & 0x80;

    f3 &= ~KF3_E0;
    if (code == 0xE0) {
        bda_set8(BDA_KB_FLAGS3, f3 | KF3_E0);
        return;
    }
    /* keyboard replies (ack, resend), overrun, the Pause prefix; AA is not among them:
     * after POST it is the left Shift's break code */
    if (code == 0xFA || code == 0xFE || code == 0x00 || code == 0xFF || code == 0xE1) {
        bda_set8(BDA_KB_FLAGS3, f3);
        return;
    }
    switch (sc) {
    case SC_LSHIFT:
    case SC_RSHIFT:
        if (!e0) {                              /* E0 2A / E0 36: the fake shifts */
            uint8_t bit = sc == SC_LSHIFT ? KF_LSHIFT : KF_RSHIFT;
            f0 = brk ? f0 & ~bit : f0 | bit;
        }
        break;
    case SC_CTRL:
        if (e0)
            f3 = brk ? f3 & ~KF3_RCTRL : f3 | KF3_RCTRL;
        else
            f1 = brk ? f1 & ~KF1_LCTRL : f1 | KF1_LCTRL;
        f0 = (f1 & KF1_LCTRL) || (f3 & KF3_RCTRL) ? f0 | KF_CTRL : f0 & ~KF_CTRL;
        break;
    case SC_ALT:
        if (e0)
            f3 = brk ? f3 & ~KF3_RALT : f3 | KF3_RALT;
        else
            f1 = brk ? f1 & ~KF1_LALT : f1 | KF1_LALT;
        f0 = (f1 & KF1_LALT) || (f3 & KF3_RALT) ? f0 | KF_ALT : f0 & ~KF_ALT;
        break;
    case SC_CAPS:
    case SC_NUM:
    case SC_SCROLL: {
        uint8_t held = sc == SC_CAPS ? 0x40 : sc == SC_NUM ? 0x20 : 0x10;
        uint8_t lock = sc == SC_CAPS ? KF_CAPS : sc == SC_NUM ? KF_NUM : KF_SCROLL;
        if (brk) {
            f1 &= ~held;
        } else if (!(f1 & held)) {              /* toggles once per press, not on repeat */
            f1 |= held;
            f0 ^= lock;
        }
        break;
    }
    default:
        if (brk)
            break;
        if (sc == SC_DEL && (f0 & KF_CTRL) && (f0 & KF_ALT)) {
            reboot();
        }
        if (sc == SC_INSERT && !(f0 & (KF_CTRL | KF_ALT)))
            f0 ^= KF_INSERT;
        if (sc == 0x46 && e0 && (f0 & KF_CTRL)) {   /* Ctrl+Break */
            bda_set8(BDA_BREAK, 0x80);
            buffer_put(0x0000);
            break;
        }
        uint16_t key = translate(sc, e0, f0);
        if (key)
            buffer_put(key);
    }
    bda_set8(BDA_KB_FLAGS0, f0);
    bda_set8(BDA_KB_FLAGS1, f1);
    bda_set8(BDA_KB_FLAGS3, f3);
}

/* INT 15h AH=4Fh, the keyboard intercept: returns the (possibly changed) code, or -1
 * when the hook consumed it (CF clear on return) */
static int intercept(uint8_t code)
{
    uint32_t ax = 0x4F00 | code;
    uint8_t cf;
    asm volatile("stc\n\tint $0x15\n\tsetc %1" : "+a"(ax), "=qm"(cf) : : "memory", "cc");
    return cf ? (int)(ax & 0xFF) : -1;
}

HANDLER handle_09(struct regs *r)
{
    if (inb(KBC_STATUS) & KBC_ST_OBF) {
        int code = intercept(inb(KBC_DATA));
        if (code >= 0)
            process(code);
    }
    outb(PIC1_CMD, PIC_EOI);
}

/* AH=00h/01h see the keys of the original 84-key keyboard only */
static uint16_t compatible(uint16_t key)
{
    if ((key & 0xFF) == 0xE0 && key >> 8)
        return key & 0xFF00;
    if (key >> 8 == 0xE0)
        return ((key & 0xFF) == '/' ? 0x3500 : 0x1C00) | (key & 0xFF);
    return key;
}

HANDLER handle_16(struct regs *r)
{
    uint16_t key;
    switch (r->ax.h) {
    case 0x00:
    case 0x10:
        while (buffer_get(&key, 1))
            halt_wait();
        r->ax.x = r->ax.h == 0x00 ? compatible(key) : key;
        break;
    case 0x01:
    case 0x11:
        if (buffer_get(&key, 0)) {
            set_zf(r, 1);
        } else {
            r->ax.x = r->ax.h == 0x01 ? compatible(key) : key;
            set_zf(r, 0);
        }
        break;
    case 0x02:
        r->ax.l = bda_get8(BDA_KB_FLAGS0);
        break;
    case 0x12: {
        uint8_t f1 = bda_get8(BDA_KB_FLAGS1), f3 = bda_get8(BDA_KB_FLAGS3);
        r->ax.l = bda_get8(BDA_KB_FLAGS0);
        r->ax.h = (f1 & (KF1_LCTRL | KF1_LALT)) | (f3 & KF3_RCTRL) | (f3 & KF3_RALT) |
                  (f1 & 0x70) | (f1 & 0x04 ? 0x80 : 0);
        break;
    }
    case 0x03:                                  /* typematic rate: accepted */
        break;
    case 0x05:
        r->ax.l = buffer_put(r->cx.x) ? 1 : 0;
        break;
    case 0x09:
        r->ax.l = 0x20;                         /* functions 10h-12h supported */
        break;
    case 0x0A:
        r->bx.x = 0x41AB;                       /* MF2 keyboard, translated */
        break;
    default:
        log_printf("int16: AX=%04x not supported\n", r->ax.x);
        break;
    }
}
