#!/bin/bash
# Each report view returns the expected rows for a known history, written
# by the app role through the real triggers (issue 4, items 3 and 7).
# Times are March 2025, Europe/Berlin = UTC+1.
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
pg_psql >/dev/null <<-'SQL'
INSERT INTO approval.hosts (name, token_hash, created_at, enabled, revoked_at)
    VALUES ('old1', repeat('4', 64), '2025-01-01 00:00:00+00', false, '2025-01-02 00:00:00+00');
UPDATE approval.report_settings SET time_zone = 'Europe/Berlin', business_start = '08:00',
    business_end = '18:00', business_days = '{1,2,3,4,5}', host_silence_days = 7;
SQL
decide() { # CODE STATUS APPROVER|'' SECONDS [COMMENT]
	local by=NULL
	[ -n "$3" ] && by="(SELECT id FROM approval.approvers WHERE login = '$3')"
	echo "UPDATE approval.requests SET status = '$2', decided_by = $by,
	    decided_at = created_at + interval '$4 seconds', decision_comment = ${5:-NULL} WHERE code = '$1';"
}
{
	req_sql REP-001 web1 dev1 '2025-03-03 08:30:00+01'; decide REP-001 approved alice 30
	req_sql REP-002 web1 dev2 '2025-03-03 10:00:00+01'; decide REP-002 denied bob 90 "'no ticket'"
	req_sql REP-003 web1 dev1 '2025-03-03 22:30:00+01'; decide REP-003 approved alice 120
	req_sql REP-004 web1 dev2 '2025-03-08 11:00:00+01'; decide REP-004 expired '' 600
	req_sql REP-005 web1 alice '2025-03-04 14:00:00+01'
} | app_psql >/dev/null
# The database refuses the self-approval itself...
assert_refused "self-approval by alice" app_psql "$(decide REP-005 approved alice 1)" "may not decide"
{
	# ... and the daemon records the refused self-approval (at an explicit time here)
	echo "INSERT INTO approval.request_events (request_id, at, kind, actor, detail)
	    SELECT id, '2025-03-04 14:01:00+01', 'self_approval_refused', 'alice', 'approve'
	      FROM approval.requests WHERE code = 'REP-005';"
	decide REP-005 approved bob 60
	req_sql REP-006 web1 dev3 '2025-03-04 15:00:00+01'; decide REP-006 cancelled '' 20
	req_sql REP-007 db1 dev1 '2025-03-05 10:00:00+01' "timestamptz '2099-01-01 00:00:00+00'"
	req_sql REP-008 web1 dev1 '2025-03-20 09:00:00+01'; decide REP-008 approved alice 45
	req_sql REP-009 db1 dev2 '2025-03-05 00:30:00+01'; decide REP-009 cancelled '' 5
	echo "SELECT approval.audit_event('auth.sign_in', 'alice', 'web', '{}');"
	echo "SELECT approval.audit_event('auth.sign_in_failed', 'mallory', 'web', '{}');"
} | app_psql >/dev/null

# Only an enabled approver with role approver or admin decides (005).
assert_refused "auditor-only carol decides" app_psql "$(decide REP-007 approved carol 1)" "may not decide requests"
pg_psql -c "INSERT INTO approval.approvers (login, roles, enabled) VALUES ('dave', '{approver}', false)" >/dev/null
assert_refused "disabled dave decides" app_psql "$(decide REP-007 denied dave 1)" "may not decide requests"
assert_eq "pending" "$(pg_psql -c "SELECT status FROM approval.requests WHERE code = 'REP-007'")" "REP-007 still pending"

q() { auditor_psql -F '|' -c "$1"; }

assert_eq "REP-001|web1|dev1|approved|alice|30.000|2025-03-03
REP-002|web1|dev2|denied|bob|90.000|2025-03-03
REP-003|web1|dev1|approved|alice|120.000|2025-03-03
REP-005|web1|alice|approved|bob|60.000|2025-03-04
REP-006|web1|dev3|cancelled|||2025-03-04
REP-009|db1|dev2|cancelled|||2025-03-05
REP-007|db1|dev1|pending|||2025-03-05
REP-004|web1|dev2|expired|||2025-03-08
REP-008|web1|dev1|approved|alice|45.000|2025-03-20" "$(q "SELECT code, host, requester, outcome, decided_by, decision_latency_seconds, day
	FROM approval.report_elevations ORDER BY created_at")" "report_elevations"
assert_eq "web1.example.com|1000|root|sudo|sudo systemctl restart nginx|/usr/bin/systemctl restart nginx|deploy|OPS-1|t|t" "$(q "SELECT hostname, requester_uid, target_user, service, command, sudo_command,
	reason, ticket, created_at = '2025-03-03 08:30:00+01', decided_at = '2025-03-03 08:30:30+01'
	FROM approval.report_elevations WHERE code = 'REP-001'")" \
	"report_elevations context"

assert_eq "2025-03-03|alice|2|2|0|75.000|111.000|120.000
2025-03-03|bob|1|0|1|90.000|90.000|90.000
2025-03-04|bob|1|1|0|60.000|60.000|60.000
2025-03-20|alice|1|1|0|45.000|45.000|45.000" "$(q "SELECT day, approver, decisions, approved, denied, p50_seconds, p90_seconds, max_seconds
	FROM approval.report_decision_latency ORDER BY day, approver")" "report_decision_latency"

assert_eq "2025-03-03|REP-002|dev2|bob|no ticket" "$(q "SELECT day, code, requester, decided_by, decision_comment FROM approval.report_denied")" \
	"report_denied"

assert_eq "2025-03-08|REP-004|dev2|600.000|t" "$(q "SELECT day, code, requester, waited_seconds, expired_at = expires_at
	FROM approval.report_expired_unanswered")" "report_expired_unanswered"

assert_eq "2025-03-04|alice|REP-005|alice|approved|approve" "$(q "SELECT day, approver, code, requester, request_outcome, detail
	FROM approval.report_self_approval_attempts")" "report_self_approval_attempts"

assert_eq "2025-03-03|alice|t|2|0|0|0|0
2025-03-03|bob|t|0|1|0|0|0
2025-03-04|alice|t|0|0|1|0|0
2025-03-04|bob|t|1|0|0|0|0
2025-03-20|alice|t|1|0|0|0|0" "$(q "SELECT day, approver, known_approver, approved, denied,
	self_approval_refused, sign_ins, sign_in_failures FROM approval.report_approver_activity
	WHERE day < '2026-01-01' ORDER BY day, approver")" "report_approver_activity (history)"
assert_eq "alice|t|1|0
mallory|f|0|1" "$(q "SELECT approver, known_approver, sign_ins, sign_in_failures
	FROM approval.report_approver_activity WHERE sign_ins + sign_in_failures > 0
	AND day = (now() AT TIME ZONE 'Europe/Berlin')::date ORDER BY approver")" "report_approver_activity (sign-ins, today)"

assert_eq "REP-003|1|22:30|Europe/Berlin
REP-009|3|00:30|Europe/Berlin
REP-004|6|11:00|Europe/Berlin" "$(q "SELECT code, weekday, to_char(local_time, 'HH24:MI'), time_zone
	FROM approval.report_after_hours ORDER BY created_at")" "report_after_hours (Europe/Berlin)"

assert_eq "0" "$(q "SELECT count(*) FROM approval.report_auto_allowed")" "report_auto_allowed is empty"
assert_eq "day,created_at,request_id,code,host,hostname,requester,requester_uid,target_user,service,command,sudo_command,reason,ticket,policy,rule" "$(q "SELECT string_agg(column_name, ',' ORDER BY ordinal_position)
	FROM information_schema.columns WHERE table_schema = 'approval' AND table_name = 'report_auto_allowed'")" \
	"report_auto_allowed has its columns"

assert_eq "db1|2025-02-20|2025-03-05|f|12.98|7
db1|2025-03-05||t||7
web1|2025-02-01|2025-03-03|f|30.31|7
web1|2025-03-08|2025-03-20|f|11.92|7
web1|2025-03-20||t||7" "$(q "SELECT host, day, (silent_until AT TIME ZONE 'Europe/Berlin')::date, ongoing,
	CASE WHEN ongoing THEN NULL ELSE silent_days END, threshold_days
	FROM approval.report_host_silence ORDER BY host, silent_since")" "report_host_silence"

# Settings drive the views: UTC moves days and business hours; a longer
# silence threshold drops the shorter gaps. The change is audited.
pg_psql -c "UPDATE approval.report_settings SET time_zone = 'UTC', host_silence_days = 20" >/dev/null
assert_eq "REP-001|07:30
REP-003|21:30
REP-009|23:30
REP-004|10:00" "$(q "SELECT code, to_char(local_time, 'HH24:MI')
	FROM approval.report_after_hours ORDER BY created_at")" "report_after_hours (UTC)"
assert_eq "2025-03-04" "$(q "SELECT day FROM approval.report_elevations WHERE code = 'REP-009'")" "day follows the time zone"
assert_eq "web1|2025-02-01" "$(q "SELECT host, day FROM approval.report_host_silence WHERE NOT ongoing")" "silence threshold"
assert_eq "Europe/Berlin>UTC" "$(q "SELECT detail->'changes'->'time_zone'->>'old' || '>' || (detail->'changes'->'time_zone'->>'new')
	FROM approval.audit_log WHERE kind = 'report_settings.changed' ORDER BY id DESC LIMIT 1")" "settings change audited"
assert_refused "invalid time zone" pg_psql "UPDATE approval.report_settings SET time_zone = 'Mars/Olympus'" "time zone"

# Contract: every report view has a day column and both roles can read it;
# the auditor cannot change the settings.
got=$(pg_psql -c "SELECT string_agg(v.table_name, ',' ORDER BY v.table_name) FROM information_schema.views v
	WHERE v.table_schema = 'approval' AND v.table_name LIKE 'report\_%' AND NOT EXISTS (
	  SELECT 1 FROM information_schema.columns c WHERE c.table_schema = 'approval'
	     AND c.table_name = v.table_name AND c.column_name = 'day' AND c.data_type = 'date')")
assert_eq "" "$got" "every report view has a day column"
for v in report_elevations report_decision_latency report_denied report_expired_unanswered \
	report_self_approval_attempts report_approver_activity report_after_hours report_auto_allowed \
	report_notification_failures report_host_silence; do
	app_psql -c "SELECT count(*) FROM approval.$v" >/dev/null || fail "app cannot read $v"
	auditor_psql -c "SELECT count(*) FROM approval.$v" >/dev/null || fail "auditor cannot read $v"
	got=$(pg_psql -c "SELECT obj_description('approval.$v'::regclass, 'pg_class') IS NOT NULL")
	assert_eq "t" "$got" "$v is documented"
done
assert_refused "auditor changes settings" auditor_psql "UPDATE approval.report_settings SET host_silence_days = 1" "permission denied"
# The period queries on the audit log in docs/compliance.md run as written.
doc_query=$(doc_sql "The audit log itself, for the same period:")
[ -n "$doc_query" ] || fail "no audit-log period query in docs/compliance.md"
today=$(pg_psql -c "SELECT current_date")
got=$(printf '%s\n' "$doc_query" | auditor_psql -v from="$today" -v to="$today" | grep -c "report_settings.changed")
assert_eq "4" "$got" "docs period queries find both settings changes (each query)"

assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "chain intact"
assert_eq "" "$(q "SELECT * FROM approval.audit_crosscheck")" "every request backed by the log"
finish
