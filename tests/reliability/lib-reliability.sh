# Helpers of the reliability tests, on top of tests/integration/lib.sh.

# Start vzd with VZ_FAULT=$1: it kills itself when it reaches that step.
vzd_start_faulty() {
	export VZ_FAULT=$1
	vzd_start
	unset VZ_FAULT
}

# Wait (up to $2 s, default 60) for the vzd started last to be gone; false
# if it is still alive (the fault point was not reached).
vzd_wait_dead() {
	for _i in $(seq 1 $((${2:-60} * 10))); do
		kill -0 "$VZD_PID" 2>/dev/null || { wait "$VZD_PID" 2>/dev/null; return 0; }
		sleep 0.1
	done
	return 1
}

# The container's host uid (LOCAL_UID in its config).
ct_uid() {
	sed -n 's/^LOCAL_UID="\{0,1\}\([0-9]*\)"\{0,1\}$/\1/p' "${CONF_DIR:-$ROOT/conf}/$1.conf"
}

# Live (not zombie) processes running as host uid $1.
live_procs_of_uid() {
	ps -e -o uid=,stat=,pid= | awk -v u="$1" '$1 == u && $2 !~ /^Z/ { print $3 }'
}

# Container $1 exists, is stopped, and nothing of a start is left on the
# host: no VE_ROOT mount, no cgroup, no running marker, no process.
ct_stopped_clean() {
	_ct=$1
	[ -f "${CONF_DIR:-$ROOT/conf}/$_ct.conf" ] || { diag "$_ct: config missing"; return 1; }
	[ -d "${PRIVATE_DIR:-$ROOT/private}/$_ct" ] || { diag "$_ct: private area missing"; return 1; }
	vzctl status "$_ct" | grep -q 'exist unmounted down' ||
		{ diag "$_ct: status: $(vzctl status "$_ct" 2>&1)"; return 1; }
	[ ! -e "$ROOT/run/$_ct.running" ] || { diag "$_ct: running marker left"; return 1; }
	# The networking's record of rules and proxy entries it added.
	[ ! -e "$ROOT/run/$_ct.net" ] || { diag "$_ct: network record left"; return 1; }
	! grep -qF "$ROOT/root/$_ct " /proc/self/mountinfo || { diag "$_ct: mount left"; return 1; }
	for _c in /sys/fs/cgroup/*/vzt-*-$$/"$_ct"; do
		[ -e "$_c" ] && { diag "$_ct: cgroup $_c left"; return 1; }
	done
	# A process killed a moment ago may still be on its way out.
	for _i in $(seq 1 20); do
		_p=$(live_procs_of_uid "$(ct_uid "$_ct")")
		[ -z "$_p" ] && break
		sleep 0.1
	done
	if [ -n "$_p" ]; then
		diag "$_ct: processes left: $(ps -o pid=,ppid=,stat=,wchan=,args= -p "$(echo $_p | tr ' ' ,)" | tr '\n' ';')"
		for _x in $_p; do diag "  cgroup of $_x: $(grep -E 'pids|freezer|cpu,' /proc/$_x/cgroup | tr '\n' ' ')"; done
		return 1
	fi
	return 0
}

# Container $1 is running, with its init alive, its root mounted, its marker.
ct_running_whole() {
	_ct=$1
	vzctl status "$_ct" | grep -q 'exist mounted running' ||
		{ diag "$_ct: status: $(vzctl status "$_ct" 2>&1)"; return 1; }
	_pid=$(ct_init_pid "$_ct")
	[ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null || { diag "$_ct: init not alive"; return 1; }
	[ -e "$ROOT/run/$_ct.running" ] || { diag "$_ct: running marker missing"; return 1; }
	vzctl exec "$_ct" true || { diag "$_ct: exec fails"; return 1; }
	return 0
}

# No temporary files of atomic writes, no create intents, no partial areas.
no_debris() {
	_d=$(ls "$ROOT/conf" "$ROOT/run" "$ROOT/private" 2>/dev/null | grep -E '\.tmp\.|\.creating$|\.partial$|\.destroyed$')
	[ -z "$_d" ] || { diag "debris: $_d"; return 1; }
}

# crash_at FAULT COMMAND...: run COMMAND against a vzd that dies at FAULT,
# then bring up a clean vzd (which reconciles).  Two test points.
crash_at() {
	_f=$1
	shift
	covered="$covered $_f"
	vzd_stop
	vzd_start_faulty "$_f"
	"$@" >/dev/null 2>&1
	if vzd_wait_dead && grep -q "fault injection: killing pid [0-9]* at $_f\$" "$ROOT/vzd.log"; then
		ok "$_f: vzd was killed at the step"
	else
		not_ok "$_f: vzd was killed at the step"
		vzd_stop
	fi
	vzd_start
	check "$_f: no temp files, intents or partial areas" no_debris
}
