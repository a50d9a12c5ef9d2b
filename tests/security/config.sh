#!/bin/bash
# The security settings a user controls: CAPABILITY, FEATURES,
# SECCOMP_PROFILE, DEVICES/DEVNODES, NO_NEW_PRIVS, PRIVILEGED in vzlist, and
# VZD_GROUP on vzd's socket.  Each is set through vzctl, takes effect at the
# next start, and applies to exec'd processes as it does to the init.
. "$(dirname "$0")/../integration/lib.sh"
require_root
PROBE="$VZ_BUILDDIR/tests/security/probe"
[ -x "$PROBE" ] || skip_all "tests/security/probe is not built"
ensure_template busybox || skip_all "cannot build the busybox template"
instance_up seccfg
finish_plan() { echo "1..$_n"; finish; }
x() { "$VZCTL_BIN" exec2 101 "$@" 2>&1; }
status_of() { x "grep '^$1:' /proc/$2/status" | awk '{print $2}'; }

vzctl -q create 101 >/dev/null && vzctl -q start 101 || { not_ok "container 101 starts"; finish_plan; exit 1; }
install -m 755 -o "$(sed -n 's/^LOCAL_UID="\([0-9]*\)"/\1/p' "$ROOT/conf/101.conf")" "$PROBE" "$ROOT/private/101/probe"

# ---- defaults: init and exec'd processes alike --------------------------------
check "the init runs under a seccomp filter" test "$(status_of Seccomp 1)" = 2
check "an exec'd process runs under the same filter" test "$(status_of Seccomp self)" = 2
check "an exec'd process has the init's bounding set" test "$(status_of CapBnd self)" = "$(status_of CapBnd 1)"
bnd=$(status_of CapBnd 1)
check "the default bounding set lacks sys_module, sys_rawio, sys_time, syslog, mac_admin" \
	test $((0x$bnd & (1 << 16 | 1 << 17 | 1 << 25 | 1 << 34 | 1 << 33))) -eq 0
check "the default bounding set keeps net_raw, sys_admin, sys_boot" test $((0x$bnd & (1 << 13 | 1 << 21 | 1 << 22))) -eq $((1 << 13 | 1 << 21 | 1 << 22))
OUT=$(printf 'grep -E "^(Seccomp|CapBnd):" /proc/self/status\nexit\n' | script -qec "'$VZCTL_BIN' enter 101" /dev/null 2>&1)
check "an entered shell (vzctl enter) has the init's filter and bounding set" \
	sh -c "echo '$OUT' | grep -q '^Seccomp:.*2' && echo '$OUT' | grep -q '^CapBnd:.*$bnd'"
check "no_new_privs is off by default (set-id programs keep working)" test "$(status_of NoNewPrivs self)" = 0
check "ping of 127.0.0.1 works with cap_net_raw" sh -c "'$VZCTL_BIN' exec2 101 'ping -c1 -W5 127.0.0.1' >/dev/null 2>&1"

# ---- bad input: precise message, vzctl exit code, nothing changed --------------
cp "$ROOT/conf/101.conf" "$ROOT/conf.before"
check_rc 21 "--capability with an unknown name is refused" "$VZCTL_BIN" set 101 --capability nosuchcap:on --save
check "the message names the capability" contains "$OUT" "nosuchcap"
check_rc 21 "--capability without on/off is refused" "$VZCTL_BIN" set 101 --capability net_raw:maybe --save
check_rc 21 "--features with an unknown feature is refused" "$VZCTL_BIN" set 101 --features warp:on --save
check_rc 21 "--devices with a bad rule is refused" "$VZCTL_BIN" set 101 --devices x:1:3:rw --save
check_rc 21 "--devnodes escaping /dev is refused" "$VZCTL_BIN" set 101 --devnodes ../sda:rw --save
check_rc 21 "--seccomp-profile with a relative path is refused" "$VZCTL_BIN" set 101 --seccomp-profile ../x --save
check "the config is unchanged after the refusals" cmp -s "$ROOT/conf/101.conf" "$ROOT/conf.before"

# ---- CAPABILITY ----------------------------------------------------------------
vzctl -q set 101 --capability net_raw:on --capability NET_RAW:off --save >/dev/null
check "the later --capability entry replaces the earlier one" grep -q '^CAPABILITY="NET_RAW:off"' "$ROOT/conf/101.conf"
vzctl -q restart 101 --fast >/dev/null
check "net_raw:off takes net_raw out of the bounding set" test $((0x$(status_of CapBnd 1) & (1 << 13))) -eq 0
check "... of exec'd processes too" test $((0x$(status_of CapBnd self) & (1 << 13))) -eq 0
check "... so ping fails" sh -c "! '$VZCTL_BIN' exec2 101 'ping -c1 -W2 127.0.0.1' >/dev/null 2>&1"
vzctl -q set 101 --capability net_raw:on --save >/dev/null
check "an exec'd process never gets more than the running init (net_raw saved on, init without)" \
	test $((0x$(status_of CapBnd self) & (1 << 13))) -eq 0

# ---- NO_NEW_PRIVS ----------------------------------------------------------------
vzctl -q set 101 --no-new-privs yes --save >/dev/null
vzctl -q restart 101 --fast >/dev/null
check "NO_NEW_PRIVS=yes sets no_new_privs on the init" test "$(status_of NoNewPrivs 1)" = 1
check "... and on exec'd processes" test "$(status_of NoNewPrivs self)" = 1
vzctl -q set 101 --no-new-privs no --save >/dev/null

# ---- DEVNODES / DEVICES ------------------------------------------------------------
# The host node's owner and mode still apply: a root-owned node must be
# open to others for an unprivileged container (/dev/net/tun is 0600 here),
# so the test makes its own 0666 node with tun's numbers.
node=vzt3tun$$
mknod -m 666 "/dev/$node" c 10 200 && at_exit "rm -f /dev/$node"
check "/dev/$node is not there by default" sh -c "! '$VZCTL_BIN' exec2 101 'test -e /dev/$node'"
vzctl -q set 101 --devnodes "$node:rw" --save >/dev/null
vzctl -q restart 101 --fast >/dev/null
check "--devnodes $node:rw makes it usable" sh -c "'$VZCTL_BIN' exec2 101 'exec 3<>/dev/$node' 2>/dev/null"
check "the device cgroup allows exactly that node more" grep -qx 'c 10:200 rw' /sys/fs/cgroup/devices/vzt-seccfg-$$/101/devices.list
vzctl -q set 101 --devnodes "$node:none" --save >/dev/null
vzctl -q restart 101 --fast >/dev/null
check "--devnodes $node:none takes it away again" sh -c "! '$VZCTL_BIN' exec2 101 'test -c /dev/$node' && ! grep -q 10:200 /sys/fs/cgroup/devices/vzt-seccfg-$$/101/devices.list"
vzctl -q set 101 --devices c:10:200:rw --save >/dev/null
vzctl -q restart 101 --fast >/dev/null
check "--devices c:10:200:rw grants the numbers in the device cgroup" grep -qx 'c 10:200 rw' /sys/fs/cgroup/devices/vzt-seccfg-$$/101/devices.list

# ---- PRIVILEGED container: FEATURES and SECCOMP_PROFILE ----------------------------
vzctl -q create 103 >/dev/null
echo 'PRIVILEGED="yes"' >>"$ROOT/conf/103.conf"
check "vzlist shows 103 as privileged" sh -c "'$VZLIST_BIN' -a -H -o ctid,privileged | grep -q '103 *yes'"
check "vzlist shows 101 as not privileged" sh -c "'$VZLIST_BIN' -a -H -o ctid,privileged | grep -q '101 *no'"
vzctl -q start 103
install -m 755 "$PROBE" "$ROOT/private/103/probe"
check_rc 0 "103: userfaultfd is refused by default" "$VZCTL_BIN" exec2 103 /probe userfaultfd
check_rc 0 "103: bpf is refused by default" "$VZCTL_BIN" exec2 103 /probe bpf
vzctl -q set 103 --features userfaultfd:on --features bpf:on --save >/dev/null
vzctl -q restart 103 --fast >/dev/null
check_rc 1 "103: --features userfaultfd:on lets userfaultfd through" "$VZCTL_BIN" exec2 103 /probe userfaultfd
check_rc 1 "103: --features bpf:on lets bpf through" "$VZCTL_BIN" exec2 103 /probe bpf
check_rc 0 "103: other rules still apply (perf_event_open)" "$VZCTL_BIN" exec2 103 /probe perf_event_open
vzctl -q set 103 --features userfaultfd:off --save >/dev/null
check_rc 1 "103: exec keeps the filter the init started with (userfaultfd still lifted until restart)" \
	"$VZCTL_BIN" exec2 103 /probe userfaultfd
# The running marker holds the profile snapshot, a NUL and the compiled
# program; exec installs the program, or compiles the snapshot if the
# program is damaged or cut off (never something else).
m="$ROOT/run/103.running"
printf '\000' | dd of="$m" bs=1 seek=$(($(stat -c %s "$m") - 1)) conv=notrunc status=none
check_rc 1 "103: a damaged stored program: exec compiles the init's snapshot (userfaultfd still lifted)" \
	"$VZCTL_BIN" exec2 103 /probe userfaultfd
check_rc 0 "... whose other rules apply (perf_event_open refused)" "$VZCTL_BIN" exec2 103 /probe perf_event_open
head -c "$(tr '\0' '\n' <"$m" | head -n1 | wc -c)" "$m" >"$m.cut" && mv "$m.cut" "$m"
check_rc 1 "103: a marker with the snapshot only (older vz): the same" "$VZCTL_BIN" exec2 103 /probe userfaultfd
vzctl -q restart 103 --fast >/dev/null
check_rc 0 "103: after the restart the saved FEATURES apply (userfaultfd refused again)" \
	"$VZCTL_BIN" exec2 103 /probe userfaultfd
cat >"$ROOT/permissive.json" <<'JSON'
{"default_action": "allow", "arches": ["x86_64", "x86", "x32"],
 "syscalls": [{"names": ["perf_event_open"], "action": "errno", "errno": "ENOSYS"}]}
JSON
vzctl -q set 103 --seccomp-profile "$ROOT/permissive.json" --save >/dev/null
vzctl -q restart 103 --fast >/dev/null
check_rc 1 "103: with a per-container profile, keyctl is no longer filtered" "$VZCTL_BIN" exec2 103 /probe keyctl
check "103: ... and its own rule applies (perf_event_open gets ENOSYS)" sh -c "'$VZCTL_BIN' exec2 103 /probe perf_event_open | grep -q 'not implemented'"
echo '{"default_action": "allow", "syscalls": [{"names": ["reboot"], "action": "kill"}]}' >"$ROOT/killer.json"
vzctl -q set 103 --seccomp-profile "$ROOT/killer.json" --save >/dev/null
vzctl -q stop 103 --fast >/dev/null
check_rc 21 "a profile with a killing action is refused at start" "$VZCTL_BIN" start 103
check "the message says why" contains "$OUT" "never kills"
echo '{"default_action": "allow", "syscalls": [{"names": ["no_such_call"], "action": "errno"}]}' >"$ROOT/typo.json"
vzctl -q set 103 --seccomp-profile "$ROOT/typo.json" --save >/dev/null
check_rc 21 "a profile naming an unknown system call is refused" "$VZCTL_BIN" start 103
check "the message names the call and the file" sh -c "echo '$OUT' | grep -q no_such_call && echo '$OUT' | grep -q typo.json"
vzctl -q set 103 --seccomp-profile "$ROOT/missing.json" --save >/dev/null
check_rc 21 "a missing profile is refused at start: never unfiltered" "$VZCTL_BIN" start 103
check "the message names the missing file" contains "$OUT" "missing.json"
check "the failed start left 103 stopped" sh -c "'$VZCTL_BIN' status 103 | grep -q down"

# ---- VZD_GROUP -----------------------------------------------------------------------
grp=vzt3g$$
user=vzt3u$$
if groupadd "$grp" 2>/dev/null && useradd -M -N -g nogroup -G "$grp" "$user" 2>/dev/null; then
	at_exit "userdel $user 2>/dev/null; groupdel $grp 2>/dev/null"
	check "without VZD_GROUP, the socket is root's only (0600)" test "$(stat -c %a "$ROOT/run/vzd.sock")" = 600
	check_rc 12 "... and a non-root user is refused with exit 12" setpriv --reuid="$user" --regid=nogroup --init-groups "$VZLIST_BIN" -a
	vzd_stop
	echo "VZD_GROUP=\"$grp\"" >>"$VZ_CONF"
	vzd_start
	check "with VZD_GROUP, the socket is root:$grp 0660" test "$(stat -c '%U:%G %a' "$ROOT/run/vzd.sock")" = "root:$grp 660"
	check_rc 0 "a member of $grp may use vzd" setpriv --reuid="$user" --regid=nogroup --init-groups "$VZLIST_BIN" -a
	check_rc 12 "nobody (not a member) may not" setpriv --reuid=nobody --regid=nogroup --clear-groups "$VZLIST_BIN" -a
else
	ok "# SKIP cannot create a test user and group"
fi
finish_plan
