; Protected-mode integer workload, flat segments, paging off.
.include "layout.inc"
.include "pm_boot.inc"

.code32
main:
    call workload
    jmp finish

.include "kernel32.inc"
.include "finish32.inc"
