#!/usr/bin/env bash
# approvald_restart.sh: approvald restarts (same port) while a module waits.
# The module keeps waiting through the outage and gets the approval made
# after the restart.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start
mk_host web1
mk_approver carol carol
pam_service sudo-test --stack account timeout=120

run_pamdrive adr --service sudo-test --user alice --op account
code=$(wait_for_code adr)
wait_for_waiters 1 10
approvald_restart
sleep 1
kill -0 "$PAMDRIVE_PID" 2>/dev/null || { pamdrive_wait "$PAMDRIVE_PID" 1; fail "the module gave up when approvald restarted ($(pam_result adr))"; }
assert_eq pending "$(req_status "$code")" "status across the restart"
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 40
assert_pam adr PAM_SUCCESS
ok "approval after an approvald restart reached the waiting module"
