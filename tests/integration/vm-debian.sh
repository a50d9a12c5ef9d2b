#!/bin/bash
# A Debian 12 VM (sysvinit template): the guest agent from the VM kit runs in
# it, exec reaches it, and the ACPI power button shuts it down through its
# own init.  Long (debootstrap once, ~15 s boot with TCG): only with
# VZ_LONG_TESTS=1.
. "$(dirname "$0")/lib.sh"

[ "${VZ_LONG_TESTS:-0}" = 1 ] || skip_all "long test: set VZ_LONG_TESTS=1"
require_root
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
[ -x /usr/sbin/qemu-ga ] || skip_all "qemu-ga not installed (apt-get install qemu-guest-agent)"
ensure_template debian || skip_all "cannot build the debian template (no mirror?)"
ensure_vm_kit || skip_all "cannot build the VM kit: $(tail -n1 "$VZ_BUILDDIR/tests/vmkit.log")"

plan 8
CT=7401
VZ_EXTRA_CONF='VM_PROBE_TIMEOUT="8"
STOP_TIMEOUT="120"'
instance_up deb
ln -s "$VM_KIT" "$ROOT/template/vm"

check_rc 0 "create a Debian VM" vzctl create $CT --vmtype vm --ostemplate debian \
	--hostname deb.example --diskspace 1G
check_rc 0 "start" vzctl start $CT
check_rc 0 "exec through the agent" vzctl exec2 $CT 'hostname; cat /etc/debian_version; readlink /proc/1/exe'
check "the guest is deb.example, Debian 12, under sysvinit" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx deb.example && printf '%s\n' \"\$1\" | grep -q '^12\.' && printf '%s\n' \"\$1\" | grep -q 'bin/init\$'" _ "$OUT"
# Debian's own boot (sysvinit's rcS) takes a minute or more under TCG;
# its shutdown waits for it.
for _ in $(seq 90); do
	vzctl exec2 $CT runlevel 2>/dev/null | grep -q ' 2$' && break
	sleep 2
done
check "Debian's init reached runlevel 2" sh -c "'$VZCTL_BIN' exec2 $CT runlevel | grep -q ' 2\$'"
t0=$(date +%s)
check_rc 0 "stop (ACPI power button, Debian's own shutdown)" vzctl stop $CT
check "the guest shut down before the timeout ($(($(date +%s) - t0)) s < 120 s)" test $(($(date +%s) - t0)) -lt 120
check_rc 0 "destroy" vzctl destroy $CT
finish
