#!/bin/bash
# The isolation this release promises: an unprivileged id range, private
# namespaces, a masked /proc, read-only /proc/sys and /sys, no host devices,
# no way to the host root.  (The escape-test suite grows with later work.)
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
plan 16
instance_up main
vzctl -q create 101 && vzctl -q start 101 || { not_ok "container 101 starts"; exit 1; }
uid=$(sed -n 's/^LOCAL_UID="\([0-9]*\)"/\1/p' "$ROOT/conf/101.conf")
x() { "$VZCTL_BIN" exec2 101 "$@" 2>&1; }

check "container root maps to host uid $uid" test "$(x cat /proc/self/uid_map | awk '{print $1, $2}')" = "0 $uid"
check "the container sees only its own processes" test "$(x 'ls -d /proc/[0-9]* | wc -l')" -le 4
check "its init is pid 1" test "$(x 'cat /proc/1/comm')" = "init"
check "it has its own network namespace with only lo" test "$(x 'ls /sys/class/net')" = "lo"
check "lo is up" sh -c "'$VZCTL_BIN' exec2 101 'cat /sys/class/net/lo/operstate' | grep -qv down"
check "/proc/kcore reads empty" test -z "$(x 'cat /proc/kcore 2>/dev/null | head -c 16')"
check "/proc/sysrq-trigger cannot be written" sh -c "! '$VZCTL_BIN' exec2 101 'echo h > /proc/sysrq-trigger' 2>/dev/null"
check "/proc/sys is read-only" sh -c "! '$VZCTL_BIN' exec2 101 'echo 1 > /proc/sys/kernel/sysrq' 2>/dev/null"
check "/sys is read-only" sh -c "! '$VZCTL_BIN' exec2 101 'touch /sys/x' 2>/dev/null"
check "/dev has only the standard nodes" test "$(x 'ls /dev | tr "\n" " "')" = "console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
check "mknod of a disk device is refused" sh -c "! '$VZCTL_BIN' exec2 101 'mknod /tmp/sda b 8 0' 2>/dev/null"
check "the host root is not reachable through /proc/1/root" test "$(x 'ls /proc/1/root/' | tr '\n' ' ')" = "$(x 'ls /' | tr '\n' ' ')"
check "no host mount is visible" sh -c "! '$VZCTL_BIN' exec2 101 'cat /proc/mounts' | grep -q '/work\|/vz-'"
check "without HOSTNAME the container is named after its CTID, not the host" test "$(x hostname)" = "101"
check "files the container creates belong to its range on the host" \
	sh -c "'$VZCTL_BIN' exec2 101 'touch /root/made-inside' && test \$(stat -c %u '$ROOT/private/101/root/made-inside') = $uid"
check "container root cannot load kernel modules" sh -c "! '$VZCTL_BIN' exec2 101 'echo > /proc/sys/kernel/modprobe' 2>/dev/null"
finish
