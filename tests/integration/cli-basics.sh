#!/bin/bash
# The programs' surface: --help for every command, --version, usage errors
# with vzctl's exit codes, and a clear message when vzd is not running.
. "$(dirname "$0")/lib.sh"
commands="create start stop restart destroy delete mount umount status exec exec2 enter set help"
plan $(( $(echo $commands | wc -w) + 12 ))
for c in $commands; do
	check_rc 0 "vzctl $c --help" "$VZCTL_BIN" $c --help
done
check_rc 0 "vzctl --help" "$VZCTL_BIN" --help
check "... lists every command" sh -c "for c in $commands; do '$VZCTL_BIN' --help | grep -qw \$c || exit 1; done"
check_rc 0 "vzctl --version" "$VZCTL_BIN" --version
check "... prints the version" contains "$OUT" "vzctl version"
check_rc 0 "vzlist --help" "$VZLIST_BIN" --help
check_rc 0 "vzlist -L lists fields" "$VZLIST_BIN" -L
check "... including ctid and hostname" sh -c "'$VZLIST_BIN' -L | grep -q '^ctid' && '$VZLIST_BIN' -L | grep -q '^hostname'"
check_rc 0 "vzd --help" "$VZD_BIN" --help
check_rc 20 "an unknown command exits 20" "$VZCTL_BIN" frobnicate 101
check_rc 20 "a missing CTID exits 20" "$VZCTL_BIN" start
dir=$(mktemp -d)
printf 'VZ_RUN_DIR="%s"\n' "$dir" >"$dir/vz.conf"
check_rc 3 "no vzd running exits 3" env VZ_CONF="$dir/vz.conf" "$VZCTL_BIN" status 101
check "... and says where it looked" contains "$OUT" "cannot connect to vzd at \`$dir/vzd.sock\`"
rm -rf "$dir"
finish
