#!/bin/bash
# Checkpoint/restore of a container whose NICs vz made from its config: a
# bridged NETIF eth0 with an address on the instance bridge and a routed
# (venet0) address.  After restore the NICs are back with their names, MACs
# and addresses, vz's host side is back (host end alias, host route of the
# routed address, anti-spoofing chains), and a TCP client in the host's
# namespace keeps its connection to the container, counting without a gap.
. "$(dirname "$0")/../network/net-lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
require_net
net_instance cpt
need_criu
plan 23

check_rc 0 "create 101 with a bridged and a routed address" \
	vzctl create 101 --ostemplate busybox --ipadd 10.77.0.21 --ipadd 192.0.2.21
check_rc 0 "NETIF eth0 on the bridge" vzctl set 101 --netif_add eth0 --save
check_rc 0 "start 101" vzctl start 101
check "workload started" crw_start 101
wait_for 5 sh -c "[ -s '$ROOT/private/101/tmp/crw.state' ]"

nic_view() {
	in_ct 101 'ip -o link show eth0; ip -o addr show' | sed -E 's/^[0-9]+: //; s/@if[0-9]+//; s/ +(valid|preferred)_lft.*//' |
		grep -vE 'inet6 fe80|: lo' | sort
}
host_view() {
	hostnet ip -o link show veth101.0 | grep -o "master [^ ]*"
	hostnet ip -d link show veth101.0 | grep -o "alias .*"
	hostnet ip route show 192.0.2.21
	hostnet nft list ruleset | grep -cE 'chain p_|jump p_'
}
before_ct=$(nic_view)
before_host=$(host_view)
diag "container NICs: $(echo "$before_ct" | tr '\n' '|')"
check "eth0 and venet0 configured" sh -c "echo '$before_ct' | grep -q 10.77.0.21 && echo '$before_ct' | grep -q 192.0.2.21"

# The client: the host's namespace, at the bridge address.
if [ -f "$ROOT/netns" ]; then client_start "$(cat "$ROOT/netns")" 10.77.0.21 "$ROOT/client.out"
else client_start "" 10.77.0.21 "$ROOT/client.out"; fi
check "client receives ticks over the bridged NIC" wait_for 5 client_advances "$ROOT/client.out"

check_rc 0 "chkpnt 101" vzctl chkpnt 101
check "both NICs recorded" sh -c "grep -q '^eth0 veth101.0 $BRIDGE' '$ROOT/dump/101/vz-netif' && grep -q '^venet0 venet101 -' '$ROOT/dump/101/vz-netif'"
sleep 1
check_rc 0 "restore 101" vzctl restore 101 || sed -n '/Error/p' "$ROOT/dump/101/vz-restore.log" | head -5 | sed 's/^/# /'
check "running after restore" sh -c "[ \"\$(vzctl status 101)\" = 'CTID 101 exist mounted running' ]"
after_ct=$(nic_view)
check "NICs, MACs and addresses as before" [ "$before_ct" = "$after_ct" ]
[ "$before_ct" = "$after_ct" ] || diag "after: $(echo "$after_ct" | tr '\n' '|')"
after_host=$(host_view)
check "host side as before (bridge, alias, host route, rules)" [ "$before_host" = "$after_host" ]
[ "$before_host" = "$after_host" ] || diag "before: $(echo "$before_host" | tr '\n' '|') after: $(echo "$after_host" | tr '\n' '|')"
check "client connection survives and counts on" wait_for 10 client_advances "$ROOT/client.out"
check "client saw no gap or reset" client_continuous "$ROOT/client.out"
check "file offset, pipe, unix socket, /dev/shm intact" crw_intact 101
check "routed address reachable from the host" host_ping 192.0.2.21
check "the container reaches the bridge" ct_ping 101 10.77.0.1

# anti-spoofing is enforced again: a foreign source address goes nowhere
in_ct 101 'ip addr add 10.77.0.99/24 dev eth0' >/dev/null 2>&1
check "a spoofed source is dropped after restore" \
	sh -c "! $VZCTL_BIN exec2 101 'ping -c 1 -W 1 -I 10.77.0.99 10.77.0.1' >/dev/null 2>&1"
in_ct 101 'ip addr del 10.77.0.99/24 dev eth0' >/dev/null 2>&1

# a second round: restore leaves things as a fresh start would
check_rc 0 "second chkpnt" vzctl chkpnt 101
check_rc 0 "second restore" vzctl restore 101
check "client still counting after the second round" wait_for 10 client_advances "$ROOT/client.out"
check_rc 0 "stop 101" vzctl stop 101 --fast
check "nothing of 101's network left on the host" net_clean
finish
