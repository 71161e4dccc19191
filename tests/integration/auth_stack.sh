#!/usr/bin/env bash
# auth_stack.sh: the module also works in the auth stack: approve -> success,
# deny -> failure, one request per authentication.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service su-test --stack auth

start_waiter a1 su-test --op auth
assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam a1 PAM_SUCCESS
ok "auth stack: approve -> PAM_SUCCESS"

start_waiter a2 su-test --op auth
assert_rc 0 actl carol deny "$CODE" -m "use the runbook"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied a2
assert_file_contains "$T/a2.out" "use the runbook" "deny comment shown"
assert_eq 2 "$(req_count)" "one request per authentication"
ok "auth stack: deny -> failure"
finish
