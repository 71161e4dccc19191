#!/usr/bin/env bash
# strict_bodies.sh: the sign-in body (POST /v1/session) and the cancel body
# go through the same strict reader as every other body approvald reads
# (common/wire.c): a duplicate field, a lone UTF-16 surrogate escape, an
# unknown field, a wrong type, trailing data or a non-object is 400, where a
# well-formed body with a wrong password is 401 (it was read, and refused).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup

login() { http POST /v1/session --json "$1"; }

login '{"login": "carol", "password": "wrong"}'
assert_error 401 unauthorized "a well-formed sign-in with a wrong password"
ok "well-formed sign-in body -> 401"

for b in '{"login": "carol", "login": "carol", "password": "wrong"}' \
	'{"login": "carol", "password": "wrong", "password": "again"}' \
	'{"login": "carol", "password": "wr\ud800ong"}' \
	'{"login": "car\udc00ol", "password": "wrong"}' \
	'{"login": "carol", "password": "wrong", "remember": true}' \
	'{"login": "carol", "password": 7}' \
	'{"login": "carol"}' \
	'{"login": "", "password": "wrong"}' \
	'{"sso": true, "sso": true}' \
	'{"sso": "true"}' \
	'{"sso": false}' \
	'{"sso": true, "login": "carol"}' \
	'{"login": "carol", "password": "wrong"} {}' \
	'["carol", "wrong"]' \
	'{"login": "carol", "password": "wrong"'; do
	login "$b"
	assert_error 400 bad_request "sign-in body $b"
	ok "sign-in body $b -> 400"
done

api_create web1
for b in '{"x": 1}' '[]' '{} {}' '{"a": "\ud800"}' 'null'; do
	http POST "/v1/requests/$REQ_ID/cancel" --host web1 --json "$b"
	assert_error 400 bad_request "cancel body $b"
	ok "cancel body $b -> 400"
done
assert_eq pending "$(req_status "$REQ_CODE")" "the request is still pending"
http POST "/v1/requests/$REQ_ID/cancel" --host web1 --json '{}'
assert_status 200 "cancel with {}"
assert_eq cancelled "$(req_status "$REQ_CODE")" "cancelled by {}"
ok "cancel body {} -> 200"
