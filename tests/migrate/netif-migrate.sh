#!/bin/bash
# Online migration of a container whose NICs vz made from its config (a
# bridged NETIF eth0 on br0 and a routed venet0 address) between the two
# test hosts and back: the NICs keep their MACs and addresses, the
# destination puts vz's host side back (alias, host route, anti-spoofing
# chains), the source keeps nothing, and a TCP client in the switch
# namespace stays connected, counting without a gap.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
command -v nft >/dev/null || skip_all "needs nft (nftables) to observe rules"
VZ_EXTRA_CONF="VZ_BRIDGE=\"br0\"
BRIDGE_ADDRESS=\"$SUBNET.1/24\"" two_hosts
VZ_CONF=$CONF_A need_criu
plan 23

on_a vzctl create 101 --ostemplate busybox --ipadd "$SUBNET.2" --ipadd 192.0.2.21 >/dev/null
check_rc 0 "NETIF eth0 on br0" on_a vzctl set 101 --netif_add eth0 --save
check_rc 0 "start 101 on A" on_a vzctl start 101
on_a crw_start 101 >/dev/null
wait_for 5 sh -c "[ -s '$ROOT_A/private/101/tmp/crw.state' ]"

nic_view() {
	"$1" "$VZCTL_BIN" exec2 101 'ip -o link show eth0; ip -o addr show' |
		sed -E 's/^[0-9]+: //; s/@if[0-9]+//; s/ +(valid|preferred)_lft.*//' | grep -vE 'inet6 fe80|: lo' | sort
}
# host_view NS: what vz keeps for 101 on that host (instance tag masked).
host_view() {
	ip netns exec "$1" ip -d link show veth101.0 2>/dev/null | grep -oE "master [^ ]+|alias vz:[0-9a-f]+:101" |
		sed 's/alias vz:[0-9a-f]*:/alias vz:TAG:/'
	ip netns exec "$1" ip route show 192.0.2.21
	ip netns exec "$1" nft list ruleset | grep -cE 'chain p_|jump p_'
}
before_ct=$(nic_view on_a)
before_host=$(host_view "$NS_A")
check "A: eth0 on br0 with its alias, routed host route" sh -c "echo '$before_host' | grep -q 'master br0' && echo '$before_host' | grep -q 'alias vz:TAG:101' && echo '$before_host' | grep -q venet101"

client_start "$NS_C" "$SUBNET.2" "$ROOT_A/client.out"
check "client connected to the bridged address" wait_for 10 client_advances "$ROOT_A/client.out"

check_rc 0 "online migration A -> B" on_a vzctl migrate 101 "$SUBNET.252" --online --timings
diag "$(echo "$OUT" | grep -iE 'frozen|memory|total' | head -4)"
check "running on B" sh -c "VZ_CONF=$CONF_B $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
check "gone from A" host_clean "$ROOT_A" 101
check "NICs, MACs and addresses as on A" [ "$before_ct" = "$(nic_view on_b)" ]
check "B's host side as A's was" [ "$before_host" = "$(host_view "$NS_B")" ]
[ "$before_host" = "$(host_view "$NS_B")" ] || diag "A: $(echo "$before_host" | tr '\n' '|') B: $(host_view "$NS_B" | tr '\n' '|')"
check "A keeps no interface, route or rule of 101" sh -c "! ip netns exec $NS_A ip link show veth101.0 >/dev/null 2>&1 &&
	[ -z \"\$(ip netns exec $NS_A ip route show 192.0.2.21)\" ] && ! ip netns exec $NS_A nft list ruleset | grep -qE 'chain p_|jump p_'"
check "client still connected, counting on" wait_for 15 client_advances "$ROOT_A/client.out"
check "client saw no gap or reset" client_continuous "$ROOT_A/client.out"
check "workload intact on B" on_b crw_intact 101
check "routed address answers on B" ip netns exec "$NS_B" ping -c 1 -W 2 192.0.2.21
check "the client reaches 101 at B by ping" ip netns exec "$NS_C" ping -c 1 -W 2 "$SUBNET.2"

check_rc 0 "online migration B -> A" on_b vzctl migrate 101 "$SUBNET.251" --online
check "running on A again" sh -c "VZ_CONF=$CONF_A $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
check "gone from B" host_clean "$ROOT_B" 101
check "A's host side back as it was" [ "$before_host" = "$(host_view "$NS_A")" ]
check "client still counting" wait_for 15 client_advances "$ROOT_A/client.out"
check "still no gap or reset" client_continuous "$ROOT_A/client.out"
check "workload intact on A" on_a crw_intact 101
check_rc 0 "stop 101 on A" on_a vzctl stop 101 --fast
finish
