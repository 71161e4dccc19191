#!/bin/bash
# sql/021: every announcement of the schema goes through
# approval.notify_event(). A session that set approval.defer_notify = on
# (approvald's pool connections) gets each one as a NOTICE with SQLSTATE
# AP001 (payload as message, channel as detail) and no NOTIFY from its own
# transaction, so that transaction commits without PostgreSQL's NOTIFY
# lock; any other session (direct SQL, approvalctl, the expiry sweep)
# still gets the NOTIFY, with the same payload. Nothing else changes: the
# event and audit rows are written and sealed either way.
. "$SRCDIR/tests/sql/lib.sh"

assert_eq "" "$(pg_psql -c "SELECT string_agg(p.proname, ' ') FROM pg_catalog.pg_proc p
	WHERE p.pronamespace = 'approval'::regnamespace AND p.proname <> 'notify_event'
	  AND p.prosrc ~ 'pg_notify'")" "no function of the schema calls pg_notify but notify_event"
for f in requests_events requests_policy_event requests_grace_event requests_tally audit_seal; do
	assert_eq t "$(pg_psql -c "SELECT bool_or(p.prosrc LIKE '%approval.notify_event(%')
		FROM pg_catalog.pg_proc p WHERE p.proname = '$f'
		  AND p.pronamespace = 'approval'::regnamespace")" "$f announces through notify_event"
done

pg_psql -c "INSERT INTO approval.hosts (name, token_hash) VALUES ('web1', repeat('1', 64))" >/dev/null

# direct SQL: the NOTIFY comes from the writing transaction, as before
app_psql -c "LISTEN approval_events" \
	-c "$(req_sql NTF-001 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" \
	>"$tmp/off.out" 2>"$tmp/off.err" || fail "direct SQL create failed: $(cat "$tmp/off.err")"
id1=$(pg_psql -c "SELECT id FROM approval.requests WHERE code = 'NTF-001'")
grep -q "notification \"approval_events\" with payload \"$id1 pending\"" "$tmp/off.out" ||
	fail "direct SQL: no NOTIFY '$id1 pending': $(cat "$tmp/off.out" "$tmp/off.err")"
ok "direct SQL: NOTIFY '<id> pending' from the create's own transaction"
assert_eq 0 "$(grep -c AP001 "$tmp/off.err" || true)" "direct SQL: no deferred-notify notice"

# deferred: a NOTICE per announcement and no NOTIFY (the session listens,
# and would see its own)
app_psql -v VERBOSITY=verbose -c "SET approval.defer_notify = on" -c "LISTEN approval_events" \
	-c "$(req_sql NTF-002 web1 alice '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" \
	-c "SELECT approval.audit_seal()" >"$tmp/on.out" 2>"$tmp/on.err" || fail "deferred create failed: $(cat "$tmp/on.err")"
id2=$(pg_psql -c "SELECT id FROM approval.requests WHERE code = 'NTF-002'")
grep -q "AP001: $id2 pending" "$tmp/on.err" ||
	fail "deferred: no AP001 notice '$id2 pending': $(cat "$tmp/on.err")"
ok "deferred: the create hands '<id> pending' over as a NOTICE AP001"
grep -A1 "AP001: $id2 pending" "$tmp/on.err" | grep -q "DETAIL:  approval_events" ||
	fail "deferred: the notice does not name the channel: $(cat "$tmp/on.err")"
ok "deferred: the notice's detail is the channel"
grep -q "AP001: sealed [0-9]" "$tmp/on.err" ||
	fail "deferred: the sealer's 'sealed N' was not handed over: $(cat "$tmp/on.err")"
ok "deferred: the sealer's 'sealed N' too"
assert_eq 0 "$(grep -c 'Asynchronous notification' "$tmp/on.out" || true)" \
	"deferred: no NOTIFY from the deferring session's transactions"
assert_eq "created" "$(pg_psql -c "SELECT string_agg(e.kind, ',') FROM approval.request_events e
	WHERE e.request_id = '$id2'")" "deferred: the event row is written"
seal_all
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "the chain verifies with both kinds of writer"

# an UPDATE by direct SQL (an expiry) still notifies in its transaction
pg_psql -c "LISTEN approval_events" \
	-c "UPDATE approval.requests SET status = 'expired' WHERE code = 'NTF-002'" >"$tmp/exp.out" 2>&1
grep -q "payload \"$id2 expired\"" "$tmp/exp.out" ||
	fail "direct SQL expiry: no NOTIFY '$id2 expired': $(cat "$tmp/exp.out")"
ok "direct SQL expiry: NOTIFY '<id> expired'"
finish
