#!/usr/bin/env bash
# rate_limit.sh: a host cannot bury the approvers. With host_create_limit=3
# and host_create_window=120, a host's 4th request for a person within the
# window is refused 429 (Retry-After, retry_after, nothing filed) while
# another host is not slowed, a create repeated with a known idempotency
# key still gets its answer, and once its requests are older than the
# window (approvald restarted with a 3 s one) the host may file again. The real
# module shows "too many requests, try again in N s", writes
# "pam_approve: error rate_limited N" and denies. /metrics has the gauge
# of pending requests per host and the count of refused creates.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start host_create_limit=3 host_create_window=120
mk_host web1
mk_host web2
mk_approver carol carol

retry_after() {
	printf '%s\n' "$HTTP_HEADERS" | tr -d '\r' | sed -n 's/^[Rr]etry-[Aa]fter: //p' | head -n 1
}
key=idem-key-0123456789abc
api_create web1 ".idempotency_key = \"$key\""
first=$REQ_ID
api_create web1
api_create web1
http POST /v1/requests --host web1 --json "$(ctx_json)"
assert_error 429 rate_limited "web1's 4th create"
ra=$(retry_after)
assert_match "$ra" '^[0-9]+$' "Retry-After"
assert_le "$ra" 120 "Retry-After within the window"
assert_le 1 "$ra" "Retry-After at least 1 s"
assert_json .retry_after "$ra" "retry_after equals Retry-After"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.requests r JOIN approval.hosts h ON h.id = r.host_id WHERE h.name = 'web1'")" "nothing filed beyond the limit"
http POST /v1/requests --host web1 --json "$(ctx_json ".idempotency_key = \"$key\"")"
assert_status 201 "a repeated create with a known key"
assert_json .id "$first" "the first request answered again"
api_create web2
ok "per-host limit: 429 with Retry-After; another host and a repeat are let through"

# --- the module --------------------------------------------------------------
pam_service sudo-test --stack account
pamdrive_run rl 20 --service sudo-test --user alice --op account
assert_pam_denied rl
assert_file_contains "$T/rl.out" "too many requests, try again in [0-9]+ s"
assert_file_contains "$T/rl.out" "pam_approve: error rate_limited [0-9]+"
ok "the module: too many requests, try again in N s; denied"

# --- metrics -------------------------------------------------------------------
pending_of() { metric "approvald_pending_requests{host=\"$1\"}"; }
gauge_is() { [ "$(pending_of "$1")" = "$2" ]; }
wait_until 10 gauge_is web1 3 || fail "pending gauge of web1: '$(pending_of web1)', expected 3"
assert_eq 1 "$(pending_of web2)" "pending gauge of web2"
assert_le 2 "$(metric approvald_requests_rate_limited_total)" "refused creates counted"
http POST "/v1/requests/$first/cancel" --host web1 --json '{}'
assert_status 200
wait_until 10 gauge_is web1 2 || fail "pending gauge of web1 after a cancel: '$(pending_of web1)', expected 2"
ok "/metrics: pending requests per host"

# --- the window passes ----------------------------------------------------------
approvald_stop
approvald_start host_create_limit=3 host_create_window=3
sleep 3.5
api_create web1
ok "after the window web1 files again"
finish
