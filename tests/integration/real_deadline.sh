#!/usr/bin/env bash
# real_deadline.sh: approvers see the time the requester will really wait.
# The module sends its timeout= (requester_timeout) with the create;
# approvald stores requester_gives_up_at and lets the request expire at the
# earlier of it and request_ttl: through the real module with timeout=20
# the request expires within about 20 s, not request_ttl's 600. A request
# that ends undecided says why (cancel_reason: interrupted for Ctrl-C,
# timeout for the module's deadline, expired for the server's expiry,
# unspecified for a cancel without a reason), in the request and in its
# events, and every event names the actor's kind (host, approver,
# system); approvalctl show says the same, approvalctl list shows
# "cancelled (interrupted)" and the like, and the audit log's row of the
# cancel or expiry carries cancel_reason in its detail. The API refuses a bad
# requester_timeout or cancel reason; the database refuses a reason that
# no cancel or expiry set.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup

# seconds between two ISO times of the last body
span() { jq -r "((.$2 | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate) - (.$1 | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate))" <<<"$HTTP_BODY"; }

# --- through the module: timeout=20, then Ctrl-C ------------------------------
pam_service sudo-test --stack account timeout=20
start_waiter w20 sudo-test
code=$CODE
id=$(req_field "$code" id)
http GET "/v1/requests/$id" --approver carol
assert_status 200
s=$(span created_at requester_gives_up_at)
[ "$s" -ge 19 ] && [ "$s" -le 21 ] || fail "requester_gives_up_at is $s s after created_at, expected 20"
s=$(span created_at expires_at)
[ "$s" -ge 19 ] && [ "$s" -le 21 ] || fail "expires_at is $s s after created_at (request_ttl 600), expected 20"
ok "timeout=20: requester_gives_up_at and expires_at 20 s after creation, not 600"
assert_json .cancel_reason null "pending: no cancel_reason"
http GET "/v1/requests?status=pending" --approver carol
assert_json ".requests[0].requester_gives_up_at != null" true "the list has requester_gives_up_at"
assert_eq "$(sql "SELECT round(extract(epoch FROM expires_at - created_at)) FROM approval.requests WHERE code = '$code'")" 20 "database: expires_at"

kill -INT "$PAMDRIVE_PID"
pamdrive_wait "$PAMDRIVE_PID" 15
assert_pam_denied w20
wait_for_status "$code" cancelled 5
http GET "/v1/requests/$id" --approver carol
assert_json .cancel_reason interrupted "Ctrl-C: cancel_reason"
assert_json '[.events[] | select(.kind == "cancelled")][0].cancel_reason' interrupted "cancelled event: cancel_reason"
assert_json '[.events[] | select(.kind == "cancelled")][0].actor_kind' host "cancelled event: actor_kind"
assert_json '[.events[] | select(.kind == "created")][0].actor_kind' host "created event: actor_kind"
assert_json '[.events[] | select(.kind == "created")][0].cancel_reason' null "created event: no cancel_reason"
out=$(actl carol show "$code")
assert_contains "$out" "Ended because  interrupted" "approvalctl show: why it ended"
assert_match "$out" 'Gives up +[0-9]{4}-' "approvalctl show: when the requester gives up"
assert_match "$out" 'cancelled +web1 \(host\): interrupted' "approvalctl show: the cancelled event"
assert_match "$out" 'created +web1 \(host\)' "approvalctl show: the created event"

# --- the module's own deadline -----------------------------------------------
pam_service sudo-t3 --stack account timeout=3
t0=$(now_ms)
run_pamdrive t3 --service sudo-t3 --user alice --op account
code3=$(wait_for_code t3)
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied t3
assert_le "$(( $(now_ms) - t0 ))" 10000 "ms until timeout=3 gave up"
wait_until 5 test "$(req_status "$code3")" != pending || fail "request $code3 still pending"
# whoever comes first, the module's cancel or the server's expiry at the
# same instant, the request says so
got="$(req_field "$code3" "status || ' ' || cancel_reason")"
case $got in
"cancelled timeout" | "expired expired") ok "timeout=3: $got" ;;
*) fail "timeout=3 ended as '$got', expected 'cancelled timeout' or 'expired expired'" ;;
esac

# --- through the API ----------------------------------------------------------
api_create web1 '.requester_timeout = 2'
rid=$REQ_ID rcode=$REQ_CODE
wait_for_status "$rcode" expired 10
http GET "/v1/requests/$rid" --approver carol
assert_json .cancel_reason expired "server expiry: cancel_reason"
assert_json '[.events[] | select(.kind == "expired")][0].actor_kind' system "expired event: actor_kind"
assert_json '[.events[] | select(.kind == "expired")][0].cancel_reason' expired "expired event: cancel_reason"

api_create web1
http GET "/v1/requests/$REQ_ID" --approver carol
assert_json .requester_gives_up_at null "an older module's request: no requester_gives_up_at"
s=$(span created_at expires_at)
[ "$s" -ge 599 ] && [ "$s" -le 601 ] || fail "without requester_timeout expires_at is $s s away, expected request_ttl 600"
api_create web1 '.requester_timeout = 86400'
http GET "/v1/requests/$REQ_ID" --approver carol
s=$(span created_at expires_at)
[ "$s" -ge 599 ] && [ "$s" -le 601 ] || fail "requester_timeout over request_ttl: expires_at $s s away, expected 600"
ok "expires_at is the earlier of request_ttl and requester_timeout"

for bad in 0 -1 86401 '"20"' 1.5 true; do
	http POST /v1/requests --host web1 --json "$(ctx_json ".requester_timeout = $bad")"
	assert_error 400 bad_request "requester_timeout $bad"
done

api_create web1
cid=$REQ_ID ccode=$REQ_CODE
for body in '{"reason":"bored"}' '{"reason":""}' '{"reason":1}' '{"reason":"timeout","x":1}'; do
	http POST "/v1/requests/$cid/cancel" --host web1 --json "$body"
	assert_error 400 bad_request "cancel $body"
done
assert_eq pending "$(req_status "$ccode")" "a refused cancel changes nothing"
http POST "/v1/requests/$cid/cancel" --host web1 --json '{"reason":"timeout"}'
assert_status 200
assert_eq timeout "$(req_field "$ccode" cancel_reason)" "API cancel: reason stored"
api_create web1
http POST "/v1/requests/$REQ_ID/cancel" --host web1 --json '{}'
assert_status 200
assert_eq unspecified "$(req_field "$REQ_CODE" cancel_reason)" "a cancel without reason"
ucode=$REQ_CODE

# approvalctl list says why each one ended; so does the audit log's row
list=$(actl carol list --limit 200)
row() { grep -E "^$1 " <<<"$list" || fail "approvalctl list has no row for $1: $list"; }
assert_match "$(row "$code")" "^$code +cancelled \(interrupted\) " "approvalctl list: Ctrl-C"
assert_match "$(row "$ccode")" "^$ccode +cancelled \(timeout\) " "approvalctl list: the module's timeout"
assert_match "$(row "$ucode")" "^$ucode +cancelled \(unspecified\) " "approvalctl list: a cancel without reason"
assert_match "$(row "$rcode")" "^$rcode +expired +[0-9]{4}-" "approvalctl list: an expiry is just expired"
audit_why() { sql "SELECT detail->>'cancel_reason' FROM approval.audit_log WHERE subject = '$1' AND kind = 'request.$2'"; }
assert_eq interrupted "$(audit_why "$code" cancelled)" "audit log: Ctrl-C"
assert_eq timeout "$(audit_why "$ccode" cancelled)" "audit log: the module's timeout"
assert_eq unspecified "$(audit_why "$ucode" cancelled)" "audit log: a cancel without reason"
assert_eq expired "$(audit_why "$rcode" expired)" "audit log: the server's expiry"
assert_eq "" "$(sql "SELECT l.id FROM approval.audit_log l JOIN approval.request_events e
	ON e.request_id = l.request_id AND l.kind = 'request.' || e.kind
	WHERE l.id <> e.id OR (l.detail->>'event_id')::bigint <> e.id")" "audit rows keep the event's id"

api_create web1
acode=$REQ_CODE
actl carol approve "$acode" >/dev/null
http GET "/v1/requests/$REQ_ID" --approver carol
assert_json '[.events[] | select(.kind == "approved")][0].actor_kind' approver "approved event: actor_kind"
assert_json '[.events[] | select(.kind == "approved")][0].actor' carol "approved event: actor"
assert_json .cancel_reason null "approved: no cancel_reason"
http GET "/v1/events?after=0&timeout=0" --approver carol
assert_json "[.events[] | select(.code == \"$acode\" and .kind == \"approved\")][0].actor_kind" approver "/v1/events: actor_kind"
assert_json "[.events[] | select(.code == \"$ccode\" and .kind == \"cancelled\")][0].cancel_reason" timeout "/v1/events: cancel_reason"

# --- the database itself ------------------------------------------------------
api_create web1
pcode=$REQ_CODE
assert_rc 1 pg_psql -c "UPDATE approval.requests SET cancel_reason = 'timeout' WHERE code = '$pcode'"
assert_rc 1 pg_psql -c "UPDATE approval.requests SET requester_gives_up_at = now() + interval '1 day' WHERE code = '$pcode'"
assert_rc 1 pg_psql -c "UPDATE approval.requests SET status = 'cancelled', cancel_reason = 'expired' WHERE code = '$pcode'"
assert_rc 1 pg_psql -c "UPDATE approval.requests SET cancel_reason = 'interrupted' WHERE code = '$ccode'"
assert_eq "pending " "$(req_field "$pcode" "status || ' ' || coalesce(cancel_reason, '')")" "direct SQL changed nothing"
sql "UPDATE approval.requests SET status = 'expired' WHERE code = '$pcode'" >/dev/null
assert_eq expired "$(req_field "$pcode" cancel_reason)" "direct SQL expiry gets its reason"
ok "the database keeps cancel_reason to what a cancel or an expiry set"
finish
