#!/bin/bash
# Concurrency: 8 clients doing random operations (create, start, stop, set,
# exec, destroy, status) over 20 containers at once.  No deadlock (all done
# within a generous deadline), no failure other than the refusals the state
# explains (already exists / running, not running, no such container), no
# corrupted config, and at the end what vzlist says matches the kernel for
# every container.  CI runs 8 x 16 operations; VZ_LONG_TESTS=1 runs
# 8 x 63 (504, the issue's 500).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-reliability.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template"
clients=8
if [ "${VZ_LONG_TESTS:-0}" = 1 ]; then per_client=63; else per_client=16; fi
cts=$(seq 1001 1020)
plan 7
# Own id range, far from the other tests' (they use 1e9 and up).
instance_up main 200000000

client() {
	_id=$1
	RANDOM=$((_id * 7919 + $$))
	for _i in $(seq 1 "$per_client"); do
		_ct=$((1001 + RANDOM % 20))
		case $((RANDOM % 10)) in
		0 | 1) _op="create $_ct --ostemplate busybox --hostname c$_ct.example" ;;
		2 | 3) _op="start $_ct" ;;
		4) _op="stop $_ct --fast" ;;
		5) _op="stop $_ct" ;;
		6) _op="set $_ct --hostname h$_id-$_i.example --cpuunits $((100 + _i)) --save" ;;
		7) _op="exec $_ct true" ;;
		8) _op="destroy $_ct" ;;
		9) _op="status $_ct" ;;
		esac
		# shellcheck disable=SC2086
		_out=$("$VZCTL_BIN" $_op 2>&1)
		echo "$? $_op :: $(echo "$_out" | tail -n 1)"
	done >"$ROOT/client-$_id.log"
}

start=$(date +%s)
pids=""
for c in $(seq 1 $clients); do
	client "$c" &
	pids="$pids $!"
done
# Deadlock watchdog: generous (a loaded machine is slow, never a failure),
# yet finite.  (kill -0 cannot tell: a finished client is a zombie until
# waited for.)
(
	trap 'kill $s; exit 0' TERM
	sleep 900 &
	s=$!
	wait $s
	touch "$ROOT/hung"
	# The clients' trap waits for their vzctl: end those first.
	for p in $pids; do pkill -TERM -P "$p"; done
	kill $pids
) >/dev/null 2>&1 &
watchdog=$!
wait $pids
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
check "all $((clients * per_client)) operations finished (no deadlock), $(($(date +%s) - start)) s" test ! -e "$ROOT/hung"

total=$(cat "$ROOT"/client-*.log | wc -l)
# Allowed outcomes: 0 ok, 14 no such container, 31 not running, 32 running
# (start, destroy), 44 already exists.
bad=$(awk '$1 !~ /^(0|14|31|32|44)$/' "$ROOT"/client-*.log)
check "$total operations, all succeeded or were refused for a state reason" test -z "$bad"
[ -z "$bad" ] || echo "$bad" | head -n 20 | sed 's/^/#   /'
diag "outcomes: $(awk '{print $1}' "$ROOT"/client-*.log | sort | uniq -c | tr '\n' ' ')"

check "vzlist shows no broken container" sh -c "! '$VZLIST_BIN' -a -H -o ctid,status | grep -q broken"
check "no debris (temp files, intents, partial areas)" no_debris

# Every container: vzlist's word agrees with the kernel.
mismatch=""
for ct in $cts; do
	st=$("$VZLIST_BIN" -a -H -o status "$ct" 2>/dev/null | tr -d ' ')
	case $st in
	running) ct_running_whole "$ct" || mismatch="$mismatch $ct(running)" ;;
	stopped) ct_stopped_clean "$ct" || mismatch="$mismatch $ct(stopped)" ;;
	"") ct_gone "$ct" || mismatch="$mismatch $ct(absent)" ;;
	*) mismatch="$mismatch $ct($st)" ;;
	esac
done
check "vzlist matches the kernel for all 20 containers" test -z "$mismatch"
[ -z "$mismatch" ] || diag "mismatch:$mismatch"

# Configs are whole: each parses, and holds exactly one HOSTNAME line.
broken=""
for f in "$ROOT"/conf/*.conf; do
	[ -e "$f" ] || continue
	[ "$(grep -c '^HOSTNAME=' "$f")" -eq 1 ] || broken="$broken $f"
done
check "every config holds its keys once" test -z "$broken"
check "vzd is still serving" kill -0 "$VZD_PID"
finish
