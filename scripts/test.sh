#!/bin/bash
# README command 2: install what is needed, build, and run every test (unit
# and integration, TAP through automake) with `make check`.  Also builds the
# config fuzz target with clang and replays its seed corpus.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

# --sanitizers: the same suite with everything built under ASan and UBSan
# (in ./build-san); any sanitizer report of a unit test, vzd, vzctl or
# vzlist fails the run.  See README.md, "Reliability guarantees".
sanitizers=0
[ "${1:-}" = --sanitizers ] && sanitizers=1

"$src/scripts/deps.sh"
if [ "$sanitizers" = 1 ]; then
	build=$(VZ_BUILD_DIR="$src/build-san" "$src/scripts/build.sh" --enable-sanitizers)
	sanlog="$build/sanitizer-logs"
	rm -rf "$sanlog" && mkdir -p "$sanlog"
	# Leaks are checked in every process that exits normally (vzd on
	# SIGTERM, the CLI, unit tests); reports go to files, not into TAP.
	# Allocation stacks by the slow unwinder: the fast one stops in
	# libraries built without frame pointers (jansson, glibc), and a leak
	# would then look like one outside vz's code (see below).
	export ASAN_OPTIONS="log_path=$sanlog/asan:detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0"
	export UBSAN_OPTIONS="log_path=$sanlog/ubsan:print_stacktrace=1:halt_on_error=0"
	export LSAN_OPTIONS="suppressions=$src/tests/sanitizers/lsan.supp"
else
	build=$("$src/scripts/build.sh")
fi
status=0
make -C "$build" -j"$(nproc)" check || status=$?
if [ "$sanitizers" = 1 ]; then
	reports=0
	for f in "$sanlog"/*; do
		[ -e "$f" ] || continue
		# A leak with no frame in vz's sources was allocated and lost by
		# a library vz loaded with dlopen and that is gone by exit (its
		# frames show as <unknown module>): shown, not counted.
		if grep -q 'LeakSanitizer' "$f" && ! grep -q "$src/" "$f"; then
			echo "=== $f (leak outside vz's code, not counted)"
		else
			echo "=== $f"
			reports=$((reports + 1))
		fi
		head -n 40 "$f"
	done
	if [ "$reports" -gt 0 ]; then
		echo "sanitizers: $reports report(s)"
		status=1
	else
		echo "sanitizers: no report in vz's code from any test, vzd, vzctl or vzlist"
	fi
	exit "$status"
fi
# Every TAP test point, counted from automake's .trs files, in the plain
# "N passed, N failed, N skipped" form CI reads; then logs of failures.
# Every folder of tests (unit, integration, security, network, migrate, ...).
count() { find "$build/tests" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c "^:test-result: $1" || true; }
echo "tests: $(count PASS) passed, $(( $(count FAIL) + $(count ERROR) + $(count XPASS) )) failed, $(count SKIP) skipped"
if [ "$status" -ne 0 ]; then
	for log in $(find "$build/tests" -name '*.log' | sort); do
		grep -q '^not ok\|^Bail out\|^ERROR' "$log" 2>/dev/null && { echo "=== $log"; tail -n 60 "$log"; }
	done
fi

fuzz=$src/build-fuzz
if [ "$status" -eq 0 ]; then
	mkdir -p "$fuzz"
	(cd "$fuzz" && { [ -f Makefile ] || CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined" \
		"$src/configure" -q --enable-fuzz; } && make -s -j"$(nproc)" tests/fuzz/fuzz-config tests/fuzz/fuzz-proto >/dev/null)
	"$fuzz/tests/fuzz/fuzz-config" -runs=0 "$src/tests/fuzz/corpus/config" 2>&1 | tail -n 2
	"$fuzz/tests/fuzz/fuzz-proto" -runs=0 "$src/tests/fuzz/corpus/proto" 2>&1 | grep -v ' vzd\[' | tail -n 2
	echo "fuzz targets build and replay their seed corpora cleanly"
fi
exit "$status"
