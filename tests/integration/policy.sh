#!/usr/bin/env bash
# policy.sh: policy rules decide through the real module (pamdrive, whose
# command is its own command line). An allow rule returns at once without
# a human and is recorded (decided_by "policy", the rule id and policy
# version on the request, a policy.allowed audit row, a
# report_auto_allowed row); a deny rule fails with the rule's message and
# wins over a later allow (first match); a request no rule matches still
# waits for a human (the default, require approvals=1).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account
pam_service ok-test --stack account
pam_service no-test --stack account

add_rule() {	# add_rule POSITION TEXT
	sql "INSERT INTO approval.policy_rules (position, rule) VALUES ($1, \$r\$$2\$r\$) RETURNING id"
}
allow_text="allow command-prefix=\"$PAMDRIVE --service ok-test \""
allow_id=$(add_rule 1 "$allow_text")
deny_id=$(add_rule 2 'deny service=no-test message="no rm through sudo; ask the DBAs"')
add_rule 3 'allow service=no-test' >/dev/null
version=$(sql "SELECT version FROM approval.policy_state")
assert_eq 4 "$version" "three rules added: version 1 -> 4"

# allow: no waiting, PAM_SUCCESS, recorded
t0=$(now_ms)
pamdrive_run allow 10 --service ok-test --user alice --op account
t1=$(now_ms)
assert_pam allow PAM_SUCCESS
assert_le $((t1 - t0)) 5000 "ms an allowed request took"
assert_file_contains "$T/allow.out" "Approved by policy" "the module names the decider"
code=$(sql "SELECT code FROM approval.requests WHERE service = 'ok-test'")
assert_eq approved "$(req_status "$code")"
assert_eq "$allow_id|$version|allow" "$(req_field "$code" "policy_rule_id, policy_version, policy_action")" "rule, version, action on the request"
assert_eq "" "$(req_field "$code" decided_by)" "decided_by is the policy marker (no approver)"
assert_eq "created:web1,approved:policy" "$(sql "SELECT string_agg(e.kind || ':' || e.actor, ',' ORDER BY e.id) FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id WHERE r.code = '$code'")" "request events"
assert_eq "1" "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.allowed' AND subject = '$code' AND (detail->>'rule_id')::bigint = $allow_id AND (detail->>'policy_version')::bigint = $version")" "policy.allowed audit row"
assert_eq "$code|#$allow_id $allow_text|version $version" \
	"$(sql "SELECT code, rule, policy FROM approval.report_auto_allowed")" "report_auto_allowed row"
assert_eq "policy" "$(sql "SELECT decided_by FROM approval.report_elevations WHERE code = '$code'")" "report_elevations decided_by"
ok "allow rule: at once, PAM_SUCCESS, recorded with rule $allow_id and version $version"

# deny: fails with the rule's message
pamdrive_run deny 10 --service no-test --user alice --op account
assert_pam_denied deny
assert_file_contains "$T/deny.out" "no rm through sudo; ask the DBAs" "the rule's message reaches the requester"
code=$(sql "SELECT code FROM approval.requests WHERE service = 'no-test'")
assert_eq "denied|$deny_id|deny" "$(req_field "$code" "status, policy_rule_id, policy_action")"
assert_eq "1" "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.denied' AND subject = '$code'")" "policy.denied audit row"
assert_eq "policy|no rm through sudo; ask the DBAs" "$(sql "SELECT decided_by, decision_comment FROM approval.report_denied WHERE code = '$code'")" "report_denied row"
ok "deny rule: fails with its message, recorded; the later allow for no-test did not win"

# no rule matches: the default, a human decides
start_waiter human sudo-test
assert_eq "pending||require" "$(req_field "$CODE" "status, policy_rule_id, policy_action")" "default: pending, no rule"
assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam human PAM_SUCCESS
assert_eq carol "$(sql "SELECT decided_by FROM approval.report_elevations WHERE code = '$CODE'")"
ok "no matching rule: the request waits for a human"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
