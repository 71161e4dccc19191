#!/usr/bin/env bash
# notify_per_rule.sh: sinks per policy rule (notify=), with webhook, Slack
# and Teams configured and the real module waiting on each request:
#   - a rule with notify=slack,teams, one with notify=webhook and one with
#     notify=none: each request gets outbox rows, and the receiver
#     messages, only for its rule's sinks, at creation and at its
#     approval; a request no rule names (the default) reaches every sink;
#   - the module tells the requester exactly those sinks (nothing for
#     notify=none);
#   - reminders and expiries go to the rule's sinks only;
#   - a request's sinks are fixed: changing them afterwards is refused;
#   - notify= is refused on an allow rule and for an unknown sink.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/notify.sh"
need_root
notify_secrets
receiver_start
standard_setup \
	"notify_webhook_url=$RECV_URL/hook" "notify_webhook_secret_file=$T/webhook.secret" \
	"notify_slack_token_file=$T/slack.token" notify_slack_channel=C0TEST \
	"notify_slack_api_url=$RECV_URL/slack/api" \
	"notify_teams_webhook_url=$RECV_URL/teams" \
	notify_poll_ms=100 notify_retry_base_ms=200 notify_retry_max=1 notify_remind_before=4
for s in sudo-chat sudo-hook sudo-quiet sudo-any sudo-remind sudo-hush; do pam_service "$s" --stack account; done
assert_rc 0 actl_admin policy add 'require service=sudo-chat notify=teams,slack'
assert_rc 0 actl_admin policy add 'require service=sudo-hook notify=webhook'
assert_rc 0 actl_admin policy add 'require service=sudo-quiet notify=none'
assert_rc 0 actl_admin policy add 'require service=sudo-remind ttl=10s notify=teams'
assert_rc 0 actl_admin policy add 'require service=sudo-hush ttl=10s notify=none'
assert_rc 0 actl_admin policy list
assert_contains "$LAST_OUT" "notify=slack,teams" "the canonical rule text"
assert_rc 2 actl_admin policy add 'allow service=x notify=slack'
assert_contains "$LAST_OUT" "notify belongs to require" "notify= on an allow rule"
assert_rc 2 actl_admin policy add 'require service=x notify=slack,email'
assert_contains "$LAST_OUT" "none or a list" "an unknown sink"
ok "notify= is stored in canonical form and refused where it means nothing"

# the kinds of the outbox rows of request CODE for EVENT, "a,b"
rows() { sql "SELECT coalesce(string_agg(o.sink, ',' ORDER BY o.sink), '') FROM approval.outbox o
	JOIN approval.requests r ON r.id = o.request_id WHERE r.code = '$1' AND o.event = '$2'"; }
# the sinks the receiver heard about CODE from, "hook,slack,teams"
heard() { jq -r "select(.body | tostring | contains(\"$1\")) | .path | ltrimstr(\"/\") | split(\"/\")[0]" \
	"$T/recv.jsonl" | sort -u | paste -sd, -; }
drained() { [ "$(sql "SELECT count(*) FROM approval.outbox WHERE state <> 'sent'")" = 0 ]; }

assert_refused_sql() { # SQL WHAT: refused as an immutable context
	if sql "$1" >/dev/null 2>"$T/sql.err"; then fail "$2: accepted: $1"; fi
	assert_file_contains "$T/sql.err" "immutable" "$2: $(cat "$T/sql.err")"
}

# one request per service, approved from the CLI: SERVICE NAME SINKS HEARD
check_rule() {
	local svc=$1 name=$2 want=$3 hear=$4 code
	start_waiter "$name" "$svc"
	code=$CODE
	assert_eq "$want" "$(rows "$code" created)" "$svc: outbox rows at creation"
	assert_refused_sql "UPDATE approval.requests SET notify_kinds = '{teams}' WHERE code = '$code'" \
		"$svc: changing a pending request's sinks"
	assert_rc 0 actl carol approve "$code"
	pamdrive_wait "$PAMDRIVE_PID" 20
	assert_pam "$name" PAM_SUCCESS
	assert_eq "$want" "$(rows "$code" approved)" "$svc: outbox rows at approval"
	wait_until 20 drained || fail "$svc: the outbox was not drained"
	assert_eq "$hear" "$(heard "$code")" "$svc: the sinks that heard of $code"
	if [ -n "$want" ]; then
		assert_file_contains "$T/$name.out" "pam_approve: notified $want\$" "$svc: the module's notified line"
	else
		assert_file_not_contains "$T/$name.out" "notified" "$svc: nobody said to be notified"
	fi
}
check_rule sudo-chat chat slack,teams slack,teams
assert_file_contains "$T/chat.out" "Approvers were notified: Slack, Teams\\.$" "sudo-chat: told by name"
ok "notify=slack,teams: Slack and Teams only"
check_rule sudo-hook hook webhook hook
ok "notify=webhook: the webhook only"
check_rule sudo-quiet quiet "" ""
ok "notify=none: no sink"
check_rule sudo-any any slack,teams,webhook hook,slack,teams
ok "no rule names it: every sink"

ok "a request's sinks are fixed at its creation (refused while pending)"

# Reminders (4 s before a 10 s lifetime ends) go to the rule's sinks only.
start_waiter remind sudo-remind
remind_code=$CODE remind_pid=$PAMDRIVE_PID
run_pamdrive hush --service sudo-hush --user alice --op account
hush_code=$(wait_for_code hush) hush_pid=$PAMDRIVE_PID
wait_for_waiters 2 20
pamdrive_wait "$remind_pid" 30
pamdrive_wait "$hush_pid" 30
assert_eq expired "$(req_status "$remind_code")" "sudo-remind expired"
assert_eq expired "$(req_status "$hush_code")" "sudo-hush expired"
assert_eq teams "$(rows "$remind_code" reminder)" "notify=teams: the reminder's rows"
assert_eq "" "$(rows "$hush_code" reminder)" "notify=none: no reminder rows"
assert_eq teams "$(rows "$remind_code" expired)" "notify=teams: the expiry's rows"
wait_until 20 drained || fail "the outbox was not drained"
assert_eq teams "$(heard "$remind_code")" "the sinks that heard of $remind_code"
assert_eq "" "$(heard "$hush_code")" "the sinks that heard of $hush_code"
ok "reminders follow the rule's sinks"
finish
