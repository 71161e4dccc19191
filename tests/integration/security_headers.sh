#!/usr/bin/env bash
# security_headers.sh: every answer carries the same security headers, from
# the one place that sends them (httpd.c http_queue): a UI page, a UI asset,
# a 304 revalidation, the session endpoints, an API error (401, 404, 405),
# /healthz and /metrics, over TCP and the Unix socket. A text/html page gets
# the CSP that lets it load our own assets; everything else may load nothing.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
db_start
approvald_start

page_csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
other_csp="default-src 'none'; frame-ancestors 'none'"

# header NAME: its value in the last answer ("" when absent)
header() {
	printf '%s\n' "$HTTP_HEADERS" | tr -d '\r' |
		awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" -F': ' \
			'tolower($1) == n { sub(/^[^:]*: /, ""); print; exit }'
}

check_set() {	# CSP WHAT
	assert_eq nosniff "$(header X-Content-Type-Options)" "$2: X-Content-Type-Options"
	assert_eq no-referrer "$(header Referrer-Policy)" "$2: Referrer-Policy"
	assert_eq DENY "$(header X-Frame-Options)" "$2: X-Frame-Options"
	assert_eq same-origin "$(header Cross-Origin-Opener-Policy)" "$2: Cross-Origin-Opener-Policy"
	assert_eq "$1" "$(header Content-Security-Policy)" "$2: Content-Security-Policy"
	assert_ne "" "$(header Cache-Control)" "$2: Cache-Control"
}

http GET /ui/
assert_status 200
check_set "$page_csp" "GET /ui/"
etag=$(header ETag)
http GET /ui/ --header "If-None-Match: $etag"
assert_status 304
check_set "$page_csp" "GET /ui/ revalidated"
http GET /ui/static/app.js
assert_status 200
check_set "$other_csp" "GET /ui/static/app.js"
http GET /v1/session
assert_status 401
check_set "$other_csp" "GET /v1/session"
http POST /v1/session --json '{"login": "nobody", "password": "x"}'
check_set "$other_csp" "POST /v1/session"
http GET /v1/requests
assert_status 401
check_set "$other_csp" "GET /v1/requests"
http GET /nowhere
assert_status 404
check_set "$other_csp" "GET /nowhere"
http PUT /v1/requests
assert_status 405
check_set "$other_csp" "PUT /v1/requests"
http GET /
assert_status 302
check_set "$other_csp" "GET /"
http GET /healthz
assert_status 200
check_set "$other_csp" "GET /healthz"
http GET /metrics
assert_status 200
check_set "$other_csp" "GET /metrics"
http GET /healthz --unix
assert_status 200
check_set "$other_csp" "GET /healthz on the Unix socket"
ok "one set of security headers on pages, assets, session, API errors, health"
