# tests/sql/lib.sh: shared setup for the 'sql' suite.
# Source it from a test: starts a throwaway cluster in a temp dir $tmp,
# applies sql/*.sql in order as the superuser, and stops/removes it on exit.
# Gives: pg_psql (superuser), app_psql, auditor_psql, assert_refused WHAT
# PSQL-FN SQL [PATTERN], fixtures, and tests/lib/assert.sh (assert_eq
# EXPECTED ACTUAL WHAT, fail, ...).
set -eu
: "${SRCDIR:?SRCDIR must point at the source tree}"
# shellcheck source=../lib/pg.sh
. "$SRCDIR/tests/lib/pg.sh"

tmp=$(mktemp -d /tmp/approval-sqltest.XXXXXX)
chmod 755 "$tmp"
ASSERT_DIR=$tmp
# shellcheck source=../lib/assert.sh
. "$SRCDIR/tests/lib/assert.sh"
_cleanup() {
	local rc=$?
	pg_stop "$tmp/pg"
	rm -rf "$tmp"
	exit "$(assert_exit_status "$rc")"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM HUP

pg_start "$tmp/pg" >/dev/null
# MIGRATE_WITH_APPROVALCTL=1: apply the schema the way deployments do.
# MIGRATE_BEFORE=NNN: only the migrations numbered below NNN (an upgrade
# test applies the rest with migrate_rest once it made its old rows).
migrate_rest() { migrate_from "$MIGRATE_BEFORE"; }
if [ -n "${MIGRATE_WITH_APPROVALCTL:-}" ]; then
	"${APPROVALCTL:?}" --database "$PG_SUPER_CONNINFO" migrate --sql-dir "$SRCDIR/sql" >/dev/null
else
	# MIGRATE_BEFORE=NNN: only the migrations numbered below NNN (an
	# upgrade test applies the rest itself with migrate_from NNN)
	for f in "$SRCDIR"/sql/[0-9][0-9][0-9]_*.sql; do
		n=${f##*/}
		[ -z "${MIGRATE_BEFORE:-}" ] || [ "${n%%_*}" -lt "$MIGRATE_BEFORE" ] || continue
		pg_psql -f "$f" >/dev/null
	done
fi

# migrate_from NNN: apply the migrations numbered NNN and up, in order.
migrate_from() {
	local f
	for f in "$SRCDIR"/sql/[0-9][0-9][0-9]_*.sql; do
		n=${f##*/}
		[ "${n%%_*}" -lt "$1" ] && continue
		pg_psql -f "$f" >/dev/null
	done
}

app_psql() {
	"$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -qtA "$PG_APP_CONNINFO" "$@"
}
auditor_psql() {
	"$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -qtA "$PG_AUDITOR_CONNINFO" "$@"
}

# assert_refused WHAT FN SQL [PATTERN]: FN (pg_psql/app_psql/auditor_psql)
# must fail to run SQL, with PATTERN (grep BRE) in the error if given.
assert_refused() {
	local what=$1 fn=$2 sql=$3 pat=${4:-} out
	if out=$($fn -c "$sql" 2>&1); then
		fail "$what: succeeded: $out"
	fi
	if [ -n "$pat" ] && ! printf '%s' "$out" | grep -q -- "$pat"; then
		fail "$what: refused, but not with '$pat': $out"
	fi
	ok "$what refused"
}

# seal_all: run the sealer (sql/014) until the chain head has reached
# every id handed out (no row unsealed, no hole left); a gap takes two
# calls (the first records the hole's bound). Fails after 10 calls.
seal_all() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pg_psql -c "SELECT approval.audit_seal()" >/dev/null
		[ "$(pg_psql -c "SELECT c.last_id >= (SELECT CASE WHEN s.is_called THEN s.last_value
			ELSE s.last_value - 1 END FROM approval.audit_log_id_seq s) FROM approval.audit_chain c")" = t ] &&
			return 0
	done
	fail "audit rows still unsealed: $(pg_psql -c "SELECT * FROM approval.audit_unsealed")"
}

# The names of before (this session's other branches still call them):
# thin aliases, to be removed once every caller uses the above.
expect_eq() { assert_eq "$3" "$2" "$1"; }	# WHAT GOT WANT
expect_refused() { assert_refused "$@"; }

# The chain recomputed by a query that uses no function of ours, only the
# documented canonical form (docs/compliance.md has the same query):
# prints "id problem" for the first broken row, nothing when intact.
CHAIN_CHECK_SQL="
WITH r AS (
  SELECT l.id, l.prev_hash, l.hash,
         lag(l.hash) OVER (ORDER BY l.id) AS before_hash,
         lag(l.id) OVER (ORDER BY l.id) AS before_id,
         encode(sha256(convert_to(l.prev_hash
           || length(convert_to(l.id::text, 'UTF8')) || ':' || l.id::text || ','
           || length(convert_to(to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'UTF8')) || ':'
              || to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || ','
           || coalesce(length(convert_to(l.kind, 'UTF8')) || ':' || l.kind || ',', '-,')
           || coalesce(length(convert_to(l.actor, 'UTF8')) || ':' || l.actor || ',', '-,')
           || coalesce(length(convert_to(l.subject, 'UTF8')) || ':' || l.subject || ',', '-,')
           || coalesce(length(convert_to(l.request_id::text, 'UTF8')) || ':' || l.request_id::text || ',', '-,')
           || coalesce(length(convert_to(l.detail::text, 'UTF8')) || ':' || l.detail::text || ',', '-,'),
           'UTF8')), 'hex') AS recomputed
    FROM approval.audit_log l)
SELECT id || ' ' || CASE
         WHEN recomputed <> hash THEN 'hash'
         WHEN prev_hash <> coalesce(before_hash, repeat('0', 64)) THEN 'link'
         WHEN id <> coalesce(before_id, 0) + 1 THEN 'gap' END
  FROM r
 WHERE recomputed <> hash OR prev_hash <> coalesce(before_hash, repeat('0', 64))
    OR id <> coalesce(before_id, 0) + 1
 ORDER BY id LIMIT 1"

# Two hosts and three approvers, written as the superuser (admin path):
# alice (approver, unix login alice), bob (approver+admin, unix logins bob
# and robert), carol (auditor only).
fixture_people() {
	pg_psql <<-'SQL' >/dev/null
	INSERT INTO approval.hosts (name, token_hash, created_at) VALUES
	    ('web1', repeat('1', 64), '2025-02-01 00:00:00+00'),
	    ('db1', repeat('2', 64), '2025-02-20 00:00:00+00');
	INSERT INTO approval.approvers (login, display_name, unix_logins, roles) VALUES
	    ('alice', 'Alice', '{alice}', '{approver}'),
	    ('bob', 'Bob', '{bob,robert}', '{approver,admin}'),
	    ('carol', 'Carol', '{}', '{auditor}');
	SQL
}

# req_sql CODE HOST REQUESTER CREATED_AT [EXPIRES_AT]: the INSERT a host's
# request makes (run it as the app role).
req_sql() {
	printf "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
	  requester_uid, target_user, command, sudo_command, tty, cwd, reason, ticket, digest,
	  created_at, expires_at)
	SELECT '%s', h.id, h.name || '.example.com', 'sudo', '%s', 1000, 'root',
	  'sudo systemctl restart nginx', '/usr/bin/systemctl restart nginx', '/dev/pts/1', '/home',
	  'deploy', 'OPS-1', repeat('d', 64), timestamptz '%s',
	  %s
	  FROM approval.hosts h WHERE h.name = '%s';\n" \
		"$1" "$3" "$4" "${5:-"timestamptz '$4' + interval '10 minutes'"}" "$2"
}

# doc_sql HEADING: the first ```sql block after the line HEADING in
# docs/compliance.md, so the tests run exactly what auditors are told to.
doc_sql() {
	awk -v h="$1" '
		$0 == h { found = 1; next }
		found && /^```sql$/ { inblock = 1; next }
		inblock && /^```$/ { exit }
		inblock { print }
	' "$SRCDIR/docs/compliance.md"
}
