#!/usr/bin/env bash
# pg_restart.sh: PostgreSQL restarts while a module waits. The waiter
# survives, the decision made after the restart reaches it, and it is woken
# promptly (the LISTEN connection was re-established), not only when its
# long-poll ends.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
pam_service sudo-test --stack account timeout=120

start_waiter pgr sudo-test
code=$CODE
# The throwaway cluster runs with synchronous_commit=off and pg_restart stops
# it in immediate mode, which would lose the last commits (the new request)
# with it; a production server commits synchronously. Flush first, so the
# test is about the waiter surviving the restart, not about that setting.
sql "CHECKPOINT" >/dev/null
pg_restart "$T/pg" || fail "pg_restart failed"
_h_ready() { curl -fsS -o /dev/null --max-time 2 "$APPROVALD_URL/readyz"; }
wait_until 30 _h_ready || fail "approvald not ready after PostgreSQL restarted"
# Give the daemon's LISTEN connection the same chance to come back.
sleep 2

tries=0
until actl carol approve "$code" >"$T/approve.out" 2>&1; do
	tries=$((tries + 1))
	[ "$tries" -lt 10 ] || fail "approvalctl approve kept failing after the restart"
	sleep 1
done
[ "$tries" = 0 ] || note "approvalctl approve needed $tries retries after the restart"
t0=$(now_ms)
pamdrive_wait "$PAMDRIVE_PID" 60
ms=$(( $(now_ms) - t0 ))
assert_pam pgr PAM_SUCCESS
ok "approval after a PostgreSQL restart reached the waiting module (${ms} ms)"
assert_le "$ms" 5000 "ms from the decision to the release after a PostgreSQL restart (LISTEN re-established?)"
ok "woken promptly after the restart"
finish
