/* Preloaded after the AddressSanitizer runtime into QEMU, which is not
 * built with it, so that our ASan-built plugins can run there
 * (make sanitize). Without it QEMU hangs whenever it calls exit(): a
 * library QEMU links (p11-kit, through gnutls) calls newlocale() in its
 * constructor before ASan's own has run; ASan then initialises inside
 * newlocale's first malloc, with glibc's locale lock held, and its
 * dlerror() call releases that lock once too often; p11-kit's destructor
 * then waits forever for it. Initialising ASan at the first newlocale()
 * call, before glibc takes the lock, avoids that. */
#include <dlfcn.h>
#include <locale.h>

void __asan_init(void);
locale_t newlocale(int mask, const char *locale, locale_t base);

locale_t newlocale(int mask, const char *locale, locale_t base)
{
    static locale_t (*real)(int, const char *, locale_t);
    if (!real) {
        __asan_init();
        *(void **)&real = dlsym(RTLD_NEXT, "newlocale");
    }
    return real(mask, locale, base);
}
