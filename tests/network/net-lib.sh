# Shared setup of the networking tests: an instance whose vzd lives in its
# own network namespace (see lib.sh), with a bridge named after the test and
# addresses from vz.conf.
. "$(dirname "$0")/../integration/lib.sh"

require_net() {
	require_root
	command -v ip >/dev/null || skip_all "needs ip (iproute2) to observe interfaces"
	command -v nsenter >/dev/null || skip_all "needs nsenter (util-linux)"
	command -v nft >/dev/null || skip_all "needs nft (nftables) to observe rules"
	ensure_template busybox || skip_all "cannot build the busybox template"
	[ -z "${VZ_TEST_HOST_NET:-}" ] || skip_all "networking tests need a network namespace per instance"
}

# net_instance NAME [EXTRA vz.conf lines]: instance with bridge "b<hash>",
# subnets 10.77.0.0/24 and fd77::/64 on it.
net_instance() {
	instance_up "$1"
	BRIDGE="b$(printf '%s' "$TEST_NAME-$1-$$" | cksum | cut -d" " -f1 | cut -c1-8)"
	cat >>"$VZ_CONF" <<CONF
VZ_BRIDGE="$BRIDGE"
BRIDGE_ADDRESS="10.77.0.1/24 fd77::1/64"
${2:-}
CONF
	vzd_stop
	vzd_start
	TABLE=$(hostnet nft list tables 2>/dev/null | awk '/ vz_/ { print $3; exit }')
}

# in_ct CT CMD: run a shell command in a container (exit status kept).
in_ct() { "$VZCTL_BIN" exec2 "$1" "$2"; }

# ping_ok FROM-CT ADDR: one ping answered within a few tries.
ct_ping() { in_ct "$1" "ping -c 1 -W 2 $2 >/dev/null 2>&1 || ping -c 2 -W 3 $2 >/dev/null 2>&1"; }
host_ping() { hostnet ping -c 1 -W 2 "$1" >/dev/null 2>&1 || hostnet ping -c 2 -W 3 "$1" >/dev/null 2>&1; }

# Nothing of vz's per-container network state left in the host namespace
# (interfaces vanish with their namespace, asynchronously: allow 5 s).
net_clean() {
	for _i in $(seq 1 50); do
		_links=$(hostnet ip -o link show | grep -E ': (veth[0-9]|venet[0-9]|vzr?[0-9a-f]{8})' || true)
		[ -z "$_links" ] && break
		sleep 0.1
	done
	[ -z "$_links" ] || { diag "interfaces left: $_links"; return 1; }
	_routes=$(hostnet ip route show proto static; hostnet ip -6 route show proto static)
	[ -z "$_routes" ] || { diag "routes left: $_routes"; return 1; }
	_rules=$(hostnet nft list ruleset 2>/dev/null | grep -E 'chain p_|jump p_' || true)
	[ -z "$_rules" ] || { diag "rules left: $_rules"; return 1; }
	_proxy=$(hostnet ip neigh show proxy; hostnet ip -6 neigh show proxy)
	[ -z "$_proxy" ] || { diag "proxy neighbours left: $_proxy"; return 1; }
	ls "$ROOT"/run/*.net >/dev/null 2>&1 && { diag "state files left"; return 1; }
	return 0
}
