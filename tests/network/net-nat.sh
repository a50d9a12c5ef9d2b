#!/bin/bash
# Beyond the host: outbound NAT of the bridge subnet, routed addresses
# answered by proxy ARP/NDP on a "LAN" (a network namespace of its own),
# coexistence with a FORWARD chain whose policy is drop, and cleanup by vzd
# at startup after containers died while no vzd ran.
. "$(dirname "$0")/net-lib.sh"
require_net
plan 16
tag=$(printf '%s' "$TEST_NAME-$$" | cksum | cut -d' ' -f1 | cut -c1-6)
LAN="vzt-lan-$tag-$$"
HOSTIF="lh$tag"
ip netns add "$LAN" || skip_all "cannot create a network namespace"
at_exit "ip netns del '$LAN'"
lan() { ip netns exec "$LAN" "$@"; }
net_instance n "BRIDGE_NAT=\"yes\"
NEIGHBOUR_DEVS=\"detect\""
# The "LAN": 198.51.100.0/24 and 2001:db8:51::/64, the vz host at .1 / ::1.
hostnet ip link add "$HOSTIF" type veth peer name lan0 netns "$LAN"
hostnet ip addr add 198.51.100.1/24 dev "$HOSTIF"
hostnet ip addr add 2001:db8:51::1/64 dev "$HOSTIF" nodad
hostnet ip link set "$HOSTIF" up
lan ip addr add 198.51.100.2/24 dev lan0
lan ip addr add 2001:db8:51::2/64 dev lan0 nodad
lan ip link set lan0 up
lan ip link set lo up
# NEIGHBOUR_DEVS="detect": the interface of the default route answers.
hostnet ip route add default via 198.51.100.2 dev "$HOSTIF"
hostnet ip -6 route add default via 2001:db8:51::2 dev "$HOSTIF"

vzctl create 221 --ostemplate busybox --ipadd 10.77.0.21 >/dev/null
vzctl set 221 --netif_add eth0 --save >/dev/null
vzctl create 222 --ostemplate busybox --ipadd 198.51.100.50 --ipadd 2001:db8:51::50 >/dev/null
check_rc 0 "start 221 (bridged, NAT)" vzctl start 221
check_rc 0 "start 222 (routed into the LAN's subnets)" vzctl start 222
masq() { hostnet nft list table ip "$TABLE" | grep -q "ip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 masquerade"; }
TABLE=$(hostnet nft list tables | awk '/table ip vz_/ { print $3 }')
check "vz's table $TABLE masquerades the bridge subnet" masq
check "221 reaches the LAN through NAT (the LAN has no route back)" ct_ping 221 198.51.100.2
lan_ping() { lan ping -c 1 -W 3 "$1" >/dev/null 2>&1 || lan ping -c 2 -W 3 "$1" >/dev/null 2>&1; }
check "detect chose $HOSTIF for the proxy entries" eval 'hostnet ip neigh show proxy | grep -q "198.51.100.50 dev $HOSTIF"'
check "the LAN reaches routed 198.51.100.50 (proxy ARP)" lan_ping 198.51.100.50
check "the LAN reaches routed 2001:db8:51::50 (proxy NDP)" lan_ping 2001:db8:51::50

# FORWARD policy drop in someone else's table: vz leaves it alone and says so.
hostnet nft -f - <<NFT
table ip filter {
	chain FORWARD { type filter hook forward priority 0; policy drop; }
}
NFT
before=$(hostnet nft list table ip filter)
check "with FORWARD=DROP, NAT traffic is dropped (the admin's choice)" eval '! ct_ping 221 198.51.100.2'
vzctl stop 221 --fast >/dev/null
vzctl start 221 >/dev/null
check "vz did not touch table ip filter" test "$before" = "$(hostnet nft list table ip filter)"
vzd_stop
vzd_start
check "vzd warns about the dropping FORWARD chain" grep -q "ip filter FORWARD drop by default" "$ROOT/vzd.log"
hostnet nft add rule ip filter FORWARD iifname "$BRIDGE" accept
hostnet nft add rule ip filter FORWARD oifname "$BRIDGE" ct state established,related accept
check "with the rule vzd suggests, NAT works again" ct_ping 221 198.51.100.2
hostnet nft delete table ip filter

# Crash recovery: vzd dies, the containers die while no vzd runs; the next
# vzd removes their proxy entries, rules and records.
check "proxy entries exist while 222 runs" eval '[ -n "$(hostnet ip neigh show proxy)" ]'
vzd_kill9
# (vzd is down: find the containers' processes through their cgroups)
for c in /sys/fs/cgroup/pids/vzt-n-$$/22[12]/cgroup.procs; do
	[ -f "$c" ] && xargs -r kill -9 <"$c" 2>/dev/null
done
sleep 0.5
check "records left behind by the crash" eval 'ls "$ROOT"/run/22?.net >/dev/null 2>&1'
vzd_start
check "vzd's reconcile removed every rule, proxy entry and record" net_clean
check "the containers are down" eval '[ -z "$(vzlist -H -o ctid)" ]'
check "vz's table is still there for the next start" eval 'hostnet nft list table bridge "$TABLE" >/dev/null'
finish
