#!/usr/bin/env bash
# bench/wake-latency.sh: how long after a decision is committed does the
# waiting long-poll answer? Usage: bench/wake-latency.sh [BUILDDIR] [ROUNDS]
# Each round files a request, starts GET .../wait?timeout=30 (curl), waits
# until approvald holds it (approvald_waiters metric), commits the approval
# with psql, reads the server clock right after the commit in the same
# session, and records (answer received by curl) - (commit done) in ms.
# Prints min / p50 / p90 / max. Loopback only; bounded.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
rounds=${2:-50}
source "$src/bench/lib.sh"
bench_start lat
body='{"service":"sudo","user":"alice","uid":1000,"target_user":"root","command":"sudo true","hostname":"bench"}'
: >"$tmp/lat"
for i in $(seq 1 "$rounds"); do
	id=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data "$body" "$url/v1/requests" | sed 's/.*"id":"\([0-9a-f-]*\)".*/\1/')
	( curl -sf -m 40 -H "Authorization: Bearer $token" "$url/v1/requests/$id/wait?timeout=30" >"$tmp/ans"
	  date +%s%N >"$tmp/t_answer" ) &
	cpid=$!
	for _ in $(seq 1 200); do
		curl -sf "$url/metrics" | grep -q '^approvald_waiters 1$' && break
		sleep 0.01
	done
	t_commit=$(pg_psql -c "UPDATE approval.requests SET status='approved', decided_by=(SELECT id FROM approval.approvers WHERE login='boss') WHERE id='$id'" \
		-c "SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint")
	wait "$cpid"
	grep -q '"approved"' "$tmp/ans" || { echo "round $i: not approved: $(cat "$tmp/ans")"; exit 1; }
	echo $(( ($(cat "$tmp/t_answer") - t_commit) / 1000 )) >>"$tmp/lat"
done
sort -n "$tmp/lat" | awk '{ v[NR] = $1 } END {
	printf "rounds %d  commit-to-answer (ms): min %.2f  p50 %.2f  p90 %.2f  max %.2f\n",
	NR, v[1] / 1000, v[int(NR * 0.5 + 0.5)] / 1000, v[int(NR * 0.9 + 0.5)] / 1000, v[NR] / 1000 }'
