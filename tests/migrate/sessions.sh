#!/bin/bash
# `vzctl enter` sessions through checkpoint/restore: a busybox container
# (debian: sessions-debian.sh) with an open session (changed tty settings and window size, a counting
# foreground job) is checkpointed (and killed) and restored; the job goes
# on counting, `vzctl attach` takes the session up again with the same
# settings, the job is still the terminal's foreground (Ctrl-C stops it),
# and typed input reaches the shell.  Also: closing vzctl hangs a session
# up, a second client is refused, and an ordinary enter still works.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
. "$(dirname "$0")/lib-term.sh"
require_root
command -v script >/dev/null || skip_all "needs script(1) (util-linux)"
TMPL=${VZ_SESSIONS_TEMPLATE:-busybox}
ensure_template "$TMPL" || skip_all "cannot build the $TMPL template"
instance_up sess
need_criu
plan 37
diag "template $TMPL"

CT=101
P="$ROOT/private/$CT"

count() { cat "$P/tmp/count" 2>/dev/null || echo 0; }

check_rc 0 "create $CT" vzctl create $CT --ostemplate "$TMPL"
check_rc 0 "start $CT" vzctl start $CT

# enter --exec of a command that ends at once: its output is never lost.
n=0
for i in 1 2 3 4 5; do
	OUT=$(script -qec "$VZCTL_BIN enter $CT --exec echo quick-$i" /dev/null </dev/null 2>&1)
	contains "$OUT" "quick-$i" && n=$((n + 1))
done
check "enter --exec of a short command shows its output ($n of 5)" [ "$n" -eq 5 ]

# A session with changed settings and a counting foreground job.
term_open s1 enter $CT
check "enter gives a shell" wait_for 10 sh -c "grep -qa '#' '$ROOT/s1.out'"
type_in s1 'stty rows 33 cols 111 erase ^H tostop; stty -a > /tmp/stty.before; tty > /tmp/tty.before; echo mark-$((6*7))\n'
check "settings changed" wait_for 10 shows s1 mark-42
type_in s1 "sh -c 'i=0; while :; do i=\$((i+1)); echo \$i > /tmp/count; echo tick-\$i; sleep 0.3; done'\n"
check "the foreground job counts" wait_for 10 sh -c "[ \$(cat '$P/tmp/count' 2>/dev/null || echo 0) -ge 3 ]"
OUT=$(vzctl attach $CT --list)
check "the session is listed as attached" contains "$OUT" "attached"
check_rc 9 "a second client is refused while one is attached" vzctl attach $CT 0

# Checkpoint: the session's client is told by EIO and ends.
check_rc 0 "chkpnt $CT with an open session" vzctl chkpnt $CT
check "the attached vzctl ended" wait_for 10 term_gone s1
check "... saying how to take the session up again" shows s1 "session is taken up with .vzctl attach $CT."
check "the session's pty was recorded" grep -q "^pty 0 " "$ROOT/dump/$CT/vz-ttys"
before=$(count)
sleep 1
check_rc 0 "restore $CT" vzctl restore $CT
check "the job counts on after restore" wait_for 10 sh -c "[ \$(cat '$P/tmp/count') -gt $before ]"
OUT=$(vzctl attach $CT --list)
check "the restored session is listed as detached" contains "$OUT" "/dev/pts/0   detached"
term_open hint enter $CT --exec true
check "enter names the detached session" wait_for 10 shows hint "detached session on /dev/pts/0: vzctl attach $CT 0"

# Attach: the job is still the foreground (Ctrl-C stops it), the settings
# are those of before, and the shell reads what is typed.
term_open s2 attach $CT
check "attach shows the job's output" wait_for 10 shows s2 tick-
type_in s2 '\003'
check "Ctrl-C stopped the foreground job" wait_for 10 sh -c "a=\$(cat '$P/tmp/count'); sleep 1; [ \"\$a\" = \"\$(cat '$P/tmp/count')\" ]"
type_in s2 'stty -a > /tmp/stty.after; tty > /tmp/tty.after; echo typed-$((7*6))x\n'
check "typed input reaches the shell" wait_for 10 shows s2 typed-42x
check "stty -a shows the same settings" cmp "$P/tmp/stty.before" "$P/tmp/stty.after"
check "... which are the changed ones" grep -q "rows 33; columns 111" "$P/tmp/stty.after"
check "the session is /dev/pts/0 again" cmp "$P/tmp/tty.before" "$P/tmp/tty.after"
type_in s2 'exit\n'
check "exit ends the session and vzctl attach" wait_for 10 term_gone s2

# Again on the restored container (its /dev/pts is now vz's devpts bound in).
term_open s6 enter $CT
wait_for 10 sh -c "grep -qa '#' '$ROOT/s6.out'"
type_in s6 'cd /tmp; echo second-$((2*4))\n'
wait_for 10 shows s6 second-8
check_rc 0 "a second chkpnt with a session" vzctl chkpnt $CT
check_rc 0 "... and restore" vzctl restore $CT
term_open s7 attach $CT
type_in s7 'echo in-$(pwd)-$((3*3))\n'
check "the session is back again, in its directory" wait_for 10 shows s7 in-/tmp-9
type_in s7 'exit\n'
wait_for 10 term_gone s7

# Closing the client hangs a session up, as it always did.
term_open s3 enter $CT
wait_for 10 sh -c "grep -qa '#' '$ROOT/s3.out'"
type_in s3 'echo $$ > /tmp/s3.pid\n'
wait_for 10 test -s "$P/tmp/s3.pid"
vzd_stop
vzd_start
type_in s3 'echo alive-$((5*5))\n'
check "a session outlives a vzd restart" wait_for 10 shows s3 alive-25
# SIGKILL for script: its terminal goes, vzctl gets SIGHUP and ends.
{ kill -9 "$s3_PID" && wait "$s3_PID"; } 2>/dev/null
check "a session whose client is gone is hung up" wait_for 10 sh -c "! '$VZCTL_BIN' attach $CT --list | grep -q /dev/pts"
check "... and its shell is gone" wait_for 10 sh -c "! '$VZCTL_BIN' exec $CT 'kill -0 \$(cat /tmp/s3.pid) 2>/dev/null'"
check_rc 0 "chkpnt without a session after all that" vzctl chkpnt $CT
check_rc 0 "... and restore" vzctl restore $CT

# CRIU files every external terminal under one record: one session at most.
term_open s4 enter $CT
term_open s5 enter $CT
wait_for 10 sh -c "[ \$('$VZCTL_BIN' attach $CT --list | grep -c attached) -eq 2 ]"
check_rc 16 "chkpnt with two sessions is refused" vzctl chkpnt $CT
check "... saying why" contains "$OUT" "CRIU can take one"
check "... and the container runs on" sh -c "'$VZCTL_BIN' status $CT | grep -q running"
check_rc 0 "stop $CT" vzctl stop $CT --fast
check "stop ends the sessions' clients" wait_for 10 sh -c "! kill -0 $s4_PID 2>/dev/null && ! kill -0 $s5_PID 2>/dev/null"
check "... and leaves no session records behind" wait_for 10 sh -c "[ ! -e '$ROOT/run/$CT.sessions' ]"
finish
