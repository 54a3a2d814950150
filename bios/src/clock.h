#ifndef CLOCK_H
#define CLOCK_H

#include "types.h"

int event_wait_start(uint16_t seg, uint16_t off, uint32_t us);
void event_wait_cancel(void);

#endif
