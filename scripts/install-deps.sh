#!/bin/sh
# Installs the Debian 12 packages tcgtrace needs to build, to build QEMU,
# and to cross-compile its foreign test guests, and Debian's own QEMU 7.2
# (qemu-user, qemu-system-misc) that tests/integration/qemu72.t runs the
# plugin API v1 build under. Installs only what is missing.
# libc6-dbg: the host libc's symbols and lines in reports (and the names
# with a symbol version that tests check are shown without it). clang and
# its runtimes (libFuzzer, the sanitizers; only recommended by clang): make
# fuzz, which CI runs; libomp-dev: clang's OpenMP, which races_cli.t
# builds guests with.
set -eu

PKGS="build-essential pkg-config git ca-certificates python3 python3-venv
libglib2.0-dev libzstd-dev libelf-dev libdw-dev ninja-build flex bison
libcapstone-dev libfdt-dev libpixman-1-dev dpkg-dev zstd
gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
libc6-dev-arm64-cross libc6-dev-riscv64-cross libc6-dbg
libgomp1-arm64-cross libgomp1-riscv64-cross
qemu-user qemu-system-misc clang libclang-rt-dev libomp-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: not root and no sudo; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "install-deps: apt-get update failed; trying the cached package lists" >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
