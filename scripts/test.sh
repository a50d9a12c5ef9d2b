#!/bin/bash
# README command 2: install what is needed, build, and run every test (unit
# and integration, TAP through automake) with `make check`.  Also builds the
# config fuzz target with clang and replays its seed corpus.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

"$src/scripts/deps.sh"
build=$("$src/scripts/build.sh")
status=0
make -C "$build" -j"$(nproc)" check || status=$?
# Every TAP test point, counted from automake's .trs files, in the plain
# "N passed, N failed, N skipped" form CI reads; then logs of failures.
count() { cat "$build"/tests/unit/*.trs "$build"/tests/integration/*.trs 2>/dev/null | grep -c "^:test-result: $1" || true; }
echo "tests: $(count PASS) passed, $(( $(count FAIL) + $(count ERROR) + $(count XPASS) )) failed, $(count SKIP) skipped"
if [ "$status" -ne 0 ]; then
	for log in "$build"/tests/unit/*.log "$build"/tests/integration/*.log; do
		grep -q '^not ok\|^Bail out\|^ERROR' "$log" 2>/dev/null && { echo "=== $log"; tail -n 60 "$log"; }
	done
fi

fuzz=$src/build-fuzz
if [ "$status" -eq 0 ]; then
	mkdir -p "$fuzz"
	(cd "$fuzz" && { [ -f Makefile ] || CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined" \
		"$src/configure" -q --enable-fuzz; } && make -s -j"$(nproc)" tests/fuzz/fuzz-config >/dev/null)
	"$fuzz/tests/fuzz/fuzz-config" -runs=0 "$src/tests/fuzz/corpus/config" 2>&1 | tail -n 2
	echo "fuzz target builds and replays its seed corpus cleanly"
fi
exit "$status"
