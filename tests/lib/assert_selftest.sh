#!/bin/sh
# assert_selftest.sh SHELL: tests/lib/assert.sh under SHELL (bash, and dash
# for the pam suite's sh scripts): every assertion passes on a true claim
# and, on a false one, prints "not ok", runs the assert_on_fail hook and
# ends the test with exit 1 (argument order: EXPECTED first); a failed check
# lets the test go on and makes finish exit 1; finish runs
# assert_before_finish and prints the plan; assert_exit_status turns a pass
# that skipped finish after a failed check into 1; assert_rc keeps the
# output. Without this, a broken library would let every suite pass.
set -u
SH=${1:-sh}
LIB=$(cd "$(dirname "$0")" && pwd)/assert.sh
D=$(mktemp -d "${TMPDIR:-/tmp}/assert-selftest.XXXXXX")
trap 'rm -rf "$D"' EXIT
bad=0
n=0

# run WANT-RC WANT-TEXT BODY: BODY in a fresh SHELL with the library
run() {
	want=$1 text=$2 body=$3 rc=0
	n=$((n + 1))
	printf 'ASSERT_DIR=%s\n. %s\nassert_on_fail() { echo HOOK >&2; }\n%s\n' \
		"$D" "$LIB" "$body" >"$D/t.sh"
	"$SH" "$D/t.sh" >"$D/out" 2>&1 || rc=$?
	if [ "$rc" != "$want" ] || ! grep -q -- "$text" "$D/out"; then
		echo "not ok $n - [$SH] exit $rc (want $want), /$text/ in: $(cat "$D/out")"
		bad=$((bad + 1))
	else
		echo "ok $n - [$SH] $body"
	fi
}

run 0 '^ok 1 - v is .a b.$' 'assert_eq "a b" "a b" v; finish'
run 1 "v: expected 'want', got 'got'" 'assert_eq want got v; echo NOT-REACHED'
run 1 'HOOK' 'assert_eq x y'
run 1 'must not be' 'assert_ne same same'
run 0 '^1\.\.2$' 'assert_ne a b; assert_contains "hay stack" "y s"; finish'
run 1 "'needle' not found" 'assert_contains haystack needle'
run 1 'must not contain' 'assert_not_contains "a*b" "*"'
run 0 '^ok 1' 'assert_not_contains "abc" "*"; finish'
run 0 '^ok 1' 'assert_match "K7Q-4MX" "^[0-9A-Z]{3}-[0-9A-Z]{3}\$"; finish'
run 1 'does not match' 'assert_match "xK7Q-4MX" "^[0-9A-Z]{3}-[0-9A-Z]{3}\$"'
run 1 'does not match' 'assert_match "line1
K7Q" "^K7Q\$"'
run 0 '^ok 2' 'printf "a\nb\n" >"$ASSERT_DIR/f"; assert_file_contains "$ASSERT_DIR/f" "^b\$"; assert_file_not_contains "$ASSERT_DIR/f" "^c"; finish'
run 1 'unexpected line' 'printf "a\n" >"$ASSERT_DIR/f"; assert_file_not_contains "$ASSERT_DIR/f" a'
run 1 'no line matching' 'printf "a\n" >"$ASSERT_DIR/f"; assert_file_contains "$ASSERT_DIR/f" b'
run 1 '11 > 10' 'assert_le 10 10; assert_le 11 10'
run 0 'LAST=out' 'assert_rc 3 sh -c "echo out; exit 3"; echo "LAST=$LAST_OUT"; finish'
run 1 "exited 0, expected 1" 'assert_rc 1 true'
run 1 '1 of 3 failed' 'check one true; check two false; echo GOES-ON >&2; check three true; finish'
run 1 'GOES-ON' 'check two false; echo GOES-ON >&2; finish'
run 1 'not ok 1 - extra' 'assert_before_finish() { check extra false; }; finish'
run 1 'finish was not reached' 'check c false; trap '"'"'exit "$(assert_exit_status $?)"'"'"' EXIT; exit 0'
run 77 'SKIP' 'skip "not here"'
run 1 'not ok 1 - .*: why' 'fail why'
run 0 '# a note' 'note a note; ok done; finish'

echo "1..$n"
[ "$bad" = 0 ] || { echo "$bad of $n failed"; exit 1; }
