# bench/lib.sh: the set-up both benchmarks share. Source it after setting
# src (the source tree) and build (the build dir); then
#   bench_start NAME [EXTRA CONFIG LINES]
# makes $tmp, starts a throwaway PostgreSQL, migrates, enrols host "bench"
# ($token) and approver "boss", starts approvald on a free loopback port
# ($apid, $port, $url) and removes everything on exit.

source "$src/tests/lib/pg.sh"
apid=
tmp=

bench_cleanup() {
	[ -n "$apid" ] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null || true
	if [ -n "$tmp" ]; then
		pg_stop "$tmp/pg"
		rm -rf "$tmp"
	fi
}

bench_start() {
	local ctl="$build/approvalctl/approvalctl"

	tmp=$(mktemp -d "/tmp/approve-$1.XXXXXX")
	chmod 755 "$tmp"	# the cluster runs as postgres
	trap bench_cleanup EXIT
	pg_start "$tmp/pg"
	"$ctl" --database "$PG_SUPER_CONNINFO" migrate >/dev/null
	token=$("$ctl" --database "$PG_SUPER_CONNINFO" host add bench 2>/dev/null)
	"$ctl" --database "$PG_SUPER_CONNINFO" approver add boss --unix-login boss >/dev/null 2>&1
	printf 'listen = 127.0.0.1:0\ndatabase = %s\n%s\n' "$PG_APP_CONNINFO" "${2:-}" >"$tmp/approvald.conf"
	"$build/approvald/approvald" --config "$tmp/approvald.conf" --port-file "$tmp/port" 2>"$tmp/approvald.log" &
	apid=$!
	for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	port=$(cat "$tmp/port")
	url="http://127.0.0.1:$port"
}
