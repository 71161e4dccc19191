#!/usr/bin/env bash
# pg_deadhost.sh: the first host of approvald's conninfo list is dead and
# drops packets (a full accept queue: SYNs go unanswered, as with a
# powered-off member), and the conninfo sets no tcp_user_timeout. approvald
# connects non-blocking, where libpq's connect_timeout does not apply, so
# an attempt stuck on that host runs into approvald's own deadline; the
# next attempt must then begin with the host after it (db_connect_timed_out)
# instead of being stuck on the dead one forever. Both the LISTEN
# connection (/readyz) and the pool (a request filed and approved through
# the real module) reach the live server.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
python3 "$SRCDIR/tests/pam/blackhole.py" hold "$T/hole.port" /dev/null "$T/hole.log" 0 127.0.0.1 &
_H_PIDS+=("$!")
wait_until 10 test -s "$T/hole.port" || fail "blackhole.py did not start"
hole=$(cat "$T/hole.port") p1=$(cat "$T/pg/port")
approvald_start "database=host=127.0.0.1,$T/pg port=$hole,$p1 dbname=$PG_DBNAME user=approval_app"
mk_host web1
mk_approver carol carol
t0=$(now_ms)
_ready() { curl -fsS -o /dev/null --max-time 2 "$APPROVALD_URL/readyz"; }
wait_until 40 _ready || fail "approvald never reached the live host (LISTEN connection)"
ok "LISTEN connection past the dead host ($(( $(now_ms) - t0 )) ms)"
pam_service sudo-test --stack account timeout=120
start_waiter dh sudo-test
actl carol approve "$CODE" >"$T/approve.out" 2>&1 || fail "approve $CODE: $(cat "$T/approve.out")"
pamdrive_wait "$PAMDRIVE_PID" 30
assert_pam dh PAM_SUCCESS
ok "pool past the dead host: filed, approved, released"
assert_file_contains "$T/approvald.log" "connect(ion attempt)? timed out" "approvald.log (the dead host was met)"
finish
