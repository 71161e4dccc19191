#!/bin/sh
# test_pam_transport.sh PAMDRIVE MODULE: nobody on this host can pose as
# approvald. With approvald down, a local user's server on a loopback port
# above ip_unprivileged_port_start (the old demo setup, http://127.0.0.1:
# high port) never receives the host token and never gets an answer
# accepted; url=http://localhost:PORT is refused with a pointer to
# url=unix:; on a Unix socket the module proves the server before sending
# anything: a server whose SO_PEERCRED uid is neither root nor server_user
# (bound as root, then setuid nobody before listen()), a socket in a
# group/other-writable directory, a symlink in the path, or a socket file
# owned by another user is a denial (never "unreachable"), and the token
# does not arrive. A missing or stale socket in a sound directory is
# "unreachable". The module approves through a sound socket served by
# root. The requester's environment (proxy variables, SSL_CERT_FILE) sends
# nothing to an impostor. Root only (pamlib.sh).
PAMDRIVE=$1
MODULE=$2
. "$(dirname "$0")/pamlib.sh"
FAKE=$(dirname "$(readlink -f "$0")")/fake_approvald.py
NOBODY=$(id -u nobody)
LOG=$T/fake.log
FPID=
trap '[ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$T"' EXIT

# impostor LISTEN [UID]: a fake approvald (create_approved: it answers
# "approved" with the right digest at once) on LISTEN (fake_approvald.py's
# FAKE_LISTEN), optionally dropped to UID before listen(); logs reset.
impostor() {
	stop_impostor
	: > "$LOG"
	: > "$LOG.auth"
	printf 'create_approved\n' > "$T/mode"
	rm -f "$T/port"
	FAKE_LISTEN=$1 FAKE_UID=${2:-} python3 "$FAKE" "$T/mode" "$T/port" "$LOG" \
		"$TOKEN_VALUE" 2>> "$T/err.fake" &
	FPID=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/port" ] || { echo "Bail out! impostor on $1 did not start"; cat "$T/err.fake"; exit 1; }
}
stop_impostor() {
	[ -n "$FPID" ] && { kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null; }
	FPID=
}
no_token() { ! grep -q "$TOKEN_VALUE" "$LOG.auth" && ! grep -q '^POST' "$LOG"; }
logged() { grep -q -- "$1" "$T/err"; }
# mod ARGS: the module (failmode=open) once; the fake's logs are reset
# first, and pam_syslog's warnings reach $T/err
mod() {
	: > "$LOG"
	: > "$LOG.auth"
	service tr "auth required $MODULE token_file=$TOKEN failmode=open $*"
	EXTRA_ENV=PAM_WRAPPER_DEBUGLEVEL=1 drive tr auth
}

# --- a local user's server on a high loopback port ---------------------
HIGH=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
impostor "tcp:$HIGH" "$NOBODY"
mod "url=http://127.0.0.1:$HIGH"
check "impostor on 127.0.0.1:$HIGH: not approved" result PAM_AUTH_ERR
check "impostor on 127.0.0.1:$HIGH: received no token and no request" no_token
check "impostor on a high port: refused as misconfigured" has 'misconfigured'
check "impostor on a high port: the log says why" logged 'port.*unprivileged'
mod "url=http://[::1]:$HIGH"
check "http://[::1]:high: refused" logged 'port.*unprivileged'
stop_impostor

# --- localhost resolves to several addresses: refused by name ----------
mod "url=http://localhost:80"
check "url=http://localhost: denied" result PAM_AUTH_ERR
check "url=http://localhost: the log points to url=unix: or a literal address" \
	logged 'localhost.*url=unix:.*literal'

# --- a Unix socket: sound directory, wrong server uid -----------------
D=$T/run
mkdir -m 0711 "$D"
impostor "unix:$D/approvald.sock" "$NOBODY"
mod "url=unix:$D/approvald.sock"
check "socket served by uid $NOBODY: denied" result PAM_AUTH_ERR
check "socket served by uid $NOBODY: no token received" no_token
check "socket served by uid $NOBODY: the peer uid is logged" logged "peer uid $NOBODY"
check "socket served by uid $NOBODY: not 'unreachable' (failmode=open not used)" \
	sh -c "! grep -q 'WARNING' '$T/out'"
# naming that uid as server_user makes it trusted: the check is what denied
mod "url=unix:$D/approvald.sock server_user=nobody"
check "server_user=nobody: the same server is accepted" result PAM_SUCCESS
stop_impostor

# --- a sound socket served by root: approved --------------------------
impostor "unix:$D/approvald.sock"
mod "url=unix:$D/approvald.sock"
check "root's server on a sound socket: approved" result PAM_SUCCESS
check "root's server: got the token" grep -q "Bearer $TOKEN_VALUE" "$LOG.auth"
check "root's server: the Host header is localhost" sh -c "! grep -q '^BAD' '$LOG'"

# the socket file owned by someone else (the server is still root)
chown nobody "$D/approvald.sock"
mod "url=unix:$D/approvald.sock"
check "socket file owned by nobody: denied" result PAM_AUTH_ERR
check "socket file owned by nobody: no token" no_token
chown root "$D/approvald.sock"

# a symlink anywhere in the path is not followed
ln -s "$D" "$T/link"
mod "url=unix:$T/link/approvald.sock"
check "symlinked directory: denied" result PAM_AUTH_ERR
check "symlinked directory: no token" no_token
ln -s "$D/approvald.sock" "$D/sock.link"
mod "url=unix:$D/sock.link"
check "symlinked socket: denied" result PAM_AUTH_ERR
stop_impostor

# --- a socket in a group/other-writable directory ---------------------
for m in 0777 0773 0770 1777; do
	W=$T/w$m
	mkdir "$W"
	chmod "$m" "$W"
	impostor "unix:$W/approvald.sock"
	mod "url=unix:$W/approvald.sock"
	check "socket in a $m directory: denied" result PAM_AUTH_ERR
	check "socket in a $m directory: no token" no_token
	check "socket in a $m directory: logged" logged 'writable'
	stop_impostor
done
# ... also when the writable directory is higher up and not sticky
mkdir -m 0777 "$T/open"
mkdir -m 0711 "$T/open/run"
impostor "unix:$T/open/run/approvald.sock"
mod "url=unix:$T/open/run/approvald.sock"
check "writable non-sticky ancestor: denied" result PAM_AUTH_ERR
check "writable non-sticky ancestor: no token" no_token
stop_impostor

# --- nothing there: unreachable, and failmode=open may apply ----------
mod "url=unix:$D/approvald.sock"
check "stale socket file (no listener): unreachable" has 'unreachable'
rm -f "$D/approvald.sock"
service tr "auth required $MODULE token_file=$TOKEN url=unix:$D/approvald.sock"
drive tr auth
check "no socket file: unreachable, failmode closed denies" \
	has '^ERROR: Approval service unreachable; access denied.$'
check "no socket file: PAM_AUTH_ERR" result PAM_AUTH_ERR

# --- the requester's environment chooses nothing ----------------------
# proxy variables and CA overrides pointing at an impostor: the module
# still goes only where url= says (a missing socket, then a closed TCP
# port with https), and the impostor receives nothing
HIGH=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
impostor "tcp:$HIGH" "$NOBODY"
: > "$T/evil-ca.pem"
PROXY_ENV="http_proxy=http://127.0.0.1:$HIGH https_proxy=http://127.0.0.1:$HIGH
HTTP_PROXY=http://127.0.0.1:$HIGH HTTPS_PROXY=http://127.0.0.1:$HIGH
ALL_PROXY=http://127.0.0.1:$HIGH all_proxy=http://127.0.0.1:$HIGH no_proxy=
SSL_CERT_FILE=$T/evil-ca.pem SSL_CERT_DIR=$T APPROVAL_URL=http://127.0.0.1:$HIGH"
service tr "auth required $MODULE token_file=$TOKEN url=unix:$D/approvald.sock"
EXTRA_ENV="PAM_WRAPPER_DEBUGLEVEL=1 $(echo $PROXY_ENV)" drive tr auth
check "proxy variables, unix: url: denied as unreachable" has 'unreachable'
check "proxy variables, unix: url: the impostor received nothing" no_token
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
	service tr "auth required $MODULE token_file=$TOKEN url=https://127.0.0.1:$CLOSED ca=/etc/ssl/certs/ca-certificates.crt"
	EXTRA_ENV="PAM_WRAPPER_DEBUGLEVEL=1 $(echo $PROXY_ENV)" drive tr auth
	check "proxy variables, https: url: denied" result PAM_AUTH_ERR
	check "proxy variables, https: url: the impostor received nothing" no_token
fi
stop_impostor

finish
