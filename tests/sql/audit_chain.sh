#!/bin/bash
# Every event lands in audit_log once, in a valid chain with dense ids and
# times that never go backwards (one writer at a time here); a rolled-back
# writer leaves only a sealed gap row; a writer whose snapshot predates
# the head commits and is sealed in order, no fork (sql/014).
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
{
	req_sql CHA-001 web1 dev1 '2025-03-03 09:00:00+01'
	req_sql CHA-002 web1 dev2 '2025-03-03 09:10:00+01'
	req_sql CHA-003 db1 dev3 '2025-03-03 09:20:00+01'
	req_sql CHA-004 db1 alice '2025-03-03 09:30:00+01'
	cat <<-'SQL'
	UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice'),
	    decision_comment = 'ok' WHERE code = 'CHA-001';
	UPDATE approval.requests SET status = 'denied', decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob'),
	    decision_comment = 'no ticket' WHERE code = 'CHA-002';
	UPDATE approval.requests SET status = 'expired' WHERE code = 'CHA-003';
	SELECT approval.record_self_approval_attempt((SELECT id FROM approval.requests WHERE code = 'CHA-004'), 'alice', 'approve');
	UPDATE approval.requests SET status = 'cancelled' WHERE code = 'CHA-004';
	SELECT approval.audit_event('auth.sign_in', 'alice', 'web', '{"via": "password"}');
	SELECT approval.audit_event('auth.sign_in_failed', 'mallory', 'web', '{"via": "password"}');
	SQL
} | app_psql >/dev/null

# The self-approval the database refuses leaves the request pending and
# records nothing itself; the daemon records the attempt (above).
assert_refused "self-approval" app_psql "UPDATE approval.requests SET status = 'approved',
	decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice') WHERE code = 'CHA-004'" ""

pg_psql >/dev/null <<-'SQL'
BEGIN;
SET LOCAL approval.actor = 'bob';
UPDATE approval.approvers SET roles = '{approver,admin}', unix_logins = '{alice,al}' WHERE login = 'alice';
INSERT INTO approval.api_tokens (approver_id, token_hash) SELECT id, repeat('e', 64) FROM approval.approvers WHERE login = 'bob';
COMMIT;
UPDATE approval.api_tokens SET revoked_at = now();
UPDATE approval.approvers SET revoked_at = now(), enabled = false WHERE login = 'carol';
UPDATE approval.hosts SET revoked_at = now(), enabled = false WHERE name = 'db1';
UPDATE approval.hosts SET token_hash = repeat('3', 64) WHERE name = 'web1';
SQL

got=$(pg_psql -c "SELECT string_agg(kind || ' ' || coalesce(actor, '-') || ' ' || coalesce(subject, '-'), E'\n' ORDER BY id)
	FROM approval.audit_log")
assert_eq "host.added postgres web1
host.added postgres db1
approver.added postgres alice
approver.added postgres bob
approver.added postgres carol
request.created web1 CHA-001
request.created web1 CHA-002
request.created db1 CHA-003
request.created db1 CHA-004
request.approved alice CHA-001
request.denied bob CHA-002
request.expired system CHA-003
request.self_approval_refused alice CHA-004
request.cancelled db1 CHA-004
auth.sign_in alice web
auth.sign_in_failed mallory web
approver.changed bob alice
api_token.issued bob bob
api_token.revoked postgres bob
approver.revoked postgres carol
approver.changed postgres carol
host.revoked postgres db1
host.changed postgres db1
host.token_rotated postgres web1" "$got" "one row per event, in order"

got=$(pg_psql -c "SELECT detail->>'command', detail->>'reason', detail->>'ticket', detail->>'requester_uid',
	detail->>'created_at', detail->>'host', detail->>'digest' = repeat('d', 64)
	FROM approval.audit_log WHERE kind = 'request.created' AND subject = 'CHA-001'")
assert_eq "sudo systemctl restart nginx|deploy|OPS-1|1000|2025-03-03T08:00:00.000000Z|web1|t" "$got" \
	"request.created carries the full context"
got=$(pg_psql -c "SELECT detail->>'decided_by', detail->>'comment', detail->>'status', request_id IS NOT NULL
	FROM approval.audit_log WHERE kind = 'request.denied'")
assert_eq "bob|no ticket|denied|t" "$got" "request.denied carries approver and comment"
got=$(pg_psql -c "SELECT detail->'changes'->'roles'->>'new', detail->'changes'->'unix_logins'->>'old', detail->>'db_user'
	FROM approval.audit_log WHERE kind = 'approver.changed' AND subject = 'alice'")
assert_eq '["approver", "admin"]|["alice"]|postgres' "$got" "approver.changed carries old and new values"

# Dense ids, monotonic times, head view = last row = chain state.
got=$(pg_psql -c "SELECT count(*) = max(id) AND min(id) = 1 FROM approval.audit_log")
assert_eq "t" "$got" "ids dense from 1"
got=$(pg_psql -c "SELECT count(*) FROM (SELECT at < lag(at) OVER (ORDER BY id) AS back FROM approval.audit_log) x WHERE back")
assert_eq "0" "$got" "times never go backwards"
got=$(pg_psql -c "SELECT h.id = c.last_id AND h.hash = c.last_hash FROM approval.audit_head h, approval.audit_chain c")
assert_eq "t" "$got" "audit_head is the chain head"
[ "$(auditor_psql -c "SELECT hash FROM approval.audit_head")" = "$(pg_psql -c "SELECT last_hash FROM approval.audit_chain")" ] ||
	fail "auditor reads a different head"

# A rolled-back writer leaves no trace of what it wrote, only its id, which
# the sealer records as a gap row once that id can no longer commit
# (sql/014): the sealed chain stays dense.
last=$(pg_psql -c "SELECT max(id) FROM approval.audit_log")
app_psql -c "BEGIN; SELECT approval.audit_event('auth.sign_in', 'ghost', 'web', '{}'); ROLLBACK;" >/dev/null
id=$(app_psql -c "SELECT approval.audit_event('auth.sign_in', 'bob', 'web', '{}')")
assert_eq "$((last + 2))" "$id" "the id after a rollback's"
assert_eq "$last" "$(pg_psql -c "SELECT last_id FROM approval.audit_chain")" "the chain waits at the hole"
seal_all
assert_eq "audit.gap||t" "$(pg_psql -c "SELECT kind, actor, hash IS NOT NULL FROM approval.audit_log WHERE id = $((last + 1))")" \
	"the rolled-back id is a sealed gap row"
assert_eq "0" "$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE actor = 'ghost' OR detail::text LIKE '%ghost%'")" \
	"the rolled-back row left nothing"

# A REPEATABLE READ writer whose snapshot predates another writer's commit
# used to fail (it read a stale head); writers no longer read the head, so
# it commits and is sealed after the row before it, no fork.
mkfifo "$tmp/rr.in"
app_psql -v ON_ERROR_STOP=1 <"$tmp/rr.in" >"$tmp/rr.out" 2>&1 &
rr_pid=$!
exec 3>"$tmp/rr.in"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM approval.audit_log;
\\! touch $tmp/rr.ready" >&3
for _ in $(seq 1 100); do [ -e "$tmp/rr.ready" ] && break; sleep 0.1; done
[ -e "$tmp/rr.ready" ] || fail "repeatable-read session did not start"
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'bob', 'web', '{}')" >/dev/null
echo "SELECT approval.audit_event('auth.sign_in', 'stale', 'web', '{}'); COMMIT;" >&3
exec 3>&-
wait "$rr_pid" || fail "stale writer failed: $(cat "$tmp/rr.out")"
ok "stale REPEATABLE READ writer committed"
seal_all
assert_eq "1" "$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE actor = 'stale' AND hash IS NOT NULL")" \
	"stale writer's row sealed"

# SERIALIZABLE writers in sequence are fine.
app_psql -c "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT approval.audit_event('auth.sign_out', 'bob', 'web', '{}'); COMMIT;" >/dev/null
seal_all	# a SERIALIZABLE writer does not seal at commit (its snapshot may hide commits)

assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "chain intact (inline recomputation)"
assert_eq "" "$(auditor_psql -c "SELECT * FROM approval.audit_verify()")" "chain intact (audit_verify)"
finish
