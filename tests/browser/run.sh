#!/usr/bin/env bash
# tests/browser/run.sh: the web UI in a real browser.
# Starts a throwaway PostgreSQL and approvald (tests/lib/harness.sh), enrols
# a host and two approvers with passwords (approvalctl approver passwd, read
# from stdin), writes a PAM service for the real module, then runs
# web.test.mjs with node's test runner: headless Debian chromium driven by
# playwright-core (never a downloaded browser). The test itself starts the
# module through pamdrive under pam_wrapper and clicks through the UI.
# Output: node's TAP (machine-readable); screenshots of the sign-in,
# pending (desktop and phone), detail and history pages go to
# BUILDDIR/screenshots/, or with UPDATE_SCREENSHOTS=1 to docs/screenshots/.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root "the module refuses a token file that root does not own"
need_cmd node

BROWSER_DIR=$SRCDIR/tests/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM (scripts/deps.sh installs Debian's chromium)"
if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ] || [ ! -d "$BROWSER_DIR/node_modules/axe-core" ]; then
	# the lock file pins playwright-core; it never downloads a browser
	( cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund ) \
		>"$T/npm.out" 2>&1 || { cat "$T/npm.out" >&2; fail "npm ci in tests/browser failed"; }
fi

db_start
approvald_start
mk_host web1
mk_host db2
mk_approver carol carol
mk_approver sam root		# unix login root: the requester of the PAM calls (run as root)
actl_admin approver passwd carol <<<"carol-Secret-1" >>"$T/admin.log" 2>&1 ||
	fail "approvalctl approver passwd carol failed"
actl_admin approver passwd sam <<<"sam-Secret-1" >>"$T/admin.log" 2>&1 ||
	fail "approvalctl approver passwd sam failed"
sql "UPDATE approval.approvers SET display_name = 'Carol Example' WHERE login = 'carol'" >/dev/null
pam_service sudo-web --stack account

export APPROVALD_URL CHROMIUM PAMDRIVE
export BROWSER_TMP=$T
export PAM_SERVICE=sudo-web
export PAM_SERVICE_DIR=$T/pam.d
export HOST_TOKEN_WEB1 HOST_TOKEN_DB2
HOST_TOKEN_WEB1=$(host_token web1)
HOST_TOKEN_DB2=$(host_token db2)
export CAROL_PASSWORD=carol-Secret-1 SAM_PASSWORD=sam-Secret-1
# Screenshots go to the build dir; UPDATE_SCREENSHOTS=1 refreshes the ones
# the README shows (docs/screenshots/), so a test run leaves the tree clean.
if [ "${UPDATE_SCREENSHOTS:-0}" = 1 ]; then
	SCREENSHOT_DIR=$SRCDIR/docs/screenshots
fi
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$BUILDDIR/screenshots}
mkdir -p "$SCREENSHOT_DIR"

rc=0
node --test --test-reporter=tap --test-timeout=240000 "$BROWSER_DIR/web.test.mjs" || rc=$?
[ "$rc" = 0 ] || fail "browser test failed (node exit $rc)"
ok "browser test"
finish
