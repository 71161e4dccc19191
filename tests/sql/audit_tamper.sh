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
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "chain intact before tampering"
head_before=$(pg_psql -c "SELECT hash FROM approval.audit_head")

tamper() {
	pg_psql -c "BEGIN; ALTER TABLE approval.audit_log DISABLE TRIGGER USER; $1;
		ALTER TABLE approval.audit_log ENABLE TRIGGER USER; COMMIT;" >/dev/null
}

# 1. Edit the detail of row 8 (hide who approved what).
orig=$(pg_psql -c "SELECT detail::text FROM approval.audit_log WHERE id = 8")
tamper "UPDATE approval.audit_log SET detail = detail || '{\"command\": \"true\"}' WHERE id = 8"
assert_eq "8 hash" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "edited row found (inline)"
assert_eq "8|hash mismatch" "$(pg_psql -c "SELECT * FROM approval.audit_verify() LIMIT 1")" "edited row found (audit_verify)"
doc_query=$(doc_sql "### Step 1: recompute the chain")
[ -n "$doc_query" ] || fail "no Step 1 query in docs/compliance.md"
assert_eq "8|row altered (hash mismatch)" "$(auditor_psql -c "$doc_query")" \
	"edited row found (query in docs/compliance.md, as auditor)"
tamper "UPDATE approval.audit_log SET detail = '$orig'::jsonb WHERE id = 8"
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "restored row verifies again"
# The other way around the triggers: session_replication_role.
orig=$(pg_psql -c "SELECT actor FROM approval.audit_log WHERE id = 9")
pg_psql -c "SET session_replication_role = replica; UPDATE approval.audit_log SET actor = 'mallory' WHERE id = 9" >/dev/null
assert_eq "9 hash" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "edit under replica role found"
pg_psql -c "SET session_replication_role = replica; UPDATE approval.audit_log SET actor = '$orig' WHERE id = 9" >/dev/null
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "restored again"

# 2. The report views read approval.requests; a request rewritten or
# slipped in with its triggers off disagrees with the chained log.
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_crosscheck")" "requests agree with the log"
pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	UPDATE approval.requests SET command = 'sudo true' WHERE code = 'TAM-002';
	UPDATE approval.requests SET decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob') WHERE code = 'TAM-003';
	UPDATE approval.requests SET status = 'pending', decided_at = NULL, decided_by = NULL WHERE code = 'TAM-004';
	$(req_sql TAM-777 web1 dev1 '2025-03-03 09:00:00+01')
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
assert_eq "TAM-002|context differs from audit_log
TAM-003|decision differs from audit_log
TAM-004|pending but audit_log has an outcome
TAM-777|no request.created in audit_log" "$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck ORDER BY code")" \
	"rewritten requests found"

# 3. Delete row 12: row 13 no longer links.
tamper "DELETE FROM approval.audit_log WHERE id = 12"
assert_eq "13 link" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "deleted row found (inline)"
assert_eq "13|broken link" "$(pg_psql -c "SELECT * FROM approval.audit_verify() LIMIT 1")" "deleted row found (audit_verify)"
assert_eq "13|row before it missing or altered (broken link)" "$(auditor_psql -c "$doc_query")" \
	"deleted row found (docs query)"
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify(14)")" "verify from a later id is clean"

# 4. Edit a row and delete another: the first break is reported first.
tamper "UPDATE approval.audit_log SET subject = 'TAM-999' WHERE id = 5"
assert_eq "5|hash mismatch
13|broken link" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "first break first"

# 5. Delete the newest row: the links still hold, the chain state and the
# recorded head expose it; a new row then links to the missing one.
tamper "DELETE FROM approval.audit_log WHERE id = $n"
got=$(pg_psql -c "SELECT * FROM approval.audit_verify(14)")
assert_eq "$n|head mismatch" "$got" "tail deletion found by head check"
[ "$(pg_psql -c "SELECT hash FROM approval.audit_head")" != "$head_before" ] ||
	fail "head did not change after tail deletion"
ok "head differs from the recorded one"
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'bob', 'web', '{}')" >/dev/null
got=$(pg_psql -c "SELECT * FROM approval.audit_verify(14)")
assert_eq "$((n + 1))|broken link" "$got" "row after the deleted tail does not link"

# 6. Tampering does not pass for the app role either way: it cannot
# switch triggers off.
assert_refused "app disables triggers" app_psql "ALTER TABLE approval.audit_log DISABLE TRIGGER USER" "owner"
finish
