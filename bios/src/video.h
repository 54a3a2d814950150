#ifndef VIDEO_H
#define VIDEO_H

#include "types.h"

int video_set_mode(uint8_t mode);
void video_putc(uint8_t c);
void video_puts(const char *s);

#endif
