# The peers vz is measured against, set up on one root file system with the
# same user-namespace mapping vz gives the container (so every runtime does
# the same work: user, pid, mount, uts, ipc, net and cgroup namespaces).
#
#   peers_setup ROOTFS UIDBASE   sets PEER_DIR, RUNC, CRUN, LXC_* helpers
#
# Every host-global name (runc/crun ids, LXC names, cgroup dirs, bridge,
# veths) carries the prefix $PEER_TAG (vzb8-<pid>) and is removed by
# peers_cleanup.

PEER_TAG="vzb8-$$"

peers_setup() {
	PEER_ROOTFS=$1
	PEER_UID=$2
	PEER_DIR=$BENCH_OUT/peers
	mkdir -p "$PEER_DIR"
	chmod 755 "$PEER_DIR"
	peer_bundle "$PEER_DIR/oneshot" '["/bin/true"]' ''
	peer_bundle "$PEER_DIR/init" '["/sbin/init"]' ''
	RUNC="runc --root $PEER_DIR/runc-state"
	# crun refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported,
	# drop all controllers from cgroupv2") even with --cgroup-manager=disabled.
	# It runs when the cgroup2 mount is hidden from it in a private mount
	# namespace, which changes nothing on the host.
	CRUN="crun --root $PEER_DIR/crun-state"
	if crun_hybrid_refused; then
		CRUN="unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec \"\$0\" \"\$@\"' $CRUN"
	fi
	# LXC, like vz, writes the id maps itself as root; with shadow's
	# newuidmap on PATH it insists on /etc/subuid entries for root instead,
	# so its tools run with a PATH that lacks newuidmap/newgidmap.
	LXC_PATH_DIR=$PEER_DIR/lxc-bin
	mkdir -p "$LXC_PATH_DIR"
	for _f in /usr/sbin/* /usr/bin/*; do
		case ${_f##*/} in newuidmap | newgidmap) continue ;; esac
		[ -e "$LXC_PATH_DIR/${_f##*/}" ] || ln -s "$_f" "$LXC_PATH_DIR/${_f##*/}"
	done
	LXCP=$PEER_DIR/lxc
	mkdir -p "$LXCP"
	chmod 755 "$LXCP"
	lxc_define "$PEER_TAG-ct" empty
	[ -x /usr/share/lxcfs/lxc.mount.hook ] && lxc_define "$PEER_TAG-fs" empty lxcfs
	at_exit "rm -rf '$PEER_DIR' '$PEER_ROOTFS'"
	at_exit peers_cleanup
}

crun_hybrid_refused() {
	_o=$(crun --root "$PEER_DIR/crun-state" run --bundle "$PEER_DIR/oneshot" "$PEER_TAG-probe" 2>&1) && return 1
	CRUN_REFUSAL=$_o
	printf '%s' "$_o" | grep -q hybrid
}

# lxc TOOL ARGS...: an LXC tool on the benchmark's lxcpath.
lxc() {
	_t=$1
	shift
	env PATH="$LXC_PATH_DIR" "/usr/bin/lxc-$_t" -P "$LXCP" "$@"
}

# peer_bundle DIR ARGS-JSON HOOK: an OCI bundle from `runc spec` (the root,
# not rootless, profile) with a user namespace mapped like the vz container,
# a cgroup namespace, and optionally a createRuntime hook that adds a NIC.
peer_bundle() {
	mkdir -p "$1"
	(cd "$1" && rm -f config.json && runc spec)
	jq --argjson b "$PEER_UID" --argjson args "$2" --arg root "$PEER_ROOTFS" \
		--arg cg "/$PEER_TAG/oci" --arg hook "$3" '
		.process.terminal = false | .process.args = $args | .root = {path: $root, readonly: false}
		| .hostname = "bench"
		| .linux.namespaces += [{type: "user"}, {type: "cgroup"}]
		| .linux.uidMappings = [{containerID: 0, hostID: $b, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $b, size: 65536}]
		| .linux.cgroupsPath = $cg
		| if $hook != "" then .hooks.createRuntime = [{path: $hook, args: ["nic-hook"]}] else . end' \
		"$1/config.json" >"$1/config.json.new"
	mv "$1/config.json.new" "$1/config.json"
}

# lxc_define NAME NETTYPE [lxcfs]: an LXC container on the shared root file
# system.  common.conf pulls in common.conf.d, where the lxcfs package adds
# a mount and a post-stop hook (about half a second per lifecycle here);
# vz does no such thing, so the hooks are cleared unless "lxcfs" is given.
lxc_define() {
	mkdir -p "$LXCP/$1"
	{
		echo "lxc.include = /usr/share/lxc/config/common.conf"
		echo "lxc.include = /usr/share/lxc/config/userns.conf"
		if [ "${3:-}" != lxcfs ]; then
			echo "lxc.hook.mount ="
			echo "lxc.hook.post-stop ="
		fi
		echo "lxc.uts.name = bench"
		echo "lxc.rootfs.path = dir:$PEER_ROOTFS"
		echo "lxc.idmap = u 0 $PEER_UID 65536"
		echo "lxc.idmap = g 0 $PEER_UID 65536"
		echo "lxc.apparmor.profile = unconfined"
		echo "lxc.init.cmd = /sbin/init"
		echo "lxc.tty.max = 0"
		echo "lxc.console.path = none"
		echo "lxc.cgroup.dir.container = $PEER_TAG/lxc-$1"
		echo "lxc.cgroup.dir.monitor = $PEER_TAG/lxcmon-$1"
		echo "lxc.net.0.type = $2"
		if [ "$2" = veth ]; then
			echo "lxc.net.0.link = $PEER_BRIDGE"
			echo "lxc.net.0.flags = up"
			echo "lxc.net.0.name = eth0"
		fi
	} >"$LXCP/$1/config"
}

# peers_nic_setup: a bridge for the NIC variants, an LXC container with a
# veth on it, and OCI bundles whose createRuntime hook does what a CNI
# bridge plugin does (veth pair, one end into the container, other on the
# bridge).
peers_nic_setup() {
	PEER_BRIDGE="vzb8br$$"
	ip link add "$PEER_BRIDGE" type bridge && ip link set "$PEER_BRIDGE" up || return 1
	cat >"$PEER_DIR/nic-hook" <<HOOK
#!/bin/sh
# createRuntime hook: a veth pair, eth0 in the container's netns.
pid=\$(jq -r .pid)
host=vzb8h\$pid
ip link add "\$host" type veth peer name eth0 netns "\$pid" &&
ip link set "\$host" master $PEER_BRIDGE up &&
nsenter -t "\$pid" -n ip link set eth0 up
HOOK
	chmod 755 "$PEER_DIR/nic-hook"
	peer_bundle "$PEER_DIR/oneshot-nic" '["/bin/true"]' "$PEER_DIR/nic-hook"
	peer_bundle "$PEER_DIR/init-nic" '["/sbin/init"]' "$PEER_DIR/nic-hook"
	lxc_define "$PEER_TAG-nic" veth
}

peers_cleanup() {
	for _c in $($RUNC list -q 2>/dev/null); do $RUNC delete -f "$_c" >/dev/null 2>&1; done
	for _c in $(eval "$CRUN list -q" 2>/dev/null); do eval "$CRUN delete -f $_c" >/dev/null 2>&1; done
	for _c in "$LXCP"/*/config; do
		[ -f "$_c" ] || continue
		_n=$(basename "$(dirname "$_c")")
		lxc stop -k -n "$_n" >/dev/null 2>&1
	done
	[ -n "${PEER_BRIDGE:-}" ] && ip link del "$PEER_BRIDGE" 2>/dev/null
	for _d in /sys/fs/cgroup/*/"$PEER_TAG"; do
		[ -d "$_d" ] && find "$_d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# LXC's helper cgroup for moving processes out before removal.
	for _d in /sys/fs/cgroup/*/lxc.pivot; do
		rmdir "$_d" 2>/dev/null
	done
	return 0
}
