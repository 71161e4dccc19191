#!/usr/bin/env bash
# notify_slack_webhook.sh: Slack through an incoming webhook
# (notify_slack_webhook_url, no bot token), with a local receiver speaking
# Slack's incoming-webhook protocol (a JSON POST with text and blocks to
# the webhook's URL, answered 200 "ok"; a payload without text or blocks
# 400 "invalid_payload"), with the real module waiting on its request:
#   - a request is posted to the webhook's URL as JSON: the fallback text
#     and a Block Kit header naming it, the context as plain_text (no
#     mrkdwn), Approve and Deny buttons carrying its id and a link to its
#     page; no bot token and no channel are sent (the webhook fixes the
#     channel); the requester is told Slack was notified;
#   - its outcome, which an incoming webhook cannot update in place, is a
#     new message saying who approved; the Web API is never called and no
#     message ts is remembered;
#   - each delivery is recorded (outbox_attempts with HTTP 200,
#     notification.sent in the audit log);
#   - a webhook answering 500 rollup_error is retried with backoff, each
#     failed attempt recorded with its status and error, and delivered
#     once when it answers "ok" again;
#   - a webhook answering 404 no_service (revoked) fails for good at once:
#     notification.failed in the audit log, counted in /metrics.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/notify.sh"
need_root
notify_secrets
receiver_start
HOOK_PATH=/slack/incoming/T0TEST/B0TEST/x9Hq2Rk7
standard_setup "notify_slack_webhook_url=$RECV_URL$HOOK_PATH" \
	notify_poll_ms=100 notify_retry_base_ms=200 notify_retry_max=1 notify_timeout=3
pam_service sudo-test --stack account
me=$(id -un)
hook=".path == \"$HOOK_PATH\""
outbox() { sql "SELECT $1 FROM approval.outbox o JOIN approval.requests r ON r.id = o.request_id WHERE r.code = '$2' ${3:-}"; }
attempts_ge() { [ "$(outbox "coalesce(max(o.attempts), 0)" "$1")" -ge "$2" ]; }
state_is() { [ "$(outbox "o.state" "$1")" = "$2" ]; }

# 1. The posted message.
start_waiter w1 sudo-test
code=$CODE
id=$(req_field "$code" id)
post="$hook and .status == 200 and (.body.text | contains(\"$code\"))"
wait_recv 1 "$post"
line=$(recv_last "$post")
jcheck() { jq -e "$1" <<<"$line" >/dev/null || fail "$2: $1 does not hold: $line"; }
jcheck '.headers["content-type"] | startswith("application/json")' "a JSON POST"
jcheck '.headers | has("authorization") | not' "no bot token sent"
jcheck '.body | has("channel") | not' "no channel (the webhook fixes it)"
jcheck ".body.text | contains(\"approval $code: $me as alice\")" "fallback text"
jcheck "[.body.blocks[] | .fields[]?.text] | any(. == \"Service: sudo-test\")" "service field"
slack_pending_ok "$line" "$code" "$id" "$me"
ok "a request is posted to the incoming webhook as JSON text and Block Kit with buttons and a link"
wait_for_line "$T/w1.out" "Approvers were notified: Slack\." 10 >/dev/null
assert_file_contains "$T/w1.out" "pam_approve: notified slack$" "the stable notified line"

# 2. The outcome: a new message, never an update; each delivery recorded.
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam w1 PAM_SUCCESS
outcome="$hook and .status == 200 and ([.body.blocks[] | .. | strings] | any(contains(\"$code approved by carol\")))"
wait_recv 1 "$outcome"
line=$(recv_last "$outcome")
jcheck '[.body.blocks[] | select(.type == "actions") | .elements[] | select(.action_id == "approve" or .action_id == "deny")] | length == 0' "no buttons on the outcome"
assert_eq 2 "$(recv_count "$hook and (.body.text | contains(\"$code\"))")" "messages to the webhook for $code"
assert_eq 0 "$(recv_count '.path | startswith("/slack/api/")')" "Web API calls"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.slack_messages")" "message ts remembered"
assert_eq 2 "$(outbox "count(*)" "$code" "AND o.state = 'sent' AND o.sink = 'slack'")" "outbox rows sent for $code"
assert_eq "2|2" "$(sql "SELECT count(*) FILTER (WHERE a.ok), count(*) FILTER (WHERE a.http_status = 200) FROM approval.outbox_attempts a
	JOIN approval.outbox o ON o.id = a.outbox_id WHERE o.request_id = '$id'")" "attempts recorded, ok with HTTP 200"
assert_eq 2 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'notification.sent' AND request_id = '$id' AND subject = 'slack'")" \
	"notification.sent audit events for $code"
ok "the outcome is a new message saying who approved; every delivery recorded"

# 3. A webhook answering 500 rollup_error: retried, then delivered once.
echo "500 rollup_error" >"$T/slack_incoming.answer"
api_create web1
code=$REQ_CODE
wait_until 20 attempts_ge "$code" 3 || fail "no retries recorded while the webhook answered 500"
assert_eq pending "$(outbox "o.state" "$code")" "state while the webhook fails"
assert_le 2 "$(sql "SELECT count(*) FROM approval.outbox_attempts a JOIN approval.outbox o ON o.id = a.outbox_id
	WHERE o.request_id = '$REQ_ID' AND NOT a.ok AND a.http_status = 500 AND a.error = 'HTTP 500'")" \
	"failed attempts recorded with their status and error"
assert_le 2 "$(recv_count "$hook and .status == 500 and (.body.text | contains(\"$code\"))")" "500 answers the receiver gave"
rm -f "$T/slack_incoming.answer"
wait_until 20 state_is "$code" sent || fail "the notification of $code was not delivered once the webhook answered ok"
assert_eq 1 "$(recv_count "$hook and .status == 200 and (.body.text | contains(\"$code\"))")" "deliveries of $code after the webhook recovered"
assert_le 1 "$(metric approvald_notification_retries_total)" "retries counted in /metrics"
ok "a webhook answering 500 is retried with backoff, every attempt recorded, and delivered once"

# 4. A revoked webhook (404 no_service): failed for good at once, audited.
echo "404 no_service" >"$T/slack_incoming.answer"
api_create web1
code=$REQ_CODE
wait_until 20 state_is "$code" failed || fail "the notification of $code to a revoked webhook did not fail"
assert_eq 1 "$(outbox "max(o.attempts)" "$code")" "attempts before giving up on a 404"
assert_eq "HTTP 404" "$(outbox "o.last_error" "$code")" "the row's last error"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'notification.failed' AND request_id = '$REQ_ID' AND subject = 'slack'")" \
	"notification.failed audit event"
assert_le 1 "$(metric approvald_notifications_given_up_total)" "given up counted in /metrics"
rm -f "$T/slack_incoming.answer"
ok "a revoked webhook (404 no_service) fails for good at once and is audited"
assert_rc 0 actl_admin audit verify
finish
