#!/usr/bin/env bash
# unix_socket.sh: approvald serves its API on a Unix socket it creates
# itself, and the real module approves through it: approvald listening on
# the socket only (no TCP at all), a request approved end to end with the
# module and approvalctl both on unix: URLs; the socket's mode and owner
# come from socket_mode/socket_owner; the module refuses a socket file owned
# by a user who is neither root nor server_user=; a Unix client is logged
# as unix:uid=N and is never taken for an SSO proxy unless that label is
# listed; a stale socket (approvald killed) is replaced, a file that is not
# a socket is not, a socket someone listens on is not stolen; the socket
# is removed on a clean exit; --check-config explains every bad listen,
# socket_mode and socket_owner value.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start "listen=unix:$APPROVALD_SOCK"
mk_host web1
mk_approver carol carol
assert_eq 0 "$(cat "$T/approvald.port")" "port file with no TCP endpoint"
assert_eq "socket 666 root" "$(stat -c '%F %a %U' "$APPROVALD_SOCK")"
ok "approvald listens on $APPROVALD_SOCK only (mode 0666, owned by root)"

# --- approved through the real module over the socket ------------------
pam_service sudo-unix --stack account timeout=60
start_waiter approve sudo-unix
assert_rc 0 actl carol approve "$CODE" -m "over the socket"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam approve PAM_SUCCESS
assert_eq approved "$(req_status "$CODE")"
assert_eq carol "$(sql "SELECT a.login FROM approval.requests r JOIN approval.approvers a ON a.id = r.decided_by WHERE r.code = '$CODE'")" \
	"decided by carol through approvalctl on unix:"
ok "module and approvalctl over url=unix: -> approved"

# a refused token from a Unix client: logged with its uid, not an address
http GET /v1/requests --unix --bearer apa_not-a-token
assert_error 401 unauthorized
assert_file_contains "$T/approvald.log" 'client unix:uid=0: refused token'
ok "a Unix client is named unix:uid=0 in the log"

# --- socket_mode and socket_owner --------------------------------------
approvald_stop
[ ! -e "$APPROVALD_SOCK" ] || fail "socket left behind after a clean exit"
ok "socket removed on a clean exit"
approvald_start "listen=unix:$APPROVALD_SOCK" socket_mode=0660 socket_owner=nobody:nogroup
assert_eq "socket 660 nobody nogroup" "$(stat -c '%F %a %U %G' "$APPROVALD_SOCK")"
ok "socket_mode=0660 socket_owner=nobody:nogroup applied"
# a socket file owned by nobody is not approvald's unless nobody is server_user
pam_service sudo-nobody --stack account timeout=10 failmode=open
before=$(req_count)
pamdrive_run nobody 20 --service sudo-nobody --user alice --op account
assert_pam_denied nobody
assert_file_not_contains "$T/nobody.out" 'WARNING' "failmode=open must not apply"
assert_eq "$before" "$(req_count)" "no request reached approvald"
pam_service sudo-srvuser --stack account timeout=60 server_user=nobody
start_waiter srvuser sudo-srvuser
APPROVALCTL_SERVER_USER=nobody assert_rc 0 actl carol deny "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam srvuser PAM_PERM_DENIED
ok "socket owned by nobody: refused by default, used with server_user=nobody"

# --- SSO: a Unix client is a proxy only when its label is listed -------
approvald_stop
approvald_start "listen=unix:$APPROVALD_SOCK" sso_header=X-Remote-User sso_proxies=127.0.0.1
http GET /v1/session --unix --header "X-Remote-User: carol"
assert_json .sso false "a Unix client is not 127.0.0.1"
assert_file_contains "$T/approvald.log" 'client unix:uid=0: X-Remote-User header from an address not in sso_proxies'
approvald_stop
approvald_start "listen=unix:$APPROVALD_SOCK" sso_header=X-Remote-User sso_proxies=unix:uid=0
http GET /v1/session --unix --header "X-Remote-User: carol"
assert_json .sso true "sso_proxies=unix:uid=0 trusts root's Unix clients"
ok "SSO header from a Unix client only with sso_proxies=unix:uid=N"

# --- replacing the socket file ------------------------------------------
kill -KILL "$APPROVALD_PID"
wait "$APPROVALD_PID" 2>/dev/null || true
APPROVALD_PID=
[ -S "$APPROVALD_SOCK" ] || fail "a killed approvald should leave its socket"
approvald_start
assert_file_contains "$T/approvald.log" 'stale socket replaced'
http GET /healthz --unix
assert_status 200
ok "a stale socket is replaced"

# another server on the socket: not stolen
"$APPROVALD" --config "$T/approvald.conf" >"$T/second.out" 2>&1 && fail "a second approvald started"
assert_file_contains "$T/second.out" 'another server is listening there'
http GET /healthz --unix
assert_status 200 "the first approvald still serves"
approvald_stop
: >"$APPROVALD_SOCK"
"$APPROVALD" --config "$T/approvald.conf" >"$T/file.out" 2>&1 && fail "approvald started over a file"
assert_file_contains "$T/file.out" 'exists and is not a socket: not removed'
[ -f "$APPROVALD_SOCK" ] || fail "the file was removed"
rm -f "$APPROVALD_SOCK"
ok "a live socket or a plain file at the path is left alone"

# --- --check-config ---------------------------------------------------------
mkdir -m 0777 "$T/open"
check_conf() {	# EXPECTED-TEXT LINE...
	local want=$1
	shift
	printf '%s\n' "database = dbname=x" "$@" >"$T/check.conf"
	assert_rc 1 "$APPROVALD" --check-config --config "$T/check.conf"
	assert_contains "$LAST_OUT" "$want" "check-config of: $*"
}
check_conf "needs an absolute socket path" "listen = unix:run/a.sock"
check_conf "listen: empty" "listen = "
check_conf "listen: empty" "listen = 127.0.0.1:1, , unix:/run/a.sock"
check_conf "writable by group or others" "listen = unix:$T/open/a.sock" "public_url = https://a.example"
check_conf "not a directory" "listen = unix:$T/approvald.conf/a.sock" "public_url = https://a.example"
check_conf "more than 8 endpoints" "listen = $(printf '127.0.0.1:%d, ' 1 2 3 4 5 6 7 8)127.0.0.1:9"
check_conf "public_url is required" "listen = unix:$T/run/a.sock"
check_conf "expected ADDR:PORT" "listen = localhost:8080"
check_conf "socket_mode: expected an octal mode" "socket_mode = 0999"
check_conf "socket_mode: expected an octal mode" "socket_mode = 01777"
check_conf "no such user or group" "socket_owner = no-such-user-here"
check_conf "no such user or group" "socket_owner = root:no-such-group-here"
check_conf "expected user[:group]" "socket_owner = root:"
printf '%s\n' "database = dbname=x" "listen = unix:$T/run/a.sock, 127.0.0.1:0, [::1]:0" \
	"socket_mode = 0600" "socket_owner = root:root" >"$T/check.conf"
assert_rc 0 "$APPROVALD" --check-config --config "$T/check.conf"
ok "--check-config explains bad listen, socket_mode and socket_owner values"
finish
