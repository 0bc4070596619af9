# Sourced by the scripts that fetch QEMU's sources from Debian
# (build-qemu.sh, fetch-qemu-header.sh): apt on a private state directory,
# so that the machine's apt configuration, package lists and installed
# packages are never touched, whatever suite is asked for.
#
#   private_apt DIR SUITE TYPES   TYPES: "deb deb-src" or just "deb-src"
#
# sets APT to an apt-get command line using DIR for its sources, lists and
# cache (run "$APT update" first; $APT is meant to be word-split).

private_apt() {
    _dir=$1
    _suite=$2
    _types=$3
    mkdir -p "$_dir/state/lists/partial" "$_dir/cache/archives/partial" "$_dir/parts"
    # The mirror comes from the machine's own apt sources (deb822 or one-line style).
    _mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n -e 's/^URIs: *\([^ ]*\/debian\/\{0,1\}\)$/\1/p' -e 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\/debian\/\{0,1\}\) .*/\2/p' |
        head -n 1)
    MIRROR=${_mirror:-http://deb.debian.org/debian}
    _keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    : >"$_dir/sources.list"
    for _t in $_types; do
        echo "$_t [signed-by=$_keyring] $MIRROR $_suite main" >>"$_dir/sources.list"
    done
    APT="apt-get -q -o Dir::Etc::SourceList=$_dir/sources.list -o Dir::Etc::SourceParts=$_dir/parts
 -o Dir::State=$_dir/state -o Dir::Cache=$_dir/cache -o Dir::State::status=/var/lib/dpkg/status
 -o APT::Sandbox::User=root"
}
