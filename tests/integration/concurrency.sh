#!/bin/bash
# Commands on one container are serialized; on different containers they
# run in parallel.  10 clients start the same container at once: one wins,
# nine are told it is already running (exit 32), one init exists.
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
plan 14
instance_up main
check_rc 0 "create 101" vzctl create 101
rcs=$(for i in $(seq 1 10); do ( "$VZCTL_BIN" -q start 101 >/dev/null 2>&1; echo $? ) & done; wait)
check "exactly one of 10 parallel starts succeeds" test "$(echo "$rcs" | grep -cx 0)" -eq 1
check "the other nine exit 32 (already running)" test "$(echo "$rcs" | grep -cx 32)" -eq 9
# Inits in this instance's cgroup of 101 (the same test run from another
# checkout at the same time has the same uids).
cgp=$(sed -n 's/^CGROUP_PARENT="\(.*\)"/\1/p' "$ROOT/vz.conf")
inits() {
	for f in /sys/fs/cgroup/pids/$cgp/101/cgroup.procs /sys/fs/cgroup/$cgp/101/cgroup.procs; do
		[ -r "$f" ] || continue
		while read -r p; do [ "$(cat /proc/$p/comm 2>/dev/null)" = init ] && echo "$p"; done <"$f"
		return
	done
}
check "one container init exists" test "$(inits | wc -l)" -eq 1
for ct in 102 103 104; do vzctl -q create $ct; done
start=$(date +%s%N)
pids=""
for ct in 102 103 104; do vzctl -q start $ct & pids="$pids $!"; done
wait $pids # not a bare wait: vzd runs in the background of this shell too
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "three different containers start concurrently" sh -c "for c in 102 103 104; do '$VZCTL_BIN' status \$c | grep -q running || exit 1; done"
check "vzlist -H -o ctid -s -ctid sorts in reverse" test "$(vzlist -H -o ctid -s -ctid | tr -s ' \n' ' ')" = " 104 103 102 101 "
check "vzlist -S shows no stopped container while all run" test -z "$(vzlist -S -H)"
check "vzlist -j is a JSON array of the four containers" test "$(vzlist -j | grep -c '"ctid"')" -eq 4
check "vzlist 102 shows only 102" test "$(vzlist -H -o ctid 102 | tr -d ' ')" = "102"
rcs=$(for i in $(seq 1 5); do ( "$VZCTL_BIN" -q stop 101 --fast >/dev/null 2>&1; echo $? ) & done; wait)
check "five parallel stops all succeed (vzctl: stopping a stopped CT is ok)" test "$(echo "$rcs" | grep -cx 0)" -eq 5
check_rc 0 "101 is down" sh -c "'$VZCTL_BIN' status 101 | grep -q down"
diag "parallel start of 3 containers took $elapsed ms"

# A command that cannot get the container's lock within LOCK_TIMEOUT gives
# up with vzctl's "locked" status rather than waiting forever.
sed -i 's/^LOCK_TIMEOUT=.*/LOCK_TIMEOUT="1"/' "$VZ_CONF"
vzd_stop
vzd_start
# -o: only flock itself holds the lock, so killing it releases the lock
flock -o "$ROOT/lock/101.lck" sleep 4 &
holder=$!
sleep 0.3
check_rc 9 "start of a container locked by another command exits 9" vzctl start 101
check "... naming the container and the timeout" contains "$OUT" "container 101 is locked"
check "... and changes nothing" sh -c "'$VZCTL_BIN' status 101 | grep -q down"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
finish
