#ifndef UTIL_H
#define UTIL_H

#include "types.h"

void log_putc(char c);
void serial_puts(const char *s);
void log_vprintf(const char *fmt, __builtin_va_list ap);
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t v);
int kbc_wait_write(void);
int kbc_wait_read(void);
void kbc_command(uint8_t cmd);
void kbc_write(uint8_t v);
int kbc_read(void);

static inline uint8_t bcd2bin(uint8_t v) { return (v >> 4) * 10 + (v & 15); }
static inline uint8_t bin2bcd(uint8_t v) { return (v / 10) << 4 | v % 10; }

#endif
