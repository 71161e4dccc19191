#!/usr/bin/env bash
# foreign_host.sh: a host reads and cancels only its own requests; another
# host's request or an unknown id is 404 (no existence leak), a malformed id
# 400; tokens of the wrong kind are 403, a revoked host 401.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
db_start
approvald_start
mk_host web1
mk_host web2
mk_approver carol carol

api_create web1
id=$REQ_ID code=$REQ_CODE

http GET "/v1/requests/$id/wait?timeout=0" --host web1
assert_status 200 "owner waits"
assert_json .status pending
assert_json .code "$code"

http GET "/v1/requests/$id/wait?timeout=0" --host web2
assert_error 404 "" "another host's wait"
http POST "/v1/requests/$id/cancel" --host web2 --json '{}'
assert_error 404 "" "another host's cancel"
assert_eq pending "$(req_status "$code")" "status after a foreign cancel"
http GET "/v1/requests/00000000-0000-4000-8000-000000000000/wait?timeout=0" --host web1
assert_error 404 "" "unknown id"
http GET "/v1/requests/not-a-uuid/wait?timeout=0" --host web1
assert_error 400 "" "malformed id"
ok "foreign and unknown ids -> 404, malformed -> 400"

http GET /v1/requests --host web1
assert_status 403 "host token on an approver endpoint"
http GET "/v1/requests/$id" --host web1
assert_status 403 "host token on the approver detail"
http GET "/v1/requests/$id/wait?timeout=0" --approver carol
assert_status 403 "approver token on a host endpoint"
ok "wrong kind of token -> 403"

http POST "/v1/requests/$id/cancel" --host web1
assert_status 200 "owner cancels (empty body)"
assert_json .status cancelled
assert_eq cancelled "$(req_status "$code")"
ok "the owner can cancel"

assert_rc 0 actl_admin host revoke web2
http GET "/v1/requests/$id/wait?timeout=0" --host web2
assert_error 401 unauthorized "revoked host"
http POST /v1/requests --host web2 --json "$(ctx_json)"
assert_error 401 unauthorized "revoked host creates"
ok "revoked host -> 401"
finish
