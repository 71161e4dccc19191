#!/usr/bin/env bash
# notify_breakglass.sh: break-glass is loud. With webhook, Slack (bot) and
# Teams configured, through the real module, the real approvald and a
# local receiver speaking each protocol (tests/lib/notify_receiver.py):
#   - a request a breakglass rule lets in puts a 'breakglass' outbox row
#     per sink at once: the webhook gets a correctly signed event
#     "breakglass" (kind rule, who, as whom, host, command, reason, needs
#     review, the request), Slack a warning message without decision
#     buttons (a link to the request), Teams an Attention card; delivered
#     within seconds and audited notification.sent;
#   - notify=none on the rule: no row, nothing heard; notify=slack: Slack only;
#   - an offline code's use reported through POST /v1/breakglass/uses (no
#     request): the same three, kind offline, with the code id, no request,
#     a link to the web UI's review list; reported again, nothing more is sent;
#     control characters in it are markers in Slack (no control character,
#     no mrkdwn), raw but JSON-escaped in the webhook;
#   - the review closed (POST /v1/requests/ID/review, POST
#     /v1/breakglass/uses/BG-ID/review): the sinks that were told get
#     'breakglass_reviewed' (who, when, the comment); Slack updates the
#     message in place for both kinds (chat.update of the ts it was posted
#     with: the request's, or the offline use's, sql/024), no new message;
#   - a failing receiver: retried, in report_notification_failures, then
#     delivered once it answers;
#   - notify_escalation_sink: that sink hears every break-glass, also one
#     whose rule says notify=none; the database refuses a request-less row
#     that names no use.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/notify.sh"
need_root
notify_secrets
receiver_start
NOTIFY_CONF=(
	"notify_webhook_url=$RECV_URL/hook" "notify_webhook_secret_file=$T/webhook.secret"
	"notify_slack_token_file=$T/slack.token" notify_slack_channel=C0TEST
	"notify_slack_api_url=$RECV_URL/slack/api"
	"notify_teams_webhook_url=$RECV_URL/teams"
	notify_poll_ms=100 notify_retry_base_ms=200 notify_retry_max=1 notify_timeout=3
)
standard_setup "${NOTIFY_CONF[@]}"
for s in bg-all bg-quiet bg-slack; do pam_service "$s" --stack account reason=optional; done
assert_rc 0 actl_admin policy add 'breakglass service=bg-all'
assert_rc 0 actl_admin policy add 'breakglass service=bg-quiet notify=none'
assert_rc 0 actl_admin policy add 'breakglass service=bg-slack notify=slack'
assert_eq "breakglass service=bg-slack reason=required minlen=8 notify=slack" \
	"$(sql "SELECT rule FROM approval.policy_rules WHERE rule LIKE '%bg-slack%'")" "notify= on a breakglass rule"
ok "breakglass rules take notify="

# the sinks of CODE's (a request's code or a BG- id) breakglass rows, "a,b"
rows() { sql "SELECT coalesce(string_agg(o.sink, ',' ORDER BY o.sink), '') FROM approval.outbox o
	LEFT JOIN approval.requests r ON r.id = o.request_id
	WHERE o.event = 'breakglass' AND (r.code = '$1' OR o.breakglass_code_id = '$1')"; }
# the sinks the receiver heard about CODE from, "hook,slack,teams"
heard() { jq -r "select(.body | tostring | contains(\"$1\")) | .path | ltrimstr(\"/\") | split(\"/\")[0]" \
	"$T/recv.jsonl" | sort -u | paste -sd, -; }
drained() { [ "$(sql "SELECT count(*) FROM approval.outbox WHERE state <> 'sent'")" = 0 ]; }
jcheck() { jq -e "$1" <<<"$line" >/dev/null || fail "$2: $1 does not hold: $line"; }

# 1. a breakglass rule: every sink, at once
reason="primary db down, nobody on call answers"
t0=$(now_ms)
APPROVAL_REASON=$reason pamdrive_run all 10 --service bg-all --user alice --op account
assert_pam all PAM_SUCCESS
code=$(sql "SELECT code FROM approval.requests WHERE service = 'bg-all'")
id=$(req_field "$code" id)
assert_eq "slack,teams,webhook" "$(rows "$code")" "outbox rows of $code"
wait_recv 1 ".path == \"/hook\" and .body.event == \"breakglass\" and .body.breakglass.code == \"$code\"" 10
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body.text | contains(\"BREAK-GLASS\"))" 10
wait_recv 1 ".path == \"/teams\" and (.body | tostring | contains(\"$code\"))" 10
assert_le $(($(now_ms) - t0)) 8000 "ms until every sink heard of the break-glass"
line=$(recv_last ".path == \"/hook\" and .body.breakglass.code == \"$code\"")
w="webhook for $code"
jcheck '.sig_ok == true' "$w"
jcheck '.body.event == "breakglass" and .headers["x-approve-event"] == "breakglass"' "$w"
jcheck '.headers["idempotency-key"] == .body.idempotency_key' "$w"
jcheck ".body.breakglass.kind == \"rule\" and .body.breakglass.request_id == \"$id\"" "$w"
jcheck ".body.breakglass.user == \"$(id -un)\" and .body.breakglass.target_user == \"alice\"" "$w"
jcheck ".body.breakglass.host == \"web1\" and .body.breakglass.service == \"bg-all\"" "$w"
jcheck ".body.breakglass.reason == \"$reason\" and (.body.breakglass.command | length > 0)" "$w"
jcheck '(.body.breakglass.command_shown | length > 0) and (.body.breakglass.policy_rule | startswith("breakglass service=bg-all"))' "$w"
jcheck '.body.breakglass.needs_review == true and .body.breakglass.review == "needs review"' "$w"
jcheck "(.body.breakglass.url | endswith(\"/r/$code\")) and .body.request.code == \"$code\" and .body.request.status == \"approved\"" "$w"
ok "breakglass rule: a signed webhook event 'breakglass' saying who, as whom, where, what, why, and that it needs review"

line=$(recv_last ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"$code\"))")
w="Slack message for $code"
jcheck '.sig_ok == true and .body.channel == "C0TEST"' "$w"
jcheck '.body.blocks[0].type == "header" and (.body.blocks[0].text.text | test("^⚠ BREAK-GLASS: .* became alice on web1( [(][^)]*[)])? without approval"))' "$w"
jcheck '[.body.blocks[] | select(.type == "section") | .text.text // "" | select(contains("It needs review"))] | length == 1' "$w"
jcheck "[.body.blocks[] | .fields // [] | .[] | .text] | index(\"Reason: $reason\") != null" "$w"
jcheck '[.body.blocks[] | .text.text // "" | select(startswith("Command: "))] | length == 1' "$w"
jcheck '[.body.blocks[] | .elements // [] | .[] | .action_id] == ["open"]' "$w"
jcheck "[.body.blocks[] | .elements // [] | .[] | .url][0] | endswith(\"/r/$code\")" "$w"
jcheck '[.. | .type? // empty | select(. == "mrkdwn")] | length == 0' "$w"
ok "breakglass rule: Slack gets a warning message with no approve/deny buttons, a link to the request"

line=$(recv_last ".path == \"/teams\" and (.body | tostring | contains(\"$code\"))")
w="Teams card for $code"
jcheck '.body.attachments[0].content.type == "AdaptiveCard"' "$w"
jcheck '.body.attachments[0].content.body[0].inlines[0].color == "Attention" and (.body.attachments[0].content.body[0].inlines[0].text | startswith("BREAK-GLASS: "))' "$w"
jcheck "$TEAMS_JQ tfact(\"Reason\") == [\"$reason\"]" "$w"
jcheck "$TEAMS_JQ"' tfact("Review") == ["needs review"]' "$w"
jcheck "(.body.attachments[0].content.actions[0].url | endswith(\"/r/$code\"))" "$w"
ok "breakglass rule: Teams gets an Attention card with the facts and a link"
wait_until 20 drained || fail "the outbox was not drained"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'notification.sent' AND request_id = '$id' AND detail->>'event' = 'breakglass'")" "notification.sent audited per sink"

# 2. notify=none and notify=slack
APPROVAL_REASON="$reason, again" pamdrive_run quiet 10 --service bg-quiet --user alice --op account
assert_pam quiet PAM_SUCCESS
qcode=$(sql "SELECT code FROM approval.requests WHERE service = 'bg-quiet'")
APPROVAL_REASON="$reason, third time" pamdrive_run slk 10 --service bg-slack --user alice --op account
assert_pam slk PAM_SUCCESS
scode=$(sql "SELECT code FROM approval.requests WHERE service = 'bg-slack'")
assert_eq "" "$(rows "$qcode")" "notify=none: no outbox rows"
assert_eq slack "$(rows "$scode")" "notify=slack: its rows"
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"$scode\"))" 10
wait_until 20 drained || fail "the outbox was not drained"
sleep 1
assert_eq "" "$(heard "$qcode")" "the sinks that heard of $qcode"
assert_eq slack "$(heard "$scode")" "the sinks that heard of $scode"
ok "notify=none: nothing; notify=slack: Slack only"

# 3. an offline code's use
assert_rc 0 actl_admin breakglass issue web1 --count 3 --file "$T/bg.codes"
mapfile -t ids < <(grep -oE '^BG-[0-9A-Z]{8}' <<<"$LAST_OUT")
assert_eq 3 "${#ids[@]}" "three codes issued"
use() { printf '{"code_id":"%s","requester":"dave","target_user":"root","service":"sudo","command":"%s","digest":"%s","used_at":1700000000}' \
	"$1" "$2" "$(printf 'a%.0s' {1..64})"; }
http POST /v1/breakglass/uses --host web1 --json "$(use "${ids[0]}" "/usr/bin/systemctl restart postgresql")"
assert_status 201 "the use is recorded"
assert_eq "slack,teams,webhook" "$(rows "${ids[0]}")" "outbox rows of ${ids[0]}"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.outbox WHERE breakglass_code_id = '${ids[0]}' AND request_id IS NOT NULL")" "no request"
wait_recv 1 ".path == \"/hook\" and .body.breakglass.code == \"${ids[0]}\"" 10
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"${ids[0]}\"))" 10
wait_recv 1 ".path == \"/teams\" and (.body | tostring | contains(\"${ids[0]}\"))" 10
line=$(recv_last ".path == \"/hook\" and .body.breakglass.code == \"${ids[0]}\"")
w="webhook for ${ids[0]}"
jcheck '.sig_ok == true and .body.event == "breakglass" and .headers["x-approve-event"] == "breakglass"' "$w"
jcheck '.body.breakglass.kind == "offline" and .body.breakglass.request_id == null and .body.request == null' "$w"
jcheck '.body.breakglass.user == "dave" and .body.breakglass.target_user == "root" and .body.breakglass.host == "web1"' "$w"
jcheck '.body.breakglass.command == "/usr/bin/systemctl restart postgresql" and .body.breakglass.used_at == "2023-11-14T22:13:20.000000Z"' "$w"
jcheck '.body.breakglass.needs_review == true and .body.breakglass.url == "http://approvald.test/ui/breakglass"' "$w"
jcheck '(.body.breakglass.reported_at | length > 0) and (.body.breakglass.issued_by | length > 0)' "$w"
line=$(recv_last ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"${ids[0]}\"))")
w="Slack message for ${ids[0]}"
jcheck '.body.blocks[0].text.text == "⚠ BREAK-GLASS (offline code): dave became root on web1"' "$w"
jcheck '[.body.blocks[] | .elements // [] | .[] | .action_id] == ["open"]' "$w"
jcheck '[.body.blocks[] | .elements // [] | .[] | .url] == ["http://approvald.test/ui/breakglass"]' "$w"
jcheck '[.body.blocks[] | .text.text // "" | select(contains("while approvald was unreachable"))] | length == 1' "$w"
line=$(recv_last ".path == \"/teams\" and (.body | tostring | contains(\"${ids[0]}\"))")
w="Teams card for ${ids[0]}"
jcheck '.body.attachments[0].content.body[0].inlines[0].color == "Attention"' "$w"
jcheck "$TEAMS_JQ tfact(\"Code\") == [\"${ids[0]}\"]" "$w"
jcheck '.body.attachments[0].content.actions[0].title == "Review list"' "$w"
wait_until 20 drained || fail "the outbox was not drained"
n=$(wc -l <"$T/recv.jsonl")
http POST /v1/breakglass/uses --host web1 --json "$(use "${ids[0]}" "/usr/bin/systemctl restart postgresql")"
assert_status 200 "reported again"
sleep 1
assert_eq "$n" "$(wc -l <"$T/recv.jsonl")" "nothing more sent for a use reported again"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.outbox WHERE breakglass_code_id = '${ids[0]}'")" "still one row per sink"
ok "offline use: webhook, Slack and Teams hear of it at once (kind offline, the code id, no request), once"

# 3b. the review closed: the sinks that were told hear who closed it
slack_ts=$(sql "SELECT m.ts FROM approval.slack_messages m JOIN approval.requests r ON r.id = m.request_id WHERE r.code = '$code'")
[ -n "$slack_ts" ] || fail "the Slack message of $code is not remembered"
http POST "/v1/requests/$code/review" --approver carol --json '{"comment": "checked: failover runbook step 3"}'
assert_status 200 "review of $code"
assert_eq "slack,teams,webhook" "$(sql "SELECT string_agg(o.sink, ',' ORDER BY o.sink) FROM approval.outbox o JOIN approval.requests r ON r.id = o.request_id WHERE r.code = '$code' AND o.event = 'breakglass_reviewed'")" "review rows of $code"
wait_recv 1 ".path == \"/hook\" and .body.event == \"breakglass_reviewed\" and .body.breakglass.code == \"$code\"" 10
wait_recv 1 ".path == \"/slack/api/chat.update\" and .body.ts == \"$slack_ts\"" 10
wait_recv 2 ".path == \"/teams\" and (.body | tostring | contains(\"$code\"))" 10
line=$(recv_last ".path == \"/hook\" and .body.event == \"breakglass_reviewed\" and .body.breakglass.code == \"$code\"")
w="review webhook for $code"
jcheck '.sig_ok == true and .headers["x-approve-event"] == "breakglass_reviewed"' "$w"
jcheck '.body.breakglass.review == "closed" and .body.breakglass.needs_review == false' "$w"
jcheck '.body.breakglass.reviewed_by == "carol" and .body.breakglass.review_comment == "checked: failover runbook step 3"' "$w"
line=$(recv_last ".path == \"/slack/api/chat.update\" and .body.ts == \"$slack_ts\"")
w="Slack update for $code"
jcheck '.body.blocks[0].text.text | startswith("✔ Break-glass reviewed: ")' "$w"
jcheck '[.body.blocks[] | .text.text // "" | select(contains("closed by carol"))] | length == 1' "$w"
jcheck '[.body.blocks[] | .elements // [] | .[] | .action_id] == ["open"]' "$w"
line=$(recv_last ".path == \"/teams\" and (.body | tostring | contains(\"$code\"))")
jcheck '.body.attachments[0].content.body[0].inlines[0].color == "Good"' "Teams card for the review of $code"
off_ts=$(sql "SELECT ts FROM approval.breakglass_slack_messages WHERE code_id = '${ids[0]}' AND sink = 'slack'")
[ -n "$off_ts" ] || fail "the Slack message of ${ids[0]} is not remembered"
off_ch=$(sql "SELECT channel FROM approval.breakglass_slack_messages WHERE code_id = '${ids[0]}' AND sink = 'slack'")
assert_eq C0TEST "$off_ch" "the channel it was posted in"
http POST "/v1/breakglass/uses/${ids[0]}/review" --approver carol --json '{"comment": "db outage, checked"}'
assert_status 200 "review of ${ids[0]} through the API"
wait_recv 1 ".path == \"/hook\" and .body.event == \"breakglass_reviewed\" and .body.breakglass.code == \"${ids[0]}\"" 10
wait_recv 1 ".path == \"/slack/api/chat.update\" and .body.ts == \"$off_ts\"" 10
wait_recv 2 ".path == \"/teams\" and (.body | tostring | contains(\"${ids[0]}\"))" 10
line=$(recv_last ".path == \"/slack/api/chat.update\" and .body.ts == \"$off_ts\"")
w="Slack update for ${ids[0]}"
jcheck ".body.channel == \"$off_ch\"" "$w"
jcheck '.body.blocks[0].text.text == "✔ Break-glass reviewed: dave became root on web1"' "$w"
jcheck '[.body.blocks[] | .text.text // "" | select(contains("(offline code) was reviewed and closed by carol"))] | length == 1' "$w"
jcheck '[.body.blocks[] | .elements // [] | .[] | .url] == ["http://approvald.test/ui/breakglass"]' "$w"
assert_eq 1 "$(recv_count ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"${ids[0]}\"))")" \
	"Slack messages posted about ${ids[0]} (the review updated it, no new one)"
line=$(recv_last ".path == \"/hook\" and .body.event == \"breakglass_reviewed\" and .body.breakglass.code == \"${ids[0]}\"")
w="review webhook for ${ids[0]}"
jcheck '.sig_ok == true and .body.breakglass.kind == "offline" and .body.breakglass.review == "closed"' "$w"
jcheck '.body.breakglass.reviewed_by == "carol" and .body.breakglass.review_comment == "db outage, checked"' "$w"
wait_until 20 drained || fail "the outbox was not drained"
ok "a review closed: the same sinks hear who closed it (Slack updates its message in place, both kinds)"

# 3c. hostile text in a reported use reaches chat only as display text
http POST /v1/breakglass/uses --host web1 --json "$(use "${ids[2]}" 'rm -rf /data\u001b]0;owned\u0007 <!channel>')"
assert_status 201 "a use with control characters in its command"
wait_recv 1 ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"${ids[2]}\"))" 10
wait_recv 1 ".path == \"/hook\" and .body.breakglass.code == \"${ids[2]}\"" 10
line=$(recv_last ".path == \"/slack/api/chat.postMessage\" and (.body | tostring | contains(\"${ids[2]}\"))")
jcheck '[.body.blocks[] | .text.text // "" | select(startswith("Command: "))][0] | contains("<U+001B>]0;owned<U+0007>")' "Slack, hostile command"
jcheck '[.. | strings | select(test("[\u0000-\u001f]"))] | length == 0' "Slack, no control character anywhere"
jcheck '[.. | .type? // empty | select(. == "mrkdwn")] | length == 0' "Slack, plain_text only"
line=$(recv_last ".path == \"/hook\" and .body.breakglass.code == \"${ids[2]}\"")
jcheck '.sig_ok == true and (.body.breakglass.command | contains("\u001b")) and (.body.breakglass.command_shown | contains("<U+001B>"))' "webhook, hostile command"
wait_until 20 drained || fail "the outbox was not drained"
ok "control characters in a reported use are markers in Slack, raw (JSON-escaped) in the webhook"

# 4. a failing receiver: retried, reported, then delivered
receiver_stop
http POST /v1/breakglass/uses --host web1 --json "$(use "${ids[1]}" "/bin/sh")"
assert_status 201
att_ge() { [ "$(sql "SELECT coalesce(min(attempts), 0) FROM approval.outbox WHERE breakglass_code_id = '${ids[1]}'")" -ge "$1" ]; }
wait_until 20 att_ge 2 || fail "no retries: $(sql "SELECT sink, attempts, state, last_error FROM approval.outbox WHERE breakglass_code_id = '${ids[1]}'")"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.outbox WHERE breakglass_code_id = '${ids[1]}' AND state <> 'pending'")" "still pending while failing"
assert_eq "slack,teams,webhook" "$(sql "SELECT string_agg(sink, ',' ORDER BY sink) FROM approval.report_notification_failures WHERE failed_attempts >= 2")" "report_notification_failures"
receiver_start "$RECV_PORT"
wait_until 30 drained || fail "not delivered after the receiver came back"
assert_eq "hook,slack,teams" "$(heard "${ids[1]}")" "the sinks that heard of ${ids[1]}"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'notification.sent' AND detail->>'event' = 'breakglass' AND (detail->>'attempts')::int >= 2")" "delivered later, audited"
ok "a failing receiver: retried, in report_notification_failures, delivered once it answers"

# 5. the escalation sink hears every break-glass
approvald_stop
approvald_start "${NOTIFY_CONF[@]}" notify_escalation_sink=teams
wait_until 10 test "$(sql "SELECT string_agg(name, ',') FROM approval.notify_sinks WHERE escalation")" = teams ||
	fail "the escalation sink is not marked"
APPROVAL_REASON="$reason, fourth time" pamdrive_run quiet2 10 --service bg-quiet --user alice --op account
assert_pam quiet2 PAM_SUCCESS
q2=$(sql "SELECT code FROM approval.requests WHERE service = 'bg-quiet' AND code <> '$qcode'")
assert_eq teams "$(rows "$q2")" "notify=none with an escalation sink: that sink only"
wait_recv 1 ".path == \"/teams\" and (.body | tostring | contains(\"$q2\"))" 10
ok "notify_escalation_sink hears every break-glass, whatever the rule's notify= says"

if sql "INSERT INTO approval.outbox (sink, event, payload) VALUES ('webhook', 'breakglass', '{}')" >/dev/null 2>"$T/sql.err"; then
	fail "a request-less breakglass row naming no use was accepted"
fi
assert_file_contains "$T/sql.err" "outbox_subject_check"
ok "the database refuses a request-less break-glass row that names no use"
finish
