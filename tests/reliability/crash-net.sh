#!/bin/bash
# Crash consistency of what crash.sh's containers do not have: networking
# (the CTID.net record, veth host ends, routes, proxy neighbours, nftables
# rules) and image-backed private areas (loop devices).  vzd is killed at
# the steps where those exist; the vzd started next must leave the
# container whole or gone and nothing of it in the host: net_clean (no
# interface, route, rule, proxy entry or record) and no loop device.
. "$(dirname "$0")/../network/net-lib.sh"
. "$(dirname "$0")/lib-reliability.sh"
require_net
[ -e /dev/loop-control ] || skip_all "no loop devices"
command -v losetup >/dev/null || skip_all "needs losetup (util-linux) to observe loop devices"
plan 31
net_instance main
covered=""

loops() { losetup -a 2>/dev/null | grep -F "$ROOT/"; }
no_loops() { _l=$(loops); [ -z "$_l" ] || { diag "loop devices left: $_l"; return 1; }; }
stopped_nothing_left() { ct_stopped_clean "$1" && net_clean && no_loops; }
gone_nothing_left() { ct_gone "$1" && no_loops; }
running_reachable() { ct_running_whole "$1" && host_ping 192.0.2.31; }
cycle_works() {
	vzctl -q start "$1" && host_ping 192.0.2.31 && vzctl -q stop "$1" --fast &&
		stopped_nothing_left "$1"
}

# Routed (host routes, proxy neighbours, rules) on an image-backed area.
check_rc 0 "create 301 (routed address, image-backed)" \
	vzctl create 301 --ostemplate busybox --ipadd 192.0.2.31 --diskspace 64M
check "301's private area is an image" grep -q '^VE_LAYOUT="image"' "$ROOT/conf/301.conf"

for f in start.after-mount start.after-net net.before-record; do
	crash_at "$f" vzctl start 301
	check "$f: 301 stopped, no interface, route, rule, record or loop device left" \
		stopped_nothing_left 301
	check "$f: then start (reachable)/stop 301 work and leave nothing" cycle_works 301
done

crash_at start.after-launch vzctl start 301
check "start.after-launch: 301 running whole, reachable" running_reachable 301
check "start.after-launch: its network record is there" test -s "$ROOT/run/301.net"
check_rc 0 "start.after-launch: stop 301" vzctl stop 301 --fast
check "start.after-launch: then nothing is left" stopped_nothing_left 301

vzctl start 301 >/dev/null 2>&1
crash_at stop.after-kill vzctl stop 301 --fast
check "stop.after-kill: 301 stopped, nothing left" stopped_nothing_left 301

# An image-backed create and destroy: the loop device of the fill mount.
crash_at create.after-unpack vzctl create 303 --ostemplate busybox --diskspace 64M
check "create.after-unpack: 303 gone, no loop device" gone_nothing_left 303
vzctl create 303 --ostemplate busybox --diskspace 64M >/dev/null 2>&1
crash_at destroy.after-rename vzctl destroy 303
check "destroy.after-rename: 303 gone, no loop device" gone_nothing_left 303

check_rc 0 "destroy 301" vzctl destroy 301
nothing_at_all() { no_debris && no_loops && net_clean; }
check "no debris, loop device or network state at the end" nothing_at_all
finish
