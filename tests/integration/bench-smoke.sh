#!/bin/bash
# The benchmark harness runs end to end (one run per command, vz and runc),
# prints its table with ratios, and leaves nothing behind.  It never checks
# a speed: benchmarks do not fail for being slow.
. "$(dirname "$0")/lib.sh"
require_root
for t in hyperfine jq runc; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (scripts/deps.sh installs it)"
done
ensure_template busybox || skip_all "cannot build the busybox template"
plan 8

out=$(mktemp -d /tmp/vz-bench-smoke.XXXXXX)
at_exit "rm -rf '$out'"
# Names the harness gives host objects: vzb8-<its pid>, vzt-bench-<its pid>.
leftovers() {
	ls -d /sys/fs/cgroup/*/vzb8-"$1" /sys/fs/cgroup/*/vzt-bench-"$1" /sys/class/net/vzb8br"$1" 2>/dev/null
}

VZ_BUILDDIR=$VZ_BUILDDIR VZ_SRCDIR=$VZ_SRCDIR \
	bash "$VZ_SRCDIR/bench/run.sh" --no-deps --only lifecycle,exec --runs 1 --warmup 0 \
	--out "$out" >"$out/stdout" 2>"$out/stderr" &
pid=$!
wait $pid
rc=$?
check "bench/run.sh exits 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$out/stderr" | tail -n 20
table=$(cat "$out/stdout")
# row_has GROUP NAME REGEX: the table row of NAME in GROUP matches REGEX.
row_has() {
	printf '%s\n' "$table" | awk -v g="$1" -v n="$2" '$1 == g && index($0, n) { print; exit }' | grep -Eq "$3"
}
check "the table has vz's lifecycle time in ms" row_has lifecycle vz '^lifecycle +vz +[0-9]+\.[0-9]+ ms'
check "... and vz's exec time" row_has exec vz '^exec +vz +[0-9]+\.[0-9]+ ms'
check "runc's one-shot lifecycle has a vz/peer ratio" \
	row_has lifecycle 'runc run (one-shot)' 'ms +[0-9.]+\.\.[0-9.]+ +1 +[0-9]+\.[0-9]+'
check "the targets are checked against this run" contains "$table" "exec at most half of lxc-attach"
check "the machine is described" contains "$table" "kernel:  $(uname -r)"
check "no cgroup, bridge or vz instance of the harness is left" test -z "$(leftovers "$pid")"
check "its scratch root file system is removed" test ! -e "$out/rootfs" -a ! -e "$out/peers"
finish
