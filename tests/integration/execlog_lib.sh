# Helpers of the execlog tests (sourced after lib.sh): run QEMU's own
# contrib execlog and ours in the same QEMU, so both see the same execution
# and the same addresses, and compare what they wrote.

UPSTREAM_EXECLOG=$QEMU_PLUGINS/libexeclog.so
EXECLOG=$PLUGINS/libexeclog.so

# both ARCH OPTS PROG [ARGS]: upstream's lines into $T/up.log (QEMU's log),
# ours into $T/ours.log (out=), stderr into $T/err. OPTS: comma-separated,
# given to both plugins.
both() {
    _arch=$1 _opts=$2
    shift 2
    run_guest "$_arch" -plugin "$UPSTREAM_EXECLOG${_opts:+,$_opts}" -d plugin -D "$T/up.log" \
        -plugin "$EXECLOG${_opts:+,$_opts},out=$T/ours.log" "$@" >/dev/null 2>"$T/err"
}

# both_mt ARCH OPTS PROG [ARGS]: both, for multi-threaded guests. Upstream's
# vCPU array is reallocated while other vCPUs hold pointers into it: QEMU
# dies of a SIGSEGV in about a third of such runs (ours alone never did in
# our runs). Runs again, up to 10 times, until QEMU succeeds.
both_mt() {
    _try=0
    while [ $_try -lt 10 ]; do
        both "$@" && return 0
        _try=$((_try + 1))
    done
    echo "# QEMU failed 10 times:"
    sed 's/^/# /' "$T/err"
    return 1
}

# both_system OPTS KERNEL: the same under qemu-system-riscv64 -M virt.
both_system() {
    timeout 120 "$QEMU_BIN/qemu-system-riscv64" -M virt -bios none -nographic -monitor none \
        -serial none -kernel "$2" \
        -plugin "$UPSTREAM_EXECLOG${1:+,$1}" -d plugin -D "$T/up.log" \
        -plugin "$EXECLOG${1:+,$1},out=$T/ours.log" >/dev/null 2>"$T/err"
}

# same_log NAME: ours is upstream's, byte for byte, and not empty.
same_log() {
    _lines=$(wc -l <"$T/up.log")
    if [ "$_lines" -gt 0 ]; then
        same_file "$T/ours.log" "$T/up.log" "$1 ($_lines lines)"
    else
        ok 1 "$1: upstream wrote nothing"
        sed 's/^/# /' "$T/err"
    fi
}

# untear FILE: upstream prints a line and its newline in two calls, so
# under several vCPUs another vCPU's line can land in between:
# "<line A><line B>\n\n". Splits such lines again. A line starts with a
# one-digit vCPU index (the guests here use fewer than ten), so the start
# of line B is unambiguous even after a hexadecimal address. Drops empty
# lines: the tests that call this use no filter, so upstream writes none.
untear() {
    perl -pe 's/(?<=.)(?=[0-9], 0x[0-9a-f]+, 0x[0-9a-f]+, ")/\n/g' "$1" | grep -v '^$'
}

# by_vcpu FILE PREFIX: FILE's lines of vCPU N into PREFIX.N; prints the
# indices found.
by_vcpu() {
    awk -F, -v p="$2" '{ f = p "." $1; print > f; if (!seen[$1]++) print $1 > (p ".list") }' "$1"
    sort -n "$2.list"
}
