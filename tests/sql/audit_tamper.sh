#!/bin/bash
# A superuser who switches the triggers off can change or delete rows, but
# the recomputation then names the first broken row (issue 4, item 2).
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
{
	for i in 1 2 3 4 5 6; do req_sql "TAM-00$i" web1 dev1 '2025-03-03 09:00:00+01'; done
	echo "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice') WHERE code LIKE 'TAM-%';"
} | app_psql >/dev/null
n=$(pg_psql -c "SELECT max(id) FROM approval.audit_log")
[ "$n" -ge 17 ] || fail "history too short: $n"
expect_eq "chain intact before tampering" "$(pg_psql -c "$CHAIN_CHECK_SQL")" ""
head_before=$(pg_psql -c "SELECT hash FROM approval.audit_head")

tamper() {
	pg_psql -c "BEGIN; ALTER TABLE approval.audit_log DISABLE TRIGGER USER; $1;
		ALTER TABLE approval.audit_log ENABLE TRIGGER USER; COMMIT;" >/dev/null
}

# 1. Edit the detail of row 8 (hide who approved what).
orig=$(pg_psql -c "SELECT detail::text FROM approval.audit_log WHERE id = 8")
tamper "UPDATE approval.audit_log SET detail = detail || '{\"command\": \"true\"}' WHERE id = 8"
expect_eq "edited row found (inline)" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "8 hash"
expect_eq "edited row found (audit_verify)" "$(pg_psql -c "SELECT * FROM approval.audit_verify() LIMIT 1")" "8|hash mismatch"
doc_query=$(doc_sql "### Step 1: recompute the chain")
[ -n "$doc_query" ] || fail "no Step 1 query in docs/compliance.md"
expect_eq "edited row found (query in docs/compliance.md, as auditor)" "$(auditor_psql -c "$doc_query")" \
	"8|row altered (hash mismatch)"
tamper "UPDATE approval.audit_log SET detail = '$orig'::jsonb WHERE id = 8"
expect_eq "restored row verifies again" "$(pg_psql -c "$CHAIN_CHECK_SQL")" ""
# The other way around the triggers: session_replication_role.
orig=$(pg_psql -c "SELECT actor FROM approval.audit_log WHERE id = 9")
pg_psql -c "SET session_replication_role = replica; UPDATE approval.audit_log SET actor = 'mallory' WHERE id = 9" >/dev/null
expect_eq "edit under replica role found" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "9 hash"
pg_psql -c "SET session_replication_role = replica; UPDATE approval.audit_log SET actor = '$orig' WHERE id = 9" >/dev/null
expect_eq "restored again" "$(pg_psql -c "$CHAIN_CHECK_SQL")" ""

# 2. The report views read approval.requests; a request rewritten or
# slipped in with its triggers off disagrees with the chained log.
expect_eq "requests agree with the log" "$(pg_psql -c "SELECT * FROM approval.audit_crosscheck")" ""
pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	UPDATE approval.requests SET command = 'sudo true' WHERE code = 'TAM-002';
	UPDATE approval.requests SET decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob') WHERE code = 'TAM-003';
	UPDATE approval.requests SET status = 'pending', decided_at = NULL, decided_by = NULL WHERE code = 'TAM-004';
	$(req_sql TAM-777 web1 dev1 '2025-03-03 09:00:00+01')
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
expect_eq "rewritten requests found" "$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck ORDER BY code")" \
	"TAM-002|context differs from audit_log
TAM-003|decision differs from audit_log
TAM-004|pending but audit_log has an outcome
TAM-777|no request.created in audit_log"

# 3. Delete row 12: row 13 no longer links.
tamper "DELETE FROM approval.audit_log WHERE id = 12"
expect_eq "deleted row found (inline)" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "13 link"
expect_eq "deleted row found (audit_verify)" "$(pg_psql -c "SELECT * FROM approval.audit_verify() LIMIT 1")" "13|broken link"
expect_eq "deleted row found (docs query)" "$(auditor_psql -c "$doc_query")" \
	"13|row before it missing or altered (broken link)"
expect_eq "verify from a later id is clean" "$(pg_psql -c "SELECT * FROM approval.audit_verify(14)")" ""

# 4. Edit a row and delete another: the first break is reported first.
tamper "UPDATE approval.audit_log SET subject = 'TAM-999' WHERE id = 5"
expect_eq "first break first" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "5|hash mismatch
13|broken link"

# 5. Delete the newest row: the links still hold, the chain state and the
# recorded head expose it; a new row then links to the missing one.
tamper "DELETE FROM approval.audit_log WHERE id = $n"
got=$(pg_psql -c "SELECT * FROM approval.audit_verify(14)")
expect_eq "tail deletion found by head check" "$got" "$n|head mismatch"
[ "$(pg_psql -c "SELECT hash FROM approval.audit_head")" != "$head_before" ] ||
	fail "head did not change after tail deletion"
echo "ok: head differs from the recorded one"
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'bob', 'web', '{}')" >/dev/null
got=$(pg_psql -c "SELECT * FROM approval.audit_verify(14)")
expect_eq "row after the deleted tail does not link" "$got" "$((n + 1))|broken link"

# 6. Tampering does not pass for the app role either way: it cannot
# switch triggers off.
expect_refused "app disables triggers" app_psql "ALTER TABLE approval.audit_log DISABLE TRIGGER USER" "owner"
