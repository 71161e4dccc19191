#!/usr/bin/env bash
# approvald_restart.sh: approvald restarts (same port) while a module waits.
# The module keeps waiting through the outage and gets the approval made
# after the restart.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account timeout=120

start_waiter adr sudo-test
code=$CODE
approvald_restart
sleep 1
kill -0 "$PAMDRIVE_PID" 2>/dev/null || { pamdrive_wait "$PAMDRIVE_PID" 1; fail "the module gave up when approvald restarted ($(pam_result adr))"; }
assert_eq pending "$(req_status "$code")" "status across the restart"
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 40
assert_pam adr PAM_SUCCESS
ok "approval after an approvald restart reached the waiting module"
finish
