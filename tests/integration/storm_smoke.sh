#!/usr/bin/env bash
# storm_smoke.sh: the storm benchmark (bench/run.sh part f) in small, as a
# correctness check with no timing assertion: 300 waiters held on one
# approvald while 4 approver connections approve them all through the API
# as fast as they are answered (bench/loadgen storm). No wake-up may be
# lost (a "pending" answer after the request's approve succeeded would be
# one), every waiter ends "approved", and approvald's waiters gauge and
# descriptors return to where they were.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_built "$LOADGEN"
n=300
standard_setup max_connections_per_peer=0
_fds() { ls "/proc/$APPROVALD_PID/fd" | wc -l; }
idle_fds=$(_fds)

"$LOADGEN" storm "$APPROVALD_PORT" "$(host_token web1)" "$(cat "$T/approver-carol.token")" \
	"$n" 4 >"$T/storm.out" 2>&1 &
lpid=$!
_H_PIDS+=("$lpid")
wait_pid "$lpid" 170
assert_eq 0 "$WAIT_RC" "loadgen storm exit status"
assert_file_contains "$T/storm.out" "^released $n of $n \\(approved $n\\)"
assert_file_contains "$T/storm.out" "^storm decisions=$n ok=$n .* lost_wakeups=0\$"
assert_eq "$n" "$(sql "SELECT count(*) FROM approval.requests WHERE status = 'approved'")" "approved in the database"
# the pool (pool_size 2) connects lazily: it may hold more connections
# to PostgreSQL now than before the load
_released() { [ "$(_fds)" -le $((idle_fds + 2)) ] && [ "$(metric approvald_waiters)" = 0 ]; }
wait_until 20 _released || fail "not released: $(_fds) descriptors (idle $idle_fds), waiters $(metric approvald_waiters)"
ok "every waiter's descriptor released ($(_fds), idle $idle_fds + pool), no waiter left"
finish
