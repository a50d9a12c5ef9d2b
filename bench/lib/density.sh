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
# page tables).  used_kib: MemTotal - MemAvailable.
kernel_kib() { awk '/^(SUnreclaim|Percpu|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo; }
used_kib() { awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo; }

# pss_kib PID...: summed proportional set size of the processes.
pss_kib() {
	for _p; do cat "/proc/$_p/smaps_rollup" 2>/dev/null; done | awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}

# cg_pids DIR-GLOB: the pids in the matching cgroups of the pids controller.
cg_pids() { cat /sys/fs/cgroup/pids/$1/cgroup.procs 2>/dev/null; }

# density_check N: the host-wide limits 1000 containers need (not raised).
density_check() {
	_pm=$(cat /proc/sys/kernel/pid_max)
	[ "$_pm" -gt $(($1 * 4 + 4096)) ] || say "  warning: pid_max $_pm is tight for $1 containers"
	_fd=$(ulimit -n)
	[ "$_fd" -gt $(($1 * 4)) ] || say "  warning: open files limit $_fd is tight for $1 containers"
}

# vz_parallel OP CTID...: vzctl OP on many containers, $BENCH_PAR at a time.
vz_parallel() {
	_op=$1
	shift
	printf '%s\n' "$@" | xargs -P "$BENCH_PAR" -I{} sh -c "$VZCTL_BIN -q $_op {} ${VZ_PAR_ARGS:-} >/dev/null 2>&1 || echo {}"
}

now_ms() { date +%s%3N; }

# density_rung N: start N containers, measure, stop them.
density_rung() {
	_N=$1
	_cts=$(seq $DENSITY_CT0 $((DENSITY_CT0 + _N - 1)))
	_missing=""
	for _c in $_cts; do [ -f "$ROOT/conf/$_c.conf" ] || _missing="$_missing $_c"; done
	if [ -n "$_missing" ]; then
		say "  creating $(echo $_missing | wc -w) containers"
		VZ_PAR_ARGS="--ostemplate busybox" vz_parallel create $_missing | sed 's/^/  create failed: /' >&2
	fi
	sync
	sleep 2
	_u0=$(used_kib) _k0=$(kernel_kib)
	_t0=$(now_ms)
	_failed=$(vz_parallel start $_cts | wc -l)
	_t1=$(now_ms)
	sleep 3
	_u1=$(used_kib) _k1=$(kernel_kib)
	_running=$("$VZLIST_BIN" -H -o ctid | wc -l)
	_pids=$(cg_pids "$DENSITY_CG/*")
	_pss=$(pss_kib $_pids)
	_nproc=$(echo $_pids | wc -w)
	_vzd_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$ROOT/vzd.pid")/status")
	_g="@$_N"
	bench_row "start-all$_g" "vz (par $BENCH_PAR)" s "$(((_t1 - _t0) / 1000)).$(printf '%03d' $(((_t1 - _t0) % 1000)))" "" "" 1 \
		"$_running running, $_failed failed, $_nproc processes"
	bench_row "mem/ct$_g" "vz beyond own procs" KiB $(((_u1 - _u0 - _pss) / _N)) "" "" 1 \
		"used +$(((_u1 - _u0) / 1024)) MiB, container processes' PSS $((_pss / 1024)) MiB"
	bench_row "kmem/ct$_g" "vz kernel (slab,percpu,..)" KiB $(((_k1 - _k0) / _N)) "" "" 1 ""
	bench_row "vzd-rss$_g" "vz vzd" MiB "$(awk -v k="$_vzd_rss" 'BEGIN { printf "%.1f", k / 1024 }')" "" "" 1 ""
	say "  $_N: started in $(((_t1 - _t0)))ms, $_running running, vzd RSS ${_vzd_rss} KiB"
	bench_cmd "vzlist-a$_g" "vz" "$VZLIST_BIN -a" --runs 10 --warmup 1
	if [ "$_N" -ge 1000 ]; then
		bench_target "start-all$_g" "vz (par $BENCH_PAR)" 20 "$_N containers started in under 20 s"
		bench_target "mem/ct$_g" "vz beyond own procs" 256 "host memory per idle container under 256 KiB"
		bench_target "vzd-rss$_g" "vz vzd" 16 "vzd under 16 MiB RSS at $_N containers"
		bench_target "vzlist-a$_g" "vz" 100 "vzlist -a of $_N containers under 100 ms"
	fi
	_t0=$(now_ms)
	VZ_PAR_ARGS="--fast" vz_parallel stop $_cts >/dev/null
	_t1=$(now_ms)
	bench_row "stop-all$_g" "vz (par $BENCH_PAR)" s "$(((_t1 - _t0) / 1000)).$(printf '%03d' $(((_t1 - _t0) % 1000)))" "" "" 1 ""
}

# density_lxc N: the same for N LXC containers on one shared root file system.
density_lxc() {
	_N=$1
	_names=""
	for _i in $(seq 1 "$_N"); do
		lxc_define "$PEER_TAG-d$_i" empty
		_names="$_names $PEER_TAG-d$_i"
	done
	sync
	sleep 2
	_u0=$(used_kib) _k0=$(kernel_kib)
	_t0=$(now_ms)
	printf '%s\n' $_names | xargs -P "$BENCH_PAR" -I{} env PATH="$LXC_PATH_DIR" /usr/bin/lxc-start -P "$LXCP" -n {}
	_t1=$(now_ms)
	sleep 3
	_u1=$(used_kib) _k1=$(kernel_kib)
	_ctp=$(cg_pids "$PEER_TAG/lxc-$PEER_TAG-d*")
	_monp=$(pgrep -f "^\[lxc monitor\] $LXCP ")
	_pss=$(pss_kib $_ctp)
	_mon=$(pss_kib $_monp)
	_g="@$_N"
	bench_row "start-all$_g" "lxc (par $BENCH_PAR)" s "$(((_t1 - _t0) / 1000)).$(printf '%03d' $(((_t1 - _t0) % 1000)))" "" "" 1 \
		"$(echo $_monp | wc -w) monitors, $(echo $_ctp | wc -w) container processes"
	bench_row "mem/ct$_g" "lxc beyond own procs" KiB $(((_u1 - _u0 - _pss) / _N)) "" "" 1 \
		"incl. its monitor process: PSS $((_mon / _N)) KiB per container"
	bench_row "kmem/ct$_g" "lxc kernel (slab,percpu,..)" KiB $(((_k1 - _k0) / _N)) "" "" 1 ""
	printf '%s\n' $_names | xargs -P "$BENCH_PAR" -I{} env PATH="$LXC_PATH_DIR" /usr/bin/lxc-stop -k -P "$LXCP" -n {}
	for _n in $_names; do rm -rf "${LXCP:?}/$_n"; done
}

bench_density() {
	say "== density: idle busybox containers, $BENCH_PAR starts at a time"
	_max=0
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
