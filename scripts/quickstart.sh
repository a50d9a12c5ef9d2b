#!/bin/bash
# README command 1: on a fresh Debian 12 machine, as root, install what vz
# needs, build and install it, start vzd, create container 101 from the
# busybox template, start it, run a command in it and list containers.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

"$src/scripts/deps.sh"
build=$("$src/scripts/build.sh")
make -s -C "$build" install >/dev/null
ldconfig

# vzd: through systemd where it is PID 1, otherwise in the background.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --now vzd.service
elif ! vzlist -a -H >/dev/null 2>&1; then
	nohup /usr/local/sbin/vzd --syslog >>/var/log/vzd.log 2>&1 &
	for _ in $(seq 1 50); do vzlist -a -H >/dev/null 2>&1 && break; sleep 0.1; done
fi

vz-mktemplate busybox
vzctl status 101 | grep -q exist || vzctl create 101 --ostemplate busybox --hostname ct101.example
vzctl status 101 | grep -q running || vzctl start 101
echo "--- vzctl exec 101 'uname -sr; hostname; id; ps'"
vzctl exec 101 'uname -sr; hostname; id; ps'
echo "--- vzlist -a"
vzlist -a
