#!/usr/bin/env bash
# self_approval_normalized.sh: a name that reads as the approver's cannot
# evade the self-approval rule. Names holding invisible or control
# characters or blanks at an end ("carol " with a trailing space, a
# zero-width space or joiner, a bidi override, NBSP) are refused where they
# enter: the API (400 for user and target_user), approvalctl (approver
# add), and the database itself (a direct INSERT of such a request, an
# approver's unix_logins set by SQL). A clean name in another form
# (full-width letters, another case, a ligature) is compared after
# NFKC normalisation and trimming: the approver it reads as gets 403 and
# "self": true through the API, and a direct SQL UPDATE is refused too.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup		# host web1, approver carol (unix login carol)
mk_approver dave dave

# --- invisible characters and blanks are refused at the API ----------------
for u in 'carol ' ' carol' 'car\u200bol' 'carol\u200d' '\u202ecarol' 'carol\u00a0' \
	'carol\u2060' 'carol\t' '\u3000carol' 'car\u00adol'; do
	http POST /v1/requests --host web1 --json "$(ctx_json ".user = \"$u\"")"
	if [ "$HTTP_STATUS" = 201 ]; then
		rid=$(json .id)
		http POST "/v1/requests/$rid/approve" --approver carol
		fail "user \"$u\" accepted (201); carol's approval of it: HTTP $HTTP_STATUS"
	fi
	assert_error 400 bad_request "user \"$u\""
done
http POST /v1/requests --host web1 --json "$(ctx_json '.target_user = "root\u200b"')"
assert_error 400 bad_request "target_user with a zero-width space"
assert_eq 0 "$(req_count)" "no request was filed"
ok "API: names with invisible characters or end blanks -> 400"

# --- a clean name in another form reads as carol ---------------------------
for u in 'ｃａｒｏｌ' 'ＣＡＲＯＬ' 'Carol' 'ｃarol'; do
	api_create web1 ".user = \"$u\""
	http GET "/v1/requests/$REQ_ID" --approver carol
	assert_json .self true "requester \"$u\" shown as carol's own"
	http GET "/v1/requests/$REQ_ID" --approver dave
	assert_json .self false "requester \"$u\" is not dave's"
	http POST "/v1/requests/$REQ_ID/approve" --approver carol
	assert_error 403 self_approval "carol approving requester \"$u\""
	assert_eq pending "$(req_status "$REQ_CODE")" "requester \"$u\" stays pending"
done
fw_id=$REQ_ID fw_code=$REQ_CODE
ok "API: full-width and case variants of carol -> 403 for carol"

# --- the database: direct SQL as the application role ----------------------
app_sql() { "$PG_BINDIR/psql" -X -qtA -v ON_ERROR_STOP=1 "$PG_APP_CONNINFO" -c "$1"; }
rc=0
err=$(app_sql "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'carol') WHERE id = '$fw_id'" 2>&1) || rc=$?
assert_ne 0 "$rc" "SQL approve of a full-width carol by carol"
assert_contains "$err" "may not decide" "trigger error"
assert_eq pending "$(req_status "$fw_code")"

ins() {	# REQUESTER TARGET: a direct INSERT as approval_app
	app_sql "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
		requester_uid, target_user, command, digest, expires_at)
		SELECT '$(printf 'ZZZ-%03d' $((RANDOM % 1000)))', id, 'web1', 'sudo', E'$1', 1000, E'$2', 'id',
		       repeat('a', 64), now() + interval '1 hour' FROM approval.hosts WHERE name = 'web1'"
}
for u in 'carol ' 'car\u200bol' '\u202ecarol' 'carol\u00a0'; do
	rc=0
	err=$(ins "$u" root 2>&1) || rc=$?
	assert_ne 0 "$rc" "SQL insert of requester E'$u'"
	assert_contains "$err" "invisible" "SQL insert of requester E'$u': refused for its name"
done
rc=0
err=$(ins carol 'root\u200b' 2>&1) || rc=$?
assert_ne 0 "$rc" "SQL insert of a target_user with a zero-width space"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.requests WHERE code LIKE 'ZZZ-%'")" "nothing inserted"
rc=0
err=$(ins 'ｃａｒｏｌ' root 2>&1) || rc=$?
assert_eq 0 "$rc" "SQL insert of a clean full-width requester ($err)"

for bad in 'dave ' 'da\u200bve' '\u202edave'; do
	rc=0
	err=$(pg_psql -c "UPDATE approval.approvers SET unix_logins = ARRAY[E'$bad'] WHERE login = 'dave'" 2>&1) || rc=$?
	assert_ne 0 "$rc" "SQL: unix login E'$bad' for dave"
	assert_contains "$err" "invisible" "SQL: unix login E'$bad' refused for its name"
done
assert_eq '{dave}' "$(sql "SELECT unix_logins FROM approval.approvers WHERE login = 'dave'")" "dave's unix logins unchanged"
assert_rc 2 actl_admin approver add erin --unix-login $'erin\u200b'
assert_rc 2 actl_admin approver add erin --unix-login 'erin '
ok "database and approvalctl refuse names with invisible characters"

# An approver's unix login written in another form still binds them.
sql "UPDATE approval.approvers SET unix_logins = ARRAY['ｄａｖｅ２'] WHERE login = 'dave'" >/dev/null
api_create web1 '.user = "dave2"'
http POST "/v1/requests/$REQ_ID/approve" --approver dave
assert_error 403 self_approval "dave (unix login ｄａｖｅ２) approving requester dave2"
http POST "/v1/requests/$REQ_ID/approve" --approver carol
assert_status 200 "another approver decides it"
ok "NFKC on the approver's side too"
finish
