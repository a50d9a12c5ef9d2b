#!/bin/bash
# Migration between two test hosts (network namespaces with their own
# bridge, vzd and state root; ssh with a throwaway key as the transport):
# dry run, offline A -> B, online B -> A and A -> B with the crw workload
# and a TCP client in a third namespace that stays connected throughout.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-migrate.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
two_hosts
VZ_CONF=$CONF_A need_criu
plan 35

on_a vzctl create 101 --ostemplate busybox >/dev/null
check_rc 0 "start 101 on A" on_a vzctl start 101
check "NIC into 101 on A" on_a ct_nic 101 "$NS_A" 2
on_a crw_start 101 >/dev/null
wait_for 5 sh -c "[ -s '$ROOT_A/private/101/tmp/crw.state' ]"

# dry run: nothing changes; a CTID clash at the destination is named
check_rc 0 "dry run: no blockers" on_a vzctl migrate 101 "$SUBNET.252" --online --dry-run
check "dry run changed nothing" sh -c "[ \"\$(VZ_CONF=$CONF_A $VZCTL_BIN status 101)\" = 'CTID 101 exist mounted running' ] && [ ! -e $ROOT_B/conf/101.conf ]"
on_b vzctl create 101 --ostemplate busybox >/dev/null
check_rc 21 "dry run names a CTID used at the destination" on_a vzctl migrate 101 "$SUBNET.252" --online --dry-run
check "... as a blocker" contains "$OUT" "CTID 101 is already used"
check_rc 44 "migration to a used CTID is refused" on_a vzctl migrate 101 "$SUBNET.252"
check "... and 101 still runs on A" sh -c "VZ_CONF=$CONF_A $VZCTL_BIN status 101 | grep -q running"
on_b vzctl destroy 101 >/dev/null

# a peer without the right key is refused
cp "$CONF_A" "$ROOT_A/vz-badkey.conf"
sed -i "s|-i $ROOT_A/ssh/client_key|-i $ROOT_A/ssh/host_key|" "$ROOT_A/vz-badkey.conf"
check "the transport refuses a peer without the key" sh -c "! ip netns exec $NS_A sh -c \"\$(sed -n 's/^MIGRATE_SSH=\"\\(.*\\)\"/\\1/p' $ROOT_A/vz-badkey.conf) $SUBNET.252 true\" </dev/null >/dev/null 2>&1"

# the client in the third namespace
client_start "$NS_C" "$SUBNET.2" "$ROOT_A/client.out"
check "client connected" wait_for 10 client_advances "$ROOT_A/client.out"

# online A -> B
check_rc 0 "online migration A -> B" on_a vzctl migrate 101 "$SUBNET.252" --online --timings
diag "$(echo "$OUT" | grep -A12 timings)"
check "... post-copy, picked automatically" contains "$OUT" "memory transfer: post-copy (lazy pages)"
check "running on B" sh -c "VZ_CONF=$CONF_B $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
check "gone from A" host_clean "$ROOT_A" 101
check "workload intact on B" on_b crw_intact 101
check "client still connected, counting on" wait_for 15 client_advances "$ROOT_A/client.out"
check "client saw no gap or reset" client_continuous "$ROOT_A/client.out"

# online B -> A, JSON timings
OUT=$(VZ_CONF=$CONF_B "$VZCTL_BIN" migrate 101 "$SUBNET.251" --online --json 2>&1)
rc=$?
check "online migration B -> A (JSON report)" [ $rc -eq 0 ]
check "report has frozen_ms and stages" sh -c "echo '$OUT' | grep -q '\"frozen_ms\"' && echo '$OUT' | grep -q '\"images\"'"
check "running on A again" sh -c "VZ_CONF=$CONF_A $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
check "gone from B" host_clean "$ROOT_B" 101
check "client still counting" wait_for 15 client_advances "$ROOT_A/client.out"
check "workload intact on A" on_a crw_intact 101

# offline A -> B with a new CTID, and back
echo persisted >"$ROOT_A/private/101/root/marker"
check_rc 0 "offline migration A -> B as 202" on_a vzctl migrate 101 "$SUBNET.252" --new-id 202
check "202 runs on B" sh -c "VZ_CONF=$CONF_B $VZCTL_BIN status 202 | grep -q 'exist mounted running'"
check "files came along" grep -q persisted "$ROOT_B/private/202/root/marker"
check "config follows B's paths" grep -q "VE_PRIVATE=\"$ROOT_B/private/202\"" "$ROOT_B/conf/202.conf"
check "101 gone from A" host_clean "$ROOT_A" 101
check_rc 0 "vzmigrate form B -> A (DEST CTID order)" on_b vzctl vzmigrate --new-id 101 "$SUBNET.251" 202
check "101 runs on A" sh -c "VZ_CONF=$CONF_A $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
check "202 gone from B" host_clean "$ROOT_B" 202

# the override: stop-and-copy on request, a 64 MiB holder keeps its memory
on_a crw_start 101 >/dev/null
on_a vzctl exec 101 "/bin/crw mem 64 </dev/null >/dev/null 2>&1"
wait_for 30 sh -c "[ -s '$ROOT_A/private/101/tmp/crw.mem' ]"
check_rc 0 "online migration A -> B, --memory stop-and-copy" on_a vzctl migrate 101 "$SUBNET.252" --online --memory stop-and-copy --timings
check "... reported as requested" contains "$OUT" "memory transfer: stop-and-copy (requested)"
check "running on B" sh -c "VZ_CONF=$CONF_B $VZCTL_BIN status 101 | grep -q 'exist mounted running'"
check "workload and 64 MiB holder intact on B" on_b vzctl exec 101 '! test -s /tmp/crw.errors && ps | grep -q "[c]rw mem 64"'
finish
