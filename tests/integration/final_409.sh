#!/usr/bin/env bash
# final_409.sh: a final state never changes: a second decision, a decision
# on a denied/cancelled request and a cancel of a final one are 409 through
# the API (approvalctl exits 1) and errors in SQL; nothing changes.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup
mk_approver dave dave

snapshot() {	# everything that must not change
	sql "SELECT status, decided_by, decided_at, decision_comment FROM approval.requests WHERE id = '$1';
	     SELECT count(*) FROM approval.request_events WHERE request_id = '$1'"
}

api_create web1
id=$REQ_ID code=$REQ_CODE
http POST "/v1/requests/$id/approve" --approver carol --json '{"comment":"ok"}'
assert_status 200
assert_json .status approved
before=$(snapshot "$id")

http POST "/v1/requests/$id/approve" --approver carol --json '{"comment":"again"}'
assert_error 409 final "second approval by the same approver"
http POST "/v1/requests/$id/deny" --approver dave --json '{"comment":"no"}'
assert_error 409 final "deny after approve"
http POST "/v1/requests/$id/cancel" --host web1
assert_error 409 final "cancel after approve"
assert_rc 1 actl dave deny "$code" -m late
assert_rc 1 actl carol approve "$code"
rc=0
err=$(pg_psql -c "UPDATE approval.requests SET status = 'denied' WHERE id = '$id'" 2>&1) || rc=$?
assert_ne 0 "$rc" "psql exit status of an UPDATE on a final request"
assert_contains "$err" "already approved" "trigger error"
assert_eq "$before" "$(snapshot "$id")" "request after the refused changes"
ok "approved: 409 for everything, unchanged"

api_create web1
id=$REQ_ID
http POST "/v1/requests/$id/deny" --approver carol --json '{"comment":"no"}'
assert_status 200
assert_json .status denied
before=$(snapshot "$id")
http POST "/v1/requests/$id/approve" --approver dave
assert_error 409 final "approve after deny"
assert_eq "$before" "$(snapshot "$id")"
ok "denied: approve -> 409, unchanged"

api_create web1
id=$REQ_ID
http POST "/v1/requests/$id/cancel" --host web1 --json '{}'
assert_status 200
assert_json .status cancelled
before=$(snapshot "$id")
http POST "/v1/requests/$id/approve" --approver carol
assert_error 409 final "approve after cancel"
http POST "/v1/requests/$id/cancel" --host web1
assert_error 409 final "second cancel"
assert_eq "$before" "$(snapshot "$id")"
ok "cancelled: approve and cancel -> 409, unchanged"
finish
