#!/bin/bash
# Make sure lxcfs serves /var/lib/lxcfs, so that containers' /proc/meminfo,
# cpuinfo, stat, uptime, loadavg, ... show their own limits (vz bind-mounts
# them at start).  Hosts with systemd run it as lxcfs.service; elsewhere
# (these build machines) it is started here.  Safe to run again.
set -euo pipefail
dir=/var/lib/lxcfs
command -v lxcfs >/dev/null || { echo "lxcfs.sh: lxcfs is not installed" >&2; exit 1; }
if grep -q " $dir fuse.lxcfs " /proc/self/mounts; then
	# A mount whose lxcfs died answers ENOTCONN: drop it and start again.
	stat -t "$dir/proc/meminfo" >/dev/null 2>&1 && exit 0
	echo "lxcfs.sh: lxcfs on $dir no longer answers; restarting it" >&2
	umount -l "$dir"
fi
mkdir -p "$dir"
# -l: virtualize loadavg; --enable-cfs: CPUs from the CFS quota (CPULIMIT,
# CPUS) as well as the cpuset.  lxcfs 5 stays in the foreground: detach it.
setsid lxcfs -l --enable-cfs --enable-pidfd "$dir" >/dev/null 2>&1 </dev/null &
for _ in $(seq 1 50); do
	grep -q " $dir fuse.lxcfs " /proc/self/mounts && exit 0
	sleep 0.1
done
echo "lxcfs.sh: lxcfs did not mount $dir" >&2
exit 1
