# Shared helpers for integration tests: TAP output and where things are.
# A test sources this file, calls `plan N`, then `ok`/`is`/`same_file`.
# Tests run from the repository root (make check does so).

B=${B:-build}
TCGTRACE=$B/tcgtrace
PLUGINS=$B/plugins
GUESTS=$B/guests
QEMU_DIR=${TCGTRACE_QEMU_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgtrace/qemu-10.0}
QEMU_BIN=$QEMU_DIR/bin
QEMU_PLUGINS=$QEMU_DIR/plugins
ARCHS="x86_64 aarch64 riscv64"

T=$(mktemp -d "${TMPDIR:-/tmp}/tcgtrace-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

_n=0
_failed=0
plan() { echo "1..$1"; }

ok() { # ok STATUS NAME: passes when STATUS is 0
    _n=$((_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_n - $2"
    else
        echo "not ok $_n - $2"
        _failed=$((_failed + 1))
    fi
}

skip() { # skip REASON: a TAP test that was not run, and why
    _n=$((_n + 1))
    echo "ok $_n # SKIP $1"
}

is() { # is GOT WANT NAME
    _n=$((_n + 1))
    if [ "$1" = "$2" ]; then
        echo "ok $_n - $3"
    else
        echo "not ok $_n - $3"
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
        _failed=$((_failed + 1))
    fi
}

same_file() { # same_file GOT WANT NAME: exact comparison, diff shown on failure
    _n=$((_n + 1))
    if cmp -s "$1" "$2"; then
        echo "ok $_n - $3"
    else
        echo "not ok $_n - $3"
        diff -u "$2" "$1" | head -n 20 | sed 's/^/# /'
        _failed=$((_failed + 1))
    fi
}

# The sysroot and QEMU binary for a guest architecture.
sysroot() {
    case $1 in
        aarch64) echo /usr/aarch64-linux-gnu ;;
        riscv64) echo /usr/riscv64-linux-gnu ;;
        *) echo / ;;
    esac
}
qemu_for() { echo "$QEMU_BIN/qemu-${1%-nopie}"; }

# run_guest ARCH [QEMU OPTIONS...] -- PROG [ARGS]: runs a guest under
# qemu-user with its sysroot. aarch64 and riscv64 get a reserved guest
# address space (-R), which makes their addresses identical from run to run.
run_guest() {
    _arch=$1
    shift
    case $_arch in
        aarch64 | riscv64) "$(qemu_for "$_arch")" -L "$(sysroot "$_arch")" -R 0x100000000 "$@" ;;
        *) "$(qemu_for "$_arch")" "$@" ;;
    esac
}

done_testing() { exit $((_failed > 0)); }

# feature_bit N TRACE: bit N of the trace header's features (field 10),
# read from the file itself (docs/format.md, "Header").
feature_bit() {
    python3 -c 'import struct, sys
b = open(sys.argv[2], "rb").read()
hlen = struct.unpack_from("<I", b, 12)[0]
off, feat = 16, 0
while off < hlen - 4:
    key, n = struct.unpack_from("<HI", b, off)
    if key == 10: feat = struct.unpack_from("<Q", b, off + 6)[0]
    off += 6 + n
print(feat >> int(sys.argv[1]) & 1)' "$1" "$2"
}
