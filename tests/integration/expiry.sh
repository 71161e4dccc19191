#!/usr/bin/env bash
# expiry.sh: nobody answers; the request expires at request_ttl (server side)
# and the waiting module fails with a message saying so.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup request_ttl=10
pam_service sudo-test --stack account timeout=120

t0=$(now_ms)
run_pamdrive exp --service sudo-test --user alice --op account
code=$(wait_for_code exp)
pamdrive_wait "$PAMDRIVE_PID" 60
elapsed=$(( $(now_ms) - t0 ))
assert_pam_denied exp
assert_eq expired "$(req_status "$code")"
assert_file_contains "$T/exp.out" "[Ee]xpired" "the requester is told it expired"
[ "$elapsed" -ge 9000 ] || fail "module gave up after ${elapsed} ms, before the 10 s TTL"
ok "expiry after ${elapsed} ms -> failure"

# A decision after expiry changes nothing.
assert_rc 1 actl carol approve "$code"
assert_eq expired "$(req_status "$code")"
ok "an expired request cannot be approved"
finish
