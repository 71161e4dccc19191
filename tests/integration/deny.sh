#!/usr/bin/env bash
# deny.sh: a denial fails the PAM call and the approver's comment reaches
# the requester through the conversation.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start
mk_host web1
mk_approver carol carol
pam_service sudo-test --stack account

run_pamdrive deny --service sudo-test --user alice --op account
code=$(wait_for_code deny)
wait_for_waiters 1 10
assert_rc 0 actl carol deny "$code" -m "not during the freeze"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied deny
assert_file_contains "$T/deny.out" "not during the freeze" "deny comment shown to the requester"
assert_file_contains "$T/deny.out" "[Dd]enied" "the outcome is named"
assert_eq denied "$(req_status "$code")"
assert_eq "not during the freeze" "$(req_field "$code" decision_comment)"
ok "deny -> failure with the comment shown"

# A hostile comment is shown with its control characters neutralised.
run_pamdrive deny2 --service sudo-test --user alice --op account
code=$(wait_for_code deny2)
assert_rc 0 actl carol deny "$code" -m "$(printf 'no\033[2J\033]0;pwned\007 way')"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied deny2
assert_file_not_contains "$T/deny2.out" $'\033' "escape sequences in the comment"
assert_file_contains "$T/deny2.out" "way" "sanitised comment still shown"
ok "control characters in a comment are not passed to the terminal"
