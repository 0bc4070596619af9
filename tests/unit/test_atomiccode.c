/* atomiccode_source (analysis/atomiccode.c): which source files a line
 * table names hold atomic operations only, so that an access made in
 * their code is an atomic access. */
#include "../../analysis/atomiccode.h"
#include "tap.h"

int main(void)
{
    ok(atomiccode_source("/usr/include/c++/12/bits/atomic_base.h"), "libstdc++'s bits/atomic_base.h");
    ok(atomiccode_source("/usr/include/c++/12/atomic"), "libstdc++'s <atomic>");
    ok(atomiccode_source("/usr/include/c++/12/bits/atomic_wait.h"), "libstdc++'s bits/atomic_wait.h");
    ok(atomiccode_source("/usr/include/c++/12/bits/atomic_timed_wait.h"), "libstdc++'s bits/atomic_timed_wait.h");
    ok(atomiccode_source("/usr/lib/llvm-14/include/c++/v1/__atomic/cxx_atomic_impl.h"), "libc++'s __atomic/");
    ok(atomiccode_source("/rustc/897e37553bba8b42751c67658967889d11ecd120/library/core/src/sync/atomic.rs"),
       "Rust's core/src/sync/atomic.rs");
    ok(!atomiccode_source("/home/me/prog/atomic.c"), "a program's atomic.c");
    ok(!atomiccode_source("/home/me/prog/atomic.rs"), "a Rust program's own atomic.rs");
    ok(!atomiccode_source("/usr/include/c++/12/bits/shared_ptr_base.h"), "another libstdc++ header");
    ok(!atomiccode_source("/usr/lib/gcc/x86_64-linux-gnu/12/include/stdatomic.h"), "C11's stdatomic.h (macros)");
    ok(!atomiccode_source("atomic_base"), "a name that is only like one");
    ok(!atomiccode_source(NULL), "no file");
    return tap_done();
}
