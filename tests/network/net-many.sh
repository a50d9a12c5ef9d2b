#!/bin/bash
# Many containers, each with a bridged NIC and a routed address, started and
# stopped: every interface, route, proxy entry and rule goes away.  20 in CI,
# 100 with VZ_LONG_TESTS=1.
. "$(dirname "$0")/net-lib.sh"
require_net
N=${VZ_NET_MANY:-20}
[ -n "${VZ_LONG_TESTS:-}" ] && N=100
plan 7
net_instance m "NEIGHBOUR_DEVS=\"lo\""

ids=$(seq 301 $((300 + N)))
created=0
for ct in $ids; do
	i=$((ct - 300))
	vzctl create "$ct" --ostemplate busybox --ipadd "10.77.0.$((100 + i))" --ipadd "192.0.2.$i" >/dev/null 2>&1 &&
		vzctl set "$ct" --netif_add eth0 --save >/dev/null 2>&1 && created=$((created + 1))
done
check "created $N containers" test "$created" -eq "$N"

t0=$(date +%s%N)
started=0
for ct in $ids; do vzctl -q start "$ct" >/dev/null 2>&1 && started=$((started + 1)); done
t1=$(date +%s%N)
diag "started $started in $(((t1 - t0) / 1000000)) ms"
check "started $N containers" test "$started" -eq "$N"
nlinks=$(hostnet ip -o link show | grep -cE ': (veth|venet)[34][0-9]{2}')
check "$((2 * N)) host interfaces (veth + venet per container): $nlinks" test "$nlinks" -eq $((2 * N))
check "first and last container reach each other" ct_ping 301 "10.77.0.$((100 + N))"
check "the host reaches the last routed address" host_ping "192.0.2.$N"
[ -n "${VZ_DEBUG_NET:-}" ] && { hostnet ip route get "192.0.2.$N"; hostnet ip neigh; in_ct $((300 + N)) 'ip a; ip r; ip neigh'; hostnet nft list ruleset; } 2>&1 | sed 's/^/#   /' 

t0=$(date +%s%N)
pids=""
for ct in $ids; do
	vzctl -q stop "$ct" --fast >/dev/null 2>&1 &
	pids="$pids $!"
done
wait $pids   # not a bare wait: vzd is a child of this shell too
t1=$(date +%s%N)
diag "stopped $N in parallel in $(((t1 - t0) / 1000000)) ms"
check "all stopped" eval '[ -z "$(vzlist -H -o ctid 2>/dev/null)" ]'
check "nothing left: interfaces, routes, proxy entries, rules, state" net_clean
finish
