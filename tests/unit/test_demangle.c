/* demangle (analysis/demangle.c): C++ names through libstdc++'s demangler,
 * Rust's legacy names as rustc-demangle writes them, other names not. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/demangle.h"
#include "tap.h"

static void is_name(const char *mangled, const char *want)
{
    char *got = demangle(mangled);
    bool same = got && want ? !strcmp(got, want) : got == want;
    ok(same, "%s", mangled);
    if (!same)
        printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
    free(got);
}

int main(void)
{
    is_name("_ZN3app7Counter3addEv", "app::Counter::add()");
    is_name("_ZNKSt13__atomic_baseIbE4loadESt12memory_order", "std::__atomic_base<bool>::load(std::memory_order) const");
    is_name("_ZN4core3ptr14write_volatile17h1fd250a7e6db74ebE", "core::ptr::write_volatile");
    is_name("_ZN5race24main28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$17h80b96a7a671cba27E",
            "race2::main::{{closure}}::{{closure}}");
    is_name("_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123456789abcdefE",
            "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop");
    is_name("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$"
            "17h3e0d1c2b4a5f6e7dE",
            "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
    /* A C++ name that ends like a hash is left alone: no 17h...E. */
    is_name("_ZN3app4hashEv", "app::hash()");
    is_name("main", NULL);
    is_name("pthread_create", NULL);
    is_name("_Znotmangled", NULL);
    return tap_done();
}
