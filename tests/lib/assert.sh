# shellcheck shell=sh
# shellcheck disable=SC3043,SC3047  # local (dash has it), trap ERR (bash only, guarded)
# tests/lib/assert.sh: the one assertion library of the shell suites
# (integration, e2e, browser through tests/lib/harness.sh; pam through
# tests/pam/pamlib.sh; sql through tests/sql/lib.sh). POSIX sh, so that the
# pam suite's sh scripts share it (local is the one extension used: dash
# and bash have it); under bash a failure prints its stack.
#
# Every assertion is counted and prints one TAP-like line on stderr:
# "ok N - WHAT" or "not ok N - WHAT" plus why. Argument order, everywhere:
# the expected value (or the thing searched) comes where the name says.
#   ok WHAT                       a pass proven by the caller
#   fail WHY                      a failure: ends the test (exit 1)
#   note TEXT                     a "# TEXT" comment line
#   skip WHY                      the test cannot run here (exit 77)
#   check WHAT CMD...             CMD's status is the verdict; a failure is
#                                 counted and the test goes on (finish)
#   assert_eq EXPECTED ACTUAL [WHAT]
#   assert_ne UNEXPECTED ACTUAL [WHAT]
#   assert_contains HAYSTACK NEEDLE [WHAT]
#   assert_not_contains HAYSTACK NEEDLE [WHAT]
#   assert_match STRING ERE [WHAT]      the whole STRING against ERE
#   assert_file_contains FILE ERE [WHAT]        some line of FILE
#   assert_file_not_contains FILE ERE [WHAT]    no line of FILE
#   assert_le VALUE MAX [WHAT]          integers
#   assert_rc EXPECTED CMD...     CMD's exit status; its output (stdout and
#                                 stderr) in $LAST_OUT and $ASSERT_DIR/last.out
#   finish                        the plan "1..N"; exit 1 if any check failed
# The assert_* functions end the test at the first failure, like fail.
# A library that sources this one sets ASSERT_DIR (its temp dir) and may
# define assert_before_finish (last checks, run by finish) and
# assert_on_fail, run once per failure before the test ends or goes
# on (it prints what helps: logs, the driver's output). Its EXIT trap calls
# assert_exit_status RC, which turns a pass with a failed check into 1.

_A_N=0		# assertions so far
_A_FAILED=0	# checks that failed (the fatal ones exit at once)
LAST_OUT=

_a_say() { printf '%s\n' "$*" >&2; }

_a_stack() {
	[ -n "${BASH_VERSION:-}" ] || return 0
	# shellcheck disable=SC3028,SC3054  # bash only, guarded
	eval '
	local i
	for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
		[[ ${BASH_SOURCE[i+1]} == */assert.sh ]] && continue
		printf "  at %s:%s (%s)\n" "${BASH_SOURCE[i+1]##*/}" "${BASH_LINENO[i]}" "${FUNCNAME[i]}" >&2
	done'
}

_a_hook() {
	if command -v assert_on_fail >/dev/null 2>&1; then
		assert_on_fail || true
	fi
}

note() { _a_say "# $*"; }

ok() {
	_A_N=$((_A_N + 1))
	_a_say "ok $_A_N - $*"
}

fail() {
	[ -z "${BASH_VERSION:-}" ] || trap - ERR
	_A_N=$((_A_N + 1))
	_a_say "not ok $_A_N - ${TEST_NAME:-${0##*/}}: $*"
	_a_stack
	_a_hook
	exit 1
}

skip() {
	_a_say "SKIP: ${TEST_NAME:-${0##*/}}: $*"
	exit 77
}

check() {
	local what="$1"
	shift
	if "$@"; then
		ok "$what"
		return 0
	fi
	_A_N=$((_A_N + 1))
	_A_FAILED=$((_A_FAILED + 1))
	_a_say "not ok $_A_N - $what"
	_a_hook
	return 0
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
	ok "${3:-value} is '$1'"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-value}: must not be '$1'"
	ok "${3:-value} is not '$1'"
}

assert_contains() {
	case $1 in
	*"$2"*) ok "${3:-text} contains '$2'" ;;
	*) fail "${3:-text}: '$2' not found in: $1" ;;
	esac
}

assert_not_contains() {
	case $1 in
	*"$2"*) fail "${3:-text}: must not contain '$2': $1" ;;
	*) ok "${3:-text} lacks '$2'" ;;
	esac
}

# The whole string: bash's [[ =~ ]] (POSIX regcomp); elsewhere grep -E
# over the string made one line (its newlines as \001, which '.' matches
# as regcomp's does a newline; mawk's awk lacks {n} intervals).
_a_matches() {
	if [ -n "${BASH_VERSION:-}" ]; then
		eval '[[ "$1" =~ $2 ]]'
	else
		{ printf '%s' "$1" | tr '\n' '\001'; echo; } | grep -Eq -- "$2"
	fi
}

assert_match() {
	_a_matches "$1" "$2" || fail "${3:-text}: '$1' does not match /$2/"
	ok "${3:-text} matches /$2/"
}

assert_file_contains() {
	grep -qE -- "$2" "$1" || fail "${3:-${1#"${ASSERT_DIR:-}"/}}: no line matching /$2/"
	ok "${3:-${1#"${ASSERT_DIR:-}"/}} has a line matching /$2/"
}

assert_file_not_contains() {
	! grep -qE -- "$2" "$1" ||
		fail "${3:-${1#"${ASSERT_DIR:-}"/}}: unexpected line matching /$2/: $(grep -m1 -E -- "$2" "$1")"
	ok "${3:-${1#"${ASSERT_DIR:-}"/}} has no line matching /$2/"
}

assert_le() {
	[ "$1" -le "$2" ] || fail "${3:-value}: $1 > $2"
	ok "${3:-value}: $1 <= $2"
}

assert_rc() {
	local want="$1" rc=0
	shift
	"$@" >"${ASSERT_DIR:?assert.sh: ASSERT_DIR unset}/last.out" 2>&1 || rc=$?
	LAST_OUT=$(cat "$ASSERT_DIR/last.out")
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; output: $LAST_OUT"
	ok "'$*' exited $want"
}

finish() {
	if command -v assert_before_finish >/dev/null 2>&1; then
		assert_before_finish
	fi
	_a_say "1..$_A_N"
	if [ "$_A_FAILED" != 0 ]; then
		_a_say "$_A_FAILED of $_A_N failed"
		exit 1
	fi
	exit 0
}

# assert_exit_status RC: the status a test's EXIT trap should exit with.
assert_exit_status() {
	if [ "$1" = 0 ] && [ "$_A_FAILED" != 0 ]; then
		_a_say "FAIL: $_A_FAILED check(s) failed (finish was not reached)"
		echo 1
		return 0
	fi
	echo "$1"
}
