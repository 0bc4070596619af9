/* Symbol names as people read them: C++'s demangled (libstdc++'s
 * __cxa_demangle, as addr2line -C and ThreadSanitizer show them), and
 * Rust's legacy mangling (C++'s, with $-escapes and a hash at the end) as
 * rustc-demangle writes it: race2::main::{{closure}}, not
 * race2::main::_$u7b$$u7b$closure$u7d$$u7d$::h80b96a7a671cba27. */
#ifndef TCGTRACE_DEMANGLE_H
#define TCGTRACE_DEMANGLE_H

/* A malloc'ed string; NULL when name is no mangled name, or out of
 * memory. */
char *demangle(const char *name);

#endif
