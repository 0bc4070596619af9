/* sorted_first (analysis/sorted.h), the analyses' one binary search:
 * against a linear scan on arrays with repeated keys, 4- and 8-byte keys,
 * keys at the ends of their range, and an empty array. */
#include <stdint.h>
#include <stdlib.h>

#include "../../analysis/sorted.h"
#include "tap.h"

struct wide {
    char pad[3];
    uint64_t key;
};

struct narrow {
    uint32_t key;
    uint16_t other;
};

/* The first index whose key is above x (not below x when !above). */
static size_t scan(const uint64_t *keys, size_t n, uint64_t x, bool above)
{
    size_t i = 0;
    while (i < n && (keys[i] < x || (above && keys[i] == x)))
        i++;
    return i;
}

int main(void)
{
    uint64_t keys[] = { 0, 0, 3, 7, 7, 7, 9, UINT32_MAX, UINT32_MAX };
    size_t n = sizeof keys / sizeof keys[0];
    struct wide w[sizeof keys / sizeof keys[0]];
    struct narrow s[sizeof keys / sizeof keys[0]];
    for (size_t i = 0; i < n; i++) {
        w[i] = (struct wide){ .key = keys[i] == UINT32_MAX ? UINT64_MAX : keys[i] };
        s[i] = (struct narrow){ .key = (uint32_t)keys[i], .other = 0xffff };
    }
    uint64_t wkeys[sizeof keys / sizeof keys[0]];
    for (size_t i = 0; i < n; i++)
        wkeys[i] = w[i].key;
    int wrong_wide = 0, wrong_narrow = 0;
    for (int above = 0; above < 2; above++)
        for (uint64_t x = 0; x <= 11; x++) {
            wrong_wide += SORTED_FIRST(w, n, struct wide, key, x, above) != scan(wkeys, n, x, above);
            wrong_narrow += SORTED_FIRST(s, n, struct narrow, key, x, above) != scan(keys, n, x, above);
        }
    ok(!wrong_wide, "8-byte keys after padding: as a linear scan, above and not below keys 0 to 11 (%d wrong)",
       wrong_wide);
    ok(!wrong_narrow, "4-byte keys: as a linear scan (%d wrong)", wrong_narrow);
    ok(SORTED_FIRST(w, n, struct wide, key, UINT64_MAX, true) == n &&
           SORTED_FIRST(w, n, struct wide, key, UINT64_MAX, false) == n - 2,
       "the largest 8-byte key: none above it, the last two not below it");
    ok(SORTED_FIRST(s, n, struct narrow, key, UINT32_MAX, true) == n &&
           SORTED_FIRST(s, n, struct narrow, key, UINT32_MAX, false) == n - 2,
       "the largest 4-byte key: the same");
    ok(SORTED_FIRST((struct wide *)NULL, 0, struct wide, key, 5, false) == 0, "an empty array: 0");
    return tap_done();
}
