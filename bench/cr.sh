#!/bin/bash
# bench/cr.sh: checkpoint/restore and migration times of a busybox container
# holding 64 MiB, 512 MiB and 2 GiB of touched memory.
#
# For each size, side by side:
#   vz        vzctl chkpnt + vzctl restore (frozen = from dump start to running)
#   criu      the same CRIU dump and restore commands run by hand (replayed
#             from the .cmd files vz writes beside its CRIU logs)
#   migrate   vzctl migrate --online to a second vz instance on this host over
#             ssh to 127.0.0.1 (needs sshd), once with --memory stop-and-copy
#             and once (a fresh container) with --memory post-copy; total
#             includes, for post-copy, the transfer of every page after the
#             container already runs at the destination
#
# Prints a table, then one JSON object per measurement (prefix "JSON ").
# Usage: bench/cr.sh [--sizes "64 512 2048"] [--no-migrate]
# Environment: VZ_BUILDDIR (default: ./build next to this script).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
B=${VZ_BUILDDIR:-$HERE/../build}
SIZES="64 512 2048"
MIGRATE=1
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=$2; shift 2 ;;
	--no-migrate) MIGRATE=0; shift ;;
	*) echo "usage: $0 [--sizes \"64 512 2048\"] [--no-migrate]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "cr.sh: needs root" >&2; exit 77; }
[ -x "$B/src/vzctl" ] && [ -x "$B/tests/migrate/crw" ] || { echo "cr.sh: build vz first (make -C build check TESTS=)" >&2; exit 2; }
VZCTL=$B/src/vzctl
CT=9601
TMPL=$B/tests/cache/busybox.tar.gz
if [ ! -f "$TMPL" ]; then
	mkdir -p "$B/tests/cache" && "$HERE/../templates/vz-mktemplate" --cache "$B/tests/cache" busybox >/dev/null || exit 2
fi

now() { date +%s.%N; }
dt() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }

PIDS=()
ROOTS=()
cleanup() {
	for r in "${ROOTS[@]}"; do
		VZ_CONF=$r/vz.conf "$VZCTL" stop $CT --fast >/dev/null 2>&1
		VZ_CONF=$r/vz.conf "$VZCTL" destroy $CT >/dev/null 2>&1
	done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for r in "${ROOTS[@]}"; do
		awk -v r="$r" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l
		rm -rf "$r"
		for c in /sys/fs/cgroup/*/"vzb-$(basename "$r")"; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# instance NAME: a private vz instance with its own vzd; prints its root.
instance() {
	r=$(mktemp -d "/tmp/vz-bench-cr-$1.XXXXXX")
	chmod 755 "$r"
	mkdir -p "$r/template/cache" "$r/conf"
	ln "$TMPL" "$r/template/cache/" 2>/dev/null || cp "$TMPL" "$r/template/cache/"
	cat >"$r/vz.conf" <<CONF
CONF_DIR="$r/conf"
VE_ROOT="$r/root/\$VEID"
VE_PRIVATE="$r/private/\$VEID"
TEMPLATE="$r/template"
DUMPDIR="$r/dump"
LOCKDIR="$r/lock"
VZ_RUN_DIR="$r/run"
CGROUP_PARENT="vzb-$(basename "$r")"
USERNS_BASE="1500000000"
CONF
	echo "$r"
}

vzd_up() {
	"$B/src/vzd" --vz-conf "$1/vz.conf" >>"$1/vzd.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [ -S "$1/run/vzd.sock" ] && break; sleep 0.05; done
}

A=$(instance a)
ROOTS+=("$A")
if [ "$MIGRATE" = 1 ] && [ -x /usr/sbin/sshd ]; then
	BR=$(instance b)
	ROOTS+=("$BR")
	port=$((20000 + $$ % 20000))
	d=$BR/ssh
	mkdir -p "$d" /run/sshd && chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
	printf 'command="VZ_CONF=%s %s migrate-receive",no-pty %s\n' "$BR/vz.conf" "$VZCTL" "$(cat "$d/client_key.pub")" >"$d/authorized_keys"
	printf 'ListenAddress 127.0.0.1\nPort %s\nHostKey %s\nAuthorizedKeysFile %s\nPidFile %s\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n' \
		"$port" "$d/host_key" "$d/authorized_keys" "$d/sshd.pid" >"$d/sshd_config"
	/usr/sbin/sshd -f "$d/sshd_config" || exit 2
	for _ in $(seq 50); do [ -s "$d/sshd.pid" ] && break; sleep 0.1; done
	PIDS+=("$(cat "$d/sshd.pid")")
	echo "MIGRATE_SSH=\"ssh -p $port -i $d/client_key -o UserKnownHostsFile=$d/known_hosts -o StrictHostKeyChecking=accept-new -o BatchMode=yes -l root\"" >>"$A/vz.conf"
	vzd_up "$BR"
else
	MIGRATE=0
fi
vzd_up "$A"
export VZ_CONF=$A/vz.conf
CRIU=$("$VZCTL" criu-check -j 2>/dev/null | sed -n 's/.*"criu": "\(.*\)".*/\1/p')
"$VZCTL" criu-check >/dev/null 2>&1 || { echo "cr.sh: CRIU is not usable (vzctl criu-check)" >&2; exit 77; }

# mem_up DIR SIZE: crw holding SIZE MiB of touched memory in the running
# container.
mem_up() {
	rm -f "$1/private/$CT/tmp/crw.mem"
	VZ_CONF=$1/vz.conf "$VZCTL" exec $CT "/bin/crw mem $2 </dev/null >/dev/null 2>&1" || return 1
	for _ in $(seq 600); do [ -s "$1/private/$CT/tmp/crw.mem" ] && return 0; sleep 0.1; done
	return 1
}
# ct_up DIR SIZE: a new container holding SIZE MiB of touched memory.
ct_up() {
	VZ_CONF=$1/vz.conf "$VZCTL" -q create $CT --ostemplate busybox >/dev/null &&
		VZ_CONF=$1/vz.conf "$VZCTL" -q start $CT >/dev/null &&
		cp "$B/tests/migrate/crw" "$1/private/$CT/bin/crw" && mem_up "$1" "$2"
}
# ct_fresh DIR SIZE: the same container stopped and started again, its
# memory touched anew (the dump directory and its records stay).
ct_fresh() {
	VZ_CONF=$1/vz.conf "$VZCTL" -q stop $CT --fast >/dev/null &&
		VZ_CONF=$1/vz.conf "$VZCTL" -q start $CT >/dev/null && mem_up "$1" "$2"
}
ct_down() {
	VZ_CONF=$1/vz.conf "$VZCTL" -q stop $CT --fast >/dev/null 2>&1
	VZ_CONF=$1/vz.conf "$VZCTL" -q destroy $CT >/dev/null 2>&1
}

# The restore by hand: mount, cgroups, then CRIU from inside the cgroup.
criu_restore_by_hand() {
	"$VZCTL" -q mount $CT >/dev/null
	parent="vzb-$(basename "$A")"
	for c in /sys/fs/cgroup/*/; do
		[ -e "$c/cgroup.procs" ] || continue
		mkdir -p "$c$parent/$CT"
		[ -e "$c$parent/cpuset.cpus" ] && cat "$c$parent/cpuset.cpus" >"$c$parent/$CT/cpuset.cpus" &&
			cat "$c$parent/cpuset.mems" >"$c$parent/$CT/cpuset.mems"
	done
	rm -f "$A/dump/$CT/vz-restore.pid"
	# /dev is an external mount for CRIU: a tmpfs with the recorded layout,
	# as vz prepares it (src/migrate/devfs.c).
	devpath=$(echo "$1" | sed -n 's/.*--external=mnt\[vzdev\]:\([^ ]*\).*/\1/p')
	if [ -n "$devpath" ]; then
		uid=$(sed -n 's/^LOCAL_UID="*\([0-9]*\)"*/\1/p' "$A/conf/$CT.conf")
		gid=$(sed -n 's/^LOCAL_GID="*\([0-9]*\)"*/\1/p' "$A/conf/$CT.conf")
		mkdir -p "$devpath"
		mount -t tmpfs -o "mode=755,size=64k,uid=$uid,gid=$gid,nosuid,noexec,strictatime" vzdev "$devpath"
		while read -r t n target; do
			case $t in
			d) mkdir -p "$devpath/$n" ;;
			f) : >"$devpath/$n" ;;
			l) ln -s "$target" "$devpath/$n" ;;
			esac
			chown -h "$uid:$gid" "$devpath/$n"
		done <"$A/dump/$CT/vz-dev"
	fi
	sh -c "for c in /sys/fs/cgroup/*/$parent/$CT; do echo \$\$ >\$c/cgroup.procs; done; exec $1"
	rc=$?
	[ -n "$devpath" ] && umount -l "$devpath" && rmdir "$devpath"
	return $rc
}

# migrate_row SIZE MEMORY: one online migration A -> BR with --memory MEMORY.
migrate_row() {
	local out fz tt f t
	out=$("$VZCTL" migrate $CT 127.0.0.1 --online --memory "$2" --json 2>&1) || { echo "$out" >&2; exit 1; }
	fz=$(echo "$out" | sed -n 's/.*"frozen_ms": *\([0-9]*\).*/\1/p')
	tt=$(echo "$out" | sed -n 's/.*"total_ms": *\([0-9]*\).*/\1/p')
	f=$(echo "$fz" | awk '{printf "%.3f", $1/1000}'); t=$(echo "$tt" | awk '{printf "%.3f", $1/1000}')
	ROWS+=("$1 vz-migrate-online $2 $f $t -")
	json "$1" vz-migrate "$2" "$f" "$t"
}

ROWS=()
json() { echo "JSON {\"bench\":\"cr\",\"size_mib\":$1,\"method\":\"$2\",\"memory\":\"$3\",\"frozen_s\":$4,\"total_s\":$5}"; }
for size in $SIZES; do
	# vz chkpnt/restore
	ct_up "$A" "$size" || { echo "cr.sh: cannot start a $size MiB container" >&2; exit 1; }
	t0=$(now); "$VZCTL" -q chkpnt $CT >/dev/null || exit 1; t1=$(now)
	"$VZCTL" -q restore $CT >/dev/null || exit 1; t2=$(now)
	ROWS+=("$size vz-chkpnt/restore - $(dt "$t0" "$t2") $(dt "$t0" "$t2") dump=$(dt "$t0" "$t1")s")
	json "$size" vz local "$(dt "$t0" "$t2")" "$(dt "$t0" "$t2")"
	# the same CRIU commands by hand, on a freshly started container as vz's
	# was (a tree CRIU restored has another memory layout: its dump is not
	# the same work)
	dcmd=$(cat "$A/dump/$CT/vz-dump.log.cmd"); rcmd=$(cat "$A/dump/$CT/vz-restore.log.cmd")
	ct_fresh "$A" "$size" || { echo "cr.sh: cannot restart the $size MiB container" >&2; exit 1; }
	pid=$("$VZCTL" status $CT -j | sed -n 's/.*"init_pid": *\([0-9]*\).*/\1/p')
	dcmd=$(echo "$dcmd" | sed "s/--tree=[0-9]*/--tree=$pid/")
	t0=$(now); $dcmd || { echo "cr.sh: criu dump by hand failed" >&2; exit 1; }; t1=$(now)
	sleep 0.5   # vzd's monitor releases the cgroup of the dumped container
	t1b=$(now)
	criu_restore_by_hand "$rcmd" || { echo "cr.sh: criu restore by hand failed" >&2; exit 1; }; t2=$(now)
	tot=$(echo "$t0 $t1 $t1b $t2" | awk '{ printf "%.3f", ($2 - $1) + ($4 - $3) }')
	ROWS+=("$size criu-by-hand - $tot $tot dump=$(dt "$t0" "$t1")s")
	json "$size" criu local "$tot" "$tot"
	# migration
	if [ "$MIGRATE" = 1 ]; then
		migrate_row "$size" stop-and-copy
		ct_down "$BR"
		# post-copy, from a fresh container holding the same memory
		ct_up "$A" "$size" || { echo "cr.sh: cannot start a $size MiB container" >&2; exit 1; }
		migrate_row "$size" post-copy
		ct_down "$BR"
	else
		ct_down "$A"
	fi
done
printf '%-8s %-22s %-14s %9s %9s  %s\n' "MiB" "method" "memory" "frozen_s" "total_s" "note"
for r in "${ROWS[@]}"; do
	# shellcheck disable=SC2086
	printf '%-8s %-22s %-14s %9s %9s  %s\n' $r
done
