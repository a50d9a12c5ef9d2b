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
# crw runs on while we read: the log is read before and after the tick, so
# a stall between the reads (a loaded machine) is no false alarm, while a
# log that lost lines or a tick that went back still shows.
crw_intact() {
	vzctl exec "$1" '! test -s /tmp/crw.errors || { cat /tmp/crw.errors; exit 1; }
		l1=$(wc -l < /tmp/crw.log); t=$(cut -d" " -f1 /tmp/crw.state); l2=$(wc -l < /tmp/crw.log)
		[ "$l2" -ge "$t" ] && [ "$l1" -le $((t + 1)) ] || { echo "log $l1..$l2 lines, tick $t"; exit 1; }
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

# ---- two hosts ------------------------------------------------------------
# two_hosts: network namespaces ${NETP}A and ${NETP}B ("hosts", each with a
# bridge br0, its own vzd and state root) and ${NETP}C (the "switch" sw0
# both bridges uplink to, and a client at $SUBNET.9).  Host A reaches B's
# sshd at $SUBNET.252 with a throwaway key; B's authorized_keys forces
# `vzctl migrate-receive` on B's instance.  Sets ROOT_A/CONF_A, ROOT_B/CONF_B.
NS_A="${NETP}A"
NS_B="${NETP}B"
NS_C="${NETP}C"

ns_up() {
	ip netns add "$1" && at_exit "ip netns del $1 2>/dev/null" &&
		ip netns exec "$1" ip link set lo up
}

# uplink NS N: veth from NS's br0 to the switch, host address $SUBNET.N.
# br0 gets a fixed MAC: a bridge without one takes the lowest of its ports',
# so a container NIC joining or leaving would change the host's MAC under
# the other host's neighbour cache (seen after post-copy migrations).
uplink() {
	ip link add "${NETP}u$2" netns "$1" type veth peer name "${NETP}s$2" netns "$NS_C" &&
		ip netns exec "$1" sh -c "ip link add br0 type bridge && ip link set br0 address 02:00:00:00:00:$(printf %02x "$2") && ip link set ${NETP}u$2 master br0 up &&
			ip addr add $SUBNET.$2/24 dev br0 && ip link set br0 up" &&
		ip netns exec "$NS_C" ip link set "${NETP}s$2" master sw0 up
}

# host_vzd NS: restart this instance's vzd inside NS (extra env allowed).
host_vzd() {
	vzd_stop
	# nsenter, not `ip netns exec`: that also makes a new mount namespace
	# with its own /sys, hiding the cgroup file systems and vzd's mounts.
	env "${@:2}" nsenter --net="/run/netns/$1" "$VZD_BIN" --vz-conf "$VZ_CONF" --debug >>"$ROOT/vzd.log" 2>&1 &
	VZD_PID=$!
	echo "$VZD_PID" >"$ROOT/vzd.pid"
	wait_for 10 sh -c "'$VZLIST_BIN' -a -H >/dev/null 2>&1"
}

# sshd_up NAME NS ADDR DEST_CONF SRC_CONF: sshd in NS on ADDR whose key
# forces `vzctl migrate-receive` on DEST_CONF's instance; SRC_CONF's vzd
# reaches it with MIGRATE_SSH (written before that vzd starts).
sshd_up() {
	_d=$(dirname "$4")/ssh
	mkdir -p "$_d" /run/sshd && chmod 700 "$_d"
	ssh-keygen -q -t ed25519 -N '' -f "$_d/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$_d/client_key" || return 1
	printf 'command="VZ_CONF=%s %s migrate-receive",no-pty,no-port-forwarding,no-agent-forwarding %s\n' \
		"$4" "$VZCTL_BIN" "$(cat "$_d/client_key.pub")" >"$_d/authorized_keys"
	cat >"$_d/sshd_config" <<CONF
ListenAddress $3
Port 22
HostKey $_d/host_key
AuthorizedKeysFile $_d/authorized_keys
PidFile $_d/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
ClientAliveInterval 2
ClientAliveCountMax 3
CONF
	nsenter --net="/run/netns/$2" /usr/sbin/sshd -f "$_d/sshd_config" -E "$_d/sshd.log" || return 1
	at_exit "kill \$(cat $_d/sshd.pid 2>/dev/null) 2>/dev/null"
	echo "MIGRATE_SSH=\"ssh -i $_d/client_key -o UserKnownHostsFile=$_d/known_hosts -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=2 -o ServerAliveCountMax=3 -l root\"" >>"$5"
}

two_hosts() {
	[ -x /usr/sbin/sshd ] || skip_all "no sshd (openssh-server) for the migration transport"
	ns_up "$NS_A" && ns_up "$NS_B" && ns_up "$NS_C" || skip_all "cannot create network namespaces"
	ip netns exec "$NS_C" sh -c "ip link add sw0 type bridge && ip link set sw0 up" &&
		uplink "$NS_A" 251 && uplink "$NS_B" 252 || skip_all "cannot link the test hosts"
	# the client: a veth into the switch namespace
	ip link add "${NETP}cl" netns "$NS_C" type veth peer name "${NETP}cs" netns "$NS_C" &&
		ip netns exec "$NS_C" sh -c "ip link set ${NETP}cs master sw0 up && ip link set ${NETP}cl up &&
			ip addr add $SUBNET.9/24 dev ${NETP}cl" || skip_all "cannot add the client"
	instance_up hostb
	ROOT_B=$ROOT CONF_B=$VZ_CONF
	instance_up hosta
	ROOT_A=$ROOT CONF_A=$VZ_CONF
	sshd_up b "$NS_B" "$SUBNET.252" "$CONF_B" "$CONF_A" &&
		sshd_up a "$NS_A" "$SUBNET.251" "$CONF_A" "$CONF_B" || skip_all "cannot start sshd"
	ROOT=$ROOT_B VZ_CONF=$CONF_B host_vzd "$NS_B" ${FAULT_B:+VZ_MIGRATE_FAULT=$FAULT_B}
	host_vzd "$NS_A"
}

# on_a / on_b: run vzctl/vzlist against one host.
on_a() { VZ_CONF=$CONF_A ROOT=$ROOT_A "$@"; }
on_b() { VZ_CONF=$CONF_B ROOT=$ROOT_B "$@"; }

# ct_nic CTID N: a veth NIC of CTID (on the current host's NS) into br0.
ct_nic() {
	_pid=$(ct_init_pid "$1")
	ip netns exec "$2" ip link add "${NETP}h$3" type veth peer name "${NETP}c$3" &&
		ip netns exec "$2" ip link set "${NETP}h$3" master br0 up &&
		ip netns exec "$2" ip link set "${NETP}c$3" netns "$_pid" &&
		nsenter -t "$_pid" -n sh -c "ip link set ${NETP}c$3 name eth0 &&
			ip addr add $SUBNET.$3/24 dev eth0 && ip link set eth0 up"
}

# Nothing of CTID on host ROOT ($1 = root, $2 = ctid) besides nothing.
host_clean() {
	_r=$1
	_ct=$2
	for _p in "$_r/private/$_ct" "$_r/private/$_ct.migrating" "$_r/conf/$_ct.conf" \
		"$_r/dump/$_ct.incoming" "$_r/run/$_ct.incoming" "$_r/run/$_ct.running"; do
		[ ! -e "$_p" ] || { diag "left behind: $_p"; return 1; }
	done
	! grep -qF "$_r/root/$_ct " /proc/self/mountinfo || { diag "mount left"; return 1; }
}

# ---- processes left running by `vzctl exec` ------------------------------
# daemon_cmd TAG: a counting loop for `vzctl exec CTID '... &'` (its pid in
# /tmp/TAG.pid, its count in /tmp/TAG.n, a line on stdout every 0.2 s).
daemon_cmd() {
	printf "sh -c 'echo \$\$ >/tmp/%s.pid; n=0; while :; do n=\$((n + 1)); echo \$n >/tmp/%s.n; echo tick \$n; sleep 0.2; done' &" "$1" "$1"
}

# daemon_start CTID TAG: start one, keeping the caller's stdout and stderr.
daemon_start() {
	vzctl exec "$1" "$(daemon_cmd "$2")"
	wait_for 5 sh -c "'$VZCTL_BIN' exec2 $1 'test -s /tmp/$2.n' 2>/dev/null"
}

# tty_daemon CTID TAG SECONDS: start one from a terminal (script(1)) that
# stays open SECONDS more; sets TTY_PID.
tty_daemon() {
	printf '#!/bin/bash\n%q exec %q %q\nsleep %q\n' "$VZCTL_BIN" "$1" "$(daemon_cmd "$2")" "$3" >"$ROOT/$2.sh"
	script -qc "bash $ROOT/$2.sh" /dev/null </dev/null >/dev/null 2>&1 &
	TTY_PID=$!
	at_exit "kill $TTY_PID 2>/dev/null"
	wait_for 5 sh -c "'$VZCTL_BIN' exec2 $1 'test -s /tmp/$2.n' 2>/dev/null"
}

# keeper_of_pts N: a vz-tty-keeper holds the master of the host's pty N.
keeper_of_pts() {
	for _k in $(pgrep -x vz-tty-keeper); do
		grep -qx "tty-index:[[:space:]]*$1" "/proc/$_k/fdinfo/0" 2>/dev/null && return 0
	done
	return 1
}

# exec_daemon CTID TAG: one whose stdout and stderr are a pipe to the host
# (a `cat` here reads it).
exec_daemon() {
	daemon_start "$1" "$2" 2>&1 | cat >/dev/null &
	wait_for 5 sh -c "'$VZCTL_BIN' exec2 $1 'test -s /tmp/$2.n' 2>/dev/null"
}

# daemon_stdout CTID TAG: what its stdout is (pipe:[N], /dev/null, a path).
daemon_stdout() { vzctl exec2 "$1" "readlink /proc/\$(cat /tmp/$2.pid)/fd/1" 2>/dev/null; }

# daemon_advances CTID TAG: its counter grows within 5 s.
daemon_advances() {
	_d=$(vzctl exec2 "$1" "cat /tmp/$2.n" 2>/dev/null)
	wait_for 5 sh -c "[ \"\$('$VZCTL_BIN' exec2 $1 'cat /tmp/$2.n' 2>/dev/null)\" -gt '${_d:-0}' ] 2>/dev/null"
}
