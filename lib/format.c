/* The format's fixed parts: CRC-32C, chunk headers, the file header's
 * fields, the names of enumerations, and the arena the reader keeps its
 * strings in. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tcgtrace/error.h"
#include "tcgtrace/format.h"

/* Every stored byte is checksummed, and chunks that do not compress are
 * stored as they are: the CPU's CRC-32C instruction where there is one (8
 * bytes a cycle), else slicing-by-8 (about 1 byte a cycle). */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = ~crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#define HAVE_CRC_HW() __builtin_cpu_supports("sse4.2")
#else
#define HAVE_CRC_HW() 0
#define crc_hw(crc, p, n) (crc)
#endif

uint32_t tt_crc32c(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (HAVE_CRC_HW())
        return crc_hw(crc, p, n);
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = tt_le32(p) ^ crc, hi = tt_le32(p + 4);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
              crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
              crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

void tt_chunk_header_encode(uint8_t out[TT_CHUNK_HEADER], const struct tt_chunk_header *h)
{
    memcpy(out, TT_CHUNK_MAGIC, 4);
    out[4] = h->type;
    out[5] = h->compression;
    tt_put_le16(out + 6, 0);
    tt_put_le32(out + 8, h->stream);
    tt_put_le32(out + 12, h->seq);
    tt_put_le32(out + 16, h->nrec);
    tt_put_le32(out + 20, h->raw_size);
    tt_put_le32(out + 24, h->stored_size);
    tt_put_le32(out + 28, h->payload_crc);
    tt_put_le32(out + 32, tt_crc32c(0, out, 32));
}

int tt_chunk_header_decode(const uint8_t in[TT_CHUNK_HEADER], uint64_t offset,
                           struct tt_chunk_header *h, struct tt_error *err)
{
    if (memcmp(in, TT_CHUNK_MAGIC, 4))
        return tt_error_set(err, TT_E_CORRUPT, offset, "no chunk at byte %llu (bad chunk magic)",
                            (unsigned long long)offset);
    if (tt_crc32c(0, in, 32) != tt_le32(in + 32))
        return tt_error_set(err, TT_E_CORRUPT, offset, "chunk header at byte %llu: checksum mismatch",
                            (unsigned long long)offset);
    h->type = in[4];
    h->compression = in[5];
    h->stream = tt_le32(in + 8);
    h->seq = tt_le32(in + 12);
    h->nrec = tt_le32(in + 16);
    h->raw_size = tt_le32(in + 20);
    h->stored_size = tt_le32(in + 24);
    h->payload_crc = tt_le32(in + 28);
    const char *bad = NULL;
    if (tt_le16(in + 6))
        bad = "reserved bytes are not zero";
    else if (h->type != TT_CHUNK_DATA && h->type != TT_CHUNK_TRAILER)
        bad = "unknown chunk type";
    else if (h->compression != TT_COMP_NONE && h->compression != TT_COMP_ZSTD)
        bad = "unknown compression";
    else if (h->raw_size > TT_CHUNK_MAX)
        bad = "raw size above the 64 MiB limit";
    else if (h->compression == TT_COMP_NONE && h->stored_size != h->raw_size)
        bad = "stored size differs from raw size of an uncompressed chunk";
    else if (h->stored_size > h->raw_size + h->raw_size / 8 + 1024)
        bad = "stored size larger than any compression of its raw size";
    else if (h->nrec > (uint64_t)h->raw_size * TT_MEM_RUN_COUNT(TT_TAG_MEM_RUN_LAST))
        bad = "more records than its bytes can hold";
    else if ((h->type == TT_CHUNK_TRAILER) != (h->stream == TT_STREAM_TRAILER))
        bad = "trailer stream id on a data chunk or the reverse";
    else if (h->type == TT_CHUNK_DATA && h->stream > TT_STREAM_MAX_VCPU && h->stream != TT_STREAM_META)
        bad = "reserved stream id";
    if (bad)
        return tt_error_set(err, TT_E_CORRUPT, offset, "chunk header at byte %llu: %s",
                            (unsigned long long)offset, bad);
    return 0;
}

static const char *const kind_names[TT_KIND_COUNT] = {
    [TT_INSN] = "insn", [TT_MEM] = "mem", [TT_REG] = "reg",
    [TT_THREAD_START] = "thread-start", [TT_THREAD_EXIT] = "thread-exit",
    [TT_SYSCALL] = "syscall", [TT_SYSRET] = "sysret", [TT_MAP] = "map",
    [TT_MODULE] = "module", [TT_SYNC] = "sync", [TT_LOST] = "lost",
    [TT_DEF_INSN] = "def-insn", [TT_DEF_REG] = "def-reg", [TT_DEF_STRING] = "def-string",
    [TT_HEAP] = "heap", [TT_CALL] = "call",
};

static const char *const sync_names[TT_SYNC_KIND_COUNT] = {
    [TT_SYNC_ATOMIC_RMW] = "atomic-rmw", [TT_SYNC_ACQUIRE_LOAD] = "acquire-load",
    [TT_SYNC_RELEASE_STORE] = "release-store", [TT_SYNC_FENCE] = "fence",
    [TT_SYNC_FENCE_ACQUIRE] = "fence-acquire", [TT_SYNC_FENCE_RELEASE] = "fence-release",
    [TT_SYNC_LOAD_RESERVED] = "load-reserved", [TT_SYNC_STORE_CONDITIONAL] = "store-conditional",
    [TT_SYNC_FUTEX_WAIT] = "futex-wait", [TT_SYNC_FUTEX_WAKE] = "futex-wake",
    [TT_SYNC_CLONE] = "clone", [TT_SYNC_THREAD_START] = "thread-start",
    [TT_SYNC_THREAD_EXIT] = "thread-exit", [TT_SYNC_RMW_END] = "rmw-end", [TT_SYNC_FILE_RELEASE] = "file-release",
    [TT_SYNC_FILE_ACQUIRE] = "file-acquire",
};

static const char *const cause_names[TT_MAP_CAUSE_COUNT] = {
    [TT_MAP_INITIAL] = "initial", [TT_MAP_ELF] = "elf", [TT_MAP_MMAP] = "mmap",
    [TT_MAP_MUNMAP] = "munmap", [TT_MAP_MPROTECT] = "mprotect", [TT_MAP_MREMAP] = "mremap",
    [TT_MAP_BRK] = "brk", [TT_MAP_SHMAT] = "shmat", [TT_MAP_SHMDT] = "shmdt",
};

static const char *const heap_names[TT_HEAP_KIND_COUNT] = {
    [TT_HEAP_MALLOC] = "malloc", [TT_HEAP_CALLOC] = "calloc", [TT_HEAP_REALLOC] = "realloc",
    [TT_HEAP_FREE] = "free", [TT_HEAP_MEMALIGN] = "memalign",
};

const char *tt_kind_name(unsigned kind)
{
    return kind < TT_KIND_COUNT ? kind_names[kind] : NULL;
}

const char *tt_sync_kind_name(unsigned kind)
{
    return kind < TT_SYNC_KIND_COUNT ? sync_names[kind] : NULL;
}

const char *tt_map_cause_name(unsigned cause)
{
    return cause < TT_MAP_CAUSE_COUNT ? cause_names[cause] : NULL;
}

const char *tt_heap_kind_name(unsigned kind)
{
    return kind < TT_HEAP_KIND_COUNT ? heap_names[kind] : NULL;
}

unsigned tt_kind_from_name(const char *name)
{
    for (unsigned k = 1; k < TT_KIND_COUNT; k++)
        if (!strcmp(kind_names[k], name))
            return k;
    return 0;
}

/* --- Arena -------------------------------------------------------------- */

struct tt_arena_block {
    struct tt_arena_block *next;
    size_t used, size;
    max_align_t data[];
};

#define ARENA_BLOCK (64 * 1024)

void *tt_arena_alloc(struct tt_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct tt_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        /* A big allocation goes behind the current block, which keeps
         * filling. */
        if (a->head && size > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

char *tt_arena_strndup(struct tt_arena *a, const char *s, size_t n)
{
    char *d = tt_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void tt_arena_free(struct tt_arena *a)
{
    while (a->head) {
        struct tt_arena_block *b = a->head;
        a->head = b->next;
        free(b);
    }
}
