# Measures 1-3 of the benchmark: lifecycle latency, exec latency and create
# from template, vz against runc, crun and LXC in the same run.  Sourced by
# bench/run.sh after a vz instance is up (vzctl/vzlist use $VZ_CONF).

VZCTL="$VZCTL_BIN -q"

# The LXC tools, by full path, on the benchmark's lxcpath and PATH.
lxc_cmd() { printf 'env PATH=%s /usr/bin/lxc-%s -P %s' "$LXC_PATH_DIR" "$1" "$LXCP"; }

# Commands for "start, run /bin/true, stop" of each runtime; $1 is the
# variant suffix ("" or "-nic").
lifecycle_peers() {
	_v=$1
	_id=$PEER_TAG-l$_v
	bench_cmd "lifecycle$_v" "runc run (one-shot)" "$RUNC run --bundle $PEER_DIR/oneshot$_v $_id"
	bench_cmd "lifecycle$_v" "runc run -d+exec+delete" \
		"$RUNC run -d --bundle $PEER_DIR/init$_v $_id && $RUNC exec $_id /bin/true && $RUNC delete -f $_id"
	if [ -n "${CRUN_REFUSAL:-}" ] && ! printf '%s' "$CRUN_REFUSAL" | grep -q hybrid; then
		bench_note "lifecycle$_v" "crun" "refused: $CRUN_REFUSAL"
	else
		bench_cmd "lifecycle$_v" "crun run (one-shot)" "$CRUN run --bundle $PEER_DIR/oneshot$_v $_id"
		bench_cmd "lifecycle$_v" "crun run -d+exec+delete" \
			"$CRUN run -d --bundle $PEER_DIR/init$_v $_id && $CRUN exec $_id /bin/true && $CRUN delete -f $_id"
	fi
	_n=$PEER_TAG-${2:-ct}
	bench_cmd "lifecycle$_v" "lxc start+attach+stop -k" \
		"$(lxc_cmd start) -n $_n && $(lxc_cmd attach) -n $_n -- /bin/true && $(lxc_cmd stop) -k -n $_n"
	# What a Debian user gets once lxcfs is installed: its hooks run too.
	if [ -z "$_v" ] && [ -f "$LXCP/$PEER_TAG-fs/config" ]; then
		_n=$PEER_TAG-fs
		bench_cmd "lifecycle$_v" "lxc (+lxcfs hooks)" \
			"$(lxc_cmd start) -n $_n && $(lxc_cmd attach) -n $_n -- /bin/true && $(lxc_cmd stop) -k -n $_n"
	fi
}

bench_lifecycle() {
	say "== lifecycle: start + /bin/true + stop of an existing busybox container"
	bench_cmd lifecycle "vz" "$VZCTL start 101 && $VZCTL exec 101 /bin/true && $VZCTL stop 101 --fast"
	lifecycle_peers ""
	[ -n "${CRUN_REFUSAL:-}" ] && say "  crun on this host without help: $CRUN_REFUSAL"

	say "== lifecycle-nic: the same with a veth NIC on a bridge"
	if ! peers_nic_setup; then
		bench_note lifecycle-nic "all" "cannot create bridge $PEER_TAG"
		return
	fi
	if vz_nic_ready 102; then
		bench_cmd lifecycle-nic "vz" "$VZCTL start 102 && $VZCTL exec 102 /bin/true && $VZCTL stop 102 --fast"
	else
		bench_note lifecycle-nic "vz" "not yet available: $VZ_NIC_WHY"
	fi
	lifecycle_peers "-nic" nic
}

# vz_nic_ready CTID: create CTID with a NETIF on the benchmark bridge, if this
# vz configures NETIF; VZ_NIC_WHY says why not otherwise.
vz_nic_ready() {
	$VZCTL create "$1" --ostemplate busybox >/dev/null 2>&1 || { VZ_NIC_WHY="create failed"; return 1; }
	# OpenVZ's form ifname[,mac,host_ifname,host_mac,bridge], on the
	# benchmark's bridge; else on vz's default bridge.
	if ! _o=$($VZCTL set "$1" --netif_add "eth0,,,,$PEER_BRIDGE" --save 2>&1) &&
		! _o=$($VZCTL set "$1" --netif_add eth0 --save 2>&1); then
		VZ_NIC_WHY="vzctl set --netif_add: $(printf '%s' "$_o" | head -n 1)"
		return 1
	fi
	if ! _o=$($VZCTL start "$1" 2>&1); then
		VZ_NIC_WHY="start with NETIF failed: $(printf '%s' "$_o" | tail -n 1)"
		return 1
	fi
	_dev=$($VZCTL exec "$1" cat /proc/net/dev 2>/dev/null)
	$VZCTL stop "$1" --fast >/dev/null 2>&1
	if ! printf '%s' "$_dev" | grep -q 'eth0:'; then
		VZ_NIC_WHY="NETIF is stored but this vz does not configure it (no eth0 in the container)"
		return 1
	fi
}

bench_exec() {
	say "== exec: /bin/true in a running container"
	$VZCTL start 101
	bench_cmd exec "vz" "$VZCTL exec 101 /bin/true"
	$VZCTL stop 101 --fast
	_n=$PEER_TAG-ct
	if eval "$(lxc_cmd start) -n $_n"; then
		bench_cmd exec "lxc-attach" "$(lxc_cmd attach) -n $_n -- /bin/true"
		eval "$(lxc_cmd stop) -k -n $_n"
	else
		bench_note exec "lxc-attach" "lxc-start failed"
	fi
	for _rt in runc crun; do
		[ $_rt = crun ] && _r=$CRUN || _r=$RUNC
		if eval "$_r run -d --bundle $PEER_DIR/init $PEER_TAG-x" >/dev/null 2>&1; then
			bench_cmd exec "$_rt exec" "$_r exec $PEER_TAG-x /bin/true"
			eval "$_r delete -f $PEER_TAG-x"
		else
			bench_note exec "$_rt exec" "$_rt run -d failed"
		fi
	done
}

# An LXC template (an executable given to lxc-create -t by path) that does
# what `vzctl create` does with an OS template: unpack the same tarball.
# lxc-create runs it in the container's user namespace, so the files come
# out owned by the mapped ids.
lxc_untar_template() {
	cat >"$PEER_DIR/lxc-untar" <<'TMPL'
#!/bin/sh
set -e
while [ $# -gt 0 ]; do
	case "$1" in
	--rootfs=*) r=${1#--rootfs=} ;;
	--tarball=*) t=${1#--tarball=} ;;
	esac
	shift
done
mkdir -p "$r"
tar --numeric-owner -xpzf "$t" -C "$r"
TMPL
	chmod 755 "$PEER_DIR/lxc-untar"
	printf 'lxc.idmap = u 0 %s 65536\nlxc.idmap = g 0 %s 65536\n' "$PEER_UID" "$PEER_UID" >"$PEER_DIR/lxc-create.conf"
}

bench_create() {
	say "== create: a container from an OS template (cached tarball)"
	lxc_untar_template
	_n=$PEER_TAG-new
	for _t in busybox debian; do
		if ! ensure_template "$_t" || ! ln -f "$TEMPLATE_CACHE/$_t.tar.gz" "$ROOT/template/cache/" 2>/dev/null &&
			! cp "$TEMPLATE_CACHE/$_t.tar.gz" "$ROOT/template/cache/"; then
			bench_note "create-$_t" "all" "template $_t could not be built (see $TEMPLATE_CACHE/$_t.log)"
			continue
		fi
		# A debian create takes seconds: fewer runs.
		[ "$_t" = debian ] && _runs=$((BENCH_RUNS < 5 ? BENCH_RUNS : 5)) || _runs=$BENCH_RUNS
		BENCH_RUNS=$_runs bench_cmd "create-$_t" "vz" "$VZCTL create 201 --ostemplate $_t" \
			--prepare "$VZCTL destroy 201 >/dev/null 2>&1; true"
		$VZCTL destroy 201 >/dev/null 2>&1
		BENCH_RUNS=$_runs bench_cmd "create-$_t" "lxc-create (same tarball)" \
			"$(lxc_cmd create) -n $_n -f $PEER_DIR/lxc-create.conf -t $PEER_DIR/lxc-untar -- --tarball=$TEMPLATE_CACHE/$_t.tar.gz" \
			--prepare "$(lxc_cmd destroy) -n $_n >/dev/null 2>&1; true"
		eval "$(lxc_cmd destroy) -n $_n" >/dev/null 2>&1
		if [ "$_t" = busybox ]; then
			bench_cmd "create-$_t" "lxc-create -t busybox" \
				"$(lxc_cmd create) -n $_n -f $PEER_DIR/lxc-create.conf -t busybox" \
				--prepare "$(lxc_cmd destroy) -n $_n >/dev/null 2>&1; true"
			eval "$(lxc_cmd destroy) -n $_n" >/dev/null 2>&1
		fi
	done
}
