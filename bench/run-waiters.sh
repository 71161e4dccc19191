#!/usr/bin/env bash
# bench/run-waiters.sh: 10,000 concurrent long-polls on one approvald.
# Usage: bench/run-waiters.sh [BUILDDIR] [COUNT]
# Starts a throwaway PostgreSQL and approvald, files COUNT requests, holds
# COUNT suspended waits, records approvald's memory, approves them all with
# one SQL statement (as an approver would, one NOTIFY each) and reports how
# long the release of every waiter took. Loopback only; bounded in time.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
count=${2:-10000}
source "$src/bench/lib.sh"
ulimit -n "$(ulimit -Hn)"
# every waiter comes from 127.0.0.1: no per-peer cap here
bench_start bench "request_ttl = 600
max_connections = $((count + 1000))
max_connections_per_peer = 0"
cc -O2 -Wall -o "$tmp/waiters" "$src/bench/waiters.c"
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$apid/status)
"$tmp/waiters" "$port" "$token" "$count" 60 "$tmp/ids" >"$tmp/out" 2>&1 &
wpid=$!
for _ in $(seq 1 1200); do grep -q '^waiting' "$tmp/out" && break; sleep 0.1; done
grep -q '^waiting' "$tmp/out" || { cat "$tmp/out"; exit 1; }
sleep 2
rss_wait=$(awk '/VmRSS/ {print $2}' /proc/$apid/status)
threads=$(awk '/Threads/ {print $2}' /proc/$apid/status)
t0=$(date +%s.%N)
pg_psql -c "UPDATE approval.requests SET status = 'approved', decided_by = (SELECT id FROM approval.approvers WHERE login = 'boss') WHERE status = 'pending'"
t1=$(date +%s.%N)
wait "$wpid" && ok=1 || ok=0
cat "$tmp/out"
echo "approvald RSS idle ${rss_idle} kB, with $count waiters ${rss_wait} kB ($(( (rss_wait - rss_idle) * 1024 / count )) bytes/waiter), threads $threads"
echo "decision commit took $(awk "BEGIN{printf \"%.3f\", $t1 - $t0}") s (one UPDATE of $count rows)"
[ "$ok" = 1 ] && echo "all $count waiters released with 'approved'" || { echo "FAILED"; tail -5 "$tmp/approvald.log"; exit 1; }
