#!/usr/bin/env bash
# waiters_gone.sh: long-polls whose clients vanish are released promptly.
# 2,000 host long-polls (wait?timeout=60, from 40 loopback addresses) are
# reset by their client all at once; within 10 s approvald's descriptor
# count is back near its baseline and the approvald_waiters gauge near 0
# (not after the 60 s long-poll deadline), approvald_waiters_gone_total
# counts them, the log has no line per reset, and approvald still serves.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_cmd python3
N=2000
standard_setup max_connections=4000
CONNLOAD="$SRCDIR/tests/lib/connload.py"

fds() { find "/proc/$APPROVALD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }

api_create web1
http GET "/v1/requests/$REQ_ID/wait?timeout=0" --host web1	# warm the pool
assert_status 200
base=$(fds)
note "approvald descriptors at rest: $base"

python3 "$CONNLOAD" reset --port "$APPROVALD_PORT" --src 127.0.1.1+40 --count "$N" \
	--path "/v1/requests/$REQ_ID/wait?timeout=60" --token-file "$T/host-web1.token" \
	--ready "$T/reset.ready" --go "$T/reset.go" --max 120 >"$T/reset.out" 2>&1 &
reset_pid=$!
_H_PIDS+=("$reset_pid")
wait_until 60 test -e "$T/reset.ready" || fail "the client did not get its $N long-polls sent"
wait_for_waiters "$N" 60
peak=$(fds)
note "with $N waiters: $peak descriptors"
[ "$peak" -ge $((base + N)) ] || fail "$N waiters but only $peak descriptors (baseline $base)"
lines=$(wc -l <"$T/approvald.log")

touch "$T/reset.go"
wait "$reset_pid" || fail "the resetting client failed: $(cat "$T/reset.out")"
assert_eq "reset $N" "$(cat "$T/reset.out")" "client"
t0=$(now_ms)
_h_released() {
	[ "$(fds)" -le $((base + 20)) ] && [ "$(metric approvald_waiters)" -le 5 ]
}
wait_until 10 _h_released ||
	fail "10 s after $N resets: $(fds) descriptors (baseline $base), approvald_waiters $(metric approvald_waiters)"
ms=$(( $(now_ms) - t0 ))
ok "$N reset waiters released in $ms ms: $(fds) descriptors, approvald_waiters $(metric approvald_waiters)"

gone=$(metric approvald_waiters_gone_total)
[ "$gone" -ge $((N - 100)) ] || fail "approvald_waiters_gone_total is $gone after $N resets"
added=$(( $(wc -l <"$T/approvald.log") - lines ))
assert_le "$added" 20 "log lines written for $N resets"
ok "approvald_waiters_gone_total $gone; $added log line(s)"

http GET "/v1/requests/$REQ_ID/wait?timeout=1" --host web1
assert_status 200
assert_json .status pending
ok "still serving long-polls"
finish
