#!/usr/bin/env bash
# cancel_sigint.sh: Ctrl-C (SIGINT) while the module waits cancels the
# request on the server and fails the PAM call (the process is not killed:
# the module catches the signal for the length of the wait).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account

start_waiter int sudo-test
code=$CODE
kill -INT "$PAMDRIVE_PID"
pamdrive_wait "$PAMDRIVE_PID" 15
assert_pam_denied int
wait_for_status "$code" cancelled 5
ok "SIGINT -> request cancelled, PAM fails"

assert_rc 1 actl carol approve "$code"
assert_eq cancelled "$(req_status "$code")" "status after a late approval"
ok "a cancelled request cannot be approved"
finish
