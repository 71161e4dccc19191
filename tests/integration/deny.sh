#!/usr/bin/env bash
# deny.sh: a denial fails the PAM call and the approver's comment reaches
# the requester through the conversation.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account

start_waiter deny sudo-test
code=$CODE
assert_rc 0 actl carol deny "$code" -m "not during the freeze"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied deny
assert_file_contains "$T/deny.out" "not during the freeze" "deny comment shown to the requester"
assert_file_contains "$T/deny.out" "[Dd]enied" "the outcome is named"
assert_eq denied "$(req_status "$code")"
assert_eq "not during the freeze" "$(req_field "$code" decision_comment)"
ok "deny -> failure with the comment shown"

# A hostile comment is shown with its control characters neutralised.
start_waiter deny2 sudo-test
code=$CODE
assert_rc 0 actl carol deny "$code" -m "$(printf 'no\033[2J\033]0;pwned\007 way')"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied deny2
assert_file_not_contains "$T/deny2.out" $'\033' "escape sequences in the comment"
assert_file_contains "$T/deny2.out" "way" "sanitised comment still shown"
ok "control characters in a comment are not passed to the terminal"
finish
