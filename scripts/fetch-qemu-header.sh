#!/bin/sh
# Fetches QEMU 7.2's plugin header (plugin API v1) from Debian bookworm's
# qemu source package into a cache outside the repository, once: the
# plugins are also built against it (build/plugins-v1/) for Debian 12's
# qemu-user and qemu-system packages. Only include/qemu/qemu-plugin.h is
# taken from the upstream tarball, with the Debian patches that touch it;
# QEMU itself is not built. apt runs on a private state (private-apt.sh).
#
# Usage: scripts/fetch-qemu-header.sh   (prints the header's directory on stdout)
# Env:   TCGTRACE_QEMU_V1_DIR  where it goes (default ~/.cache/tcgtrace/qemu-7.2-header)
set -eu

DIR=${TCGTRACE_QEMU_V1_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgtrace/qemu-7.2-header}
STAMP="$DIR/.tcgtrace-stamp"
if [ -f "$STAMP" ]; then
    echo "$DIR"
    exit 0
fi

WORK="$DIR.fetch"
step=""
fail() { echo "fetch-qemu-header: step '$step' failed${1:+: $1}; see $WORK/log" >&2; exit 1; }
run() { step=$1; shift; echo "fetch-qemu-header: $step" >&2; "$@" >>"$WORK/log" 2>&1 || fail; }

rm -rf "$WORK"
mkdir -p "$WORK"
: >"$WORK/log"
. "$(dirname "$0")/private-apt.sh"
private_apt "$WORK/apt" bookworm deb-src

cd "$WORK"
run "apt update (private state, $MIRROR bookworm, sources only)" $APT update
run "download qemu source" $APT source --download-only qemu
dsc=$(ls qemu_*.dsc | head -n 1)
case "$dsc" in qemu_1:7.2*|qemu_7.2*) ;; *) fail "expected QEMU 7.2, got $dsc" ;; esac
H=include/qemu/qemu-plugin.h
run "extract $H" tar -xf qemu_*.orig.tar.* --wildcards --no-wildcards-match-slash "*/$H"
src=$(dirname "$(dirname "$(dirname "$(ls -d ./*/$H)")")")
run "extract the Debian patches" tar -xf qemu_*.debian.tar.*
step="apply the Debian patches touching $H"
# debian/patches/series lists them in order; of a patch touching other files
# too, only this file's part is applied (bookworm's 7.2 has none).
: >patches-applied
if [ -f debian/patches/series ]; then
    for p in $(sed -e 's/#.*//' debian/patches/series); do
        if grep -q "^+++ [^ ]*/$H" "debian/patches/$p"; then
            echo "fetch-qemu-header: applying $p" >&2
            awk -v f="$H" '/^--- /{ h = $0; getline n; keep = index(n, "/" f) > 0; if (keep) print h "\n" n; next } keep' \
                "debian/patches/$p" | patch -d "$src" -p1 >>"$WORK/log" 2>&1 || fail "$p"
            echo "$p" >>patches-applied
        fi
    done
fi

step="install into $DIR"
mkdir -p "$DIR/include" || fail
cp "$src/$H" "$DIR/include/qemu-plugin.h" || fail
api=$(sed -n 's/^#define QEMU_PLUGIN_VERSION \([0-9]*\)$/\1/p' "$DIR/include/qemu-plugin.h")
{ echo "QEMU 7.2 plugin header (plugin API v$api), from Debian's $dsc"
  sed 's/^/patched: /' patches-applied
} >"$DIR/VERSION" || fail
cd /
rm -rf "$WORK"
touch "$STAMP"
echo "$DIR"
