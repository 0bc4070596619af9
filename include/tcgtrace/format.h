/* Trace format v1: the constants and encodings of docs/format.md, which is
 * the authority (this header follows it). Shared by the writer and the
 * reader; inline because the encoders run once per traced event. */
#ifndef TCGTRACE_FORMAT_H
#define TCGTRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TT_MAGIC "TCGTRACE"
#define TT_MAGIC_LEN 8
#define TT_VERSION 1

/* File header: magic, u16 version, u16 reserved (0), u32 header length,
 * fields, u32 CRC-32C of everything before it. */
#define TT_HEADER_FIXED 16
#define TT_HEADER_MAX (1u << 20)

/* Header field keys (u16 key, u32 length, value). Unknown keys are
 * skipped by readers. */
enum tt_field {
    TT_F_ARCH = 1,           /* string: "x86_64", "aarch64", "riscv64", ... */
    TT_F_BIG_ENDIAN = 2,     /* u8: 1 when the guest is big-endian */
    TT_F_PAGE_SIZE = 3,      /* u64 */
    TT_F_QEMU_VERSION = 4,   /* string */
    TT_F_COMMAND = 5,        /* the guest's argv, each string NUL-terminated */
    TT_F_START_TIME = 6,     /* u64: nanoseconds since the Unix epoch */
    TT_F_TCGTRACE_VERSION = 7,
    TT_F_PLUGIN = 8,         /* string: "execlog", "memtrace", ... */
    TT_F_PLUGIN_OPTIONS = 9, /* string: the plugin's options as given */
    TT_F_FEATURES = 10,      /* u64: what the trace holds (tt_feature) */
    TT_F_REQUIRED = 11,      /* u64: features a reader must know; v1 knows none */
    TT_F_SYSROOT = 12,       /* string: where the guest's libraries were (-L) */
    TT_F_KIND_COUNTS = 13,   /* u64 per record kind from 1: filled in at the end */
    TT_F_REPLACED = 14,      /* u8: 1 when the process replaced itself (execve) */
};

/* TT_F_FEATURES bits: informational, a reader ignores bits it does not know. */
enum tt_feature {
    TT_FEAT_INSNS = 1u << 0,      /* executed-instruction records */
    TT_FEAT_MEMORY = 1u << 1,     /* memory-access records */
    TT_FEAT_MEM_VALUES = 1u << 2, /* memory accesses carry their value */
    TT_FEAT_REGISTERS = 1u << 3,  /* register-change records */
    TT_FEAT_SYSTEM = 1u << 4,     /* recorded under qemu-system */
    TT_FEAT_SYNC = 1u << 5,       /* synchronisation events */
    TT_FEAT_SYSCALLS = 1u << 6,   /* syscall, mapping, module, thread records */
    /* The argument of sync events of kinds 1 to 8 is the instruction's
     * TT_SYNCINSN_* flags (tcgtrace/syncinsn.h), not 0. */
    TT_FEAT_SYNC_FLAGS = 1u << 7,
    /* Heap events (tag TT_TAG_HEAP): allocations and frees, with their
     * call sites. */
    TT_FEAT_HEAP = 1u << 8,
    /* A compare-and-swap's store (TT_SYNCINSN_CAS) carries the value
     * memory holds after it, not QEMU's operand. */
    TT_FEAT_CAS_EXACT = 1u << 9,
    /* Every atomic read-modify-write event (TT_SYNC_ATOMIC_RMW), numbered
     * before the instruction ran, is followed by its end
     * (TT_SYNC_RMW_END), numbered after. */
    TT_FEAT_RMW_END = 1u << 10,
    /* System calls that pass data through a file (a pipe, a socket, an
     * eventfd) carry file events (TT_TAG_FILE_SYNC): a write releases
     * into the file, a read that got data acquires from it. */
    TT_FEAT_FILE_SYNC = 1u << 11,
    /* Every call instruction that links its return address in a register
     * (arm64 bl and blr, riscv jal and jalr linking ra) has a call record
     * (TT_TAG_CALL) before the accesses after it: the caller of a leaf
     * function, which saves no return address in memory. */
    TT_FEAT_CALLS = 1u << 12,
};

/* Chunk header: 36 bytes, all little-endian. */
#define TT_CHUNK_MAGIC "TTCK"
#define TT_CHUNK_HEADER 36
#define TT_CHUNK_MIN (64u << 10)
#define TT_CHUNK_DEFAULT (1u << 20)
#define TT_CHUNK_MAX (64u << 20) /* raw payload; bounds a reader's memory */

enum tt_chunk_type { TT_CHUNK_DATA = 1, TT_CHUNK_TRAILER = 2 };
enum tt_compression { TT_COMP_NONE = 0, TT_COMP_ZSTD = 1 };

/* Stream ids: vCPU indices, plus two of the format's own. */
#define TT_STREAM_META 0xffffffffu
#define TT_STREAM_TRAILER 0xfffffffeu
#define TT_STREAM_MAX_VCPU 0xfffffff0u

struct tt_chunk_header {
    uint8_t type;        /* tt_chunk_type */
    uint8_t compression; /* tt_compression */
    uint32_t stream;
    uint32_t seq;        /* per stream, from 0, no gap */
    uint32_t nrec;
    uint32_t raw_size;
    uint32_t stored_size;
    uint32_t payload_crc; /* CRC-32C of the stored payload */
};

/* Record kinds: what a reader returns, what records-lost counts name. */
enum tt_kind {
    TT_INSN = 1,
    TT_MEM,
    TT_REG,
    TT_THREAD_START,
    TT_THREAD_EXIT,
    TT_SYSCALL,
    TT_SYSRET,
    TT_MAP,
    TT_MODULE,
    TT_SYNC,
    TT_LOST,
    TT_DEF_INSN,
    TT_DEF_REG,
    TT_DEF_STRING,
    /* An extension record (TT_TAG_HEAP), never counted in a chunk's
     * records; writers do not name it in records-lost counts either
     * (readers older than it reject that). */
    TT_HEAP,
    /* An extension record (TT_TAG_CALL), counted as TT_HEAP is. */
    TT_CALL,
    TT_KIND_COUNT
};

/* Record tags: the first byte of a record (docs/format.md, "Records"). */
#define TT_TAG_INSN 0x00      /* 0x00-0x3f: zigzag id delta inline */
#define TT_TAG_INSN_LONG 0x3f /* delta does not fit: varint follows */
#define TT_TAG_MEM 0x40       /* 0x40-0x7f: flags below inline */
#define TT_MEM_KEY 0x20       /* a key byte follows: not the predicted one */
#define TT_MEM_ADDR 0x10      /* an address residual follows: not predicted */
#define TT_MEM_VCODE 0x0f     /* 0: predicted value; 1-8: residual bytes */
#define TT_MEM_V_NONE 9       /* no value */
#define TT_MEM_V_WIDE 10      /* 16 bytes of value */
/* The key byte of a memory access. */
#define TT_MEM_STORE 0x01
#define TT_MEM_SHIFT(k) (((k) >> 1) & 7)
#define TT_MEM_KEY_PC 0x10    /* a pc delta follows; else the pc is last_pc */
#define TT_TAG_MEM_PHYS 0x80
#define TT_TAG_REG 0x81
#define TT_TAG_THREAD_START 0x82
#define TT_TAG_THREAD_EXIT 0x83
#define TT_TAG_SYSCALL 0x84
#define TT_TAG_SYSRET 0x85
#define TT_TAG_MAP 0x86
#define TT_TAG_MODULE 0x87
#define TT_TAG_SYNC 0x88
#define TT_SYNC_PC 0x80 /* in the sync kind byte */
#define TT_TAG_LOST 0x89
/* 0xa0-0xdf: 2 to 65 memory accesses, each of which alone would be the
 * single byte TT_TAG_MEM (everything predicted). */
#define TT_TAG_MEM_RUN 0xa0
#define TT_TAG_MEM_RUN_LAST 0xdf
#define TT_MEM_RUN_COUNT(t) ((unsigned)(t) - TT_TAG_MEM_RUN + 2)
#define TT_TAG_DEF_INSN 0x90
#define TT_TAG_DEF_REG 0x91
#define TT_TAG_DEF_STRING 0x92
#define TT_TAG_EXT_FIRST 0xf0 /* 0xf0-0xfe: length-prefixed, skipped */
#define TT_TAG_EXT_LAST 0xfe
/* The extension tags this version reads. */
#define TT_TAG_HEAP 0xf0
#define TT_TAG_RMW_END 0xf1
#define TT_TAG_FILE_SYNC 0xf2
#define TT_TAG_CALL 0xf3

/* Memory accesses are 1 << shift bytes, shift 0..4 (up to 16 bytes). */
#define TT_MEM_SHIFT_MAX 4

/* The predictor of a memory access (docs/format.md, "Memory access"):
 * one per slot, the slot chosen by the access's pc and direction. */
#define TT_MSLOT_BITS 8
#define TT_MSLOTS (1u << TT_MSLOT_BITS)
struct tt_mslot {
    uint64_t next_pc;   /* the pc of the access that followed this one */
    uint64_t addr, addr_stride;
    uint64_t val, val_stride;
    uint64_t val_link;  /* the value minus the stream's last value */
    /* Not uint8_t: a store through a character type may alias anything,
     * and the encoder would load its state again after it. */
    uint32_t next_key;  /* the key byte (store, shift) of that access */
    uint32_t val_mode;  /* 1: the value is predicted by link, 0: by stride */
};

static inline unsigned tt_mslot(uint64_t pc, unsigned store)
{
    return (unsigned)(((pc << 1 | store) * 0x9e3779b97f4a7c15ull) >> (64 - TT_MSLOT_BITS));
}
#define TT_INSN_BYTES_MAX 255
#define TT_REG_BYTES_MAX 255
#define TT_STRING_MAX 4096 /* disassembly, names, module paths */

enum tt_sync_kind {
    TT_SYNC_ATOMIC_RMW = 1, /* read-modify-write, both acquire and release */
    TT_SYNC_ACQUIRE_LOAD,
    TT_SYNC_RELEASE_STORE,
    TT_SYNC_FENCE,          /* full fence */
    TT_SYNC_FENCE_ACQUIRE,
    TT_SYNC_FENCE_RELEASE,
    TT_SYNC_LOAD_RESERVED,  /* lr / ldxr: ordering comes with its sc */
    TT_SYNC_STORE_CONDITIONAL, /* arg: 0 when it succeeded (see TT_FEAT_SYNC_FLAGS) */
    TT_SYNC_FUTEX_WAIT,     /* addr: futex word; arg: expected value */
    TT_SYNC_FUTEX_WAKE,     /* addr: futex word; arg: threads to wake */
    TT_SYNC_CLONE,          /* in the parent; arg: child's tid */
    TT_SYNC_THREAD_START,   /* in the child, first event; arg: its tid */
    TT_SYNC_THREAD_EXIT,    /* addr: clear_child_tid word; arg: tid */
    /* The end of the atomic read-modify-write just before it in its
     * stream (same pc and addr, arg 0): only an extension record
     * (TT_TAG_RMW_END, TT_FEAT_RMW_END), never a sync record's kind. */
    TT_SYNC_RMW_END,
    /* A system call passing data through a file: a write releases into it,
     * a read that got data acquires from it; addr: the file (the same for
     * both ends of a pipe or a socket pair), arg 0. Only extension records
     * (TT_TAG_FILE_SYNC, TT_FEAT_FILE_SYNC). */
    TT_SYNC_FILE_RELEASE,
    TT_SYNC_FILE_ACQUIRE,
    TT_SYNC_KIND_COUNT
};

/* A heap event: which kind of allocator function returned (or, for free,
 * was entered). */
enum tt_heap_kind {
    TT_HEAP_MALLOC = 1,
    TT_HEAP_CALLOC,
    TT_HEAP_REALLOC,  /* realloc, reallocarray */
    TT_HEAP_FREE,
    TT_HEAP_MEMALIGN, /* posix_memalign, aligned_alloc, memalign, valloc, pvalloc */
    TT_HEAP_KIND_COUNT
};

enum tt_map_cause {
    TT_MAP_INITIAL = 1, /* found at start (QEMU's own mappings, /proc/self/maps) */
    TT_MAP_ELF,         /* a PT_LOAD segment */
    TT_MAP_MMAP,
    TT_MAP_MUNMAP,
    TT_MAP_MPROTECT,
    TT_MAP_MREMAP,
    TT_MAP_BRK,
    TT_MAP_SHMAT,
    TT_MAP_SHMDT,
    TT_MAP_CAUSE_COUNT
};

/* Mapping protection: PROT_READ/WRITE/EXEC bits, or TT_PROT_UNMAPPED when
 * the range stops being mapped. */
#define TT_PROT_READ 1
#define TT_PROT_WRITE 2
#define TT_PROT_EXEC 4
#define TT_PROT_UNMAPPED 0x100

/* --- Encodings ------------------------------------------------------- */

static inline uint64_t tt_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t tt_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* LEB128: 7 bits a byte, least significant first; at most 10 bytes. */
static inline uint8_t *tt_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *tt_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static inline uint8_t *tt_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static inline uint8_t *tt_put_le64(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
#endif
    return p + 8;
}

static inline uint16_t tt_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t tt_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t tt_le64(const uint8_t *p)
{
    return (uint64_t)tt_le32(p) | (uint64_t)tt_le32(p + 4) << 32;
}

/* CRC-32C (Castagnoli), as in iSCSI and ext4: crc = tt_crc32c(0, p, n). */
uint32_t tt_crc32c(uint32_t crc, const void *p, size_t n);

/* A chunk header's 36 bytes, with its CRC, from h. */
void tt_chunk_header_encode(uint8_t out[TT_CHUNK_HEADER], const struct tt_chunk_header *h);
/* A chunk header's fields, checked: magic, CRC, reserved bytes, sizes.
 * Public for tools that follow a trace while it is written (the progress
 * line of tcgtrace record). */
struct tt_error;
int tt_chunk_header_decode(const uint8_t in[TT_CHUNK_HEADER], uint64_t offset,
                           struct tt_chunk_header *h, struct tt_error *err);

/* Names: "insn", "mem", ...; NULL for a value outside the enum. */
const char *tt_kind_name(unsigned kind);
const char *tt_sync_kind_name(unsigned kind);
const char *tt_map_cause_name(unsigned cause);
const char *tt_heap_kind_name(unsigned kind);
/* The tt_kind for a name, or 0. */
unsigned tt_kind_from_name(const char *name);

#endif
