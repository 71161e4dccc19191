#!/usr/bin/env bash
# notify_remind.sh: escalation and reminders through the outbox, with the
# real module waiting: a request still pending after notify_escalate_after
# is sent once to the escalation sink (request.escalation); approvers are
# reminded once notify_remind_before seconds before expiry
# (request.reminder); the expiry itself is sent (request.expired) and the
# module is denied. Each exactly once, though the sweep runs every 2 s.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/notify.sh"
need_root
notify_secrets
receiver_start
standard_setup request_ttl=24 \
	"notify_webhook_url=$RECV_URL/hook" "notify_webhook_secret_file=$T/webhook.secret" \
	notify_poll_ms=100 notify_escalate_after=2 notify_escalation_sink=webhook \
	notify_remind_before=10
pam_service sudo-test --stack account
start_waiter w1 sudo-test
code=$CODE
t0=$(now_ms)
ev() { echo ".body.request.code == \"$code\" and .body.event == \"request.$1\" and .sig_ok"; }
wait_recv 1 "$(ev created)"
wait_recv 1 "$(ev escalation)" 15
note "escalated after $(( $(now_ms) - t0 )) ms"
wait_recv 1 "$(ev reminder)" 25
ms=$(( $(now_ms) - t0 ))
note "reminded after $ms ms (expiry at 24 s)"
assert_le 12000 "$ms" "the reminder waits until 10 s before expiry"
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam_denied w1
assert_eq expired "$(req_status "$code")"
wait_recv 1 "$(ev expired)"
sleep 3	# two more sweeps
for e in created escalation reminder expired; do
	assert_eq 1 "$(recv_count "$(ev "$e")")" "request.$e deliveries"
done
ok "escalation, reminder and expiry each notified once"
finish
