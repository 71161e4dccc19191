#!/bin/bash
# sql/019_policy_ops.sql holds for direct SQL: moving rules is one audited
# change (one policy.rules_moved event listing every position change, one
# version) whether approval.policy_move() or a plain UPDATE does it; two
# active rules still never share a position; the application role can
# neither move rules nor call policy_move(). Removing a group member, or
# disabling, revoking or demoting an approver, is refused when a rule (or
# the default) would need more approvals than its group (or all
# approvers) then has deciders; a removal that leaves enough goes through.
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
q() { pg_psql -c "$1"; }
ver() { q "SELECT version FROM approval.policy_state"; }
moves() { q "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.rules_moved'"; }

a=$(q "INSERT INTO approval.policy_rules (position, rule) VALUES (1, 'allow service=a') RETURNING id")
b=$(q "INSERT INTO approval.policy_rules (position, rule) VALUES (2, 'allow service=b') RETURNING id")
c=$(q "INSERT INTO approval.policy_rules (position, rule) VALUES (5, 'allow service=c') RETURNING id")
order() { q "SELECT string_agg(id::text, ',' ORDER BY position) FROM approval.policy_rules WHERE removed_at IS NULL"; }

v0=$(ver)
expect_eq "policy_move returns the new version" "$(q "SELECT approval.policy_move($c, 1)")" "$((v0 + 1))"
expect_eq "c first, then a, b" "$(order)" "$c,$a,$b"
expect_eq "positions renumbered 1..3" "$(q "SELECT string_agg(position::text, ',' ORDER BY position) FROM approval.policy_rules WHERE removed_at IS NULL")" "1,2,3"
expect_eq "one move event for three position changes" "$(moves)" "1"
expect_eq "the event lists every change, with who and the version" \
	"$(q "SELECT actor || ' ' || jsonb_array_length(detail->'moves') || ' v' || (detail->>'policy_version') || ' ' || (detail->'moves'->0->>'rule_id') || ':' || (detail->'moves'->0->>'old_position') || '>' || (detail->'moves'->0->>'position') FROM approval.audit_log WHERE kind = 'policy.rules_moved'")" \
	"postgres 3 v$((v0 + 1)) $c:5>1"
expect_eq "no per-row move events" "$(q "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.rule_moved'")" "0"
expect_eq "moving a rule to where it is changes nothing" "$(q "SELECT approval.policy_move($c, 1)")" "$((v0 + 1))"
expect_eq "... and records nothing" "$(moves)" "1"
q "SELECT approval.policy_move($c, 3)" >/dev/null
expect_eq "c last" "$(order)" "$a,$b,$c"
expect_refused "position 0" pg_psql "SELECT approval.policy_move($a, 0)" "between 1 and 3"
expect_refused "position past the end" pg_psql "SELECT approval.policy_move($a, 4)" "between 1 and 3"
expect_refused "a removed or unknown rule" pg_psql "SELECT approval.policy_move(999999, 1)" "no active rule"

# direct SQL: a swap in one statement is one event and one version
v1=$(ver)
q "UPDATE approval.policy_rules SET position = CASE id WHEN $a THEN 2 ELSE 1 END WHERE id IN ($a, $b)" >/dev/null
expect_eq "a direct swap works" "$(order)" "$b,$a,$c"
expect_eq "a direct swap is one version" "$(ver)" "$((v1 + 1))"
expect_eq "a direct swap is one event" "$(moves)" "3"
expect_refused "two rules at one position" pg_psql "UPDATE approval.policy_rules SET position = 1 WHERE id = $c" "policy_rules_position"
expect_refused "a new rule at a taken position" pg_psql "INSERT INTO approval.policy_rules (position, rule) VALUES (1, 'allow')" "policy_rules_position"
expect_refused "app moves a rule" app_psql "UPDATE approval.policy_rules SET position = 9 WHERE id = $a" "permission denied"
expect_refused "app calls policy_move" app_psql "SELECT approval.policy_move($a, 1)" "permission denied"
expect_eq "order unchanged by the refusals" "$(order)" "$b,$a,$c"

# --- quorums stay reachable --------------------------------------------------
q "INSERT INTO approval.approvers (login, display_name, unix_logins, roles) VALUES ('dave', 'Dave', '{}', '{approver}')" >/dev/null
q "INSERT INTO approval.approver_groups (name) VALUES ('dba')" >/dev/null
for who in alice bob dave; do
	q "INSERT INTO approval.group_members (group_id, approver_id) SELECT g.id, a.id FROM approval.approver_groups g, approval.approvers a WHERE g.name = 'dba' AND a.login = '$who'" >/dev/null
done
two=$(q "INSERT INTO approval.policy_rules (position, rule) VALUES (10, 'require approvals=2 groups=dba service=x') RETURNING id")
rm_member() { printf "DELETE FROM approval.group_members m USING approval.approver_groups g, approval.approvers a WHERE m.group_id = g.id AND m.approver_id = a.id AND g.name = 'dba' AND a.login = '%s'" "$1"; }
pg_psql -c "$(rm_member dave)" >/dev/null || fail "removing the third member is refused"
expect_refused "removing a member below the rule's N" pg_psql "$(rm_member alice)" \
	"removing alice from group dba refused: rule #$two (require approvals=2 groups=dba service=x) needs 2 approvals and group dba would have 1 member(s) who may decide"
expect_eq "both still members and enabled" "$(q "SELECT count(*) FROM approval.group_members m JOIN approval.approvers a ON a.id = m.approver_id WHERE a.enabled AND a.revoked_at IS NULL")" "2"
pg_psql -c "UPDATE approval.approvers SET display_name = 'Alice A' WHERE login = 'alice'" >/dev/null || fail "an unrelated approver change is refused"
# a default without groups: N counts all deciders
q "UPDATE approval.policy_rules SET removed_at = now(), removed_by = 'postgres' WHERE id = $two" >/dev/null
q "UPDATE approval.policy_state SET default_rule = 'require approvals=3'" >/dev/null
q "UPDATE approval.policy_state SET default_rule = 'require approvals=1'" >/dev/null
pg_psql -c "$(rm_member alice)" >/dev/null || fail "with the rule removed, removing a member is refused"
pg_psql -c "UPDATE approval.approvers SET enabled = false WHERE login = 'dave'" >/dev/null || fail "with N=1, disabling is refused"
# Taking an approver away is never refused, even below a rule's N: a
# compromised approver must go at once. The database warns, naming the
# rule; its requests then wait until they expire (fail closed).
q "UPDATE approval.approvers SET enabled = true, revoked_at = NULL, roles = '{approver}' WHERE login IN ('bob', 'dave')" >/dev/null
n=$(q "SELECT count(*) FROM approval.approvers WHERE enabled AND revoked_at IS NULL AND roles && ARRAY['approver', 'admin']")
q "UPDATE approval.policy_state SET default_rule = 'require approvals=$n'" >/dev/null
for change in "enabled = false" "revoked_at = now()" "roles = '{auditor}'"; do
	q "UPDATE approval.approvers SET enabled = true, revoked_at = NULL, roles = '{approver}' WHERE login IN ('bob', 'dave')" >/dev/null
	w=$(pg_psql -c "UPDATE approval.approvers SET $change WHERE login = 'bob'" 2>&1) ||
		fail "taking bob away ($change) below the default's N ($n) was refused: $w"
	case $w in
	*"approver bob can no longer decide"*"rule default (require approvals=$n)"*) ;;
	*) fail "taking bob away ($change): no warning naming the rule: $w" ;;
	esac
done
expect_eq "audit crosscheck clean" "$(q "SELECT count(*) FROM approval.audit_crosscheck")" "0"
ok "policy moves and quorums"
