#!/usr/bin/env bash
# agent_context.sh: what an agent or CI job reports (APPROVAL_AGENT,
# APPROVAL_RUN_URL, APPROVAL_COMMIT, APPROVAL_PROMPT) reaches the API
# detail, the elevations export and `approvalctl show`, labelled as
# reported by the requester; the observed ancestry of a module run started
# from a script is the real process chain by executable, also for a parent
# that renamed itself with prctl(PR_SET_NAME); over-long and invalid UTF-8
# values are cut or cleaned with a note; an unreadable /proc entry leaves
# its field empty and says so; the initiator kind is stored and
# filters the list (the API and `approvalctl list --initiator`).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
need_cmd python3
standard_setup
pam_service sudo-test --stack account

# the chain: this test -> chain.sh (bash) -> renamed_parent.py ("sshd") -> pamdrive
REAL_PAMDRIVE=$PAMDRIVE
cat >"$T/chain.sh" <<CHAIN
#!/bin/bash
echo "\$\$ \$(readlink /proc/\$\$/exe)" >"$T/bash.pid"
python3 "$SRCDIR/tests/integration/renamed_parent.py" "$T/py.pid" "$REAL_PAMDRIVE" "\$@"
rc=\$?
exit \$rc
CHAIN
chmod 0755 "$T/chain.sh"

prompt="Fix the failing deploy: restart nginx on web1 (asked by dana in #ops)"
export APPROVAL_AGENT="claude-code/2.1" APPROVAL_RUN_URL="https://ci.example/run/42"
export APPROVAL_COMMIT="3f2a9c1" APPROVAL_PROMPT="$prompt"
PAMDRIVE=$T/chain.sh start_waiter agent sudo-test
PAMDRIVE=$REAL_PAMDRIVE
unset APPROVAL_AGENT APPROVAL_RUN_URL APPROVAL_COMMIT APPROVAL_PROMPT
code=$CODE
id=$(req_field "$code" id)

http GET "/v1/requests/$id" --approver carol
assert_status 200
assert_json .agent "claude-code/2.1"
assert_json .run_url "https://ci.example/run/42"
assert_json .commit "3f2a9c1"
assert_json .prompt "$prompt"
assert_json .initiator agent
ok "reported context reaches the API detail"

# the observed chain, nearest first: pamdrive, the renamed python, bash
read -r py_pid py_exe <"$T/py.pid"
read -r sh_pid sh_exe <"$T/bash.pid"
assert_eq sshd "$(cat "/proc/$py_pid/comm" 2>/dev/null || echo sshd)" "the python parent calls itself sshd"
assert_json '.ancestry[0].exe' "$(readlink -f "$REAL_PAMDRIVE")"
assert_json '.ancestry[1].pid' "$py_pid"
assert_json '.ancestry[1].exe' "$py_exe"
assert_match "$(json '.ancestry[1].argv')" "renamed_parent.py" "argv of the renamed parent"
assert_json '.ancestry[2].pid' "$sh_pid"
assert_json '.ancestry[2].exe' "$sh_exe"
assert_match "$(json '.ancestry[2].argv')" "chain.sh" "argv of the script"
assert_json '[.ancestry[] | select(.exe | test("sshd"))] | length' 0
assert_json '.ancestry[0].pid' "$(pgrep -P "$py_pid" | head -n 1)"
assert_json '.tty_attached' false
assert_json '.loginuid | type' "$(test -r /proc/self/loginuid && echo number || echo null)"
ok "observed ancestry is the real chain by executable, not by comm"

# `approvalctl show` labels both kinds
actl carol show "$code" >"$T/show.out"
assert_file_contains "$T/show.out" "reported by the requester" "show labels reported context"
assert_file_contains "$T/show.out" "claude-code/2.1" "show has the agent"
assert_file_contains "$T/show.out" "Fix the failing deploy" "show has the prompt"
assert_file_contains "$T/show.out" "observed" "show labels observed context"
assert_file_contains "$T/show.out" "$py_exe" "show has the observed chain"
ok "approvalctl show: reported and observed context, labelled"

assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam agent PAM_SUCCESS

day=$(sql "SELECT day FROM approval.report_elevations WHERE code = '$code'")
http GET "/v1/reports/elevations.csv?from=$day&to=$day" --approver carol
assert_status 200
assert_contains "$HTTP_BODY" "reported_prompt" "export column is labelled reported"
assert_contains "$HTTP_BODY" "Fix the failing deploy" "the prompt is exported"
assert_contains "$HTTP_BODY" "$py_exe" "the observed chain is exported"
http GET "/v1/reports/initiators?from=$day&to=$day" --approver carol
assert_status 200
assert_json '[.rows[] | select(.initiator == "agent") | .approved] | add' 1
ok "exports carry reported and observed context; the initiators report counts it"


# a human request next to it: the list filters by kind
start_waiter human sudo-test
hcode=$CODE
http GET "/v1/requests?initiator=agent" --approver carol
assert_status 200
assert_json '[.requests[].code] | join(" ")' "$code"
http GET "/v1/requests?initiator=human" --approver carol
assert_json '[.requests[].code] | join(" ")' "$hcode"
http GET "/v1/requests?initiator=robot" --approver carol
assert_status 400
assert_rc 0 actl carol list --initiator agent
assert_contains "$LAST_OUT" "$code" "approvalctl list --initiator agent"
assert_not_contains "$LAST_OUT" "$hcode" "approvalctl list --initiator agent"
assert_match "$(grep "$code" <<<"$LAST_OUT")" " agent " "the list's BY column"
assert_rc 0 actl carol list --initiator human --json
assert_eq "$hcode" "$(jq -r '[.requests[].code] | join(" ")' <<<"$LAST_OUT")" "approvalctl list --initiator human"
assert_rc 2 actl carol list --initiator robot
assert_rc 0 actl carol deny "$hcode"
pamdrive_wait "$PAMDRIVE_PID" 20
ok "initiator filters the list (API and approvalctl list --initiator); an unknown kind is refused"

# bad input: an over-long prompt is cut, invalid UTF-8 is replaced; both said
long=$(head -c 5000 /dev/zero | tr '\0' x)
export APPROVAL_PROMPT="$long" APPROVAL_AGENT=$'bot\xff\x1b[31m'
start_waiter bad sudo-test
unset APPROVAL_PROMPT APPROVAL_AGENT
bcode=$CODE
bid=$(req_field "$bcode" id)
http GET "/v1/requests/$bid" --approver carol
assert_json '.prompt | length' 2048
assert_json '.prompt | endswith("...")' true
assert_json .agent 'bot??' "invalid byte and escape sequence shown as ?"
assert_file_contains "$T/bad.out" "pam_approve: note: APPROVAL_PROMPT cut to 2048 bytes" "the cut is said"
assert_file_contains "$T/bad.out" "pam_approve: note: APPROVAL_AGENT had invalid UTF-8" "the cleaning is said"
long_cut=$(json .prompt)
# like the rest of a request's context (this one still pending), none of it changes once written
for set in "prompt = 'something else'" "initiator = 'human'" "ancestry = '[]'" "tty_attached = true"; do
	if sql "UPDATE approval.requests SET $set WHERE code = '$bcode'" >/dev/null 2>"$T/upd.err"; then
		fail "UPDATE ... SET $set was allowed"
	fi
	assert_file_contains "$T/upd.err" "context is immutable" "SET $set refused"
done
assert_eq "$long_cut" "$(req_field "$bcode" prompt)"
ok "reported and observed context are immutable in the database"
assert_rc 0 actl carol deny "$bcode"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied bad
ok "over-long and invalid UTF-8 values are cut or cleaned, with a note"

# A /proc entry the module cannot read: a non-dumpable parent's exe, seen
# from a user namespace without CAP_SYS_PTRACE over it (as with hidepid or
# a process that exited, the field stays empty and the note says why).
cat >"$T/hidden.sh" <<CHAIN
#!/bin/bash
python3 "$SRCDIR/tests/integration/renamed_parent.py" --nodump "$T/py2.pid" unshare -U -r "$REAL_PAMDRIVE" "\$@"
rc=\$?
exit \$rc
CHAIN
chmod 0755 "$T/hidden.sh"
if unshare -U -r true 2>/dev/null; then
	PAMDRIVE=$T/hidden.sh start_waiter hidden sudo-test
	PAMDRIVE=$REAL_PAMDRIVE
	hcode=$CODE
	read -r py2_pid _ <"$T/py2.pid"
	http GET "/v1/requests/$(req_field "$hcode" id)" --approver carol
	assert_json '.ancestry[1].pid' "$py2_pid"
	assert_json '.ancestry[1].exe' null "an unreadable executable is left empty"
	assert_match "$(json '.ancestry[1].argv')" "renamed_parent.py" "what could be read is kept"
	assert_contains "$(json .observed_note)" "pid $py2_pid: executable not readable (Permission denied)" "and the note says so"
	actl carol show "$hcode" >"$T/hidden.show"
	assert_file_contains "$T/hidden.show" "executable not readable" "approvalctl show says so"
	assert_rc 0 actl carol deny "$hcode"
	pamdrive_wait "$PAMDRIVE_PID" 20
	assert_pam_denied hidden
	ok "an unreadable /proc entry leaves the field empty and says so"
else
	note "unshare -U not available: the unreadable /proc case is not exercised"
fi
