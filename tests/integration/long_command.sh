#!/usr/bin/env bash
# long_command.sh: the digest binds the whole command, not the 8 KiB shown.
# Two runs of the real module whose command lines differ only after the
# display cut file requests with different digests; approvers are told
# plainly that the command was cut and how long it is (API fields
# command_truncated / command_length / command_shown, approvalctl show);
# a cut command can still be approved end to end (the module checks the
# digest approvald returns); a short command says it was not cut.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup

pam_service lc --stack account timeout=2
long=$(head -c 9000 /dev/zero | tr '\0' x)
pamdrive_run a 30 --service lc --user alice --op account --answer "${long}A"
pamdrive_run b 30 --service lc --user alice --op account --answer "${long}B"
assert_pam_denied a
assert_pam_denied b
assert_eq 2 "$(req_count)" "two requests filed"
assert_eq 1 "$(sql "SELECT count(DISTINCT command) FROM approval.requests")" \
	"both show the same (cut) command text"
assert_eq 2 "$(sql "SELECT count(DISTINCT digest) FROM approval.requests")" \
	"commands that differ only after the cut have different digests"
ok "different digests for commands that differ after the cut"

# what the kernel holds for the module: every argument and its NUL
full=$(printf '%s\0' "$PAMDRIVE" --service lc --user alice --op account --answer "${long}A" | wc -c)
code=$(sql "SELECT code FROM approval.requests ORDER BY created_at LIMIT 1")
http GET "/v1/requests/$code" --approver carol
assert_status 200
assert_json .command_truncated true "a cut command says so"
assert_json .command_length "$full" "the full length of the command"
shown=$(json .command_shown)
[ "$shown" -gt 0 ] && [ "$shown" -lt "$full" ] ||
	fail "command_shown $shown is not between 0 and $full"
assert_json '.command | endswith("...")' true "the cut text ends in ..."
assert_match "$(json .command_sha256)" '^[0-9a-f]{64}$' "the full command's sha256"
ok "API: command_truncated, command_length $full, command_shown $shown"
assert_rc 0 actl carol show "$code"
assert_contains "$LAST_OUT" "command cut: $shown of $full bytes shown" "approvalctl show"
ok "approvalctl show says the command was cut"

# the digest chain holds for a cut command: approved end to end
pam_service lc2 --stack account
start_waiter c lc2 --answer "${long}C"
assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam c PAM_SUCCESS
ok "a cut command approved: the module accepted approvald's digest"

# a short command is not cut
start_waiter d lc2
http GET "/v1/requests/$CODE" --approver carol
full=$(printf '%s\0' "$PAMDRIVE" --service lc2 --user alice --op account | wc -c)
assert_json .command_truncated false "a short command is not cut"
assert_json .command_length "$full"
assert_json .command_shown "$full"
assert_rc 0 actl carol show "$CODE"
assert_not_contains "$LAST_OUT" "command cut" "approvalctl show of a short command"
assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied d
finish
