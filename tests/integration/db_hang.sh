#!/usr/bin/env bash
# db_hang.sh: a database that stops answering (the whole cluster stopped
# with SIGSTOP for 20 s, creates piling up meanwhile) freezes nothing:
# /healthz and /metrics answer within 100 ms every time (HTTP threads never
# wait for the database: handlers run on job threads), /readyz says 503
# at once, creates end with a bounded 503 instead of hanging, and SIGTERM
# ends approvald within 5 s while the database is still stopped, with an
# HTTP answer (pending or 503) for every suspended waiter. The cluster is
# continued (SIGCONT) whatever happens, before the harness stops it.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup
BOUND_MS=100
HANG_S=20

pg_pids() {	# the postmaster and its children
	local pm
	pm=$(head -n 1 "$T/pg/data/postmaster.pid")
	echo "$pm" $(pgrep -P "$pm" || true)
}
STOPPED=
pg_cont() { [ -z "$STOPPED" ] || kill -CONT $STOPPED 2>/dev/null || true; STOPPED=; }
# Continue the cluster first thing on exit: the harness's cleanup stops it,
# and a stopped postmaster would not stop. (set +e: under errexit the
# failed status replayed by (exit) would end the trap before the cleanup.)
trap '_rc=$?; set +e; pg_cont; (exit $_rc); _h_cleanup' EXIT

# Waiters suspended in approvald (raw long-polls, 60 s).
tok=$(host_token web1)
waiter_pids=()
for i in 1 2 3 4 5; do
	api_create web1
	curl -sS -o "$T/w$i.body" -w '%{http_code}' --max-time 90 -H "Authorization: Bearer $tok" \
		"$APPROVALD_URL/v1/requests/$REQ_ID/wait?timeout=60" >"$T/w$i.code" 2>/dev/null &
	waiter_pids+=($!)
done
wait_for_waiters 5 10
http GET /readyz
assert_status 200 "readyz before the stop"
# Kept-alive connections, each accepted by whichever HTTP thread took it,
# asked /healthz again once creates hang: a thread that waited for the
# database would hold up the ones it owns.
python3 "$SRCDIR/tests/lib/connload.py" again --port "$APPROVALD_PORT" --count 12 \
	--path /healthz --ready "$T/ka.ready" --go "$T/ka.go" --max 60 >"$T/ka.out" &
keepalive=$!
for ((i = 0; i < 100; i++)); do [ -e "$T/ka.ready" ] && break; sleep 0.05; done
[ -e "$T/ka.ready" ] || fail "kept-alive connections not opened"

STOPPED=$(pg_pids)
kill -STOP $STOPPED
t0=$(now_ms)
note "stopped the cluster: $STOPPED"
# Creates against the stopped database, a new connection every 50 ms for
# the whole stop: far more than there are threads of any kind, and always
# some arriving beside a probe, so whatever waits for the database would
# hold up the connections that share its thread (the probes among them).
ctx=$(ctx_json)
create_one() {	# N; from 127.0.0.2: their crowd must not use up the probes' per-peer cap
	curl -sS -o /dev/null -w '%{http_code}' --max-time 40 --interface 127.0.0.2 \
		-H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' --data-binary "$ctx" \
		"$APPROVALD_URL/v1/requests" >"$T/c$1.code" 2>/dev/null
}
(
	i=0
	while [ $(( $(now_ms) - t0 )) -lt $((HANG_S * 1000)) ]; do
		i=$((i + 1))
		create_one "$i" &
		sleep 0.05
	done
	echo "$i" >"$T/ncreates"
	wait
) &
creator=$!
sleep 2	# the first creates hold what waits for the database
running=$(metric approvald_jobs_running)
[ "$running" -ge 1 ] || fail "approvald_jobs_running is $running while creates hang"
ok "approvald_jobs_running $running, approvald_jobs_queued $(metric approvald_jobs_queued) while creates hang"
touch "$T/ka.go"
wait_pid "$keepalive" 70
while read -r code ms; do
	assert_eq 200 "$code" "/healthz again on a kept-alive connection, creates hanging"
	assert_le "$ms" 1000 "ms for /healthz on a kept-alive connection, creates hanging"
done <"$T/ka.out"
[ "$(wc -l <"$T/ka.out")" = 12 ] || fail "kept-alive probes: $(cat "$T/ka.out")"
ok "12 kept-alive connections answered /healthz while creates hung"

probe() {	# PATH: ms for one answer, status into $T/probe.code
	local s
	s=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$APPROVALD_URL$1") || s="000 5"
	echo "${s%% *}" >"$T/probe.code"
	awk -v t="${s#* }" 'BEGIN { printf "%d\n", t * 1000 }'
}
n=0 max=0 ready_503=0
while [ $(( $(now_ms) - t0 )) -lt $((HANG_S * 1000)) ]; do
	for path in /healthz /metrics; do
		ms=$(probe "$path")
		assert_eq 200 "$(cat "$T/probe.code")" "$path while the database is stopped"
		assert_le "$ms" "$BOUND_MS" "ms for $path after $(( ($(now_ms) - t0) / 1000 )) s of a stopped database"
		[ "$ms" -gt "$max" ] && max=$ms
		n=$((n + 1))
	done
	if [ $(( $(now_ms) - t0 )) -gt 5000 ]; then
		ms=$(probe /readyz)
		assert_eq 503 "$(cat "$T/probe.code")" "/readyz with the database stopped"
		assert_le "$ms" "$BOUND_MS" "ms for /readyz with the database stopped"
		ready_503=1
	fi
	sleep 0.3
done
[ "$ready_503" = 1 ] || fail "/readyz was never probed"
ok "$n probes of /healthz and /metrics in ${HANG_S} s of a stopped database, slowest $max ms; /readyz 503"
# Each create ends: 503, or, when its worker thread was held by the stopped
# database past the body deadline (15 s; slow sanitizer builds), closed by
# the connection guard without an answer. None is left hanging, none 201.
wait_pid "$creator" 40
n503=0 nclosed=0 ncreates=$(cat "$T/ncreates")
for ((i = 1; i <= ncreates; i++)); do
	c=$(cat "$T/c$i.code")
	case $c in
	503) n503=$((n503 + 1)) ;;
	000) nclosed=$((nclosed + 1)) ;;
	*) fail "create $i against the stopped database: HTTP '$c', expected 503" ;;
	esac
done
[ "$n503" -ge 1 ] || fail "no create against the stopped database was answered 503"
ok "all $ncreates creates against the stopped database ended ($n503 with 503, $nclosed closed)"

# SIGTERM while the database is still stopped.
pid=$APPROVALD_PID
t1=$(now_ms)
kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
ms=$(( $(now_ms) - t1 ))
kill -0 "$pid" 2>/dev/null && fail "approvald still running ${ms} ms after SIGTERM"
APPROVALD_PID=
wait "$pid" || fail "approvald exited $? on SIGTERM"
ok "approvald exited 0 ${ms} ms after SIGTERM, the database still stopped"
for i in "${!waiter_pids[@]}"; do
	wait_pid "${waiter_pids[i]}" 5
	c=$(cat "$T/w$((i + 1)).code")
	case $c in
	200) HTTP_BODY=$(cat "$T/w$((i + 1)).body"); assert_json .status pending "waiter $((i + 1))" ;;
	503) ;;
	*) fail "waiter $((i + 1)) got no HTTP answer at shutdown (code '$c')" ;;
	esac
done
ok "every suspended waiter was answered before exit"
pg_cont
finish
