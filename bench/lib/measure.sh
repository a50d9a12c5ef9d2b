# Measuring and reporting for the benchmarks: one hyperfine run per command,
# results as TSV rows, a table of ratios at the end.  Sourced by bench/run.sh
# and usable by the sub-benches (bench/net.sh, bench/cr.sh, bench/vm.sh).
#
# A result row (tab separated, one per line in $BENCH_RESULTS):
#   group  name  unit  median  p25  p75  n  note
# In each group the row named "vz" (or the first whose name starts with
# "vz") is the reference; every other row gets the ratio vz / peer, so a
# ratio under 1 means vz is faster (or smaller).

BENCH_RUNS=${BENCH_RUNS:-20}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/vz-bench-out.XXXXXX)}
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_OUT/results.tsv}
export BENCH_RUNS BENCH_WARMUP BENCH_OUT BENCH_RESULTS
: >>"$BENCH_RESULTS"

say() { printf '%s\n' "$*" >&2; }

# bench_row GROUP NAME UNIT MEDIAN P25 P75 N [NOTE]: record one result.
bench_row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-}" >>"$BENCH_RESULTS"
}

# bench_note GROUP NAME TEXT: a peer or variant that could not be measured.
bench_note() {
	bench_row "$1" "$2" "-" "-" "-" "-" 0 "$(printf "%s" "$3" | tr "\t\n" "  ")"
	say "  $1 / $2: $3"
}

# bench_cmd GROUP NAME COMMAND [hyperfine options...]: time COMMAND (run by
# sh -c, whose own start-up hyperfine subtracts) with warm-up runs, and
# record median and interquartile range in milliseconds.  BENCH_RUNS and
# BENCH_WARMUP may be set for one call: BENCH_RUNS=5 bench_cmd ...  A command that
# fails is recorded as a note with its error, never as a time.
bench_cmd() {
	local _g=$1 _nm=$2 _cmd=$3 _json
	shift 3
	_json="$BENCH_OUT/$(printf '%s-%s' "$_g" "$_nm" | tr -c 'A-Za-z0-9_.-' '_').json"
	say "  $_g / $_nm: $_cmd"
	if ! hyperfine --style none --warmup "$BENCH_WARMUP" --runs "$BENCH_RUNS" \
		--export-json "$_json" "$@" -- "$_cmd" >"$_json.log" 2>&1; then
		bench_note "$_g" "$_nm" "failed: $(grep -v '^$' "$_json.log" | tail -n 3 | tr '\n' ' ' | cut -c1-200)"
		return 1
	fi
	# Median and quartiles of the single runs, in ms.
	jq -r --arg g "$_g" --arg n "$_nm" '.results[0].times | sort | length as $l
		| [ (if $l % 2 == 1 then .[($l - 1) / 2] else (.[$l / 2 - 1] + .[$l / 2]) / 2 end),
		    .[($l - 1) * 0.25 | floor], .[($l - 1) * 0.75 | ceil], $l ]
		| [$g, $n, "ms", (.[0] * 1000 * 100 | round / 100), (.[1] * 1000 * 100 | round / 100),
		   (.[2] * 1000 * 100 | round / 100), .[3], ""] | @tsv' "$_json" >>"$BENCH_RESULTS"
}

# bench_table [GROUP-PREFIX]: print the results as a table with ratios.
bench_table() {
	awk -F'\t' -v pre="${1:-}" '
	index($1, pre) != 1 { next }
	{
		g[NR] = $1; nm[NR] = $2; u[NR] = $3; med[NR] = $4; lo[NR] = $5; hi[NR] = $6; n[NR] = $7; note[NR] = $8
		if (!($1 in ref) && $2 ~ /^vz/ && $4 != "-") ref[$1] = $4
		if (!($1 in order)) { order[$1] = ++ng; gname[ng] = $1 }
	}
	END {
		printf "%-24s %-28s %11s %20s %4s %8s  %s\n", "measure", "runtime", "median", "spread (p25..p75)", "n", "vz/peer", "note"
		for (k = 1; k <= ng; k++) {
			for (i = 1; i <= NR; i++) {
				if (g[i] != gname[k]) continue
				if (med[i] == "-") {
					printf "%-24s %-28s %11s %20s %4s %8s  %s\n", g[i], nm[i], "-", "-", "-", "-", note[i]
					continue
				}
				r = "-"
				if ((g[i] in ref) && nm[i] !~ /^vz/ && med[i] > 0) r = sprintf("%.2f", ref[g[i]] / med[i])
				if (lo[i] == "") sp = "-"; else sp = sprintf("%.2f..%.2f", lo[i], hi[i])
				printf "%-24s %-28s %7.2f %-3s %20s %4s %8s  %s\n", g[i], nm[i], med[i], u[i], sp, n[i], r, note[i]
			}
		}
	}' "$BENCH_RESULTS"
}

# Targets (from the issue), checked against this run's figures; one line
# each in $BENCH_OUT/targets.txt.
_median_of() { awk -F'\t' -v g="$1" -v n="$2" '$1 == g && $2 == n && $4 != "-" { print $4; exit }' "$BENCH_RESULTS"; }

# bench_target GROUP NAME LIMIT TEXT: the row's median must not exceed LIMIT.
bench_target() {
	local _v
	_v=$(_median_of "$1" "$2")
	if [ -z "$_v" ]; then
		printf 'n/a    %s (not measured)\n' "$4" >>"$BENCH_OUT/targets.txt"
	elif awk -v v="$_v" -v l="$3" 'BEGIN { exit !(v <= l) }'; then
		printf 'met    %s: %s\n' "$4" "$_v" >>"$BENCH_OUT/targets.txt"
	else
		printf 'MISSED %s: %s\n' "$4" "$_v" >>"$BENCH_OUT/targets.txt"
	fi
}

# bench_target_peers GROUP FACTOR PEER-REGEX TEXT: vz's median must not
# exceed FACTOR times the fastest matching peer's median.
bench_target_peers() {
	local _v _p _pm _r _s
	_v=$(_median_of "$1" vz)
	_p=$(awk -F'\t' -v g="$1" -v re="$3" '$1 == g && $2 ~ re && $4 != "-" { if (m == "" || $4 < m) { m = $4; w = $2 } }
		END { if (m != "") print m "\t" w }' "$BENCH_RESULTS")
	if [ -z "$_v" ] || [ -z "$_p" ]; then
		printf 'n/a    %s (not measured)\n' "$4" >>"$BENCH_OUT/targets.txt"
		return
	fi
	_pm=${_p%%	*}
	_r=$(awk -v v="$_v" -v p="$_pm" 'BEGIN { printf "%.2f", v / p }')
	if awk -v r="$_r" -v f="$2" 'BEGIN { exit !(r <= f) }'; then _s="met   "; else _s="MISSED"; fi
	printf '%s %s: vz %s ms vs %s %s ms = %s x\n' "$_s" "$4" "$_v" "${_p#*	}" "$_pm" "$_r" >>"$BENCH_OUT/targets.txt"
}

bench_targets() {
	echo "targets:"
	sed 's/^/  /' "$BENCH_OUT/targets.txt" 2>/dev/null
}
