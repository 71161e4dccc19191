#!/usr/bin/env bash
# db_stale.sh: pooled database connections that the server ended
# (pg_terminate_backend: a failover, a restart, a proxy's idle timeout)
# cost nobody anything. A waiting module woken meanwhile gets its
# decision, the approver's decision goes through at the first try, a new
# elevation through the real module is filed and approved, an instance
# left idle afterwards still answers creates, and approvald answers no
# 503 at all. Also: a create repeated with the same idempotency key
# answers the request the first one made, and a key reused for another
# elevation is refused.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account timeout=60

kill_backends() {	# every session approvald has (pool and LISTEN)
	local n
	n=$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE usename = 'approval_app'")
	[ "$n" -ge 1 ] || fail "no approvald backend to terminate"
	note "terminated $n approvald backend(s)"
}
count_503() {
	local n
	n=$(curl -fsS --max-time 5 "$APPROVALD_URL/metrics" |
		sed -n 's/^approvald_http_requests_total{code="503"} \([0-9]*\)$/\1/p')
	echo "${n:-0}"
}

# 1. A waiting module, then every connection dies; the LISTEN connection
#    comes back and wakes every waiter, which reads its request again.
start_waiter w1 sudo-test
code1=$CODE
# both pool slots in use once, so that both go stale
create_bg() {
	curl -sS -o /dev/null --max-time 10 -H "Authorization: Bearer $(host_token web1)" \
		-H 'Content-Type: application/json' --data-binary "$(ctx_json)" \
		"$APPROVALD_URL/v1/requests"
}
for _ in 1 2 3; do
	create_bg & p1=$!
	create_bg & p2=$!
	wait "$p1" "$p2"
done
kill_backends
sleep 2
assert_rc 0 actl carol approve "$code1"
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam w1 PAM_SUCCESS
ok "a waiter woken across terminated connections got 'approved'; the decision went through at once"

# 2. A new elevation through the module right after the next termination.
kill_backends
start_waiter w2 sudo-test
assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam w2 PAM_SUCCESS
ok "an elevation filed right after the backends were terminated was approved"

# 3. An idle instance later: still no 503.
kill_backends
sleep 3
http POST /v1/requests --host web1 --json "$(ctx_json)"
assert_status 201 "create on an instance idle since its connections were ended"
ok "an idle instance answers creates after its connections were ended"
assert_eq 0 "$(count_503)" "503 answers given by approvald"
ok "approvald answered no 503"

# 4. Creates are safe to repeat.
key=retry-key-0123456789abcdef
before=$(req_count)
http POST /v1/requests --host web1 --json "$(ctx_json ".idempotency_key = \"$key\"")"
assert_status 201 "create with a key"
first=$HTTP_BODY
http POST /v1/requests --host web1 --json "$(ctx_json ".idempotency_key = \"$key\"")"
assert_status 201 "the same create again"
assert_eq "$first" "$HTTP_BODY" "answer to the repeated create"
assert_eq $((before + 1)) "$(req_count)" "requests after a create and its repetition"
ok "a repeated create answered the same request ($(json .code)), nothing new filed"
http POST /v1/requests --host web1 --json "$(ctx_json ".idempotency_key = \"$key\" | .command = \"sudo rm -rf /\"")"
assert_error 409 idempotency_key_reused "the key with another command"
mk_host web2
http POST /v1/requests --host web2 --json "$(ctx_json ".idempotency_key = \"$key\"")"
assert_status 201 "another host with the same key"
assert_ne "$(jq -r .id <<<"$first")" "$(json .id)" "another host's request id"
http POST /v1/requests --host web1 --json "$(ctx_json '.idempotency_key = "short"')"
assert_error 400 bad_request "a key of 5 characters"
ok "a key is per host, bound to its elevation, and checked"
finish
