#!/bin/bash
# Resource exhaustion: the state root's disk full, vzd out of descriptors,
# vzd out of pids.  Each gives a clear error, leaves no half-made state, and
# everything works again once the resource is back.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-reliability.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
command -v python3 >/dev/null || skip_all "needs python3 to hold connections open"
plan 20
instance_up main

# ---- disk full: configs and private areas on a small tmpfs ----------------
small="$ROOT/small"
mkdir -p "$small"
mount -t tmpfs -o size=12m "vzt-exh-$$" "$small" || skip_all "cannot mount a tmpfs"
at_exit "umount -l '$small'"
vzd_stop
sed -i "s|^CONF_DIR=.*|CONF_DIR=\"$small/conf\"|; s|^VE_PRIVATE=.*|VE_PRIVATE=\"$small/private/\$VEID\"|" "$VZ_CONF"
mkdir -p "$small/conf" && cp "$ROOT"/conf/*.conf-sample "$small/conf/" 2>/dev/null
vzd_start
CONF_DIR=$small/conf
PRIVATE_DIR=$small/private
check_rc 0 "create 101 on the small state root" vzctl create 101 --ostemplate busybox
before=$(cat "$small/conf/101.conf")
dd if=/dev/zero of="$small/filler" bs=64k >/dev/null 2>&1   # until ENOSPC
check_rc 46 "disk full: create 102 fails (exit 46, no disk space)" vzctl create 102 --ostemplate busybox
check "... and says why" contains "$OUT" "No space left on device"
check "... and leaves nothing of 102" sh -c "! ls '$small/conf' '$small/private' | grep -q 102"
check_rc 46 "disk full: set --save on 101 fails (exit 46, not 139)" vzctl set 101 --hostname full.example --save
check "... and 101's config is unchanged" test "$(cat "$small/conf/101.conf")" = "$before"
check "... with no temp file left" sh -c "! ls '$small/conf' | grep -q '\.tmp\.'"
rm -f "$small/filler"
check_rc 0 "space back: set --save works" vzctl set 101 --hostname back.example --save
check_rc 0 "space back: create 102 works" vzctl create 102 --ostemplate busybox
check_rc 0 "... and it starts" vzctl start 102
vzctl stop 102 --fast >/dev/null 2>&1

# ---- out of descriptors: vzd with ulimit -n 64 -----------------------------
vzd_stop
(ulimit -n 64 && vzd_start) || true
VZD_PID=$(cat "$ROOT/vzd.pid")
python3 "$(dirname "$0")/rawclient.py" "$ROOT/run/vzd.sock" stall 120 >"$ROOT/stall.out" 2>&1 &
staller=$!
for i in $(seq 1 100); do grep -q stalled "$ROOT/stall.out" && break; sleep 0.1; done
sleep 1
check "out of fds: vzd says so in its log" grep -q "accept: Too many open files" "$ROOT/vzd.log"
check "... and keeps running" kill -0 "$VZD_PID"
kill "$staller"
wait "$staller" 2>/dev/null
check_rc 0 "fds back: requests are served again" vzctl status 101
check_rc 0 "... start works" vzctl start 101
check_rc 0 "... stop works" vzctl stop 101 --fast

# ---- out of pids: vzd in a pids cgroup of its own --------------------------
pcg=/sys/fs/cgroup/pids/vzt-exh-$$-vzd
if mkdir "$pcg" 2>/dev/null; then
	at_exit "rmdir '$pcg'"
	echo "$VZD_PID" >"$pcg/cgroup.procs"
	cat "$pcg/pids.current" >"$pcg/pids.max"
	check_rc 6 "no pids: a request gets a clear error (exit 6)" vzctl status 101
	check "... naming the cause" contains "$OUT" "cannot start a thread"
	echo $(($(cat "$pcg/pids.current") + 1)) >"$pcg/pids.max"
	check "no pids for a launcher: start 101 fails" sh -c "! '$VZCTL_BIN' start 101 >'$ROOT/start.out' 2>&1"
	diag "$(cat "$ROOT/start.out")"
	check "... and 101 is stopped, nothing of the start left" ct_stopped_clean 101
	echo max >"$pcg/pids.max"
	check_rc 0 "pids back: start 101 works" vzctl start 101
	vzctl stop 101 --fast >/dev/null 2>&1
	echo "$VZD_PID" >/sys/fs/cgroup/pids/cgroup.procs
else
	for i in 1 2 3 4 5; do ok "# SKIP cannot make a pids cgroup"; done
fi
finish
