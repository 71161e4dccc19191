#!/usr/bin/env bash
# notify_slack.sh: Slack and Teams, with a local receiver speaking their
# public protocols (Web API chat.postMessage / chat.update / views.open,
# response_url, a Teams Workflows webhook), and approval inside Slack
# through POST /v1/integrations/slack/actions, all with the real module
# waiting on its request:
#   - a request is posted as a Block Kit message with Approve and Deny
#     buttons carrying its id and a link to its page; a Teams Adaptive
#     Card with an Action.OpenUrl;
#   - Slack actions with a forged and with a stale signature are 401 and
#     change nothing; an unmapped Slack user is told they are not an
#     approver; the requester's own Slack account cannot approve (refused
#     and recorded); a mapped approver approves, the module is released,
#     and the message is updated in place (same ts) with who approved and
#     no buttons; a second click on the final request changes nothing;
#   - a decision made elsewhere (the API, as the web UI) updates the
#     message too;
#   - Deny opens a modal for the comment; its submission denies with the
#     comment, which reaches the requester;
#   - the Slack identity behind each decision is in the audit log;
#   - every rule still applies from Slack: on a 2-of-dba rule the first
#     approval counts (the module keeps waiting), a second one by the same
#     approver is refused, another member's completes it; on a chat=no
#     rule the message has no buttons and a click is answered with the
#     link to the web UI, changing nothing;
#   - the waiting requester is told who was notified (Slack, Teams);
#   - chat messages show a command by the approvers' display rules (line
#     breaks as markers with the line count, the tail never cut off) and
#     what an agent reported about itself, labelled unverified, in Slack
#     and in Teams.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/notify.sh"
need_root
notify_secrets
receiver_start
standard_setup \
	"notify_slack_token_file=$T/slack.token" notify_slack_channel=C0TEST \
	"notify_slack_api_url=$RECV_URL/slack/api" \
	"notify_slack_signing_secret_file=$T/slack.signing" \
	"notify_slack_response_url_prefix=$RECV_URL/slack/response/" \
	"notify_teams_webhook_url=$RECV_URL/teams" \
	notify_poll_ms=100 notify_retry_base_ms=200 notify_retry_max=1
pam_service sudo-test --stack account
me=$(id -un)
# dave decides from Slack; the requester (this user) has a Slack account
# mapped to an approver whose unix login is the requester's own
actl_admin approver add dave --unix-login dave --slack-user UDAVE >/dev/null 2>>"$T/admin.log"
actl_admin approver add selfie --unix-login "$me" --slack-user USELF >/dev/null 2>>"$T/admin.log"
assert_eq UDAVE "$(sql "SELECT slack_user FROM approval.approvers WHERE login = 'dave'")" "--slack-user stored"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'approver.slack_user' AND subject = 'dave'")" \
	"the Slack mapping is audited"
ACTIONS=$APPROVALD_URL/v1/integrations/slack/actions
slack() { # ARGS for notify_receiver.py slack-action; sets SL_STATUS, SL_BODY
	local out
	out=$(python3 "$RECV_PY" slack-action --url "$ACTIONS" --secret-file "$T/slack.signing" "$@")
	SL_STATUS=$(head -n 1 <<<"$out")
	SL_BODY=$(tail -n +2 <<<"$out")
}
replies() { recv_count ".path == \"/slack/response/$1\""; }

# 1. The posted message.
start_waiter w1 sudo-test
code=$CODE
id=$(req_field "$code" id)
post=".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"$code\"))"
wait_recv 1 "$post"
line=$(recv_last "$post")
jcheck() { jq -e "$1" <<<"$line" >/dev/null || fail "$2: $1 does not hold: $line"; }
jcheck '.sig_ok == true and .body.channel == "C0TEST"' "chat.postMessage with the bot token"
slack_pending_ok "$line" "$code" "$id" "$me"
ok "a request is posted to Slack as Block Kit with Approve, Deny and a link"
ts=$(sql "SELECT ts FROM approval.slack_messages m JOIN approval.requests r ON r.id = m.request_id WHERE r.code = '$code'")
[ -n "$ts" ] || fail "the posted message's ts was not remembered"
wait_recv 1 ".path == \"/teams\" and (.body.attachments[0].content.body[0] | tostring | contains(\"$code\"))"
line=$(recv_last ".path == \"/teams\"")
jcheck '.body.type == "message" and .body.attachments[0].contentType == "application/vnd.microsoft.card.adaptive"' "Teams message"
jcheck '.body.attachments[0].content.type == "AdaptiveCard" and (.body.attachments[0].content.body[1].type == "Container")' "Adaptive Card"
jcheck ".body.attachments[0].content.actions[0].type == \"Action.OpenUrl\" and (.body.attachments[0].content.actions[0].url | endswith(\"/r/$code\"))" "open-URL action"
ok "a request is posted to Teams as an Adaptive Card with an open-URL action"

# 2. Forged and stale signatures: 401, nothing changes.
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/forged" --forge
assert_eq 401 "$SL_STATUS" "forged signature"
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/stale" --skew -400
assert_eq 401 "$SL_STATUS" "stale signature (400 s old)"
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/future" --skew 400
assert_eq 401 "$SL_STATUS" "timestamp 400 s ahead"
assert_eq pending "$(req_status "$code")" "status after forged and stale actions"
sleep 1
assert_eq 0 "$(( $(replies forged) + $(replies stale) + $(replies future) ))" "replies to refused actions"
ok "forged and stale Slack signatures are refused and change nothing"

# 3. An unmapped Slack user.
slack --user UNOBODY --action approve --value "$id" --response-url "$RECV_URL/slack/response/unmapped"
assert_eq 200 "$SL_STATUS" "unmapped user's action"
wait_recv 1 '.path == "/slack/response/unmapped"'
line=$(recv_last '.path == "/slack/response/unmapped"')
jcheck '.body.response_type == "ephemeral" and (.body.text | contains("not an approver")) and (.body.text | contains("--slack-user UNOBODY"))' "unmapped reply"
assert_eq pending "$(req_status "$code")" "status after an unmapped user's click"
# mapped, but to an auditor (may read, never decide): the same answer
actl_admin approver add audrey --role auditor --slack-user UAUDREY >/dev/null 2>>"$T/admin.log"
slack --user UAUDREY --action approve --value "$id" --response-url "$RECV_URL/slack/response/auditor"
wait_recv 1 '.path == "/slack/response/auditor"'
line=$(recv_last '.path == "/slack/response/auditor"')
jcheck '.body.text | contains("not an approver")' "auditor reply"
assert_eq pending "$(req_status "$code")" "status after an auditor's click"
ok "an unmapped Slack user, or one mapped to an auditor, is told they are not an approver"

# 4. Self-approval from Slack.
slack --user USELF --action approve --value "$id" --response-url "$RECV_URL/slack/response/self"
assert_eq 200 "$SL_STATUS" "self-approval action"
wait_recv 1 '.path == "/slack/response/self"'
line=$(recv_last '.path == "/slack/response/self"')
jcheck '.body.text | contains("may not decide your own request")' "self-approval reply"
assert_eq pending "$(req_status "$code")" "status after self-approval from Slack"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.request_events WHERE request_id = '$id' AND kind = 'self_approval_refused' AND actor = 'selfie'")" \
	"self-approval attempt recorded"
ok "the requester cannot approve their own request from Slack (refused, recorded)"

# 5. A mapped approver approves; the message is updated in place.
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/dave"
assert_eq 200 "$SL_STATUS" "dave's approval"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam w1 PAM_SUCCESS
assert_file_contains "$T/w1.out" "Approvers were notified: Slack, Teams\.$" \
	"the requester's terminal says who was notified"
assert_file_contains "$T/w1.out" "pam_approve: notified slack,teams$" "the stable notified line"
assert_eq 1 "$(grep -c 'pam_approve: notified' "$T/w1.out")" "notified lines"
ok "the requester is told which sinks approvers were notified through"
assert_eq dave "$(sql "SELECT a.login FROM approval.requests r JOIN approval.approvers a ON a.id = r.decided_by WHERE r.code = '$code'")" "decided_by"
wait_recv 1 '.path == "/slack/response/dave"'
line=$(recv_last '.path == "/slack/response/dave"')
jcheck ".body.text == \"You approved $code as dave.\"" "dave's reply"
upd=".path == \"/slack/api/chat.update\" and .body.ts == \"$ts\""
wait_recv 1 "$upd"
line=$(recv_last "$upd")
jcheck '.body.channel == "C0TEST"' "chat.update channel"
jcheck "[.body.blocks[] | .. | strings] | any(contains(\"approved by dave\"))" "outcome says who"
jcheck '[.body.blocks[] | select(.type == "actions") | .elements[] | select(.action_id == "approve" or .action_id == "deny")] | length == 0' "buttons gone"
ok "approved from Slack: the module continues and the message is updated in place"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'daemon.slack_action' AND request_id = '$id' AND detail->>'slack_user' = 'UDAVE' AND detail->>'outcome' = 'decided'")" \
	"the Slack identity of the decision in the audit log"
wait_recv 1 ".path == \"/teams\" and (.body.attachments[0].content.body[0] | tostring | contains(\"approved by dave\"))"
ok "Teams gets the outcome as a follow-up card"

# a second click on the final request
slack --user UDAVE --action deny --value "$id" --response-url "$RECV_URL/slack/response/again"
wait_recv 1 '.path == "/slack/response/again"'
line=$(recv_last '.path == "/slack/response/again"')
jcheck '.body.text | contains("final already")' "a click on a final request"
assert_eq approved "$(req_status "$code")" "status after a click on a final request"
ok "a final request is refused from Slack"

# mapping an existing approver, and unmapping
assert_rc 0 actl_admin approver slack carol UCAROL
assert_eq UCAROL "$(sql "SELECT slack_user FROM approval.approvers WHERE login = 'carol'")" "approver slack maps"
assert_rc 1 actl_admin approver slack carol UDAVE	# dave's already
assert_rc 0 actl_admin approver slack carol
assert_eq "" "$(sql "SELECT slack_user FROM approval.approvers WHERE login = 'carol'")" "approver slack unmaps"
assert_rc 2 actl_admin approver slack carol u-bad

# 6. A decision elsewhere (the API the web UI uses) updates the message.
start_waiter w2 sudo-test
code=$CODE
id=$(req_field "$code" id)
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"$code\"))"
wait_until 10 test -n "$(sql "SELECT ts FROM approval.slack_messages m WHERE m.request_id = '$id'")" || true
ts=$(sql "SELECT ts FROM approval.slack_messages m WHERE m.request_id = '$id'")
http POST "/v1/requests/$code/approve" --approver carol --json '{"comment":"from the web"}'
assert_status 200 "approve through the API"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam w2 PAM_SUCCESS
upd=".path == \"/slack/api/chat.update\" and .body.ts == \"$ts\""
wait_recv 1 "$upd"
line=$(recv_last "$upd")
jcheck "[.body.blocks[] | .. | strings] | any(contains(\"approved by carol\"))" "outcome after a web decision"
ok "a decision in the web UI updates the Slack message in place"

# 7. Deny asks for a comment in a modal; the comment reaches the requester.
start_waiter w3 sudo-test
code=$CODE
id=$(req_field "$code" id)
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"$code\"))"
slack --user UDAVE --action deny --value "$id" --trigger-id 12345.98765.abcd --response-url "$RECV_URL/slack/response/deny"
assert_eq 200 "$SL_STATUS" "deny click"
wait_recv 1 '.path == "/slack/api/views.open"'
line=$(recv_last '.path == "/slack/api/views.open"')
jcheck ".body.trigger_id == \"12345.98765.abcd\" and .body.view.type == \"modal\" and .body.view.private_metadata == \"$id\"" "views.open"
assert_eq pending "$(req_status "$code")" "status while the modal is open"
out=$(python3 "$RECV_PY" slack-submit --url "$ACTIONS" --secret-file "$T/slack.signing" --user UDAVE --value "$id" --comment "not during the freeze")
assert_eq 200 "$(head -n 1 <<<"$out")" "modal submission"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied w3
assert_file_contains "$T/w3.out" "not during the freeze" "the deny comment reaches the requester"
assert_eq denied "$(req_status "$code")"
ok "deny from Slack asks for a comment that reaches the requester"

# 8. Rules from Slack: 2 of dba, and chat=no.
assert_rc 0 actl_admin group add dba
assert_rc 0 actl_admin group member add dba dave
assert_rc 0 actl_admin group member add dba carol
assert_rc 0 actl_admin approver slack carol UCAROL
assert_rc 0 actl_admin policy add 'require approvers=dba:2 service=two-slack'
assert_rc 0 actl_admin policy add 'require chat=no service=web-only'
pam_service two-slack --stack account
pam_service web-only --stack account
start_waiter q two-slack
code=$CODE
id=$(req_field "$code" id)
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"$code\"))"
said() { # RESPONSE-NAME TEXT: the ephemeral reply contains TEXT
	wait_recv 1 ".path == \"/slack/response/$1\""
	line=$(recv_last ".path == \"/slack/response/$1\"")
	jcheck ".body.text | contains(\"$2\")" "reply $1"
}
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/q1"
said q1 "counted"
assert_eq pending "$(req_status "$code")" "2 of dba after dave's approval"
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/q2"
said q2 "approved $code already"
assert_eq pending "$(req_status "$code")" "2 of dba after dave's second click"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.approvals p WHERE p.request_id = '$id'")" "approvals counted"
slack --user UCAROL --action approve --value "$id" --response-url "$RECV_URL/slack/response/q3"
said q3 "You approved $code as carol."
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam q PAM_SUCCESS
assert_file_contains "$T/q.out" "1 of 2" "the waiting module was told 1 of 2"
ok "2 of dba from Slack: one approval counted, the same approver's second refused, another member's completes it"

start_waiter c web-only
code=$CODE
id=$(req_field "$code" id)
post=".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"$code\"))"
wait_recv 1 "$post"
line=$(recv_last "$post")
jcheck '[.body.blocks[] | select(.type == "actions") | .elements[] | select(.action_id == "approve" or .action_id == "deny")] | length == 0' "no buttons on a chat=no request"
slack --user UDAVE --action approve --value "$id" --response-url "$RECV_URL/slack/response/c1"
said c1 "must be decided in the web UI"
assert_eq pending "$(req_status "$code")" "a chat=no request after a Slack click"
http POST "/v1/requests/$code/approve" --approver carol --json '{}'
assert_status 200 "chat=no: approved in the web UI"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam c PAM_SUCCESS
ok "chat=no: no buttons, a click is sent to the web UI and changes nothing"

# 9. A hostile command and an agent's context, in Slack and in Teams.
long=$(printf 'a%.0s' $(seq 1 900))
api_create web1 ".command = \"sudo systemctl status nginx\" + (\"\\n\" * 40) + \"$long rm -rf --no-preserve-root /\" | .sudo_command = null | .agent = \"ci-bot 1.2\" | .prompt = \"clean the disk\" | .commit = \"abc123\""
code=$REQ_CODE
post=".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"$code\"))"
wait_recv 1 "$post"
line=$(recv_last "$post")
jcheck '[.body.blocks[] | .. | strings | select(startswith("Command: "))] | length == 1' "one command line"
jcheck '[.body.blocks[] | .. | strings | select(startswith("Command: "))][0] | (contains("nginx\u23ce\u00d740") and contains("rm -rf --no-preserve-root /") and contains("(command has 41 lines)") and contains(" \u2026 "))' "command markers, head and tail"
jcheck '[.body.blocks[] | .. | strings | select(startswith("Reported by the requester (unverified):"))][0] | (contains("Initiator: agent") and contains("Agent: ci-bot 1.2") and contains("Prompt: clean the disk") and contains("Commit: abc123"))' "reported agent context"
teams=".path == \"/teams\" and ([.body.attachments[0].content.body[] | .. | strings] | any(contains(\"$code\")))"
wait_recv 1 "$teams"
line=$(recv_last "$teams")
jcheck "$TEAMS_JQ"' tfact("Command")[0] | (contains("(command has 41 lines)") and contains("rm -rf --no-preserve-root /"))' "Teams command"
jcheck "$TEAMS_JQ"' tfact("Reported (unverified)")[0] | contains("Agent: ci-bot 1.2")' "Teams reported context"
ok "chat messages: a 41-line command shown with markers and its tail, the agent's reported context labelled unverified (Slack and Teams)"

# 10. Markdown in a requester's text: Teams renders markdown in TextBlock
# text and in FactSet titles and values, so "_x_" would hide the
# underscores and "[..](..)" become a link. The card has neither; every
# piece of the request is a plain TextRun, shown as typed.
api_create web1 '.command = "chmod 0777 /etc/_shadow_ **now**" | .sudo_command = null | .reason = "[approved by security](https://evil.example/) per _policy_"'
code=$REQ_CODE
teams=".path == \"/teams\" and (.body | tostring | contains(\"$code\"))"
wait_recv 1 "$teams"
line=$(recv_last "$teams")
jcheck '[.. | objects | select(.type? == "TextBlock" or .type? == "FactSet")] | length == 0' "Teams card: no markdown-rendering element"
jcheck '[.. | objects | select(.type? == "RichTextBlock") | .inlines[] | .type] | all(. == "TextRun")' "Teams card: text runs only"
jcheck "$TEAMS_JQ"' tfact("Reason") == ["[approved by security](https://evil.example/) per _policy_"]' "Teams reason verbatim"
jcheck "$TEAMS_JQ"' tfact("Command")[0] | contains("/etc/_shadow_ **now**")' "Teams command verbatim"
ok "Teams: markdown in a requester's text is shown as typed, never rendered"
assert_rc 0 actl_admin audit verify
finish
