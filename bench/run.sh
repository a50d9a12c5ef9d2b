#!/bin/bash
# Benchmark vz against its peers (runc, crun, LXC) on this machine, in one
# run, and print a table of medians, spreads and ratios (vz / peer).
#
#   bench/run.sh [--quick] [--runs N] [--warmup N] [--only LIST]
#                [--density "100 500 1000"] [--par N] [--out DIR] [--no-deps]
#
#   --only LIST   comma-separated subset of: lifecycle,exec,create,density,sub
#   --density     the ladder of idle busybox containers (default 100 500 1000)
#   --par N       concurrent `vzctl start`s in the density run (default 4)
#   --quick       3 runs, 1 warm-up, density ladder "20": a smoke run
#
# It installs its Debian packages (hyperfine, runc, crun, lxc, lxc-templates,
# jq), builds vz if needed (or uses VZ_BUILDDIR), runs everything in a private
# vz instance and removes every container, cgroup, bridge and file it made.
# Sub-benches bench/*.sh (net.sh, cr.sh, vm.sh, ...) run after the core
# measures with the same BENCH_* environment; see BENCHMARKS.md.
# Benchmarks never fail for being slow: the exit status is 0 unless the
# harness itself could not run.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
VZ_SRCDIR=${VZ_SRCDIR:-$(dirname "$BENCH_DIR")}
VZ_BUILDDIR=${VZ_BUILDDIR:-$VZ_SRCDIR/build}
export VZ_SRCDIR VZ_BUILDDIR

only="lifecycle,exec,create,density,sub"
density="100 500 1000"
BENCH_PAR=4
deps=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) BENCH_RUNS=3 BENCH_WARMUP=1 density="20" ;;
	--runs) BENCH_RUNS=$2; shift ;;
	--warmup) BENCH_WARMUP=$2; shift ;;
	--only) only=$2; shift ;;
	--density) density=$2; shift ;;
	--par) BENCH_PAR=$2; shift ;;
	--out) BENCH_OUT=$2; mkdir -p "$BENCH_OUT"; shift ;;
	--no-deps) deps=0 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run.sh: unknown option \`$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
want() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }

[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
if [ "$deps" = 1 ]; then
	missing=""
	for p in hyperfine:hyperfine runc:runc crun:crun lxc-start:lxc jq:jq debootstrap:debootstrap \
		busybox:busybox-static; do
		command -v "${p%%:*}" >/dev/null || missing="$missing ${p#*:}"
	done
	[ -d /usr/share/lxc/templates ] && [ -x /usr/share/lxc/templates/lxc-busybox ] || missing="$missing lxc-templates"
	if [ -n "$missing" ]; then
		echo "installing:$missing" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null ||
			{ echo "bench/run.sh: apt-get install$missing failed" >&2; exit 1; }
	fi
fi
if [ ! -x "$VZ_BUILDDIR/src/vzctl" ]; then
	"$VZ_SRCDIR/scripts/build.sh" >/dev/null || { echo "bench/run.sh: build failed" >&2; exit 1; }
fi

BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/vz-bench-out.XXXXXX)}
chmod 755 "$BENCH_OUT"

# Registered first, so it runs after the instances' own cleanup: processes
# that outlive a container by a moment (a vz-sysinfo helper ending after its
# init) can make that cleanup's rmdir of the cgroup parent fail; retry it.
bench_cgroups_gone() {
	local _i _d _left
	for _i in $(seq 1 30); do
		_left=""
		for _d in /sys/fs/cgroup/*/vzt-bench-$$ /sys/fs/cgroup/*/vzt-density-$$; do
			[ -d "$_d" ] || continue
			find "$_d" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$_d" ] && _left=1
		done
		[ -z "$_left" ] && return 0
		sleep 0.1
	done
	echo "bench/run.sh: cgroups vzt-bench-$$/vzt-density-$$ are still in use" >&2
}

# A vz instance of its own (lib.sh of the integration tests: own vz.conf,
# state root, cgroup parent, id range; cleaned up at exit).  Its vzd stays
# in the machine's network namespace, as the peers do, so that the NIC
# variants share one bridge.
export VZ_TEST_HOST_NET=1
. "$VZ_SRCDIR/tests/integration/lib.sh"
at_exit bench_cgroups_gone
# The programs themselves, not libtool's wrapper scripts: each wrapper is a
# bash start-up (about 10 ms here) that an installed vz does not pay.
# (vzctl and vzlist link no shared libvz, so they have no wrapper; a
# .libs/ copy of them beside is a stale one of an older build.)
wrapped() { [ -x "$VZ_BUILDDIR/src/.libs/$1" ] && [ "$(head -c 4 "$VZ_BUILDDIR/src/$1")" != $'\x7fELF' ]; }
wrapped vzctl && VZCTL_BIN=$VZ_BUILDDIR/src/.libs/vzctl
wrapped vzlist && VZLIST_BIN=$VZ_BUILDDIR/src/.libs/vzlist
if wrapped vzd; then
	VZD_BIN=$VZ_BUILDDIR/src/.libs/vzd
	export LD_LIBRARY_PATH="$VZ_BUILDDIR/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
. "$BENCH_DIR/lib/measure.sh"
. "$BENCH_DIR/lib/peers.sh"
. "$BENCH_DIR/lib/core.sh"
. "$BENCH_DIR/lib/density.sh"

# Per-process limits for many containers (fds of vzd, processes); the
# host-wide ones (pid_max, inotify) are only checked, in density.sh.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ulimit -u unlimited 2>/dev/null

machine_info() {
	echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores," \
		"$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel:  $(uname -r); cgroups: $(cgroup_layout)"
	echo "peers:   $(runc --version | head -n1), $(crun --version | head -n1)," \
		"lxc $(lxc-start --version 2>/dev/null), $(hyperfine --version)"
	echo "vz:      $(git -C "$VZ_SRCDIR" describe --always --dirty 2>/dev/null)"
	echo "runs:    $BENCH_RUNS (+$BENCH_WARMUP warm-up) per command; median and p25..p75 in ms"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at the start (the machine may be shared)"
}

cgroup_layout() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "v2 (unified)"
	elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
		echo "hybrid: v1 controllers, v2 mount with [$(cat /sys/fs/cgroup/unified/cgroup.controllers)]"
	else
		echo "v1"
	fi
}

# Sub-benches of other areas, found by name; the expected ones are listed
# so the report says which are still missing.
run_subbenches() {
	for _s in net cr vm; do
		[ -f "$BENCH_DIR/$_s.sh" ] || bench_note "sub:$_s" "$_s.sh" "not yet available"
	done
	for _s in "$BENCH_DIR"/*.sh; do
		[ "$_s" = "$BENCH_DIR/run.sh" ] && continue
		say "== sub-bench $(basename "$_s")"
		bash "$_s" || say "  $(basename "$_s") exited $?"
	done
}

export BENCH_PAR
machine_info | tee "$BENCH_OUT/machine.txt" >&2

if want lifecycle || want exec || want create; then
	ensure_template busybox || { echo "bench/run.sh: cannot build the busybox template" >&2; exit 1; }
	# Ids outside the integration tests' ranges (>= 1e9), CTIDs up to 2000 fit.
	instance_up bench 200000000 >&2 || exit 1
	$VZCTL create 101 --ostemplate busybox >/dev/null || exit 1
	ct_uid=$(sed -n 's/^LOCAL_UID="\(.*\)"/\1/p' "$ROOT/conf/101.conf")
	mkdir -p "$BENCH_OUT/rootfs"
	cp -a "$ROOT/private/101/." "$BENCH_OUT/rootfs/"
	peers_setup "$BENCH_OUT/rootfs" "$ct_uid"
	want lifecycle && bench_lifecycle
	want exec && bench_exec
	want create && bench_create
	if want lifecycle; then
		bench_target_peers lifecycle 0.5 '^(runc|lxc)' "lifecycle at most half of the faster of runc and LXC"
		bench_target_peers lifecycle-nic 0.5 '^(runc|lxc)' "lifecycle with NIC at most half of the faster of runc and LXC"
	fi
	want exec && bench_target_peers exec 0.5 '^lxc-attach' "exec at most half of lxc-attach"
fi
want density && bench_density $density
want sub && run_subbenches

echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at the end" >>"$BENCH_OUT/machine.txt"
echo
cat "$BENCH_OUT/machine.txt"
echo
bench_table
echo
bench_targets
echo
echo "raw results: $BENCH_RESULTS (hyperfine JSON beside it)"
