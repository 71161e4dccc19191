#!/usr/bin/env bash
# agent_exec.sh: `approvalctl request --wait` and `approvalctl exec` with a
# host token: approve (exit 0; exec runs the command), deny with comment
# (exit 1, the comment on stderr, exec runs nothing), expiry and Ctrl-C
# (exit 5, the request cancelled on the server), and exec --id refuses an
# approval made for a different command; `host initiator` sets a host's kind.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup request_ttl=10

HT=$T/host-web1.token
export APPROVALCTL_HOST_TOKEN_FILE=$HT	# the token through the environment setting
act() { "$APPROVALCTL" --url "$APPROVALD_UNIX_URL" "$@"; }
# bg OUT ARGS...: act in the background, stderr and stdout to $T/OUT.*
bg() {
	local out=$1
	shift
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' "$APPROVALCTL" --url "$APPROVALD_UNIX_URL" "$@" >"$T/$out.stdout" 2>"$T/$out.stderr" &
	BG_PID=$!
	_H_PIDS+=("$BG_PID")
	wait_until 20 grep -q '^approvalctl: pending ' "$T/$out.stderr" ||
		fail "$out: no pending line: $(cat "$T/$out.stderr")"
	BG_CODE=$(sed -n 's/^approvalctl: pending \([^ ]*\).*/\1/p' "$T/$out.stderr")
}

# request --wait: approved
APPROVAL_AGENT="deploy-bot/1" bg r1 request --service iam --command "rotate key prod-signing" --reason "quarterly" --wait
assert_eq iam "$(req_field "$BG_CODE" service)" "the service is the given name"
assert_eq agent "$(req_field "$BG_CODE" initiator)"
assert_eq "rotate key prod-signing" "$(req_field "$BG_CODE" command)"
assert_rc 0 actl carol approve "$BG_CODE"
wait_pid "$BG_PID" 20
assert_eq 0 "$WAIT_RC" "request --wait exit on approval"
assert_file_contains "$T/r1.stderr" "^approvalctl: approved by carol$"
ok "request --wait: approved -> 0"

bg r2 request --service iam --command "delete bucket" --wait
assert_rc 0 actl carol deny "$BG_CODE" -m "use the retention policy instead"
wait_pid "$BG_PID" 20
assert_eq 1 "$WAIT_RC" "request --wait exit on denial"
assert_file_contains "$T/r2.stderr" "^approvalctl: denied by carol: use the retention policy instead$"
ok "request --wait: denied -> 1 with the comment"

bg r3 request --service iam --command "nobody answers" --wait
wait_pid "$BG_PID" 40
assert_eq 5 "$WAIT_RC" "request --wait exit on expiry"
assert_file_contains "$T/r3.stderr" "^approvalctl: expired$"
assert_eq expired "$(req_status "$BG_CODE")"
ok "request --wait: expired -> 5"

bg r4 request --service iam --command "ctrl-c me" --wait
wait_for_waiters 1 20
kill -INT "$BG_PID"
wait_pid "$BG_PID" 20
assert_eq 5 "$WAIT_RC" "request --wait exit on Ctrl-C"
assert_file_contains "$T/r4.stderr" "^approvalctl: cancelled$" "$(cat "$T/r4.stderr")"
wait_for_status "$BG_CODE" cancelled 5
ok "request --wait: Ctrl-C cancels the request -> 5"

act request --service iam --command "no wait" >"$T/r5.out" 2>"$T/r5.err"
assert_file_contains "$T/r5.err" "^approvalctl: pending $CODE_RE "
ok "request without --wait files and returns 0"

# exec: runs exactly the approved argv
cd "$T"
bg e1 exec --service deploy -- sh -c 'echo ran >"$0"' "$T/e1.ran"
assert_match "$(req_field "$BG_CODE" command)" "^sh -c echo ran" "approvers see the argv"
e1_id=$(req_field "$BG_CODE" id)
assert_rc 0 actl carol approve "$BG_CODE"
wait_pid "$BG_PID" 20
assert_eq 0 "$WAIT_RC" "exec exit: the command's"
assert_file_contains "$T/e1.ran" "^ran$" "the command ran after approval"
ok "exec: approved -> the command runs"

bg e2 exec --service deploy -- touch "$T/e2.ran"
assert_rc 0 actl carol deny "$BG_CODE" -m "not today"
wait_pid "$BG_PID" 20
assert_eq 1 "$WAIT_RC"
[ ! -e "$T/e2.ran" ] || fail "a denied exec ran its command"
assert_file_contains "$T/e2.stderr" "^approvalctl: denied by carol: not today$"
ok "exec: denied -> nothing runs, 1"

bg e3 exec --service deploy -- touch "$T/e3.ran"
kill -INT "$BG_PID"
wait_pid "$BG_PID" 20
assert_eq 5 "$WAIT_RC"
[ ! -e "$T/e3.ran" ] || fail "a cancelled exec ran its command"
ok "exec: Ctrl-C -> nothing runs, 5"

# --id: the earlier approval of e1 is good for exactly e1's argv
rm -f "$T/e1.ran"
assert_rc 0 act exec --id "$e1_id" --service deploy -- sh -c 'echo ran >"$0"' "$T/e1.ran"
assert_file_contains "$T/e1.ran" "^ran$" "the same argv runs on the earlier approval"
assert_rc 1 act exec --id "$e1_id" --service deploy -- sh -c 'echo pwned >"$0"' "$T/e1.ran"
assert_file_contains "$T/e1.ran" "^ran$" "a different argv did not run"
assert_rc 1 act exec --id "$e1_id" --service deploy --target prod-db -- sh -c 'echo ran >"$0"' "$T/e1.ran"
(cd / && "$APPROVALCTL" --url "$APPROVALD_UNIX_URL" exec --id "$e1_id" --service deploy \
	--host-token-file "$HT" -- sh -c 'echo ran >"$0"' "$T/e1.cwd") && fail "another cwd ran"
[ ! -e "$T/e1.cwd" ] || fail "exec in another cwd ran"
ok "exec --id refuses a different command, target or cwd"

# a host's setting decides the kind of its requests
assert_rc 0 actl_admin host initiator web1 ci
act request --service deploy --command "from the runner" 2>"$T/k1.err"
k1=$(sed -n 's/^approvalctl: pending \([^ ]*\).*/\1/p' "$T/k1.err")
assert_eq ci "$(req_field "$k1" initiator)" "host setting ci"
assert_rc 0 actl_admin host initiator web1 derived
act request --service deploy --command "derived again" 2>"$T/k2.err"
k2=$(sed -n 's/^approvalctl: pending \([^ ]*\).*/\1/p' "$T/k2.err")
assert_eq human "$(req_field "$k2" initiator)" "no setting, nothing reported"
assert_eq ci "$(req_field "$k1" initiator)" "an earlier request keeps its kind"
assert_rc 1 actl_admin host initiator nosuchhost ci
assert_rc 2 actl_admin host initiator web1 robot
ok "approvalctl host initiator sets (and clears) a host's kind"
