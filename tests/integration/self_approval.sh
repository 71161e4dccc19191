#!/usr/bin/env bash
# self_approval.sh: nobody decides their own request: the API answers 403
# (the request stays pending and the attempt is recorded), approvalctl exits
# 1, and a direct SQL UPDATE is refused by the database trigger.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
db_start
approvald_start
mk_host web1
mk_approver alice-adm alice		# unix login alice = the requester
mk_approver bob other			# login bob = a requester "bob"
mk_approver carol carol

api_create web1 '.user = "alice"'
id=$REQ_ID code=$REQ_CODE
http GET "/v1/requests/$id" --approver alice-adm
assert_status 200
assert_json .self true
http GET "/v1/requests/$id" --approver carol
assert_json .self false

for verb in approve deny; do
	http POST "/v1/requests/$id/$verb" --approver alice-adm --json '{"comment":"mine"}'
	assert_error 403 self_approval "$verb by the requester's unix login"
	assert_eq pending "$(req_status "$code")" "status after a self-$verb"
done
assert_rc 1 actl alice-adm approve "$code"
assert_eq pending "$(req_status "$code")"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id WHERE r.code = '$code' AND e.kind = 'self_approval_refused'")" \
	"self_approval_refused events"
ok "API: 403, stays pending, attempts recorded"

api_create web1 '.user = "bob"'
http POST "/v1/requests/$REQ_ID/approve" --approver bob
assert_error 403 self_approval "approve by the approver whose login is the requester"
assert_eq pending "$(req_status "$REQ_CODE")"
ok "API: login equal to the requester -> 403"

rc=0
err=$(pg_psql -c "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice-adm') WHERE id = '$id'" 2>&1) || rc=$?
assert_ne 0 "$rc" "psql exit status of a self-approving UPDATE"
assert_contains "$err" "may not decide" "trigger error"
assert_eq pending "$(req_status "$code")"
# The application role gets the same answer.
rc=0
err=$("$PG_BINDIR/psql" -X -qtA "$PG_APP_CONNINFO" -c "UPDATE approval.requests SET status = 'denied', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice-adm') WHERE id = '$id'" 2>&1) || rc=$?
assert_ne 0 "$rc" "psql exit status of a self-denying UPDATE as approval_app"
assert_contains "$err" "may not decide" "trigger error"
assert_eq pending "$(req_status "$code")"
ok "SQL: the trigger refuses a self-decision"

assert_rc 0 actl carol approve "$code"
assert_eq approved "$(req_status "$code")"
ok "another approver can decide it"

# Letter case does not hide the requester (a directory may hand the module
# "dave" for the approver the admin entered as "Dave", or unix login "Erin").
mk_approver Dave Erin
for who in dave erin; do
	api_create web1 ".user = \"$who\""
	http GET "/v1/requests/$REQ_ID" --approver Dave
	assert_json .self true "requester $who shown as Dave's own"
	http POST "/v1/requests/$REQ_ID/approve" --approver Dave
	assert_error 403 self_approval "approve of requester $who by approver Dave (unix login Erin)"
	assert_eq pending "$(req_status "$REQ_CODE")"
done
ok "API: a self-approval differing only in letter case -> 403"
finish
