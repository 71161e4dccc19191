#!/usr/bin/env bash
# sudo.sh: the real setuid sudo waits for a human decision. An unprivileged
# test user runs `sudo -n touch MARKER` through a test-only PAM service (a
# sudoers drop-in points sudo at it; the machine's own sudo config is
# untouched); another process approves or denies with approvalctl.
#   approve -> sudo exits 0 and the command ran;
#   deny    -> sudo fails, the command did not run, the comment is shown;
#   a user-set SUDO_COMMAND does not change what approvers see;
#   Ctrl-C in a terminal cancels the request;
#   an agent's sudo -n reads the link and the decision from stderr.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/e2e.sh"
e2e_begin

U=ape2e-$E2E_RAND
SVC=approve-e2e-$E2E_RAND
e2e_user "$U"

on_exit "rm -f /etc/pam.d/$SVC"
{
	echo "# pam_approve e2e test service ($TEST_NAME); removed when the test ends"
	echo "session required pam_limits.so"
	echo "@include common-auth"
	e2e_module_line
	echo "@include common-account"
	echo "@include common-session-noninteractive"
} >"/etc/pam.d/$SVC"

e2e_sudoers "$SVC" "$U:$SVC"

run_sudo() {	# NAME [env assignments...]: sudo -n touch $T/NAME.marker as $U
	local name=$1
	shift
	e2e_as "$U" env "$@" sudo -n /usr/bin/touch "$T/$name.marker" </dev/null >"$T/$name.out" 2>&1 &
	SUDO_PID=$!
	_H_PIDS+=("$SUDO_PID")
}

# 1. approve
run_sudo approve
code=$(e2e_pending_code 20)
http GET "/v1/requests/$code" --approver approver1
assert_json .user "$U" "requester"
assert_json .uid "$(id -u "$U")" "requester uid"
assert_json .target_user root
assert_json .service "$SVC"
assert_json .sudo_command "/usr/bin/touch $T/approve.marker"
assert_contains "$(json .command)" "/usr/bin/touch" "command line"
# SUDO_COMMAND is bound in full and not cut
assert_json .sudo_command_length "$(printf '%s' "/usr/bin/touch $T/approve.marker" | wc -c)"
assert_json .sudo_command_truncated false
assert_json .command_truncated false
[ ! -e "$T/approve.marker" ] || fail "the command ran before the approval"
assert_file_contains "$T/approve.out" "$code" "sudo shows the request code on its output"
assert_rc 0 actl approver1 approve "$code" -m "go ahead"
wait_pid "$SUDO_PID" 30
assert_eq 0 "$WAIT_RC" "sudo exit status after approval ($(cat "$T/approve.out"))"
[ -e "$T/approve.marker" ] || fail "sudo exited 0 but the command did not run"
ok "approvalctl approve released a waiting real sudo; the command ran"

# 2. deny
run_sudo deny
code=$(e2e_pending_code 20)
assert_rc 0 actl approver1 deny "$code" -m "change freeze"
wait_pid "$SUDO_PID" 30
assert_ne 0 "$WAIT_RC" "sudo exit status after a denial"
[ ! -e "$T/deny.marker" ] || fail "denied, yet the command ran"
assert_file_contains "$T/deny.out" "change freeze" "deny comment shown by sudo"
ok "deny -> sudo fails, the command did not run"

# 3. A user-set SUDO_COMMAND cannot change what approvers see.
run_sudo spoof SUDO_COMMAND=/bin/fake
code=$(e2e_pending_code 20)
assert_rc 0 actl approver1 show "$code"
assert_not_contains "$LAST_OUT" "/bin/fake" "approvalctl show"
assert_contains "$LAST_OUT" "/usr/bin/touch $T/spoof.marker" "approvalctl show"
http GET "/v1/requests/$code" --approver approver1
assert_json .sudo_command "/usr/bin/touch $T/spoof.marker"
assert_rc 0 actl approver1 deny "$code"
wait_pid "$SUDO_PID" 30
[ ! -e "$T/spoof.marker" ] || fail "denied, yet the command ran"
ok "user-set SUDO_COMMAND=/bin/fake does not reach approvers"

# 4. Ctrl-C in a terminal cancels the request.
e2e_tmux ctrlc "$(e2e_as_cmd "$U") sudo -n /usr/bin/touch $T/ctrlc.marker"
code=$(e2e_pending_code 20)
wait_for_waiters 1 10
e2e_keys ctrlc C-c
rc=$(e2e_wait_rc ctrlc 20)
assert_ne 0 "$rc" "sudo exit status after Ctrl-C"
wait_for_status "$code" cancelled 5
[ ! -e "$T/ctrlc.marker" ] || fail "Ctrl-C, yet the command ran"
ok "Ctrl-C in a terminal cancels the request and sudo fails"
# 5. An agent: `sudo -n` with no terminal, its prompt and commit in the
# environment, stderr read as it comes (docs/agents.md grammar).
e2e_as "$U" env APPROVAL_AGENT=test-agent/1 APPROVAL_COMMIT=3f2a9c1 \
	APPROVAL_RUN_URL=https://ci.example/run/7 "APPROVAL_PROMPT=touch the agent marker" \
	sudo -n /usr/bin/touch "$T/agent.marker" </dev/null >"$T/agent.stdout" 2>"$T/agent.stderr" &
SUDO_PID=$!
_H_PIDS+=("$SUDO_PID")
wait_until 20 grep -q '^pam_approve: pending ' "$T/agent.stderr" ||
	fail "no pending line on sudo's stderr while it waits: $(cat "$T/agent.stderr")"
read -r _ _ code url < <(grep '^pam_approve: pending ' "$T/agent.stderr")
assert_match "$url" "/r/$code\$" "the link the agent shows its user"
http GET "/v1/requests/$code" --approver approver1
assert_json .prompt "touch the agent marker"
assert_json .commit 3f2a9c1
assert_json .run_url https://ci.example/run/7
assert_json .initiator agent
assert_match "$(json '[.ancestry[].exe] | join(" ")')" "sudo" "the observed chain names sudo by its executable"
assert_json .tty_attached false
assert_rc 0 actl approver1 deny "$code" -m "ask a human: prod change"
wait_pid "$SUDO_PID" 30
assert_ne 0 "$WAIT_RC" "sudo exit status after a denial"
assert_file_contains "$T/agent.stderr" "^pam_approve: denied by approver1: ask a human: prod change$" \
	"the agent reads the decision and the comment from stderr"
[ ! -e "$T/agent.marker" ] || fail "denied, yet the command ran"
ok "an agent's sudo -n: link on stderr, prompt/commit/run and the chain to the approver, decision back on stderr"

finish
