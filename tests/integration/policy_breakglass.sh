#!/usr/bin/env bash
# policy_breakglass.sh: break-glass through the real module. A rule
# `breakglass` lets the requester in at once on a real reason (a "."
# reason files nothing), loudly: approvald logs BREAK-GLASS, the audit log
# has a policy.breakglass row with the reason, report_breakglass lists it
# as "needs review" and `approvalctl breakglass list` shows it. The
# requester cannot close the review, another approver can, with a comment
# (audited, the report says closed, a second close is refused). The
# database refuses a break-glass insert without a reason or naming a rule
# that does not say breakglass, and a review of a request that was not
# break-glass.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
mk_approver root-adm root	# the requester (the kernel uid: the test runs as root)
pam_service bg-test --stack account reason=optional

assert_rc 0 actl_admin policy add 'breakglass service=bg-test'
bg_rule=$(sql "SELECT id FROM approval.policy_rules WHERE removed_at IS NULL")
assert_eq "breakglass service=bg-test reason=required minlen=8" "$(sql "SELECT rule FROM approval.policy_rules WHERE id = $bg_rule")" "break-glass always needs a reason"
assert_rc 0 actl_admin policy add 'allow service=ok-test'
allow_rule=$(sql "SELECT id FROM approval.policy_rules WHERE rule = 'allow service=ok-test'")

n0=$(req_count)
APPROVAL_REASON="." pamdrive_run bg0 10 --service bg-test --user alice --op account
assert_pam_denied bg0
assert_eq "$n0" "$(req_count)" "a '.' reason files nothing"

t0=$(now_ms)
APPROVAL_REASON="primary db down, nobody on call answers" pamdrive_run bg 10 --service bg-test --user alice --op account
assert_pam bg PAM_SUCCESS
assert_le $(($(now_ms) - t0)) 5000 "ms the break-glass took"
code=$(sql "SELECT code FROM approval.requests WHERE service = 'bg-test'")
assert_eq "approved|breakglass|$bg_rule" "$(req_field "$code" "status, policy_action, policy_rule_id")"
wait_for_line "$T/approvald.log" "BREAK-GLASS: request .* \\($code\\)" 5 >/dev/null
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.breakglass' AND subject = '$code' AND detail->>'reason' = 'primary db down, nobody on call answers'")" "policy.breakglass audit row with the reason"
assert_eq "needs review" "$(sql "SELECT review FROM approval.report_breakglass WHERE code = '$code'")"
assert_rc 0 actl_admin breakglass list
assert_contains "$LAST_OUT" "$code" "breakglass list shows it"
assert_rc 0 actl_admin report breakglass --format json
assert_contains "$LAST_OUT" "needs review" "the report through approvalctl"
ok "breakglass: in at once on a real reason, logged, audited, on the review list"

assert_rc 1 actl_admin breakglass close "$code" --approver root-adm --comment "fine"
assert_contains "$LAST_OUT" "may not review their own break-glass" "the requester cannot close it"
assert_rc 0 actl_admin breakglass close "$code" --approver carol --comment "checked: failover runbook step 3"
assert_eq "closed|carol|checked: failover runbook step 3" "$(sql "SELECT review || '|' || reviewed_by || '|' || review_comment FROM approval.report_breakglass WHERE code = '$code'")"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed' AND subject = '$code' AND actor = 'carol'")" "the close is audited"
assert_rc 1 actl_admin breakglass close "$code" --approver carol --comment "again"
assert_rc 0 actl_admin breakglass list
assert_contains "$LAST_OUT" "no break-glass elevation needs review"
ok "an approver other than the requester closes the review, audited, once"

# the API: POST /v1/requests/ID/review {"comment"}
APPROVAL_REASON="replica lag alarm, on-call phone dead" pamdrive_run bg2 10 --service bg-test --user alice --op account
assert_pam bg2 PAM_SUCCESS
code2=$(sql "SELECT code FROM approval.requests WHERE service = 'bg-test' AND code <> '$code'")
http GET "/v1/requests/$code2" --approver carol
assert_json .breakglass.review "needs review" "the detail says it needs review"
http POST "/v1/requests/$code2/review" --approver root-adm --json '{"comment": "mine, all fine"}'
assert_error 403 self_approval "the requester reviewing their own break-glass"
http POST "/v1/requests/$code2/review" --approver carol --json '{}'
assert_error 400 bad_request "a review without a comment"
http POST "/v1/requests/$code2/review" --approver carol --json '{"comment": "  "}'
assert_error 400 bad_request "a blank comment"
api_create web1	# the default rule: pending, for a human
http POST "/v1/requests/$REQ_CODE/review" --approver carol --json '{"comment": "nothing to see"}'
assert_error 409 not_breakglass "a request that was not break-glass"
http POST "/v1/requests/ZZZ-ZZZ/review" --approver carol --json '{"comment": "x"}'
assert_error 404 not_found "an unknown code"
assert_eq "needs review" "$(sql "SELECT review FROM approval.report_breakglass WHERE code = '$code2'")" "still open after the refusals"
http POST "/v1/requests/$code2/review" --approver carol --json '{"comment": "lag alarm confirmed in grafana"}'
assert_status 200 "carol closes it"
assert_json .breakglass.review closed
assert_json .breakglass.reviewed_by carol
assert_json .breakglass.comment "lag alarm confirmed in grafana"
http POST "/v1/requests/$code2/review" --approver carol --json '{"comment": "again"}'
assert_error 409 already_reviewed "a second close"
assert_eq "closed|carol" "$(sql "SELECT review || '|' || reviewed_by FROM approval.report_breakglass WHERE code = '$code2'")"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed' AND subject = '$code2' AND actor = 'carol'")" "the API close is audited"
wait_for_line "$T/approvald.log" "break-glass review closed by carol" 5 >/dev/null
ok "the API closes a break-glass review: not the requester, with a comment, once"

# direct SQL
ins() {	# ins RULE-ID ACTION REASON
	pg_psql -c "SET ROLE approval_app; INSERT INTO approval.requests (code, host_id, hostname, service, requester, requester_uid, target_user, command, digest, expires_at, policy_rule_id, policy_version, policy_action, status, reason) SELECT 'ZZZ-ZZ$RANDOM', id, 'web1', 'bg-test', 'alice', 1000, 'root', '/bin/x', repeat('0', 64), now() + interval '1 hour', $1, 1, '$2', 'approved', $3 FROM approval.hosts WHERE name = 'web1'" 2>&1
}
rc=0; err=$(ins "$bg_rule" breakglass NULL) || rc=$?
assert_ne 0 "$rc" "break-glass without a reason"
assert_contains "$err" "break-glass needs a reason"
rc=0; err=$(ins "$allow_rule" breakglass "'because'") || rc=$?
assert_ne 0 "$rc" "break-glass naming an allow rule"
assert_contains "$err" "does not say breakglass"
api_create web1 '.service = "other"'
rc=0
err=$(pg_psql -c "INSERT INTO approval.breakglass_reviews (request_id, approver_id, comment) SELECT '$REQ_ID', id, 'x' FROM approval.approvers WHERE login = 'carol'" 2>&1) || rc=$?
assert_ne 0 "$rc" "a review of a request that was not break-glass"
assert_contains "$err" "is not a break-glass request"
ok "the database refuses forged break-glass and misplaced reviews"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
