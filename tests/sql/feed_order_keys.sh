#!/bin/bash
# sql/008 and sql/014: the event feed is exact without a lock, and
# idempotency keys are unique per host and immutable, whoever writes.
# Events take their ids from the audit sequence and the feed serves them
# only up to the sealed chain head: a transaction that rolls back leaves a
# hole the sealer records as a gap, never refilled; a writer that took a
# lower id and is still open holds the head below it, so a later id that
# committed first is not served before it (and did not wait for it); a
# key cannot be used twice by one host (it can by another) and cannot be
# changed; the application role writes events without a sequence default.
. "$SRCDIR/tests/sql/lib.sh"

pg_psql <<-'SQL' >/dev/null
INSERT INTO approval.hosts (name, token_hash) VALUES ('web1', repeat('1', 64)), ('web2', repeat('2', 64));
SQL
app_psql -c "$(req_sql FEE-001 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null
# a rolled-back create: its id is a hole for good
app_psql -c "BEGIN; $(req_sql FEE-002 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'") ROLLBACK;" >/dev/null
app_psql -c "$(req_sql FEE-003 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null
seal_all
got=$(pg_psql -c "SELECT string_agg(r.code || '=' || e.id, ',' ORDER BY e.id)
	FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id")
assert_eq "FEE-001=3,FEE-003=5" "$got" "a rollback leaves a hole, never refilled (ids after the 2 host rows)"
assert_eq "3 request.created,4 audit.gap,5 request.created" \
	"$(pg_psql -c "SELECT string_agg(id || ' ' || kind, ',' ORDER BY id) FROM approval.audit_log WHERE id >= 3")" \
	"each event's audit row has its id; the hole is a gap row"

# A takes an event id and stays open; B takes a later one and commits at
# once (no lock to wait for); the head stays below A's id until A commits.
mkfifo "$tmp/a.sql"
app_psql <"$tmp/a.sql" >"$tmp/a.out" 2>&1 &
a_pid=$!
exec 3>"$tmp/a.sql"
{ echo "BEGIN;"; req_sql FEE-00A web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'"; echo "SELECT 'held';"; } >&3
for _ in $(seq 100); do grep -q '^held$' "$tmp/a.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^held$' "$tmp/a.out" || fail "A did not write its event"
timeout 10 "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -qtA "$PG_APP_CONNINFO" \
	-c "$(req_sql FEE-00B web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null ||
	fail "B did not commit while A was open"
ok "B committed while A holds a lower id"
for _ in 1 2 3; do pg_psql -c "SELECT approval.audit_seal()" >/dev/null; done
b_id=$(pg_psql -c "SELECT e.id FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id WHERE r.code = 'FEE-00B'")
head=$(pg_psql -c "SELECT last_id FROM approval.audit_chain")
[ "$head" -lt "$((b_id - 1))" ] || fail "the head ($head) passed A's open id (B's is $b_id)"
ok "the head ($head) waits below A's open id while B ($b_id) is committed"
echo "COMMIT;" >&3
exec 3>&-
wait "$a_pid" || fail "transaction A failed: $(cat "$tmp/a.out")"
seal_all
got=$(pg_psql -c "SELECT string_agg(r.code, ',' ORDER BY e.id) FROM approval.request_events e
	JOIN approval.requests r ON r.id = e.request_id WHERE r.code IN ('FEE-00A', 'FEE-00B')
	AND e.id <= (SELECT last_id FROM approval.audit_chain)")
assert_eq "FEE-00A,FEE-00B" "$got" "both served once A committed, A's first"

# idempotency keys
key_sql() {	# CODE HOST KEY
	printf "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
	  requester_uid, target_user, command, digest, expires_at, idempotency_key)
	  SELECT '%s', h.id, 'h', 'sudo', 'alice', 1000, 'root', 'id', repeat('d', 64),
	  now() + interval '1 hour', '%s' FROM approval.hosts h WHERE h.name = '%s'" "$1" "$3" "$2"
}
app_psql -c "$(key_sql KEY-001 web1 key-aaaaaaaaaaaaaaaa)" >/dev/null
assert_refused "the same key twice for one host" app_psql "$(key_sql KEY-002 web1 key-aaaaaaaaaaaaaaaa)" \
	"requests_host_idempotency"
app_psql -c "$(key_sql KEY-003 web2 key-aaaaaaaaaaaaaaaa)" >/dev/null || fail "another host cannot use the key"
ok "another host may use the same key"
assert_refused "a malformed key" app_psql "$(key_sql KEY-004 web1 'short')" "check constraint"
assert_refused "changing a key" app_psql \
	"UPDATE approval.requests SET idempotency_key = 'key-bbbbbbbbbbbbbbbb' WHERE code = 'KEY-001'" "immutable"
assert_refused "setting a key later" app_psql \
	"UPDATE approval.requests SET idempotency_key = 'key-bbbbbbbbbbbbbbbb' WHERE code = 'FEE-001'" "immutable"
finish
