#!/usr/bin/env bash
# bench/run.sh: every benchmark of BENCHMARKS.md and its baseline, in one
# run, on one throwaway PostgreSQL cluster at production durability (fsync,
# synchronous_commit and full_page_writes on; printed), as root (the cluster
# runs as postgres; the PAM module wants a root-owned token file).
#
#   bench/run.sh [BUILDDIR]      (meson compile -C BUILDDIR first)
#
# Parts, in order (BENCH_PARTS="a b c s d h e f g" to run some):
#   a  LISTEN/NOTIFY wake latency between two libpq connections: a bare
#      NOTIFY, and a NOTIFY in a transaction that writes (bench/notify.c)
#   b  pgbench: one INSERT of the requests row shape (a copy of
#      approval.requests with its indexes and checks, no triggers) at
#      1, 8, 32 and 128 clients; the same with a NOTIFY in its transaction
#      (8, 32); and the same INSERT into approval.requests itself, every
#      trigger firing, NOTIFY handed over as on approvald's pool (1, 8, 32)
#   c  request creation through approvald at the same concurrencies
#      (bench/loadgen.c, keep-alive, TCP), as a ratio to b
#   s  b's three and c at 8 and 32 clients with a slower flush: commit_delay = 5 ms and
#      commit_siblings = 0 make every flush wait 5 ms, as a slower disk
#      would, while commits that arrive meanwhile share it (group commit)
#   d  decision-to-wake over BENCH_ROUNDS decisions, as a ratio to a, and
#      the approve call's own latency
#   h  the module's whole PAM transaction (pam_start..pam_end, pamdrive
#      --repeat) for a request a policy allows at once, over the Unix
#      socket, plain loopback and TLS, against pam_permit.so
#   e  1,000 and BENCH_WAITERS concurrent waiters on one instance, and
#      BENCH_SPLIT across four instances (one client process each): RSS,
#      threads, descriptors while waiting and after the release
#   f  storm: BENCH_STORM waiters while approvals arrive as fast as they
#      can be made; lost wake-ups counted
#   g  two instances: waiting on A, deciding through B (d and a small f)
# Knobs: BENCH_SECONDS (10 per creation point), BENCH_ROUNDS (1000),
# BENCH_WAITERS (10000), BENCH_SPLIT (40000), BENCH_STORM (10000),
# BENCH_POOL (approvald pool_size, 4 as shipped), BENCH_PAM (500);
# BENCH_KEEP=1 keeps the work directory (logs, outputs).
# Results go to stdout and, one "key value" a line, to $BENCH_OUT
# (default ./bench-results.txt); the summary at the end puts every figure
# next to its baseline.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
parts=" ${BENCH_PARTS:-a b c s d h e f g} "
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-1000}
nwait=${BENCH_WAITERS:-10000}
nsplit=${BENCH_SPLIT:-40000}
nstorm=${BENCH_STORM:-10000}
pool=${BENCH_POOL:-4}
npam=${BENCH_PAM:-500}
out=${BENCH_OUT:-$PWD/bench-results.txt}
loadgen=$build/bench/loadgen
ctl=$build/approvalctl/approvalctl
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root" >&2; exit 1; }
for f in "$loadgen" "$build/bench/notify" "$ctl" "$build/approvald/approvald" \
	"$build/tests/pam/pamdrive" "$build/pam_approve/pam_approve.so"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "bench/run.sh: not built: $f" >&2; exit 1; }
done
has() { [[ "$parts" == *" $1 "* ]]; }

export PG_DURABLE=1 PG_MAX_CONNECTIONS=400
source "$src/tests/lib/pg.sh"
tmp=$(mktemp -d /tmp/approve-bench.XXXXXX)
chmod 711 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pg_stop "$tmp/pg"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
: >"$out"
rec() { echo "$1 $2" >>"$out"; }
say() { printf '\n== %s\n' "$*"; }

say "machine"
echo "cpus $(nproc) ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); descriptor limit $(ulimit -n)"
echo "build: $(meson introspect --buildoptions "$build" 2>/dev/null | python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print("buildtype=%s b_sanitize=%s" % (o.get("buildtype"), o.get("b_sanitize")))' 2>/dev/null || echo '?')"

pg_start "$tmp/pg" >/dev/null
"$ctl" --database "$PG_SUPER_CONNINFO" migrate >/dev/null
say "PostgreSQL (one cluster for every part)"
pg_psql -c "SELECT version()"
for k in fsync synchronous_commit full_page_writes wal_sync_method shared_buffers max_connections; do
	printf '%s = %s\n' "$k" "$(pg_psql -c "SHOW $k")"
done
htok=$("$ctl" --database "$PG_SUPER_CONNINFO" host add bench 2>/dev/null)
# request codes from a sequence (unique, the format approval.requests checks)
pg_psql -c "CREATE SCHEMA bench; CREATE SEQUENCE bench.n;
	CREATE FUNCTION bench.code(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$
	  SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((n >> (5 * i)) & 31)::int + 1, 1)
	    || CASE WHEN i = 3 THEN '-' ELSE '' END, '' ORDER BY i DESC)
	  FROM generate_series(0, 5) i \$\$;" >/dev/null
atok=$("$ctl" --database "$PG_SUPER_CONNINFO" approver add boss --unix-login boss 2>/dev/null)

# approvald_up NAME [extra config lines]: an instance on 127.0.0.1 and a
# free port; sets $port and $apid
declare -A aport apidof
approvald_up() {
	local name=$1 i scheme=http
	[[ "${2:-}" == *tls_cert* ]] && scheme=https
	printf 'listen = %s\ndatabase = %s\npublic_url = http://bench.test\nrequest_ttl = 3600\npool_size = %s\nmax_connections_per_peer = 0\n%s\n' \
		"${LISTEN:-127.0.0.1:0}" "$PG_APP_CONNINFO" "$pool" "${2:-}" >"$tmp/$name.conf"
	rm -f "$tmp/$name.port"
	"$build/approvald/approvald" --config "$tmp/$name.conf" --port-file "$tmp/$name.port" \
		2>"$tmp/$name.log" &
	apidof[$name]=$!
	pids+=("$!")
	for i in $(seq 1 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
	aport[$name]=$(cat "$tmp/$name.port")
	for i in $(seq 1 100); do
		curl -fsk -o /dev/null "$scheme://127.0.0.1:${aport[$name]}/readyz" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "approvald $name did not become ready" >&2
	tail "$tmp/$name.log" >&2
	return 1
}
approvald_up A
echo "approvald pool_size = $pool, HTTP workers per endpoint = $((2 * pool + 1))"

# distribution line "NAME n=.. p50=X p99=Y max=Z ms" -> rec NAME_p50 etc.
rec_dist() {
	local line
	line=$(grep "^$1 " "$2") || return 1
	echo "$line"
	for q in p50 p99 max; do
		rec "$3_$q" "$(sed -n "s/.* $q=\([0-9.]*\).*/\1/p" <<<"$line")"
	done
}

if has a; then
	say "a: LISTEN/NOTIFY between two libpq connections ($rounds rounds each)"
	"$build/bench/notify" "$PG_SUPER_CONNINFO" "$rounds" >"$tmp/a.out"
	rec_dist notify_raw "$tmp/a.out" notify_raw
	rec_dist notify_tx "$tmp/a.out" notify_tx
fi

concs="1 8 32 128"
if has b; then
	say "b: pgbench, one INSERT of the requests row shape, $secs s per point"
	pg_psql -c "DROP TABLE IF EXISTS bench.requests;
		CREATE TABLE bench.requests (LIKE approval.requests INCLUDING ALL);"
	# the columns a create fills, with values of the same size
	cat >"$tmp/insert.sql" <<'EOF'
\set u random(0, 99)
INSERT INTO bench.requests (code, host_id, hostname, service, requester, requester_uid,
  target_user, command, tty, cwd, digest, expires_at, nonce, initiator)
VALUES (bench.code(nextval('bench.n')), 1, 'bench', 'sudo', 'bench' || :u, 10000 + :u,
  'root', 'sudo /usr/bin/true ' || :client_id, '/dev/pts/1', '/root',
  md5(random()::text) || md5(random()::text), now() + interval '1 hour',
  md5(random()::text), 'human')
RETURNING id, code, status;
EOF
	# the same insert with a NOTIFY in its transaction, as a trigger sends it
	{ echo 'BEGIN;'; cat "$tmp/insert.sql"; echo "SELECT pg_notify('bench', 'x' || :client_id);"
	  echo 'COMMIT;'; } >"$tmp/insert_notify.sql"
	# and the real thing: into approval.requests, every trigger, event and
	# audit row, with the NOTIFY handed over (approval.defer_notify, as on
	# approvald's pool; client_min_messages drops the notices): what one
	# create costs the database, without approvald
	hid=$(pg_psql -c "SELECT id FROM approval.hosts WHERE name = 'bench'")
	sed -e "s/bench\.requests/approval.requests/" -e "s/VALUES (bench.code(nextval('bench.n')), 1,/VALUES (bench.code(nextval('bench.n')), $hid,/" \
		"$tmp/insert.sql" >"$tmp/insert_full.sql"
fi
# pgbench_run SCRIPT CLIENTS KEY: tps and average latency to KEY_tps_C, KEY_lat_C
pgbench_run() {
	local j=$2 tps lat
	[ "$j" -gt 4 ] && j=4
	"$PG_BINDIR/pgbench" -n -M prepared -c "$2" -j "$j" -T "$secs" -f "$tmp/$1.sql" \
		-h "$PGSOCKDIR" -p "$PGPORT_TEST" -U postgres "$PG_DBNAME" >"$tmp/$3$2.out" 2>&1 ||
		{ cat "$tmp/$3$2.out"; exit 1; }
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/$3$2.out")
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$tmp/$3$2.out")
	echo "$3 clients=$2 tps=$tps latency_avg=${lat} ms"
	rec "$3_tps_$2" "$tps"
	rec "$3_lat_$2" "$lat"
}
if has b; then
	for c in $concs; do pgbench_run insert "$c" pgbench; done
	for c in 8 32; do pgbench_run insert_notify "$c" pgbench_notify; done
	for c in 1 8 32; do
		PGOPTIONS="-c approval.defer_notify=on -c client_min_messages=warning" \
			pgbench_run insert_full "$c" pgbench_full
	done
	# those requests are no one's: out of the way of the waiter parts
	pg_psql -c "UPDATE approval.requests SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
fi

if has c; then
	say "c: request creation through approvald, keep-alive, $secs s per point"
	for c in $concs; do
		"$loadgen" create "${aport[A]}" "$htok" "$c" "$secs" >"$tmp/c$c.out" || { cat "$tmp/c$c.out"; exit 1; }
		cat "$tmp/c$c.out"
		rec "create_rate_$c" "$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' "$tmp/c$c.out")"
		rec "create_other_$c" "$(sed -n 's/.* other=\([0-9]*\).*/\1/p' "$tmp/c$c.out")"
		rec_dist create_latency "$tmp/c$c.out" "create_$c" >/dev/null
	done
fi

if has s && has b; then
	say "s: b and c at 8 and 32 clients with every flush 5 ms long (commit_delay)"
	pg_psql -c "ALTER SYSTEM SET commit_delay = 5000" -c "ALTER SYSTEM SET commit_siblings = 0" \
		-c "SELECT pg_reload_conf()" >/dev/null
	sleep 1
	echo "commit_delay = $(pg_psql -c "SHOW commit_delay") us, commit_siblings = $(pg_psql -c "SHOW commit_siblings")"
	for c in 8 32; do
		pgbench_run insert "$c" slow_pgbench
		pgbench_run insert_notify "$c" slow_pgbench_notify
		PGOPTIONS="-c approval.defer_notify=on -c client_min_messages=warning" \
			pgbench_run insert_full "$c" slow_pgbench_full
		"$loadgen" create "${aport[A]}" "$htok" "$c" "$secs" >"$tmp/s$c.out" || { cat "$tmp/s$c.out"; exit 1; }
		cat "$tmp/s$c.out"
		rec "slow_create_rate_$c" "$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' "$tmp/s$c.out")"
	done
	pg_psql -c "ALTER SYSTEM RESET commit_delay" -c "ALTER SYSTEM RESET commit_siblings" \
		-c "SELECT pg_reload_conf()" >/dev/null
	pg_psql -c "UPDATE approval.requests SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
fi

if has d; then
	say "d: decision-to-wake, $rounds decisions"
	"$loadgen" wake "${aport[A]}" "$htok" "$atok" "$rounds" >"$tmp/d.out" || { cat "$tmp/d.out"; exit 1; }
	rec_dist decision_to_wake "$tmp/d.out" wake
	rec_dist approve_call "$tmp/d.out" approve
fi

if has h; then
	say "h: the module's whole PAM transaction, answered at once (policy allow), $npam each"
	"$ctl" --database "$PG_SUPER_CONNINFO" policy add 'allow service=benchpam' >/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$tmp/tls.key" -out "$tmp/tls.pem" >/dev/null 2>&1
	chmod 600 "$tmp/tls.key"
	mkdir -m 0711 "$tmp/run"
	low=
	for p in $(shuf -i 600-1000 -n 40); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { low=$p; break; }
	done
	( umask 077; echo "$htok" >"$tmp/host.token" )
	LISTEN="unix:$tmp/run/a.sock, 127.0.0.1:$low" approvald_up P
	LISTEN="127.0.0.1:0" approvald_up T "tls_cert = $tmp/tls.pem
tls_key = $tmp/tls.key"
	mkdir -p "$tmp/pam.d"
	permit=$(ls /lib/*/security/pam_permit.so /usr/lib/*/security/pam_permit.so 2>/dev/null | head -n 1)
	mod=$build/pam_approve/pam_approve.so
	printf 'auth required %s\n' "$permit" >"$tmp/pam.d/permit"
	printf 'auth required %s url=unix:%s token_file=%s timeout=30\n' "$mod" "$tmp/run/a.sock" "$tmp/host.token" >"$tmp/pam.d/unix"
	printf 'auth required %s url=http://127.0.0.1:%s token_file=%s timeout=30\n' "$mod" "$low" "$tmp/host.token" >"$tmp/pam.d/loopback"
	printf 'auth required %s url=https://127.0.0.1:%s ca=%s token_file=%s timeout=30\n' "$mod" "${aport[T]}" "$tmp/tls.pem" "$tmp/host.token" >"$tmp/pam.d/tls"
	for svc in permit unix loopback tls; do
		cp "$tmp/pam.d/$svc" "$tmp/pam.d/benchpam"
		env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$tmp/pam.d" \
			"$build/tests/pam/pamdrive" --service benchpam --user alice --op auth --repeat "$npam" \
			>"$tmp/h-$svc.out" 2>&1 || { tail -n 5 "$tmp/h-$svc.out"; exit 1; }
		line=$(grep '^TIMING:' "$tmp/h-$svc.out")
		echo "pam $svc: ${line#TIMING: }"
		for q in p50 p99 max; do rec "pam_${svc}_$q" "$(sed -n "s/.* $q=\([0-9.]*\).*/\1/p" <<<"$line")"; done
	done
fi

# sample NAME: "rss_kb threads fds" of instance NAME
sample() {
	local p=${apidof[$1]}
	echo "$(awk '/VmRSS/ {print $2}' /proc/$p/status) $(awk '/Threads/ {print $2}' /proc/$p/status) $(ls /proc/$p/fd | wc -l)"
}
# decide every pending request, 1,000 per transaction (the release)
approve_all() {
	local n=1
	while [ "$n" != 0 ]; do
		n=$(pg_psql -c "WITH d AS (UPDATE approval.requests SET status = 'approved',
			decided_by = (SELECT id FROM approval.approvers WHERE login = 'boss')
			WHERE id IN (SELECT id FROM approval.requests WHERE status = 'pending' LIMIT 1000)
			RETURNING 1) SELECT count(*) FROM d")
	done
}
# file_sql COUNT FILE: COUNT pending requests of host bench filed in SQL
# (one transaction, their triggers and NOTIFYs included), ids to FILE; the
# waiter benchmarks measure holding and releasing, not filing (that is c)
file_sql() {
	local have=0
	: >"$2"
	# a code approvald drew at random may already be taken: top up
	while [ "$have" -lt "$1" ]; do
		pg_psql -c "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
			requester_uid, target_user, command, tty, cwd, digest, expires_at, nonce)
			SELECT bench.code(nextval('bench.n')), h.id, 'bench', 'sudo', 'bench' || g % 100,
			10000 + g % 100, 'root', 'sudo /usr/bin/true ' || g, '/dev/pts/1', '/root',
			md5(g::text) || md5(random()::text), now() + interval '1 hour', md5(random()::text)
			FROM generate_series(1, $(($1 - have))) g, approval.hosts h WHERE h.name = 'bench'
			ON CONFLICT (code) DO NOTHING RETURNING id" >>"$2"
		have=$(wc -l <"$2")
	done
}
# hold COUNT INSTANCE...: one client process per instance, COUNT each
hold() {
	local count=$1 name i t0 ok=1
	shift
	approve_all
	for name in "$@"; do
		file_sql "$count" "$tmp/ids-$name"
	done
	for name in "$@"; do
		LOADGEN_IDS=$tmp/ids-$name "$loadgen" hold "${aport[$name]}" "$htok" "$count" >"$tmp/hold-$name.out" 2>&1 &
		pids+=("$!")
		eval "hpid_$name=$!"
	done
	for name in "$@"; do
		for i in $(seq 1 3000); do
			grep -q '^waiting' "$tmp/hold-$name.out" && break
			kill -0 "$(eval echo "\$hpid_$name")" 2>/dev/null || break
			sleep 0.1
		done
		grep -q '^waiting' "$tmp/hold-$name.out" || { cat "$tmp/hold-$name.out"; return 1; }
	done
	sleep 1
	for name in "$@"; do
		read -r rss thr fds <<<"$(sample "$name")"
		echo "instance $name holding $count: RSS $((rss / 1024)) MB, $thr threads, $fds descriptors (idle: ${idle[$name]})"
		rec "hold_${count}x$#_${name}_rss_kb" "$rss"
		rec "hold_${count}x$#_${name}_threads" "$thr"
		rec "hold_${count}x$#_${name}_fds" "$fds"
	done
	t0=$(date +%s.%N)
	approve_all
	for name in "$@"; do
		wait "$(eval echo "\$hpid_$name")" || { ok=0; cat "$tmp/hold-$name.out"; }
		grep '^released' "$tmp/hold-$name.out" || true
	done
	echo "all decided and answered $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s after the release began"
	sleep 2
	for name in "$@"; do
		read -r rss thr fds <<<"$(sample "$name")"
		echo "instance $name after the release: RSS $((rss / 1024)) MB, $thr threads, $fds descriptors"
		rec "hold_${count}x$#_${name}_after_fds" "$fds"
		rec "hold_${count}x$#_${name}_after_threads" "$thr"
		rec "hold_${count}x$#_${name}_after_rss_kb" "$rss"
	done
	[ "$ok" = 1 ] && rec "hold_${count}x$#_released" yes || { rec "hold_${count}x$#_released" no; return 1; }
}

declare -A idle
if has e; then
	say "e: concurrent waiters"
	idle[A]="$(sample A)"
	hold 1000 A
	hold "$nwait" A
	for n in B C D; do approvald_up "$n"; idle[$n]="$(sample $n)"; done
	say "e: $nsplit waiters across four instances, one client process each"
	hold $((nsplit / 4)) A B C D
fi

if has f; then
	say "f: storm: $nstorm waiters, approvals as fast as they come (8 connections)"
	approve_all
	file_sql "$nstorm" "$tmp/ids-storm"
	LOADGEN_IDS=$tmp/ids-storm "$loadgen" storm "${aport[A]}" "$htok" "$atok" "$nstorm" 8 >"$tmp/f.out" 2>&1 || { cat "$tmp/f.out"; exit 1; }
	cat "$tmp/f.out"
	rec storm_lost "$(sed -n 's/.* lost_wakeups=\([0-9]*\).*/\1/p' "$tmp/f.out")"
	rec storm_rate "$(sed -n 's/.*(\([0-9.]*\)\/s.*/\1/p' "$tmp/f.out")"
	rec_dist storm_decision_to_wake "$tmp/f.out" storm >/dev/null
fi

if has g; then
	say "g: waiting on A, deciding through B"
	[ -n "${aport[B]:-}" ] || approvald_up B
	"$loadgen" wake "${aport[A]}" "$htok" "$atok" "$rounds" "${aport[B]}" >"$tmp/g.out" || { cat "$tmp/g.out"; exit 1; }
	rec_dist decision_to_wake "$tmp/g.out" wakeAB
	rec_dist approve_call "$tmp/g.out" approveAB
	approve_all
	file_sql 1000 "$tmp/ids-ab"
	LOADGEN_IDS=$tmp/ids-ab "$loadgen" storm "${aport[A]}" "$htok" "$atok" 1000 8 "${aport[B]}" >"$tmp/g2.out" 2>&1 || { cat "$tmp/g2.out"; exit 1; }
	cat "$tmp/g2.out"
	rec stormAB_lost "$(sed -n 's/.* lost_wakeups=\([0-9]*\).*/\1/p' "$tmp/g2.out")"
fi

say "summary (figure, baseline, ratio)"
python3 "$src/bench/summary.py" "$out"
