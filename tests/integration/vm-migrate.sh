#!/bin/bash
# VM live migration, QEMU side, between two vz instances on this host: the
# disk is mirrored over NBD (no shared storage), RAM and devices go over a
# socketpair standing in for the vzd-to-vzd channel (tests/vm/
# vm-migrate-local drives the library as the transport will).  A counter
# started in the guest keeps counting on the destination; the source QEMU is
# gone.  One guest boot plus the copy (~30 s with TCG).
. "$(dirname "$0")/lib.sh"

require_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
[ -x /usr/sbin/qemu-ga ] || skip_all "qemu-ga not installed (apt-get install qemu-guest-agent)"
ensure_template busybox || skip_all "cannot build the busybox template"
ensure_vm_kit || skip_all "cannot build the VM kit: $(tail -n1 "$VZ_BUILDDIR/tests/vmkit.log")"
HELPER="$VZ_BUILDDIR/tests/vm/vm-migrate-local"
[ -x "$HELPER" ] || skip_all "tests/vm/vm-migrate-local is not built (make check builds it)"

plan 14
CT=7201
VZ_EXTRA_CONF='VM_PROBE_TIMEOUT="8"'
instance_up a 310000000
A_CONF=$VZ_CONF A_ROOT=$ROOT
ln -s "$VM_KIT" "$A_ROOT/template/vm"
instance_up b 410000000
B_CONF=$VZ_CONF B_ROOT=$ROOT
ln -s "$VM_KIT" "$B_ROOT/template/vm"
a() { VZ_CONF=$A_CONF "$@"; }
b() { VZ_CONF=$B_CONF "$@"; }

check_rc 0 "a: create the VM" a vzctl create $CT --vmtype vm --ostemplate busybox --diskspace 128M
check_rc 0 "a: start it" a vzctl start $CT
check_rc 0 "a: start a counter in the guest" a vzctl exec $CT \
	'echo from-source > /root/mark; (i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done) </dev/null >/dev/null 2>&1 &'
sleep 2
before=$(a vzctl exec2 $CT 'cat /tmp/count')
src_pid=$(a ct_init_pid $CT)

# The transport copies the config; the rest is the QEMU side.
cp "$A_ROOT/conf/$CT.conf" "$B_ROOT/conf/$CT.conf"
check_rc 3 "a migration whose disk mirror fails is refused..." "$HELPER" "$A_CONF" "$B_CONF" $CT --break-nbd
check "... and the VM keeps running on a" test "$(a ct_init_pid $CT)" = "$src_pid"
check_rc 0 "... not paused: the counter goes on" a vzctl exec2 $CT 'cat /tmp/count'
check "... ($before -> $OUT)" test "${OUT:-0}" -gt "${before:-0}"
rm -f "$B_ROOT/private/$CT/root.img"
check_rc 0 "migrate a -> b (block mirror + migration stream)" "$HELPER" "$A_CONF" "$B_CONF" $CT
check "a: the source QEMU is gone" sh -c "! grep -qv '^[^)]*) Z' /proc/$src_pid/stat 2>/dev/null"
check "b: the VM runs" contains "$(b vzctl status $CT)" "running"
sleep 1
check_rc 0 "b: the counter is still counting" b vzctl exec2 $CT 'cat /tmp/count'
check "... on from where it was ($before -> $OUT)" test "${OUT:-0}" -gt "${before:-0}"
check_rc 0 "b: the disk came along (read back with a cold page cache)" b vzctl exec2 $CT \
	'sync; echo 3 > /proc/sys/vm/drop_caches; md5sum /bin/busybox; cat /root/mark'
check "... same busybox, and the file written on a" test "$OUT" = "$(md5sum </bin/busybox | cut -d' ' -f1)  /bin/busybox
from-source"
b vzctl stop $CT --fast >/dev/null 2>&1
finish
