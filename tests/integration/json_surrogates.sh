#!/usr/bin/env bash
# json_surrogates.sh: approvald refuses (400) a JSON string holding a lone
# UTF-16 surrogate escape: a high one alone or at the end ("\ud800"), a low
# one alone ("\udc00"), a high one followed by anything but a low one. json-c
# would store U+FFFD in its place, so the text approvers see would not be
# what the host sent. A proper pair, and "\\ud800" (an escaped backslash
# followed by plain text), are accepted and stored as sent.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup

# raw BODY-TEXT: POST a create body whose reason is the raw JSON text given
raw() {
	ctx_json '.reason = "XX"' | sed "s/XX/$(printf '%s' "$1" | sed 's/\\/\\\\/g')/" >"$T/raw.json"
	http POST /v1/requests --host web1 --body-file "$T/raw.json"
}

for s in '\ud800' '\udc00' '\uD800' 'a\ud800b' '\ud800\u0041' '\ud800\ud800' \
	'\udc00\ud800' '\ud83d' '\ude00\ud83d' 'x\\\ud800'; do
	raw "$s"
	assert_error 400 "" "lone surrogate $s"
	ok "lone surrogate escape $s -> 400"
done
assert_eq 0 "$(req_count)" "no request stored for a lone surrogate"

raw '\ud83d\ude00 ok'
assert_status 201 "a surrogate pair"
id=$(json .id)
http GET "/v1/requests/$id" --approver carol
assert_status 200
assert_json .reason "$(printf '\360\237\230\200 ok')" "the pair is stored as U+1F600"

raw '\\ud800'
assert_status 201 "an escaped backslash before ud800"
id=$(json .id)
http GET "/v1/requests/$id" --approver carol
assert_json .reason '\ud800' "an escaped backslash is text, not an escape"

# a decision body goes through the same reader
api_create web1
http POST "/v1/requests/$REQ_ID/deny" --approver carol --json '{"comment":"no \udfff"}'
assert_error 400 "" "lone surrogate in a decision comment"
ok "lone surrogate in a decision comment -> 400"
assert_eq pending "$(req_status "$REQ_CODE")" "the request is still pending"
finish
