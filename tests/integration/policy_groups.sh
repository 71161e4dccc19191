#!/usr/bin/env bash
# policy_groups.sh: N-of-M approver groups through the real module. A rule
# naming an unknown group, or more approvals than its group has members,
# is refused at add; `require approvers=dba:2` makes a request wait for two
# distinct members of dba: a non-member is refused (403 not_in_group), the
# requester in the group is refused (self-approval), one approval leaves it
# pending and the waiting module says "1 of 2", a second approval by the
# same person is refused (409 already_approved), the second member's makes
# it approved; a single member's deny ends such a request. The database
# holds the rule against direct SQL: an UPDATE to approved counts as one
# approval only, a non-member's UPDATE is refused, the application role
# cannot write approvals, and a request cannot be inserted with fewer
# approvals than its rule. Group changes are audit events with who.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
mk_approver dba1 d1
mk_approver dba2 d2
mk_approver root-adm root	# the requester (the kernel uid: the test runs as root)
pam_service two-test --stack account

assert_rc 0 actl_admin group add dba
assert_rc 0 actl_admin group member add dba dba1
assert_rc 0 actl_admin group member add dba dba2
assert_rc 0 actl_admin group member add dba root-adm
assert_rc 1 actl_admin group member add dba nobody
assert_rc 0 actl_admin group list
assert_contains "$LAST_OUT" "dba1,dba2,root-adm" "group list shows the members"
assert_eq "1 3 postgres" "$(sql "SELECT count(*) FILTER (WHERE kind = 'group.added') || ' ' || count(*) FILTER (WHERE kind = 'group.member_added') || ' ' || min(actor) FROM approval.audit_log WHERE kind LIKE 'group.%'")" "group changes audited with who"
ok "groups and members, audited"

assert_rc 1 actl_admin policy add 'require approvers=ops:1'
assert_contains "$LAST_OUT" "unknown approver group ops" "an unknown group is refused at add"
assert_rc 1 actl_admin policy add 'require approvers=dba:4'
assert_contains "$LAST_OUT" "needs 4 approvals but groups dba have 3" "N above the membership is refused at add"
assert_rc 0 actl_admin policy add 'require approvers=dba:2 service=two-test'
rule_id=$(sql "SELECT id FROM approval.policy_rules WHERE removed_at IS NULL")
assert_eq "require approvals=2 groups=dba service=two-test" "$(sql "SELECT rule FROM approval.policy_rules WHERE id = $rule_id")" "stored canonical"
assert_rc 0 actl_admin policy test --host web1 --user alice --target root --service two-test --command /bin/true
assert_contains "$LAST_OUT" "decision: require by rule $rule_id"
ok "bad group rules refused at add; approvers=dba:2 stored as approvals=2 groups=dba"

start_waiter two two-test
assert_eq "2|{dba}|$rule_id" "$(req_field "$CODE" "approvals_required, approver_groups, policy_rule_id")" "the request carries N and groups"
http POST "/v1/requests/$CODE/approve" --approver carol --json '{}'
assert_error 403 not_in_group "a non-member"
http POST "/v1/requests/$CODE/approve" --approver root-adm --json '{}'
assert_error 403 self_approval "the requester, though in the group"
assert_rc 0 actl dba1 approve "$CODE"
assert_eq pending "$(req_status "$CODE")" "one of two approvals: still pending"
wait_for_line "$T/two.out" "Approvals: 1 of 2 given" 10 >/dev/null
assert_file_contains "$T/two.out" "pam_approve: approvals 1 of 2" "the stable line for agents"
http GET "/v1/requests/$CODE" --approver carol
assert_json .quorum "needs 2 of dba, 1 given by dba1" "approvers see why"
assert_json .policy_rule "require approvals=2 groups=dba service=two-test" "the matched rule"
http POST "/v1/requests/$CODE/approve" --approver dba1 --json '{}'
assert_error 409 already_approved "a second approval by the same person"
assert_eq pending "$(req_status "$CODE")"
assert_rc 0 actl dba2 approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam two PAM_SUCCESS
assert_eq "dba1,dba2" "$(sql "SELECT string_agg(a.login, ',' ORDER BY p.at) FROM approval.approvals p JOIN approval.approvers a ON a.id = p.approver_id JOIN approval.requests r ON r.id = p.request_id WHERE r.code = '$CODE'")" "two distinct approvals recorded"
assert_eq "created:web1,approval_given:dba1,approved:dba2" "$(sql "SELECT string_agg(e.kind || ':' || e.actor, ',' ORDER BY e.id) FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id WHERE r.code = '$CODE' AND e.kind <> 'self_approval_refused'")" "request events"
ok "2 of dba: non-member and requester refused, 1 of 2 shown, same person twice refused, second member approves"

start_waiter den two-test
assert_rc 0 actl dba2 deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied den
ok "a single deny by a member ends an N-of-M request"

# direct SQL, as the superuser and as the application role
api_create web1 '.service = "two-test"'
dba1_id=$(sql "SELECT id FROM approval.approvers WHERE login = 'dba1'")
carol_id=$(sql "SELECT id FROM approval.approvers WHERE login = 'carol'")
sql "UPDATE approval.requests SET status = 'approved', decided_by = $dba1_id WHERE code = '$REQ_CODE'" >/dev/null
assert_eq pending "$(req_status "$REQ_CODE")" "a direct UPDATE to approved is one approval, not two"
rc=0
err=$(pg_psql -c "UPDATE approval.requests SET status = 'approved', decided_by = $carol_id WHERE code = '$REQ_CODE'" 2>&1) || rc=$?
assert_ne 0 "$rc" "a non-member's UPDATE"
assert_contains "$err" "is not in group dba"
rc=0
err=$(pg_psql -c "SET ROLE approval_app; INSERT INTO approval.approvals (request_id, approver_id) SELECT id, $carol_id FROM approval.requests WHERE code = '$REQ_CODE'" 2>&1) || rc=$?
assert_ne 0 "$rc" "the app role writing approvals"
assert_contains "$err" "permission denied"
rc=0
err=$(pg_psql -c "UPDATE approval.requests SET approvals_required = 1 WHERE code = '$REQ_CODE'" 2>&1) || rc=$?
assert_ne 0 "$rc" "lowering N afterwards"
rc=0
err=$(pg_psql -c "INSERT INTO approval.requests (code, host_id, hostname, service, requester, requester_uid, target_user, command, digest, expires_at, policy_rule_id, policy_version, policy_action) SELECT 'ZZZ-ZZZ', id, 'web1', 'two-test', 'alice', 1000, 'root', '/bin/true', repeat('0', 64), now() + interval '1 hour', $rule_id, 1, 'require' FROM approval.hosts WHERE name = 'web1'" 2>&1) || rc=$?
assert_ne 0 "$rc" "an insert with fewer approvals than its rule"
assert_contains "$err" "differ from policy rule $rule_id"
assert_eq pending "$(req_status "$REQ_CODE")"
ok "the database refuses N-of-M bypasses by direct SQL"

# A rule's quorum stays reachable: dba has three deciders and the rule
# needs two, so one may leave, a second may not, with a message naming the
# rule; the refused change leaves nothing behind. Revoking an approver is
# never refused (a compromised one must go at once): the rule then cannot
# be met and its requests wait until they expire.
assert_rc 0 actl_admin group member remove dba root-adm
assert_rc 1 actl_admin group member remove dba dba2
assert_contains "$LAST_OUT" "removing dba2 from group dba refused: rule #$rule_id (require approvals=2 groups=dba service=two-test) needs 2 approvals and group dba would have 1 member(s) who may decide; change or remove the rule first" "the refusal names the rule"
assert_eq "dba1,dba2 true" "$(sql "SELECT string_agg(a.login, ',' ORDER BY a.login) || ' ' || bool_and(a.enabled) FROM approval.group_members m JOIN approval.approvers a ON a.id = m.approver_id JOIN approval.approver_groups g ON g.id = m.group_id WHERE g.name = 'dba'")" "members and enabled after the refusal"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'group.member_removed'")" "only the allowed removal is audited"
ok "removing a member below a rule's N is refused"


# Policy as code includes the groups: export writes 'group NAME MEMBER...'
# and 'hostgroup NAME HOST...'; applying the export changes nothing; a file
# adding a group, a host group, members and a rule naming the new group is
# shown by --dry-run (nothing changed) and made in one apply; the export is
# then the file, and applying it again changes nothing. An unknown member,
# or a member removal the rule cannot spare, refuses the whole file; the
# same removal with the rule removed in the same file goes through.
assert_rc 0 actl_admin policy export
printf '%s\n' "$LAST_OUT" >"$T/p0.conf"
assert_contains "$LAST_OUT" "group dba dba1 dba2" "export lists the group and its members"
assert_rc 0 actl_admin policy apply "$T/p0.conf"
assert_contains "$LAST_OUT" "no changes" "applying the export changes nothing"
v0=$(sql "SELECT version FROM approval.policy_state")
{
	sed 's/^group dba dba1 dba2$/group dba carol dba1 dba2/' "$T/p0.conf"
	echo 'group ops carol'
	echo 'hostgroup db web1'
	echo 'require approvals=1 groups=ops service=ops-test'
} >"$T/p1.conf"
assert_rc 0 actl_admin policy apply --dry-run "$T/p1.conf"
for line in "+ group dba carol" "+ group ops" "+ group ops carol" "+ hostgroup db" "+ hostgroup db web1" \
	"+ require approvals=1 groups=ops service=ops-test" "dry run: nothing changed"; do
	assert_contains "$LAST_OUT" "$line" "dry run shows '$line'"
done
assert_eq "$v0|0" "$(sql "SELECT version || '|' || (SELECT count(*) FROM approval.approver_groups WHERE name = 'ops') FROM approval.policy_state")" "the dry run changed nothing"
assert_rc 0 actl_admin policy apply "$T/p1.conf"
assert_contains "$LAST_OUT" "applied: policy version" "applied"
assert_eq "carol,dba1,dba2|carol|web1" "$(sql "SELECT (SELECT string_agg(a.login, ',' ORDER BY a.login) FROM approval.group_members m JOIN approval.approvers a ON a.id = m.approver_id JOIN approval.approver_groups g ON g.id = m.group_id WHERE g.name = 'dba') || '|' || (SELECT string_agg(a.login, ',') FROM approval.group_members m JOIN approval.approvers a ON a.id = m.approver_id JOIN approval.approver_groups g ON g.id = m.group_id WHERE g.name = 'ops') || '|' || (SELECT string_agg(h.name, ',') FROM approval.host_group_members m JOIN approval.hosts h ON h.id = m.host_id JOIN approval.host_groups g ON g.id = m.group_id WHERE g.name = 'db')")" "groups and members as the file says"
assert_rc 0 actl_admin policy export
assert_eq "$(grep -v '^#' "$T/p1.conf" | sort)" "$(grep -v '^#' <<<"$LAST_OUT" | sort)" "export after apply is the file"
assert_rc 0 actl_admin policy apply "$T/p1.conf"
assert_contains "$LAST_OUT" "no changes" "apply is idempotent"
v1=$(sql "SELECT version FROM approval.policy_state")
sed 's/^group ops carol$/group ops carol nobody/' "$T/p1.conf" >"$T/p2.conf"
assert_rc 1 actl_admin policy apply "$T/p2.conf"
assert_contains "$LAST_OUT" "no approver nobody (group ops)" "an unknown member is refused"
sed 's/^group dba .*/group dba dba1/' "$T/p1.conf" >"$T/p3.conf"
assert_rc 1 actl_admin policy apply "$T/p3.conf"
assert_contains "$LAST_OUT" "removing dba2 from group dba refused: rule #$rule_id" "a removal the rule cannot spare refuses the file"
assert_eq "$v1|3" "$(sql "SELECT version || '|' || (SELECT count(*) FROM approval.group_members m JOIN approval.approver_groups g ON g.id = m.group_id WHERE g.name = 'dba') FROM approval.policy_state")" "a refused file changes nothing"
grep -v '^require approvals=2 groups=dba' "$T/p3.conf" >"$T/p4.conf"
assert_rc 0 actl_admin policy apply "$T/p4.conf"
assert_contains "$LAST_OUT" "- #$rule_id require approvals=2 groups=dba service=two-test" "the rule goes"
assert_contains "$LAST_OUT" "- group dba dba2" "and the members with it"
assert_eq "dba1" "$(sql "SELECT string_agg(a.login, ',') FROM approval.group_members m JOIN approval.approvers a ON a.id = m.approver_id JOIN approval.approver_groups g ON g.id = m.group_id WHERE g.name = 'dba'")"
ok "policy export/apply include groups, host groups and members; apply is idempotent"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
