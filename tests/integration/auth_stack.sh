#!/usr/bin/env bash
# auth_stack.sh: the module also works in the auth stack: approve -> success,
# deny -> failure, one request per authentication.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start
mk_host web1
mk_approver carol carol
pam_service su-test --stack auth

run_pamdrive a1 --service su-test --user bob --op auth
code=$(wait_for_code a1)
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam a1 PAM_SUCCESS
ok "auth stack: approve -> PAM_SUCCESS"

run_pamdrive a2 --service su-test --user bob --op auth
code=$(wait_for_code a2)
assert_rc 0 actl carol deny "$code" -m "use the runbook"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied a2
assert_file_contains "$T/a2.out" "use the runbook" "deny comment shown"
assert_eq 2 "$(req_count)" "one request per authentication"
ok "auth stack: deny -> failure"
