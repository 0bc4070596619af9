#!/bin/sh
# bench/build-seed.sh SEED OUTDIR QEMU_INCLUDE_DIR: compiles the memtrace
# seed (../shared/seeds/003_*.txt) into OUTDIR/memtrace-seed.so, as a
# benchmark peer. The seed file is flattened onto one line, which also ate
# the names in its #include lines: they are restored, and its three
# #define lines put back on lines of their own. The source only ever lives
# in OUTDIR (a build directory): seed code is never part of the repository.
# gcc's warnings (one is expected: the syscall callback's signature is
# wrong) go to OUTDIR/memtrace-seed.log.
set -eu
seed=$1 out=$2 qinc=$3
[ -r "$seed" ] || { echo "build-seed: cannot read '$seed'" >&2; exit 1; }
mkdir -p "$out"
sed -e 's|\(#include \)\{9\}|\n#include <glib.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>\n#include <inttypes.h>\n#include <elf.h>\n#include <unistd.h>\n#include <qemu-plugin.h>\n|' \
    -e 's| #define |\n#define |g' "$seed" |
    sed -e '/^#define PAGE_NR/s|\(PAGE_SHIFT)\) |\1\n|' >"$out/memtrace-seed.c"
if [ "$(grep -c '^#' "$out/memtrace-seed.c")" -ne 12 ]; then
    echo "build-seed: '$seed' does not have the expected 9 includes and 3 defines" >&2
    exit 1
fi
# shellcheck disable=SC2046
gcc -std=gnu11 -O2 -shared -fPIC $(pkg-config --cflags glib-2.0) -I"$qinc" \
    -o "$out/memtrace-seed.so" "$out/memtrace-seed.c" $(pkg-config --libs glib-2.0) \
    >"$out/memtrace-seed.log" 2>&1 || {
    echo "build-seed: gcc failed, see '$out/memtrace-seed.log'" >&2
    exit 1
}
