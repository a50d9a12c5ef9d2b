#!/bin/bash
# Install CRIU >= 4.1 for vz into a private prefix (default /usr/local/lib/vz/criu) and a
# wrapper (default /usr/local/lib/vz/criu/criu, named by CRIU= in vz.conf).
#
# Why a private prefix: Debian 12's criu 3.17 fails on kernels >= 6.13 (split vvar mapping),
# and newer CRIU needs a newer glibc.  Which one: CRIU 4.1.1 (Debian 13 "trixie") dumps no TCP
# socket on kernels >= 6.16 ("Can't get 1:16 opt": SO_PASSCRED is refused on inet sockets
# since Linux 6.16; fixed in CRIU 4.2, checkpoint-restore/criu#2718), so the first choice is
# CRIU 4.2.x from Debian "forky", falling back to trixie's 4.1.1.  We fetch binary packages with an apt
# whose sources, lists, cache and dpkg status all live in a temporary directory (the host's apt
# state and installed packages are untouched), unpack them with dpkg-deb -x, and start criu
# through the prefix's own dynamic loader with --library-path.
#
# Safe to run again: does nothing when the installed wrapper already reports the wanted version.
set -euo pipefail

PREFIX=${CRIU_PREFIX:-/usr/local/lib/vz/criu}
SUITES=${CRIU_SUITE:-forky trixie}
MIRROR=${CRIU_MIRROR:-http://deb.debian.org/debian}
WANT=${CRIU_VERSION:-4.2}

if [ -x "$PREFIX/criu" ] && "$PREFIX/criu" --version 2>/dev/null | grep -q "Version: $WANT"; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-criu.sh: run as root" >&2
	exit 12
fi

work=$(mktemp -d /tmp/vz-criu-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
touch "$work/status"
apt_opts=(
	-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
	-o "Dir::Cache=$work/cache" -o APT::Architecture=amd64 -o Debug::NoLocking=1
	-o APT::Sandbox::User=root
)
for SUITE in $SUITES; do
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
		>"$work/sources.list"
	rm -rf "$work/lists" && mkdir -p "$work/lists/partial"
	apt-get "${apt_opts[@]}" -qq update 2>/dev/null || continue
	apt-cache "${apt_opts[@]}" show criu >/dev/null 2>&1 && break
done
echo "install-criu.sh: fetching criu from Debian $SUITE into $PREFIX"
# The dependency closure of criu (without recommends: python3-pycriu and iproute2 are not needed).
mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances criu | grep -v '^[ <]' | sort -u)
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${pkgs[@]}")
for d in "$work"/debs/*.deb; do
	dpkg-deb -x "$d" "$work/root"
done

rm -rf "$PREFIX.new"
mkdir -p "$PREFIX.new"
cp -a "$work/root/usr/sbin/criu" "$PREFIX.new/criu.bin"
mkdir -p "$PREFIX.new/lib"
cp -a "$work/root/usr/lib/x86_64-linux-gnu/." "$PREFIX.new/lib/"
[ -d "$work/root/lib/x86_64-linux-gnu" ] && cp -a "$work/root/lib/x86_64-linux-gnu/." "$PREFIX.new/lib/"
cp -aL "$work/root/lib64/ld-linux-x86-64.so.2" "$PREFIX.new/lib/ld-linux-x86-64.so.2" 2>/dev/null ||
	cp -aL "$work/root/usr/lib64/ld-linux-x86-64.so.2" "$PREFIX.new/lib/ld-linux-x86-64.so.2"
cat >"$PREFIX.new/criu" <<'WRAP'
#!/bin/sh
# vz: run CRIU from its private prefix through the prefix's own dynamic loader.
d=$(dirname "$(readlink -f "$0")")
exec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/criu.bin" "$@"
WRAP
chmod 0755 "$PREFIX.new/criu"
"$PREFIX.new/criu" --version >/dev/null
rm -rf "$PREFIX.old"
[ -e "$PREFIX" ] && mv "$PREFIX" "$PREFIX.old"
mv "$PREFIX.new" "$PREFIX"
rm -rf "$PREFIX.old"
"$PREFIX/criu" --version | head -1
