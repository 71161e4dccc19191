#!/usr/bin/env bash
# tests/browser/triage.sh: the approver at 3 a.m., in a real browser.
# Proves, against the real approvald and PostgreSQL: a flood of 2,500
# pending requests (inserted by SQL, half of them identical) does not bury
# the oldest one: it is reachable by sort and paging and findable by
# filter, identical requests are one row with their count, the nav count
# is the real total; a command with 40 newlines, long space runs, right-to-
# left text or a long middle shows every marker and its tail above the
# buttons, in the UI and in approvalctl show; Approve asks for
# confirmation restating command, target and host; a lost race says the
# decision was not applied; a 503 on approve (PostgreSQL stopped) says it
# was not recorded and offers retry; hostile lengths keep document width
# equal to the viewport at 1280 and 390 px; the page retries by itself
# while the API is down; the live banner clears within 2 s; sign-out in
# one tab ends the other; the skip link moves focus; unknown /ui/ paths and
# /r/BADCODE show the UI's not-found page; a rule needing 2 of group dba
# shows the rule and "needs 2 of dba, 1 given by dana" above the buttons
# and in the Pending row; a cancelled request says why (cancel_reason) on
# its page and in History; axe-core finds no violation on any page. The browser part is triage.test.mjs; this script sets up the
# instance and checks approvalctl's rendering of the same command.
# Screenshots: BUILDDIR/screenshots/triage-*.png.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root "PostgreSQL runs as the postgres user"
# shellcheck source=tests/browser/lib.sh
. "$SRCDIR/tests/browser/lib.sh"
browser_setup

db_start
approvald_start
mk_host web1
mk_host db2
browser_approver carol carol
browser_approver dana dana

# A rule that needs two of group dba (carol, dana) for service x: the
# request page and the Pending row show the rule and the approvals given.
actl_admin group add dba >>"$T/admin.log" 2>&1 || fail "group add dba failed"
for m in carol dana; do
	actl_admin group member add dba "$m" >>"$T/admin.log" 2>&1 || fail "group member add dba $m failed"
done
actl_admin policy add 'require approvers=dba:2 service=x' >>"$T/admin.log" 2>&1 ||
	fail "policy add 'require approvers=dba:2 service=x' failed"

# --- approvalctl renders the hostile command with the same markers ---------
nl40=$(printf 'sudo systemctl status nginx%040drm -rf --no-preserve-root /' 0 | tr 0 '\n')
api_create web1 ".command = $(jq -cn --arg v "$nl40" '$v') | del(.sudo_command)"
actl carol show "$REQ_CODE" >"$T/show.out" 2>&1 || { cat "$T/show.out" >&2; fail "approvalctl show failed"; }
assert_contains "$(cat "$T/show.out")" $'sudo systemctl status nginx\xe2\x8f\x8e\xc3\x9740rm -rf --no-preserve-root /' \
	"approvalctl show: 40 newlines as one marker, the tail on the same line"
assert_contains "$(cat "$T/show.out")" "command has 41 lines" "approvalctl show: the line count"
actl carol list --status pending >"$T/list.out" 2>&1 || { cat "$T/list.out" >&2; fail "approvalctl list failed"; }
assert_match "$(grep "$REQ_CODE" "$T/list.out")" 'rm -rf --no-preserve-root /$' \
	"approvalctl list: the tail of the command is in the table"
http POST "/v1/requests/$REQ_ID/cancel" --host web1
assert_status 200 "cancel the approvalctl case"

# --- the flood ------------------------------------------------------------
# 2,500 pending requests from web1, oldest first to expire: even ones are
# the same command from the same requester (one group of 1,249), odd ones
# each different; the oldest of all (i = 2500) is needle's.
sql "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
	requester_uid, target_user, command, digest, created_at, expires_at, reason)
  SELECT 'ZZ' || substr(a, (i >> 10) % 32 + 1, 1) || '-Y' || substr(a, (i >> 5) % 32 + 1, 1)
	|| substr(a, i % 32 + 1, 1),
	(SELECT id FROM approval.hosts WHERE name = 'web1'), 'web1.flood',
	'sudo', CASE WHEN i = 2500 THEN 'needle' WHEN i % 2 = 0 THEN 'flooder' ELSE 'user' || i END,
	2000 + i, 'root',
	CASE WHEN i = 2500 THEN 'sudo journalctl -u needle-service'
	     WHEN i % 2 = 0 THEN 'sudo systemctl restart flood' ELSE 'sudo /usr/bin/task-' || i END,
	repeat('ab', 32), now() - i * interval '1 second',
	now() + interval '3 hours' - i * interval '1 second', 'flood ' || i
  FROM generate_series(1, 2500) i, (SELECT '0123456789ABCDEFGHJKMNPQRSTVWXYZ'::text a) x" >/dev/null ||
	fail "flood insert failed"
assert_eq "$(sql "SELECT count(*) FROM approval.requests WHERE status = 'pending'")" 2500 "flood pending"
note "2,500 pending requests inserted"

# PostgreSQL stopped and started again by the test (API-down cases)
cat >"$T/pg-ctl" <<EOS
#!/usr/bin/env bash
. '$SRCDIR/tests/lib/pg.sh'
case \$1 in
stop) pg_stop '$T/pg' ;;
start) pg_restart '$T/pg' ;;
esac
EOS
chmod +x "$T/pg-ctl"

export APPROVALD_URL PG_CTL=$T/pg-ctl
export HOST_TOKEN_WEB1 HOST_TOKEN_DB2 DANA_TOKEN
HOST_TOKEN_WEB1=$(host_token web1)
HOST_TOKEN_DB2=$(host_token db2)
DANA_TOKEN=$(cat "$T/approver-dana.token")
export CAROL_PASSWORD=carol-Secret-1 DANA_PASSWORD=dana-Secret-1
browser_run triage.test.mjs
ok "triage in the browser"
finish
