#ifndef VIDEO_H
#define VIDEO_H

#include "types.h"

int video_set_mode(uint8_t mode);
void video_putc(uint8_t c);
void video_puts(const char *s);
uint16_t video_state_size(uint16_t mask);
uint16_t video_state(uint8_t op, uint16_t mask, uint16_t es, uint16_t p);

#endif
