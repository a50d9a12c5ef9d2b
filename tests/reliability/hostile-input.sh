#!/bin/bash
# Hostile input: oversized, truncated and malformed requests get an error
# reply (not a reset connection) and do not disturb other clients; clients
# that connect and stall do not block anyone.
. "$(dirname "$0")/../integration/lib.sh"
require_root
command -v python3 >/dev/null || skip_all "needs python3 to send raw bytes"
RAW="python3 $(dirname "$0")/rawclient.py"
plan 11
instance_up main
SOCK=$ROOT/run/vzd.sock

# A well-behaved client polls vzd all along; every call must succeed.
(
	while [ ! -e "$ROOT/stop-poller" ]; do
		"$VZLIST_BIN" -a -H >/dev/null 2>&1 || echo fail >>"$ROOT/poller.fail"
		echo x >>"$ROOT/poller.count"
	done
) &
poller=$!

# reply MODE PATTERN: the reply to a hostile request is an error naming PATTERN.
reply() {
	OUT=$($RAW "$SOCK" "$1" 2>&1)
	contains "$OUT" '"ok": false' && contains "$OUT" "$2" ||
		{ diag "reply to $1: $OUT"; return 1; }
}
check "length over 1 MiB: error reply" reply oversized-header "bad message length"
check "2 MiB body: error reply, not a reset" reply oversized-body "bad message length"
check "truncated body: error reply" reply truncated "closed mid-message"
check "malformed JSON: error reply" reply malformed "malformed message"
check "JSON that is not an object: error reply" reply not-object "not a JSON object"
check "unknown operation: error reply" reply unknown-op "unknown operation"

# 200 clients connect, send one byte and stall (vzd's per-request timeout
# is 30 s): everyone else is still served at once.
$RAW "$SOCK" stall 200 >"$ROOT/stall.out" 2>&1 &
staller=$!
for i in $(seq 1 100); do grep -q stalled "$ROOT/stall.out" && break; sleep 0.1; done
check "200 stalled clients connected" grep -q "stalled 200" "$ROOT/stall.out"
t0=$(date +%s%N)
check_rc 0 "vzctl works while they stall" vzctl status 101
t1=$(date +%s%N)
diag "status took $(((t1 - t0) / 1000000)) ms with 200 stalled clients"
kill "$staller" 2>/dev/null
wait "$staller" 2>/dev/null

touch "$ROOT/stop-poller"
wait "$poller"
check "a client polling all along was never refused ($(wc -l <"$ROOT/poller.count") calls)" \
	test ! -e "$ROOT/poller.fail"
check "vzd is still up" kill -0 "$VZD_PID"
# The stalled connections' threads end when their clients go.
for i in $(seq 1 50); do
	threads=$(ls /proc/"$VZD_PID"/task | wc -l)
	[ "$threads" -lt 10 ] && break
	sleep 0.1
done
check "vzd's threads went back down ($threads)" test "$threads" -lt 10
finish
