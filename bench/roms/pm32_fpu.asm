; Protected-mode x87 workload, flat segments, paging off.
.include "layout.inc"
.include "pm_boot.inc"

.code32
main:
    call fpu_workload
    jmp finish

.include "fpu32.inc"
.include "finish32.inc"
