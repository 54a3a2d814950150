#ifndef VBE_H
#define VBE_H

#include "regs.h"

int vbe_active(void);
void vbe_disable(void);
void handle_vbe(struct regs *r);

#endif
