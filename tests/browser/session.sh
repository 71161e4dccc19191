#!/usr/bin/env bash
# tests/browser/session.sh: web sign-in below the browser: the cookie's
# attributes, sessions stored hashed, idle and absolute expiry, sign-out,
# password change and approver revocation ending sessions, CSRF on cookie
# writes, the audit rows of sign-ins, `approvalctl approver passwd` on a
# terminal (no echo) and from a pipe, and the trusted SSO header (and
# X-Forwarded-For for the sign-in delay) accepted only from sso_proxies.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_cmd python3 sha256sum
db_start
approvald_start
mk_host web1
mk_approver carol carol
mk_approver dave dave

# --- approvalctl approver passwd ---------------------------------------------
# pty_passwd LOGIN FIRST SECOND: run `approver passwd` on a terminal (a pty),
# typing each answer only once its prompt is shown, as a person would;
# prints everything the terminal showed, then "rc=N".
pty_passwd() {
	python3 - "$APPROVALCTL" "$PG_SUPER_CONNINFO" "$@" <<'PY'
import os, pty, sys
ctl, db, login, first, second = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.execv(ctl, [ctl, "--database", db, "approver", "passwd", login])
seen = b""
def until(prompt):
    global seen
    while prompt not in seen:
        chunk = os.read(fd, 1024)
        if not chunk:
            raise SystemExit("no prompt %r in %r" % (prompt, seen))
        seen += chunk
until(b"New password: ")
os.write(fd, first.encode() + b"\n")
until(b"Repeat it: ")
os.write(fd, second.encode() + b"\n")
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace") + "\nrc=%d\n" % os.waitstatus_to_exitcode(status))
PY
}
pw=Tr0ub4dor-and-3
out=$(pty_passwd carol "$pw" "$pw")
assert_contains "$out" "rc=0" "passwd on a terminal"
assert_not_contains "$out" "$pw" "the password is not echoed"
assert_match "$(sql "SELECT password_hash FROM approval.approvers WHERE login = 'carol'")" \
	'^pbkdf2-sha256\$600000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$' "stored hash"
out=$(pty_passwd dave one-password another-one)
assert_contains "$out" "differ" "mismatch on the terminal"
assert_contains "$out" "rc=2"
assert_rc 2 actl_admin approver passwd dave <<<"short"
assert_rc 1 actl_admin approver passwd nobody <<<"long-enough-1"
assert_rc 0 actl_admin approver passwd dave <<<"dave-Secret-9"
assert_eq "" "$(sql "SELECT login FROM approval.approvers WHERE password_hash IS NULL AND login IN ('carol','dave')")"
ok "approver passwd: terminal without echo, pipe, mismatch, short, unknown"

# --- sign-in and the cookie --------------------------------------------------
login() {	# LOGIN PASSWORD -> HTTP_*; COOKIE = the session cookie value
	http POST /v1/session --json "{\"login\":\"$1\",\"password\":\"$2\"}"
	COOKIE=$(sed -n 's/^Set-Cookie: approvald_session=\([^;]*\);.*/\1/ip' <<<"$HTTP_HEADERS" | tr -d '\r')
}
login carol "$pw"
assert_status 200 "sign-in"
assert_json .login carol
set_cookie=$(grep -i '^Set-Cookie:' <<<"$HTTP_HEADERS" | tr -d '\r')
assert_match "$set_cookie" '^Set-Cookie: approvald_session=aps_[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200$' "Set-Cookie"
csrf=$(json .csrf_token)
hash=$(printf '%s' "$COOKIE" | sha256sum | cut -d' ' -f1)
assert_eq 1 "$(sql "SELECT count(*) FROM approval.web_sessions WHERE id_hash = '$hash'")" "session stored by hash"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.web_sessions WHERE id_hash = '$COOKIE' OR csrf_token = '$COOKIE'")" "cookie value not stored"
http GET /v1/session --header "Cookie: approvald_session=$COOKIE"
assert_status 200
assert_json .csrf_token "$csrf"
assert_json '.roles | join(",")' approver
ok "sign-in sets an HttpOnly SameSite=Strict cookie; only its hash is stored"

# --- CSRF on cookie writes -----------------------------------------------------
api_create web1 '.user = "erin"'
http POST "/v1/requests/$REQ_ID/approve" --header "Cookie: approvald_session=$COOKIE" --json '{}'
assert_error 403 csrf "cookie without X-CSRF-Token"
http POST "/v1/requests/$REQ_ID/approve" --header "Cookie: approvald_session=$COOKIE" \
	--header "X-CSRF-Token: ${csrf%?}x" --json '{}'
assert_error 403 csrf "cookie with a wrong X-CSRF-Token"
assert_eq pending "$(req_status "$REQ_CODE")"
http POST "/v1/requests/$REQ_ID/approve" --header "Cookie: approvald_session=$COOKIE" \
	--header "X-CSRF-Token: $csrf" --json '{"comment":"via cookie"}'
assert_status 200 "cookie with the right X-CSRF-Token"
assert_json .decided_by carol
ok "cookie writes need the session's CSRF token"

# --- ends of a session ---------------------------------------------------------
sql "UPDATE approval.web_sessions SET idle_expires_at = now() - interval '1 second' WHERE id_hash = '$hash'" >/dev/null
http GET /v1/session --header "Cookie: approvald_session=$COOKIE"
assert_error 401 unauthorized "after idle expiry"
login carol "$pw"
hash=$(printf '%s' "$COOKIE" | sha256sum | cut -d' ' -f1)
sql "UPDATE approval.web_sessions SET created_at = now() - interval '13 hours', expires_at = now() - interval '1 hour' WHERE id_hash = '$hash'" >/dev/null
http GET /v1/requests --header "Cookie: approvald_session=$COOKIE"
assert_error 401 unauthorized "after absolute expiry"
login carol "$pw"
http POST /v1/session/logout --header "Cookie: approvald_session=$COOKIE" --json '{}'
assert_error 403 csrf "sign-out without the CSRF token"
csrf=$(sql "SELECT csrf_token FROM approval.web_sessions WHERE id_hash = '$(printf '%s' "$COOKIE" | sha256sum | cut -d' ' -f1)'")
http DELETE /v1/session --header "Cookie: approvald_session=$COOKIE" --header "X-CSRF-Token: $csrf"
assert_status 200 "sign-out"
assert_contains "$HTTP_HEADERS" "approvald_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" "cookie cleared"
http GET /v1/session --header "Cookie: approvald_session=$COOKIE"
assert_error 401 unauthorized "after sign-out"
login carol "$pw"
actl_admin approver passwd carol <<<"a-new-password-2" >/dev/null 2>&1
http GET /v1/session --header "Cookie: approvald_session=$COOKIE"
assert_error 401 unauthorized "after a password change"
login dave dave-Secret-9
assert_status 200
actl_admin approver revoke dave >/dev/null 2>&1
http GET /v1/session --header "Cookie: approvald_session=$COOKIE"
assert_error 401 unauthorized "after the approver was revoked"
login dave dave-Secret-9
assert_error 401 unauthorized "a revoked approver cannot sign in"
ok "idle and absolute expiry, sign-out, password change and revocation end sessions"

# --- the audit trail ---------------------------------------------------------
assert_le 3 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'auth.sign_in' AND actor = 'carol'")" "auth.sign_in rows"
login ghost nope
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'auth.sign_in_failed' AND actor = 'ghost'")" "auth.sign_in_failed for an unknown login"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'auth.sign_out' AND actor = 'carol'")" "auth.sign_out"
assert_eq 127.0.0.1 "$(sql "SELECT detail->>'addr' FROM approval.audit_log WHERE kind = 'auth.sign_in_failed' AND actor = 'ghost'")"
ok "sign-ins, failures and sign-outs are in the audit log"

# --- trusted SSO header ----------------------------------------------------------
printf 'database = dbname=x\nsso_header = X-Remote-User\n' >"$T/bad.conf"
assert_rc 1 "$APPROVALD" --check-config --config "$T/bad.conf"
assert_contains "$LAST_OUT" "sso_proxies" "sso_header alone is a config error"

approvald_stop
approvald_start sso_header=X-Remote-User sso_proxies=10.9.9.9,127.0.0.1
http GET /v1/session --header "X-Remote-User: carol"
assert_error 401 unauthorized
assert_json .sso true "SSO offered to the trusted proxy"
http POST /v1/session --header "X-Remote-User: carol" --json '{"sso":true}'
assert_status 200 "SSO sign-in from the proxy"
assert_json .login carol
assert_json .via sso
http POST /v1/session --header "X-Remote-User: nobody" --json '{"sso":true}'
assert_error 401 unauthorized "SSO for an unknown login"
http POST /v1/session --header "X-Remote-User: car<ol" --json '{"sso":true}'
assert_error 401 unauthorized "SSO with a malformed login"
# behind the trusted proxy, the delay and the audit see the real client
http POST /v1/session --header "X-Forwarded-For: 198.51.100.1, 203.0.113.9" \
	--json '{"login":"xff","password":"nope"}'
assert_error 401 unauthorized
assert_eq 203.0.113.9 "$(sql "SELECT remote_addr FROM approval.login_failures WHERE login = 'xff'")" \
	"X-Forwarded-For from a trusted proxy"
assert_eq 203.0.113.9 "$(sql "SELECT detail->>'addr' FROM approval.audit_log WHERE kind = 'auth.sign_in_failed' AND actor = 'xff'")"
# an SSO header does not authenticate an API call by itself
http GET /v1/requests --header "X-Remote-User: carol"
assert_error 401 unauthorized "the header is not a credential on the API"

approvald_stop
approvald_start sso_header=X-Remote-User sso_proxies=10.9.9.9
http GET /v1/session --header "X-Remote-User: carol"
assert_json .sso false "no SSO offered to an untrusted peer"
http POST /v1/session --header "X-Remote-User: carol" --json '{"sso":true}'
assert_error 401 unauthorized "SSO header from an address not in sso_proxies"
assert_file_contains "$T/approvald.log" "X-Remote-User header from an address not in sso_proxies, ignored"
http POST /v1/session --header "X-Forwarded-For: 203.0.113.10" --json '{"login":"xff2","password":"nope"}'
assert_eq 127.0.0.1 "$(sql "SELECT remote_addr FROM approval.login_failures WHERE login = 'xff2'")" \
	"X-Forwarded-For from anyone else is ignored"
ok "the SSO header is accepted only from sso_proxies"

# --- Secure cookie behind https ----------------------------------------------------
approvald_stop
approvald_start public_url=https://approvald.example
login carol a-new-password-2
assert_status 200
assert_contains "$HTTP_HEADERS" "SameSite=Strict; Max-Age=43200; Secure" "Secure when published over https"
ok "Secure cookie when public_url is https"
finish
