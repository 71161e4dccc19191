# shellcheck shell=bash
# tests/browser/lib.sh: what the browser test runners share, on top of
# tests/lib/harness.sh (source that first): Debian's chromium and
# playwright-core made ready (npm ci from the lock file; never a browser
# download), the screenshot directory (BUILDDIR/screenshots, or
# docs/screenshots with UPDATE_SCREENSHOTS=1 so that a plain test run
# leaves the tree clean), and running one node test file with TAP output.

# browser_setup: sets and exports BROWSER_DIR, CHROMIUM, SCREENSHOT_DIR,
# BROWSER_TMP (the test's $T, for the browser profile and downloads).
browser_setup() {
	need_cmd node
	BROWSER_DIR=$SRCDIR/tests/browser
	CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
	[ -x "$CHROMIUM" ] || fail "no $CHROMIUM (scripts/deps.sh installs Debian's chromium)"
	if [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ] || [ ! -d "$BROWSER_DIR/node_modules/axe-core" ]; then
		( cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund ) \
			>"$T/npm.out" 2>&1 || { cat "$T/npm.out" >&2; fail "npm ci in tests/browser failed"; }
	fi
	if [ "${UPDATE_SCREENSHOTS:-0}" = 1 ]; then
		SCREENSHOT_DIR=$SRCDIR/docs/screenshots
	fi
	SCREENSHOT_DIR=${SCREENSHOT_DIR:-$BUILDDIR/screenshots}
	mkdir -p "$SCREENSHOT_DIR"
	BROWSER_TMP=$T
	export BROWSER_DIR CHROMIUM SCREENSHOT_DIR BROWSER_TMP
}

# browser_run FILE.mjs: node's test runner over one file of this directory.
browser_run() {
	local rc=0
	node --test --test-reporter=tap --test-timeout=240000 "$BROWSER_DIR/$1" || rc=$?
	[ "$rc" = 0 ] || fail "browser test $1 failed (node exit $rc)"
}

# browser_approver LOGIN [UNIXLOGIN...]: mk_approver and the password
# LOGIN-Secret-1 for signing in through the page.
browser_approver() {
	mk_approver "$@"
	actl_admin approver passwd "$1" <<<"$1-Secret-1" >>"$T/admin.log" 2>&1 ||
		fail "approvalctl approver passwd $1 failed"
}
