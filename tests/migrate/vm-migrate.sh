#!/bin/bash
# VM migration between the two test hosts through the authenticated ssh
# channel (the disk's NBD connection and QEMU's migration stream are
# multiplexed over it): a busybox VM (TCG) whose guest runs a counter.
# First a destination that fails once its incoming QEMU is ready
# (VZ_MIGRATE_FAULT=fail:vm_stream): the VM runs on A as before, counting,
# and B holds nothing; the same when B's vzd is killed there (its restart
# removes the incoming VM).  Then online A -> B: the counter goes on there,
# the disk came along, A holds nothing, and a client pinging the guest
# through its tap (anti-spoofing rules as for any NIC) reaches it on B.
# Last offline B -> A (stop, sparse image copy, boot).  Two guest boots
# plus the copies (~40 s with TCG).
# VZ_LONG_TESTS=1 adds a failure after the hand-over (a third boot).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
require_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
[ -x /usr/sbin/qemu-ga ] || skip_all "qemu-ga not installed (apt-get install qemu-guest-agent)"
ensure_template busybox || skip_all "cannot build the busybox template"
ensure_vm_kit || skip_all "cannot build the VM kit: $(tail -n1 "$VZ_BUILDDIR/tests/vmkit.log")"
# The VM's NIC: a tap on each host's br0 (vz leaves an existing bridge as
# it is), the guest at $SUBNET.7/24, the client at $SUBNET.9 pings it.
VZ_EXTRA_CONF="VM_PROBE_TIMEOUT=\"8\"
VZ_BRIDGE=\"br0\"
BRIDGE_ADDRESS=\"$SUBNET.1/24\""
FAULT_B=fail:vm_stream
two_hosts
# Fixed bridge MACs, as vz gives its own bridges: a bridge otherwise takes
# its lowest port's MAC, so a VM tap coming and going changes it, and the
# other host's cached ARP entry sends to a MAC nobody has for seconds (ssh
# between the hosts then timed out).
ip -n "$NS_A" link set br0 address 02:00:00:00:72:51 &&
	ip -n "$NS_B" link set br0 address 02:00:00:00:72:52 || skip_all "cannot set the bridges' MACs"
ln -s "$VM_KIT" "$ROOT_A/template/vm"
ln -s "$VM_KIT" "$ROOT_B/template/vm"
if [ -n "${VZ_LONG_TESTS:-}" ]; then plan 39; else plan 35; fi
CT=7301

# count CTID: the guest's counter, through the guest agent.
count() { vzctl exec2 "$1" 'cat /tmp/count' 2>/dev/null; }
# counting HOST CTID AFTER: the counter on HOST goes beyond AFTER within 10 s.
counting() { wait_for 10 sh -c "[ \"\$(VZ_CONF=\$CONF_$1 '$VZCTL_BIN' exec2 $2 'cat /tmp/count' 2>/dev/null)\" -gt '${3:-0}' ] 2>/dev/null"; }
export CONF_A CONF_B
# vm_gone ROOT: no QEMU of $CT, no run dir of it, nothing of the migration.
vm_gone() { host_clean "$1" $CT && [ ! -e "$1/run/$CT.vm/qemu.pid" ] && ! pgrep -f "$1/run/$CT.vm" >/dev/null; }

check_rc 0 "A: create the VM" on_a vzctl create $CT --vmtype vm --ostemplate busybox --diskspace 128M
on_a vzctl set $CT --ipadd "$SUBNET.7" --save >/dev/null
check_rc 0 "A: start it" on_a vzctl start $CT
check_rc 0 "A: start a counter in the guest" on_a vzctl exec $CT \
	'echo from-a > /root/mark; (i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done) </dev/null >/dev/null 2>&1 &'
qemu_a=$(on_a ct_init_pid $CT)
# client_ping: the client reaches the guest (a few tries: ARP, a loaded host).
client_ping() { ip netns exec "$NS_C" ping -c 1 -W 1 "$SUBNET.7" >/dev/null 2>&1 || ip netns exec "$NS_C" ping -c 3 -W 2 "$SUBNET.7" >/dev/null 2>&1; }
check "the client pings the guest on A" wait_for 20 client_ping

check_rc 0 "dry run: no blockers" on_a vzctl migrate $CT "$SUBNET.252" --online --dry-run
check "... and nothing changed on B" test ! -e "$ROOT_B/conf/$CT.conf"
mv "$ROOT_B/template/vm" "$ROOT_B/template/vm.off"
check_rc 21 "dry run: B without the VM kit is a blocker" on_a vzctl migrate $CT "$SUBNET.252" --online --dry-run
check "... named" contains "$OUT" "destination: no VM kit"
mv "$ROOT_B/template/vm.off" "$ROOT_B/template/vm"

# B fails with its incoming QEMU prepared and the image made
before=$(on_a count $CT)
check_rc 3 "B fails at vm_stream: the migration fails" on_a vzctl migrate $CT "$SUBNET.252" --online
check "... naming B's error" contains "$OUT" "destination: injected failure at vm_stream"
check "... the VM still runs on A, same QEMU" test "$(on_a ct_init_pid $CT)" = "$qemu_a"
check "... not paused: counting on ($before -> more)" counting A $CT "$before"
check "... nothing of it left on B" wait_for 10 vm_gone "$ROOT_B"

# B's vzd dies with the incoming QEMU running; its restart cleans up
ROOT=$ROOT_B VZ_CONF=$CONF_B host_vzd "$NS_B" VZ_MIGRATE_FAULT=kill:vm_stream
check_rc 3 "B's vzd killed at vm_stream: the migration fails" on_a vzctl migrate $CT "$SUBNET.252" --online
check "... the VM still runs on A, same QEMU" test "$(on_a ct_init_pid $CT)" = "$qemu_a"
ROOT=$ROOT_B VZ_CONF=$CONF_B host_vzd "$NS_B"
check "... B's restarted vzd removed the incoming QEMU and VM" wait_for 10 vm_gone "$ROOT_B"

on_a vzctl suspend $CT >/dev/null
check_rc 21 "a suspended VM is refused for online migration" on_a vzctl migrate $CT "$SUBNET.252" --online
check "... saying so, and B is untouched" sh -c "echo '$OUT' | grep -q 'is suspended' && [ ! -e '$ROOT_B/conf/$CT.conf' ]"
on_a vzctl resume $CT >/dev/null
check_rc 21 "online with --new-id is refused (the MAC follows the CTID)" on_a vzctl migrate $CT "$SUBNET.252" --online --new-id 7302

# online A -> B
before=$(on_a count $CT)
t0=$(date +%s%N)
ip netns exec "$NS_C" ping -i 0.1 -W 1 "$SUBNET.7" >"$ROOT_A/ping.out" 2>&1 &
pinger=$!
at_exit "kill $pinger 2>/dev/null"
check_rc 0 "online migration A -> B" on_a vzctl migrate $CT "$SUBNET.252" --online --timings
diag "$(echo "$OUT" | grep -iA10 timings) (wall $((($(date +%s%N) - t0) / 1000000)) ms)"
check "... the report names the stages and the downtime" sh -c "echo '$OUT' | grep -q mirror_migrate && echo '$OUT' | grep -qi frozen"
check "B: the VM runs" contains "$(on_b vzctl status $CT)" "running"
check "B: its tap is on B's bridge" ip netns exec "$NS_B" sh -c "ip link show master br0 | grep -q 'vz${CT}t0'"
sleep 2
kill -INT $pinger 2>/dev/null
wait $pinger 2>/dev/null
diag "client's ping through the migration: $(grep -E 'transmitted|rtt' "$ROOT_A/ping.out" | tr '\n' ' ')"
check "the client pings the guest on B (the switch learnt the move)" client_ping
check "B: the counter goes on from where it was ($before -> more)" counting B $CT "$before"
check "A: QEMU gone, nothing of the VM left" vm_gone "$ROOT_A"
check "A: its tap is gone" sh -c "! ip netns exec $NS_A ip link show vz${CT}t0 >/dev/null 2>&1"
check_rc 0 "B: the disk came along (cold page cache)" on_b vzctl exec2 $CT \
	'sync; echo 3 > /proc/sys/vm/drop_caches; md5sum /bin/busybox; cat /root/mark'
check "... same busybox, and the file written on A" test "$OUT" = "$(md5sum </bin/busybox | cut -d' ' -f1)  /bin/busybox
from-a"
check "B: the config follows B's paths" grep -q "VE_PRIVATE=\"$ROOT_B/private/$CT\"" "$ROOT_B/conf/$CT.conf"

# VZ_LONG_TESTS=1: A fails the commit, after B's QEMU handed the guest over:
# B boots the VM again from its disk (its RAM state is gone) and A holds nothing.
if [ -n "${VZ_LONG_TESTS:-}" ]; then
	ROOT=$ROOT_A host_vzd "$NS_A" VZ_MIGRATE_FAULT=fail:commit
	check_rc 3 "long: A fails the commit: the migration B -> A fails" on_b vzctl migrate $CT "$SUBNET.251" --online
	diag "$(echo "$OUT" | tail -n 2)"
	check "long: B booted the VM again" contains "$(on_b vzctl status $CT)" "running"
	check_rc 0 "long: ... from its disk" on_b vzctl exec2 $CT 'cat /root/mark'
	check "long: nothing of it on A" wait_for 10 vm_gone "$ROOT_A"
	ROOT=$ROOT_A host_vzd "$NS_A"
fi

# offline B -> A: stopped, the image copied sparse, started there
check_rc 0 "offline migration B -> A" on_b vzctl migrate $CT "$SUBNET.251" --timings
diag "$(echo "$OUT" | grep -iA8 timings)"
check "A: the VM runs again" contains "$(on_a vzctl status $CT)" "running"
check "A: the image stayed sparse" test "$(du -k "$ROOT_A/private/$CT/root.img" | cut -f1)" -lt 100000
check_rc 0 "A: the file written before is there" on_a vzctl exec2 $CT 'cat /root/mark'
check "B: nothing of the VM left" vm_gone "$ROOT_B"
on_a vzctl stop $CT --fast >/dev/null 2>&1
finish
