# Shared setup of the integration tests: TAP helpers, an isolated vz instance
# (its own vz.conf, state root, socket, cgroup parent and id range), a vzd
# from the build tree, and cleanup that leaves nothing behind.
#
# Tests source this file, call `plan N`, then `instance_up NAME`.
set -u

VZ_BUILDDIR=${VZ_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
VZ_SRCDIR=${VZ_SRCDIR:-$VZ_BUILDDIR}
VZCTL_BIN="$VZ_BUILDDIR/src/vzctl"
VZLIST_BIN="$VZ_BUILDDIR/src/vzlist"
VZD_BIN="$VZ_BUILDDIR/src/vzd"
TEMPLATE_CACHE="$VZ_BUILDDIR/tests/cache"
TEST_NAME=$(basename "$0" .sh)
if [ ! -x "$VZCTL_BIN" ] || [ ! -x "$VZD_BIN" ]; then
	echo "Bail out! vz is not built in $VZ_BUILDDIR (set VZ_BUILDDIR, or run make check)"
	exit 1
fi

_n=0
_failed=0
_cleanups=""

plan() { echo "1..$1"; }
ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else not_ok "$_desc"; fi
}

# check_rc EXPECTED DESCRIPTION COMMAND...: ok when it exits with EXPECTED;
# its output is kept in $OUT (stdout+stderr) for further checks.
check_rc() {
	_want=$1
	_desc=$2
	shift 2
	OUT=$("$@" 2>&1)
	_rc=$?
	if [ "$_rc" -eq "$_want" ]; then
		ok "$_desc"
	else
		not_ok "$_desc (exit $_rc, wanted $_want)"
		echo "$OUT" | sed 's/^/#   /'
	fi
}

# contains TEXT PATTERN: grep -q with a fixed string.
contains() { printf '%s\n' "$1" | grep -qF -- "$2"; }

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (namespaces, cgroups, mounts)"
	[ -d /sys/fs/cgroup ] || skip_all "no cgroup file system"
}

at_exit() { _cleanups="$*; $_cleanups"; }
_run_cleanups() {
	set +e
	eval "$_cleanups"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# Build a template once per build tree; tests copy it into their instance.
ensure_template() {
	_t=$1
	[ -f "$TEMPLATE_CACHE/$_t.tar.gz" ] && return 0
	mkdir -p "$TEMPLATE_CACHE"
	"$VZ_SRCDIR/templates/vz-mktemplate" --cache "$TEMPLATE_CACHE" "$_t" >"$TEMPLATE_CACHE/$_t.log" 2>&1
}

# The VM kit (kernel, initramfs, guest files) once per build tree; tests
# link it into their instance's TEMPLATE/vm.  VZ_VM_KERNEL_DEB may name a
# linux-image .deb already downloaded.
VM_KIT="$VZ_BUILDDIR/tests/vmkit"
vm_kit_fresh() {
	# Rebuilt when mkkit.sh changed since (the guest files come from it).
	[ -f "$VM_KIT/vmlinuz" ] && [ "$VM_KIT/initrd.img" -nt "$VZ_SRCDIR/templates/vm/mkkit.sh" ]
}
ensure_vm_kit() {
	vm_kit_fresh && return 0
	mkdir -p "$VZ_BUILDDIR/tests"
	# Tests running in parallel (make check -j) need the kit at once: the
	# first builds it, the others wait for it and then use it.
	(
		flock 8
		vm_kit_fresh || "$VZ_SRCDIR/templates/vm/mkkit.sh" "$VM_KIT" >"$VZ_BUILDDIR/tests/vmkit.log" 2>&1
	) 8>"$VZ_BUILDDIR/tests/vmkit.build.lock"
}

# instance_up NAME [IDBASE]: a private vz instance under a temporary root,
# with vzd running.  Sets VZ_CONF (so vzctl/vzlist use it), ROOT, VZD_PID.
instance_up() {
	_name=$1
	# Each test gets its own id ranges, so tests running in parallel never
	# share a host uid (checks look for processes by uid).
	_base=${2:-$((1000000000 + $(printf '%s' "$TEST_NAME" | cksum | cut -d' ' -f1) % 300 * 10000000))}
	ROOT=$(mktemp -d "/tmp/vz-$TEST_NAME-$_name.XXXXXX")
	# Containers' unprivileged ids must be able to enter VE_ROOT's parents.
	chmod 755 "$ROOT"
	mkdir -p "$ROOT/template/cache" "$ROOT/conf"
	for _t in "$TEMPLATE_CACHE"/*.tar.gz; do
		[ -f "$_t" ] && ln "$_t" "$ROOT/template/cache/" 2>/dev/null || cp "$_t" "$ROOT/template/cache/" 2>/dev/null
	done
	cat >"$ROOT/vz.conf" <<CONF
# vz instance of test $TEST_NAME
CONF_DIR="$ROOT/conf"
VE_ROOT="$ROOT/root/\$VEID"
VE_PRIVATE="$ROOT/private/\$VEID"
TEMPLATE="$ROOT/template"
DUMPDIR="$ROOT/dump"
LOCKDIR="$ROOT/lock"
VZ_RUN_DIR="$ROOT/run"
CGROUP_PARENT="vzt-$_name-$$"
USERNS_BASE="$_base"
STOP_TIMEOUT="10"
LOCK_TIMEOUT="30"
SECCOMP_PROFILE="$VZ_SRCDIR/etc/seccomp/default.json"
CONF
	# Extra vz.conf lines a test needs (e.g. VZ_BRIDGE, VM_ACCEL).
	[ -z "${VZ_EXTRA_CONF:-}" ] || printf '%s\n' "$VZ_EXTRA_CONF" >>"$ROOT/vz.conf"
	cp "$VZ_SRCDIR/etc/conf/ve-basic.conf-sample" "$ROOT/conf/" 2>/dev/null
	export VZ_CONF="$ROOT/vz.conf"
	# Each instance's vzd is a "host" in a network namespace of its own, so
	# bridges, routes and nftables tables of parallel tests never meet.
	# VZ_TEST_HOST_NET=1 keeps vzd in the machine's namespace.
	if [ -z "${VZ_TEST_HOST_NET:-}" ]; then
		VZ_NETNS="vzt-$TEST_NAME-$_name-$$"
		ip netns add "$VZ_NETNS" && ip -n "$VZ_NETNS" link set lo up && echo "$VZ_NETNS" >"$ROOT/netns"
	fi
	vzd_start
	at_exit "instance_down '$ROOT' '$_name'"
}

vzd_start() {
	_nsenter=""
	[ -f "$ROOT/netns" ] && _nsenter="nsenter --net=/run/netns/$(cat "$ROOT/netns") --"
	$_nsenter "$VZD_BIN" --vz-conf "$VZ_CONF" --debug >>"$ROOT/vzd.log" 2>&1 &
	VZD_PID=$!
	echo "$VZD_PID" >"$ROOT/vzd.pid"   # per instance: cleanup must not kill another's
	for _i in $(seq 1 100); do
		[ -S "$ROOT/run/vzd.sock" ] && "$VZLIST_BIN" -a -H >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	diag "vzd did not come up:"
	sed 's/^/#   /' "$ROOT/vzd.log"
	return 1
}

# The pid of the real vzd binary (libtool may wrap it in a script).
vzd_kill9() {
	kill -9 "$VZD_PID" 2>/dev/null
	wait "$VZD_PID" 2>/dev/null
}

vzd_stop() {
	_pid=$(cat "$ROOT/vzd.pid" 2>/dev/null || echo "$VZD_PID")
	kill "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
}

instance_down() {
	_root=$1
	_name=$2
	export VZ_CONF="$_root/vz.conf"
	ROOT=$_root
	for _ct in $("$VZLIST_BIN" -a -H -o ctid 2>/dev/null); do
		"$VZCTL_BIN" -q stop "$_ct" --fast >/dev/null 2>&1
		"$VZCTL_BIN" -q destroy "$_ct" >/dev/null 2>&1
	done
	vzd_stop
	[ -f "$_root/netns" ] && ip netns del "$(cat "$_root/netns")" 2>/dev/null
	# A vzd in the machine's namespace (VZ_TEST_HOST_NET, the benchmarks)
	# left its nftables tables there: vz_BRIDGE_TAG, TAG from its run dir.
	[ -f "$_root/netns" ] || instance_tables_del "$_root/run"
	for _m in $(awk -v r="$_root" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$_m" 2>/dev/null
	done
	for _c in /sys/fs/cgroup/*/"vzt-$_name-$$"; do
		[ -d "$_c" ] && find "$_c" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	if [ "$_failed" -gt 0 ]; then
		diag "vzd log of $_name:"
		tail -n 40 "$_root/vzd.log" 2>/dev/null | sed 's/^/#   /'
	fi
	rm -rf "$_root"
}

# The 16-bit FNV-1a tag vzd derives its table names from (netns/ct.c).
instance_tag() {
	_h=2166136261
	_s=$1
	while [ -n "$_s" ]; do
		_c=$(printf '%d' "'${_s%"${_s#?}"}")
		_h=$(( ((_h ^ _c) * 16777619) & 0xffffffff ))
		_s=${_s#?}
	done
	printf '%04x' $((_h & 0xffff))
}

instance_tables_del() {
	command -v nft >/dev/null || return 0
	_tag=$(instance_tag "$1")
	nft list tables 2>/dev/null | while read -r _ _fam _tbl; do
		case $_tbl in vz_*_"$_tag") nft delete table "$_fam" "$_tbl" 2>/dev/null ;; esac
	done
}

vzctl() { "$VZCTL_BIN" "$@"; }
# hostnet CMD...: run CMD in the network namespace of this instance's vzd.
hostnet() { if [ -f "$ROOT/netns" ]; then nsenter --net="/run/netns/$(cat "$ROOT/netns")" -- "$@"; else "$@"; fi; }
vzlist() { "$VZLIST_BIN" "$@"; }

# The host pid of a running container's init (from vzctl status -j).
ct_init_pid() {
	vzctl status "$1" -j | sed -n 's/.*"init_pid": *\([0-9]*\).*/\1/p'
}

# Nothing of container $1 (of instance $2 = cgroup name) is left on the host.
ct_gone() {
	_ct=$1
	[ ! -e "$ROOT/private/$_ct" ] || { diag "private area left"; return 1; }
	[ ! -e "$ROOT/root/$_ct" ] || { diag "root dir left"; return 1; }
	[ ! -e "$ROOT/conf/$_ct.conf" ] || { diag "config left"; return 1; }
	[ ! -e "$ROOT/conf/$_ct.conf.destroyed" ] || { diag "destroy marker left"; return 1; }
	[ ! -e "$ROOT/lock/$_ct.lck" ] || { diag "lock file left"; return 1; }
	[ ! -e "$ROOT/run/$_ct.running" ] || { diag "running marker left"; return 1; }
	! grep -qF "$ROOT/root/$_ct" /proc/self/mountinfo || { diag "mount left"; return 1; }
	for _c in /sys/fs/cgroup/*/vzt-*-$$/"$_ct"; do
		[ -e "$_c" ] && { diag "cgroup $_c left"; return 1; }
	done
	return 0
}

finish() {
	[ "$_failed" -eq 0 ]
}
