#!/bin/bash
# audit_cancel_reason.sh: the audit row of a request that ended without a
# decision says why (sql/018): request.cancelled carries the cancel's
# cancel_reason (interrupted, timeout, unspecified when the host gave none)
# and request.expired carries "expired", each equal to the request's and
# the event's; the row keeps detail.event_id, which the chain trigger
# (sql/014) makes the row's id, so each row has its event's id; decisions
# and creations carry no cancel_reason; the sealed chain verifies with the
# documented query. Rows written before sql/018 keep their form and the
# chain stays intact across the upgrade. A cancel_reason rewritten in
# approval.requests with the triggers off disagrees with the chained row,
# and approval.audit_crosscheck names the request (sql/022).
MIGRATE_BEFORE=018
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
soon="now() + interval '10 minutes'"
req_sql BEF-001 web1 dave "$(date -u +%F) 00:00:00+00" "$soon" | app_psql >/dev/null
app_psql -c "UPDATE approval.requests SET status = 'cancelled', cancel_reason = 'interrupted' WHERE code = 'BEF-001'" >/dev/null
migrate_rest

req_sql EXP-001 web1 dave "$(date -u +%F) 00:00:00+00" "now() + interval '1 second'" | app_psql >/dev/null
for c in CAN-001 CAN-002 CAN-003 APR-001; do
	req_sql "$c" web1 dave "$(date -u +%F) 00:00:00+00" "$soon" | app_psql >/dev/null
done
app_psql -c "UPDATE approval.requests SET status = 'cancelled', cancel_reason = 'interrupted' WHERE code = 'CAN-001'" >/dev/null
app_psql -c "UPDATE approval.requests SET status = 'cancelled', cancel_reason = 'timeout' WHERE code = 'CAN-002'" >/dev/null
app_psql -c "UPDATE approval.requests SET status = 'cancelled' WHERE code = 'CAN-003'" >/dev/null
sleep 1.2	# EXP-001 is past its deadline
app_psql -c "UPDATE approval.requests SET status = 'expired' WHERE code = 'EXP-001'" >/dev/null
app_psql -c "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice'), decided_at = now() WHERE code = 'APR-001'" >/dev/null

# audit_reason CODE KIND: the cancel_reason of that audit row ("-" when the key is absent)
audit_reason() {
	pg_psql -c "SELECT CASE WHEN l.detail ? 'cancel_reason' THEN coalesce(l.detail->>'cancel_reason', 'null') ELSE '-' END
		FROM approval.audit_log l WHERE l.subject = '$1' AND l.kind = 'request.$2'"
}
assert_eq interrupted "$(audit_reason CAN-001 cancelled)" "Ctrl-C: the audit row says interrupted"
assert_eq timeout "$(audit_reason CAN-002 cancelled)" "module timeout: the audit row says timeout"
assert_eq unspecified "$(audit_reason CAN-003 cancelled)" "a cancel without a reason: unspecified"
assert_eq expired "$(audit_reason EXP-001 expired)" "expiry: the audit row says expired"
assert_eq - "$(audit_reason APR-001 approved)" "a decision has no cancel_reason"
assert_eq - "$(audit_reason CAN-001 created)" "a creation has no cancel_reason"
assert_eq - "$(audit_reason BEF-001 cancelled)" "a row written before sql/018 keeps its form"

# the audit row agrees with the request and with its event, and has the event's id
assert_eq "" "$(pg_psql -c "SELECT r.code || ': ' || coalesce(r.cancel_reason, '?') || ' / ' ||
		coalesce(e.cancel_reason, '?') || ' / ' || coalesce(l.detail->>'cancel_reason', '?')
	  FROM approval.requests r
	  JOIN approval.request_events e ON e.request_id = r.id AND e.kind IN ('cancelled', 'expired')
	  JOIN approval.audit_log l ON l.request_id = r.id AND l.kind = 'request.' || e.kind
	 WHERE r.code <> 'BEF-001' AND (l.detail->>'cancel_reason' IS DISTINCT FROM r.cancel_reason
	    OR e.cancel_reason IS DISTINCT FROM r.cancel_reason)")" \
	"request, event and audit row say the same reason"
assert_eq 0 "$(pg_psql -c "SELECT count(*) FROM approval.audit_log l
	  JOIN approval.request_events e ON e.request_id = l.request_id AND 'request.' || e.kind = l.kind
	 WHERE l.id <> e.id OR (l.detail->>'event_id')::bigint <> e.id")" \
	"every request row keeps detail.event_id and the event's id"
assert_eq 12 "$(pg_psql -c "SELECT count(*) FROM approval.audit_log l WHERE l.kind LIKE 'request.%' AND l.detail ? 'event_id'")" \
	"every request audit row (6 created, 6 ended) carries event_id"

seal_all
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "the sealed chain verifies (documented query)"
assert_eq "" "$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck")" "requests agree with the log"

# a superuser rewrites why requests were cancelled (a module's timeout
# told as a Ctrl-C, a Ctrl-C as unspecified) with the triggers off
pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	UPDATE approval.requests SET cancel_reason = 'interrupted' WHERE code = 'CAN-002';
	UPDATE approval.requests SET cancel_reason = 'unspecified' WHERE code = 'CAN-001';
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
assert_eq "CAN-001|cancel_reason differs from audit_log
CAN-002|cancel_reason differs from audit_log" \
	"$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck ORDER BY code")" \
	"a rewritten cancel_reason is found"
finish
