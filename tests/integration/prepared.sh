#!/usr/bin/env bash
# prepared.sh: approvald runs its hot paths as prepared statements on each
# pooled connection, and prepares them again after the connections are
# replaced. With log_statement=all the server logs every statement of
# approval_app: host and approver token lookups, the request INSERT, the
# wait re-read and the decision UPDATE must all appear as "execute sN"
# (a named prepared statement), none as an unnamed or simple-protocol
# statement, both before and after PostgreSQL restarts (new sessions: a
# name prepared on the old ones would not exist there).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
pg_log_statements
approvald_start
mk_host web1
mk_approver carol carol
pam_service sudo-test --stack account timeout=120
log=$T/pg/postgres.log

# one request through the module: create, wait, decide, wake
round() {
	start_waiter "$1" sudo-test
	actl carol approve "$CODE" >"$T/approve-$1.out" 2>&1 || fail "approve $CODE"
	pamdrive_wait "$PAMDRIVE_PID" 30
	assert_pam "$1" PAM_SUCCESS
}

# check the app role's statements logged after line $1
check() {
	local from=$1 what=$2 frag
	tail -n +"$from" "$log" | grep '^approval_app ' >"$T/app.log" || true
	for frag in 'FROM approval.hosts h WHERE h.token_hash' \
		'FROM approval.api_tokens t JOIN approval.approvers' \
		'INSERT INTO approval.requests (code,' \
		"r.status = 'pending' AND r.expires_at <= pg_catalog.now()" \
		'UPDATE approval.requests SET status = $2, decided_by'; do
		grep -F -- "$frag" "$T/app.log" | grep -qE 'LOG:  execute s[0-9]+: ' ||
			fail "$what: no prepared execute of: $frag"
	done
	ok "$what: token lookups, create, wait re-read and decide run prepared"
	# the session setup, LISTEN and the expiry sweep are the only simple
	# statements (the LISTEN connection); nothing runs unnamed
	assert_file_not_contains "$T/app.log" 'execute <unnamed>' "$what: app statements"
	grep -E 'LOG:  statement: ' "$T/app.log" |
		grep -vE "statement: (SELECT pg_catalog.set_config\('search_path'|LISTEN approval_events|UPDATE approval.requests r SET status = 'expired')" \
		>"$T/simple.log" || true
	[ ! -s "$T/simple.log" ] || fail "$what: simple-protocol statements from the pool: $(head -n 3 "$T/simple.log")"
	ok "$what: no pool statement outside the prepared ones"
}

round r1
check 1 "first connections"

mark=$(($(wc -l <"$log") + 1))
pg_restart "$T/pg" || fail "pg_restart failed"
_ready() { curl -fsS -o /dev/null --max-time 2 "$APPROVALD_URL/readyz"; }
wait_until 30 _ready || fail "approvald not ready after PostgreSQL restarted"
round r2
check "$mark" "after the reconnect"
finish
