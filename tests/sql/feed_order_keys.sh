#!/bin/bash
# sql/008: event ids are taken in commit order, and idempotency keys are
# unique per host and immutable, whoever writes. A transaction that rolls
# back leaves a hole that no later commit fills; an event written while
# another writer holds the audit chain lock gets an id after that writer's,
# even when it began first; a key cannot be used twice by one host (it can
# by another) and cannot be changed; the application role writes events
# without a sequence default.
. "$SRCDIR/tests/sql/lib.sh"

pg_psql <<-'SQL' >/dev/null
INSERT INTO approval.hosts (name, token_hash) VALUES ('web1', repeat('1', 64)), ('web2', repeat('2', 64));
SQL
app_psql -c "$(req_sql FEE-001 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null
# a rolled-back create: its id is a hole for good
app_psql -c "BEGIN; $(req_sql FEE-002 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'") ROLLBACK;" >/dev/null
app_psql -c "$(req_sql FEE-003 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null
got=$(pg_psql -c "SELECT string_agg(r.code || '=' || e.id, ',' ORDER BY e.id)
	FROM approval.request_events e JOIN approval.requests r ON r.id = e.request_id")
assert_eq "FEE-001=1,FEE-003=3" "$got" "a rollback leaves a hole, never refilled"

# B starts first but its event waits for A's lock: B's id comes after A's.
mkfifo "$tmp/a.sql"
pg_psql <"$tmp/a.sql" >"$tmp/a.out" 2>&1 &
a_pid=$!
exec 3>"$tmp/a.sql"
echo "BEGIN; SELECT approval.audit_event('daemon.test_hold', 'test', 'feed', '{}'); SELECT 'held';" >&3
for _ in $(seq 100); do grep -q '^held$' "$tmp/a.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^held$' "$tmp/a.out" || fail "A did not take the lock"
app_psql -c "$(req_sql FEE-00B web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null &
b_pid=$!
for _ in $(seq 100); do
	[ "$(pg_psql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query LIKE '%FEE-00B%'")" = 1 ] && break
	sleep 0.1
done
{ req_sql FEE-00A web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'"; echo "COMMIT;"; } >&3
exec 3>&-
wait "$a_pid" || fail "transaction A failed: $(cat "$tmp/a.out")"
wait "$b_pid" || fail "transaction B failed"
got=$(pg_psql -c "SELECT string_agg(r.code, ',' ORDER BY e.id) FROM approval.request_events e
	JOIN approval.requests r ON r.id = e.request_id WHERE r.code IN ('FEE-00A', 'FEE-00B')")
assert_eq "FEE-00A,FEE-00B" "$got" "ids in commit order"

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
