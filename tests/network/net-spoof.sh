#!/bin/bash
# Anti-spoofing: a container that sends frames with another's IP or MAC, or
# ARP replies for another's address, is dropped (bridged and routed NICs);
# --mac_filter off lifts it; a container cannot see or change the host's
# interfaces and routes.
. "$(dirname "$0")/net-lib.sh"
require_net
PROBE="$VZ_BUILDDIR/tests/network/spoof-probe"
[ -x "$PROBE" ] || skip_all "spoof-probe not built (make check builds it)"
plan 20
net_instance s

for ct in 211 212; do
	vzctl create $ct --ostemplate busybox --ipadd 10.77.0.${ct#2} >/dev/null
	vzctl set $ct --netif_add eth0 --save >/dev/null
	check_rc 0 "start $ct" vzctl start $ct
done
vzctl create 213 --ostemplate busybox --ipadd 192.0.2.43 >/dev/null
check_rc 0 "start 213 (routed)" vzctl start 213
for ct in 211 213; do
	vzctl exec $ct 'cat >/probe && chmod 755 /probe' <"$PROBE"
done
mac211=$(in_ct 211 'cat /sys/class/net/eth0/address')
mac212=$(in_ct 212 'cat /sys/class/net/eth0/address')
brmac=$(hostnet ip -o link show "$BRIDGE" | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
mac213=$(in_ct 213 'cat /sys/class/net/venet0/address')
gwmac213=$(in_ct 213 'ip neigh show 169.254.0.1' | sed -n 's/.*lladdr \([^ ]*\).*/\1/p')
diag "211 $mac211, 212 $mac212, bridge $brmac, 213 $mac213 via $gwmac213"

# arrives CT IFACE SRCMAC SRCIP DSTMAC DSTIP: does the host get the datagram?
arrives() {
	_port=$((20000 + RANDOM % 10000))
	hostnet "$PROBE" recv "$_port" 3 >"$ROOT/recv.out" 2>&1 &
	_r=$!
	for _i in $(seq 1 50); do grep -q ready "$ROOT/recv.out" 2>/dev/null && break; sleep 0.05; done
	for _i in 1 2 3; do
		in_ct "$1" "/probe udp $2 $3 $4 $5 $6 $_port hello-$_i" >/dev/null 2>&1
		sleep 0.2
	done
	wait $_r
}

check "control: own MAC and IP arrive" arrives 211 eth0 "$mac211" 10.77.0.11 "$brmac" 10.77.0.1
check "another container's IP is dropped" eval '! arrives 211 eth0 "$mac211" 10.77.0.12 "$brmac" 10.77.0.1'
check "another container's MAC is dropped" eval '! arrives 211 eth0 "$mac212" 10.77.0.11 "$brmac" 10.77.0.1'
check "routed control: own address arrives" arrives 213 venet0 "$mac213" 192.0.2.43 "$gwmac213" 10.77.0.1
check "routed: a foreign address is dropped" eval '! arrives 213 venet0 "$mac213" 192.0.2.99 "$gwmac213" 10.77.0.1'

# ARP: the host learns 212's MAC, then 211 claims 10.77.0.12 (the kernel
# ignores updates within a second of the last one: wait that out).
host_ping 10.77.0.12
sleep 1.2
neigh_of_212() { hostnet ip neigh show 10.77.0.12 dev "$BRIDGE" | grep -q "lladdr $1"; }
check "the host knows 212's MAC" neigh_of_212 "$mac212"
# arp_spoof: 211 claims 10.77.0.12 for up to 4 s; true once the host believes it.
arp_spoof() {
	for _i in $(seq 1 12); do
		in_ct 211 "/probe arp eth0 $mac211 $mac211 10.77.0.12" >/dev/null 2>&1
		sleep 0.35
		neigh_of_212 "$mac211" && return 0
	done
	return 1
}
check "an ARP reply claiming 212's address is dropped" eval '! arp_spoof && neigh_of_212 "$mac212"'

check_rc 0 "--mac_filter off on the running 211" vzctl set 211 --mac_filter off
check "without the filter the spoofed IP arrives (the filter was the cause)" \
	arrives 211 eth0 "$mac211" 10.77.0.12 "$brmac" 10.77.0.1
check "without the filter the ARP spoof takes effect (so the test can fail)" arp_spoof
check_rc 0 "--mac_filter on again" vzctl set 211 --mac_filter on
check "with the filter back it is dropped again" eval '! arrives 211 eth0 "$mac211" 10.77.0.12 "$brmac" 10.77.0.1'

# The container's own network namespace: no host interfaces, no host routes.
links=$(in_ct 211 'ls /sys/class/net | tr "\n" " "')
check "the container sees only lo and eth0 ($links)" test "$links" = "eth0 lo "
check "the container's routes are its own" eval '! in_ct 211 "ip route" | grep -q 192.0.2.43'
check "the container cannot delete the host bridge" eval "! in_ct 211 'ip link del $BRIDGE' 2>/dev/null"
check "the host bridge and routes are still there" eval "hostnet ip link show $BRIDGE >/dev/null && hostnet ip route | grep -q 192.0.2.43"

for ct in 211 212 213; do vzctl stop $ct --fast >/dev/null 2>&1; done
check "stop left no interface, route, rule or proxy entry" net_clean
finish
