#!/bin/bash
# audit_log is append-only for everyone while its triggers are on, the app
# role holds only INSERT and SELECT, and nobody but the database writes
# the kinds it records itself (issue 4, item 1).
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
app_psql -c "$(req_sql AAA-001 web1 dev1 '2025-03-03 09:00:00+01')" >/dev/null
n=$(pg_psql -c "SELECT count(*) FROM approval.audit_log")
[ "$n" -ge 6 ] || fail "expected host, approver and request rows in audit_log, got $n"

# The application role: no UPDATE, DELETE or TRUNCATE privilege at all.
assert_refused "app UPDATE" app_psql "UPDATE approval.audit_log SET detail = '{}' WHERE id = 1" "permission denied"
assert_refused "app DELETE" app_psql "DELETE FROM approval.audit_log WHERE id = 1" "permission denied"
assert_refused "app TRUNCATE" app_psql "TRUNCATE approval.audit_log" "permission denied"
assert_refused "app writes chain head" app_psql "UPDATE approval.audit_chain SET last_id = 0" "permission denied"
assert_refused "app calls internal writer" app_psql \
	"SELECT approval.audit_record('host.added', 'x', 'x', NULL, '{}')" "permission denied"

# The superuser: the triggers refuse, whatever the privileges.
assert_refused "superuser UPDATE" pg_psql "UPDATE approval.audit_log SET detail = '{}' WHERE id = 1" "append-only"
assert_refused "superuser DELETE" pg_psql "DELETE FROM approval.audit_log WHERE id = 1" "append-only"
assert_refused "superuser TRUNCATE" pg_psql "TRUNCATE approval.audit_log" "append-only"
assert_refused "superuser DELETE chain head" pg_psql "DELETE FROM approval.audit_chain" "append-only"

# The auditor reads only.
assert_refused "auditor INSERT" auditor_psql \
	"INSERT INTO approval.audit_log (kind) VALUES ('auth.sign_in')" "permission denied"
assert_refused "auditor audit_event" auditor_psql \
	"SELECT approval.audit_event('auth.sign_in', 'x', 'x', '{}')" "permission denied"
auditor_psql -c "SELECT count(*) FROM approval.audit_log" >/dev/null || fail "auditor cannot read"

# The app cannot forge what the database records (request decisions,
# host and approver changes), neither directly nor through audit_event().
assert_refused "app forges request.approved" app_psql \
	"INSERT INTO approval.audit_log (kind, actor) VALUES ('request.approved', 'alice')" "recorded by the database"
assert_refused "app forges host.added via audit_event" app_psql \
	"SELECT approval.audit_event('host.added', 'x', 'web9', '{}')" "may not be written"

# Application kinds: accepted; id, time and hashes are the chain's own,
# whatever the client sent.
before=$(pg_psql -c "SELECT last_id FROM approval.audit_chain")
app_psql -c "INSERT INTO approval.audit_log (id, at, kind, actor, subject, prev_hash, hash)
	VALUES (999, '2000-01-01', 'auth.sign_in', 'alice', 'web', repeat('f', 64), repeat('f', 64))" >/dev/null
got=$(pg_psql -c "SELECT id = $before + 1, at > '2020-01-01', hash <> repeat('f', 64)
	FROM approval.audit_log WHERE kind = 'auth.sign_in'")
assert_eq "t|t|t" "$got" "direct app insert gets the chain's id, time and hash"
id=$(app_psql -c "SELECT approval.audit_event('notification.sent', 'approvald', 'AAA-001',
	'{\"channel\": \"webhook\"}', (SELECT id FROM approval.requests WHERE code = 'AAA-001'))")
assert_eq "$((before + 2))" "$id" "audit_event returns the next id"
got=$(pg_psql -c "SELECT detail->>'channel', detail->>'db_user', request_id IS NOT NULL
	FROM approval.audit_log WHERE id = $id")
assert_eq "webhook|approval_app|t" "$got" "audit_event row"

# A password set through the app is recorded, the hash never is.
app_psql -c "UPDATE approval.approvers SET password_hash = 'pbkdf2-secret-hash-value' WHERE login = 'alice'" >/dev/null
got=$(pg_psql -c "SELECT kind, subject, detail->>'password_set' FROM approval.audit_log
	WHERE kind = 'approver.password_set'")
assert_eq "approver.password_set|alice|true" "$got" "password change recorded"
leaks=$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE detail::text LIKE '%pbkdf2-secret%'
	OR detail::text LIKE '%1111111111%'")
assert_eq "0" "$leaks" "no password or token hash in the log"

# Still intact after all the refusals.
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "chain intact (inline recomputation)"
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "chain intact (audit_verify)"
finish
