#!/bin/bash
# Resource limits on the real kernel (cgroup v1 here): `set` reaches the
# cgroup and vzlist at once and survives a restart when saved, bad values
# change nothing, a fork bomb stops at NUMPROC and a memory hog is
# OOM-killed inside its container while the init and a neighbour live on.
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
plan 39
instance_up main
CG=vzt-main-$$
cgv() { cat "/sys/fs/cgroup/$1/$CG/$2/$3" 2>/dev/null; }
field() { vzlist -H -o "$2" "$1" | tr -d ' '; }

vzctl -q create 101 && vzctl -q create 102 && vzctl -q start 101 && vzctl -q start 102 ||
	{ not_ok "containers 101 and 102 start"; exit 1; }

# ---- set is live, visible, saved -------------------------------------------
check_rc 0 "set of limits on a running container succeeds" \
	vzctl set 101 --numproc 150 --ram 128M --swap 32M --cpuunits 1500 --cpulimit 150 --cpumask 0 --ioprio 6
check "pids.max is 150 at once" test "$(cgv pids 101 pids.max)" = 150
check "memory limit is 128M at once" test "$(cgv memory 101 memory.limit_in_bytes)" = $((128 << 20))
check "memory+swap limit is 160M" test "$(cgv memory 101 memory.memsw.limit_in_bytes)" = $((160 << 20))
check "cpu.shares is 1536 (cpuunits 1500)" test "$(cgv cpu 101 cpu.shares)" = 1536
check "cfs quota is 150% of the period" test "$(cgv cpu 101 cpu.cfs_quota_us)" = 150000
check "cpuset.cpus is 0" test "$(cgv cpuset 101 cpuset.cpus)" = 0
check "vzlist shows numproc.l 150 at once" test "$(field 101 numproc.l)" = 150
check "vzlist shows physpages.l 32768 at once" test "$(field 101 physpages.l)" = 32768
check "without --save the config keeps the old value" sh -c "! grep -q '^NUMPROC=\"150\"' '$ROOT/conf/101.conf'"
check_rc 0 "set --numproc 120 --save" vzctl set 101 --numproc 120 --ram 96M --save
check "... is in CTID.conf" grep -q '^NUMPROC="120"' "$ROOT/conf/101.conf"
vzctl -q restart 101 --fast
check "saved values are applied again after a restart" \
	test "$(cgv pids 101 pids.max):$(cgv memory 101 memory.limit_in_bytes)" = "120:$((96 << 20))"

# ---- the view from inside (lxcfs) ------------------------------------------
if grep -q " /var/lib/lxcfs fuse.lxcfs " /proc/self/mounts; then
	vzctl -q set 101 --cpus 1
	check "/proc/meminfo inside shows the 96M limit" \
		test "$(vzctl exec2 101 "awk '/^MemTotal/ { print \$2 }' /proc/meminfo")" = 98304
	check "/proc/cpuinfo inside shows 1 CPU for --cpus 1" \
		test "$(vzctl exec2 101 'grep -c ^processor /proc/cpuinfo')" = 1
	check "/proc/uptime inside counts from the container's start" \
		test "$(vzctl exec2 101 'cut -d. -f1 /proc/uptime')" -lt 600
	vzctl -q set 101 --cpus 0
else
	for _ in 1 2 3; do ok "# SKIP lxcfs is not running (scripts/lxcfs.sh starts it)"; done
fi

# ---- sysinfo() (seccomp user notification, served by the vz-sysinfo helper)
memtotal() { vzctl exec2 101 "free | awk '/^Mem:/ { print \$2 }'"; }
check "sysinfo() inside (busybox free) reports the 96M limit" test "$(memtotal)" = 98304
# One helper for the instance, not one per container: 101 and 102 both run.
# (a fork of this instance's vzd: its command line names our vz.conf)
helpers() { for p in $(pgrep -x vz-sysinfo); do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$ROOT/" && echo "$p"; done; }
check "one vz-sysinfo helper serves both containers ($(helpers | tr '\n' ' '))" test "$(helpers | wc -l)" = 1
check "... and 102 gets its own figures (host total, no limit)" \
	test "$(vzctl exec2 102 "free | awk '/^Mem:/ { print \$2 }'")" != 98304
vzd_kill9
vzd_start
check "... and still does after vzd was killed and restarted" test "$(memtotal)" = 98304

# ---- bad values change nothing ---------------------------------------------
before=$(md5sum <"$ROOT/conf/101.conf")
check_rc 21 "--numproc -5 is refused with 21" vzctl set 101 --numproc -5 --save
check_rc 21 "--ram 12Q (malformed size) is refused" vzctl set 101 --ram 12Q --save
check "... naming the value" contains "$OUT" "12Q"
check_rc 21 "--cpuunits 600000 (too large) is refused" vzctl set 101 --cpuunits 600000 --save
check_rc 21 "--cpumask 0-4095 (CPUs the host lacks) is refused" vzctl set 101 --cpumask 0-4095 --save
check_rc 21 "--ioprio 8 is refused" vzctl set 101 --ioprio 8 --save
check "nothing changed: config and cgroup" \
	test "$(md5sum <"$ROOT/conf/101.conf"):$(cgv pids 101 pids.max)" = "$before:120"

# ---- fork bomb against NUMPROC=100 -----------------------------------------
vzctl -q set 101 --numproc 100 --cpumask all --save
timeout 20 "$VZCTL_BIN" exec 101 'bomb() { bomb | bomb & }; bomb' >/dev/null 2>&1 &
bomb=$!
sleep 3
peak=$(field 101 numproc.m)
check "the fork bomb stops at the limit (numproc.m $peak <= 100)" test "${peak:-999}" -le 100
check "the failure counter rose (numproc.f $(field 101 numproc.f))" test "$(field 101 numproc.f)" -gt 0
t0=$(date +%s%N)
/bin/true
check "the host stays responsive (a command in $(( ($(date +%s%N) - t0) / 1000000 )) ms)" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000
check_rc 0 "the neighbour 102 still runs commands" vzctl exec2 102 'echo ok'
vzctl -q stop 101 --fast
wait "$bomb"
vzctl -q start 101

# ---- memory hog against --ram 64M ------------------------------------------
vzctl -q set 101 --ram 64M --swap 0 --numproc unlimited
init=$(ct_init_pid 101)
check_rc 137 "a 200 MB memory hog is killed (SIGKILL by the OOM killer)" \
	vzctl exec2 101 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
check "the kernel counted an OOM kill in the container's cgroup" \
	sh -c "grep -q '^oom_kill [1-9]' /sys/fs/cgroup/memory/$CG/101/memory.oom_control"
check "the container's init survived" test "$(ct_init_pid 101)" = "$init"
check "physpages.f counts the limit hits" test "$(field 101 physpages.f)" -gt 0
check_rc 0 "the neighbour 102 is unaffected" vzctl exec2 102 'echo ok'

# ---- without lxcfs the container still starts, with a notice ---------------
mkdir -p "$ROOT/no-lxcfs"
echo "LXCFS_DIR=\"$ROOT/no-lxcfs\"" >>"$ROOT/vz.conf"
vzd_stop
vzd_start
check_rc 0 "with no lxcfs at LXCFS_DIR the container still starts" vzctl restart 101 --fast
check "... vzd logged a notice saying so" grep -q "container 101: lxcfs is not mounted on $ROOT/no-lxcfs" "$ROOT/vzd.log"
check "... and /proc/meminfo inside is the host's" \
	test "$(vzctl exec2 101 "awk '/^MemTotal/ { print \$2 }' /proc/meminfo")" = "$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
finish
