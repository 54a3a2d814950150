/* Small library for both halves of the BIOS: memory functions the compiler may call,
 * and the debug log: printf-style output to the 0xE9 debug console and to COM1. */
#include "types.h"
#include "hw.h"
#include "util.h"

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* waiting for THRE keeps the 16-byte FIFO from overflowing */
static void serial_putc(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
        ;
    outb(COM1 + UART_THR, c);
}

/* The BIOS's log goes to the debug console only (as Bochs' BIOS and SeaBIOS do): the
 * serial port belongs to the operating system's console, and a headless user sees
 * both on stdout without the log doubled into it. */
void log_putc(char c)
{
    outb(DEBUGCON, c);
}

/* What a headless user must see even without the debug console (nothing boots) goes
 * to COM1 too, if POST set it up (8N1: the port is ours). */
void serial_puts(const char *s)
{
    if (inb(COM1 + UART_LCR) != 0x03)
        return;
    for (; *s; s++) {
        if (*s == '\n')
            serial_putc('\r');
        serial_putc(*s);
    }
}

static void put_num(uint32_t v, unsigned base, int width, char pad)
{
    char buf[12];
    int n = 0;
    do {
        unsigned d = v % base;
        buf[n++] = d < 10 ? '0' + d : 'a' + d - 10;
        v /= base;
    } while (v);
    while (width-- > n)
        log_putc(pad);
    while (n)
        log_putc(buf[--n]);
}

/* %s %c %d %u %x with an optional 0 flag and width: all the log needs */
void log_vprintf(const char *fmt, __builtin_va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            log_putc(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0;
        fmt++;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + *fmt++ - '0';
        switch (*fmt) {
        case 's':
            for (const char *s = __builtin_va_arg(ap, const char *); *s; s++)
                log_putc(*s);
            break;
        case 'c':
            log_putc((char)__builtin_va_arg(ap, int));
            break;
        case 'd': {
            int v = __builtin_va_arg(ap, int);
            if (v < 0) {
                log_putc('-');
                v = -v;
            }
            put_num(v, 10, width, pad);
            break;
        }
        case 'u':
            put_num(__builtin_va_arg(ap, uint32_t), 10, width, pad);
            break;
        case 'x':
            put_num(__builtin_va_arg(ap, uint32_t), 16, width, pad);
            break;
        case '%':
            log_putc('%');
            break;
        default:
            return;
        }
    }
}

void log_printf(const char *fmt, ...)
{
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    log_vprintf(fmt, ap);
    __builtin_va_end(ap);
}

/* CMOS/RTC register access (MC146818): NMI stays as POST left it (enabled) */
uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

void cmos_write(uint8_t reg, uint8_t v)
{
    outb(CMOS_INDEX, reg);
    outb(CMOS_DATA, v);
}

/* The i8042: wait until the controller takes a byte / has one for us */
int kbc_wait_write(void)
{
    for (int i = 0; i < 100000; i++)
        if (!(inb(KBC_STATUS) & KBC_ST_IBF))
            return 0;
    return -1;
}

int kbc_wait_read(void)
{
    for (int i = 0; i < 100000; i++)
        if (inb(KBC_STATUS) & KBC_ST_OBF)
            return 0;
    return -1;
}

void kbc_command(uint8_t cmd)
{
    kbc_wait_write();
    outb(KBC_CMD, cmd);
}

void kbc_write(uint8_t v)
{
    kbc_wait_write();
    outb(KBC_DATA, v);
}

/* the next byte from the controller, or -1 after a timeout */
int kbc_read(void)
{
    if (kbc_wait_read())
        return -1;
    return inb(KBC_DATA);
}
