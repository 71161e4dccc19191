#!/usr/bin/env bash
# http_hygiene.sh: HEAD is answered on every GET route of approvald's route
# table (read from approvald/httpd.c, so a new GET route is covered too)
# with the GET's status and headers and no body, /healthz included, also
# for a browser session without a CSRF token (HEAD is a read); a 405 lists
# HEAD beside GET; unknown /ui/ paths of any depth answer the UI's page
# with 404; every answer carries Permissions-Policy; over
# approvald's own TLS every answer carries Strict-Transport-Security, and
# over plain HTTP (loopback, the Unix socket) none does.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_cmd openssl
standard_setup
mk_approver audrey
sql "UPDATE approval.approvers SET roles = '{auditor}' WHERE login = 'audrey'" >/dev/null

header() {	# NAME HEADERS-TEXT
	printf '%s\n' "$2" | tr -d '\r' |
		awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" -F': ' \
			'tolower($1) == n { sub(/^[^:]*: /, ""); print; exit }'
}
pp_want="accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(), hid=(), publickey-credentials-get=(), screen-wake-lock=(), xr-spatial-tracking=()"

# raw_head PATH [HEADER]: send HEAD over TCP with Connection: close;
# prints the status, head in $T/head.h, what followed it in $T/head.body.
raw_head() {
	python3 - "$APPROVALD_PORT" "$1" "${2:-}" "$T/head.h" "$T/head.body" <<'PY'
import socket, sys
port, path, hdr, hfile, bfile = sys.argv[1:6]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
req = "HEAD %s HTTP/1.1\r\nHost: approvald.test\r\nConnection: close\r\n" % path
if hdr:
    req += hdr + "\r\n"
s.sendall((req + "\r\n").encode())
data = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    data += c
head, _, rest = data.partition(b"\r\n\r\n")
open(hfile, "wb").write(head + b"\r\n")
open(bfile, "wb").write(rest)
print(head.split(b" ", 2)[1].decode() if head else "000")
PY
}

api_create web1
id=$REQ_ID code=$REQ_CODE

# The GET routes of the table, and who may call each.
mapfile -t routes < <(sed -n 's/^[[:space:]]*{ "GET", "\([^"]*\)", \(NEED_[A-Z]*\),.*/\1 \2/p' \
	"$SRCDIR/approvald/httpd.c")
[ "${#routes[@]}" -ge 15 ] || fail "found only ${#routes[@]} GET routes in httpd.c"
note "${#routes[@]} GET routes"

for line in "${routes[@]}"; do
	pattern=${line% *} need=${line#* }
	path=$pattern
	case $pattern in
	/v1/requests/*/wait) path=/v1/requests/$id/wait; q='?timeout=0' ;;
	/v1/requests/*) path=/v1/requests/$id; q= ;;
	/v1/events) q='?timeout=0' ;;
	/v1/reports/*) path=/v1/reports/elevations; q= ;;
	/r/*) path=/r/$code; q= ;;
	/ui/requests/*) path=/ui/requests/$code; q= ;;
	/ui/static/*) path=/ui/static/app.js; q= ;;
	/ui/\*\*) path=/ui/no/such/page/at/depth/six; q= ;;
	*\**) fail "no example path for GET route $pattern (add one here)" ;;
	*) q= ;;
	esac
	auth=()
	case $need in
	NEED_HOST) auth=(-H "Authorization: Bearer $(host_token web1)") ;;
	NEED_NONE) ;;
	*) auth=(-H "Authorization: Bearer $(cat "$T/approver-carol.token")") ;;
	esac
	[ "$pattern" = /v1/reports/* ] && auth=(-H "Authorization: Bearer $(cat "$T/approver-audrey.token")")
	gs=$(curl -sS -o "$T/get.body" -D "$T/get.h" -w '%{http_code}' --max-time 20 \
		"${auth[@]}" "$APPROVALD_URL$path$q")
	# a raw HEAD, read to the connection's close: head in head.h, the
	# bytes after it (none allowed) in head.body
	hs=$(raw_head "$path$q" "${auth[1]:-}")
	assert_ne 405 "$hs" "HEAD $pattern"
	assert_eq "$gs" "$hs" "HEAD $pattern: the GET's status"
	[ ! -s "$T/head.body" ] || fail "HEAD $pattern: a body came back"
	gh=$(cat "$T/get.h") hh=$(cat "$T/head.h")
	assert_eq "$(header Content-Type "$gh")" "$(header Content-Type "$hh")" "HEAD $pattern: Content-Type"
	assert_eq "$pp_want" "$(header Permissions-Policy "$hh")" "HEAD $pattern: Permissions-Policy"
	assert_eq "$pp_want" "$(header Permissions-Policy "$gh")" "GET $pattern: Permissions-Policy"
	assert_eq "" "$(header Strict-Transport-Security "$gh")" "GET $pattern over plain HTTP: no HSTS"
done
ok "HEAD answered like GET on every GET route"

# Unknown /ui/ paths of any depth (and under /ui/static/) answer the UI's
# page with 404, never JSON: the shell's script shows its not-found page.
deep=/ui$(printf '/seg%d' $(seq 1 40))
for p in /ui/x /ui/x/y /ui/x/y/z /ui/x/y/z/w /ui/requests/a/b /ui/static/a/b "$deep" /ui/x/; do
	s=$(curl -sS -o "$T/ui.body" -D "$T/ui.h" -w '%{http_code}' --max-time 10 "$APPROVALD_URL$p")
	assert_eq 404 "$s" "GET $p"
	assert_match "$(header Content-Type "$(cat "$T/ui.h")")" '^text/html' "GET $p: the page, not JSON"
	grep -q '/ui/static/app.js' "$T/ui.body" || fail "GET $p: not the UI's page"
done
http GET /ui/
assert_status 200 "GET /ui/ is still the UI"
ok "unknown /ui/ paths of any depth answer the UI's not-found page"

# A browser session's HEAD needs no CSRF token, as its GET does not.
actl_admin approver passwd carol <<<"carol-Secret-9" >/dev/null 2>&1 || fail "approver passwd carol"
http POST /v1/session --json '{"login":"carol","password":"carol-Secret-9"}'
assert_status 200 "sign-in"
cookie=$(sed -n 's/^Set-Cookie: \(approvald_session=[^;]*\);.*/\1/ip' <<<"$HTTP_HEADERS" | tr -d '\r')
assert_ne "" "$cookie" "session cookie"
hs=$(curl -sS --head -o /dev/null -w '%{http_code}' --max-time 20 -H "Cookie: $cookie" \
	"$APPROVALD_URL/v1/requests/$id")
assert_eq 200 "$hs" "HEAD with a session cookie and no CSRF token"

# 405 names HEAD with GET; the head-only answer still has the headers.
http DELETE /healthz
assert_status 405
assert_eq "GET, HEAD" "$(header Allow "$HTTP_HEADERS")" "Allow of /healthz"
assert_eq "$pp_want" "$(header Permissions-Policy "$HTTP_HEADERS")" "405: Permissions-Policy"
http GET /nowhere
assert_eq "$pp_want" "$(header Permissions-Policy "$HTTP_HEADERS")" "404: Permissions-Policy"
hs=$(curl -sS --head -o /dev/null -D "$T/head.h" -w '%{http_code}' --max-time 10 \
	--unix-socket "$APPROVALD_SOCK" http://localhost/healthz)
assert_eq 200 "$hs" "HEAD /healthz on the Unix socket"
assert_eq "" "$(header Strict-Transport-Security "$(cat "$T/head.h")")" "Unix socket: no HSTS"

# --- TLS ---------------------------------------------------------------------
approvald_stop
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$T/tls.key" -out "$T/tls.crt" >/dev/null 2>&1 || fail "openssl req failed"
chmod 0600 "$T/tls.key"
cat >"$T/tls.conf" <<EOF
database = $PG_APP_CONNINFO
listen = unix:$APPROVALD_SOCK, 127.0.0.1:0
public_url = https://approvald.test
tls_cert = $T/tls.crt
tls_key = $T/tls.key
pool_size = 2
EOF
rm -f "$T/tls.port"
"$APPROVALD" --config "$T/tls.conf" --port-file "$T/tls.port" >>"$T/approvald.log" 2>&1 &
_H_PIDS+=("$!")
wait_until 20 test -s "$T/tls.port" || fail "approvald with TLS wrote no port file"
port=$(cat "$T/tls.port")
tls_get() {	# PATH [curl args]: HTTPS status; headers in $T/tls.h
	local p=$1
	shift
	curl -sS --cacert "$T/tls.crt" -o /dev/null -D "$T/tls.h" -w '%{http_code}' \
		--max-time 10 "$@" "https://127.0.0.1:$port$p"
}
wait_until 20 tls_get /healthz || fail "no /healthz over TLS"
for p in /healthz /ui/ /v1/requests /nowhere; do
	s=$(tls_get "$p")
	assert_ne 000 "$s" "GET $p over TLS"
	assert_eq max-age=31536000 "$(header Strict-Transport-Security "$(cat "$T/tls.h")")" \
		"GET $p over TLS ($s): Strict-Transport-Security"
	assert_eq "$pp_want" "$(header Permissions-Policy "$(cat "$T/tls.h")")" "GET $p over TLS: Permissions-Policy"
done
s=$(tls_get /healthz --head)
assert_eq 200 "$s" "HEAD /healthz over TLS"
assert_eq max-age=31536000 "$(header Strict-Transport-Security "$(cat "$T/tls.h")")" "HEAD over TLS: HSTS"
hs=$(curl -sS -o /dev/null -D "$T/head.h" -w '%{http_code}' --max-time 10 \
	--unix-socket "$APPROVALD_SOCK" http://localhost/healthz)
assert_eq 200 "$hs" "the Unix socket beside TLS"
assert_eq "" "$(header Strict-Transport-Security "$(cat "$T/head.h")")" "Unix socket beside TLS: no HSTS"
ok "HSTS over TLS only"
finish
