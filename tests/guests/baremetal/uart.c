/* Bare-metal riscv64 guest for the virt machine: loads and stores to RAM,
 * writes a line to the UART (an MMIO device, so system-mode traces show a
 * device name), then powers the machine off through the test device. */
#define UART0 ((volatile unsigned char *)0x10000000UL)
#define TEST_DEVICE ((volatile unsigned int *)0x100000UL)
#define TEST_POWEROFF 0x5555

static volatile unsigned long words[16];

static void put(const char *s)
{
    while (*s)
        *UART0 = (unsigned char)*s++;
}

int main(void)
{
    for (unsigned long i = 0; i < 16; i++)
        words[i] = i * 3;
    unsigned long sum = 0;
    for (unsigned long i = 0; i < 16; i++)
        sum += words[i];
    put(sum == 360 ? "baremetal ok\n" : "baremetal bad\n");
    *TEST_DEVICE = TEST_POWEROFF;
    for (;;)
        ;
}
