#!/bin/bash
# bench/net.sh: network throughput and latency of vz containers, as ratios of
# the host's loopback.
#
#   bench/net.sh [--json] [--seconds N] [--builddir DIR]
#
# Builds nothing: uses vzd/vzctl of DIR (default ./build).  Makes a private
# vz instance whose vzd lives in its own network namespace, two containers
# (CTIDs 9901, 9902 at 10.79.0.2 and .3) on a bridge with anti-spoofing rules on, and measures
# with iperf3 (TCP, one stream) and ping (40 echoes, 20 ms apart):
#   host loopback   iperf3 client and server on 127.0.0.1 of that namespace
#   CT<->host       container 9901 to the bridge address
#   CT<->CT         container 9901 to container 9902 through the bridge
#   CT<->CT nofilt  the same with --mac_filter off (cost of the nft rules)
# iperf3 and ping run from the host's file system inside each container's
# network namespace (nsenter -n): the path measured is the container's
# veth, bridge and rules.  Installs iperf3 (Debian) when missing.
#
# Output: a table, or with --json one object {"unit": ..., "rows": [...]}.
# Exit 0 on success, 1 when a measurement failed, 77 when it cannot run.
set -u
JSON=0
SECONDS_PER_RUN=3
BUILD=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=1 ;;
	--seconds) SECONDS_PER_RUN=$2; shift ;;
	--builddir) BUILD=$2; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//;/^set -u/d'; exit 0 ;;
	*) echo "bench/net.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
log() { [ "$JSON" = 1 ] || echo "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { echo "bench/net.sh: needs root" >&2; exit 77; }
[ -x "$BUILD/src/vzd" ] || { echo "bench/net.sh: no vzd in $BUILD (build first)" >&2; exit 77; }
if ! command -v iperf3 >/dev/null; then
	log "installing iperf3 ..."
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iperf3 >/dev/null 2>&1 ||
		{ echo "bench/net.sh: cannot install iperf3" >&2; exit 77; }
fi

# A private instance through the test harness (vzd in its own netns).
export VZ_BUILDDIR=$BUILD VZ_SRCDIR=$SRC
. "$SRC/tests/integration/lib.sh" >/dev/null
ensure_template busybox || { echo "bench/net.sh: cannot build the busybox template" >&2; exit 77; }
instance_up bench >/dev/null
cat >>"$VZ_CONF" <<CONF
VZ_BRIDGE="vzbench$$"
BRIDGE_ADDRESS="10.79.0.1/24"
CONF
vzd_stop
vzd_start >/dev/null
for ct in 9901 9902; do
	"$VZCTL_BIN" -q create $ct --ostemplate busybox --ipadd 10.79.0.$((ct - 9899)) >/dev/null &&
		"$VZCTL_BIN" -q set $ct --netif_add eth0 --save >/dev/null &&
		"$VZCTL_BIN" -q start $ct >/dev/null || { echo "bench/net.sh: cannot start CT $ct" >&2; exit 1; }
done
pid1=$(ct_init_pid 9901)
pid2=$(ct_init_pid 9902)
in_ns() { _p=$1; shift; nsenter --net="/proc/$_p/ns/net" -- "$@"; }
host_ns() { hostnet "$@"; }

# throughput SERVER-NS-CMD CLIENT-NS-CMD ADDR -> Mbit/s (receiver side)
throughput() {
	_srv=$1 _cli=$2 _addr=$3
	$_srv iperf3 -s -B "$_addr" -p 5299 >/dev/null 2>&1 &
	_s=$!
	for _i in $(seq 1 20); do
		_r=$($_cli iperf3 -c "$_addr" -p 5299 -t "$SECONDS_PER_RUN" -f m 2>/dev/null |
			awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }')
		[ -n "$_r" ] && break
		sleep 0.2 # the server is not listening yet
	done
	kill "$_s" 2>/dev/null
	wait "$_s" 2>/dev/null
	echo "$_r"
}

# latency CLIENT-NS-CMD ADDR -> average round trip in ms
latency() {
	$1 ping -q -c 40 -i 0.02 "$2" 2>/dev/null | awk -F/ '/^rtt|^round-trip/ { print $5 }'
}

ip1=10.79.0.1
rows=()
measure() { # NAME SERVER-NS CLIENT-NS ADDR
	log "measuring $1 ..."
	_t=$(throughput "$2" "$3" "$4")
	_l=$(latency "$3" "$4")
	rows+=("$1|${_t:-0}|${_l:-0}")
}
measure "host loopback" host_ns host_ns 127.0.0.1
measure "CT<->host" host_ns "in_ns $pid1" "$ip1"
measure "CT<->CT" "in_ns $pid2" "in_ns $pid1" 10.79.0.3
"$VZCTL_BIN" -q set 9901 --mac_filter off >/dev/null
"$VZCTL_BIN" -q set 9902 --mac_filter off >/dev/null
measure "CT<->CT nofilt" "in_ns $pid2" "in_ns $pid1" 10.79.0.3

base_t=$(echo "${rows[0]}" | cut -d'|' -f2)
base_l=$(echo "${rows[0]}" | cut -d'|' -f3)
status=0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "0" }'; }
if [ "$JSON" = 1 ]; then
	printf '{"unit": {"throughput": "Mbit/s", "rtt": "ms"}, "seconds": %s, "rows": [' "$SECONDS_PER_RUN"
	sep=""
	for r in "${rows[@]}"; do
		IFS='|' read -r name t l <<<"$r"
		printf '%s{"path": "%s", "throughput": %s, "rtt": %s, "throughput_ratio": %s, "rtt_ratio": %s}' \
			"$sep" "$name" "$t" "$l" "$(ratio "$t" "$base_t")" "$(ratio "$l" "$base_l")"
		sep=", "
	done
	printf ']}\n'
else
	printf '%-16s %12s %10s %10s %10s\n' path Mbit/s "x loop" "rtt ms" "x loop"
	for r in "${rows[@]}"; do
		IFS='|' read -r name t l <<<"$r"
		printf '%-16s %12s %10s %10s %10s\n' "$name" "$t" "$(ratio "$t" "$base_t")" "$l" "$(ratio "$l" "$base_l")"
	done
fi
for r in "${rows[@]}"; do
	IFS='|' read -r name t l <<<"$r"
	[ "$t" = 0 ] || [ "$l" = 0 ] && { echo "bench/net.sh: $name: measurement failed" >&2; status=1; }
done
exit $status
