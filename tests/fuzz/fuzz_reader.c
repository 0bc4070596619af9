/* Fuzz target: the trace reader, in file order (with and without
 * definitions) and merged order. Each input is read as it is and, when its
 * checksums are wrong, again with them repaired, so that mutations reach
 * the record decoder instead of stopping at a CRC. A broken promise of the
 * reader (tests/fuzz/trace_check.h) aborts with what it was. */
#include <stdlib.h>

#include "trace_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_modes(const uint8_t *data, size_t size)
{
    static const unsigned modes[] = { 0, TT_READ_DEFS, TT_READ_MERGED };
    char path[64];
    int fd = tc_memfd(data, size, path, sizeof path);
    if (fd < 0)
        abort();
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        struct tc_result res;
        tc_read(path, modes[i], 0, &res);
        if (res.bad[0]) {
            fprintf(stderr, "fuzz_reader: flags %u: %s (status %d: %s)\n", modes[i], res.bad, res.rc, res.msg);
            abort();
        }
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_modes(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    if (tc_repair_checksums(copy, size))
        read_modes(copy, size);
    free(copy);
    return 0;
}
