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
. "$SRCDIR/tests/browser/lib.sh"
browser_setup

db_start
approvald_start
mk_host web1
mk_host db2
browser_approver carol carol
browser_approver sam root	# unix login root: the requester of the PAM calls (run as root)
sql "UPDATE approval.approvers SET display_name = 'Carol Example' WHERE login = 'carol'" >/dev/null
pam_service sudo-web --stack account

export APPROVALD_URL PAMDRIVE
export PAM_SERVICE=sudo-web
export PAM_SERVICE_DIR=$T/pam.d
export HOST_TOKEN_WEB1 HOST_TOKEN_DB2
HOST_TOKEN_WEB1=$(host_token web1)
HOST_TOKEN_DB2=$(host_token db2)
export CAROL_PASSWORD=carol-Secret-1 SAM_PASSWORD=sam-Secret-1
browser_run web.test.mjs
ok "browser test"
finish
