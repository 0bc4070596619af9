/* Where gcc's OpenMP runtime (libgomp) waits for tasks: GOMP_taskwait and
 * GOMP_taskgroup_end, from the library's symbol table.
 *
 * Why: a parent's taskwait returns at once when its children are done,
 * after an acquire load of the queue (or the count) of its children, which
 * the thread that ran the last child emptied with a release store, under
 * the team's lock, which the parent then does not take. On x86_64 both
 * are plain movs, and Debian ships libgomp without debug information:
 * nothing else says that the word synchronises, and a parent's read of
 * what its children wrote in `shared` variables was reported (omp_tasks).
 * racetrace.c marks what these functions load on their fast path as
 * synchronising, as it does what the code of an atomic header accesses
 * (atomiccode.h), and has their loads read the latest store
 * (TT_RACE_LATEST): a taskgroup's count of children, 0 at its end, was 0
 * at its start too. */
#ifndef TCGTRACE_OMPWAIT_H
#define TCGTRACE_OMPWAIT_H

#include <gelf.h>
#include <stdbool.h>

#include "atomiccode.h"

/* Whether path is libgomp. */
bool ompwait_runtime(const char *path);

/* Calls fn for each of those functions defined in elf, [start, end) as
 * ELF virtual addresses. Returns 0, or fn's nonzero answer. */
int ompwait_find(Elf *elf, atomiccode_fn *fn, void *arg);

#endif
