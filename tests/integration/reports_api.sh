#!/usr/bin/env bash
# reports_api.sh: GET /v1/reports, /v1/reports/NAME and NAME.csv over a
# history made through the real module and API:
# requests approved, denied (comment with a comma, quotes and a newline),
# left to expire, cancelled by Ctrl-C, and one an approver tried to decide
# for themselves. The commands start with =, @, + and - (the module reports
# /proc/self/cmdline, so pamdrive runs with such an argv[0]).
# Checks: the rows of a date range in JSON and CSV; RFC 4180 quoting and
# formula neutralising; the API's CSV and JSON equal `approvalctl report`;
# roles (auditor reads but may not decide, a host token may not read, no
# token 401); unknown report 404; bad periods 400; approvalctl audit verify
# passes on that history; approvald logs the chain head (audit_head_interval).
# Every view's rows, value for value: tests/integration/reports_views.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
need_cmd python3
standard_setup request_ttl=15 audit_head_interval=1
mk_approver rooty root				# unix login root: the requester below
actl_admin approver add audrey --role auditor >"$T/audrey.token" 2>>"$T/admin.log" ||
	fail "approver add audrey --role auditor failed"
_h_token_file "$T/approver-audrey.token" "$(cat "$T/audrey.token")"
pam_service sudo-rep --stack account timeout=120

# pamdrive under another argv[0]: that is the command approvers see.
cat >"$T/pamdrive-argv0" <<EOF
#!/bin/bash
exec -a "\$REPORT_ARGV0" "$PAMDRIVE" "\$@"
EOF
chmod 0755 "$T/pamdrive-argv0"
# start ARGV0 OUTNAME: a waiting module whose command starts with ARGV0;
# sets CODE and PID.
start() {
	REPORT_ARGV0=$1 PAMDRIVE="$T/pamdrive-argv0" \
		run_pamdrive "$2" --service sudo-rep --user alice --op account
	PID=$PAMDRIVE_PID
	CODE=$(wait_for_code "$2")
}
tail_args='--service sudo-rep --user alice --op account'

# --- the history ------------------------------------------------------------
start '+cmd' expire; c_exp=$CODE p_exp=$PID		# nobody answers
start '=1+2,3' approve; c_app=$CODE p_app=$PID
start '@SUM' deny; c_den=$CODE p_den=$PID
start '-cmd' cancel; c_can=$CODE p_can=$PID
start 'run "x",y' self; c_self=$CODE p_self=$PID
wait_for_waiters 5 20
note "requests: expire $c_exp approve $c_app deny $c_den cancel $c_can self $c_self"

assert_rc 0 actl carol approve "$c_app" -m ok
comment=$'no, "not now"\nask again monday'
http POST "/v1/requests/$c_den/deny" --approver carol --json "$(jq -cn --arg c "$comment" '{comment: $c}')"
assert_status 200 "deny with a comment"
kill -INT "$p_can"
http POST "/v1/requests/$c_self/approve" --approver rooty
assert_error 403 self_approval "approval by the requester"
assert_rc 0 actl carol approve "$c_self"
for p in "$p_app" "$p_self"; do
	pamdrive_wait "$p" 20
	[ "$PAMDRIVE_RC" = 0 ] || fail "an approved module call failed (exit $PAMDRIVE_RC)"
done
for p in "$p_den" "$p_can"; do
	pamdrive_wait "$p" 20
	[ "$PAMDRIVE_RC" != 0 ] || fail "a denied or cancelled module call succeeded"
done
wait_for_status "$c_can" cancelled 10
wait_for_status "$c_exp" expired 40
pamdrive_wait "$p_exp" 20
[ "$PAMDRIVE_RC" != 0 ] || fail "an expired module call succeeded"
ok "history: approved, denied, expired, cancelled, a refused self-approval"

# The period that holds the history (two days if it ran over midnight).
d1=$(sql "SELECT min(day) FROM approval.report_elevations")
d2=$(sql "SELECT max(day) FROM approval.report_elevations")
before=$(sql "SELECT '$d1'::date - 1")
after=$(sql "SELECT '$d2'::date + 1")
range="from=$d1&to=$d2"

# --- the catalogue ------------------------------------------------------------
http GET /v1/reports --approver audrey
assert_status 200
assert_json '[.reports[].name] | join(" ")' "elevations decision_latency denied expired_unanswered self_approval_attempts approver_activity after_hours auto_allowed initiators breakglass notification_failures host_silence"
assert_json '.reports[0].description' "$(sql "SELECT obj_description('approval.report_elevations'::regclass, 'pg_class')")"
assert_json '[.reports[] | select(.description == null)] | length' 0
assert_json .row_limit 100000
ok "GET /v1/reports lists the views with their descriptions"

# --- JSON -----------------------------------------------------------------------
http GET "/v1/reports/elevations?$range" --approver audrey
assert_status 200
assert_contains "$HTTP_HEADERS" "application/json; charset=utf-8"
assert_json .report elevations
assert_json .from "$d1"
assert_json .to "$d2"
assert_json '.columns[0:4] | join(",")' "day,created_at,decided_at,expires_at"
assert_json '.columns | length' "$(sql "SELECT count(*) FROM pg_attribute WHERE attrelid = 'approval.report_elevations'::regclass AND attnum > 0")"
assert_json '.rows | length' 5
assert_json '[.rows[] | .code + "=" + .outcome] | join(" ")' \
	"$c_exp=expired $c_app=approved $c_den=denied $c_can=cancelled $c_self=approved"
assert_json "[.rows[] | select(.decided_by == \"carol\") | .code] | sort | join(\" \")" \
	"$(printf '%s\n' "$c_app" "$c_den" "$c_self" | sort | tr '\n' ' ' | sed 's/ $//')"
assert_json ".rows[] | select(.code == \"$c_den\") | .decision_comment" "$comment"
assert_json "[.rows[] | .command] | join(\"|\")" \
	"+cmd $tail_args|=1+2,3 $tail_args|@SUM $tail_args|-cmd $tail_args|'run \"x\",y' $tail_args"
assert_json '[.rows[] | .requester] | unique | join(",")' root
assert_json "[.rows[] | select(.outcome == \"approved\" or .outcome == \"denied\") | .decision_latency_seconds | type] | unique | join(\",\")" number
# shellcheck disable=SC2016  # $c is jq's
assert_json '.columns as $c | [.rows[] | keys_unsorted == $c] | all' true "row keys are .columns, in order"
# the same rows as approvalctl report, value for value
jq -S .rows <<<"$HTTP_BODY" >"$T/api-rows.json"
"$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" report elevations --from "$d1" --to "$d2" --format json |
	jq -S . >"$T/ctl-rows.json"
cmp -s "$T/api-rows.json" "$T/ctl-rows.json" ||
	fail "API JSON rows differ from approvalctl report: $(diff "$T/api-rows.json" "$T/ctl-rows.json" | head -n 20)"
ok "JSON elevations: the five requests, equal to approvalctl report"

for case in "denied:$c_den" "expired_unanswered:$c_exp" "self_approval_attempts:$c_self"; do
	http GET "/v1/reports/${case%%:*}?$range" --approver audrey
	assert_status 200
	assert_json '[.rows[].code] | join(" ")' "${case#*:}" "${case%%:*} rows"
done
assert_json '.rows[0].approver' rooty "self-approval attempt by"
http GET "/v1/reports/decision_latency?$range" --approver carol
assert_json '[.rows[] | "\(.approver) \(.decisions) \(.approved) \(.denied)"] | join(";")' "carol 3 2 1"
http GET "/v1/reports/elevations?from=$after" --approver audrey
assert_status 200
assert_json '.rows | length' 0 "a period after the history"
assert_json '.columns | length > 20' true "columns without rows"
http GET "/v1/reports/elevations?to=$before" --approver audrey
assert_json '.rows | length' 0 "a period before the history"
http GET "/v1/reports/elevations" --approver audrey
assert_json '.rows | length' 5 "no period: everything"
assert_json .from null
http GET "/v1/reports/auto_allowed?$range" --approver audrey
assert_status 200
assert_json '.rows | length' 0 "auto_allowed is empty"
ok "denied, expired, self-approval, latency views and open periods"

# --- CSV ------------------------------------------------------------------------
http GET "/v1/reports/elevations.csv?$range" --approver audrey
assert_status 200
cp "$T/http.body" "$T/api.csv"
assert_match "$HTTP_HEADERS" $'[Cc]ontent-[Tt]ype: text/csv; charset=utf-8\r'
assert_match "$HTTP_HEADERS" "[Cc]ontent-[Dd]isposition: attachment; filename=\"report_elevations_${d1}_${d2}\\.csv\""
assert_match "$HTTP_HEADERS" "X-Content-Type-Options: nosniff"
assert_match "$HTTP_HEADERS" "Cache-Control: no-store"
head -n 1 "$T/api.csv" | grep -q $'^day,created_at,decided_at,expires_at,request_id,code,host,hostname,requester,.*,decision_latency_seconds,initiator,.*,observed_note\r$' ||
	fail "CSV header row: $(head -n 1 "$T/api.csv" | od -c | head -n 3)"
# raw bytes: neutralised formulas, quoted comma / quotes / newline, CRLF
grep -qF "\"'=1+2,3 $tail_args\"" "$T/api.csv" || fail "=... with a comma: not quoted and neutralised"
grep -qF ",'@SUM $tail_args," "$T/api.csv" || fail "@...: not neutralised"
grep -qF ",'+cmd $tail_args," "$T/api.csv" || fail "+...: not neutralised"
grep -qF ",'-cmd $tail_args," "$T/api.csv" || fail "-...: not neutralised"
grep -qF "\"'run \"\"x\"\",y' $tail_args\"" "$T/api.csv" || fail "quotes in a command: not doubled"
python3 - "$T/api.csv" "$comment" "$c_den" "$c_app" <<'PY' || fail "CSV does not parse back as expected"
import csv, sys
path, comment, c_den, c_app = sys.argv[1:]
raw = open(path, 'rb').read()
assert raw.endswith(b'\r\n'), 'records end in CRLF'
assert b'no, ""not now""\nask again monday' in raw, 'comment quoted with its newline'
rows = list(csv.reader(open(path, newline='', encoding='utf-8'), strict=True))
head, body = rows[0], rows[1:]
assert len(body) == 5, len(body)
assert all(len(r) == len(head) for r in body), 'every record has every field'
by = {r[head.index('code')]: dict(zip(head, r)) for r in body}
assert by[c_den]['decision_comment'] == comment, repr(by[c_den]['decision_comment'])
assert by[c_app]['command'].startswith("'=1+2,3 "), by[c_app]['command']
assert by[c_app]['decided_by'] == 'carol'
# typed values are not touched: a number stays a number
float(by[c_app]['decision_latency_seconds'])
for r in body:
    for k, v in zip(head, r):
        assert not v or v[0] not in '=+-@\t\r', (k, v)
print('ok')
PY
# the same bytes as approvalctl report --format csv (one writer, common/csv.c)
"$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" report elevations --from "$d1" --to "$d2" \
	--format csv >"$T/ctl.csv"
cmp -s "$T/api.csv" "$T/ctl.csv" || fail "API CSV differs from approvalctl report --format csv"
http GET "/v1/reports/denied.csv?from=$after" --approver carol
assert_status 200
assert_eq 1 "$(printf '%s' "$HTTP_BODY" | grep -c '^day,')" "an empty period still has the header row"
assert_eq 1 "$(printf '%s\n' "$HTTP_BODY" | wc -l)" "an empty period has only the header row"
assert_match "$HTTP_HEADERS" "filename=\"report_denied_${after}_end\\.csv\""
ok "CSV: RFC 4180 quoting, formulas neutralised, equal to approvalctl"

# --- who may read -----------------------------------------------------------------
http POST "/v1/requests/$c_app/approve" --approver audrey --json '{}'
assert_error 403 forbidden "an auditor approving"
http POST "/v1/requests/$c_app/deny" --approver audrey
assert_error 403 forbidden "an auditor denying"
for path in /v1/reports "/v1/reports/elevations?$range" "/v1/reports/elevations.csv?$range"; do
	http GET "$path" --host web1
	assert_error 403 forbidden "host token on $path"
	http GET "$path"
	assert_error 401 unauthorized "no token on $path"
	http GET "$path" --bearer apa_notatoken
	assert_error 401 unauthorized "unknown token on $path"
done
http GET "/v1/reports/elevations?$range" --approver rooty
assert_status 200 "an approver reads reports"
ok "auditor reads but may not decide; hosts and strangers read nothing"

# --- names and periods --------------------------------------------------------------
for name in nosuch nosuch.csv report_elevations elevations.json ELEVATIONS elevations.CSV \
	.csv elevations.csv.csv 'elevations%3Bselect' audit_log "$(printf 'e%.0s' {1..70})"; do
	http GET "/v1/reports/$name" --approver audrey
	assert_error 404 not_found "report '$name'"
done
http GET /v1/reports/elevations/x --approver audrey
assert_status 404
for q in from=2025-02-30 from=2025-3-01 to=x from= to= from=2025-03-01T00:00 \
	"from=2025-03-02&to=2025-03-01" "from=2025-03-01&from=2025-03-02" "to=2025-03-01&to=2025-03-01" \
	limit=5 "from=2025-03-01&x=1" from from=2025-03-01%00 from=infinity "from=%202025-03-01" \
	from=0000-01-01 from=2024-02-30 "from=2025-03-01;drop"; do
	for suffix in "" .csv; do
		http GET "/v1/reports/elevations$suffix?$q" --approver audrey
		assert_error 400 bad_request "period '$q'"
	done
done
http GET "/v1/reports/elevations?from=2024-02-29&to=2024-02-29" --approver audrey
assert_status 200 "a leap day"
http POST "/v1/reports/elevations" --approver audrey --json '{}'
assert_status 405
ok "unknown reports 404, bad periods 400"

# --- the audit chain ------------------------------------------------------------------
assert_rc 0 "$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" audit verify
assert_contains "$LAST_OUT" "verified"
# approvald logs the head at start-up and every audit_head_interval (1 s):
# the current head appears in its log.
head_line() {
	local id hash
	read -r id hash _ < <("$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" audit head)
	grep -qE "audit head id=$id hash=$hash\$" "$T/approvald.log"
}
wait_until 15 head_line || fail "approvald did not log the current head ($("$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" audit head)); log: $(grep 'audit head' "$T/approvald.log" | tail -n 3)"
assert_le 2 "$(grep -c 'audit head id=' "$T/approvald.log")"
ok "audit verify passes; approvald logs the chain head"

# audit_head_interval: seconds 0..86400 (0 = off), anything else refused.
for v in 86401 -1 5s ''; do
	printf 'database = %s\naudit_head_interval = %s\n' "$PG_APP_CONNINFO" "$v" >"$T/bad.conf"
	assert_rc 1 "$APPROVALD" --check-config --config "$T/bad.conf"
	assert_contains "$LAST_OUT" "audit_head_interval: expected seconds 0..86400"
done
for v in 0 86400; do
	printf 'database = %s\npublic_url = https://a.example\naudit_head_interval = %s\n' \
		"$PG_APP_CONNINFO" "$v" >"$T/good.conf"
	assert_rc 0 "$APPROVALD" --check-config --config "$T/good.conf"
done
ok "audit_head_interval is checked"
finish
