/* The code a module's line table puts in C++'s atomic headers: the
 * inlined bodies of std::atomic's members (libstdc++'s bits/atomic_base.h
 * and <atomic>, libc++'s __atomic/ headers), and Rust's (core's
 * sync/atomic.rs: AtomicBool and the others).
 *
 * Why: on x86_64 an acquire load and a release store of a std::atomic are
 * plain `mov`s, and a relaxed one is a plain access on every guest. An
 * atomic member of a heap object (a stop flag polled between long runs of
 * work) has no declaration at a fixed address (atomicobj.h), and no spin
 * shows it; but the instructions that access it are where the line table
 * says libstdc++'s atomic_base.h, which no plain access is. C11's
 * atomic_load_explicit is a builtin in the caller's own lines: not found
 * here. */
#ifndef TCGTRACE_ATOMICCODE_H
#define TCGTRACE_ATOMICCODE_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

/* Whether a source file is one of those: libstdc++'s bits/atomic_base.h
 * (std::atomic of integers, pointers and bool, atomic_flag), <atomic> (of
 * other types), bits/atomic_wait.h and atomic_timed_wait.h (wait and
 * notify); libc++'s headers under __atomic/ and its <atomic>; Rust's
 * library/core/src/sync/atomic.rs. */
bool atomiccode_source(const char *path);

/* Called with a range of code, [start, end) as the module's ELF virtual
 * addresses; nonzero stops the walk. */
typedef int atomiccode_fn(void *arg, uint64_t start, uint64_t end);

/* Calls fn for each line table row of dw in an atomic header, whose
 * addresses plus to_vaddr are ELF virtual addresses. Returns 0, or fn's
 * nonzero answer. */
int atomiccode_find(Dwarf *dw, int64_t to_vaddr, atomiccode_fn *fn, void *arg);

#endif
