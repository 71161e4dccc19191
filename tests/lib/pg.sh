# tests/lib/pg.sh: a throwaway PostgreSQL 15 cluster for tests and the demo.
# Source it, then:
#   pg_start DIR      initdb in DIR/data (as the postgres user when root),
#                     listen on a Unix socket in DIR only, on a free port;
#                     exports PGSOCKDIR, PGPORT_TEST, PG_SUPER_CONNINFO,
#                     PG_APP_CONNINFO (role approval_app) and PG_DBNAME.
#   pg_stop DIR [MODE] stop it (immediate, or MODE: fast is a clean shutdown
#                     that first sends all WAL to the standbys), idempotent.
#   pg_restart DIR    stop and start again on the same port (fault tests).
#   pg_psql SQL...    run SQL as the superuser, unaligned, tuples only.
#   pg_standby_start DIR PRIMARY_DIR
#                     a streaming standby of the running cluster in
#                     PRIMARY_DIR (pg_basebackup -R), in DIR/data on its own
#                     port; sets nothing (see pg_use).
#   pg_promote DIR    promote the standby in DIR and wait until it writes.
#   pg_use DIR        point PGSOCKDIR, PGPORT_TEST and the PG_*_CONNINFO at
#                     the cluster in DIR (after a failover).
# Tests run with fsync, synchronous_commit and full_page_writes off (fast,
# and a lost commit there is a test artefact); PG_DURABLE=1 keeps all three
# on, as in production (the benchmarks). PG_MAX_CONNECTIONS (200).
# Nothing here touches the machine's own clusters or /etc.

PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_DBNAME=${PG_DBNAME:-approval}

_pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		# run as postgres; runuser, not su: tests put pam_approve into
		# su's PAM stack, and runuser does not go through it
		runuser -u postgres -- /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

_pg_free_port() {
	# Unix-socket only, so any number the other clusters here do not use
	local p
	for _ in $(seq 1 50); do
		p=$(( 20000 + (RANDOM * 7 + $$) % 40000 ))
		[ -e "$1/.s.PGSQL.$p" ] && continue
		ls /tmp/.s.PGSQL.$p /var/run/postgresql/.s.PGSQL.$p >/dev/null 2>&1 && continue
		echo "$p"
		return 0
	done
	return 1
}

# The server options of a cluster in $1 on port $2.
_pg_opts() {
	local dur="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	[ "${PG_DURABLE:-0}" = 1 ] && dur="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
	printf '%s' "-k '$1' -c listen_addresses='' -p $2 $dur -c max_connections=${PG_MAX_CONNECTIONS:-200}"
}

pg_start() {
	local dir=$1 port
	[ -n "$dir" ] || { echo "pg_start: DIR required" >&2; return 2; }
	[ -x "$PG_BINDIR/initdb" ] || { echo "pg_start: no PostgreSQL in $PG_BINDIR (apt-get install postgresql-15)" >&2; return 2; }
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	port=$(_pg_free_port "$dir") || { echo "pg_start: no free port" >&2; return 1; }
	if [ ! -d "$dir/data" ]; then
		_pg_as_owner "'$PG_BINDIR/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1" ||
			{ cat "$dir/initdb.log" >&2; return 1; }
	fi
	echo "$port" >"$dir/port"
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -w -t 60 -l '$dir/postgres.log' \
		-o \"$(_pg_opts "$dir" "$port")\" start >/dev/null" ||
		{ tail -n 20 "$dir/postgres.log" >&2; return 1; }
	pg_use "$dir"
	if ! "$PG_BINDIR/psql" -h "$dir" -p "$port" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$PG_DBNAME'" | grep -q 1; then
		"$PG_BINDIR/createdb" -h "$dir" -p "$port" -U postgres "$PG_DBNAME" || return 1
	fi
}

pg_stop() {
	local dir=$1 mode=${2:-immediate}
	[ -f "$dir/data/postmaster.pid" ] || return 0
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -m $mode -w -t 30 stop >/dev/null 2>&1" || true
}

pg_restart() {
	local dir=$1 port
	port=$(cat "$dir/port")
	# fast, not immediate: a restart must not lose commits made with
	# synchronous_commit=off
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -m fast -w -t 30 stop >/dev/null 2>&1" || true
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -w -t 60 -l '$dir/postgres.log' \
		-o \"$(_pg_opts "$dir" "$port")\" start >/dev/null"
}

pg_use() {
	local dir=$1 port
	port=$(cat "$dir/port")
	export PGSOCKDIR=$dir PGPORT_TEST=$port
	export PG_SUPER_CONNINFO="host=$dir port=$port dbname=$PG_DBNAME user=postgres"
	export PG_APP_CONNINFO="host=$dir port=$port dbname=$PG_DBNAME user=approval_app"
	export PG_AUDITOR_CONNINFO="host=$dir port=$port dbname=$PG_DBNAME user=approval_auditor"
}

pg_standby_start() {
	local dir=$1 primary=$2 port
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	port=$(_pg_free_port "$dir") || { echo "pg_standby_start: no free port" >&2; return 1; }
	[ "$port" != "$(cat "$primary/port")" ] || port=$((port + 1))
	_pg_as_owner "'$PG_BINDIR/pg_basebackup' -h '$primary' -p $(cat "$primary/port") -U postgres \
		-D '$dir/data' -R -X stream -c fast >'$dir/basebackup.log' 2>&1" ||
		{ cat "$dir/basebackup.log" >&2; return 1; }
	echo "$port" >"$dir/port"
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -w -t 60 -l '$dir/postgres.log' \
		-o \"$(_pg_opts "$dir" "$port")\" start >/dev/null" ||
		{ tail -n 20 "$dir/postgres.log" >&2; return 1; }
}

pg_promote() {
	local dir=$1
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -w -t 60 promote >/dev/null" ||
		{ tail -n 20 "$dir/postgres.log" >&2; return 1; }
}

pg_psql() {
	"$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -qtA -h "$PGSOCKDIR" -p "$PGPORT_TEST" -U postgres -d "$PG_DBNAME" "$@"
}
