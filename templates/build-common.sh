# Shared prologue of the template build scripts (sourced, not run).
# Sets up error reporting and parses the one OUTPUT.tar.gz argument into
# $output (absolute).  The caller sets $prog first.

die() { echo "$prog: $*" >&2; exit 1; }
# An unexpected failure names the command instead of exiting silently.
set -E
trap 'echo "$prog: line $LINENO: \`$BASH_COMMAND\` failed" >&2' ERR

# template_output SCRIPT ARGS...: --help prints SCRIPT's header comment.
template_output() {
	local script=$1
	shift
	case "${1:-}" in
	-h|--help)
		sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$script"
		exit 0 ;;
	""|-*)
		die "usage: $script OUTPUT.tar.gz" ;;
	esac
	[ $# -eq 1 ] || die "usage: $script OUTPUT.tar.gz"
	output=$1
	case "$output" in /*) ;; *) output=$PWD/$output ;; esac
}
