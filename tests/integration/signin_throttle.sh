#!/usr/bin/env bash
# signin_throttle.sh: failed sign-ins slow down per (login, client address)
# pair, with a cap, and can lock nobody out. Behind a trusted proxy
# (sso_proxies; X-Forwarded-For names the client):
#   - the 3rd failure of a pair makes its next attempt wait (429 with
#     Retry-After and retry_after), even with the right password, and the
#     wait doubles per failure but never exceeds 60 s;
#   - a stranger failing carol's login from one address does not stop
#     carol's correct password from another address;
#   - many failures behind one address (the proxy's own, when it passes no
#     client) for many logins do not stop another approver behind that
#     same address;
#   - a good sign-in clears only its own pair.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
db_start
approvald_start sso_header=X-Remote-User sso_proxies=127.0.0.1
mk_approver carol carol
mk_approver dave dave
actl_admin approver passwd carol <<<"carol-Secret-9" >/dev/null 2>&1 || fail "passwd carol"
actl_admin approver passwd dave <<<"dave-Secret-9" >/dev/null 2>&1 || fail "passwd dave"

signin() {	# LOGIN PASSWORD [CLIENT-ADDRESS]
	if [ -n "${3:-}" ]; then
		http POST /v1/session --header "X-Forwarded-For: $3" \
			--json "{\"login\":\"$1\",\"password\":\"$2\"}"
	else
		http POST /v1/session --json "{\"login\":\"$1\",\"password\":\"$2\"}"
	fi
}
retry_after() {
	printf '%s\n' "$HTTP_HEADERS" | tr -d '\r' | sed -n 's/^[Rr]etry-[Aa]fter: //p' | head -n 1
}

# --- a stranger at 198.51.100.66 fails carol's login --------------------------
for i in 1 2 3; do
	signin carol "guess-$i" 198.51.100.66
	assert_error 401 unauthorized "stranger's failure $i"
done
signin carol carol-Secret-9 198.51.100.66
assert_error 429 too_many_attempts "the stranger's pair is slowed, even with the right password"
ra=$(retry_after)
assert_match "$ra" '^[0-9]+$' "Retry-After header"
assert_json .retry_after "$ra" "retry_after in the body equals Retry-After"
signin carol carol-Secret-9 203.0.113.5
assert_status 200 "carol's correct password from her own address"
ok "failures from one address do not lock the login out elsewhere"

# --- one address (a proxy passing no client) for many logins ------------------
for i in $(seq 1 12); do
	signin "user$i" nope
	assert_error 401 unauthorized "proxy failure $i"
done
for i in 1 2 3; do signin carol nope >/dev/null; done
signin carol carol-Secret-9
assert_error 429 too_many_attempts "carol's own pair behind the proxy is slowed"
signin dave dave-Secret-9
assert_status 200 "dave behind the same proxy address signs in"
ok "failures behind one address do not lock every user behind it out"

# --- the wait doubles and has a cap -------------------------------------------
sql "INSERT INTO approval.login_failures (login, remote_addr, at)
     SELECT 'carol', '192.0.2.7', now() - interval '1 second' * g FROM generate_series(1, 4) g" >/dev/null
w4=$(sql "SELECT approval.login_wait_pair('carol', '192.0.2.7')")
sql "INSERT INTO approval.login_failures (login, remote_addr, at)
     SELECT 'carol', '192.0.2.7', now() - interval '1 second' * g FROM generate_series(5, 6) g" >/dev/null
w6=$(sql "SELECT approval.login_wait_pair('carol', '192.0.2.7')")
[ "$w6" -gt "$w4" ] || fail "the wait did not grow: $w4 s after 4 failures, $w6 s after 6"
sql "INSERT INTO approval.login_failures (login, remote_addr)
     SELECT 'carol', '192.0.2.7' FROM generate_series(1, 500)" >/dev/null
signin carol carol-Secret-9 192.0.2.7
assert_error 429 too_many_attempts "500 failures"
assert_le "$(retry_after)" 60 "Retry-After after 500 failures (the cap)"
assert_le 59 "$(retry_after)" "the cap is reached"
signin carol carol-Secret-9 192.0.2.8
assert_status 200 "the next address over is not slowed"
ok "the wait grows ($w4 s, $w6 s) and stops at 60 s"

# --- a good sign-in clears its own pair only ----------------------------------
for i in 1 2; do signin dave nope 198.51.100.66 >/dev/null; done
for i in 1 2; do signin dave nope 198.51.100.77 >/dev/null; done
signin dave dave-Secret-9 198.51.100.66
assert_status 200
assert_eq 0 "$(sql "SELECT count(*) FROM approval.login_failures WHERE login = 'dave' AND remote_addr = '198.51.100.66'")" "own pair cleared"
assert_eq 2 "$(sql "SELECT count(*) FROM approval.login_failures WHERE login = 'dave' AND remote_addr = '198.51.100.77'")" "another address's failures kept"
ok "a good sign-in clears its own pair"
finish
