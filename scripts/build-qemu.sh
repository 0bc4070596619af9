#!/bin/sh
# Builds QEMU 10.0 from Debian trixie's source package into a cache outside
# the repository, once. The system apt configuration is never touched: apt
# runs on a private state directory inside the cache (private-apt.sh).
#
# Usage: scripts/build-qemu.sh        (prints the QEMU directory on stdout)
# Env:   TCGTRACE_QEMU_DIR  where QEMU goes (default ~/.cache/tcgtrace/qemu-10.0)
set -eu

QEMU_DIR=${TCGTRACE_QEMU_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgtrace/qemu-10.0}
STAMP="$QEMU_DIR/.tcgtrace-stamp"
if [ -f "$STAMP" ]; then
    echo "$QEMU_DIR"
    exit 0
fi

WORK="$QEMU_DIR.build"
step=""
fail() { echo "build-qemu: step '$step' failed${1:+: $1}; see $WORK/log" >&2; exit 1; }
run() { step=$1; shift; echo "build-qemu: $step" >&2; "$@" >>"$WORK/log" 2>&1 || fail; }

mkdir -p "$WORK"
: >"$WORK/log"
. "$(dirname "$0")/private-apt.sh"
private_apt "$WORK/apt" trixie "deb deb-src"

cd "$WORK"
run "apt update (private state, $MIRROR trixie)" $APT update
rm -rf src meson *.dsc *.tar.* *.deb
run "download qemu source" $APT source --download-only qemu
run "download meson" $APT download meson
dsc=$(ls qemu_*.dsc | head -n 1)
case "$dsc" in qemu_1:10.0*|qemu_10.0*) ;; *) fail "expected QEMU 10.0.x, got $dsc" ;; esac
run "unpack qemu source (dpkg-source -x)" dpkg-source --no-check -x "$dsc" src
run "unpack meson" dpkg -x meson_*.deb meson

mkdir -p src/build
cd src/build
export PYTHONPATH="$WORK/meson/usr/lib/python3/dist-packages"
run "configure" ../configure --prefix="$QEMU_DIR" --python=/usr/bin/python3 \
    --enable-plugins --enable-capstone --disable-docs --disable-werror \
    --disable-install-blobs --disable-slirp --disable-gtk --disable-sdl --disable-vnc --disable-tools \
    --target-list=x86_64-linux-user,aarch64-linux-user,riscv64-linux-user,riscv64-softmmu
run "build qemu (ninja)" ninja
run "build qemu plugins" ninja contrib-plugins tests/tcg/plugins/libmem.so tests/tcg/plugins/libinsn.so

step="install into $QEMU_DIR"
mkdir -p "$QEMU_DIR/bin" "$QEMU_DIR/include" "$QEMU_DIR/plugins" || fail
for t in qemu-x86_64 qemu-aarch64 qemu-riscv64 qemu-system-riscv64; do
    cp "$t" "$QEMU_DIR/bin/" || fail
done
cp ../include/qemu/qemu-plugin.h "$QEMU_DIR/include/" || fail
cp contrib/plugins/*.so tests/tcg/plugins/*.so "$QEMU_DIR/plugins/" || fail
./qemu-x86_64 --version | head -n 1 >"$QEMU_DIR/VERSION" || fail
cd /
rm -rf "$WORK"
touch "$STAMP"
echo "$QEMU_DIR"
