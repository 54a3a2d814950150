/*
 * The pyx86 demo disk: what `pyx86 run` boots when it is given no image. It shows what
 * the machine is, using only what a PC offers a boot program: CPUID, the BIOS services
 * (INT 10h/11h/12h/13h/15h/16h/1Ah) and PCI configuration mechanism #1. The text goes
 * to the screen and to COM1, so it is seen in a window and headless. Then it draws the
 * Mandelbrot set in VGA mode 13h with the x87 (a short workout for the FPU), and
 * waits for a key to start over.
 *
 * Built by images/demo.py: gcc -m16, loaded at 1000:0000 by boot.S.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

struct regs { u32 eax, ebx, ecx, edx, esi, edi; u16 es, flags; };
#define CF 1

void bios_int(int vector, struct regs *r);

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void *memset(void *d, int c, u32 n) { u8 *p = d; while (n--) *p++ = c; return d; }

/* -- far memory through FS ---------------------------------------------------------- */
static inline void set_fs(u16 seg) { __asm__ volatile("mov %0, %%fs" :: "r"(seg)); }
static inline u8 far_rd8(u16 off) { u8 v; __asm__ volatile("movb %%fs:(%1), %0" : "=q"(v) : "r"((u32)off)); return v; }
static inline u16 far_rd16(u16 off) { u16 v; __asm__ volatile("movw %%fs:(%1), %0" : "=r"(v) : "r"((u32)off)); return v; }
static inline void far_wr8(u16 off, u8 v) { __asm__ volatile("movb %0, %%fs:(%1)" :: "q"(v), "r"((u32)off) : "memory"); }

/* -- output: screen (INT 10h teletype) and COM1 ------------------------------------ */
static void serial_putc(char c)
{
    int spin = 100000;
    while (!(inb(0x3FD) & 0x20) && --spin)
        ;
    outb(0x3F8, c);
}

static void putc(char c)
{
    struct regs r;
    if (c == '\n')
        putc('\r');
    serial_putc(c);
    memset(&r, 0, sizeof r);
    r.eax = 0x0E00 | (u8)c;
    r.ebx = 0x0007;
    bios_int(0x10, &r);
}

static void puts(const char *s) { while (*s) putc(*s++); }

static void putnum(u32 v, int base, int width, char pad)
{
    char buf[12];
    int n = 0;
    do { buf[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
    while (n < width--)
        putc(pad);
    while (n)
        putc(buf[--n]);
}

/* printf with %s %c %u %d %x %lu (32-bit), widths and 0 padding */
static void printf(const char *fmt, ...)
{
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') { putc(*fmt); continue; }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + *fmt++ - '0';
        if (*fmt == 'l')
            fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = __builtin_va_arg(ap, const char *);
            int n = 0;
            while (s[n])
                n++;
            while (n < width--)
                putc(' ');
            puts(s);
            break;
        }
        case 'c': putc(__builtin_va_arg(ap, int)); break;
        case 'd': {
            int v = __builtin_va_arg(ap, int);
            if (v < 0) {
                putc('-');
                v = -v;
            }
            putnum(v, 10, width, pad);
            break;
        }
        case 'u': putnum(__builtin_va_arg(ap, u32), 10, width, pad); break;
        case 'x': putnum(__builtin_va_arg(ap, u32), 16, width, pad); break;
        default: putc(*fmt);
        }
    }
    __builtin_va_end(ap);
}

/* -- the machine ------------------------------------------------------------------- */
static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static void show_cpu(void)
{
    u32 a, b, c, d, max, ext;
    char vendor[13];
    cpuid(0, &max, &b, &c, &d);
    ((u32 *)vendor)[0] = b; ((u32 *)vendor)[1] = d; ((u32 *)vendor)[2] = c;
    vendor[12] = 0;
    cpuid(1, &a, &b, &c, &d);
    printf("CPU      %s family %u model %u stepping %u\n", vendor,
           (a >> 8) & 0xF, (a >> 4) & 0xF, a & 0xF);
    static const char *const names[32] = {
        "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", 0, "sep",
        "mtrr", "pge", "mca", "cmov", "pat", "pse36", 0, "clflush", 0, 0, 0, "mmx",
        "fxsr", "sse", "sse2", 0, 0, 0, 0, 0 };
    int col = 9;
    puts("         ");
    for (int k = 0; k < 33; k++) {
        const char *name = k < 32 ? (d & (1u << k) ? names[k] : 0) : (c & 1 ? "sse3" : 0);
        if (!name)
            continue;
        int n = 0;
        while (name[n])
            n++;
        if (col + n + 1 > 79) {                 /* wrap within the 80 columns */
            puts("\n         ");
            col = 9;
        }
        printf("%s ", name);
        col += n + 1;
    }
    putc('\n');
    cpuid(0x80000000, &ext, &b, &c, &d);
    if (ext >= 0x80000004) {
        u32 brand[13];
        for (u32 k = 0; k < 3; k++)
            cpuid(0x80000002 + k, &brand[4 * k], &brand[4 * k + 1], &brand[4 * k + 2],
                  &brand[4 * k + 3]);
        brand[12] = 0;
        const char *s = (const char *)brand;
        while (*s == ' ')
            s++;
        printf("         %s\n", s);
    }
}

static void show_memory(void)
{
    static const char *const types[] = { "?", "RAM", "reserved", "ACPI data", "ACPI NVS",
                                         "unusable" };
    struct { u32 base_lo, base_hi, len_lo, len_hi, type; } e;
    struct regs r;
    u32 total_kib = 0;
    memset(&r, 0, sizeof r);
    r.eax = 0x1200;
    bios_int(0x12, &r);
    printf("Memory   %u KiB conventional; BIOS memory map (INT 15h E820):\n",
           r.eax & 0xFFFF);
    u32 next = 0;
    int n = 0;
    do {
        memset(&r, 0, sizeof r);
        r.eax = 0xE820; r.ebx = next; r.ecx = 20; r.edx = 0x534D4150;
        r.edi = (u32)&e;
        __asm__ volatile("mov %%ds, %0" : "=r"(r.es));
        bios_int(0x15, &r);
        if (r.flags & CF || r.eax != 0x534D4150)
            break;
        printf("         %08x-%08x %s\n", e.base_lo, e.base_lo + e.len_lo - 1,
               types[e.type <= 5 ? e.type : 0]);
        if (e.type == 1)
            total_kib += e.len_lo >> 10;
        next = r.ebx;
    } while (next && ++n < 32);
    printf("         %u MiB of RAM in all\n", total_kib >> 10);
}

static const char *pci_class(u32 cls)
{
    switch (cls >> 8) {
    case 0x0101: return "IDE controller";
    case 0x0200: return "Ethernet controller";
    case 0x0300: return "VGA controller";
    case 0x0600: return "host bridge";
    case 0x0601: return "ISA bridge";
    case 0x0680: return "bridge (power management)";
    case 0x0C03: return "USB controller";
    }
    return "device";
}

static void show_pci(void)
{
    int found = 0;
    for (u32 dev = 0; dev < 32; dev++)
        for (u32 fn = 0; fn < 8; fn++) {
            outl(0xCF8, 0x80000000 | dev << 11 | fn << 8);
            u32 id = inl(0xCFC);
            if ((id & 0xFFFF) == 0xFFFF) {
                if (fn == 0)
                    break;
                continue;
            }
            outl(0xCF8, 0x80000000 | dev << 11 | fn << 8 | 0x08);
            u32 cls = inl(0xCFC) >> 8;
            outl(0xCF8, 0x80000000 | dev << 11 | fn << 8 | 0x3C);
            u32 irq = inl(0xCFC);
            printf("%s 00:%02x.%u %04x:%04x %s", found++ ? "        " : "PCI     ", dev, fn,
                   id & 0xFFFF, id >> 16, pci_class(cls));
            if (irq >> 8 & 0xFF && (irq & 0xFF) != 0xFF)
                printf(", IRQ %u", irq & 0xFF);
            putc('\n');
            outl(0xCF8, 0x80000000 | dev << 11 | 0x0C);
            if (fn == 0 && !(inl(0xCFC) >> 16 & 0x80))
                break;
        }
    if (!found)
        puts("PCI      none\n");
}

static void show_disks(int boot_drive)
{
    struct regs r;
    memset(&r, 0, sizeof r);
    bios_int(0x11, &r);
    u32 equip = r.eax;
    printf("Floppy   %u drive(s)\n", equip & 1 ? ((equip >> 6) & 3) + 1 : 0);
    for (int drive = 0x80; drive < 0x84; drive++) {
        memset(&r, 0, sizeof r);
        r.eax = 0x0800; r.edx = drive;
        bios_int(0x13, &r);
        if (r.flags & CF)
            break;
        u32 cyl = ((r.ecx >> 8) & 0xFF) | ((r.ecx & 0xC0) << 2);
        u32 heads = ((r.edx >> 8) & 0xFF) + 1, spt = r.ecx & 0x3F;
        printf("Disk %02x  CHS %u/%u/%u", drive, cyl + 1, heads, spt);
        memset(&r, 0, sizeof r);
        r.eax = 0x4100; r.ebx = 0x55AA; r.edx = drive;
        bios_int(0x13, &r);
        if (!(r.flags & CF) && (r.ebx & 0xFFFF) == 0xAA55)
            printf(", EDD %u.%u", (r.eax >> 12) & 0xF, (r.eax >> 8) & 0xF);
        if (drive == boot_drive)
            puts(" (booted from)");
        putc('\n');
    }
    set_fs(0x40);
    puts("Serial  ");
    for (int k = 0; k < 4; k++) {
        u16 port = far_rd16(2 * k);
        if (port)
            printf(" COM%d=%x", k + 1, port);
    }
    putc('\n');
}

/* -- waiting ---------------------------------------------------------------------- */
static u32 ticks(void)
{
    struct regs r;
    memset(&r, 0, sizeof r);
    bios_int(0x1A, &r);
    return (r.ecx & 0xFFFF) << 16 | (r.edx & 0xFFFF);
}

/* wait for a key or `t` timer ticks (18.2 a second); returns 1 for a key */
static int wait_key(u32 t)
{
    struct regs r;
    u32 start = ticks();
    for (;;) {
        memset(&r, 0, sizeof r);
        r.eax = 0x0100;
        bios_int(0x16, &r);
        if (!(r.flags & 0x40)) {                /* ZF clear: a key is waiting */
            memset(&r, 0, sizeof r);
            bios_int(0x16, &r);
            return 1;
        }
        if (t && ticks() - start >= t)
            return 0;
        __asm__ volatile("hlt");
    }
}

/* -- graphics -------------------------------------------------------------------------- */
static int set_mode(u8 mode)
{
    struct regs r;
    memset(&r, 0, sizeof r);
    r.eax = mode;
    bios_int(0x10, &r);
    memset(&r, 0, sizeof r);
    r.eax = 0x0F00;
    bios_int(0x10, &r);
    return (r.eax & 0x7F) == mode;
}

static void mandelbrot(void)
{
    /* palette: black, then blue through white */
    outb(0x3C8, 0);
    for (int k = 0; k < 256; k++) {
        int v = k < 64 ? k : 63;
        outb(0x3C9, k == 255 ? 0 : v / 4);
        outb(0x3C9, k == 255 ? 0 : (k * 3 / 4) & 63);
        outb(0x3C9, k == 255 ? 0 : 32 + v / 2);
    }
    set_fs(0xA000);
    for (int y = 0; y < 200; y++) {
        double ci = -1.2 + y * (2.4 / 200);
        for (int x = 0; x < 320; x++) {
            double cr = -2.2 + x * (3.2 / 320), zr = 0, zi = 0;
            int it = 0;
            while (it < 254 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                it++;
            }
            far_wr8(y * 320 + x, it == 254 ? 255 : it);
        }
    }
}

void demo_main(int boot_drive)
{
    for (;;) {
        set_mode(3);
        puts("pyx86 demo disk - what this PC is made of\n\n");
        show_cpu();
        show_memory();
        show_pci();
        show_disks(boot_drive);
        puts("\nMandelbrot in VGA mode 13h next (a key, or 5 seconds)...\n");
        wait_key(91);
        if (!set_mode(0x13)) {
            puts("VGA mode 13h is not available from this BIOS\n");
            wait_key(0);
            continue;
        }
        mandelbrot();
        serial_putc('\r');
        for (const char *s = "pyx86 demo: Mandelbrot drawn; press a key to start over\n";
             *s; s++)
            serial_putc(*s);
        wait_key(0);
    }
}
