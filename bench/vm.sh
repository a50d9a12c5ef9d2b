#!/bin/bash
# VM benchmark: start-to-userspace time of a VM through vz against the same
# guest booted by a plain `qemu-system-x86_64` command typed by hand, and the
# host memory an idle VM costs beyond its guest RAM.
#
#   bench/vm.sh            (root; VZ_BUILDDIR = build tree, default ./build)
#
# "Userspace" is the first line the image's own userspace prints on the
# serial console (the kit's vminit: "vz-guest: userspace up"), so both
# sides boot the same kernel, initramfs and disk to the same point.  vz's
# time includes the vzctl -> vzd round trip, the tap-less QEMU launch as the
# VM user under seccomp in the CTID's cgroup and the QMP handshake; the
# acceleration probe is done once before the runs and not counted.
# Memory: the QEMU process's Rss minus the Rss of its guest RAM mapping,
# after the guest idled for BENCH_VM_IDLE seconds.
#
# Prints a table, then the rows as TSV (group name unit median p25 p75 n
# note) and appends them to $BENCH_RESULTS when the harness (bench/run.sh)
# sets it.  BENCH_VM_RUNS (default 3) boots per side.  Never fails for being
# slow; exit status 0 unless it could not run at all.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
VZ_SRCDIR=${VZ_SRCDIR:-$(dirname "$BENCH_DIR")}
VZ_BUILDDIR=${VZ_BUILDDIR:-$VZ_SRCDIR/build}
RUNS=${BENCH_VM_RUNS:-3}
IDLE=${BENCH_VM_IDLE:-10}
QEMU=${QEMU:-qemu-system-x86_64}
CT=9901
die() { echo "bench/vm.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"
command -v "$QEMU" >/dev/null || die "$QEMU not installed (apt-get install qemu-system-x86)"
[ -x "$VZ_BUILDDIR/src/vzd" ] || die "vz is not built in $VZ_BUILDDIR"
VZCTL="$VZ_BUILDDIR/src/vzctl"

KIT="$VZ_BUILDDIR/tests/vmkit"
[ -f "$KIT/vmlinuz" ] || "$VZ_SRCDIR/templates/vm/mkkit.sh" "$KIT" >&2 || die "cannot build the VM kit"
CACHE="$VZ_BUILDDIR/tests/cache"
[ -f "$CACHE/busybox.tar.gz" ] || "$VZ_SRCDIR/templates/vz-mktemplate" --cache "$CACHE" busybox >&2 ||
	die "cannot build the busybox template"

ROOT=$(mktemp -d /tmp/vz-bench-vm.XXXXXX)
chmod 755 "$ROOT"
mkdir -p "$ROOT/template/cache" "$ROOT/conf"
ln -s "$KIT" "$ROOT/template/vm"
ln -s "$CACHE/busybox.tar.gz" "$ROOT/template/cache/busybox.tar.gz"
cat >"$ROOT/vz.conf" <<CONF
CONF_DIR="$ROOT/conf"
VE_ROOT="$ROOT/root/\$VEID"
VE_PRIVATE="$ROOT/private/\$VEID"
TEMPLATE="$ROOT/template"
LOCKDIR="$ROOT/lock"
VZ_RUN_DIR="$ROOT/run"
CGROUP_PARENT="vzbench-vm-$$"
USERNS_BASE="300000000"
STOP_TIMEOUT="20"
CONF
export VZ_CONF="$ROOT/vz.conf"
"$VZ_BUILDDIR/src/vzd" --vz-conf "$VZ_CONF" >"$ROOT/vzd.log" 2>&1 &
VZD=$!
PLAIN=
cleanup() {
	[ -n "$PLAIN" ] && kill -9 "$PLAIN" 2>/dev/null
	"$VZCTL" -q stop $CT --fast >/dev/null 2>&1
	"$VZCTL" -q destroy $CT >/dev/null 2>&1
	kill "$VZD" 2>/dev/null
	wait "$VZD" 2>/dev/null
	for c in /sys/fs/cgroup/*/"vzbench-vm-$$"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
	rm -rf "$ROOT"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$ROOT/run/vzd.sock" ] && break; sleep 0.05; done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_mark FILE TIMEOUT_S: until FILE holds the userspace line.
wait_mark() {
	local end=$(($(now_ms) + $2 * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		grep -qs "vz-guest: userspace up" "$1" && return 0
		sleep 0.02
	done
	return 1
}
# median/p25/p75 of numbers on stdin, one per line
stats() { sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "- - - 0"; exit }
	printf "%s %s %s %d\n", v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)], NR }'; }
# guest_overhead PID RAM_MB: Rss of QEMU minus Rss of its guest RAM mapping (KiB)
overhead_kb() {
	awk -v ram=$(($2 * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { cur = 0 }
		/^Size:/ { cur = ($2 == ram) }
		/^Rss:/ { total += $2; if (cur) { guest += $2; cur = 0 } }
		END { print total - guest, total }' "/proc/$1/smaps"
}

"$VZCTL" -q create $CT --vmtype vm --ostemplate busybox >/dev/null || die "vzctl create failed"
# Warm-up (and the one-time acceleration probe).
"$VZCTL" -q start $CT >/dev/null || die "vzctl start failed: $(tail -n 3 "$ROOT/vzd.log")"
wait_mark "$ROOT/run/$CT.vm/console.log" 120 || die "the VM did not reach userspace"
ACCEL=$("$VZCTL" status $CT | sed -n 's/^VM acceleration \([a-z]*\).*/\1/p')
"$VZCTL" -q stop $CT --fast >/dev/null

vz_times=$ROOT/vz.times plain_times=$ROOT/plain.times
: >"$vz_times"
: >"$plain_times"
for i in $(seq "$RUNS"); do
	t0=$(now_ms)
	"$VZCTL" -q start $CT >/dev/null || continue
	wait_mark "$ROOT/run/$CT.vm/console.log" 120 && echo $(($(now_ms) - t0)) >>"$vz_times"
	if [ "$i" -eq "$RUNS" ]; then
		sleep "$IDLE"
		read -r vz_over vz_rss < <(overhead_kb "$(cat "$ROOT/run/$CT.vm/qemu.pid")" 256)
	fi
	"$VZCTL" -q stop $CT --fast >/dev/null
done

# The same guest by hand: same kernel, initramfs and disk, serial to a file.
disk=$ROOT/plain.img
cp --sparse=always "$ROOT/private/$CT/root.img" "$disk"
for i in $(seq "$RUNS"); do
	log=$ROOT/plain.$i.log
	t0=$(now_ms)
	"$QEMU" -machine "q35,accel=${ACCEL:-tcg}" -m 256 -nodefaults -display none -no-reboot \
		-kernel "$KIT/vmlinuz" -initrd "$KIT/initrd.img" -append "console=ttyS0 panic=-1 quiet" \
		-drive "file=$disk,if=virtio,format=raw" -serial "file:$log" </dev/null >/dev/null 2>&1 &
	PLAIN=$!
	wait_mark "$log" 120 && echo $(($(now_ms) - t0)) >>"$plain_times"
	if [ "$i" -eq "$RUNS" ]; then
		sleep "$IDLE"
		read -r plain_over plain_rss < <(overhead_kb "$PLAIN" 256)
	fi
	kill -9 "$PLAIN"
	wait "$PLAIN" 2>/dev/null
	PLAIN=
done

read -r vm vp25 vp75 vn < <(stats <"$vz_times")
read -r pm pp25 pp75 pn < <(stats <"$plain_times")
rows=$(printf '%s\n' \
	"vm-start	vz	ms	$vm	$vp25	$vp75	$vn	accel ${ACCEL:-tcg}; vzctl start to guest userspace" \
	"vm-start	qemu-by-hand	ms	$pm	$pp25	$pp75	$pn	same kernel/initrd/disk, root, no sandbox" \
	"vm-idle-mem	vz	KiB	${vz_over:--}	-	-	1	QEMU Rss beyond guest RAM (total ${vz_rss:--} KiB, 256 MiB guest)" \
	"vm-idle-mem	qemu-by-hand	KiB	${plain_over:--}	-	-	1	QEMU Rss beyond guest RAM (total ${plain_rss:--} KiB)")

printf '%-12s %-13s %10s %10s %10s %4s  %s\n' GROUP NAME MEDIAN P25 P75 N NOTE
printf '%s\n' "$rows" | while IFS=$'\t' read -r g n u m a b c note; do
	printf '%-12s %-13s %10s %10s %10s %4s  %s\n' "$g" "$n" "$m $u" "$a" "$b" "$c" "$note"
done
if [ -n "$vm" ] && [ -n "$pm" ] && [ "$pm" != "-" ] && [ "$pm" -gt 0 ]; then
	echo "vz / by hand (start): $(awk -v a="$vm" -v b="$pm" 'BEGIN { printf "%.2f", a / b }')"
fi
echo
echo "# TSV: group name unit median p25 p75 n note"
printf '%s\n' "$rows"
[ -n "${BENCH_RESULTS:-}" ] && printf '%s\n' "$rows" >>"$BENCH_RESULTS"
exit 0
