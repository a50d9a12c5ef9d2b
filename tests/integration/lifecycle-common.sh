# The full container lifecycle, shared by the busybox and debian tests:
# create, start, exec (output and exit code), enter through a pty, set --save
# surviving a restart, stop, destroy leaving nothing behind.  27 checks.
LIFECYCLE_CHECKS=33

run_lifecycle() {
	tmpl=$1
	ct=$2
	check_rc 0 "$tmpl: create $ct" vzctl create "$ct" --ostemplate "$tmpl" --hostname "ct$ct.example" --ipadd 10.0.0.$ct
	check "$tmpl: config has OSTEMPLATE, HOSTNAME and an id range" \
		grep -q "OSTEMPLATE=\"$tmpl\"" "$ROOT/conf/$ct.conf"
	uid=$(sed -n 's/^LOCAL_UID="\([0-9]*\)"/\1/p' "$ROOT/conf/$ct.conf")
	check "$tmpl: private area is owned by the container's id range ($uid)" \
		test "$(stat -c %u "$ROOT/private/$ct/etc")" = "$uid"
	check_rc 0 "$tmpl: start" vzctl start "$ct"
	check_rc 0 "$tmpl: status says running" vzctl status "$ct"
	check "$tmpl: status line is vzctl's format" test "$OUT" = "CTID $ct exist mounted running"
	pid=$(ct_init_pid "$ct")
	check "$tmpl: init runs as the container's host uid" test "$(stat -c %u "/proc/$pid")" = "$uid"
	check_rc 0 "$tmpl: exec prints the host name" vzctl exec "$ct" hostname
	check "$tmpl: exec output is ct$ct.example" test "$OUT" = "ct$ct.example"
	check_rc 8 "$tmpl: exec of a failing command exits 8" vzctl exec "$ct" 'exit 3'
	check_rc 3 "$tmpl: exec2 exits with the command's status" vzctl exec2 "$ct" 'exit 3'
	check_rc 0 "$tmpl: exec - reads commands from stdin" sh -c "echo 'echo from-stdin' | '$VZCTL_BIN' exec $ct -"
	check "$tmpl: ... and runs them" contains "$OUT" "from-stdin"
	OUT=$(printf 'echo in-$(hostname)\ntty\nexit\n' | script -qec "'$VZCTL_BIN' enter $ct" /dev/null 2>&1)
	check "$tmpl: enter runs a shell on a pty in the container" contains "$OUT" "in-ct$ct.example"
	check "$tmpl: enter's pty is the container's /dev/pts/0" contains "$OUT" "/dev/pts/0"
	check_rc 0 "$tmpl: set --hostname --cpuunits --save" vzctl set "$ct" --hostname "renamed$ct.example" --cpuunits 777 --save
	check_rc 0 "$tmpl: host name changed live" vzctl exec "$ct" hostname
	check "$tmpl: ... to renamed$ct.example" test "$OUT" = "renamed$ct.example"
	check_rc 0 "$tmpl: restart" vzctl restart "$ct"
	check_rc 0 "$tmpl: host name kept after restart" vzctl exec "$ct" 'hostname; cat /etc/hostname'
	check "$tmpl: ... both the kernel's and /etc/hostname" test "$OUT" = "renamed$ct.example
renamed$ct.example"
	check "$tmpl: CPUUNITS saved to the config" grep -q 'CPUUNITS="777"' "$ROOT/conf/$ct.conf"
	check_rc 0 "$tmpl: stop" vzctl stop "$ct"
	check "$tmpl: no process of the container is left" sh -c "! ps -e -o uid= | grep -qw $uid"
	check_rc 0 "$tmpl: status says down and unmounted" vzctl status "$ct"
	check "$tmpl: ... CTID $ct exist unmounted down" test "$OUT" = "CTID $ct exist unmounted down"
	check_rc 0 "$tmpl: mount a stopped container" vzctl mount "$ct"
	check "$tmpl: its private area is visible under VE_ROOT" test -x "$ROOT/root/$ct/sbin/init" -o -L "$ROOT/root/$ct/sbin/init"
	check_rc 41 "$tmpl: mounting it again exits 41" vzctl mount "$ct"
	check_rc 0 "$tmpl: umount" vzctl umount "$ct"
	check_rc 40 "$tmpl: unmounting it again exits 40" vzctl umount "$ct"
	check_rc 0 "$tmpl: destroy" vzctl destroy "$ct"
	check "$tmpl: destroy leaves no file, mount or cgroup behind" ct_gone "$ct"
}
