#ifndef PCIBIOS_H
#define PCIBIOS_H

#include "regs.h"

void pcibios_call(struct regs *r);

#endif
