#!/bin/bash
# vzd's memory and descriptors stay flat over many start/stop cycles.
# CI: 200 cycles, RSS growth after a warm-up within 2 MiB; VZ_LONG_TESTS=1:
# 10,000 cycles within 4 MiB (a leak of 1 KiB per cycle would be 10 MiB).
. "$(dirname "$0")/../integration/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
if [ "${VZ_LONG_TESTS:-0}" = 1 ]; then cycles=10000 bound_kb=4096; else cycles=200 bound_kb=2048; fi
# VZ_MEMORY_CYCLES=N: another number of cycles (same bound), e.g. to measure
# a slope without the full long run.
cycles=${VZ_MEMORY_CYCLES:-$cycles}
warmup=30
# Progress (RSS, descriptors) every VZ_MEMORY_REPORT_EVERY cycles, so a long
# run stopped early still has figures.
report_every=${VZ_MEMORY_REPORT_EVERY:-1000}
plan 5
instance_up main

rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$VZD_PID"/status; }
n_fds() { ls /proc/"$VZD_PID"/fd | wc -l; }
# The last reply reaches vzctl before vzd's connection thread has closed its
# socket and before the monitor has dropped the ended init's pidfd: give
# those a moment, so only descriptors that stay count.
n_fds_settled() {
	for _ in $(seq 1 30); do
		[ "$(n_fds)" -le "$1" ] && break
		sleep 0.1
	done
	n_fds
}
# Each step runs whatever the one before did, so one failure does not cascade.
cycle() {
	_rc=0
	"$VZCTL_BIN" -q start 101 || _rc=1
	"$VZCTL_BIN" -q exec 101 true || _rc=1
	"$VZCTL_BIN" -q stop 101 --fast >/dev/null || _rc=1
	return $_rc
}

check_rc 0 "create 101" vzctl create 101 --ostemplate busybox
for i in $(seq 1 $warmup); do cycle || break; done
rss0=$(rss_kb)
fds0=$(n_fds)
failed=0
t0=$(date +%s)
for i in $(seq 1 "$cycles"); do
	cycle || failed=$((failed + 1))
	[ $((i % report_every)) -eq 0 ] && diag "cycle $i: RSS $(rss_kb) kB, fds $(n_fds), $failed failed"
done
rss1=$(rss_kb)
fds1=$(n_fds_settled "$fds0")
diag "$cycles start/exec/stop cycles in $(($(date +%s) - t0)) s; vzd RSS $rss0 -> $rss1 kB; fds $fds0 -> $fds1"
check "all $cycles cycles succeeded" test "$failed" -eq 0
# ASan keeps freed memory in quarantine (up to 256 MiB): RSS says nothing there.
if grep -q __asan_init /proc/"$VZD_PID"/maps 2>/dev/null ||
	grep -qa __asan_init "$VZD_BIN" "$VZ_BUILDDIR"/src/.libs/vzd 2>/dev/null; then
	ok "# SKIP RSS growth is not meaningful under ASan (grew by $((rss1 - rss0)) kB)"
else
	check "vzd RSS grew by $((rss1 - rss0)) kB (bound $bound_kb kB)" test $((rss1 - rss0)) -le "$bound_kb"
fi
check "vzd holds as many descriptors as before ($fds0 -> $fds1)" test "$fds1" -le "$fds0"
check_rc 0 "destroy 101" vzctl destroy 101
finish
