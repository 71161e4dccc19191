#!/usr/bin/env bash
# policy.sh: policy rules decide through the real module (pamdrive, whose
# command is its own command line). An allow rule returns at once without
# a human and is recorded (decided_by "policy", the rule id and policy
# version on the request, a policy.allowed audit row, a
# report_auto_allowed row); a deny rule fails with the rule's message and
# wins over a later allow (first match); a request no rule matches still
# waits for a human (the default, require approvals=1). approvalctl policy
# add refuses bad rule text with its column and stores nothing; policy test
# names the deciding rule and why, without filing a request; list, show,
# remove and default work and each change is an audit event with who;
# export writes the policy as a file that apply (with --dry-run: the diff
# only) makes the database match in one transaction, refusing a bad line
# with FILE:LINE: column N and changing nothing; lint reports a rule that
# an earlier one covers.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account
pam_service ok-test --stack account
pam_service no-test --stack account

add_rule() {	# add_rule POSITION TEXT: prints the new rule's id
	assert_rc 0 actl_admin policy add "$2"
	assert_match "$LAST_OUT" "^rule [0-9]+ added at position $1 " "policy add output"
	sed -n 's/^rule \([0-9]*\) added.*/\1/p' <<<"$LAST_OUT"
}
allow_text="allow command-prefix=\"$PAMDRIVE --service ok-test \""
allow_id=$(add_rule 1 "$allow_text")
deny_id=$(add_rule 2 'deny service=no-test message="no rm through sudo; ask the DBAs"')
add_rule 3 'allow service=no-test' >/dev/null
version=$(sql "SELECT version FROM approval.policy_state")
assert_eq 4 "$version" "three rules added: version 1 -> 4"
assert_eq "3 postgres" "$(sql "SELECT count(*) || ' ' || min(actor) FROM approval.audit_log WHERE kind = 'policy.rule_added'")" "rule_added audit rows name who"

# bad text: refused with the column, nothing stored, version unchanged
assert_rc 2 actl_admin policy add 'allow hosts=web-*'
assert_contains "$LAST_OUT" "column 7: unknown key 'hosts'" "the fault and its column"
assert_rc 2 actl_admin policy add 'require approvals=100'
assert_contains "$LAST_OUT" "column 19: approvals must be a number from 1 to 99" "N above 99 is refused"
assert_rc 2 actl_admin policy add 'allow command="unterminated'
assert_contains "$LAST_OUT" "column 15: unterminated"
assert_eq 4 "$(sql "SELECT version FROM approval.policy_state")" "bad rules stored nothing"
ok "bad rule text is refused at add with its column"

# policy test: which rule and why; files nothing
n_before=$(req_count)
assert_rc 0 actl_admin policy test --host web1 --user root --target alice --service no-test --command "/bin/true"
assert_match "$LAST_OUT" "rule $deny_id +MATCHES: every field matches" "the deciding rule and why"
assert_match "$LAST_OUT" "rule $allow_id +no: the command does not match" "why rule 1 does not match"
assert_contains "$LAST_OUT" "decision: deny by rule $deny_id"
assert_rc 0 actl_admin policy test --host web1 --user root --target alice --service sudo-test --command "/bin/true"
assert_contains "$LAST_OUT" "service sudo-test is not no-test" "why"
assert_contains "$LAST_OUT" "decision: require by the default"
assert_rc 0 actl_admin policy test --host web1 --user root --target alice --service x --command "$PAMDRIVE --service ok-test --op account"
assert_contains "$LAST_OUT" "decision: allow by rule $allow_id"
assert_rc 2 actl_admin policy test --host web1 --user root
assert_eq "$n_before" "$(req_count)" "policy test files nothing"
ok "policy test names the rule and why, files nothing"

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
http GET "/v1/requests/$code" --approver carol
assert_status 200
assert_json .decided_by policy "approvers see the policy as decider"
assert_json '[.events[] | .kind + ":" + .actor] | join(",")' created:web1,approved:policy
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

# move: first match wins, so moving "allow service=no-test" above the deny
# changes the decision; one audited change, one version
third_id=$(sql "SELECT id FROM approval.policy_rules WHERE removed_at IS NULL AND position = 3")
v_before=$(sql "SELECT version FROM approval.policy_state")
assert_rc 0 actl_admin policy move "$third_id" 2
assert_contains "$LAST_OUT" "rule $third_id is at position 2 (policy version $((v_before + 1))): allow service=no-test" "policy move output"
assert_eq "$allow_id,$third_id,$deny_id" "$(sql "SELECT string_agg(id::text, ',' ORDER BY position) FROM approval.policy_rules WHERE removed_at IS NULL")" "the new order"
assert_rc 0 actl_admin policy test --host web1 --user alice --target root --service no-test --command /bin/rm
assert_contains "$LAST_OUT" "decision: allow by rule $third_id" "the moved rule decides first"
assert_eq "1 postgres 2" "$(sql "SELECT count(*) || ' ' || min(actor) || ' ' || max(jsonb_array_length(detail->'moves')) FROM approval.audit_log WHERE kind = 'policy.rules_moved'")" "one move event for two position changes, with who"
assert_rc 1 actl_admin policy move "$third_id" 9
assert_contains "$LAST_OUT" "not between 1 and 3"
assert_rc 2 actl_admin policy move "$third_id" first
assert_rc 0 actl_admin policy move "$third_id" 3
assert_eq "$((v_before + 2))" "$(sql "SELECT version FROM approval.policy_state")" "two moves: two versions"
ok "policy move reorders the rules as one audited change"

# list, show, remove, default
assert_rc 0 actl_admin policy list
assert_contains "$LAST_OUT" 'deny service=no-test message="no rm through sudo; ask the DBAs"' "policy list"
assert_rc 0 actl_admin policy show "$allow_id"
assert_contains "$LAST_OUT" "decided:  1 request(s)" "policy show counts the decisions"
assert_rc 0 actl_admin policy remove "$deny_id"
assert_rc 1 actl_admin policy remove "$deny_id"
assert_rc 0 actl_admin policy show "$deny_id"
assert_contains "$LAST_OUT" "status:   removed"
assert_rc 0 actl_admin policy default 'deny message="closed for the night"'
assert_rc 2 actl_admin policy default 'allow host=web1'
assert_eq "1 1 postgres" "$(sql "SELECT count(*) FILTER (WHERE kind = 'policy.rule_removed') || ' ' || count(*) FILTER (WHERE kind = 'policy.default_changed') || ' ' || min(actor) FROM approval.audit_log WHERE kind IN ('policy.rule_removed', 'policy.default_changed')")" "remove and default audited with who"
# with rule 2 gone, no-test meets rule 3 (allow); sudo-test meets the new default
pamdrive_run after 10 --service no-test --user alice --op account
assert_pam after PAM_SUCCESS
pamdrive_run closed 10 --service sudo-test --user alice --op account
assert_pam_denied closed
assert_file_contains "$T/closed.out" "closed for the night" "the default's message"
ok "list, show, remove and default; changes take effect on the next request"

# export / apply
assert_rc 0 actl_admin policy export
printf '%s\n' "$LAST_OUT" >"$T/policy.conf"
assert_contains "$LAST_OUT" 'default deny message="closed for the night"' "export has the default"
assert_rc 0 actl_admin policy apply "$T/policy.conf"
assert_contains "$LAST_OUT" "no changes" "applying the export changes nothing"
v0=$(sql "SELECT version FROM approval.policy_state")
{
	grep -v '^default' "$T/policy.conf"
	echo 'default require approvals=1'
	echo '# status commands are free'
	echo '  allow   command-prefix="/usr/bin/systemctl status "   '
} >"$T/policy2.conf"
assert_rc 0 actl_admin policy apply --dry-run "$T/policy2.conf"
assert_contains "$LAST_OUT" '+ allow command-prefix="/usr/bin/systemctl status "' "dry run shows the added rule (canonical)"
assert_contains "$LAST_OUT" '+ default require approvals=1' "dry run shows the default"
assert_eq "$v0" "$(sql "SELECT version FROM approval.policy_state")" "dry run changes nothing"
printf 'allow\nallow user=a user=b\n' >"$T/bad.conf"
assert_rc 2 actl_admin policy apply "$T/bad.conf"
assert_contains "$LAST_OUT" "bad.conf:2: column 14: 'user' given twice" "a bad line names file, line and column"
assert_eq "$v0" "$(sql "SELECT version FROM approval.policy_state")" "a bad file changes nothing"
assert_rc 0 actl_admin policy apply "$T/policy2.conf"
assert_contains "$LAST_OUT" "applied: policy version $((v0 + 2))" "one rule and the default: two versions"
assert_rc 0 actl_admin policy export
assert_eq "$(grep -v '^#' "$T/policy2.conf" | sed 's/^ *//; s/ *$//; s/   */ /g' | sort)" \
	"$(grep -v '^#' <<<"$LAST_OUT" | sort)" "export after apply is the file"
start_waiter applied sudo-test
assert_eq "pending|require" "$(req_field "$CODE" "status, policy_action")" "the applied default: a human decides"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied applied
ok "export and apply (--dry-run) keep the policy as code"

# lint: rule 3 (allow service=no-test) covers nothing; a later narrower rule is shadowed
assert_rc 0 actl_admin policy lint
assert_contains "$LAST_OUT" "none shadowed"
shadow_id=$(add_rule '[0-9]+' 'deny service=no-test command-prefix="/bin/rm "')
assert_rc 1 actl_admin policy lint
assert_match "$LAST_OUT" "rule $shadow_id can never match: rule [0-9]+ before it covers it" "lint names the shadowed rule"
ok "policy lint reports a rule an earlier one covers"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
