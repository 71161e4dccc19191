#!/usr/bin/env bash
# breakglass_review.sh: approvers review both kinds of break-glass through
# the API (docs/api.md, "Break-glass"), with the real module, approvald and
# PostgreSQL:
#   - GET /v1/breakglass lists the open items of both kinds in one shape
#     (a breakglass rule's request let in through the module, an offline
#     code's use its host reported): kind, id, host, requester, target,
#     service, command, reason or code, when, review state; ?all=1 adds the
#     closed ones with who closed them, when and why. Readers (an auditor
#     too) may list; a host token is 403, no credential 401;
#   - POST /v1/breakglass/uses/BG-ID/review {"comment"} closes an offline
#     use with POST /v1/requests/ID/review's rules and error shapes: a
#     comment is required (400), an unknown code 404, a malformed id 400,
#     a second close 409, the requester 403 self_approval also when they are
#     an approver through their unix login (the database refuses it), an
#     auditor 403, a host token 403, no credential 401, a browser session
#     without its CSRF token 403; nothing is recorded by a refusal;
#   - the close is audited once (breakglass.reviewed, kind offline, the
#     approver), report_breakglass shows it closed, `approvalctl audit
#     verify` passes; the database itself refuses a review by an approver
#     whose role may not decide (HINT forbidden).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
mk_approver dave-adm dave	# an approver who is the offline use's requester
mk_approver root-adm root	# ... and one who is the rule kind's (the module runs as root)
tok=$(actl_admin approver add audrey --role auditor 2>>"$T/admin.log") || fail "approver add audrey"
_h_token_file "$T/approver-audrey.token" "$tok"

# a breakglass rule's request, through the module
assert_rc 0 actl_admin policy add 'breakglass service=bg'
pam_service bg --stack account reason=optional
reason="primary db down, nobody on call answers"
APPROVAL_REASON=$reason pamdrive_run rule 10 --service bg --user alice --op account
assert_pam rule PAM_SUCCESS
code=$(sql "SELECT code FROM approval.requests WHERE service = 'bg'")
rid=$(req_field "$code" id)

# an offline code's use, reported by its host
assert_rc 0 actl_admin breakglass issue web1 --count 2 --file "$T/bg.codes"
mapfile -t ids < <(grep -oE '^BG-[0-9A-Z]{8}' <<<"$LAST_OUT")
assert_eq 2 "${#ids[@]}" "two codes issued"
bg=${ids[0]}
use() { printf '{"code_id":"%s","requester":"dave","target_user":"root","service":"sudo","command":"%s","digest":"%s","used_at":1700000000}' \
	"$1" "$2" "$(printf 'a%.0s' {1..64})"; }
http POST /v1/breakglass/uses --host web1 --json "$(use "$bg" "/usr/bin/systemctl restart postgresql")"
assert_status 201 "the offline use is recorded"

# --- the list -----------------------------------------------------------------
http GET /v1/breakglass
assert_error 401 unauthorized "the list without a credential"
http GET /v1/breakglass --host web1
assert_error 403 forbidden "the list with a host token"
http GET /v1/breakglass --approver audrey
assert_status 200 "an auditor may read the list"
assert_json '.items | length' 2 "the auditor's list"
http GET '/v1/breakglass?all=2' --approver carol
assert_error 400 bad_request "all=2"
http GET '/v1/breakglass?limit=0' --approver carol
assert_error 400 bad_request "limit=0"
http GET /v1/breakglass --approver carol
assert_status 200 "carol's list"
assert_json '.open' 2 "two open items"
assert_json '[.items[].kind] | sort | join(",")' "offline,rule" "both kinds"
assert_json '[.items[] | select(.kind == "rule") | .id, .code, .host, .requester, .target_user, .service, .reason, .review, .own, .review_path] | join("|")' \
	"$rid|$code|web1|root|alice|bg|$reason|needs review|false|/v1/requests/$rid/review" "the rule kind's item"
assert_json '[.items[] | select(.kind == "offline") | .id, .code, .host, .requester, .target_user, .service, .command, .at, .review, .own, .review_path] | join("|")' \
	"$bg|$bg|web1|dave|root|sudo|/usr/bin/systemctl restart postgresql|2023-11-14T22:13:20.000000Z|needs review|false|/v1/breakglass/uses/$bg/review" "the offline item"
assert_json '[.items[] | select(.kind == "offline") | (.rule | startswith("offline code issued ")), (.reported_at | length > 0), .reviewed_by] | map(tostring) | join("|")' \
	"true|true|null" "the offline item: the code's issue, when reported, no reviewer yet"
assert_json '[.items[] | select(.kind == "rule") | .rule | startswith("#")] | .[0]' true "the rule kind names its rule"
http GET /v1/breakglass --approver dave-adm
assert_json '[.items[] | select(.kind == "offline") | .own] | .[0]' true "the requester's own item says so"
http GET /v1/breakglass --approver root-adm
assert_json '[.items[] | select(.kind == "rule") | .own] | .[0]' true "the rule kind's requester's own item says so"
ok "GET /v1/breakglass: both kinds in one shape, readers only"

# --- closing an offline use: refusals -----------------------------------------
path=/v1/breakglass/uses/$bg/review
closed() { sql "SELECT count(*) FROM approval.breakglass_offline_reviews WHERE code_id = '$bg'"; }
http POST "$path" --json '{"comment": "x"}'
assert_error 401 unauthorized "review without a credential"
http POST "$path" --host web1 --json '{"comment": "x"}'
assert_error 403 forbidden "review with a host token"
http POST "$path" --approver audrey --json '{"comment": "x"}'
assert_error 403 forbidden "review by an auditor"
http POST "$path" --approver carol --json '{}'
assert_error 400 bad_request "review without a comment"
http POST "$path" --approver carol --json '{"comment": " \t"}'
assert_error 400 bad_request "review with a blank comment"
http POST "$path" --approver carol --json '{"comment": "x", "extra": 1}'
assert_error 400 bad_request "review with an unknown field"
http POST "$path" --approver carol --no-type --json '{"comment": "x"}'
assert_status 415 "review without a JSON content type"
http POST /v1/breakglass/uses/BG-ZZZZZZZZ/review --approver carol --json '{"comment": "x"}'
assert_error 404 not_found "review of an unknown code"
http POST "/v1/breakglass/uses/${ids[1]}/review" --approver carol --json '{"comment": "x"}'
assert_error 404 not_found "review of an issued code whose use was never reported"
http POST /v1/breakglass/uses/not-a-code/review --approver carol --json '{"comment": "x"}'
assert_error 400 bad_request "review of a malformed id"
http POST "$path" --approver dave-adm --json '{"comment": "my own, fine"}'
assert_error 403 self_approval "the requester (an approver by unix login) reviews their own use"
wait_for_line "$T/approvald.log" "break-glass $bg \\(offline code\\): dave-adm may not review their own" 5 >/dev/null
actl_admin approver passwd carol <<<"carol-Secret-9" >/dev/null 2>&1 || fail "approver passwd carol"
http POST /v1/session --json '{"login":"carol","password":"carol-Secret-9"}'
assert_status 200 "carol signs in"
csrf=$(json .csrf_token)
cookie=$(sed -n 's/^Set-Cookie: \(approvald_session=[^;]*\);.*/\1/ip' <<<"$HTTP_HEADERS" | tr -d '\r')
assert_ne "" "$cookie" "session cookie"
http POST "$path" --header "Cookie: $cookie" --json '{"comment": "x"}'
assert_error 403 csrf "a browser session's review without its CSRF token"
http POST "$path" --header "Cookie: $cookie" --header "X-CSRF-Token: wrong$csrf" --json '{"comment": "x"}'
assert_error 403 csrf "a browser session's review with a wrong CSRF token"
assert_eq 0 "$(closed)" "no refusal recorded a review"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed'")" "no review audited"
ok "an offline use's review refuses what the rule kind's refuses, with the same error shapes"

# --- closing it ------------------------------------------------------------------
comment="db outage, checked with dave: failover runbook step 3"
http POST "$path" --header "Cookie: $cookie" --header "X-CSRF-Token: $csrf" \
	--json "{\"comment\": \"$comment\"}"
assert_status 200 "carol closes $bg from her browser session"
assert_json '[.items[0] | .kind, .id, .review, .reviewed_by, .review_comment, (.reviewed_at | length > 0)] | map(tostring) | join("|")' \
	"offline|$bg|closed|carol|$comment|true" "the answer is the closed item"
assert_json '.items | length' 1 "the answer has that item only"
http POST "$path" --approver carol --json '{"comment": "again"}'
assert_error 409 already_reviewed "a second close"
http POST "$path" --approver root-adm --json '{"comment": "again, by another"}'
assert_error 409 already_reviewed "a second close by another approver"
assert_eq 1 "$(closed)" "one review on record"
assert_eq "closed|carol|$comment" "$(sql "SELECT review || '|' || reviewed_by || '|' || review_comment FROM approval.report_breakglass WHERE code = '$bg'")" "report_breakglass shows it closed"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed' AND subject = '$bg' AND actor = 'carol' AND detail->>'kind' = 'offline' AND detail->>'comment' = '$comment'")" "the close is audited once"
wait_for_line "$T/approvald.log" "break-glass $bg \\(offline code\\): break-glass review closed by carol" 5 >/dev/null
ok "an approver other than the requester closes the offline use through the API, once"

# the rule kind, for the list: its requester refused, carol closes it
http POST "/v1/requests/$rid/review" --approver root-adm --json '{"comment": "mine"}'
assert_error 403 self_approval "the rule kind's requester"
http POST "/v1/requests/$rid/review" --approver carol --json '{"comment": "checked the rule kind"}'
assert_status 200 "carol closes $code"
http GET /v1/breakglass --approver carol
assert_json '.open' 0 "nothing open"
assert_json '.items | length' 0 "the default list has open items only"
http GET '/v1/breakglass?all=1' --approver carol
assert_json '[.items[] | .kind + ":" + .review + ":" + .reviewed_by] | sort | join(",")' \
	"offline:closed:carol,rule:closed:carol" "?all=1: both, closed by carol"
assert_json '[.items[] | select(.kind == "rule") | .review_comment] | .[0]' "checked the rule kind"
ok "GET /v1/breakglass?all=1 shows the closed items of both kinds with who closed them"

# the database refuses a review by a role that may not decide, whoever asks
http POST /v1/breakglass/uses --host web1 --json "$(use "${ids[1]}" /bin/sh)"
assert_status 201 "a second use"
aud=$(sql "SELECT id FROM approval.approvers WHERE login = 'audrey'")
rc=0; err=$(pg_psql -c "INSERT INTO approval.breakglass_offline_reviews (code_id, approver_id, comment) VALUES ('${ids[1]}', $aud, 'x')" 2>&1) || rc=$?
assert_ne 0 "$rc" "an auditor's review by direct SQL"
assert_contains "$err" "may not review break-glass"
ok "the database refuses a review by an approver whose role may not decide"

sealed() { [ "$(sql "SELECT rows FROM approval.audit_unsealed")" = 0 ]; }
wait_until 10 sealed ||
	fail "not sealed: $(sql "SELECT * FROM approval.audit_unsealed")"
assert_rc 0 actl_admin audit verify
assert_match "$LAST_OUT" "audit log intact" "the chain verifies"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
finish
