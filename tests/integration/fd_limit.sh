#!/usr/bin/env bash
# fd_limit.sh: approvald refuses to start when its open-files limit cannot
# cover max_connections plus its own descriptors, and says how to fix it
# (exit 1, not a stalling accept() later); a soft limit below the hard one
# is raised first, so the same settings start when the hard limit allows.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_cmd prlimit
printf 'listen = 127.0.0.1:0\ndatabase = host=%s/nodb dbname=none\nmax_connections = 1000\n' "$T" >"$T/low.conf"

rc=0
timeout 20 prlimit --nofile=256:256 "$APPROVALD" --config "$T/low.conf" \
	--port-file "$T/low.port" >"$T/low.out" 2>&1 || rc=$?
[ ! -s "$T/low.port" ] || fail "approvald started (port $(cat "$T/low.port")) with 256 descriptors for max_connections 1000"
assert_eq 1 "$rc" "exit status with 256 descriptors for max_connections 1000 (124: still running)"
out=$(cat "$T/low.out")
assert_contains "$out" "max_connections 1000" "the message"
assert_contains "$out" "LimitNOFILE" "the message"
ok "refused at start: $(head -n 1 "$T/low.out")"

rc=0
timeout 20 prlimit --nofile=256:256 "$APPROVALD" --check-config --config "$T/low.conf" >"$T/check.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "--check-config (the limit is checked at start, where it applies)"

# soft 256, hard 4096: raised to 4096, which covers 1000 connections
prlimit --nofile=256:4096 "$APPROVALD" --config "$T/low.conf" --port-file "$T/ok.port" \
	>"$T/approvald.log" 2>&1 &
pid=$!
_H_PIDS+=("$pid")
wait_until 20 test -s "$T/ok.port" || fail "approvald did not start with soft 256, hard 4096"
port=$(cat "$T/ok.port")
wait_until 10 curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" ||
	fail "/healthz did not answer"
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
assert_eq 4096 "$soft" "approvald's soft open-files limit"
ok "soft limit raised to the hard limit (4096) and started"
kill -TERM "$pid"
wait "$pid" || fail "approvald exited $? on SIGTERM"
finish
