#!/bin/bash
# Install the Debian 12 packages vz needs to build, run and test.
# Used by quickstart.sh and test.sh; safe to run again.
set -euo pipefail

PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config
	libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libmnl-dev libnftables-dev libjansson-dev
	# tests: cmocka units, clang for the fuzz target, util-linux's script(1) for pty tests
	libcmocka-dev clang bsdutils procps
	# tests/security: ip and ss, setpriv and findmnt, useradd/groupadd, a static libc for the probe
	iproute2 util-linux passwd libc6-dev
	# networking tests and bench/net.sh (observe with ip, ping; measure with iperf3)
	iproute2 iputils-ping iperf3
	# migration: ssh transport (sshd for the two-host tests), tar streams, iproute2 for veths
	openssh-client openssh-server tar iproute2
	# OS templates
	busybox-static debootstrap tar gzip
	# resource management: image-backed private areas, the container's /proc view
	e2fsprogs lxcfs
	# virtual machines: QEMU, the guest agent copied into images, mkfs.ext4 -d
	qemu-system-x86 qemu-guest-agent
	# the benchmark harness's smoke test (bench/run.sh installs crun and lxc itself)
	hyperfine jq runc
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (it installs Debian packages)" >&2
	exit 12
fi
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Containers show their own limits in /proc through lxcfs.
"$(dirname "$0")/lxcfs.sh" || echo "deps.sh: lxcfs not running; containers will see host /proc figures" >&2
# CRIU >= 4.1 for checkpoint/restore and migration, in a private prefix
# (Debian 12's criu fails on kernels >= 6.13).  Without it those tests skip.
"$(dirname "$0")/install-criu.sh" || echo "deps.sh: CRIU not installed; checkpoint tests will skip" >&2
