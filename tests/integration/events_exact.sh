#!/usr/bin/env bash
# events_exact.sh: the /v1/events feed is exact. A transaction that got
# hold of an event id stays open 10 s while a later id commits at once (no
# writer waits for another since sql/014); every one of 12 watchers
# long-polling meanwhile receives every committed event, exactly once and
# in id order: the later one only after the earlier (the feed serves up
# to the sealed chain head). Nothing is skipped on a timer (the feed used
# to drop an id whose successor was more than 2 s old).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
standard_setup
WATCHERS=12
tok=$(cat "$T/approver-carol.token")
host_id=$(sql "SELECT id FROM approval.hosts WHERE name = 'web1'")

insert_sql() {	# CODE: a pending request, written straight into the database
	printf "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
	  requester_uid, target_user, command, digest, expires_at)
	  VALUES ('%s', %s, 'web1.test', 'sudo', 'alice', 1000, 'root', 'sudo id',
	  repeat('a', 64), now() + interval '10 minutes');" "$1" "$host_id"
}

# The feed position now (after omitted: only what comes next).
start=$(curl -fsS --max-time 10 -H "Authorization: Bearer $tok" "$APPROVALD_URL/v1/events?timeout=0" | jq -r .last)
assert_match "$start" '^[0-9]+$' "starting position"

watch_events() {	# N: follow the feed from $start until $T/stop exists
	local n=$1 last=$start body
	while [ ! -e "$T/stop" ]; do
		body=$(curl -fsS --max-time 30 -H "Authorization: Bearer $tok" \
			"$APPROVALD_URL/v1/events?after=$last&timeout=3") || { sleep 0.2; continue; }
		jq -r '.events[].id' <<<"$body" >>"$T/watch$n.ids"
		last=$(jq -r .last <<<"$body")
	done
}
for ((i = 0; i < WATCHERS; i++)); do
	: >"$T/watch$i.ids"
	watch_events "$i" &
	_H_PIDS+=($!)
done
sleep 1

# A: creates a request and stays open 10 s: its event holds an id.
mkfifo "$T/a.sql"
pg_psql <"$T/a.sql" >"$T/a.out" 2>&1 &
a_pid=$!
_H_PIDS+=("$a_pid")
exec 3>"$T/a.sql"
{ echo "BEGIN;"; insert_sql EVA-001; echo "SELECT 'held';"; } >&3
wait_for_line "$T/a.out" '^held$' 10 >/dev/null
# B: creates its own request now (a later id) and commits at once: no
# lock to wait for. The feed must not serve B's event before A's.
pg_psql -c "$(insert_sql EVB-001)" >/dev/null || fail "B did not commit while A was open"
b_id=$(sql "SELECT e.id FROM approval.request_events e JOIN approval.requests r
	ON r.id = e.request_id WHERE r.code = 'EVB-001'")
sleep 2
early=$(cat "$T"/watch*.ids | grep -cx "$b_id" || true)
assert_eq 0 "$early" "watchers given B's event while A's lower id was open"
{ echo "SELECT pg_sleep(8); COMMIT;"; } >&3
exec 3>&-
wait_pid "$a_pid" 30
assert_eq 0 "$WAIT_RC" "transaction A"

want=$(sql "SELECT e.id FROM approval.request_events e JOIN approval.requests r
	ON r.id = e.request_id WHERE r.code IN ('EVA-001', 'EVB-001') ORDER BY e.id")
assert_eq 2 "$(wc -l <<<"$want")" "events written"
# Every watcher has caught up once it holds the last one (or never will).
last_id=$(tail -n 1 <<<"$want")
_h_all_seen() {
	local f
	for f in "$T"/watch*.ids; do grep -qx "$last_id" "$f" || return 1; done
}
wait_until 15 _h_all_seen || true
sleep 1
touch "$T/stop"
missed=0
for ((i = 0; i < WATCHERS; i++)); do
	got=$(cat "$T/watch$i.ids")
	if [ "$got" != "$want" ]; then
		note "watcher $i got [$(echo $got)], expected [$(echo $want)]"
		missed=$((missed + 1))
	fi
done
[ "$missed" = 0 ] || fail "$missed of $WATCHERS watchers did not get exactly the committed events in order"
ok "$WATCHERS watchers each got events [$(echo $want)] once, in order, across a 10 s open transaction"
finish
