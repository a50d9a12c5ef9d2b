#!/bin/bash
# Two vzd instances with different vz.conf side by side: the same CTID in
# both, each instance sees and controls only its own.
. "$(dirname "$0")/lib.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
plan 12
instance_up a 300000000
A_CONF=$VZ_CONF A_ROOT=$ROOT
instance_up b 400000000
B_CONF=$VZ_CONF B_ROOT=$ROOT
a() { VZ_CONF=$A_CONF "$@"; }
b() { VZ_CONF=$B_CONF "$@"; }

check_rc 0 "instance a: create 101" a vzctl create 101 --hostname alpha.example
check_rc 0 "instance b: create 101" b vzctl create 101 --hostname beta.example
check_rc 0 "instance a: start 101" a vzctl start 101
check_rc 0 "instance b: start 101" b vzctl start 101
check_rc 0 "a's 101 is alpha" a vzctl exec 101 hostname
check "... alpha.example" test "$OUT" = "alpha.example"
check_rc 0 "b's 101 is beta" b vzctl exec 101 hostname
check "... beta.example" test "$OUT" = "beta.example"
check "the two run different inits" test "$(a ct_init_pid 101)" != "$(b ct_init_pid 101)"
check "their id ranges differ" test "$(stat -c %u "$A_ROOT/private/101")" != "$(stat -c %u "$B_ROOT/private/101")"
check_rc 0 "stopping a's 101" a vzctl stop 101 --fast
check "leaves b's 101 running" sh -c "VZ_CONF=$B_CONF '$VZCTL_BIN' status 101 | grep -q running"
finish
