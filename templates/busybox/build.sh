#!/bin/bash
# Build the `busybox` OS template: a tiny root file system around Debian's
# statically linked busybox (package busybox-static), for tests and sandboxes.
#
#   build.sh OUTPUT.tar.gz
#
# The tarball is what `vzctl create --ostemplate busybox` extracts with
# `tar --numeric-owner -xpzf` into a private area: every file is owned by
# uid/gid 0 (container root), whoever runs this script; vz shifts ownership to
# the container's id range itself.  No root needed.
#
# Environment: VZ_BUSYBOX  the static busybox to install (default /bin/busybox)
#
# The init is busybox init.  A container has no tty and its console is
# /dev/null, so the inittab starts no getty/askfirst: init runs rcS once and
# then only reaps orphans until it is told to stop.  `halt`/`poweroff`/
# `reboot` inside the container signal init (SIGUSR1/SIGUSR2/SIGTERM), which
# runs the shutdown actions, kills everything and calls reboot(2); inside a
# pid namespace that ends the container's init, and vz sees it exit.
set -euo pipefail

prog=busybox/build.sh
. "$(dirname -- "$(readlink -f -- "$0")")/../build-common.sh"
template_output "$0" "$@"

busybox=${VZ_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] ||
	die "busybox not found at \`$busybox\`: install the Debian package \`busybox-static\` (apt-get install busybox-static)"
# A dynamically linked busybox (Debian package `busybox`) would need the
# host's libc inside the template; ldd tells a static binary by its answer.
lddout=$(LC_ALL=C ldd "$busybox" 2>&1 || true)
if ! grep -Eq 'not a dynamic executable|statically linked' <<< "$lddout"; then
	die "\`$busybox\` is dynamically linked: install the Debian package \`busybox-static\` (apt-get install busybox-static), which replaces \`busybox\`"
fi
for tool in tar gzip; do
	command -v "$tool" >/dev/null || die "\`$tool\` not found: install the Debian package \`$tool\`"
done

outdir=$(dirname -- "$output")
[ -d "$outdir" ] || die "output directory \`$outdir\` does not exist"

# Everything is built in a scratch directory and the tarball written beside
# OUTPUT under a temporary name, then renamed: OUTPUT is either the old file,
# the complete new one, or absent; never a partial tarball.
work=$(mktemp -d "${TMPDIR:-/tmp}/vz-busybox.XXXXXX")
part="$output.part.$$"
cleanup() { rm -rf -- "$work"; rm -f -- "$part"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$work/root
mkdir -m 0755 "$root"
umask 022
cd "$root"

mkdir -p bin sbin usr/bin usr/sbin etc/init.d dev proc sys run var/log home
mkdir -m 0700 root
mkdir -m 1777 tmp
ln -s ../run var/run

install -m 0755 "$busybox" bin/busybox

# One symlink per applet, at the path busybox itself reports, relative so
# that nothing under the private area points into the host's tree when the
# host walks it.  `linuxrc` is an initrd entry point, not wanted here.
"$busybox" --list-full | LC_ALL=C sort | while read -r applet; do
	case "$applet" in
	bin/busybox|linuxrc|"") continue ;;
	*/*) ;;
	*) continue ;;
	esac
	dir=${applet%/*}
	if [ "$dir" = bin ]; then
		target=busybox
	else
		target=$(echo "$dir" | sed 's|[^/][^/]*|..|g')/bin/busybox
	fi
	mkdir -p "$dir"
	ln -sfn "$target" "$applet"
done
[ -L sbin/init ] || die "\`$busybox\` has no init applet"

cat > etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > etc/group <<'EOF'
root:x:0:
tty:x:5:
nobody:x:65534:
EOF
# Passwords locked: vzctl enter/exec need none.
cat > etc/shadow <<'EOF'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
chmod 0600 etc/shadow
# Empty: vz writes the container's HOSTNAME here; rcS applies it if set.
: > etc/hostname
cat > etc/hosts <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
# Empty: vz writes NAMESERVER/SEARCHDOMAIN here.
: > etc/resolv.conf
ln -s ../proc/self/mounts etc/mtab
cat > etc/profile <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\u@\h:\w\$ '
EOF

cat > etc/inittab <<'EOF'
# busybox init(8) for a vz container.
#
# No getty, askfirst or respawn on a tty: a container has no /dev/tty1 and its
# console is /dev/null, and a respawning getty would only spin.  init runs
# rcS once and stays up reaping orphans until halt/poweroff/reboot.
::sysinit:/etc/init.d/rcS
::shutdown:/etc/init.d/rcK
EOF

cat > etc/init.d/rcS <<'EOF'
#!/bin/sh
# Container start-up: nothing here needs a device; vz has already mounted
# /proc, /sys and /dev.
PATH=/usr/sbin:/usr/bin:/sbin:/bin

if [ -s /etc/hostname ]; then
	hostname -F /etc/hostname
fi
ip link set lo up

# Local additions: executable /etc/init.d/S* scripts, in order.
for s in /etc/init.d/S*; do
	[ -x "$s" ] && "$s" start
done
exit 0
EOF
cat > etc/init.d/rcK <<'EOF'
#!/bin/sh
# Container shutdown, run by init before it kills what is left: stop local
# services in reverse order.  Nothing is unmounted or remounted: the mounts
# belong to the container's mount namespace, which goes away with it.
PATH=/usr/sbin:/usr/bin:/sbin:/bin

for s in $(ls -r /etc/init.d/S* 2>/dev/null); do
	[ -x "$s" ] && "$s" stop
done
sync
exit 0
EOF
chmod 0755 etc/init.d/rcS etc/init.d/rcK

# Name-sorted, root-owned whoever builds it, mtimes pinned to the busybox
# binary's (or SOURCE_DATE_EPOCH) and no gzip timestamp: the same busybox
# gives the same tarball.
mtime=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$busybox")}
tar --create --file=- --directory="$root" --sort=name --numeric-owner \
	--owner=0 --group=0 --mtime="@$mtime" . | gzip -9n > "$part"
chmod 0644 "$part"
mv -f -- "$part" "$output"
