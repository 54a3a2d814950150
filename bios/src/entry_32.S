/* The 32-bit side of POST: reset16 arrives here in flat protected mode; set up the
 * data segments and a stack in low RAM, clear POST's .bss, run post_main() (post.c)
 * and go back to real mode (to_real16 in entry_16.S), which boots. */
#include "layout.h"

    .code32
    .section .note.GNU-stack, "", @progbits
    .section .text.entry32, "ax"
    .globl post32_entry
post32_entry:
    movl $SEL_DATA32, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $POST_STACK_TOP, %esp
    cld
    movl $__bss32_start, %edi
    movl $__bss32_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    call post_main
    ljmp $SEL_CODE16, $to_real16
