# Shared setup of the checkpoint/restore and migration tests (sourced after
# tests/integration/lib.sh): CRIU present, a bridge with a veth NIC into a
# container, the crw workload and a TCP client outside the container.
CRW_BIN="$VZ_BUILDDIR/tests/migrate/crw"
CRW_PORT=7000

need_criu() {
	[ -x "$CRW_BIN" ] || skip_all "tests/migrate/crw is not built"
	vzctl criu-check >/dev/null 2>&1 || skip_all "CRIU is not usable here (vzctl criu-check; scripts/install-criu.sh)"
}

# A per-test prefix for host-global names (bridges, veths, netns: <= 15 chars).
NETP="v6$(printf '%x' $(($$ % 65536)))"
# A /24 of our own: 10.(100+pid%100).(pid/100%250).0
SUBNET="10.$((100 + $$ % 100)).$(($$ / 100 % 250))"

# bridge_up NAME [NETNS]: a bridge holding $SUBNET.1/24.
bridge_up() {
	_ns=${2:+ip netns exec $2}
	$_ns ip link add "$1" type bridge && $_ns ip addr add "$SUBNET.1/24" dev "$1" &&
		$_ns ip link set "$1" up
}

# ct_veth CTID N BRIDGE [NETNS]: veth ${NETP}hN on BRIDGE, its peer eth0 in
# the container with $SUBNET.N/24 (by hand until vz configures NETIF).
ct_veth() {
	_pid=$(ct_init_pid "$1")
	_ns=${4:+ip netns exec $4}
	$_ns ip link add "${NETP}h$2" type veth peer name "${NETP}c$2" &&
		$_ns ip link set "${NETP}h$2" master "$3" up &&
		$_ns ip link set "${NETP}c$2" netns "$_pid" &&
		nsenter -t "$_pid" -n sh -c "ip link set ${NETP}c$2 name eth0 &&
			ip addr add $SUBNET.$2/24 dev eth0 && ip link set eth0 up"
}

# crw_start CTID: copy the workload in and start it.
crw_start() {
	cp "$CRW_BIN" "$ROOT/private/$1/bin/crw" && chmod 755 "$ROOT/private/$1/bin/crw" &&
		vzctl exec "$1" "rm -f /tmp/crw.*; /bin/crw $CRW_PORT </dev/null >/dev/null 2>&1"
}

# crw_tick CTID: the workload's tick as the container sees it.
crw_tick() { vzctl exec "$1" 'cut -d" " -f1 /tmp/crw.state' 2>/dev/null; }

# crw_intact CTID: no inconsistency recorded, the log (written through one
# descriptor) has exactly one line per tick, and the pipe reader kept up.
crw_intact() {
	vzctl exec "$1" '! test -s /tmp/crw.errors || { cat /tmp/crw.errors; exit 1; }
		t=$(cut -d" " -f1 /tmp/crw.state); l=$(wc -l < /tmp/crw.log)
		[ "$l" -ge "$t" ] && [ "$l" -le $((t + 1)) ] || { echo "log $l lines, tick $t"; exit 1; }
		p=$(cat /tmp/crw.pipe); [ "$p" -ge $((t - 2)) ] || { echo "pipe $p tick $t"; exit 1; }' ||
		{ diag "workload state broken"; return 1; }
}

# client_start NETNS_OR_EMPTY ADDR OUTFILE: a TCP client of crw; sets CLIENT_PID.
client_start() {
	if [ -n "$1" ]; then
		ip netns exec "$1" "$CRW_BIN" client "$2" "$CRW_PORT" >"$3" 2>&1 &
	else
		"$CRW_BIN" client "$2" "$CRW_PORT" >"$3" 2>&1 &
	fi
	CLIENT_PID=$!
	at_exit "kill $CLIENT_PID 2>/dev/null"
}

client_last() { tail -n 1 "$1" 2>/dev/null | awk '{print $2}'; }

# client_continuous FILE: every line is the previous tick + 1 (no gap, no reset).
client_continuous() {
	awk 'NR > 1 && $2 != prev + 1 { print "gap after " prev ": " $2; bad = 1 } { prev = $2 }
		END { exit bad }' "$1" | head -3 | sed 's/^/# /'
	awk 'NR > 1 && $2 != prev + 1 { bad = 1 } { prev = $2 } END { exit bad }' "$1"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	_t=$(($1 * 10))
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

# advances FILE-OR-CTID: the client's (file) tick grows within 5 s.
client_advances() {
	_a=$(client_last "$1")
	wait_for 5 sh -c "[ \"\$(tail -n 1 '$1' | awk '{print \$2}')\" -gt '${_a:-0}' ] 2>/dev/null"
}
