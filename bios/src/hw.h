/* Ports and register bits of the PC devices the BIOS drives (IBM PC/AT Technical
 * Reference; each chip's data sheet), and the BIOS data area offsets (BDA, 0040:xxxx). */
#ifndef HW_H
#define HW_H

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20

#define PIT_CH0 0x40
#define PIT_MODE 0x43

#define KBC_DATA 0x60
#define KBC_STATUS 0x64
#define KBC_CMD 0x64
#define KBC_ST_OBF 0x01
#define KBC_ST_IBF 0x02
#define KBC_ST_AUX 0x20

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80

#define PORT_A 0x92
#define DEBUGCON 0xE9

#define COM1 0x3F8
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define UART_LSR_THRE 0x20

/* BIOS data area: offsets in segment 0x40 */
#define BDA_SEG 0x40
#define BDA_COM_BASE 0x00               /* 4 words */
#define BDA_LPT_BASE 0x08               /* 3 words */
#define BDA_EBDA_SEG 0x0E
#define BDA_EQUIPMENT 0x10
#define BDA_MEM_KIB 0x13
#define BDA_KB_FLAGS0 0x17
#define BDA_KB_FLAGS1 0x18
#define BDA_KB_ALT_NUM 0x19
#define BDA_KB_HEAD 0x1A
#define BDA_KB_TAIL 0x1C
#define BDA_KB_BUF 0x1E
#define BDA_FD_RECAL 0x3E
#define BDA_FD_MOTOR 0x3F
#define BDA_FD_MOTOR_TICKS 0x40
#define BDA_FD_STATUS 0x41
#define BDA_VIDEO_MODE 0x49
#define BDA_VIDEO_COLS 0x4A
#define BDA_VIDEO_PAGE_SIZE 0x4C
#define BDA_VIDEO_PAGE_START 0x4E
#define BDA_CURSOR_POS 0x50             /* 8 words, one per page: low col, high row */
#define BDA_CURSOR_SHAPE 0x60
#define BDA_VIDEO_PAGE 0x62
#define BDA_CRTC_BASE 0x63
#define BDA_VIDEO_MSR 0x65
#define BDA_VIDEO_PALETTE 0x66
#define BDA_RESET_IP 0x67               /* far pointer for CMOS shutdown codes 5, A */
#define BDA_TICKS 0x6C
#define BDA_MIDNIGHT 0x70
#define BDA_BREAK 0x71
#define BDA_RESET_FLAG 0x72
#define BDA_HD_STATUS 0x74
#define BDA_HD_COUNT 0x75
#define BDA_KB_BUF_START 0x80
#define BDA_KB_BUF_END 0x82
#define BDA_VIDEO_ROWS 0x84             /* rows - 1 */
#define BDA_CHAR_HEIGHT 0x85
#define BDA_VIDEO_CTL 0x87
#define BDA_VIDEO_SWITCHES 0x88
#define BDA_VGA_FLAGS 0x89
#define BDA_VIDEO_DCC 0x8A
#define BDA_FD_RATE 0x8B
#define BDA_FD_MEDIA 0x90               /* 2 bytes: media state of drives 0/1 */
#define BDA_KB_FLAGS3 0x96
#define BDA_KB_FLAGS2 0x97
#define BDA_WAIT_PTR 0x98               /* INT 15h 83h: user flag far pointer */
#define BDA_WAIT_COUNT 0x9C             /* dword, microseconds */
#define BDA_WAIT_ACTIVE 0xA0
#define BDA_VIDEO_SAVE_PTR 0xA8

#define TICKS_PER_DAY 0x1800B0          /* PIT 1193182 Hz / 65536 * 86400 s */

#endif
