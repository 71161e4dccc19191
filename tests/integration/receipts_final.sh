#!/usr/bin/env bash
# receipts_final.sh: every final state gets a signed receipt, stored in the
# database and verifiable offline, with the real approvald, module and
# PostgreSQL: a policy's allow (through the module with keys=: the signed
# allow is accepted, and its receipt names "policy" as decider, exactly
# what the module verified), a policy's deny, an expiry while the module
# waits, an expiry by the sweep of a request nobody waits for, a cancel by
# the module (its deadline), a cancel over the API, and a human approval.
# A request leaves the queue (approval.receipts_due) only with its
# receipt; with no active signing key registered nothing is queued.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root

PUB=$("$APPROVALCTL" key generate --out "$T/a.key" 2>>"$T/admin.log") || fail "key generate"
KEYS=$T/approvald.pub
printf '%s\n' "$PUB" >"$KEYS"
chmod 644 "$KEYS"

standard_setup signing_key="$T/a.key" request_ttl=10
pam_service signed --stack account "keys=$KEYS" timeout=60
pam_service ok-test --stack account "keys=$KEYS"
pam_service quick --stack account "keys=$KEYS" timeout=3
assert_rc 0 actl_admin policy add "allow command-prefix=\"$PAMDRIVE --service ok-test \""
assert_rc 0 actl_admin policy add 'deny service=no-test message="not here"'

# receipt_ok CODE STATUS [DECIDED_BY]: the stored receipt has STATUS (and
# DECIDED_BY) and verifies offline against the public key alone
has_receipt() { [ "$(sql "SELECT count(*) FROM approval.receipts c JOIN approval.requests r ON r.id = c.request_id WHERE r.code = '$1'")" = 1 ]; }
receipt_ok() {
	wait_until 15 has_receipt "$1" || fail "no receipt for $1 ($2)"
	actl_admin receipt show "$1" >"$T/r-$1.json" || fail "receipt show $1"
	assert_eq "$2" "$(jq -r .status "$T/r-$1.json")" "receipt status of $1"
	[ $# -lt 3 ] || assert_eq "$3" "$(jq -r .decided_by "$T/r-$1.json")" "receipt decided_by of $1"
	assert_rc 0 "$APPROVALCTL" receipt verify "$T/r-$1.json" --key "$KEYS"
	assert_contains "$LAST_OUT" "valid receipt" "receipt of $1 verifies offline"
	assert_eq 0 "$(sql "SELECT count(*) FROM approval.receipts_due d JOIN approval.requests r ON r.id = d.request_id WHERE r.code = '$1'")" "$1 left the queue"
}

# 1. A policy's allow, through the module with keys=: signed, accepted at once.
pamdrive_run allow 10 --service ok-test --user alice --op account
assert_pam allow PAM_SUCCESS
assert_file_contains "$T/allow.out" "Approved by policy"
code=$(sql "SELECT code FROM approval.requests WHERE service = 'ok-test'")
receipt_ok "$code" approved policy
ok "policy allow with keys=: the module accepts the signed answer; its receipt is stored"

# 2. A policy's deny, over the API.
api_create web1 '.service = "no-test"'
assert_json .status denied
receipt_ok "$REQ_CODE" denied policy
ok "policy deny: receipt stored"

# 3. An expiry while the module waits (request_ttl=10, the module's timeout 60).
run_pamdrive exp --service signed --user alice --op account
code=$(wait_for_code exp)
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam_denied exp
assert_eq expired "$(req_status "$code")"
receipt_ok "$code" expired
ok "expiry while waiting: receipt stored"

# 4. An expiry by the sweep: nobody ever waits for this request.
api_create web1
wait_for_status "$REQ_CODE" expired 20
receipt_ok "$REQ_CODE" expired
ok "expiry by the sweep, no waiter: receipt stored"

# 5. The module's own deadline (timeout=3 < request_ttl): the request
# expires_at it too (issue 18's real deadline), so the module's cancel or
# the server's sweep ends it, whichever comes first; either way a receipt.
run_pamdrive gone --service quick --user alice --op account
code=$(wait_for_code gone)
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied gone
end=$(req_status "$code")
case $end in
cancelled | expired) ;;
*) fail "the module's deadline ended its request as '$end'" ;;
esac
receipt_ok "$code" "$end"
ok "the module's deadline ($end): receipt stored"

# 6. A cancel over the API, and a human approval.
api_create web1
http POST "/v1/requests/$REQ_ID/cancel" --host web1 --json '{}'
assert_status 200
receipt_ok "$REQ_CODE" cancelled
run_pamdrive hum --service signed --user alice --op account
code=$(wait_for_code hum)
wait_for_waiters 1 10
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam hum PAM_SUCCESS
receipt_ok "$code" approved carol
ok "API cancel and human approval: receipts stored"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.requests r WHERE r.status <> 'pending' AND NOT EXISTS (SELECT 1 FROM approval.receipts c WHERE c.request_id = r.id)")" \
	"final requests without a receipt"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.receipts_due")" "receipts queue drained"
ok "every final request has its receipt"

# 7. Without an active key nothing is queued (nothing would sign it).
pg_psql -c "UPDATE approval.signing_keys SET retired_at = now()" >/dev/null
api_create web1
http POST "/v1/requests/$REQ_ID/cancel" --host web1 --json '{}'
assert_status 200
assert_eq 0 "$(sql "SELECT count(*) FROM approval.receipts_due")" "nothing queued without an active key"
ok "no active signing key: nothing queued"
finish
