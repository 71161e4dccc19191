#!/usr/bin/env bash
# tests/browser/reports.sh: the reports page in a real browser. Builds a history through the real module (pamdrive under
# pam_wrapper: approved, denied, cancelled by Ctrl-C, left to expire) and
# the host API (other requesters, hosts and commands, one command holding
# HTML and one a spreadsheet formula, a 200-character host name and
# requester, a 300-character command and one of wide characters), then runs reports.test.mjs (node's
# test runner, headless Debian chromium via playwright-core) signed in as an
# auditor. The expected counts go to the test in REPORT_EXPECT.
# Screenshot reports.png: BUILDDIR/screenshots/, or docs/screenshots/ with
# UPDATE_SCREENSHOTS=1 (as run.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root "the module refuses a token file that root does not own"
# shellcheck source=tests/browser/lib.sh
. "$SRCDIR/tests/browser/lib.sh"
browser_setup

standard_setup request_ttl=12
mk_host db2
actl_admin approver add audrey --role auditor --display-name "Audrey Auditor" \
	>"$T/audrey.token" 2>>"$T/admin.log" || fail "approver add audrey --role auditor failed"
actl_admin approver passwd audrey <<<"audrey-Secret-1" >>"$T/admin.log" 2>&1 ||
	fail "approvalctl approver passwd audrey failed"
pam_service sudo-rep --stack account timeout=120

# --- the history ---------------------------------------------------------------
start_waiter expire sudo-rep; c_exp=$CODE p_exp=$PAMDRIVE_PID	# nobody answers
start_waiter approve sudo-rep; assert_rc 0 actl carol approve "$CODE"
pamdrive_wait "$PAMDRIVE_PID" 20
start_waiter deny sudo-rep; assert_rc 0 actl carol deny "$CODE" -m "not now"
pamdrive_wait "$PAMDRIVE_PID" 20
start_waiter cancel sudo-rep; kill -INT "$PAMDRIVE_PID"
pamdrive_wait "$PAMDRIVE_PID" 20
# decide HOST USER COMMAND VERB: a request from a host, then a decision.
decide() {
	local u c
	u=$(jq -cn --arg v "$2" '$v')
	c=$(jq -cn --arg v "$3" '$v')
	api_create "$1" ".user = $u | .command = $c | .sudo_command = $c"
	[ "$4" = none ] && return 0
	http POST "/v1/requests/$REQ_ID/$4" --approver carol
	assert_status 200 "$4 $REQ_CODE"
}
decide web1 dave '/usr/bin/systemctl restart nginx' approve
decide web1 dave '/usr/bin/systemctl restart nginx' approve
decide db2 dave '/usr/bin/psql -c VACUUM' approve
decide db2 erin '/usr/bin/psql -c VACUUM' deny
decide db2 erin '<img src=x onerror="window.__pwned=1">' deny
decide web1 erin '=1+2' approve
# hostile lengths for the charts' labels: a 200-character host name, a
# 200-character requester, a 300-character command without a space and
# one of wide characters
export LONG_HOST LONG_USER LONG_CMD WIDE_CMD
LONG_HOST=$(printf 'h%.0s' $(seq 1 190))-long.test
LONG_USER=u$(printf 'x%.0s' $(seq 1 199))
LONG_CMD=/usr/bin/$(printf 'c%.0s' $(seq 1 292))
WIDE_CMD=/usr/bin/echo\ $(printf '漢字%.0s' $(seq 1 60))
mk_host "$LONG_HOST"
decide "$LONG_HOST" "$LONG_USER" "$LONG_CMD" approve
decide "$LONG_HOST" "$LONG_USER" "$WIDE_CMD" deny
decide db2 frank '/usr/bin/journalctl -u nginx' none
http POST "/v1/requests/$REQ_ID/cancel" --host db2
assert_status 200 "cancel $REQ_CODE"
wait_for_status "$c_exp" expired 40
pamdrive_wait "$p_exp" 20
counts=$(sql "SELECT json_object_agg(outcome, n) FROM (SELECT outcome, count(*) n FROM approval.report_elevations GROUP BY 1) x")
note "history: $counts"

export APPROVALD_URL AUDREY_PASSWORD=audrey-Secret-1
export REPORT_EXPECT=$counts
export REPORT_DAY
REPORT_DAY=$(sql "SELECT max(day) FROM approval.report_elevations")
browser_run reports.test.mjs
ok "reports page in the browser"
finish
