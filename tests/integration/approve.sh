#!/usr/bin/env bash
# approve.sh: the happy path through the account stack. A waiting module is
# released by `approvalctl approve`; the requester's reason and ticket
# (APPROVAL_REASON / APPROVAL_TICKET, and the reason=prompt conversation)
# reach `approvalctl show`; `list` and `watch` see the request.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup

pam_service sudo-test --stack account
actl carol watch --count 1 --timeout 60 >"$T/watch.out" 2>&1 &
watch_pid=$!
_H_PIDS+=("$watch_pid")
sleep 0.5	# let watch subscribe before the request exists

APPROVAL_REASON="deploy hotfix 7" APPROVAL_TICKET="OPS-42" \
	run_pamdrive approve --service sudo-test --user alice --op account
code=$(wait_for_code approve)
note "request $code"
assert_eq pending "$(req_status "$code")" "status while waiting"
assert_file_contains "$T/approve.out" "$code"
assert_file_contains "$T/approve.out" "http://approvald\.test/r/$code" "the module shows the request URL"
assert_file_not_contains "$T/approve.out" "notified" "no sinks configured: nobody said to be notified"

assert_rc 0 actl carol list --status pending
assert_contains "$LAST_OUT" "$code" "approvalctl list --status pending"
assert_rc 0 actl carol show "$code"
assert_contains "$LAST_OUT" "deploy hotfix 7" "APPROVAL_REASON in approvalctl show"
assert_contains "$LAST_OUT" "OPS-42" "APPROVAL_TICKET in approvalctl show"
assert_contains "$LAST_OUT" "sudo-test" "service in approvalctl show"

wait_for_waiters 1 10
assert_rc 0 actl carol approve "$code" -m "looks fine"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam approve PAM_SUCCESS
ok "approved request releases the module with PAM_SUCCESS"

assert_eq approved "$(req_status "$code")"
assert_eq carol "$(sql "SELECT a.login FROM approval.requests r JOIN approval.approvers a ON a.id = r.decided_by WHERE r.code = '$code'")" "decided_by"
assert_eq "looks fine" "$(req_field "$code" decision_comment)"
http GET "/v1/requests/$code" --approver carol
assert_status 200
assert_json .status approved
assert_json .decided_by carol
assert_json .reason "deploy hotfix 7"
assert_json .ticket OPS-42
assert_json .service sudo-test
assert_json .uid "$(id -u)"
assert_json '[.events[].kind] | join(",")' created,approved

wait_pid "$watch_pid" 10
[ "$WAIT_RC" = 0 ] || fail "approvalctl watch --count 1 exited $WAIT_RC"
assert_file_contains "$T/watch.out" "$code" "approvalctl watch output"
ok "list, show and watch see the request"

# reason=prompt: the reason comes from the conversation.
pam_service prompt-test --stack account reason=prompt
run_pamdrive prompt --service prompt-test --user alice --op account --answer "rotate the TLS keys"
code=$(wait_for_code prompt)
assert_rc 0 actl carol show "$code"
assert_contains "$LAST_OUT" "rotate the TLS keys" "prompted reason in approvalctl show"
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam prompt PAM_SUCCESS
ok "reason=prompt reaches approvers"
finish
