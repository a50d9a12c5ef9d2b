#!/bin/bash
# Checkpoint/restore of a running busybox container: a multi-process
# workload (counter, file offset, pipe, unix socket pair, /dev/shm, TCP
# server) and a TCP client on the host (vzd's network namespace), connected
# through a veth NIC on a bridge, all survive chkpnt + restore; the staged
# flags and suspend/resume behave as in vzctl; bad requests fail with
# vzctl's codes.  (The NIC is made by hand here; netif-cpt.sh covers NICs
# vz makes from NETIF.)
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
instance_up cpt
need_criu
plan 48

BR="${NETP}b"
HOSTNS=$(cat "$ROOT/netns" 2>/dev/null)
bridge_up "$BR" $HOSTNS || skip_all "cannot create bridge $BR"
[ -n "$HOSTNS" ] || at_exit "ip link del $BR 2>/dev/null; ip link del ${NETP}h2 2>/dev/null"

check_rc 0 "create 101" vzctl create 101 --ostemplate busybox
check_rc 0 "start 101" vzctl start 101
check "veth NIC into 101" ct_veth 101 2 "$BR" $HOSTNS
check "workload started" crw_start 101
wait_for 5 sh -c "[ -s '$ROOT/private/101/tmp/crw.state' ]"
client_start "$HOSTNS" "$SUBNET.2" "$ROOT/client.out"
check "client receives ticks" wait_for 5 client_advances "$ROOT/client.out"

# suspend / resume: the counter stops and goes on.
check_rc 0 "suspend" vzctl suspend 101
t1=$(cut -d' ' -f1 "$ROOT/private/101/tmp/crw.state"); sleep 0.6
t2=$(cut -d' ' -f1 "$ROOT/private/101/tmp/crw.state")
check "frozen: tick stays at $t1" [ -n "$t1" ] && [ "$t1" = "$t2" ]
check_rc 0 "resume" vzctl resume 101
check "thawed: tick moves on" wait_for 5 sh -c "[ \$(cut -d' ' -f1 '$ROOT/private/101/tmp/crw.state') -gt $t2 ]"

# daemons left running by `vzctl exec`, stdout on a pipe to the host, on a
# file of the host and on the host's terminal
exec_daemon 101 piped
daemon_start 101 logged >"$ROOT/host.log" 2>&1 </dev/null
HAVE_SCRIPT=
command -v script >/dev/null && HAVE_SCRIPT=1 && tty_daemon 101 ttyd 120
both_advance() {
	daemon_advances 101 piped && daemon_advances 101 logged &&
		{ [ -z "$HAVE_SCRIPT" ] || daemon_advances 101 ttyd; }
}
check "exec'd daemon runs, stdout on a host pipe" contains "$(daemon_stdout 101 piped)" "pipe:["
check "another, stdout on a host file" [ "$(daemon_stdout 101 logged)" = "$ROOT/host.log" ]
if [ -n "$HAVE_SCRIPT" ]; then
	check "a third, stdout on the host's terminal" contains "$(daemon_stdout 101 ttyd)" "/dev/pts/"
else
	ok "# SKIP no script(1) to give vzctl a terminal"
fi

# full checkpoint and restore
before=$(crw_tick 101)
check_rc 0 "chkpnt 101" vzctl chkpnt 101
check "images in DUMPDIR/101" [ -s "$ROOT/dump/101/inventory.img" ]
OUT=$(vzctl status 101)
check "down after chkpnt, VE_ROOT released" [ "$OUT" = "CTID 101 exist unmounted down" ]
check "cgroup released" sh -c "! ls -d /sys/fs/cgroup/*/vzt-cpt-$$/101 2>/dev/null | grep -q ."
check "the NIC was recorded for restore" grep -q "^eth0 ${NETP}h2 $BR" "$ROOT/dump/101/vz-netif"
sleep 1
check_rc 0 "restore 101" vzctl restore 101
OUT=$(vzctl status 101)
check "running after restore (cgroup + NSpid)" [ "$OUT" = "CTID 101 exist mounted running" ]
check "vzlist shows it running" sh -c "vzlist -H -o ctid,status | grep -q '101 *running'"
check "counter continues after restore" wait_for 5 sh -c "[ \$(cut -d' ' -f1 '$ROOT/private/101/tmp/crw.state') -gt ${before:-0} ]"
check "file offset, pipe, unix socket, /dev/shm intact" crw_intact 101
check "client connection survives and counts on" wait_for 10 client_advances "$ROOT/client.out"
check "client saw no gap or reset" client_continuous "$ROOT/client.out"
check "exec'd daemons survive restore, counting on" both_advance
check "... the piped one's stdout is /dev/null now" [ "$(daemon_stdout 101 piped)" = /dev/null ]
log_size=$(stat -c %s "$ROOT/host.log")
logged_out=$(daemon_stdout 101 logged)
check "... the logging one's an unlinked file in VE_ROOT ($logged_out)" sh -c "echo '$logged_out' | grep -q '^$ROOT/root/101/#[0-9]* (deleted)\$'"

if [ -n "$HAVE_SCRIPT" ]; then
	check "the one on the host's terminal counts on" daemon_advances 101 ttyd
	pts=$(daemon_stdout 101 ttyd)
	check "... on a pty of the host ($pts) whose master a keeper holds" keeper_of_pts "${pts#/dev/pts/}"
	# a terminal closed meanwhile (hung up) cannot be restored: refused by
	# name, and 101 keeps running
	tty_daemon 101 hungup 0
	wait "$TTY_PID" 2>/dev/null
	check_rc 16 "chkpnt refuses a daemon on a closed terminal of the host" vzctl chkpnt 101
	check "... naming it" contains "$OUT" "(sh) holds the closed terminal"
	check "... and 101 keeps running" sh -c "VZ_CONF=$VZ_CONF $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
	vzctl exec 101 'kill $(cat /tmp/hungup.pid); sleep 0.5' >/dev/null 2>&1
	# CRIU takes one external terminal: a second one is refused
	tty_daemon 101 ttyd2 60
	check_rc 16 "chkpnt refuses a second terminal of the host" vzctl chkpnt 101
	check "... saying CRIU can take one" contains "$OUT" "hold 2 terminals of the host"
	vzctl exec 101 'kill $(cat /tmp/ttyd2.pid); sleep 0.5' >/dev/null 2>&1
else
	for _i in 1 2 3 4 5 6 7; do ok "# SKIP no script(1) to give vzctl a terminal"; done
fi

# the staged form
check_rc 0 "chkpnt --suspend" vzctl chkpnt 101 --suspend
check_rc 0 "chkpnt --dump" vzctl chkpnt 101 --dump --dumpfile "$ROOT/staged"
check_rc 0 "chkpnt --kill" vzctl chkpnt 101 --kill --dumpfile "$ROOT/staged"
check_rc 0 "restore --undump" vzctl restore 101 --undump --dumpfile "$ROOT/staged"
check_rc 0 "restore --resume" vzctl restore 101 --resume
check "client counts on after the staged round" wait_for 10 client_advances "$ROOT/client.out"
check "still no gap or reset" client_continuous "$ROOT/client.out"
check "the daemons count on after the staged round" both_advance
check "the host's log file no longer grows" [ "$(stat -c %s "$ROOT/host.log")" = "$log_size" ]

# vzctl's codes for requests that cannot work
check_rc 32 "restore of a running container: 32" vzctl restore 101
pts=$(daemon_stdout 101 ttyd)
check_rc 0 "stop the restored container" vzctl stop 101 --fast
no_keeper() { ! keeper_of_pts "$1"; }
if [ -n "$HAVE_SCRIPT" ]; then
	check "the keeper of its pty ended with it" wait_for 5 no_keeper "${pts#/dev/pts/}"
else
	ok "# SKIP no script(1) to give vzctl a terminal"
fi
check_rc 31 "chkpnt of a stopped container: 31" vzctl chkpnt 101
rm -rf "$ROOT/dump/101"
check_rc 17 "restore without images: 17" vzctl restore 101
finish
