#!/bin/bash
# Bad input gets a precise message and a vzctl exit code, and changes nothing.
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
plan 42
instance_up main

snapshot() { (cd "$ROOT" && find conf private root -printf '%p %s %m %u\n' 2>/dev/null | sort | md5sum); }

check_rc 14 "start of an unknown CTID exits 14" vzctl start 999
check "... naming the container and its missing config" contains "$OUT" "container 999 does not exist"
check_rc 14 "exec in an unknown CTID exits 14" vzctl exec 999 true
check_rc 14 "destroy of an unknown CTID exits 14" vzctl destroy 999
check_rc 0 "status of an unknown CTID reports it deleted" vzctl status 999
check "... as vzctl does" test "$OUT" = "CTID 999 deleted unmounted down"
check "commands on an unknown CTID leave no lock file" test -z "$(ls "$ROOT/lock" 2>/dev/null)"
check_rc 21 "a non-numeric CTID exits 21" vzctl start abc
check_rc 21 "CTID 0 exits 21" vzctl create 0

check_rc 91 "unknown template exits 91" vzctl create 101 --ostemplate nosuch
check "... and lists the available ones" contains "$OUT" "available: busybox"
check "... and creates nothing" test ! -e "$ROOT/conf/101.conf" -a ! -e "$ROOT/private/101"

check_rc 0 "create 101" vzctl create 101
before=$(snapshot)
check_rc 44 "duplicate create exits 44" vzctl create 101
check "... says it exists" contains "$OUT" "container 101 already exists"
check "... and changes no file" test "$(snapshot)" = "$before"

check_rc 0 "start 101" vzctl start 101
before=$(snapshot)
pid=$(ct_init_pid 101)
check_rc 32 "starting a running container exits 32" vzctl start 101
check "... and keeps the same init" test "$(ct_init_pid 101)" = "$pid"
check_rc 32 "destroy of a running container exits 32" vzctl destroy 101
check_rc 32 "umount of a running container exits 32" vzctl umount 101
check_rc 21 "set --cpuunits 1 (below 8) exits 21" vzctl set 101 --cpuunits 1 --save
check "... naming the key" contains "$OUT" "CPUUNITS"
check_rc 21 "set --ram nonsense exits 21" vzctl set 101 --ram 12X --save
check_rc 20 "set with an unknown option exits 20" vzctl set 101 --frobnicate 1 --save
check_rc 21 "set --hostname with a bad name exits 21" vzctl set 101 --hostname 'bad_name!' --save
check "failed sets changed no file" test "$(snapshot)" = "$before"
check_rc 0 "stop 101" vzctl stop 101 --fast
check_rc 31 "exec in a stopped container exits 31" vzctl exec 101 true
check "... saying it is not running" contains "$OUT" "container 101 is not running"
check_rc 0 "stopping it again is not an error (as vzctl)" vzctl stop 101
check "... but says it was not running" contains "$OUT" "not running"

cp "$ROOT/conf/101.conf" "$ROOT/101.conf.orig"
echo 'THIS IS NOT A CONFIG LINE' >>"$ROOT/conf/101.conf"
check_rc 20 "start with a malformed config line exits 20" vzctl start 101
check "... naming file and line" contains "$OUT" "101.conf:$(wc -l <"$ROOT/conf/101.conf")"
check "... leaving the container down (status still works)" sh -c "'$VZCTL_BIN' status 101 | grep -q 'exist unmounted down'"
echo 'CPUUNITS="lots"' >"$ROOT/conf/101.conf.bad"
cat "$ROOT/101.conf.orig" "$ROOT/conf/101.conf.bad" >"$ROOT/conf/101.conf"
rm "$ROOT/conf/101.conf.bad"
check_rc 21 "start with an invalid value exits 21" vzctl start 101
check "... naming the key" contains "$OUT" "CPUUNITS"
cp "$ROOT/101.conf.orig" "$ROOT/conf/101.conf"
check_rc 0 "fixed config starts again" vzctl start 101

vzctl -q stop 101 --fast
mv "$ROOT/private/101/sbin/init" "$ROOT/init.saved"
check_rc 47 "start without /sbin/init exits 47 (bad container)" vzctl start 101
check "... naming the missing file" contains "$OUT" "sbin/init"
check "... and leaves nothing mounted" test "$(vzctl status 101)" = "CTID 101 exist unmounted down"
check "... and no cgroup" sh -c "! ls -d /sys/fs/cgroup/*/vzt-main-$$/101 2>/dev/null | grep -q ."
mv "$ROOT/init.saved" "$ROOT/private/101/sbin/init"
finish
