# Measure 4 of the benchmark: density.  Start 100, 500, 1000 idle busybox
# containers in a private vz instance and report the time to start them
# all, host memory per container beyond its own processes, vzd's RSS and
# `vzlist -a` time; LXC at the first rung (<= 100) for comparison, whose
# per-container cost includes its monitor process.  Sourced by bench/run.sh.
#
# Memory is read from /proc/meminfo before and after the start of a rung,
# so other load on the machine adds noise; the kernel-only part (slab,
# percpu, kernel stacks, page tables) is reported too, and is steadier.

DENSITY_CT0=1000

# kernel_kib: unreclaimable kernel memory in KiB (slab, percpu, stacks,
# page tables).  avail_kib: MemAvailable.
kernel_kib() { awk '/^(SUnreclaim|Percpu|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo; }
avail_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# pss_kib PID...: summed proportional set size of the processes.
pss_kib() {
	local _p
	for _p; do cat "/proc/$_p/smaps_rollup" 2>/dev/null; done | awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}

# own_kernel_kib PID...: the kernel memory a process has wherever it runs:
# its threads' kernel stacks (16 KiB each on x86-64) and its page tables.
own_kernel_kib() {
	local _p
	for _p; do cat "/proc/$_p/status" 2>/dev/null; done |
		awk '/^Threads:/ { s += 16 * $2 } /^VmPTE:/ { s += $2 } END { print s + 0 }'
}

# cg_pids DIR-GLOB: the pids in the matching cgroups of the pids controller.
cg_pids() { cat /sys/fs/cgroup/pids/$1/cgroup.procs 2>/dev/null; }

# density_check N: the host-wide limits N containers need (not raised).
density_check() {
	local _pm _fd
	_pm=$(cat /proc/sys/kernel/pid_max)
	[ "$_pm" -gt $(($1 * 4 + 4096)) ] || say "  warning: pid_max $_pm is tight for $1 containers"
	_fd=$(ulimit -n)
	[ "$_fd" -gt $(($1 * 4)) ] || say "  warning: open files limit $_fd is tight for $1 containers"
}

# vz_parallel OP CTID...: vzctl OP on many containers, $BENCH_PAR at a time;
# prints the CTIDs that failed.
vz_parallel() {
	local _op=$1
	shift
	printf '%s\n' "$@" | xargs -P "$BENCH_PAR" -I{} sh -c "$VZCTL_BIN -q $_op {} ${VZ_PAR_ARGS:-} >/dev/null 2>&1 || echo {}"
}

now_ms() { date +%s%3N; }
# proc_cpu_ms PID: user+system CPU time of a process so far, in ms.
proc_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

# density_mem GROUP NAME N K0 K1 HOSTK0 HOSTK1 OWN-PIDS HELPER-PIDS: record
# host memory per container beyond its own processes: the growth of kernel
# memory, less the containers' own stacks and page tables, plus the growth
# of the host processes that serve them (HOSTK0/1: vzd's RSS) and the PSS
# of per-container helper processes (LXC's monitors).
density_mem() {
	local _g=$1 _nm=$2 _n=$3 _k=$(($5 - $4)) _host=$(($7 - $6)) _own _help _ownpss
	shift 7
	_own=$(own_kernel_kib $1)
	_ownpss=$(pss_kib $1)
	_help=$(pss_kib $2)
	bench_row "mem/ct$_g" "$_nm" KiB $(((_k - _own + _host + _help) / _n)) "" "" 1 \
		"kernel +$((_k / _n)) less own stacks+PTEs $((_own / _n)), host procs +$((_host / _n)), helpers $((_help / _n)); own PSS $((_ownpss / _n)) KiB/ct"
}

# density_rung N: start N containers, measure, stop them.
density_rung() {
	local _N=$1 _cts _missing="" _c _a0 _k0 _r0 _t0 _t1 _k1 _a1 _r1 _failed _running _pids _g _vzd
	_cts=$(seq $DENSITY_CT0 $((DENSITY_CT0 + _N - 1)))
	_vzd=/proc/$(cat "$ROOT/vzd.pid")/status
	for _c in $_cts; do [ -f "$ROOT/conf/$_c.conf" ] || _missing="$_missing $_c"; done
	if [ -n "$_missing" ]; then
		say "  creating $(echo $_missing | wc -w) containers"
		VZ_PAR_ARGS="--ostemplate busybox" vz_parallel create $_missing | sed 's/^/  create failed: /' >&2
	fi
	sync
	sleep 2
	_a0=$(avail_kib) _k0=$(kernel_kib) _r0=$(awk '/^VmRSS:/ { print $2 }' "$_vzd")
	_t0=$(now_ms)
	_failed=$(vz_parallel start $_cts | wc -l)
	_t1=$(now_ms)
	sleep 3
	_a1=$(avail_kib) _k1=$(kernel_kib) _r1=$(awk '/^VmRSS:/ { print $2 }' "$_vzd")
	_running=$("$VZLIST_BIN" -H -o ctid | wc -l)
	_pids=$(cg_pids "$DENSITY_CG/*")
	_g="@$_N"
	bench_row "start-all$_g" "vz (par $BENCH_PAR)" s "$(secs $((_t1 - _t0)))" "" "" 1 \
		"$_running running, $_failed failed, $(echo $_pids | wc -w) processes, MemAvailable change $(((_a1 - _a0) / _N)) KiB/ct"
	# vzd's helpers outside the containers: vz-sysinfo (a fork of vzd; one
	# per instance since issue 8b, one per container before) when sysinfo
	# is virtualized.
	density_mem "$_g" "vz" "$_N" "$_k0" "$_k1" "$_r0" "$_r1" "$_pids" \
		"$(pgrep -P "$(cat "$ROOT/vzd.pid")" -x vz-sysinfo)"
	bench_row "vzd-rss$_g" "vz vzd" MiB "$(awk -v k="$_r1" 'BEGIN { printf "%.1f", k / 1024 }')" "" "" 1 ""
	say "  $_N: started in $((_t1 - _t0)) ms, $_running running, vzd RSS $_r1 KiB"
	# The work of a list is in vzd; its CPU time does not depend on how
	# busy the machine is, the wall time does.
	_c0=$(proc_cpu_ms "$(cat "$ROOT/vzd.pid")")
	BENCH_RUNS=10 BENCH_WARMUP=1 bench_cmd "vzlist-a$_g" "vz" "$VZLIST_BIN -a"
	_c1=$(proc_cpu_ms "$(cat "$ROOT/vzd.pid")")
	bench_row "vzlist-a-cpu$_g" "vz (vzd CPU per list)" ms $(((_c1 - _c0) / 11)) "" "" 11 \
		"user+system time of vzd over 11 lists, 10 ms ticks"
	if [ "$_N" -ge 1000 ]; then
		bench_target "start-all$_g" "vz (par $BENCH_PAR)" 20 "$_N containers started in under 20 s"
		bench_target "mem/ct$_g" "vz" 256 "host memory per idle container under 256 KiB"
		bench_target "vzd-rss$_g" "vz vzd" 16 "vzd under 16 MiB RSS at $_N containers"
		bench_target "vzlist-a$_g" "vz" 100 "vzlist -a of $_N containers under 100 ms"
	fi
	_t0=$(now_ms)
	VZ_PAR_ARGS="--fast" vz_parallel stop $_cts >/dev/null
	_t1=$(now_ms)
	bench_row "stop-all$_g" "vz (par $BENCH_PAR)" s "$(secs $((_t1 - _t0)))" "" "" 1 ""
}

# density_lxc N: the same for N LXC containers on one shared root file system.
density_lxc() {
	local _N=$1 _names="" _i _n _a0 _k0 _t0 _t1 _a1 _k1 _ctp _monp _g
	for _i in $(seq 1 "$_N"); do
		lxc_define "$PEER_TAG-d$_i" empty
		_names="$_names $PEER_TAG-d$_i"
	done
	sync
	sleep 2
	_a0=$(avail_kib) _k0=$(kernel_kib)
	_t0=$(now_ms)
	printf '%s\n' $_names | xargs -P "$BENCH_PAR" -I{} env PATH="$LXC_PATH_DIR" /usr/bin/lxc-start -P "$LXCP" -n {}
	_t1=$(now_ms)
	sleep 3
	_a1=$(avail_kib) _k1=$(kernel_kib)
	_ctp=$(cg_pids "$PEER_TAG/lxc-$PEER_TAG-d*")
	_monp=$(pgrep -f "^\[lxc monitor\] $LXCP ")
	_g="@$_N"
	bench_row "start-all$_g" "lxc (par $BENCH_PAR)" s "$(secs $((_t1 - _t0)))" "" "" 1 \
		"$(echo $_monp | wc -w) monitors, $(echo $_ctp | wc -w) container processes, MemAvailable change $(((_a1 - _a0) / _N)) KiB/ct"
	density_mem "$_g" "lxc (monitor per ct)" "$_N" "$_k0" "$_k1" 0 0 "$_ctp" "$_monp"
	printf '%s\n' $_names | xargs -P "$BENCH_PAR" -I{} env PATH="$LXC_PATH_DIR" /usr/bin/lxc-stop -k -P "$LXCP" -n {}
	for _n in $_names; do rm -rf "${LXCP:?}/$_n"; done
}

bench_density() {
	local _max=0 _n _saved_conf _lxcn
	say "== density: idle busybox containers, $BENCH_PAR starts at a time"
	for _n; do [ "$_n" -gt "$_max" ] && _max=$_n; done
	density_check "$_max"
	ensure_template busybox || return 1
	_saved_conf=${VZ_CONF:-}
	instance_up density 400000000 >&2 || return 1
	DENSITY_CG=$(sed -n 's/^CGROUP_PARENT="\(.*\)"/\1/p' "$VZ_CONF")
	for _n; do density_rung "$_n"; done
	if [ -z "${PEER_DIR:-}" ]; then
		mkdir -p "$BENCH_OUT/rootfs"
		cp -a "$ROOT/private/$DENSITY_CT0/." "$BENCH_OUT/rootfs/"
		peers_setup "$BENCH_OUT/rootfs" "$(sed -n 's/^LOCAL_UID="\(.*\)"/\1/p' "$ROOT/conf/$DENSITY_CT0.conf")"
	fi
	_lxcn=${BENCH_LXC_DENSITY:-100}
	[ "$1" -lt "$_lxcn" ] && _lxcn=$1
	density_lxc "$_lxcn"
	say "  destroying the density containers"
	vz_parallel destroy $(seq $DENSITY_CT0 $((DENSITY_CT0 + _max - 1))) >/dev/null
	# The instance itself (vzd, cgroups, state root) goes at exit.
	[ -n "$_saved_conf" ] && export VZ_CONF=$_saved_conf
	return 0
}
