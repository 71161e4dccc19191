#!/usr/bin/env bash
# operator.sh: issue 12's acceptance story with the real setuid sudo. An
# operator writes "status commands are free, anything on db-* needs two
# DBAs with a ticket, a named emergency command is break-glass, everything
# else needs one approver" as a policy file, applies it, checks each case
# with `approvalctl policy test`, and then every outcome happens through
# real sudo on two hosts (e2e and db-1, each its own host token):
#   `sudo systemctl status cron` on e2e runs at once, recorded as allowed;
#   on db-1 a sudo without a ticket is refused before anyone is asked, one
#   with a ticket waits for two distinct DBAs ("1 of 2" in between), a
#   non-DBA's approval is refused;
#   anything else on e2e waits for one approver;
#   the break-glass command runs at once on a reason and waits for review;
#   with approvald down, a one-time offline code typed at real sudo's
#   prompt lets one elevation in, the same code again does not, and the
#   use reaches approvald with the next sudo once it is back;
# and each outcome is in the audit trail (policy.* rows, chain verified)
# and in the reports (report_auto_allowed, report_elevations,
# report_breakglass, both kinds).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/e2e.sh"
e2e_begin
mk_host db-1
mk_approver dba1 "nobody-d1-$E2E_RAND"
mk_approver dba2 "nobody-d2-$E2E_RAND"

UW=apow-$E2E_RAND	# works on the host e2e
UD=apod-$E2E_RAND	# works on the host db-1
e2e_user "$UW"
e2e_user "$UD"

# one PAM service per host token; sudoers sends each user to theirs
mkdir -m 0700 "$T/bgetc"
BGF=$T/bgetc/approve_breakglass	# the host's offline break-glass codes
for h in e2e db-1; do
	svc=approve-op-$h-$E2E_RAND
	on_exit "rm -f /etc/pam.d/$svc"
	{
		echo "# pam_approve e2e test service ($TEST_NAME); removed when the test ends"
		echo "@include common-auth"
		printf 'account required %s url=%s token_file=%s keys=%s timeout=90 breakglass=%s\n' \
			"$PAM_MODULE" "$APPROVALD_UNIX_URL" "$T/host-$h.token" "$T/approvald.pub" "$BGF"
		echo "@include common-account"
		echo "@include common-session-noninteractive"
	} >"/etc/pam.d/$svc"
done
SVC_W=approve-op-e2e-$E2E_RAND
SVC_D=approve-op-db-1-$E2E_RAND
e2e_sudoers "approve-op-$E2E_RAND" "$UW:$SVC_W" "$UD:$SVC_D"

SYSTEMCTL=$(command -v systemctl) || skip "no systemctl to run a status command with"
BG_CMD="/usr/bin/touch $T/breakglass.marker"
cat >"$T/policy.conf" <<EOF
# status commands are free
allow command-prefix="$SYSTEMCTL status "
# the emergency command: in at once on a reason, reviewed afterwards
breakglass command="$BG_CMD"
# anything on a database host needs two DBAs and a ticket
require approvals=2 groups=dba host=db-* ticket=required pattern="^OPS-[0-9]+\$"
# everything else needs one approver
default require approvals=1
group dba dba1 dba2
EOF
assert_rc 0 actl_admin policy apply "$T/policy.conf"
assert_contains "$LAST_OUT" "applied: policy version" "the operator's file is applied"
assert_rc 0 actl_admin policy export
assert_contains "$LAST_OUT" "group dba dba1 dba2" "export has the group"
assert_contains "$LAST_OUT" "require approvals=2 groups=dba host=db-* ticket=required" "export has the db rule"
allow_id=$(sql "SELECT id FROM approval.policy_rules WHERE removed_at IS NULL AND rule LIKE 'allow %'")
bg_id=$(sql "SELECT id FROM approval.policy_rules WHERE removed_at IS NULL AND rule LIKE 'breakglass %'")
db_id=$(sql "SELECT id FROM approval.policy_rules WHERE removed_at IS NULL AND rule LIKE 'require %'")
ok "the policy is code: applied from a file and exported back"

assert_rc 0 actl_admin policy test --host e2e --user "$UW" --target root --service sudo --command "$SYSTEMCTL status cron"
assert_contains "$LAST_OUT" "decision: allow by rule $allow_id" "policy test: status is free"
assert_rc 0 actl_admin policy test --host db-1 --user "$UD" --target root --service sudo --command "$SYSTEMCTL status cron"
assert_contains "$LAST_OUT" "decision: allow by rule $allow_id" "policy test: status is free on db-1 too"
assert_rc 0 actl_admin policy test --host db-1 --user "$UD" --target root --service sudo --command "/usr/bin/touch /x" --ticket OPS-7
assert_contains "$LAST_OUT" "decision: require by rule $db_id" "policy test: db-1 needs the DBAs"
assert_rc 0 actl_admin policy test --host e2e --user "$UW" --target root --service sudo --command "/usr/bin/touch /x"
assert_contains "$LAST_OUT" "default" "policy test: anything else is the default"
assert_rc 0 actl_admin policy test --host e2e --user "$UW" --target root --service sudo --command "$BG_CMD" --reason "nobody answers the pager"
assert_contains "$LAST_OUT" "decision: breakglass by rule $bg_id" "policy test: the emergency command"
n0=$(req_count)
ok "policy test shows which rule decides each case and files nothing"
assert_eq "$n0" "$(req_count)" "policy test filed nothing"

# run_as USER NAME [env...] -- CMD...: sudo -n CMD as USER in the background
run_as() {
	local u=$1 name=$2 envs=()
	shift 2
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	e2e_as "$u" env "${envs[@]}" sudo -n "$@" </dev/null >"$T/$name.out" 2>&1 &
	SUDO_PID=$!
	_H_PIDS+=("$SUDO_PID")
}
_op_reported() { [ "$(sql "SELECT count(*) FROM approval.breakglass_offline_uses WHERE code_id = '$BGID'")" = 1 ]; }
last_code() { sql "SELECT code FROM approval.requests WHERE requester = '$1' ORDER BY created_at DESC LIMIT 1"; }

# 1. status is free: no wait, the command ran, recorded as allowed
t0=$(now_ms)
run_as "$UW" status -- "$SYSTEMCTL" status cron
wait_pid "$SUDO_PID" 30
assert_le $(($(now_ms) - t0)) 10000 "ms the status command took"
st_code=$(last_code "$UW")
assert_eq "approved|allow|$allow_id" "$(req_field "$st_code" "status, policy_action, policy_rule_id")" "recorded as allowed by the rule"
assert_file_not_contains "$T/status.out" "denied" "sudo was not refused"
assert_file_not_contains "$T/status.out" "a command is required" "sudo ran systemctl"
ok "sudo systemctl status: in at once, recorded as a policy allow"

# 2. db-1 without a ticket: refused before anyone is asked
n0=$(req_count)
run_as "$UD" noticket -- /usr/bin/touch "$T/noticket.marker"
wait_pid "$SUDO_PID" 30
assert_ne 0 "$WAIT_RC" "sudo without a ticket"
[ ! -e "$T/noticket.marker" ] || fail "the command ran without a ticket"
assert_file_contains "$T/noticket.out" "APPROVAL_TICKET" "the user is told to set a ticket"
assert_eq "$n0" "$(req_count)" "nothing filed, nobody bothered"
ok "db-1 without a ticket: refused, nothing filed"

# 3. db-1 with a ticket: two distinct DBAs
run_as "$UD" db APPROVAL_TICKET=OPS-7 -- /usr/bin/touch "$T/db.marker"
code=$(e2e_pending_code 20)
assert_eq "OPS-7|2|$db_id" "$(req_field "$code" "ticket, approvals_required, policy_rule_id")"
http POST "/v1/requests/$code/approve" --approver approver1 --json '{}'
assert_error 403 not_in_group "a non-DBA"
assert_rc 0 actl dba1 approve "$code" -m "looks right"
wait_for_line "$T/db.out" "1 of 2" 20 >/dev/null
[ ! -e "$T/db.marker" ] || fail "ran after one of two approvals"
http POST "/v1/requests/$code/approve" --approver dba1 --json '{}'
assert_error 409 already_approved "the same DBA twice"
assert_rc 0 actl dba2 approve "$code" -m "second pair of eyes"
wait_pid "$SUDO_PID" 30
assert_eq 0 "$WAIT_RC" "sudo after two DBAs ($(cat "$T/db.out"))"
[ -e "$T/db.marker" ] || fail "approved by two DBAs, yet the command did not run"
db_code=$code
ok "db-1 with a ticket: a non-DBA and a repeat refused, two DBAs let it run"

# 4. anything else: one approver
run_as "$UW" other -- /usr/bin/touch "$T/other.marker"
code=$(e2e_pending_code 20)
assert_eq "1|" "$(req_field "$code" "approvals_required, policy_rule_id")" "the default decides"
assert_rc 0 actl approver1 approve "$code"
wait_pid "$SUDO_PID" 30
assert_eq 0 "$WAIT_RC" "sudo after one approval"
[ -e "$T/other.marker" ] || fail "approved, yet the command did not run"
other_code=$code
ok "everything else: one approver"

# 5. break-glass: in at once on a reason, on the review list
t0=$(now_ms)
run_as "$UW" bg "APPROVAL_REASON=pager dead, primary is down" -- $BG_CMD
wait_pid "$SUDO_PID" 30
assert_eq 0 "$WAIT_RC" "break-glass sudo ($(cat "$T/bg.out"))"
[ -e "$T/breakglass.marker" ] || fail "break-glass, yet the command did not run"
bg_code=$(last_code "$UW")
assert_eq "approved|breakglass|$bg_id" "$(req_field "$bg_code" "status, policy_action, policy_rule_id")"
ok "break-glass: in at once on a reason"

# 6. offline break-glass: approvald down, a one-time code at sudo's prompt
assert_rc 0 actl_admin breakglass issue e2e --count 1 --file "$BGF"
line=$(grep -E '^BG-' <<<"$LAST_OUT")
BGID=${line%% *} BGCODE=${line#* }
assert_file_not_contains "$BGF" "$BGCODE" "only a hash of the code on the host"
approvald_stop
e2e_tmux offline "$(e2e_as_cmd "$UW") sudo /usr/bin/touch $T/offline.marker"
e2e_wait_pane offline "Break-glass code" 30
e2e_keys offline "$BGCODE" Enter
rc=$(e2e_wait_rc offline 30)
e2e_pane offline >"$T/offline-pane.out"
assert_eq 0 "$rc" "sudo with the offline code ($(cat "$T/offline-pane.out"))"
[ -e "$T/offline.marker" ] || fail "the code was accepted, yet the command did not run"
assert_file_contains "$T/offline-pane.out" "break-glass code $BGID accepted" "the user is told it is break-glass"
assert_file_not_contains "$T/offline-pane.out" "$BGCODE" "the code is not echoed"
e2e_tmux again "$(e2e_as_cmd "$UW") sudo /usr/bin/touch $T/again.marker"
rc=$(e2e_wait_rc again 40)
e2e_pane again >"$T/again-pane.out"
assert_ne 0 "$rc" "sudo again, the host's only code used"
assert_file_not_contains "$T/again-pane.out" "Break-glass code" "no code asked for: none is left"
[ ! -e "$T/again.marker" ] || fail "a used code let a second elevation in"
ok "offline break-glass through real sudo: one code, one elevation"
approvald_start signing_key="$T/signing.key"
run_as "$UW" status2 -- "$SYSTEMCTL" status cron
wait_pid "$SUDO_PID" 30
wait_until 10 _op_reported || fail "the offline use never reached approvald"
ok "the offline use is reported with the next sudo once approvald is back"

# the audit trail and the reports show every outcome
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.allowed' AND subject = '$st_code'")" "audit: the allow"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'policy.breakglass' AND subject = '$bg_code'")" "audit: the break-glass"
assert_eq "dba1,dba2" "$(sql "SELECT string_agg(a.login, ',' ORDER BY p.at) FROM approval.approvals p JOIN approval.approvers a ON a.id = p.approver_id JOIN approval.requests r ON r.id = p.request_id WHERE r.code = '$db_code'")" "both DBAs recorded"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.report_auto_allowed WHERE code = '$st_code'")" "report_auto_allowed has the status command"
assert_eq "needs review" "$(sql "SELECT review FROM approval.report_breakglass WHERE code = '$bg_code'")" "report_breakglass has it, needing review"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.offline_used' AND detail->>'severity' = 'critical'")" "audit: the offline use, critical"
assert_eq "offline|needs review" "$(sql "SELECT kind || '|' || review FROM approval.report_breakglass WHERE kind = 'offline'")" "report_breakglass has the offline use too"
assert_eq "approved|approved|approved|approved" \
	"$(sql "SELECT string_agg(outcome::text, '|' ORDER BY created_at) FROM approval.report_elevations WHERE code IN ('$st_code', '$db_code', '$other_code', '$bg_code')")" \
	"report_elevations has each elevation"
assert_eq "OPS-7" "$(sql "SELECT ticket FROM approval.report_elevations WHERE code = '$db_code'")" "the ticket is in the report"
assert_rc 0 actl_admin audit verify
ok "every outcome is in the audit trail (verified) and in the reports"
