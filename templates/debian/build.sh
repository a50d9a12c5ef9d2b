#!/bin/bash
# Build the `debian` OS template: Debian 12 (bookworm), debootstrap's minbase
# plus sysvinit, adapted to run as a vz container.
#
#   build.sh OUTPUT.tar.gz
#
# Needs root (debootstrap chroots and runs package scripts) and the Debian
# package `debootstrap`; installs nothing on the host itself.
#
# Environment:
#   VZ_DEBIAN_MIRROR           mirror for debootstrap and the template's apt
#                              sources (default http://deb.debian.org/debian)
#   VZ_DEBIAN_SECURITY_MIRROR  security archive written to sources.list
#                              (default http://deb.debian.org/debian-security)
#   TMPDIR                     where the tree is built (default /tmp; needs
#                              about 300 MB, and must not be nodev/noexec)
#
# minbase has no init system, so sysvinit-core is included: /sbin/init reads
# /etc/inittab, and `halt` inside the container goes to runlevel 0, whose last
# script calls reboot(2); inside a pid namespace that ends the container's
# init (the kernel kills it with SIGINT for halt/poweroff, SIGHUP for reboot).
# The adaptation to a container:
#   - no getty lines in /etc/inittab: a container has no ttys, its console is
#     /dev/null, and respawning gettys would only spin;
#   - boot scripts that act on the hardware or the host's file systems are
#     disabled through insserv overrides (which package upgrades respect):
#     hwclock, fsck (checkroot, checkfs), configfs, backlight, the kernel log
#     copy (bootlogs), and the shutdown scripts that unmount everything and
#     remount the root read-only, which in a privileged container would
#     remount the host's file system;
#   - no /etc/hostname and an empty /etc/resolv.conf (vz writes them), /dev
#     empty (vz mounts its own), apt lists and caches removed, logs emptied.
set -euo pipefail

prog=debian/build.sh
suite=bookworm
packages=sysvinit-core,ifupdown,iproute2,netbase,procps

. "$(dirname -- "$(readlink -f -- "$0")")/../build-common.sh"
template_output "$0" "$@"

mirror=${VZ_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${VZ_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# Check everything before starting a half-minute bootstrap.
missing=() pkgs=()
command -v debootstrap >/dev/null || PATH=$PATH:/usr/sbin:/sbin
for tool in debootstrap:debootstrap tar:tar gzip:gzip chroot:coreutils mount:mount \
	umount:mount findmnt:util-linux; do
	if ! command -v "${tool%%:*}" >/dev/null; then
		missing+=("\`${tool%%:*}\`")
		[[ " ${pkgs[*]} " == *" ${tool#*:} "* ]] || pkgs+=("${tool#*:}")
	fi
done
[ ${#missing[@]} -eq 0 ] ||
	die "missing ${missing[*]}: install the Debian packages with: apt-get install ${pkgs[*]}"
[ "$(id -u)" -eq 0 ] || die "must run as root: debootstrap chroots and runs package scripts"
outdir=$(dirname -- "$output")
[ -d "$outdir" ] || die "output directory \`$outdir\` does not exist"

work=$(mktemp -d "${TMPDIR:-/tmp}/vz-debian.XXXXXX")
root=$work/root
part="$output.part.$$"

# debootstrap mounts /proc and /sys inside the target while it works; if it
# dies they may stay.  Unmount anything under the tree before removing it,
# and never let rm cross into another file system.
cleanup() {
	local m
	set +e
	trap - ERR
	findmnt -rn -o TARGET | grep -F -- "$work/" | sort -r | while read -r m; do
		umount -l -- "$m"
	done
	rm -rf --one-file-system -- "$work"
	rm -f -- "$part"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bootstrap() {
	local start=$SECONDS
	echo "$prog: debootstrap $suite from $mirror (minbase + $packages)" >&2
	if ! debootstrap --variant=minbase --include="$packages" --components=main \
		"$suite" "$root" "$mirror" > "$work/debootstrap.out" 2>&1; then
		tail -n 20 "$work/debootstrap.out" >&2
		[ -f "$root/debootstrap/debootstrap.log" ] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
		die "debootstrap of $suite from $mirror failed (log above)"
	fi
	echo "$prog: debootstrap done in $((SECONDS - start)) s" >&2
}

# Write /etc/insserv/overrides/SCRIPT: the script's LSB header with FIELD set
# to VALUE for each FIELD=VALUE given.  insserv (and so update-rc.d, also when
# a package is upgraded) reads the override instead of the script's header,
# so the scripts themselves (dpkg conffiles) stay untouched.
lsb_override() {
	local script=$1 kv key value line f="$root/etc/insserv/overrides/$1"
	shift
	[ -f "$f" ] || sed -n '/^### BEGIN INIT INFO/,/^### END INIT INFO/p' \
		"$root/etc/init.d/$script" > "$f"
	for kv in "$@"; do
		key=${kv%%=*} value=${kv#*=}
		line="# $key:"
		[ -z "$value" ] || line+="$(printf '%*s' $((18 - ${#key})) '')$value"
		if grep -q "^# $key:" "$f"; then
			awk -v k="# $key:" -v l="$line" 'index($0, k) == 1 { print l; next } { print }' \
				"$f" > "$f.new"
		else
			awk -v l="$line" '{ print } /^# Provides:/ { print l }' "$f" > "$f.new"
		fi
		mv -- "$f.new" "$f"
	done
}

# Boot scripts that make no sense in a container, and the headers that named
# them as requirements.
disable_init_scripts() {
	local s disabled=(hwclock.sh checkroot.sh checkfs.sh mount-configfs brightness bootlogs
		umountfs umountroot)
	local changed=(checkroot-bootclean.sh mountall.sh umountnfs.sh halt reboot)

	for s in "${disabled[@]}" "${changed[@]}"; do
		[ -f "$root/etc/init.d/$s" ] || die "expected init script \`/etc/init.d/$s\` not installed"
	done
	for s in "${disabled[@]}"; do
		lsb_override "$s" Required-Start= Required-Stop= Default-Start= Default-Stop=
	done
	# They required checkroot/checkfs (start) and umountfs (stop).
	lsb_override checkroot-bootclean.sh 'Required-Start=mountdevsubfs hostname'
	lsb_override mountall.sh 'Required-Start=checkroot-bootclean'
	lsb_override umountnfs.sh 'Required-Stop='
	# halt and reboot were ordered last only through umountroot's
	# Should-Stop; keep them after everything that stops at shutdown.
	lsb_override halt 'X-Stop-After=$remote_fs $network urandom'
	lsb_override reboot 'X-Stop-After=$remote_fs $network urandom'

	# Drop the disabled scripts' links; a full insserv run then re-orders
	# the rest by the new headers.  The second run must find nothing to say,
	# as later package installs will run it too.
	for s in "${disabled[@]}"; do
		chroot "$root" update-rc.d -f "$s" remove > "$work/insserv.out" 2>&1 ||
			{ cat "$work/insserv.out" >&2; die "cannot disable init script \`$s\`"; }
	done
	chroot "$root" insserv > "$work/insserv.out" 2>&1 || true
	if ! chroot "$root" insserv > "$work/insserv.out" 2>&1 || [ -s "$work/insserv.out" ]; then
		cat "$work/insserv.out" >&2
		die "init script ordering is inconsistent after disabling scripts"
	fi
	for s in "${disabled[@]}"; do
		! compgen -G "$root/etc/rc?.d/[SK][0-9][0-9]$s" >/dev/null ||
			die "init script \`$s\` still linked in /etc/rc?.d"
	done
	# rc runs K scripts in name order: halt must be the last one.
	[ "$(cd "$root/etc/rc0.d" && ls K[0-9][0-9]* | LC_ALL=C sort | tail -n 1)" = "$(cd "$root/etc/rc0.d" && ls K[0-9][0-9]halt)" ] ||
		die "halt is not the last shutdown script in /etc/rc0.d"
}

adapt_inittab() {
	local f="$root/etc/inittab"
	# Any entry whose process is a getty, e.g. "1:2345:respawn:/sbin/getty ...".
	awk '
		/^[^#]/ && $0 ~ /^[^:]*:[^:]*:[^:]*:.*getty/ {
			if (!noted++)
				print "# vz: getty entries removed: a container has no ttys."
			next
		}
		{ print }' "$f" > "$f.new"
	mv -- "$f.new" "$f"
	chmod 0644 "$f"
	# sysvinit 3.x complains on every (re)load when this is missing.
	mkdir -p "$root/etc/inittab.d"
	! grep -Eq '^[^#].*getty' "$f" || die "getty entries left in /etc/inittab"
	grep -q '^[^#]*:initdefault:' "$f" || die "/etc/inittab has no initdefault entry"
}

configure_etc() {
	local etc="$root/etc"

	# debootstrap copies these from the build host: vz writes the
	# container's own from HOSTNAME, NAMESERVER and SEARCHDOMAIN.  No
	# /etc/hostname at all rather than an empty one: hostname.sh skips a
	# missing file but fails on an empty one ("the specified hostname is
	# invalid"), and vz has set the container's host name already.
	rm -f -- "$etc/hostname"
	: > "$etc/resolv.conf"
	cat > "$etc/hosts" <<-'EOF'
	127.0.0.1	localhost
	::1		localhost ip6-localhost ip6-loopback
	ff02::1		ip6-allnodes
	ff02::2		ip6-allrouters
	EOF
	cat > "$etc/fstab" <<-'EOF'
	# /etc/fstab: vz mounts the container's root, /proc, /sys and /dev itself.
	EOF
	# checkroot.sh, disabled above, would have made this link.
	ln -sfn ../proc/self/mounts "$etc/mtab"
	cat > "$etc/network/interfaces" <<-'EOF'
	# interfaces(5) file used by ifup(8) and ifdown(8)
	auto lo
	iface lo inet loopback

	# Include files from /etc/network/interfaces.d:
	source /etc/network/interfaces.d/*
	EOF
	cat > "$etc/apt/sources.list" <<-EOF
	deb $mirror $suite main
	deb $mirror $suite-updates main
	deb $security $suite-security main
	EOF
}

clean_tree() {
	# Deleting /dev content through a leftover bind mount would delete the
	# host's device nodes.
	if findmnt -rn -o TARGET | grep -qF -- "$root/"; then
		die "file systems still mounted under \`$root\` after debootstrap"
	fi
	chroot "$root" apt-get clean
	# Lists are fetched again by `apt-get update` in the container.
	find "$root/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name partial ! -name lock \
		-exec rm -rf -- {} +
	rm -f -- "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
		"$root"/var/lib/dpkg/*-old "$root/var/log/bootstrap.log"
	find "$root/var/log" -type f -exec truncate -s 0 -- {} +
	# vz mounts its own /dev; /run is a tmpfs at boot.
	find "$root/dev" "$root/run" "$root/tmp" "$root/var/tmp" -xdev -mindepth 1 -delete
	[ -x "$root/sbin/init" ] || die "/sbin/init missing after bootstrap"
}

pack() {
	tar --create --file=- --directory="$root" --sort=name --numeric-owner . |
		gzip -6n > "$part"
	chmod 0644 "$part"
	mv -f -- "$part" "$output"
}

bootstrap
disable_init_scripts
adapt_inittab
configure_etc
clean_tree
pack
