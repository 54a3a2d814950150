/* INT 19h, the bootstrap loader: try the boot devices in the order POST took from
 * CMOS (BIOS Boot Specification 1.01: load the first sector to 0000:7C00 and jump
 * there with DL = drive; disks must end it with 55h AAh; CDs boot as El Torito
 * says, eltorito.c); INT 18h when none boots:
 * say so on screen and the log, wait for a key, try again. */
#include "farptr.h"
#include "regs.h"
#include "util.h"
#include "disk.h"
#include "video.h"

void boot_jump(uint32_t drive) __attribute__((noreturn));
void boot_again(void) __attribute__((noreturn));

static uint8_t banner_shown;

static void say(const char *msg)
{
    serial_puts(msg);
    log_printf("%s", msg);
    video_puts(msg);
}

static int try_boot(uint8_t kind)
{
    uint8_t drive;
    const char *name;
    switch (kind) {
    case BOOT_FLOPPY:
        drive = 0x00, name = "floppy";
        break;
    case BOOT_DISK:
        drive = 0x80, name = "hard disk";
        break;
    case BOOT_CDROM:
        return eltorito_boot();
    default:
        return -1;
    }
    if (!disk_present(drive)) {
        log_printf("boot: no %s\n", name);
        return -1;
    }
    int status = disk_read(drive, 0, 1, 0, 0x7C00);
    if (status) {
        log_printf("boot: reading the %s's boot sector failed (%02x)\n", name, status);
        return -1;
    }
    /* floppies need no signature unless CMOS 38h bit 0 is clear (Bochs' convention) */
    int check = kind != BOOT_FLOPPY || !(cmos_read(0x38) & 1);
    if (check && peekw(0, 0x7DFE) != 0xAA55) {
        log_printf("boot: the %s is not bootable (no 55AA signature)\n", name);
        return -1;
    }
    log_printf("boot: booting from the %s (drive %02x)\n", name, drive);
    PRIV->boot_drive = drive;
    return drive;
}

HANDLER handle_19(struct regs *r)
{
    if (!banner_shown) {
        banner_shown = 1;
        video_puts("pyx86 BIOS\n");
    }
    for (unsigned i = 0; i < sizeof(PRIV->boot_order); i++) {
        int drive = try_boot(PRIV->boot_order[i]);
        if (drive >= 0)
            boot_jump(drive);
    }
    asm volatile("int $0x18");
}

HANDLER handle_18(struct regs *r)
{
    say("No bootable device.\n");
    say("Press a key to try again.\n");
    uint32_t ax = 0;
    asm volatile("sti\n\tint $0x16" : "+a"(ax) : : "memory");
    boot_again();
}
