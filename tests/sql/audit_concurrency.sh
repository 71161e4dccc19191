#!/bin/bash
# Four application sessions create, decide and annotate requests at the
# same time; once sealed (sql/014) the chain is one valid line with dense
# ids and every event is in it exactly once (issue 4: "concurrent
# decisions keep the chain valid"), with no writer waiting for another.
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
writers=4
rounds=30
start=$(pg_psql -c "SELECT last_id FROM approval.audit_chain")

# Codes use the request-code alphabet: W<writer>A-<round>.
for w in $(seq 1 $writers); do
	{
		for i in $(seq 1 $rounds); do
			code=$(printf 'W%dA-%03d' "$w" "$i")
			host=web1; [ $((i % 2)) = 0 ] && host=db1
			req_sql "$code" "$host" "dev$w" "2025-03-03 09:00:00+01"
			case $((i % 3)) in
			0) echo "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'alice') WHERE code = '$code';" ;;
			1) echo "UPDATE approval.requests SET status = 'denied', decided_by = (SELECT id FROM approval.approvers WHERE login = 'bob') WHERE code = '$code';" ;;
			2) echo "BEGIN; UPDATE approval.requests SET status = 'cancelled' WHERE code = '$code';
			         SELECT approval.audit_event('notification.sent', 'approvald', '$code', '{\"writer\": $w}'); COMMIT;" ;;
			esac
		done
	} >"$tmp/w$w.sql"
done
pids=
for w in $(seq 1 $writers); do
	app_psql -f "$tmp/w$w.sql" >"$tmp/w$w.out" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "writer $p failed: $(cat "$tmp"/w*.out)"
done
# Writers seal at commit when no one else is sealing (a try, never a
# wait); what committed while another sealed is left to the sealer.
echo "info: unsealed after the writers: $(pg_psql -c "SELECT rows FROM approval.audit_unsealed")"
seal_all

# Per round: created + decided (+ notification for cancelled ones).
want=$(( writers * rounds * 2 + writers * (rounds / 3) ))
got=$(pg_psql -c "SELECT count(*) FROM approval.audit_log WHERE id > $start")
assert_eq "$want" "$got" "every event recorded once"
got=$(pg_psql -c "SELECT count(*) FROM approval.request_events")
assert_eq "$(( writers * rounds * 2 ))" "$got" "request_events and audit rows agree"
got=$(pg_psql -c "SELECT count(DISTINCT prev_hash) = count(*) AND count(*) = max(id) FROM approval.audit_log")
assert_eq "t" "$got" "no fork, ids dense"
got=$(pg_psql -c "SELECT count(DISTINCT (detail->>'writer')) FROM approval.audit_log WHERE kind = 'notification.sent'")
assert_eq "$writers" "$got" "all writers wrote"
# How much the writers interleaved (informational: scheduling decides).
switches=$(pg_psql -c "SELECT count(*) FROM (SELECT substr(subject, 2, 1) <> lag(substr(subject, 2, 1)) OVER (ORDER BY id) AS sw
	FROM approval.audit_log WHERE id > $start) x WHERE sw")
echo "info: writer switches along the chain: $switches"
assert_eq "" "$(pg_psql -c "$CHAIN_CHECK_SQL")" "chain intact (inline recomputation)"
assert_eq "" "$(pg_psql -c "SELECT * FROM approval.audit_verify()")" "chain intact (audit_verify)"
finish
