#!/usr/bin/env bash
# notify_after_commit.sh: approvald's own writes announce themselves right
# after their COMMIT, not inside it (sql/021, approvald/db.c), and every
# waiter still hears them. With log_statement=all: the session that ran a
# create's INSERT and a decision's UPDATE runs, as its next statement, a
# bare SELECT pg_notify(...) carrying "<id> pending" and "<id> approved".
# A long-poll on a second instance (B) is woken by a decision made through
# the API of the first (A), and by one made in direct SQL (whose trigger
# still notifies inside its transaction); each answers 'approved' well
# before its 60 s long-poll would end by itself.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
pg_log_statements
approvald_start
mk_host web1
mk_approver carol carol
tok=$(host_token web1)
log=$T/pg/postgres.log

{ grep -v '^listen' "$T/approvald.conf"; echo "listen = 127.0.0.1:0"; } >"$T/b.conf"
"$APPROVALD" --config "$T/b.conf" --port-file "$T/b.port" >>"$T/b.log" 2>&1 &
_H_PIDS+=("$!")
wait_until 20 test -s "$T/b.port" || fail "instance B did not start: $(cat "$T/b.log")"
B_URL="http://127.0.0.1:$(cat "$T/b.port")"
wait_until 20 curl -fsS -o /dev/null --max-time 2 "$B_URL/readyz" || fail "B /readyz"

create() {	# prints "id code"
	curl -fsS --max-time 20 -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		--data "$(ctx_json .)" "$APPROVALD_URL/v1/requests" | jq -r '.id + " " + .code'
}
b_holds() { [ "$(curl -fsS --max-time 5 "$B_URL/metrics" | sed -n 's/^approvald_waiters //p')" = "$1" ]; }
# wait_on_b ID NAME: a 60 s long-poll on B, in the background
wait_on_b() {
	curl -sS --max-time 90 -H "Authorization: Bearer $tok" \
		"$B_URL/v1/requests/$1/wait?timeout=60" >"$T/$2.json" 2>&1 &
	W_PID=$!
	_H_PIDS+=("$W_PID")
	wait_until 20 b_holds 1 || fail "$2: B holds no waiter"
}
woken() {	# NAME: B's waiter answered approved (30 s: half its long-poll)
	wait_until 30 sh -c "! kill -0 $W_PID 2>/dev/null" ||
		fail "$1: B's waiter not woken (its long-poll ends by itself only at 60 s)"
	assert_eq approved "$(jq -r .status "$T/$1.json")" "$1: B's waiter answered"
}
# notify_follows ID FRAGMENT STATE: in the session that logged FRAGMENT for
# request ID's row, the statement logged next is the deferred NOTIFY
# naming "ID STATE"
notify_follows() {
	python3 - "$log" "$1" "$2" "$3" <<'PY'
import re, sys
log, rid, frag, state = sys.argv[1:]
lines = open(log, errors="replace").read().split("\n")
# "approval_app SESSION LOG:  execute sN: SQL" then maybe "... DETAIL:  parameters: ..."
stmts = []  # (session, text incl. its parameter line)
for l in lines:
    m = re.match(r"approval_app (\S+) (LOG|DETAIL):  (.*)", l)
    if not m:
        continue
    if m.group(2) == "LOG" and re.match(r"(execute|statement)", m.group(3)):
        stmts.append([m.group(1), m.group(3)])
    elif m.group(2) == "DETAIL" and stmts and stmts[-1][0] == m.group(1):
        stmts[-1][1] += " " + m.group(3)
for i, (sess, text) in enumerate(stmts):
    if frag in text and (rid in text or "INSERT" in frag):
        nxt = [t for s, t in stmts[i + 1:] if s == sess][:1]
        if nxt and "pg_catalog.pg_notify(u.c, u.p)" in nxt[0] and ('%s %s' % (rid, state)) in nxt[0]:
            print("yes")
            sys.exit(0)
print("no")
PY
}

# 1. through the API of A
read -r id code <<<"$(create)"
[ -n "$code" ] || fail "create through A"
wait_on_b "$id" api
actl carol approve "$code" >"$T/approve.out" 2>&1 || fail "approve $code: $(cat "$T/approve.out")"
woken api
assert_eq yes "$(notify_follows "$id" 'INSERT INTO approval.requests (code,' pending)" \
	"the create's session sends '<id> pending' as its next statement"
assert_eq yes "$(notify_follows "$id" 'UPDATE approval.requests SET status = $2, decided_by' approved)" \
	"the decision's session sends '<id> approved' as its next statement"

# 2. in direct SQL (no approvald in the write): the trigger's own NOTIFY
read -r id code <<<"$(create)"
wait_on_b "$id" direct
sql "UPDATE approval.requests SET status = 'approved', decided_by =
	(SELECT id FROM approval.approvers WHERE login = 'carol') WHERE id = '$id'" >/dev/null
woken direct
finish
