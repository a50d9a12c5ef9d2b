#!/bin/bash
# An open `vzctl enter` session through online migration between the two
# test hosts: the dry run names no blocker and leaves the session working;
# after the migration the counting foreground job runs on B, where
# `vzctl attach` takes the session up with the same tty settings, Ctrl-C
# reaches the job and typed input the shell.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
. "$(dirname "$0")/lib-term.sh"
require_root
command -v script >/dev/null || skip_all "needs script(1) (util-linux)"
ensure_template busybox || skip_all "cannot build the busybox template"
two_hosts
VZ_CONF=$CONF_A need_criu
plan 13

CT=101
count() { cat "$1/private/$CT/tmp/count" 2>/dev/null || echo 0; }

on_a vzctl create $CT --ostemplate busybox >/dev/null
check_rc 0 "start $CT on A" on_a vzctl start $CT
VZ_CONF=$CONF_A ROOT=$ROOT_A term_open a enter $CT
ROOT=$ROOT_A check "enter on A gives a shell" wait_for 10 sh -c "grep -qa '#' '$ROOT_A/a.out'"
type_in a 'stty rows 41 cols 99 erase ^H; stty -a > /tmp/stty.before; echo set-$((6*7))\n'
ROOT=$ROOT_A check "settings changed on A" wait_for 10 shows a set-42
type_in a "sh -c 'i=0; while :; do i=\$((i+1)); echo \$i > /tmp/count; echo tick-\$i; sleep 0.3; done'\n"
check "the job counts on A" wait_for 10 sh -c "[ \$(cat '$ROOT_A/private/$CT/tmp/count' 2>/dev/null || echo 0) -ge 3 ]"

check_rc 0 "dry run with an open session: no blockers" on_a vzctl migrate $CT "$SUBNET.252" --online --dry-run
check "the session on A still runs after the trial dump" sh -c "a=\$(cat '$ROOT_A/private/$CT/tmp/count'); sleep 1; [ \$(cat '$ROOT_A/private/$CT/tmp/count') -gt \$a ]"

check_rc 0 "online migration A -> B with the session open" on_a vzctl migrate $CT "$SUBNET.252" --online
ROOT=$ROOT_A check "vzctl enter on A ended" wait_for 10 term_gone a
before=$(count "$ROOT_B")
check "the job counts on on B" wait_for 10 sh -c "[ \$(cat '$ROOT_B/private/$CT/tmp/count') -gt $before ]"
VZ_CONF=$CONF_B ROOT=$ROOT_B term_open b attach $CT
ROOT=$ROOT_B check "attach on B shows the job" wait_for 10 shows b tick-
type_in b '\003'
sleep 1
type_in b 'stty -a > /tmp/stty.after; echo typed-$((7*6))x\n'
ROOT=$ROOT_B check "Ctrl-C and typed input reach the session on B" wait_for 10 shows b typed-42x
check "stty -a on B shows the settings made on A" cmp "$ROOT_B/private/$CT/tmp/stty.before" "$ROOT_B/private/$CT/tmp/stty.after"
type_in b 'exit\n'
ROOT=$ROOT_B check "exit ends the session on B" wait_for 10 term_gone b
finish
