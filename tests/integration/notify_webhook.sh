#!/usr/bin/env bash
# notify_webhook.sh: the transactional outbox and the generic signed
# webhook, through the real module waiting on its request:
#   - a request produces one webhook with the full context, a valid
#     X-Approve-Signature (HMAC-SHA256 over "t.BODY", checked by the
#     receiver) and an Idempotency-Key; its approval produces another;
#   - the receiver down, then up: retried with backoff (attempts recorded)
#     and delivered once; the waiting module is never held up by it;
#   - approvald SIGKILLed after the request committed and before delivery:
#     the row survives and is delivered once after the restart;
#   - SIGKILLed inside a delivery attempt: the restarted instance releases
#     the dead one's lease (same host, its process gone) and delivers at
#     once, not after the lease;
#   - two approvald instances on one database: every message sent once, and
#     a lease held by a live instance is never released by the other;
#   - a sink down past notify_max_age: failed for good, notification.failed
#     in the audit log and in report_notification_failures (SQL, the
#     reports API and approvalctl report);
#   - notification.sent audit events and the /metrics counters;
#   - restarted without sinks, no more rows are written for them.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/notify.sh"
need_root
notify_secrets
receiver_start
NOTIFY_CONF=(
	"notify_webhook_url=$RECV_URL/hook"
	"notify_webhook_secret_file=$T/webhook.secret"
	notify_poll_ms=100 notify_retry_base_ms=200 notify_retry_max=1 notify_timeout=3
	notify_max_age=12
)
standard_setup "${NOTIFY_CONF[@]}"
pam_service sudo-test --stack account

outbox() { sql "SELECT $1 FROM approval.outbox o JOIN approval.requests r ON r.id = o.request_id WHERE r.code = '$2' ${3:-}"; }
# for wait_until: the SQL is asked again each time
attempts_ge() { [ "$(outbox "coalesce(max(o.attempts), 0)" "$1")" -ge "$2" ]; }
state_is() { [ "$(outbox "o.state" "$1")" = "$2" ]; }
drained() { [ "$(sql "SELECT count(*) FROM approval.outbox WHERE state = 'pending'")" = 0 ]; }

# 1. A signed webhook with the full context, then its outcome.
APPROVAL_REASON="restart nginx" APPROVAL_TICKET="OPS-7" start_waiter w1 sudo-test
code=$CODE
id=$(req_field "$code" id)
wait_recv 1 ".path == \"/hook\" and .body.request.code == \"$code\""
line=$(recv_last ".body.request.code == \"$code\"")
jcheck() { jq -e "$1" <<<"$line" >/dev/null || fail "webhook for $code: $1 does not hold: $line"; }
jcheck '.sig_ok == true'
jcheck '.headers["x-approve-signature"] | test("^t=[0-9]+,v1=[0-9a-f]{64}$")'
jcheck '.body.event == "request.created" and .headers["x-approve-event"] == "request.created"'
jcheck '.headers["idempotency-key"] == .body.idempotency_key'
jcheck ".body.request.id == \"$id\" and .body.request.status == \"pending\""
jcheck ".body.request.user == \"$(id -un)\" and .body.request.target_user == \"alice\""
jcheck '.body.request.reason == "restart nginx" and .body.request.ticket == "OPS-7"'
jcheck '.body.request.service == "sudo-test" and (.body.request.command | length > 0)'
jcheck "(.body.request.url | endswith(\"/r/$code\")) and (.body.request.cwd | length > 0)"
jcheck '.body.request | has("events") | not'
ok "a request produced one signed webhook with the full context"
# the signature covers the body: the same check with the body altered fails
python3 - "$T/webhook.secret" "$line" <<'PY' || fail "a changed body still verified"
import hashlib, hmac, json, sys
secret = open(sys.argv[1], "rb").read().rstrip(b"\n")
line = json.loads(sys.argv[2])
t, v1 = [p.split("=", 1)[1] for p in line["headers"]["x-approve-signature"].split(",")]
body = json.dumps(line["body"], separators=(",", ":")).replace("alice", "mallory").encode()
sys.exit(0 if not hmac.compare_digest(hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest(), v1) else 1)
PY
ok "a changed body does not verify against the signature"

assert_rc 0 actl carol approve "$code" -m "go ahead"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam w1 PAM_SUCCESS
wait_recv 1 ".body.request.code == \"$code\" and .body.event == \"request.approved\""
line=$(recv_last ".body.request.code == \"$code\" and .body.event == \"request.approved\"")
jcheck '.sig_ok == true and .body.request.decided_by == "carol" and .body.request.comment == "go ahead"'
ok "the approval produced a signed request.approved webhook saying who decided"
assert_eq 2 "$(outbox "count(*)" "$code" "AND o.state = 'sent'")" "outbox rows sent for $code"
assert_eq 2 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'notification.sent' AND request_id = '$id'")" \
	"notification.sent audit events for $code"

# 2. Receiver down, then up: retried, delivered once; the module is not held up.
receiver_stop
start_waiter w2 sudo-test
code=$CODE
wait_until 20 attempts_ge "$code" 3 ||
	fail "no retries recorded while the receiver was down"
fails=$(sql "SELECT count(*) FROM approval.outbox_attempts a JOIN approval.outbox o ON o.id = a.outbox_id
	JOIN approval.requests r ON r.id = o.request_id WHERE r.code = '$code' AND NOT a.ok AND a.error <> ''")
assert_le 2 "$fails" "failed attempts recorded with their error"
t0=$(now_ms)
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam w2 PAM_SUCCESS
note "the module was released $(( $(now_ms) - t0 )) ms after the approval while the sink was down"
receiver_start "$RECV_PORT"
wait_recv 1 ".body.request.code == \"$code\" and .body.event == \"request.approved\"" 20
assert_eq 1 "$(recv_count ".body.request.code == \"$code\" and .body.event == \"request.created\"")" \
	"request.created deliveries of $code after the receiver came back"
assert_eq 1 "$(recv_count ".body.request.code == \"$code\" and .body.event == \"request.approved\"")" \
	"request.approved deliveries of $code"
# created went out before approved (one request's rows go in order)
order=$(jq -r "select(.body.request.code == \"$code\") | .body.event" "$T/recv.jsonl" | tr '\n' ,)
assert_eq "request.created,request.approved," "$order" "delivery order"
ok "receiver down then up: retried and delivered once, in order"
assert_le 1 "$(metric approvald_notification_failures_total)" "failures counted in /metrics"
assert_le 1 "$(metric approvald_notification_retries_total)" "retries counted in /metrics"
assert_le 4 "$(metric approvald_notifications_sent_total)" "deliveries counted in /metrics"

# 3. SIGKILL after the commit, before delivery.
receiver_stop
start_waiter w3 sudo-test
code=$CODE
assert_eq 1 "$(outbox "count(*)" "$code" "AND o.state = 'pending'")" "the committed request's outbox row"
kill -KILL "$APPROVALD_PID"
wait "$APPROVALD_PID" 2>/dev/null || true
APPROVALD_PID=
receiver_start "$RECV_PORT"
assert_eq 0 "$(recv_count ".body.request.code == \"$code\"")" "nothing delivered before the restart"
approvald_start
# at once, also when the kill fell inside a delivery attempt (the receiver
# was down, so the old instance kept trying): the restarted instance takes
# back the dead one's lease (3b)
wait_recv 1 ".body.request.code == \"$code\" and .body.event == \"request.created\"" 20
wait_for_waiters 1 30	# the module's long-poll found the new approvald
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam w3 PAM_SUCCESS
wait_recv 1 ".body.request.code == \"$code\" and .body.event == \"request.approved\""
assert_eq 1 "$(recv_count ".body.request.code == \"$code\" and .body.event == \"request.created\"")" \
	"deliveries of $code created after SIGKILL and restart"
ok "killed with SIGKILL before delivery: delivered once after the restart"

# 3b. SIGKILL inside a delivery attempt (the receiver holds it unanswered):
# the restarted instance takes back the killed one's lease at once rather
# than after OUTBOX_BATCH x notify_timeout + 30 s (54 s here). Once as run
# by hand, once as systemd runs the packaged unit (ProcSubset=pid: no
# /proc/sys, so no boot id there; --boot-id gives it, as the unit's %b).
kill_in_attempt_and_restart() { # WHAT
	touch "$T/recv.hold"
	api_create web1
	code=$REQ_CODE
	wait_recv 1 ".held and .body.request.code == \"$code\"" 10
	pid=$APPROVALD_PID
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	APPROVALD_PID=
	assert_eq t "$(outbox "bool_and(o.claimed_until > now() + interval '20 seconds')" "$code")" \
		"the killed instance's lease on $code runs on ($1)"
	assert_match "$(outbox "o.claimed_by" "$code")" "^$(hostname):$pid/[0-9]+@$(tr -d - </proc/sys/kernel/random/boot_id)/[0-9]+\$" \
		"the lease names host, pid, start time, boot id and pid namespace ($1)"
	rm -f "$T/recv.hold"
	t0=$(now_ms)
	approvald_start
	wait_recv 1 "(.held | not) and .body.request.code == \"$code\" and .body.event == \"request.created\"" 15
	note "delivered $(( $(now_ms) - t0 )) ms after the restart ($1)"
	assert_eq 1 "$(recv_count "(.held | not) and .body.request.code == \"$code\"")" \
		"answered deliveries of $code after SIGKILL inside the attempt ($1)"
}
kill_in_attempt_and_restart "run by hand"
ok "killed with SIGKILL inside a delivery attempt: the restart takes the lease back and delivers once"
# approvald in a private mount of /proc with the pid entries only
printf '#!/bin/sh\nexec unshare -m -- sh -c %s "%s" --boot-id "%s" "$@"\n' \
	"'mount -t proc -o subset=pid proc /proc && exec \"\$0\" \"\$@\"'" \
	"$APPROVALD" "$(cat /proc/sys/kernel/random/boot_id)" >"$T/approvald-procsubset"
chmod 0755 "$T/approvald-procsubset"
unshare -m -- sh -c 'mount -t proc -o subset=pid proc /proc && test ! -e /proc/sys/kernel/random/boot_id' ||
	fail "a subset=pid /proc still shows the boot id"
real_approvald=$APPROVALD
approvald_stop
APPROVALD=$T/approvald-procsubset
approvald_start
kill_in_attempt_and_restart "ProcSubset=pid, --boot-id"
approvald_stop
APPROVALD=$real_approvald
approvald_start
ok "the same under ProcSubset=pid with --boot-id (the packaged unit)"

# 4. Two instances, one database: each message once. Attempts last up to
# 10 s here, so that one can be held open across several sweeps.
approvald_stop
approvald_start "${NOTIFY_CONF[@]}" notify_timeout=10
second_conf=$T/approvald2.conf
sed -e "s|^listen = .*|listen = 127.0.0.1:0|" "$T/approvald.conf" >"$second_conf"
"$APPROVALD" --config "$second_conf" --port-file "$T/approvald2.port" >>"$T/approvald2.log" 2>&1 &
second=$!
_H_PIDS+=("$second")
wait_until 20 test -s "$T/approvald2.port" || fail "second approvald did not start"
# While one instance's attempt hangs, the other (same host, alive) leaves
# its lease alone: no second attempt runs beside it.
touch "$T/recv.hold"
api_create web1
code=$REQ_CODE
wait_recv 1 ".held and .body.request.code == \"$code\"" 10
holder=$(outbox "o.claimed_by" "$code")
sleep 5		# two sweeps (OUTBOX_SWEEP_MS) of each instance, half the attempt
assert_eq 1 "$(recv_count ".held and .body.request.code == \"$code\"")" \
	"attempts of $code while the first still runs (two live instances)"
assert_eq "$holder" "$(outbox "o.claimed_by" "$code")" "the lease stays with the live instance holding it"
rm -f "$T/recv.hold"
wait_recv 1 "(.held | not) and .body.request.code == \"$code\"" 20
ok "two live instances on one host: a lease in use is never taken over"
before=$(wc -l <"$T/recv.jsonl")
codes=()
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	api_create web1
	codes+=("$REQ_CODE")
done
wait_until 30 drained ||
	fail "outbox not drained by two instances"
for c in "${codes[@]}"; do
	assert_eq 1 "$(recv_count ".body.request.code == \"$c\" and .body.event == \"request.created\"")" \
		"deliveries of $c with two instances"
done
assert_eq 12 "$(( $(wc -l <"$T/recv.jsonl") - before ))" "webhooks for 12 requests"
by=$(sql "SELECT count(DISTINCT a.instance) FROM approval.outbox_attempts a JOIN approval.outbox o ON o.id = a.outbox_id
	JOIN approval.requests r ON r.id = o.request_id WHERE r.code IN ($(printf "'%s'," "${codes[@]}" | sed 's/,$//'))")
note "delivered by $by instance(s)"
ok "two instances: each of 12 messages delivered once"
kill -TERM "$second"
wait "$second" || fail "second approvald exited $? on SIGTERM"

# 5. A sink down past notify_max_age: failed for good, audited, reported.
receiver_stop
api_create web1
code=$REQ_CODE
wait_until 40 state_is "$code" failed || fail "the notification of $code never gave up"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'notification.failed' AND request_id = '$REQ_ID'")" \
	"notification.failed audit event"
sql "SELECT sink, given_up, last_error FROM approval.report_notification_failures" >"$T/report.out"
assert_file_contains "$T/report.out" "^webhook[|][1-9][0-9]*[|]" "report_notification_failures counts it"
# the same rows through the report catalogue (common/report.c): API and CLI
http GET /v1/reports/notification_failures --approver carol
assert_status 200
assert_json '[.rows[] | select(.sink == "webhook" and .kind == "webhook" and .given_up >= 1)] | length' 1 \
	"GET /v1/reports/notification_failures"
http GET /v1/reports/notification_failures.csv --approver carol
assert_status 200
assert_contains "$(head -n 1 "$T/http.body")" "day,sink,kind,failed_attempts,notifications,given_up" "the CSV header"
actl_admin report notification_failures --format json >"$T/report.json" 2>>"$T/admin.log" ||
	fail "approvalctl report notification_failures failed"
assert_eq 1 "$(jq '[.[] | select(.sink == "webhook" and .given_up >= 1)] | length' "$T/report.json")" \
	"approvalctl report notification_failures"
assert_le 1 "$(metric approvald_notifications_given_up_total)" "given up counted in /metrics"
ok "a sink down past notify_max_age: failed for good, audited and reported"

# 6. Restarted without sinks: the database stops writing rows for them.
approvald_stop
approvald_start debug=no
none_enabled() { [ "$(sql "SELECT count(*) FROM approval.notify_sinks WHERE enabled")" = 0 ]; }
wait_until 10 none_enabled ||
	fail "the webhook sink stayed enabled without a sink configured"
api_create web1
assert_eq 0 "$(sql "SELECT count(*) FROM approval.outbox WHERE request_id = '$REQ_ID'")" 	"outbox rows of a request made with no sink configured"
ok "with no sink configured, no notification rows are written"
assert_rc 0 actl_admin audit verify
finish
