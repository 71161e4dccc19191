#!/bin/bash
# Upgrading to the sealed chain (sql/014) keeps an existing chain verifying:
# a chain built with the migrations before 014 (lock-serialised writers,
# rollbacks leaving no ids) verifies after the upgrade with the same head,
# and goes on: new rows link to the old head, a rollback becomes a gap,
# request events (whose old ids ran ahead of the chain's here) continue
# above every old id, and the feed position covers every old event.
MIGRATE_BEFORE=014
. "$SRCDIR/tests/sql/lib.sh"
: "${APPROVALCTL:?}"
ctl() { "$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" "$@"; }

fixture_people
{
	for i in 1 2 3; do req_sql "PRE-00$i" web1 dev1 '2025-03-03 09:00:00+01'; done
	echo "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice') WHERE code = 'PRE-001';"
	echo "BEGIN; SELECT approval.audit_event('auth.sign_in', 'ghost', 'web', '{}'); ROLLBACK;"
	echo "SELECT approval.audit_event('auth.sign_in', 'bob', 'web', '{}');"
} | app_psql >/dev/null
# event ids ahead of the chain's (possible before: their own sequence)
pg_psql -c "SELECT setval('approval.request_events_id_seq', (SELECT last_id + 5 FROM approval.audit_chain))" >/dev/null
app_psql -c "$(req_sql PRE-004 web1 dev1 '2025-03-03 09:00:00+01')" >/dev/null
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "the old chain verifies (old audit_verify)"
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "the old chain verifies (inline)"
old_head=$(pg_psql -c "SELECT id || ' ' || hash FROM approval.audit_head")
old_n=${old_head%% *}
old_event=$(pg_psql -c "SELECT max(id) FROM approval.request_events")
[ "$old_event" -gt "$old_n" ] || fail "fixture: event ids ($old_event) should run ahead of the chain ($old_n)"

migrate_from 014
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "the converted chain verifies (audit_verify)"
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "the converted chain verifies (inline)"
assert_eq "$((old_event - old_n))" "$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE id > $old_n AND kind = 'audit.gap'")" \
	"the ids the events took ahead of the chain are gaps"
assert_rc 0 ctl audit verify
printf '%s' "$LAST_OUT" | grep -q "audit log intact: $old_event rows verified (1..$old_event)" ||
	fail "approvalctl audit verify after the upgrade: $LAST_OUT"
ok "approvalctl audit verify after the upgrade: $old_event rows"
assert_eq "$old_head" "$(pg_psql -c "SELECT id || ' ' || hash FROM approval.audit_head WHERE id = $old_n
	UNION ALL SELECT l.id || ' ' || l.hash FROM approval.audit_log l WHERE l.id = $old_n LIMIT 1")" \
	"the old head row is unchanged"

# The chain goes on.
{
	req_sql NXT-001 db1 dev2 '2025-03-04 09:00:00+01'
	echo "UPDATE approval.requests SET status = 'denied', decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob') WHERE code = 'NXT-001';"
	echo "BEGIN; SELECT approval.audit_event('auth.sign_in', 'ghost2', 'web', '{}'); ROLLBACK;"
	echo "SELECT approval.audit_event('auth.sign_in', 'alice', 'web', '{}');"
} | app_psql >/dev/null
seal_all
new_event=$(pg_psql -c "SELECT min(e.id) FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id WHERE r.code = 'NXT-001'")
[ "$new_event" -gt "$old_event" ] || fail "new event id $new_event not above the old ones ($old_event)"
ok "new event ids continue above the old ($new_event > $old_event)"
assert_eq "$new_event request.created" "$(pg_psql -c "SELECT id || ' ' || kind FROM approval.audit_log WHERE id = $new_event")" \
	"a new event's audit row has its id"
assert_eq "$(pg_psql -c "SELECT hash FROM approval.audit_log WHERE id = $old_event")" \
	"$(pg_psql -c "SELECT prev_hash FROM approval.audit_log WHERE id = $((old_event + 1))")" "the first new row links to the converted head"
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "chain verifies after new rows"
assert_rc 0 ctl audit verify
printf '%s' "$LAST_OUT" | grep -q "audit log intact" || fail "verify after new rows: $LAST_OUT"
printf '%s' "$LAST_OUT" | grep -q "$((old_event - old_n + 1)) gaps" || fail "gaps not counted: $LAST_OUT"
ok "approvalctl audit verify after new rows, gaps listed"
assert_eq "t" "$(pg_psql -c "SELECT (SELECT last_id FROM approval.audit_chain) >= max(id) FROM approval.request_events")" \
	"the feed position covers every event"
finish
