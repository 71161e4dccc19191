#!/bin/bash
# approvalctl audit verify / head: the chain recomputed in C (OpenSSL) from
# the raw columns; every kind of tampering is named by its row and gives
# exit 1; session settings change nothing (issue 4, item 2).
MIGRATE_WITH_APPROVALCTL=1
. "$SRCDIR/tests/sql/lib.sh"
: "${APPROVALCTL:?}"

ctl() { "$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" "$@"; }
# expect_exit WHAT CODE PATTERN CMD...: CMD exits CODE with PATTERN in its output.
expect_exit() {
	local what=$1 code=$2 pat=$3
	shift 3
	assert_rc "$code" "$@"
	printf '%s' "$LAST_OUT" | grep -q -- "$pat" || fail "$what: no '$pat' in: $LAST_OUT"
	ok "$what"
}

fixture_people
{
	for i in 1 2 3 4 5 6; do req_sql "CMD-00$i" web1 dev1 '2025-03-03 09:00:00+01'; done
	echo "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice') WHERE code LIKE 'CMD-%';"
	# hostile text: multi-byte UTF-8, quotes, backslash, newline, control
	# characters, in detail, actor and subject; NULL detail; a request id.
	echo "SELECT approval.audit_event('notification.sent', E'\\u00dcberpr\\u00fcfung \\u2713 \"q\" \\\\ x', E'line\\nbreak\\t\\u0001',
	    jsonb_build_object('text', E'caf\\u00e9 \\U0001F600 \\u001b[31m', 'n', 1.50, 'list', jsonb_build_array(1, 'a', null)),
	    (SELECT id FROM approval.requests WHERE code = 'CMD-001'));"
	echo "INSERT INTO approval.audit_log (kind, actor, subject, detail) VALUES ('daemon.started', NULL, NULL, NULL);"
} | app_psql >/dev/null
n=$(pg_psql -c "SELECT max(id) FROM approval.audit_log")
head=$(pg_psql -c "SELECT hash FROM approval.audit_head")

expect_exit "verify intact chain" 0 "audit log intact: $n rows verified (1..$n); head row $n at .* hash $head" ctl audit verify
expect_exit "verify does not depend on session settings" 0 "$n rows verified" \
	env PGTZ=Asia/Kathmandu PGDATESTYLE='SQL, DMY' PGCLIENTENCODING=LATIN1 "$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" audit verify
expect_exit "verify --from" 0 "$((n - 4)) rows verified (5..$n)" ctl audit verify --from 5
expect_exit "verify --from past the end" 0 "nothing to verify from row 999; head row $n hash $head" ctl audit verify --from 999
expect_exit "verify as the app role" 0 "rows verified" "$APPROVALCTL" --database "$PG_APP_CONNINFO" audit verify
expect_exit "audit head" 0 "^$n $head 20[0-9-]*T[0-9:.]*Z$" ctl audit head
got=$(ctl audit head --json | jq -r '"\(.id) \(.hash)"')
assert_eq "$n $head" "$got" "audit head --json"
expect_exit "verify --from 0 is a usage error" 2 "bad --from" ctl audit verify --from 0
expect_exit "unknown audit command" 2 "unknown command" ctl audit rewrite

tamper() {
	pg_psql -c "BEGIN; ALTER TABLE approval.audit_log DISABLE TRIGGER USER; $1;
		ALTER TABLE approval.audit_log ENABLE TRIGGER USER; COMMIT;" >/dev/null
}

# A request changed behind the log's back (its triggers off): the chain is
# intact, the reports would lie, verify says so.
pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	UPDATE approval.requests SET target_user = 'nobody' WHERE code = 'CMD-004';
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
expect_exit "request rewritten outside the log" 1 "BROKEN: request CMD-004: context differs from audit_log" ctl audit verify
pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	UPDATE approval.requests SET target_user = 'root' WHERE code = 'CMD-004';
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
expect_exit "request restored" 0 "$n rows verified" ctl audit verify

# An edited row (the hostile one too).
orig=$(pg_psql -c "SELECT detail::text FROM approval.audit_log WHERE id = 8")
tamper "UPDATE approval.audit_log SET detail = detail || '{\"comment\": \"fine\"}' WHERE id = 8"
expect_exit "edited row" 1 "BROKEN at row 8 (.*): altered" ctl audit verify
expect_exit "edited row before --from: the chain from 9 holds, the request cross-check does not" 1 \
	"BROKEN: request CMD-003: context differs from audit_log (1 requests" ctl audit verify --from 9
tamper "UPDATE approval.audit_log SET detail = '$orig'::jsonb WHERE id = 8"
expect_exit "restored" 0 "$n rows verified" ctl audit verify
hostile=$(pg_psql -c "SELECT id FROM approval.audit_log WHERE kind = 'notification.sent'")
tamper "UPDATE approval.audit_log SET actor = actor || ' ' WHERE id = $hostile"
expect_exit "edited hostile row" 1 "BROKEN at row $hostile (.*notification.sent): altered" ctl audit verify
tamper "UPDATE approval.audit_log SET actor = rtrim(actor, ' ') WHERE id = $hostile"
tamper "UPDATE approval.audit_log SET at = at + interval '1 microsecond' WHERE id = 3"
expect_exit "edited time" 1 "BROKEN at row 3 " ctl audit verify
tamper "UPDATE approval.audit_log SET at = at - interval '1 microsecond' WHERE id = 3"
expect_exit "restored again" 0 "$n rows verified" ctl audit verify

# A deleted row.
tamper "DELETE FROM approval.audit_log WHERE id = 12"
expect_exit "deleted row" 1 "BROKEN at row 13 (.*): missing rows 12..12: its prev_hash is not the hash of row 11" ctl audit verify
expect_exit "verify after the hole: chain holds, the lost approval is missed" 1 \
	"BROKEN: request CMD-001: no outcome in audit_log" ctl audit verify --from 14
expect_exit "verify from just after the hole" 1 "BROKEN before row 13: row 12 (the row it links to) is missing" ctl audit verify --from 13

# A deleted row with every later row rewritten to link again: the chain
# holds, the gap in the dense ids does not.
pg_psql >/dev/null <<-'SQL'
BEGIN;
ALTER TABLE approval.audit_log DISABLE TRIGGER USER;
DO $$
DECLARE
    prev text := (SELECT hash FROM approval.audit_log WHERE id = 11);
    r record;
    h text;
BEGIN
    FOR r IN SELECT * FROM approval.audit_log WHERE id > 11 ORDER BY id LOOP
        h := approval.audit_hash(prev, approval.audit_canonical(r.id, r.at, r.kind, r.actor, r.subject, r.request_id, r.detail));
        UPDATE approval.audit_log SET prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
    UPDATE approval.audit_chain SET last_hash = prev;
END $$;
ALTER TABLE approval.audit_log ENABLE TRIGGER USER;
COMMIT;
SQL
expect_exit "rewritten chain around a deleted row" 1 "BROKEN at row 13 (.*): missing rows 12..12 although it links to row 11" ctl audit verify
new_head=$(ctl audit head | cut -d' ' -f2)
[ "$new_head" != "$head" ] || fail "rewrite kept the head"
ok "the rewrite changed the head (an external copy exposes it)"

# Rows deleted at the end.
tamper "DELETE FROM approval.audit_log WHERE id = $n"
expect_exit "deleted newest row" 1 "BROKEN after row $((n - 1)): the recorded chain head is row $n" ctl audit verify --from 14

# No database, no verdict of "intact".
expect_exit "database down" 3 "cannot connect" "$APPROVALCTL" --database "host=$tmp/none port=1 dbname=x" audit verify
finish
