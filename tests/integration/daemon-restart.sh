#!/bin/bash
# Containers do not depend on vzd: kill -9 it, they keep running, and a new
# vzd finds them again (status, exec, stop).  ONBOOT containers start with vzd.
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
plan 14
instance_up main

check_rc 0 "create 101" vzctl create 101 --ostemplate busybox
check_rc 0 "create 102 (ONBOOT)" vzctl create 102 --ostemplate busybox
check_rc 0 "set 102 --onboot yes --save" vzctl set 102 --onboot yes --save
check_rc 0 "start 101" vzctl start 101
pid=$(ct_init_pid 101)
vzd_kill9
sleep 0.3
check "container init survives kill -9 of vzd" kill -0 "$pid"
check "its processes still answer (the init is not a zombie)" \
	sh -c "grep -q '^State:.*[SR]' /proc/$pid/status"
vzd_start
check "a new vzd comes up on the same state root" kill -0 "$VZD_PID"
check_rc 0 "the new vzd reports 101 running" vzctl status 101
check "... with the same init" test "$(ct_init_pid 101)" = "$pid"
check_rc 0 "exec works through the new vzd" vzctl exec 101 echo alive
check "... and prints" test "$OUT" = "alive"
for i in $(seq 1 50); do vzctl status 102 | grep -q running && break; sleep 0.1; done
check_rc 0 "ONBOOT container 102 was started by vzd" sh -c "'$VZCTL_BIN' status 102 | grep -q running"
check_rc 0 "stop works through the new vzd" vzctl stop 101 --fast
check "101 is down after the stop" sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
finish
