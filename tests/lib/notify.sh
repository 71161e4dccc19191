# shellcheck shell=bash
# tests/lib/notify.sh: the notification receiver (tests/lib/notify_receiver.py)
# for the integration tests, sourced after harness.sh:
#   notify_secrets          secret files for the webhook, the Slack bot token
#                           and the Slack signing secret under $T (0600)
#   receiver_start [PORT]   serve on 127.0.0.1 (a free port, or PORT again);
#                           sets RECV_PORT, RECV_URL; log in $T/recv.jsonl;
#                           while $T/recv.hold exists a webhook is held
#                           unanswered (logged with "held": true); while
#                           $T/slack_incoming.answer exists its "STATUS
#                           BODY" answers a Slack incoming webhook
#   receiver_stop           SIGTERM it (connections refused from then on)
#   recv_count JQ-FILTER    how many logged requests match (a jq select body)
#   wait_recv N JQ-FILTER [TIMEOUT]  until at least N match
#   recv_last JQ-FILTER     the last matching line (JSON)
#   slack_pending_ok LINE CODE ID USER  a logged Slack message (bot or
#                           incoming webhook) of pending request CODE: a
#                           header naming CODE, Approve and Deny buttons
#                           carrying ID, a link to its page, USER as the
#                           requester field, no mrkdwn
RECV_PY=$SRCDIR/tests/lib/notify_receiver.py
RECV_PID=
: >"$T/recv.jsonl"

notify_secrets() {
	( umask 077
	  printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/webhook.secret"
	  printf 'xoxb-1111-2222-%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/slack.token"
	  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/slack.signing"
	  echo >>"$T/slack.signing" )
}

receiver_start() {
	local port=${1:-0}
	rm -f "$T/recv.port"
	python3 "$RECV_PY" serve --port "$port" --port-file "$T/recv.port" --log "$T/recv.jsonl" \
		--webhook-secret-file "$T/webhook.secret" --slack-token-file "$T/slack.token" \
		--hold-file "$T/recv.hold" --slack-incoming-answer-file "$T/slack_incoming.answer" \
		2>>"$T/fake-recv.log" &
	RECV_PID=$!
	_H_PIDS+=("$RECV_PID")
	wait_until 10 test -s "$T/recv.port" || fail "notify receiver did not start"
	RECV_PORT=$(cat "$T/recv.port")
	RECV_URL=http://127.0.0.1:$RECV_PORT
}

receiver_stop() {
	[ -n "$RECV_PID" ] || return 0
	kill -TERM "$RECV_PID" 2>/dev/null || true
	wait "$RECV_PID" 2>/dev/null || true
	RECV_PID=
}

# jq definitions for a Teams card (approvald/notify_teams.c): tfact(TITLE)
# is the values of its "TITLE: value" lines (RichTextBlocks of TextRuns).
TEAMS_JQ='def tfact($t): [.. | objects | select(.type? == "RichTextBlock" and .inlines[0].text == ($t + ": ")) | .inlines[1].text];'
recv_count() { jq -c "select($1)" "$T/recv.jsonl" | wc -l; }
recv_last() { jq -c "select($1)" "$T/recv.jsonl" | tail -n 1; }
_recv_ge() { [ "$(recv_count "$2")" -ge "$1" ]; }
wait_recv() {
	wait_until "${3:-20}" _recv_ge "$1" "$2" ||
		fail "the receiver never got $1 request(s) matching $2 (it got: $(jq -c '[.path, (.body | if type == "object" then (.event // .text // "") else . end)]' "$T/recv.jsonl" | tr '\n' ' '))"
}

slack_pending_ok() {
	local line=$1 code=$2 id=$3 user=$4 f
	local -a checks=(
		".body.blocks[0].type == \"header\" and (.body.blocks[0].text.text | contains(\"$code\"))"
		"[.body.blocks[] | select(.type == \"actions\") | .elements[] | select(.action_id == \"approve\" and .value == \"$id\" and .style == \"primary\")] | length == 1"
		"[.body.blocks[] | select(.type == \"actions\") | .elements[] | select(.action_id == \"deny\" and .value == \"$id\" and .style == \"danger\")] | length == 1"
		"[.body.blocks[] | select(.type == \"actions\") | .elements[] | select(.url != null and (.url | endswith(\"/r/$code\")))] | length == 1"
		"[.body.blocks[] | .fields[]?.text] | any(. == \"Requester: $user\")"
		'[.. | objects | select(.type == "mrkdwn")] | length == 0'
	)
	for f in "${checks[@]}"; do
		jq -e "$f" <<<"$line" >/dev/null || fail "Slack message of $code: $f does not hold: $line"
	done
}
