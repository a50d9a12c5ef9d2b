#!/bin/bash
# The escape-test suite: as root inside running containers, every attempt
# to reach the host or another container must fail, and the host and the
# other container must be unchanged afterwards.
#
# Container 101 is the attacker, 102 the neighbour, both unprivileged
# (user namespace).  103 is PRIVILEGED (no user namespace): there the
# seccomp filter, the bounding set and the device cgroup are the only walls,
# so it proves that they, not only the user namespace, block the calls.
# System calls a shell cannot make are tried by tests/security/probe, a
# static program copied into the containers.
. "$(dirname "$0")/../integration/lib.sh"
require_root
PROBE="$VZ_BUILDDIR/tests/security/probe"
[ -x "$PROBE" ] || skip_all "tests/security/probe is not built"
ensure_template busybox || skip_all "cannot build the busybox template"
instance_up esc
finish_plan() { echo "1..$_n"; finish; }

for ct in 101 102; do
	vzctl -q create $ct >/dev/null && vzctl -q start $ct || { not_ok "container $ct starts"; finish_plan; exit 1; }
	install -m 755 -o "$(sed -n 's/^LOCAL_UID="\([0-9]*\)"/\1/p' "$ROOT/conf/$ct.conf")" \
		"$PROBE" "$ROOT/private/$ct/probe"
done
uid101=$(sed -n 's/^LOCAL_UID="\([0-9]*\)"/\1/p' "$ROOT/conf/101.conf")
x() { "$VZCTL_BIN" exec2 101 "$@" 2>&1; }
fails_in() { ! "$VZCTL_BIN" exec2 "$1" "$2" >/dev/null 2>&1; }

# ---- host state to compare with afterwards ----------------------------------
sleep 1000.5 &
host_pid=$!
at_exit "kill $host_pid 2>/dev/null"
t0=$(date +%s)
modules0=$(cut -d' ' -f1 /proc/modules 2>/dev/null | sort | md5sum)
cad0=$(cat /proc/sys/kernel/ctrl-alt-del)
sysrq0=$(cat /proc/sys/kernel/sysrq 2>/dev/null)
swappiness0=$(cat /proc/sys/vm/swappiness)
hostname0=$(hostname)
rootopts0=$(findmnt -no OPTIONS /)
memcg=$(echo /sys/fs/cgroup/memory/vzt-esc-$$/101)
memlimit0=$(cat "$memcg/memory.limit_in_bytes")
echo "secret of 102" >"$ROOT/private/102/root/secret"
chown "$(stat -c %u "$ROOT/private/102/root")" "$ROOT/private/102/root/secret"
chmod 600 "$ROOT/private/102/root/secret"

# ---- system calls, through the probe -----------------------------------------
for a in $("$PROBE" -l); do
	case $a in ok_*) want="works" ;; *) want="is refused" ;; esac
	check_rc 0 "101: $a $want" "$VZCTL_BIN" exec2 101 /probe "$a"
done

# ---- file system view ----------------------------------------------------------
check "101: writing /proc/sysrq-trigger fails" fails_in 101 'echo h > /proc/sysrq-trigger'
check "101: /proc/kcore reads nothing" test -z "$(x 'head -c 16 /proc/kcore 2>/dev/null')"
check "101: /proc/kallsyms and /proc/timer_list read nothing" test -z "$(x 'cat /proc/kallsyms /proc/timer_list 2>/dev/null')"
# The masks and read-only mounts are locked (built by host root, copied
# into the container's user namespace): none of them can be undone.
check "101: a mask over /proc cannot be unmounted" fails_in 101 'umount /proc/kallsyms'
check "101: ... not even lazily" fails_in 101 'umount -l /proc/timer_list'
check "101: /proc/sys cannot be remounted writable" fails_in 101 'mount -o remount,rw /proc/sys'
check "101: /proc/sys cannot be unmounted" fails_in 101 'umount -l /proc/sys'
check "101: /sys cannot be remounted writable" fails_in 101 'mount -o remount,rw /sys'
check "101: a fresh proc cannot be mounted" fails_in 101 'mkdir -p /tmp/p && mount -t proc proc /tmp/p'
check "101: a fresh writable sysfs cannot be mounted" fails_in 101 'mkdir -p /tmp/s && mount -t sysfs -o rw sysfs /tmp/s'
check "101: host sysctls stay unwritable (read-only /proc/sys)" \
	fails_in 101 'cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness'
check "101: host knobs in /sys stay unwritable" \
	fails_in 101 'cat /sys/kernel/mm/ksm/run > /sys/kernel/mm/ksm/run'
check "101: its v1 memory limit cannot be written" \
	fails_in 101 'mkdir -p /tmp/cg && mount -t cgroup -o memory cgroup /tmp/cg && echo 4096 > /tmp/cg/memory.limit_in_bytes'
check "101: the host's view of its memory limit is unchanged" test "$(cat "$memcg/memory.limit_in_bytes")" = "$memlimit0"
check "101: its own cgroup limits cannot be written" \
	fails_in 101 'mkdir -p /tmp/cg2 && mount -t cgroup2 none /tmp/cg2 && echo 5 > /tmp/cg2/cgroup.max.descendants'
check "101: a cgroup2 mount shows no cgroup of the host or of other containers" \
	test -z "$(x 'mkdir -p /tmp/cg3 && mount -t cgroup2 none /tmp/cg3 && ls -d /tmp/cg3/*/ 2>/dev/null')"
check "101: a cgroup v1 mount shows no cgroup of the host or of other containers" \
	test -z "$(x 'mkdir -p /tmp/cg4 && mount -t cgroup -o pids none /tmp/cg4 && ls -d /tmp/cg4/*/ 2>/dev/null')"
check "101: remounting / read-only leaves the host's / alone" \
	sh -c "'$VZCTL_BIN' exec2 101 'mount -o remount,ro,bind /' >/dev/null 2>&1; test \"\$(findmnt -no OPTIONS /)\" = '$rootopts0' && touch '$ROOT/root/101/.host-still-rw' && rm '$ROOT/root/101/.host-still-rw'"
x 'mount -o remount,rw,bind /' >/dev/null
check "101: mknod of a block device fails" fails_in 101 'mknod /tmp/sda b 8 0'
check "101: mknod of /dev/kvm fails" fails_in 101 'mknod /tmp/kvm c 10 232'
check "101: no /dev/kvm and no disk in /dev" test -z "$(x 'ls /dev/kvm /dev/sd* /dev/vd* /dev/loop* 2>/dev/null')"
check "101: the host root is not reachable through .." test "$(x 'ls /../../../..' | tr '\n' ' ')" = "$(x 'ls /' | tr '\n' ' ')"

# (a knob no other test touches: ip_forward may change under a concurrent
# networking test)
knob=/proc/sys/net/ipv4/conf/lo/accept_local
knob0=$(cat $knob)
check "101: its own network sysctls are writable (/proc/sys/net)" \
	sh -c "'$VZCTL_BIN' exec2 101 'echo $((1 - knob0)) > $knob && cat $knob' | grep -qx $((1 - knob0))"
check "... and the host's value is unchanged" test "$(cat $knob)" = "$knob0"
check "101: other /proc/sys parts stay read-only" fails_in 101 'cat /proc/sys/kernel/hostname > /proc/sys/kernel/hostname'

# ---- processes ---------------------------------------------------------------
check "101: host processes are invisible" sh -c "! '$VZCTL_BIN' exec2 101 'cat /proc/[0-9]*/cmdline' 2>/dev/null | tr '\0' ' ' | grep -q 1000.5"
check "101: no process of 102 is visible" test "$(x 'ls -d /proc/[0-9]*' | wc -l)" -le 5
x 'kill -9 -1' >/dev/null
check "101: kill -9 -1 leaves the host process alive" kill -0 $host_pid
check "101: kill -9 -1 leaves container 102 running" sh -c "'$VZCTL_BIN' status 102 | grep -q running"
check "101: ptrace of pid 1 of the host is impossible (its pid 1 is its own init)" \
	test "$(x 'cat /proc/1/cmdline' | tr '\0' ' ')" != "$(tr '\0' ' ' </proc/1/cmdline)"

# ---- IPC -------------------------------------------------------------------------
qid=$(ipcmk -Q 2>/dev/null | grep -o '[0-9]*$')
[ -n "$qid" ] && at_exit "ipcrm -q $qid 2>/dev/null"
"$VZCTL_BIN" exec2 102 'mkdir -p /dev/mqueue && echo > /dev/mqueue/vzt3-102' >/dev/null 2>&1
check "the host has a SysV message queue, 102 a POSIX one" sh -c "test -n '$qid' && '$VZCTL_BIN' exec2 102 'ls /dev/mqueue' | grep -q vzt3-102"
check "101: the host's SysV message queue is invisible" test -z "$(x 'tail -n +2 /proc/sysvipc/msg')"
check "101: 102's POSIX message queue is invisible" test -z "$(x 'ls /dev/mqueue')"

# ---- network -----------------------------------------------------------------
br=vzt3br$$
ip link add "$br" type bridge && at_exit "ip link del $br 2>/dev/null"
x 'ip route add 10.99.0.0/24 dev lo' >/dev/null
x "ip link add vzt3c$$ type veth peer name vzt3p$$" >/dev/null
check "101: the route is in the container" sh -c "'$VZCTL_BIN' exec2 101 'ip route show' | grep -q 10.99.0.0/24"
# Other tests change the host's network meanwhile: look for what 101 made.
check "101: a route added in the container is not the host's" sh -c "! ip route show table all | grep -q '10.99.0.0/24'"
check "101: links made in the container are not the host's" sh -c "! ip link show | grep -q 'vzt3[cp]$$'"
check "101: the host bridge is not visible" fails_in 101 "ip link show $br"
check "101: the host bridge cannot be enslaved to" fails_in 101 "ip link set lo master $br"
check "101: the host bridge has no new port" test -z "$(ls /sys/class/net/$br/brif)"

# ---- the other container ------------------------------------------------------
x 'touch /root/from-101' >/dev/null
check "101: 102's secret is not reachable by path" test -z "$(x 'cat /proc/*/root/root/secret 2>/dev/null; find / -xdev -name secret 2>/dev/null')"
check "102's files are closed to 101's host ids" sh -c "! setpriv --reuid=$uid101 --regid=$uid101 --clear-groups cat '$ROOT/private/102/root/secret' 2>/dev/null"
check "102's files cannot be written by 101's host ids" sh -c "! setpriv --reuid=$uid101 --regid=$uid101 --clear-groups sh -c 'echo x >> \"$ROOT/private/102/etc/passwd\"' 2>/dev/null"
check "102's /etc/passwd is unchanged" sh -c "! grep -qx x '$ROOT/private/102/etc/passwd'"
check "101 and 102 have disjoint id ranges" test "$(sed -n 's/^LOCAL_UID="\([0-9]*\)"/\1/p' "$ROOT/conf/102.conf")" -ge $((uid101 + 65536))

# ---- symlink and .. through a bind mount -------------------------------------
esc=$(mktemp -d /tmp/vz-escape-target.XXXXXX)
at_exit "rm -rf '$esc'"
x "ln -sf /../../../../..$esc/pwned /etc/hostname" >/dev/null
vzctl -q set 101 --hostname renamed >/dev/null 2>&1
check "a symlinked /etc/hostname is written inside the container, not on the host" test ! -e "$esc/pwned"
vzctl -q stop 101 --fast
rm -rf "$ROOT/private/101/proc" && ln -s "$esc" "$ROOT/private/101/proc"
check_rc 47 "start refuses a /proc that is a symlink out of the root" "$VZCTL_BIN" start 101
check "nothing was mounted on the symlink's target" sh -c "! grep -qF '$esc' /proc/self/mountinfo && test -z \"\$(ls -A '$esc')\""
rm -f "$ROOT/private/101/proc" && mkdir "$ROOT/private/101/proc"
for d in sys dev; do
	mv "$ROOT/private/101/$d" "$ROOT/private/101/$d.real" && ln -s "$esc" "$ROOT/private/101/$d"
	check_rc 47 "start refuses a /$d that is a symlink out of the root" "$VZCTL_BIN" start 101
	rm -f "$ROOT/private/101/$d" && mv "$ROOT/private/101/$d.real" "$ROOT/private/101/$d"
done
check "still nothing was mounted on or written to the symlinks' target" sh -c "! grep -qF '$esc' /proc/self/mountinfo && test -z \"\$(ls -A '$esc')\""
check_rc 0 "with the real directories back, 101 starts again" "$VZCTL_BIN" start 101

# ---- the host is unchanged ---------------------------------------------------
t1=$(date +%s)
check "the host clock did not jump" test $((t1 - t0)) -ge 0 -a $((t1 - t0)) -lt 900
check "no kernel module was loaded or removed" test "$(cut -d' ' -f1 /proc/modules 2>/dev/null | sort | md5sum)" = "$modules0"
check "ctrl-alt-del and sysrq settings unchanged" test "$(cat /proc/sys/kernel/ctrl-alt-del) $(cat /proc/sys/kernel/sysrq 2>/dev/null)" = "$cad0 $sysrq0"
check "vm.swappiness is unchanged" test "$(cat /proc/sys/vm/swappiness)" = "$swappiness0"
check "the host name is unchanged" test "$(hostname)" = "$hostname0"
check "no key of the container's ids in the kernel" sh -c "! grep -q '^ *$uid101:' /proc/key-users"
check "container 102 still runs and its secret is intact" sh -c "'$VZCTL_BIN' exec2 102 cat /root/secret | grep -q 'secret of 102'"

# ---- PRIVILEGED: seccomp, bounding set and device cgroup alone ----------------
vzctl -q create 103 >/dev/null && vzctl -q set 103 --save >/dev/null 2>&1
echo 'PRIVILEGED="yes"' >>"$ROOT/conf/103.conf"
if vzctl -q start 103; then
	install -m 755 "$PROBE" "$ROOT/private/103/probe"
	x103() { "$VZCTL_BIN" exec2 103 "$@" 2>&1; }
	for a in init_module finit_module kexec_load kexec_file_load settimeofday clock_settime \
		adjtimex swapon add_key keyctl open_by_handle_at bpf perf_event_open userfaultfd \
		personality acct iopl syslog i386_init_module i386_kexec_load i386_settimeofday \
		i386_keyctl i386_open_by_handle_at i386_bpf i386_userfaultfd i386_personality \
		x32_init_module ok_personality_query ok_sysinfo; do
		check_rc 0 "103 (privileged): $a" "$VZCTL_BIN" exec2 103 /probe "$a"
	done
	check "103 (privileged): vzlist shows it as privileged" sh -c "'$VZLIST_BIN' -H -o ctid,privileged 103 | grep -q yes"
	check "103 (privileged): a disk node can be made but not opened (device cgroup)" \
		fails_in 103 'mknod /tmp/loop0 b 7 0 && head -c 1 /tmp/loop0'
	check "103 (privileged): /dev/kvm cannot be opened (device cgroup)" \
		fails_in 103 'mknod /tmp/kvm c 10 232 && head -c 1 /tmp/kvm'
	check "103 (privileged): the bounding set lacks sys_module, sys_rawio, sys_time" \
		test $((0x$(x103 'grep CapBnd /proc/self/status' | awk '{print $2}') & (1 << 16 | 1 << 17 | 1 << 25))) -eq 0
	vzctl -q stop 103 --fast
else
	not_ok "privileged container 103 starts"
fi
finish_plan
