#!/bin/bash
# Containers on the bridge reach each other and the host over IPv4 and IPv6;
# routed (venet) addresses are reachable from the host; --ipadd/--ipdel work
# live and --save keeps them across a restart; stop leaves nothing behind.
. "$(dirname "$0")/net-lib.sh"
require_net
plan 42
net_instance a

check_rc 0 "create 201 (bridged)" vzctl create 201 --ostemplate busybox --ipadd 10.77.0.11 --ipadd fd77::11
check_rc 0 "give 201 a NIC on the bridge" vzctl set 201 --netif_add eth0 --save
check_rc 0 "with MTU 1400" vzctl set 201 --ifname eth0 --mtu 1400 --save
vzctl set 201 --hostname web1.example.org --save >/dev/null
check_rc 0 "create 202 (bridged)" vzctl create 202 --ostemplate busybox --ipadd 10.77.0.12 --ipadd fd77::12
vzctl set 202 --netif_add eth0 --save >/dev/null
check_rc 0 "create 203 (routed)" vzctl create 203 --ostemplate busybox --ipadd 192.0.2.33 --ipadd 2001:db8::33
# Bad input: a precise message, the vzctl exit code, nothing changed.
conf_before=$(cat "$ROOT/conf/201.conf")
check_rc 21 "a multicast MAC is refused" vzctl set 201 --netif_add eth1,01:00:00:00:00:01 --save
contains "$OUT" "multicast" || diag "message: $OUT"
check_rc 20 "--mac without --ifname is a usage error" vzctl set 201 --mac 02:00:00:00:00:09
check_rc 21 "deleting a NIC that does not exist" vzctl set 201 --netif_del eth9 --save
check "201.conf is unchanged" test "$conf_before" = "$(cat "$ROOT/conf/201.conf")"
vzctl create 204 --ostemplate busybox --ipadd 10.77.0.14 >/dev/null
vzctl set 204 --netif_add eth0,,,,nobr0 --save >/dev/null
check_rc 21 "a NIC on a missing foreign bridge fails the start (bad value)" vzctl start 204
contains "$OUT" "bridge \`nobr0\` does not exist" || diag "message: $OUT"
check "the failed start left nothing behind" net_clean

for ct in 201 202 203; do
	check_rc 0 "start $ct" vzctl start $ct
done
bridge_addr() { hostnet ip -o addr show dev "$BRIDGE" | grep -q 10.77.0.1/24; }
check "bridge $BRIDGE exists with its address" bridge_addr
check "201 has eth0 with 10.77.0.11/24" in_ct 201 'ip -o addr show dev eth0 | grep -q "10.77.0.11/24"'
mtu_both() { [ "$(in_ct 201 'cat /sys/class/net/eth0/mtu')" = 1400 ] && hostnet ip -o link show veth201.0 | grep -q "mtu 1400"; }
check "both ends of 201's NIC have MTU 1400" mtu_both
check "202's NIC follows the bridge's MTU" eval '[ "$(in_ct 202 "cat /sys/class/net/eth0/mtu")" = 1500 ]'
check "201 pings 202 (IPv4)" ct_ping 201 10.77.0.12
check "201 pings 202 (IPv6)" ct_ping 201 fd77::12
check "201 pings the host bridge (IPv4)" ct_ping 201 10.77.0.1
check "202 pings the host bridge (IPv6)" ct_ping 202 fd77::1
check "the host pings 202 (IPv4)" host_ping 10.77.0.12
check "the host reaches routed 192.0.2.33" host_ping 192.0.2.33
check "the host reaches routed 2001:db8::33" host_ping 2001:db8::33
routed_out() { ct_ping 203 10.77.0.1 && ct_ping 203 10.77.0.11; }
check "routed 203 reaches the host and bridged 201" routed_out

# A restarted container announces itself: the host's ARP cache follows a
# new MAC without the host sending anything (gratuitous ARP at start).
vzctl set 202 --ifname eth0 --mac 02:00:00:00:02:02 --save >/dev/null
sleep 1.1 # the kernel ignores neighbour updates within a second of the last
check_rc 0 "restart 202 with a new MAC" vzctl restart 202 --fast
new_mac() { hostnet ip neigh show 10.77.0.12 | grep -q "lladdr 02:00:00:00:02:02"; }
check "the host learned 202's new MAC from its announcement" new_mac
hosts_ok() { in_ct 201 'cat /etc/hosts' | grep -q "^10.77.0.11	web1.example.org web1$"; }
check "/etc/hosts names the container at its first address" hosts_ok
check_rc 0 "live --nameserver and --searchdomain" \
	vzctl set 201 --nameserver 192.0.2.53 --nameserver inherit --searchdomain example.org
resolv_ok() {
	_r=$(in_ct 201 'cat /etc/resolv.conf')
	contains "$_r" "nameserver 192.0.2.53" && contains "$_r" "search example.org" || return 1
	for _ns in $(awk '/^nameserver/ { print $2 }' /etc/resolv.conf); do
		contains "$_r" "nameserver $_ns" || return 1
	done
}
check "resolv.conf has them, and the host's name servers for inherit" resolv_ok
check_rc 0 "live --ipadd 192.0.2.34" vzctl set 203 --ipadd 192.0.2.34
check "192.0.2.34 is reachable at once" host_ping 192.0.2.34
check_rc 0 "live --ipdel 192.0.2.34" vzctl set 203 --ipdel 192.0.2.34
check "192.0.2.34 is gone" eval '! hostnet ping -c 1 -W 1 192.0.2.34 >/dev/null 2>&1'
check_rc 0 "live --netif_add eth1 on routed 203" vzctl set 203 --netif_add eth1 --save
eth1_up() { in_ct 203 'ip -o link show eth1' | grep -q UP && hostnet ip -o link show veth203.0 | grep -q "master $BRIDGE"; }
check "203 has eth1 and its host end is on the bridge" eth1_up
check_rc 0 "live --netif_del eth1" vzctl set 203 --netif_del eth1 --save
check "eth1 and veth203.0 are gone" eval '! in_ct 203 "ip link show eth1" 2>/dev/null && ! hostnet ip link show veth203.0 2>/dev/null'
vzctl set 203 --ipadd 192.0.2.35 --save >/dev/null
check_rc 0 "restart 203" vzctl restart 203 --fast
check "--save kept 192.0.2.35 across the restart" host_ping 192.0.2.35

for ct in 201 202 203; do vzctl stop $ct --fast >/dev/null 2>&1; done
check "stop left no interface, route, rule or proxy entry" net_clean
finish
