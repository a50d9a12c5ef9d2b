#!/bin/bash
# Disk space and disk I/O limits on the real kernel.  A container created
# with DISKSPACE gets an image-backed private area (sparse ext4 image on a
# loop device): writing past the limit fails with ENOSPC inside while the
# host loses no more than the image, --diskspace grows it online, destroy
# and a failed create leave no loop device behind; IOLIMIT/IOPSLIMIT
# throttle direct I/O on that device to within 15%.
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
command -v mkfs.ext4 >/dev/null && command -v resize2fs >/dev/null || skip_all "needs e2fsprogs"
[ -e /dev/loop-control ] || skip_all "no loop devices"
plan 27
instance_up main
CG=vzt-main-$$
loops() { losetup -a 2>/dev/null | grep -F "$ROOT/" ; }
host_free_kb() { df -k --output=avail "$ROOT" | tail -1 | tr -d ' '; }
x() { "$VZCTL_BIN" exec2 101 "$@" 2>&1; }

cat >"$ROOT/conf/ve-disk.conf-sample" <<CONF
DISKSPACE="64M"
DISKINODES="4000"
NUMPROC="200"
CONF
check_rc 0 "create with DISKSPACE 64M" vzctl create 101 --config disk
check "the config records VE_LAYOUT=image" grep -q '^VE_LAYOUT="image"' "$ROOT/conf/101.conf"
check "the private area is a 64 MiB sparse image" \
	test "$(stat -c %s "$ROOT/private/101/root.img")" = $((64 << 20))
check "no loop device is attached while the container is down" test -z "$(loops)"
vzctl -q start 101 || { not_ok "start 101"; exit 1; }
check "VE_ROOT is the image, mounted from a loop device" test "$(loops | wc -l)" = 1
check "inside, df shows about 64 MiB" test "$(x df -k / | awk 'NR==2 { print $2 }')" -gt 50000

free0=$(host_free_kb)
OUT=$(x 'dd if=/dev/zero of=/fill bs=1M count=200 2>&1; sync')
check "writing 200 MiB fails with ENOSPC inside" contains "$OUT" "No space left on device"
free1=$(host_free_kb)
diag "host free space: $free0 KiB before, $free1 KiB after"
# Other tests write to the same disk meanwhile, so the host's loss is
# measured where it happens: the blocks the image file holds.
used=$(($(stat -c '%b * %B' "$ROOT/private/101/root.img")))
check "the host lost at most the limit ($((used >> 20)) MiB allocated to the image)" test "$used" -le $((64 << 20))
check "vzlist shows the disk use near the limit" test "$(vzlist -H -o diskspace 101 | tr -d ' ')" -gt 50000
check "DISKINODES sets the inode count" test "$(x df -i / | awk 'NR==2 { print $2 }')" -le 4096
x rm /fill

check_rc 0 "--diskspace 128M on the running container" vzctl set 101 --diskspace 128M --save
# ext4's online resize needs CAP_SYS_RESOURCE; without it vz grows the
# file system at the next start.
if [ $((0x$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24 & 1)) -eq 1 ]; then
	check "inside, df shows about 128 MiB at once" test "$(x df -k / | awk 'NR==2 { print $2 }')" -gt 110000
else
	ok "# SKIP online growth: this host withholds CAP_SYS_RESOURCE (ext4 resize ioctl)"
	check "... vzctl says the size applies at the next start" contains "$OUT" "take effect only when the container starts"
	vzctl -q restart 101 --fast
	check "after a restart, df shows about 128 MiB" test "$(x df -k / | awk 'NR==2 { print $2 }')" -gt 110000
fi
check "... and 100 MiB can be written" sh -c "'$VZCTL_BIN' exec2 101 'dd if=/dev/zero of=/more bs=1M count=100 && rm /more' >/dev/null 2>&1"
vzctl -q stop 101 --fast
check_rc 0 "--diskspace 160M on the stopped container (offline resize)" vzctl set 101 --diskspace 160M --save
vzctl -q start 101
check "after the start, df shows about 160 MiB" test "$(x df -k / | awk 'NR==2 { print $2 }')" -gt 140000
check_rc 21 "shrinking the image is refused" vzctl set 101 --diskspace 32M
check_rc 21 "create --diskspace 12Q is refused" vzctl create 104 --diskspace 12Q
check "... leaving nothing" test ! -e "$ROOT/conf/104.conf" -a ! -e "$ROOT/private/104"
check_rc 21 "DISKSPACE on a plain-directory container is refused" sh -c \
	"'$VZCTL_BIN' create 102 >/dev/null && '$VZCTL_BIN' set 102 --diskspace 1G"

# rate_of SECONDS_EXPECTED COMMAND: run it in 101, print the elapsed seconds.
elapsed() {
	_t0=$(date +%s%N)
	x "$1" >/dev/null
	awk -v a="$_t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

vzctl -q set 101 --iolimit 2M
dev=$(loops | cut -d: -f1)
check "the bytes/s throttle sits on the container's loop device" \
	grep -q "^$(lsblk -no MAJ:MIN "$dev" | tr -d ' ') 2097152" "/sys/fs/cgroup/blkio/$CG/101/blkio.throttle.write_bps_device"
ok_bps=false
for try in 1 2 3; do
	# 8 MiB at 2 MiB/s: 4 s; within 15% of the rate is 3.48 .. 4.7 s.
	t=$(elapsed 'dd if=/dev/zero of=/io bs=256k count=32 oflag=direct')
	rate=$(awk -v t="$t" 'BEGIN { printf "%.2f", 8 / t }')
	diag "try $try: 8 MiB direct in $t s = $rate MiB/s"
	within "$rate" 1.70 2.30 && { ok_bps=true; break; }
done
check "--iolimit 2M holds direct writes within 15% of 2 MiB/s (got $rate)" $ok_bps
vzctl -q set 101 --iolimit 0 --iopslimit 100
ok_iops=false
for try in 1 2 3; do
	# 400 writes of 4 KiB at 100/s: 4 s.
	t=$(elapsed 'dd if=/dev/zero of=/io bs=4k count=400 oflag=direct')
	rate=$(awk -v t="$t" 'BEGIN { printf "%.0f", 400 / t }')
	diag "try $try: 400 direct writes in $t s = $rate ops/s"
	within "$rate" 85 115 && { ok_iops=true; break; }
done
check "--iopslimit 100 holds direct writes within 15% of 100/s (got $rate)" $ok_iops

vzctl -q stop 101 --fast
vzctl -q destroy 101
check "destroy leaves no loop device and no private area" \
	test -z "$(loops)" -a ! -e "$ROOT/private/101"
check_rc 0 "(create --diskspace 1M fails: the template does not fit)" sh -c "! '$VZCTL_BIN' create 103 --diskspace 1M"
check "a failed create leaves no loop device, image or config" \
	test -z "$(loops)" -a ! -e "$ROOT/private/103" -a ! -e "$ROOT/private/103.partial" -a ! -e "$ROOT/conf/103.conf"
finish
