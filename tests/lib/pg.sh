# tests/lib/pg.sh: a throwaway PostgreSQL 15 cluster for tests and the demo.
# Source it, then:
#   pg_start DIR      initdb in DIR/data (as the postgres user when root),
#                     listen on a Unix socket in DIR only, on a free port;
#                     exports PGSOCKDIR, PGPORT_TEST, PG_SUPER_CONNINFO,
#                     PG_APP_CONNINFO (role approval_app) and PG_DBNAME.
#   pg_stop DIR       stop it (fast), idempotent.
#   pg_restart DIR    stop and start again on the same port (fault tests).
#   pg_psql SQL...    run SQL as the superuser, unaligned, tuples only.
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
		-o \"-k '$dir' -c listen_addresses='' -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start >/dev/null" ||
		{ tail -n 20 "$dir/postgres.log" >&2; return 1; }
	export PGSOCKDIR=$dir PGPORT_TEST=$port
	export PG_SUPER_CONNINFO="host=$dir port=$port dbname=$PG_DBNAME user=postgres"
	export PG_APP_CONNINFO="host=$dir port=$port dbname=$PG_DBNAME user=approval_app"
	export PG_AUDITOR_CONNINFO="host=$dir port=$port dbname=$PG_DBNAME user=approval_auditor"
	if ! "$PG_BINDIR/psql" -h "$dir" -p "$port" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$PG_DBNAME'" | grep -q 1; then
		"$PG_BINDIR/createdb" -h "$dir" -p "$port" -U postgres "$PG_DBNAME" || return 1
	fi
}

pg_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -m immediate -w -t 30 stop >/dev/null 2>&1" || true
}

pg_restart() {
	local dir=$1 port
	port=$(cat "$dir/port")
	# fast, not immediate: a restart must not lose commits made with
	# synchronous_commit=off
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -m fast -w -t 30 stop >/dev/null 2>&1" || true
	_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$dir/data' -w -t 60 -l '$dir/postgres.log' \
		-o \"-k '$dir' -c listen_addresses='' -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start >/dev/null"
}

pg_psql() {
	"$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -qtA -h "$PGSOCKDIR" -p "$PGPORT_TEST" -U postgres -d "$PG_DBNAME" "$@"
}
