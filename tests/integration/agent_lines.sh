#!/usr/bin/env bash
# agent_lines.sh: without a terminal the module writes the stable
# "pam_approve: VERB ..." lines of docs/agents.md for every outcome
# (pending with code and URL, approved by, denied by with the comment,
# expired, cancelled), and a parser that plays an agent reads them.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup request_ttl=10
pam_service sudo-test --stack account

# The agent's side: the machine lines of a run, in order (pamdrive shows a
# PAM_ERROR_MSG as "ERROR: <text>"; sudo writes <text> to stderr).
lines() { sed -n 's/^ERROR: \(pam_approve: .*\)$/\1/p' "$T/$1.out"; }
# agent_read OUT: sets A_CODE, A_URL (from the pending line) and A_OUTCOME,
# A_BY, A_COMMENT (from the last line), by the grammar only.
agent_read() {
	local l
	A_CODE= A_URL= A_OUTCOME= A_BY= A_COMMENT=
	while IFS= read -r l; do
		case $l in
		"pam_approve: pending "*)
			read -r _ _ A_CODE A_URL <<<"$l" ;;
		"pam_approve: approved by "*) A_OUTCOME=approved; A_BY=${l#pam_approve: approved by } ;;
		"pam_approve: approved") A_OUTCOME=approved ;;
		"pam_approve: denied by "*)
			A_OUTCOME=denied; l=${l#pam_approve: denied by }
			A_BY=${l%%: *}; [ "$A_BY" = "$l" ] || A_COMMENT=${l#*: } ;;
		"pam_approve: denied") A_OUTCOME=denied ;;
		"pam_approve: expired") A_OUTCOME=expired ;;
		"pam_approve: cancelled") A_OUTCOME=cancelled ;;
		"pam_approve: note: "*) ;;
		*) fail "line outside the grammar: '$l'" ;;
		esac
	done < <(lines "$1")
}

start_waiter ok sudo-test
assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam ok PAM_SUCCESS
agent_read ok
assert_eq "$CODE" "$A_CODE" "code from the pending line"
assert_match "$A_URL" "^http.*/r/$CODE\$" "URL from the pending line"
assert_eq approved "$A_OUTCOME"
assert_eq carol "$A_BY"
assert_eq 2 "$(lines ok | wc -l)" "exactly two lines: pending, approved"
ok "approved: pending CODE URL, approved by carol"

start_waiter no sudo-test
assert_rc 0 actl carol deny "$CODE" -m "not now: freeze until Friday"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied no
agent_read no
assert_eq denied "$A_OUTCOME"
assert_eq carol "$A_BY"
assert_eq "not now: freeze until Friday" "$A_COMMENT" "the comment, colon and all"
ok "denied by carol: COMMENT"

start_waiter exp sudo-test
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam_denied exp
agent_read exp
assert_eq expired "$A_OUTCOME"
ok "expired"

start_waiter int sudo-test
kill -INT "$PAMDRIVE_PID"
pamdrive_wait "$PAMDRIVE_PID" 15
assert_pam_denied int
agent_read int
assert_eq cancelled "$A_OUTCOME"
ok "cancelled (Ctrl-C)"
