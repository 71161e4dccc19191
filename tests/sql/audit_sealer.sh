#!/bin/bash
# The audit chain's sealer (sql/014): writers never wait for one another,
# and once sealed the chain proves the same as before. A rolled-back id
# becomes a sealed gap row (only once it can no longer commit) and audit
# verify lists it; a row deleted by a superuser before it was sealed
# becomes a gap too, listed, and a request event so removed fails the
# crosscheck; rows left unsealed longer than the bound fail verify; a
# sealer killed mid-transaction leaves nothing half-sealed and the next
# one carries on; many sealers racing with many writers give one chain;
# the sealer's UPDATE is the only one the log takes.
. "$SRCDIR/tests/sql/lib.sh"
: "${APPROVALCTL:?}"
ctl() { "$APPROVALCTL" --database "$PG_AUDITOR_CONNINFO" "$@"; }
expect_exit() {	# WHAT CODE PATTERN CMD...
	local what=$1 code=$2 pat=$3
	shift 3
	assert_rc "$code" "$@"
	printf '%s' "$LAST_OUT" | grep -q -- "$pat" || fail "$what: no '$pat' in: $LAST_OUT"
	ok "$what"
}
unsealed() { pg_psql -c "SELECT rows FROM approval.audit_unsealed"; }
# session NAME FN SQL MARK: a psql session (FN: pg_psql or app_psql) that
# stays open, fed through $tmp/NAME.in; runs SQL and waits for a line
# starting with MARK in $tmp/NAME.out. say NAME SQL sends more; end NAME
# closes it and waits for it.
declare -A sess_fd sess_pid
session() {
	local fd
	rm -f "$tmp/$1.in"
	mkfifo "$tmp/$1.in"
	$2 <"$tmp/$1.in" >"$tmp/$1.out" 2>&1 &
	sess_pid[$1]=$!
	exec {fd}>"$tmp/$1.in"
	sess_fd[$1]=$fd
	say "$1" "$3"
	for _ in $(seq 100); do grep -q "^$4" "$tmp/$1.out" && return 0; sleep 0.1; done
	fail "session $1: no '$4': $(cat "$tmp/$1.out")"
}
say() { echo "$2" >&"${sess_fd[$1]}"; }
end() {
	local fd=${sess_fd[$1]}
	exec {fd}>&-
	wait "${sess_pid[$1]}"
}
# hold_sealer: a session holds the sealer's lock, so writers commit
# unsealed (their try at commit fails); release_sealer ends it.
hold_sealer() { session hold pg_psql "SELECT pg_advisory_lock(1634758770, 2); SELECT 'holding';" holding; }
release_sealer() { end hold; }

fixture_people
app_psql -c "$(req_sql SEA-001 web1 dev1 '2025-03-03 09:00:00+01')" >/dev/null
assert_eq 0 "$(unsealed)" "a lone writer seals its own rows at commit"

# 1. A gap: the rolled-back id waits until provably dead, then is sealed.
app_psql -c "BEGIN; SELECT approval.audit_event('auth.sign_in', 'ghost', 'web', '{}'); ROLLBACK;" >/dev/null
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'bob', 'web', '{}')" >/dev/null
gap=$(( $(pg_psql -c "SELECT last_id FROM approval.audit_chain") + 1 ))
assert_eq 1 "$(unsealed)" "the row after the hole waits"
seal_all
assert_eq "audit.gap" "$(pg_psql -c "SELECT kind FROM approval.audit_log WHERE id = $gap")" "gap row sealed"
expect_exit "verify lists the gap" 0 "1 gaps (ids that never committed a row.*): $gap\$" ctl audit verify

# A hole whose holder is still open is not a gap, however often the
# sealer runs: the chain waits, the row is sealed once it commits.
session open app_psql "BEGIN; SELECT approval.audit_event('auth.sign_in', 'slow', 'web', '{}'); SELECT 'open';" open
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'quick', 'web', '{}')" >/dev/null
for _ in 1 2 3 4 5; do pg_psql -c "SELECT approval.audit_seal()" >/dev/null; done
assert_eq 0 "$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE id > $gap AND kind = 'audit.gap'")" \
	"an open transaction's id is not taken for a gap"
assert_eq 1 "$(unsealed)" "the committed row after it waits"
say open "COMMIT;"
end open || fail "the open writer failed: $(cat "$tmp/open.out")"
seal_all
assert_eq "slow quick" "$(pg_psql -c "SELECT string_agg(actor, ' ' ORDER BY id) FROM approval.audit_log WHERE actor IN ('slow', 'quick')")" \
	"both sealed, in id order"

# 2. Unsealed too long: verify says so (exit 1) past the bound, and only
# mentions them within it.
hold_sealer
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'alice', 'web', '{}')" >/dev/null
assert_eq 1 "$(unsealed)" "a row committed while another holds the sealer lock is unsealed"
expect_exit "verify within the bound" 0 "1 newer rows not sealed yet" ctl audit verify
sleep 1.1
expect_exit "verify past the bound" 1 "NOT SEALED: 1 rows after the head wait to be sealed" ctl audit verify --unsealed-max 1

# 3. Deleted before it was sealed: the id becomes a gap (listed); for a
# request event the crosscheck catches it too.
app_psql -c "$(req_sql SEA-002 web1 dev1 '2025-03-03 09:00:00+01')" >/dev/null
del=$(pg_psql -c "SELECT id FROM approval.audit_log WHERE kind = 'request.created' AND subject = 'SEA-002'")
pg_psql -c "BEGIN; ALTER TABLE approval.audit_log DISABLE TRIGGER USER;
	DELETE FROM approval.audit_log WHERE id = $del;
	ALTER TABLE approval.audit_log ENABLE TRIGGER USER; COMMIT;" >/dev/null
release_sealer
seal_all
assert_eq "audit.gap" "$(pg_psql -c "SELECT kind FROM approval.audit_log WHERE id = $del")" \
	"the deleted unsealed row became a gap"
expect_exit "verify: deleted request event" 1 "BROKEN: request SEA-002: no request.created in audit_log" ctl audit verify
# (put the request's creation back on record so the rest verifies)
pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	DELETE FROM approval.request_events WHERE request_id = (SELECT id FROM approval.requests WHERE code = 'SEA-002');
	DELETE FROM approval.requests WHERE code = 'SEA-002';
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
expect_exit "verify after the cleanup lists the gap where the row was" 0 "2 gaps (.*): $gap $del\$" ctl audit verify

# 4. A sealer killed in the middle of its transaction: nothing it sealed
# stays, the head does not move, the next sealer seals all.
hold_sealer
for i in $(seq 1 50); do echo "SELECT approval.audit_event('auth.sign_in', 'u$i', 'web', '{}');"; done | app_psql >/dev/null
release_sealer
head0=$(pg_psql -c "SELECT last_id FROM approval.audit_chain")
session kill pg_psql "BEGIN; SELECT approval.audit_seal(); SELECT 'sealed', pg_backend_pid();" 'sealed|'
grep -q '^50$' "$tmp/kill.out" || fail "the sealer did not seal 50 rows: $(cat "$tmp/kill.out")"
pid=$(sed -n 's/^sealed|//p' "$tmp/kill.out")
pg_psql -c "SELECT pg_terminate_backend($pid)" >/dev/null
end kill || true
assert_eq "$head0" "$(pg_psql -c "SELECT last_id FROM approval.audit_chain")" "the killed sealer moved nothing"
assert_eq 50 "$(unsealed)" "its rows are unsealed again"
seal_all
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "the next sealer sealed them (audit_verify)"

# 5. Racing: 4 writers and 4 sealers at once; one chain, each row sealed once.
for w in 1 2 3 4; do
	for i in $(seq 1 40); do
		code=$(printf 'R%dC-%03d' "$w" "$i")
		req_sql "$code" web1 "dev$w" '2025-03-03 09:00:00+01'
		[ $((i % 4)) = 0 ] && echo "BEGIN; SELECT approval.audit_event('auth.sign_in', 'r$w', 'web', '{}'); ROLLBACK;"
		echo "UPDATE approval.requests SET status = 'cancelled' WHERE code = '$code';"
	done >"$tmp/w$w.sql"
	for i in $(seq 1 150); do echo "SELECT approval.audit_seal();"; done >"$tmp/s$w.sql"
done
pids=
for w in 1 2 3 4; do
	app_psql -f "$tmp/w$w.sql" >"$tmp/w$w.out" 2>&1 &
	pids="$pids $!"
	app_psql -f "$tmp/s$w.sql" >"$tmp/s$w.out" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a writer or sealer failed: $(cat "$tmp"/[ws]*.out | grep -v '^[0-9]*$' | head)"; done
seal_all
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "chain intact after the race (inline recomputation)"
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "chain intact after the race (audit_verify)"
assert_eq "t" "$(pg_psql -c "SELECT count(*) = max(id) AND count(DISTINCT prev_hash) = count(*) FROM approval.audit_log")" \
	"dense ids, no fork"
assert_eq 320 "$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE subject LIKE 'R_C-%'")" "every event once"
assert_eq 40 "$(pg_psql -c "SELECT count(*) FROM approval.audit_log l WHERE l.kind = 'audit.gap'
	AND l.id > (SELECT min(id) FROM approval.audit_log WHERE subject LIKE 'R_C-%')")" "every rolled-back id a gap"
expect_exit "verify after the race" 0 "audit log intact" ctl audit verify

# 6. Only the sealer updates, and only the hashes of an unsealed row.
hold_sealer
app_psql -c "SELECT approval.audit_event('auth.sign_in', 'carol', 'web', '{}')" >/dev/null
u=$(pg_psql -c "SELECT max(id) FROM approval.audit_log")
assert_refused "superuser edits an unsealed row" pg_psql "UPDATE approval.audit_log SET actor = 'x' WHERE id = $u" "append-only"
assert_refused "superuser seals by hand" pg_psql "UPDATE approval.audit_log SET prev_hash = repeat('0', 64), hash = repeat('0', 64) WHERE id = $u" "append-only"
assert_refused "app calls the sealer in REPEATABLE READ" app_psql \
	"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT approval.audit_seal(); COMMIT;" "READ COMMITTED only"
release_sealer
assert_refused "auditor calls the sealer" auditor_psql "SELECT approval.audit_seal()" "permission denied"
seal_all
expect_exit "verify at the end" 0 "audit log intact" ctl audit verify
finish
