#!/bin/bash
# The policy rules of sql/011_policy.sql hold for direct SQL too: the
# application role reads the policy but cannot write it; a request is
# decided without a human only at INSERT, only as a rule with that action
# says (an allow rule for approved, a deny rule for denied, the default
# when no rule is named); an UPDATE can never make a policy decision; the
# policy columns of a request never change; a policy decision cannot be
# forged into the audit log; every rule and default change bumps the
# version and is an audit event naming who made it; rules are never
# deleted or rewritten.
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
q() { pg_psql -c "$1"; }

# --- rule changes (as the schema owner, like approvalctl) -----------------
allow_id=$(q "INSERT INTO approval.policy_rules (position, rule) VALUES (1, 'allow service=sudo') RETURNING id")
deny_id=$(q "INSERT INTO approval.policy_rules (position, rule) VALUES (2, 'deny service=su message=\"no su\"') RETURNING id")
expect_eq "two rules: version 3" "$(q "SELECT version FROM approval.policy_state")" "3"
expect_eq "rule_added audit rows with who" "$(q "SELECT string_agg(kind || ' ' || actor || ' ' || (detail->>'rule_id') || ' v' || (detail->>'policy_version'), ',' ORDER BY id) FROM approval.audit_log WHERE kind LIKE 'policy.%'")" \
	"policy.rule_added postgres $allow_id v2,policy.rule_added postgres $deny_id v3"
expect_eq "the action is derived from the text" "$(q "SELECT string_agg(action, ',' ORDER BY id) FROM approval.policy_rules")" "allow,deny"
expect_refused "a rule starting with no action" pg_psql "INSERT INTO approval.policy_rules (position, rule) VALUES (3, 'permit all')" "check"
expect_refused "a second rule at a taken position" pg_psql "INSERT INTO approval.policy_rules (position, rule) VALUES (1, 'allow')" "policy_rules_position"
expect_refused "a rule with a control character" pg_psql "INSERT INTO approval.policy_rules (position, rule) VALUES (3, E'allow\\x1b')" "check"
expect_refused "rewriting a rule" pg_psql "UPDATE approval.policy_rules SET rule = 'allow' WHERE id = $deny_id" "immutable"
expect_refused "deleting a rule" pg_psql "DELETE FROM approval.policy_rules WHERE id = $deny_id" "never deleted"
expect_refused "truncating the rules" pg_psql "TRUNCATE approval.policy_rules CASCADE" "never deleted"

# --- the application role reads, never writes ----------------------------
expect_eq "app reads the rules" "$(app_psql -c "SELECT count(*) FROM approval.policy_rules")" "2"
expect_refused "app adds a rule" app_psql "INSERT INTO approval.policy_rules (position, rule) VALUES (9, 'allow')" "permission denied"
expect_refused "app removes a rule" app_psql "UPDATE approval.policy_rules SET removed_at = now(), removed_by = 'x' WHERE id = $deny_id" "permission denied"
expect_refused "app changes the default" app_psql "UPDATE approval.policy_state SET default_rule = 'allow'" "permission denied"
expect_refused "app forges policy.allowed" app_psql "SELECT approval.audit_event('policy.allowed', 'policy', 'x', '{}')" ""
expect_refused "app inserts policy.allowed" app_psql "INSERT INTO approval.audit_log (kind, actor, prev_hash, hash) VALUES ('policy.allowed', 'x', repeat('0', 64), repeat('0', 64))" "recorded by the database"

# --- policy decisions at insert ---------------------------------------------
ins() {	# ins CODE SERVICE STATUS ACTION RULE-ID|NULL [COMMENT]
	printf "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
	  requester_uid, target_user, command, digest, expires_at, status, policy_action,
	  policy_rule_id, policy_version, decision_comment)
	SELECT '%s', h.id, 'web1', '%s', 'dave', 1000, 'root', 'sudo id', repeat('d', 64),
	  now() + interval '10 minutes', '%s', '%s', %s, 3, %s FROM approval.hosts h WHERE h.name = 'web1'" \
		"$1" "$2" "$3" "$4" "$5" "${6:-NULL}"
}
expect_refused "approved with no approver and no policy" app_psql \
	"$(ins AAA-001 sudo approved require NULL)" "policy"
expect_refused "approved by a deny rule" app_psql "$(ins AAA-002 sudo approved allow "$deny_id")" "does not say"
expect_refused "approved by the default (require)" app_psql "$(ins AAA-003 sudo approved allow NULL)" "does not say"
expect_refused "denied by an allow rule" app_psql "$(ins AAA-004 su denied deny "$allow_id")" "does not say"
expect_refused "pending with an allow verdict" app_psql "$(ins AAA-005 sudo pending allow "$allow_id")" "at insert"
app_psql -c "$(ins AAA-006 sudo approved allow "$allow_id")" >/dev/null || fail "an allow rule's decision is refused"
app_psql -c "$(ins AAA-007 su denied deny "$deny_id" "'no su'")" >/dev/null || fail "a deny rule's decision is refused"
app_psql -c "$(ins AAA-008 sudo pending require NULL)" >/dev/null || fail "a pending request is refused"
expect_eq "decided at insert" "$(q "SELECT string_agg(code || ' ' || status || ' ' || (decided_at IS NOT NULL)::text, ',' ORDER BY code) FROM approval.requests")" \
	"AAA-006 approved true,AAA-007 denied true,AAA-008 pending false"
expect_eq "events: created then the policy's decision" "$(q "SELECT string_agg(r.code || ':' || e.kind || ':' || e.actor, ',' ORDER BY e.id) FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id")" \
	"AAA-006:created:web1,AAA-006:approved:policy,AAA-007:created:web1,AAA-007:denied:policy,AAA-008:created:web1"
expect_eq "policy audit rows" "$(q "SELECT string_agg(kind || ' ' || subject || ' ' || (detail->>'rule_id') || ' ' || coalesce(detail->>'message', '-'), ',' ORDER BY id) FROM approval.audit_log WHERE kind IN ('policy.allowed', 'policy.denied')")" \
	"policy.allowed AAA-006 $allow_id -,policy.denied AAA-007 $deny_id no su"
expect_eq "report_auto_allowed" "$(q "SELECT code || ' ' || policy || ' ' || rule FROM approval.report_auto_allowed")" \
	"AAA-006 version 3 #$allow_id allow service=sudo"
expect_eq "report_denied names the policy" "$(q "SELECT code || ' ' || decided_by || ' ' || decision_comment FROM approval.report_denied")" "AAA-007 policy no su"

# --- no policy decision by UPDATE; policy columns never change ------------
expect_refused "UPDATE to approved without an approver" app_psql \
	"UPDATE approval.requests SET status = 'approved', policy_action = 'allow', policy_rule_id = $allow_id WHERE code = 'AAA-008'" ""
expect_eq "still pending" "$(q "SELECT status || ' ' || policy_action FROM approval.requests WHERE code = 'AAA-008'")" "pending require"
expect_refused "changing the rule of a pending request" app_psql \
	"UPDATE approval.requests SET policy_rule_id = $allow_id WHERE code = 'AAA-008'" "immutable"
expect_refused "changing a policy-approved request" app_psql \
	"UPDATE approval.requests SET status = 'denied' WHERE code = 'AAA-006'" "already approved"
app_psql -c "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob') WHERE code = 'AAA-008'" >/dev/null ||
	fail "a human can no longer approve a pending request"

# --- remove and default ----------------------------------------------------
q "UPDATE approval.policy_rules SET removed_at = now(), removed_by = current_user WHERE id = $allow_id" >/dev/null
q "UPDATE approval.policy_state SET default_rule = 'deny message=\"closed\"'" >/dev/null
expect_eq "version after remove and default" "$(q "SELECT version FROM approval.policy_state")" "5"
expect_eq "remove and default audited" "$(q "SELECT string_agg(kind || ' ' || actor, ',' ORDER BY id) FROM approval.audit_log WHERE kind IN ('policy.rule_removed', 'policy.default_changed')")" \
	"policy.rule_removed postgres,policy.default_changed postgres"
app_psql -c "$(ins AAA-009 sudo denied deny NULL "'closed'")" >/dev/null || fail "the default's deny is refused"
expect_refused "reinstating a removed rule" pg_psql "UPDATE approval.policy_rules SET removed_at = NULL, removed_by = NULL WHERE id = $allow_id" "immutable"
expect_eq "audit crosscheck clean" "$(q "SELECT count(*) FROM approval.audit_crosscheck")" "0"
