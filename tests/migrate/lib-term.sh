# Terminals for the session tests (sourced after lib.sh): vzctl runs under
# script(1), which reads what the test types from a FIFO and writes what
# the terminal shows to a file, so the test types into a real terminal.

# term_open NAME CMD...: run vzctl CMD... on a terminal; type into it with
# type_in NAME, read it in $ROOT/NAME.out; its pid is in $NAME_PID.
term_open() {
	_t=$1
	shift
	mkfifo "$ROOT/$_t.in"
	script -qfec "$(printf '%q ' env VZ_CONF="$VZ_CONF" "$VZCTL_BIN" "$@")" "$ROOT/$_t.out" \
		<"$ROOT/$_t.in" >/dev/null 2>&1 &
	eval "${_t}_PID=$!"
	exec {_fd}>"$ROOT/$_t.in"
	eval "${_t}_FD=$_fd"
	at_exit "kill $! 2>/dev/null"
}
# type_in NAME TEXT: type TEXT (a printf format) on terminal NAME.
type_in() { _v="${1}_FD"; printf "$2" >&"${!_v}"; }
# shows NAME TEXT: terminal NAME has shown TEXT.
shows() { grep -qa -- "$2" "$ROOT/$1.out"; }
# term_gone NAME: its vzctl (and script) ended.
term_gone() { _v="${1}_PID"; ! kill -0 "${!_v}" 2>/dev/null; }
