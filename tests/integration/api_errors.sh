#!/usr/bin/env bash
# api_errors.sh: hostile and malformed HTTP input gets the documented 4xx
# JSON error (docs/api.md), never a crash or a 5xx; every answer carries the
# security headers.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup
good=$(ctx_json)

create() {	# STATUS ERROR-CODE WHAT BODY [http options]
	local st=$1 err=$2 what=$3 body=$4
	shift 4
	http POST /v1/requests --host web1 --json "$body" "$@"
	assert_error "$st" "$err" "$what"
	ok "$what -> $st"
}

create 415 "" "text/plain body" "$good" --type text/plain
create 415 "" "form content type" "$good" --type application/x-www-form-urlencoded
create 415 "" "no content type" "$good" --no-type
create 201 "" "application/json; charset=utf-8" "$good" --type "application/json; charset=utf-8"

big=$(head -c 70000 /dev/zero | tr '\0' a)
create 413 "" "body over 64 KiB" "$(ctx_json ".reason = \"$big\"")"
# A chunked body has no length to refuse up front: the server answers 413 or
# cuts the connection once the limit is passed (docs/api.md).
http POST /v1/requests --host web1 --json "$(ctx_json ".reason = \"$big\"")" --header "Transfer-Encoding: chunked"
[ "$HTTP_STATUS" = 413 ] || [ "$HTTP_STATUS" = 000 ] ||
	fail "chunked body over 64 KiB: HTTP $HTTP_STATUS, expected 413 or a closed connection"
ok "chunked body over 64 KiB -> $HTTP_STATUS (curl exit $HTTP_CURL_RC)"

create 400 "" "malformed JSON" '{"service": "sudo", "user":'
create 400 "" "not an object" '["sudo"]'
create 400 "" "empty body" ''
create 400 "" "unknown field" "$(ctx_json '.is_admin = true')"
create 400 "" "NUL in a string" "$(ctx_json '.user = "al\u0000ice"')"
printf '%s' "$(ctx_json '.user = "XX"')" | sed 's/XX/al\xffice/' >"$T/badutf8.json"
http POST /v1/requests --host web1 --body-file "$T/badutf8.json"
assert_error 400 "" "invalid UTF-8"
ok "invalid UTF-8 -> 400"
create 400 "" "uid as a string" "$(ctx_json '.uid = "1000"')"
create 400 "" "negative uid" "$(ctx_json '.uid = -1')"
create 400 "" "fractional uid" "$(ctx_json '.uid = 1.5')"
create 400 "" "service as a number" "$(ctx_json '.service = 7')"
create 400 "" "missing hostname" "$(ctx_json 'del(.hostname)')"
create 400 "" "over-long user" "$(ctx_json ".user = \"$(head -c 300 /dev/zero | tr '\0' u)\"")"

api_create web1
id=$REQ_ID
for t in 61 abc -1 1.5 ''; do
	http GET "/v1/requests/$id/wait?timeout=$t" --host web1
	assert_error 400 "" "wait?timeout=$t"
	ok "wait?timeout=$t -> 400"
done
http GET "/v1/requests/$id/wait?timeout=0" --host web1
assert_status 200 "wait?timeout=0"
assert_json .status pending

http POST "/v1/requests/$id/approve" --approver carol --json '{"comment":"x","extra":1}'
assert_error 400 "" "unknown field in a decision"
http POST "/v1/requests/$id/approve" --approver carol --json "{\"comment\":\"$(head -c 3000 /dev/zero | tr '\0' c)\"}"
assert_error 400 "" "over-long comment"
http POST "/v1/requests/$id/approve" --approver carol --json '{"comment":"x"}' --type text/plain
assert_error 415 "" "decision as text/plain"
assert_eq pending "$(req_status "$REQ_CODE")" "status after refused decisions"
ok "bad decision bodies refused, nothing changed"

http GET /v1/requests --bearer apa_not-a-real-token
assert_error 401 unauthorized "unknown approver token"
assert_contains "$HTTP_HEADERS" "WWW-Authenticate: Bearer" "401 header"
http POST /v1/requests --bearer aph_not-a-real-token --json "$good"
assert_error 401 unauthorized "unknown host token"
http GET /v1/requests
assert_error 401 unauthorized "no token"
http GET /v1/requests --header "Authorization: Basic Y2Fyb2w6eA=="
assert_error 401 unauthorized "wrong scheme"
ok "bad tokens -> 401"

http GET /v1/nothing-here --approver carol
assert_status 404 "unknown path"
http DELETE "/v1/requests/$id" --approver carol
assert_status 405 "DELETE on a request"
assert_match "$HTTP_HEADERS" $'[Aa]llow: ' "405 has an Allow header"
ok "unknown path -> 404, wrong method -> 405"

http GET /v1/requests --approver carol
assert_status 200 "list"
for h in "Cache-Control: no-store" "X-Content-Type-Options: nosniff" \
	"Referrer-Policy: no-referrer" "X-Frame-Options: DENY" "frame-ancestors 'none'"; do
	assert_contains "$HTTP_HEADERS" "$h" "security headers"
done
ok "security headers present"

curl -fsS -o /dev/null "$APPROVALD_URL/healthz" || fail "approvald unhealthy after the bad input"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.requests WHERE status <> 'pending'")" "requests changed by bad input"
ok "approvald still serves"
finish
