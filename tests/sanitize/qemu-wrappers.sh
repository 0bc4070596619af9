#!/bin/sh
# qemu-wrappers.sh QEMU_DIR OUT_DIR SHIM: makes OUT_DIR a QEMU directory
# like QEMU_DIR (bin/, plugins/, include/, VERSION, the stamp) whose
# qemu-* run the real ones with the AddressSanitizer runtime and SHIM
# (asan_first.c) preloaded, for plugins built with -fsanitize=address
# (make sanitize), before any the caller preloads (a test's interposer,
# robust_end.t). Leak checking is off in QEMU: QEMU is not built with
# ASan, and it ends user-mode guests with a raw exit_group system call,
# which LeakSanitizer never sees. The guest does not inherit LD_PRELOAD
# (qemu-ARCH -U).
set -eu
qemu=$1 out=$2 shim=$3
asan=$(${CC:-gcc} -print-file-name=libasan.so)
[ -f "$asan" ] || { echo "qemu-wrappers.sh: no libasan.so next to ${CC:-gcc}" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/bin"
for f in "$qemu"/* "$qemu"/.tcgtrace-stamp; do
    [ "$(basename "$f")" = bin ] || ln -s "$f" "$out/$(basename "$f")"
done
for q in "$qemu"/bin/*; do
    n=$(basename "$q")
    case $n in
        qemu-system-*) unset_env= ;;
        qemu-*) unset_env="-U LD_PRELOAD" ;;
        *) ln -s "$q" "$out/bin/$n"; continue ;;
    esac
    cat >"$out/bin/$n" <<WRAP
#!/bin/sh
# $n with the AddressSanitizer runtime preloaded (tests/sanitize/qemu-wrappers.sh)
LD_PRELOAD="$asan $shim\${LD_PRELOAD:+ \$LD_PRELOAD}" ASAN_OPTIONS="\${ASAN_OPTIONS:-}:detect_leaks=0" exec "$q" $unset_env "\$@"
WRAP
    chmod +x "$out/bin/$n"
done
