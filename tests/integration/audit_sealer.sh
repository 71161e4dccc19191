#!/usr/bin/env bash
# audit_sealer.sh: two approvald instances on one database seal the audit
# chain between them (sql/014, approvald/sealer.c), with nobody calling the
# sealer by hand: creates through both at once end sealed in one valid
# chain. Then the instance doing the sealing is killed (SIGKILL) in the
# middle of a 10,000-row seal: the chain stays valid (its transaction
# either committed whole or not at all), and the other instance seals the
# rest.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup
tok=$(host_token web1)

# Instance B: same database, its own port.
{ grep -v '^listen' "$T/approvald.conf"; echo "listen = 127.0.0.1:0"; } >"$T/b.conf"
b_start() {
	rm -f "$T/b.port"
	"$APPROVALD" --config "$T/b.conf" --port-file "$T/b.port" >>"$T/b.log" 2>&1 &
	B_PID=$!
	_H_PIDS+=("$B_PID")
	wait_until 20 test -s "$T/b.port" || fail "instance B did not start: $(cat "$T/b.log")"
	B_URL="http://127.0.0.1:$(cat "$T/b.port")"
	wait_until 20 curl -fsS -o /dev/null --max-time 2 "$B_URL/healthz" || fail "B /healthz"
}
b_start
handed_out() { sql "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM approval.audit_log_id_seq"; }
_h_all_sealed() { [ "$(sql "SELECT last_id FROM approval.audit_chain")" = "$(handed_out)" ]; }

# 1. Creates through A and B at once, 4 clients each.
create() {	# URL N
	local i
	for ((i = 0; i < $2; i++)); do
		curl -fsS -o /dev/null --max-time 20 -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' --data "$(ctx_json .)" "$1/v1/requests" || echo fail
	done
}
pids=()
for c in 1 2 3 4; do
	create "$APPROVALD_URL" 25 >"$T/ca$c.out" &
	pids+=($!)
	create "$B_URL" 25 >"$T/cb$c.out" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
assert_eq "" "$(cat "$T"/c[ab]*.out)" "200 creates through two instances"
wait_until 10 _h_all_sealed || fail "not sealed: $(sql "SELECT * FROM approval.audit_unsealed")"
ok "every row sealed by the instances ($(sql "SELECT last_id FROM approval.audit_chain") ids)"
assert_rc 0 actl_admin audit verify
assert_match "$LAST_OUT" "audit log intact" "chain verifies after two instances sealed"

# 2. SIGKILL of the sealing instance mid-seal. A stops, so B is the only
# sealer; a session holds the sealer lock while 12,000 rows are written,
# then lets go: B seals them in 10,000-row transactions.
approvald_stop
mkfifo "$T/hold.in"
pg_psql <"$T/hold.in" >"$T/hold.out" 2>&1 &
hold_pid=$!
_H_PIDS+=("$hold_pid")
exec 4>"$T/hold.in"
echo "SELECT pg_advisory_lock(1634758770, 2); SELECT 'holding';" >&4
wait_for_line "$T/hold.out" '^holding$' 10 >/dev/null
sql "SELECT count(approval.audit_event('daemon.test_fill', 'test', 'sealer', jsonb_build_object('i', i)))
	FROM generate_series(1, 12000) i" >/dev/null
assert_eq 12000 "$(sql "SELECT rows FROM approval.audit_unsealed")" "12,000 rows wait"
exec 4>&-
wait_pid "$hold_pid" 10
_h_b_sealing() {
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
		AND query LIKE 'SELECT approval.audit_seal(%'")" -ge 1 ]
}
wait_until 10 _h_b_sealing || fail "B never started sealing"
kill -KILL "$B_PID"
wait "$B_PID" 2>/dev/null || true
ok "B killed while sealing"
# its backend finishes or is rolled back; either way nothing is half-done
_h_b_gone() {
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT approval.audit_seal(%'")" = 0 ]
}
wait_until 30 _h_b_gone || fail "B's sealing backend did not end"
left=$(sql "SELECT rows FROM approval.audit_unsealed")
note "unsealed after the kill: $left"
assert_eq "" "$(sql "SELECT * FROM approval.audit_verify()")" "the sealed part verifies after the kill"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_log l, approval.audit_chain c WHERE l.id > c.last_id AND l.hash IS NOT NULL")" \
	"no row sealed beyond the head"
# A comes back and seals the rest.
approvald_start
wait_until 60 _h_all_sealed || fail "A did not seal the rest: $(sql "SELECT * FROM approval.audit_unsealed")"
assert_rc 0 actl_admin audit verify
assert_match "$LAST_OUT" "audit log intact" "chain verifies after the crash"
assert_eq 0 "$(grep -c 'audit sealer' "$T/approvald.log" "$T/b.log" | awk -F: '{s += $2} END {print s}')" \
	"no sealer errors logged"
finish
