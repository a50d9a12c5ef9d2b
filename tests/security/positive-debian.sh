#!/bin/bash
# Security must not break real use: a Debian 12 container under the default
# confinement still boots its init, runs apt and dpkg, ping (cap_net_raw
# through the file capability dpkg sets), su, cron and a web server that
# answers on its loopback.
#
# Containers have no network yet, so the packages are fetched on the host
# with `apt-get download` (once per build tree) and served to the
# container's apt as a local file repository.
. "$(dirname "$0")/../integration/lib.sh"
require_root
command -v debootstrap >/dev/null || skip_all "debootstrap is not installed (apt-get install debootstrap)"
ensure_template debian || skip_all "cannot build the debian template: $(tail -n 1 "$TEMPLATE_CACHE/debian.log")"
PKGS="cron cron-daemon-common sensible-utils iputils-ping busybox"
debs="$TEMPLATE_CACHE/debs"
if [ ! -f "$debs/.complete" ]; then
	mkdir -p "$debs"
	(cd "$debs" && apt-get download $PKGS >"$debs/download.log" 2>&1) && touch "$debs/.complete" ||
		skip_all "cannot fetch $PKGS with apt-get download: $(tail -n 1 "$debs/download.log")"
fi
instance_up deb
finish_plan() { echo "1..$_n"; finish; }
x() { "$VZCTL_BIN" exec2 110 "$@" 2>&1; }
# Poll for up to $2 seconds: boot scripts and daemons take their time on a
# loaded machine; that must never fail the test.
eventually() {
	_c=$1
	for _i in $(seq 1 "$2"); do
		"$VZCTL_BIN" exec2 110 "$_c" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

vzctl -q create 110 --ostemplate debian >/dev/null && vzctl -q start 110 || { not_ok "the debian container starts"; finish_plan; exit 1; }
check "the init boots to runlevel 2" eventually 'runlevel | grep -q " 2$"' 60
check "its init is sysvinit, pid 1" test "$(x 'cat /proc/1/comm')" = init
check "its init runs under the seccomp filter" test "$(x 'grep ^Seccomp: /proc/1/status' | awk '{print $2}')" = 2
check "... with sys_module, sys_rawio and sys_time out of its bounding set" \
	test $((0x$(x 'grep ^CapBnd: /proc/1/status' | awk '{print $2}') & (1 << 16 | 1 << 17 | 1 << 25))) -eq 0

# A flat apt repository: Packages written here (no dpkg-dev needed).
repo="$ROOT/private/110/srv/repo"
mkdir -p "$repo"
cp "$debs"/*.deb "$repo/"
for d in "$repo"/*.deb; do
	dpkg-deb -f "$d"
	echo "Filename: ./$(basename "$d")"
	echo "Size: $(stat -c %s "$d")"
	echo "SHA256: $(sha256sum "$d" | cut -d' ' -f1)"
	echo
done >"$repo/Packages"
echo "deb [trusted=yes] file:/srv/repo ./" >"$ROOT/private/110/etc/apt/sources.list.d/vz-test.list"
apt_opts="-o Dir::Etc::sourcelist=/etc/apt/sources.list.d/vz-test.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0"
check_rc 0 "apt-get update reads the local repository" "$VZCTL_BIN" exec2 110 "apt-get $apt_opts update"
check_rc 0 "apt-get install installs cron, ping and busybox (dpkg runs its scripts)" \
	"$VZCTL_BIN" exec2 110 "DEBIAN_FRONTEND=noninteractive apt-get $apt_opts install -y --no-install-recommends cron iputils-ping busybox"
check "dpkg knows them" sh -c "'$VZCTL_BIN' exec2 110 'dpkg -s cron iputils-ping busybox' | grep -c 'Status: install ok installed' | grep -qx 3"

check "root can ping 127.0.0.1" sh -c "'$VZCTL_BIN' exec2 110 'ping -c1 -W5 127.0.0.1' >/dev/null"
x 'useradd -m -s /bin/sh alice' >/dev/null
check "su to a user works" test "$(x 'su - alice -c "id -un"')" = alice
check "a user can ping too (file capability cap_net_raw from dpkg, or set-uid)" \
	sh -c "'$VZCTL_BIN' exec2 110 'su - alice -c \"ping -c1 -W5 127.0.0.1\"' >/dev/null"
check "the user is not root" test "$(x 'su - alice -c "id -u"')" != 0

# cron: an @reboot job runs when the daemon starts (Debian's cron keeps a
# marker in /run so that it runs once per boot: remove it).
x 'echo "@reboot root echo ran > /tmp/cron-ran" > /etc/cron.d/vz-test; rm -f /run/crond.reboot; /etc/init.d/cron restart' >/dev/null
check "cron runs and executes a job" eventually 'grep -q ran /tmp/cron-ran' 60
check "cron's daemon is running" eventually 'pidof cron' 10

# A web server on the container's loopback.
x 'mkdir -p /srv/www && echo "hello from 110" > /srv/www/index.html && busybox httpd -p 127.0.0.1:8080 -h /srv/www' >/dev/null
check "busybox httpd answers on 127.0.0.1:8080 inside" eventually 'busybox wget -qO- http://127.0.0.1:8080/ | grep -q "hello from 110"' 20
check "the container's web server is not on the host's loopback" sh -c "! ss -ltnp | grep '127.0.0.1:8080 ' | grep -q httpd"

check_rc 0 "the container stops cleanly (halt through init)" "$VZCTL_BIN" stop 110
finish_plan
