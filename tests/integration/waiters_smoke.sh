#!/usr/bin/env bash
# waiters_smoke.sh: the concurrent-waiters benchmark (bench/run.sh part e)
# in small, as a correctness check with no timing assertion: 300 long-polls
# held at once on one approvald by one client process (bench/loadgen hold),
# all decided by SQL while they wait (a NOTIFY per row); every waiter is
# answered "approved" (a 503 from the crowded pool is asked again, as the
# module does), and approvald's waiters gauge, descriptors and threads
# return to where they were before.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_built "$LOADGEN"
n=300
standard_setup max_connections_per_peer=0
_fds() { ls "/proc/$APPROVALD_PID/fd" | wc -l; }
_threads() { awk '/^Threads:/ {print $2}' "/proc/$APPROVALD_PID/status"; }
idle_fds=$(_fds) idle_threads=$(_threads)

"$LOADGEN" hold "$APPROVALD_PORT" "$(host_token web1)" "$n" >"$T/hold.out" 2>&1 &
lpid=$!
_H_PIDS+=("$lpid")
wait_for_line "$T/hold.out" '^waiting' 150 >/dev/null
assert_eq "$n" "$(metric approvald_waiters)" "approvald_waiters while held"
assert_le $((idle_fds + n)) "$(_fds)" "approvald descriptors while $n wait"

sql "UPDATE approval.requests SET status = 'approved',
     decided_by = (SELECT id FROM approval.approvers WHERE login = 'carol')
     WHERE status = 'pending'" >/dev/null
wait_pid "$lpid" 120
assert_eq 0 "$WAIT_RC" "loadgen hold exit status"
assert_file_contains "$T/hold.out" "^released $n of $n \\(approved $n\\)"
# the pool (pool_size 2) connects lazily: it may hold more connections
# to PostgreSQL now than before the load
_released() { [ "$(_fds)" -le $((idle_fds + 2)) ] && [ "$(metric approvald_waiters)" = 0 ]; }
wait_until 20 _released || fail "not released: $(_fds) descriptors (idle $idle_fds), waiters $(metric approvald_waiters)"
ok "every waiter's descriptor released ($(_fds), idle $idle_fds + pool), no waiter left"
assert_le "$(_threads)" "$idle_threads" "approvald threads after the release"
finish
