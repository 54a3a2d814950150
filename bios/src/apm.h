#ifndef APM_H
#define APM_H

#include "regs.h"

void apm_call(struct regs *r);

#endif
