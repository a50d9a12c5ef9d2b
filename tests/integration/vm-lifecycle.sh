#!/bin/bash
# A VM's whole life under vz, with TCG (or KVM where the probe finds it
# working): create from the busybox template (disk image + VM kit), start,
# the QEMU confined (own user, seccomp, the CTID's cgroup, tap on the
# bridge), exec through the guest agent in the VM's own kernel, console,
# suspend/resume, live disk growth, ping with a peer on the bridge, survive a
# vzd kill -9, stop with the ACPI power button, a guest's own power-off
# cleaned up by vzd, destroy leaving nothing behind.  Two guest boots
# (~10 s each with TCG).
. "$(dirname "$0")/lib.sh"

require_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
[ -x /usr/sbin/qemu-ga ] || skip_all "qemu-ga not installed (apt-get install qemu-guest-agent)"
[ -e /dev/net/tun ] || skip_all "no /dev/net/tun"
ensure_template busybox || skip_all "cannot build the busybox template"
ensure_vm_kit || skip_all "cannot build the VM kit: $(tail -n1 "$VZ_BUILDDIR/tests/vmkit.log")"

plan 42

CT=7101
# A short probe: on hosts where /dev/kvm hangs guests, fall back quickly.
VZ_EXTRA_CONF='VM_PROBE_TIMEOUT="8"
BRIDGE_ADDRESS="10.77.0.1/24"'
instance_up vm1

# QEMU (pid $1, if given) has ended, and the tap and run dir are gone.  A
# zombie counts as ended: after the kill -9 of vzd, QEMU's parent is the
# host's PID 1, which on some hosts never reaps.
vm_host_side_gone() {
	if [ -n "${1:-}" ] && grep -qv '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; then return 1; fi
	[ ! -e "$ROOT/run/$CT.vm" ] && ! hostnet ip link show dev "vz${CT}t0" >/dev/null 2>&1
}
tap_on_bridge() { hostnet ip -o link show dev "vz${CT}t0" | grep -q 'master vzbr0'; }
vm_down_and_clean() { vm_host_side_gone && ! vzctl status $CT | grep -q running; }
ln -s "$VM_KIT" "$ROOT/template/vm"
# The instance's bridge (vzbr0 in its vzd's network namespace) appears with
# the VM's tap.  A peer, in a network namespace of its own, joins it after
# start (what a container's veth is): 10.77.0.3.
NS="vzvmns$$"
VH="vzvmh$$"
VH=${VH:0:15}

check_rc 21 "create --vmtype bogus is refused" vzctl create $CT --vmtype bogus
check "... naming the value" contains "$OUT" "--vmtype \`bogus\`: expected ct or vm"
check_rc 0 "create --vmtype vm" vzctl create $CT --vmtype vm --ostemplate busybox \
	--hostname vm7.example --ipadd 10.77.0.2 --diskspace 256M
check "the private area is one disk image of 256M" \
	test "$(stat -c %s "$ROOT/private/$CT/root.img")" -eq $((256 << 20))
check "vzlist shows TYPE VM" contains "$(vzlist -a -o ctid,type -H)" "VM"

check_rc 0 "start" vzctl start $CT
st=$(vzctl status $CT)
check "status: running" contains "$st" "exist unmounted running"
check "status names the acceleration" contains "$st" "VM acceleration"
pid=$(ct_init_pid $CT)
check "QEMU runs as the VM user" test "$(ps -o user= -p "$pid")" = vz-qemu
check "QEMU is confined by seccomp" grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"
check "QEMU is in the CTID's cgroup" grep -q "vzt-vm1-$$/$CT" "/proc/$pid/cgroup"
check "the tap is on the instance's bridge" tap_on_bridge
check_rc 0 "set --cpuunits 2000 --cpulimit 50 on the running VM" vzctl set $CT --cpuunits 2000 --cpulimit 50
check "... reaches QEMU's cgroup at once" test "$(cat /sys/fs/cgroup/cpu/vzt-vm1-$$/$CT/cpu.shares) $(cat /sys/fs/cgroup/cpu/vzt-vm1-$$/$CT/cpu.cfs_quota_us)" = "2048 50000"
ip netns add "$NS" && at_exit "ip netns del '$NS' 2>/dev/null"
hostnet ip link add "$VH" type veth peer name eth0 netns "$NS"
hostnet ip link set "$VH" master vzbr0 up
ip -n "$NS" addr add 10.77.0.3/24 dev eth0
ip -n "$NS" link set eth0 up

check_rc 0 "exec through the guest agent" vzctl exec2 $CT 'hostname; uname -r; ip -4 addr show eth0; ip route'
check "the guest got its host name" contains "$OUT" "vm7.example"
check "the guest runs its own kernel" test "$(echo "$OUT" | sed -n 2p)" != "$(uname -r)"
check "the guest got its address, with the bridge's prefix" contains "$OUT" "10.77.0.2/24"
check "... and the bridge as its gateway" contains "$OUT" "default via 10.77.0.1"
check_rc 3 "exec2 returns the guest command's status" vzctl exec2 $CT 'exit 3'
check_rc 0 "the guest pings a peer on the bridge" vzctl exec2 $CT 'ping -c 2 -W 5 10.77.0.3'
check_rc 0 "the guest pings the host's bridge address" vzctl exec2 $CT 'ping -c 2 -W 5 10.77.0.1'
check "the peer pings the guest" sh -c "ip netns exec '$NS' ping -c 2 -W 5 10.77.0.2 >/dev/null"
# A container of the same instance on the same bridge: CT and VM see each
# other like any two tenants of one host.
CT2=7102
check_rc 0 "a container with a NIC on the same bridge starts" sh -c \
	"'$VZCTL_BIN' create $CT2 --ostemplate busybox >/dev/null && '$VZCTL_BIN' set $CT2 --netif_add eth0 --ipadd 10.77.0.4 --save >/dev/null && '$VZCTL_BIN' start $CT2"
check_rc 0 "the container pings the VM" vzctl exec2 $CT2 'ping -c 2 -W 5 10.77.0.2'
check_rc 0 "the VM pings the container" vzctl exec2 $CT 'ping -c 2 -W 5 10.77.0.4'
check_rc 0 "the container goes away" sh -c "'$VZCTL_BIN' stop $CT2 --fast >/dev/null && '$VZCTL_BIN' destroy $CT2 >/dev/null"

out=$( (sleep 1; echo 'echo console-$((6*7))'; sleep 2) | timeout 30 "$VZCTL_BIN" console $CT 2>&1)
check "console: a shell answers on the serial port" contains "$out" "console-42"

check_rc 0 "suspend" vzctl suspend $CT
check "status: suspended" contains "$(vzctl status $CT)" "suspended"
check_rc 0 "resume" vzctl resume $CT

check_rc 0 "set --diskspace grows the disk live" vzctl set $CT --diskspace 320M --save
check_rc 0 "the guest sees the new size" vzctl exec2 $CT 'cat /sys/block/vda/size'
check "... of 320M" test "$(echo "$OUT" | tr -d '\r ')" = $((320 << 11))

vzd_kill9
vzd_start
check "a vzd restarted after kill -9 finds the VM running" test "$(ct_init_pid $CT)" = "$pid"

check_rc 0 "stop (ACPI power button)" vzctl stop $CT
check "QEMU is gone, and so are the tap and run dir" \
	vm_host_side_gone "$pid"

# A guest that powers off by itself: vzd's monitor releases the tap and run dir.
check_rc 0 "start again" vzctl start $CT
check_rc 0 "poweroff inside the guest" vzctl exec $CT '(sleep 1; poweroff) </dev/null >/dev/null 2>&1 &'
for _ in $(seq 120); do
	vm_host_side_gone && break
	sleep 0.5
done
check "vzd cleaned up after the guest's own power-off" \
	vm_down_and_clean
check_rc 0 "destroy" vzctl destroy $CT
check "nothing of the VM is left" ct_gone $CT
finish
