#!/usr/bin/env bash
# policy_conditions.sh: rule conditions and windows through the real
# module. A reason rule refuses "." and a too-short reason before anything
# is filed (the user is told why; the module asks again on the
# conversation, or tells a caller without one to set APPROVAL_REASON) and
# accepts a real reason; a ticket rule checks its pattern; a time window
# matches in its zone (the current hour matches, another does not), and
# `policy test --at` shows PostgreSQL's DST handling at the Europe/Berlin
# spring and autumn changes; an unknown zone is refused at add; a grace
# window lets a repeat of the same approved command (same digest) pass at
# once, recorded as a reuse (event, audit row), not a different command,
# and not after the window; ttl= sets the request's lifetime; chat=no is
# stored on the request; group= matches the unix groups the module reads
# for the kernel uid.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
for s in why-test tkt-test tw-test tw2-test gr-test ttl-test grp-test grp2-test; do
	pam_service "$s" --stack account reason=optional
done

assert_rc 0 actl_admin policy add 'require reason=required minlen=10 service=why-test'
assert_rc 0 actl_admin policy add 'require ticket=required pattern="^OPS-[0-9]+$" service=tkt-test'
assert_rc 1 actl_admin policy add 'allow hours=09:00-10:00 tz=Mars/Olympus'
assert_contains "$LAST_OUT" "unknown time zone Mars/Olympus" "an unknown zone is refused at add"

# reason: "." then a real one, on the conversation
n0=$(req_count)
run_pamdrive why --service why-test --user alice --op account --answer "." --answer "restart nginx after the deploy"
CODE=$(wait_for_code why)
assert_eq $((n0 + 1)) "$(req_count)" "only the request with a real reason was filed"
assert_file_contains "$T/why.out" "Policy: this request needs a reason of at least 10 characters" "the user is told why"
assert_file_contains "$T/why.out" "pam_approve: note: reason_required" "the stable note line"
assert_eq "restart nginx after the deploy" "$(req_field "$CODE" reason)"
assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam why PAM_SUCCESS
# no conversation answer and APPROVAL_REASON=".": refused, nothing filed
n0=$(req_count)
APPROVAL_REASON="." pamdrive_run why2 20 --service why-test --user alice --op account
assert_pam_denied why2
assert_eq "$n0" "$(req_count)" "a '.' reason files nothing"
assert_file_contains "$T/why2.out" "Set APPROVAL_REASON" "a caller without answers is told what to set"
assert_file_contains "$T/why2.out" "pam_approve: denied: policy needs a reason" "one outcome line"
ok "reason=required minlen=10: '.' refused before anyone is asked, a real reason filed"

# ticket pattern
n0=$(req_count)
APPROVAL_TICKET="ops-1" pamdrive_run tk1 20 --service tkt-test --user alice --op account
assert_pam_denied tk1
assert_file_contains "$T/tk1.out" "the ticket must match \\^OPS-\\[0-9\\]\\+\\$" "the pattern is shown"
assert_eq "$n0" "$(req_count)"
APPROVAL_TICKET="OPS-42" run_pamdrive tk2 --service tkt-test --user alice --op account
CODE=$(wait_for_code tk2)
assert_eq "OPS-42" "$(req_field "$CODE" ticket)"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
ok "ticket=required pattern=: a wrong ticket refused, a matching one filed"

# time windows: this UTC hour matches, one three hours on does not
h=$(sql "SELECT date_part('hour', now() AT TIME ZONE 'UTC')::int")
from=$(printf '%02d:00' "$h"); to=$(printf '%02d:00' $(((h + 1) % 24)))
[ "$to" = 00:00 ] && to=24:00
ofrom=$(printf '%02d:00' $(((h + 3) % 24))); oto=$(printf '%02d:00' $(((h + 4) % 24)))
[ "$oto" = 00:00 ] && oto=24:00
assert_rc 0 actl_admin policy add "allow service=tw-test hours=$from-$to"
assert_rc 0 actl_admin policy add "allow service=tw2-test hours=$ofrom-$oto tz=UTC"
pamdrive_run tw 10 --service tw-test --user alice --op account
assert_pam tw PAM_SUCCESS
start_waiter tw2 tw2-test
assert_eq "pending|require" "$(req_field "$CODE" "status, policy_action")" "outside the window: the default"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
ok "hours= matches in its zone: inside allowed at once, outside falls through"

assert_rc 0 actl_admin policy add 'deny service=dst hours=02:00-03:00 days=sun tz=Europe/Berlin message="maintenance hour"'
dst_test() { actl_admin policy test --host web1 --user alice --target root --service dst --command /bin/x --at "$1"; }
assert_rc 0 dst_test 2026-03-29T00:59:00Z
assert_contains "$LAST_OUT" "clock Europe/Berlin: sun 01:59" "before the spring change: CET"
assert_contains "$LAST_OUT" "decision: require by the default"
assert_rc 0 dst_test 2026-03-29T01:00:00Z
assert_contains "$LAST_OUT" "clock Europe/Berlin: sun 03:00" "02:00-03:00 does not exist that night"
assert_contains "$LAST_OUT" "decision: require by the default"
assert_rc 0 dst_test 2026-10-25T00:30:00Z
assert_contains "$LAST_OUT" "clock Europe/Berlin: sun 02:30" "autumn, first 02:30 (CEST)"
assert_contains "$LAST_OUT" "decision: deny by rule"
assert_rc 0 dst_test 2026-10-25T01:30:00Z
assert_contains "$LAST_OUT" "clock Europe/Berlin: sun 02:30" "autumn, second 02:30 (CET)"
assert_contains "$LAST_OUT" "decision: deny by rule"
assert_rc 0 dst_test 2026-10-25T02:00:00Z
assert_contains "$LAST_OUT" "clock Europe/Berlin: sun 03:00"
assert_contains "$LAST_OUT" "decision: require by the default"
ok "time zones and DST: policy test --at shows the local clock approvald uses"

# grace window: a repeat of the approved command passes at once
assert_rc 0 actl_admin policy add 'require grace=6s chat=no service=gr-test'
start_waiter gr1 gr-test
first=$CODE
assert_eq f "$(req_field "$first" chat_decisions)" "chat=no is on the request"
assert_rc 0 actl carol approve "$first"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam gr1 PAM_SUCCESS
t0=$(now_ms)
pamdrive_run gr2 10 --service gr-test --user alice --op account
assert_pam gr2 PAM_SUCCESS
assert_le $(($(now_ms) - t0)) 5000 "ms the repeat took"
second=$(sql "SELECT code FROM approval.requests WHERE service = 'gr-test' ORDER BY created_at DESC LIMIT 1")
assert_eq "approved|$first" "$(sql "SELECT r.status || '|' || o.code FROM approval.requests r JOIN approval.requests o ON o.id = r.grace_of WHERE r.code = '$second'")" "the reuse names the approval it reuses"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.grace_reused' AND subject = '$second' AND detail->>'reuses' = '$first'")" "audit row"
assert_eq "created:web1,approved:policy:grace window: reuses the approval of $first" "$(sql "SELECT string_agg(e.kind || ':' || e.actor || coalesce(':' || e.detail, ''), ',' ORDER BY e.id) FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id WHERE r.code = '$second'")" "request events"
http GET "/v1/requests/$second" --approver carol
assert_json .grace_of "$first" "approvers see the reuse"
# another command (another digest): a human again
start_waiter gr3 gr-test --answer unused
assert_eq pending "$(req_status "$CODE")" "a different command is not reused"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
# a reuse is never reused, and the window ends
rc=0
err=$(pg_psql -c "INSERT INTO approval.requests (code, host_id, hostname, service, requester, requester_uid, target_user, command, digest, expires_at, policy_rule_id, policy_version, policy_action, status, decided_by, grace_of) SELECT 'ZZZ-ZZ9', o.host_id, o.hostname, o.service, o.requester, o.requester_uid, o.target_user, o.command, o.digest, now() + interval '1 hour', o.policy_rule_id, o.policy_version, 'require', 'approved', o.decided_by, o.id FROM approval.requests o WHERE o.code = '$second'" 2>&1) || rc=$?
assert_ne 0 "$rc" "a grace insert reusing a reuse"
assert_contains "$err" "no grace window"
sleep 7
start_waiter gr4 gr-test
assert_eq pending "$(req_status "$CODE")" "after the window: a human again"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
ok "grace=6s: the same digest reused at once and recorded; another command, a reuse of a reuse, or after the window: not"

assert_rc 0 actl_admin policy add 'require ttl=45s service=ttl-test'
start_waiter ttl ttl-test
assert_eq 45 "$(req_field "$CODE" "round(extract(epoch FROM expires_at - created_at))")" "ttl=45s is the request's lifetime"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
ok "ttl= per rule"

# unix groups, read by the module for the kernel uid (root here)
assert_rc 0 actl_admin policy add 'allow group=root service=grp-test'
assert_rc 0 actl_admin policy add 'allow group=no-such-group-xyz service=grp2-test'
pamdrive_run grp 10 --service grp-test --user alice --op account
assert_pam grp PAM_SUCCESS
code=$(sql "SELECT code FROM approval.requests WHERE service = 'grp-test'")
assert_match "$(req_field "$code" requester_groups)" "(^|,)root(,|$)" "the module reported the requester's groups"
start_waiter grp2 grp2-test
assert_eq "pending|require" "$(req_field "$CODE" "status, policy_action")" "not in that group: the default"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
ok "group= matches the requester's unix groups"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
