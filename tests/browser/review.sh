#!/usr/bin/env bash
# tests/browser/review.sh: the break-glass review in a real browser.
# Proves, against the real approvald and PostgreSQL: a break-glass
# request's page says it needs review and offers "Mark reviewed"; the
# requester (signed in) sees the control disabled, and the server refuses
# their review anyway (403); another approver must write a comment (an
# empty one is refused in the page, nothing sent), then marks it reviewed:
# the page shows who reviewed it with the comment, the database's
# report_breakglass says closed by that approver and the audit log has
# breakglass.reviewed; a request that was not break-glass has no review
# card; axe-core finds no violation on the page. The browser part is
# review.test.mjs. Screenshots: BUILDDIR/screenshots/review-*.png.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root "PostgreSQL runs as the postgres user"
# shellcheck source=tests/browser/lib.sh
. "$SRCDIR/tests/browser/lib.sh"
browser_setup

db_start
approvald_start
mk_host web1
browser_approver carol carol
browser_approver erin erin
actl_admin policy add 'breakglass service=bg' >>"$T/admin.log" 2>&1 || fail "policy add failed"

api_create web1 '.service = "bg" | .user = "erin" | .reason = "primary down, pager silent"'
assert_eq "approved|breakglass" "$(req_field "$REQ_CODE" "status, policy_action")" "a break-glass request"
BG_ID=$REQ_ID BG_CODE=$REQ_CODE
api_create web1 '.user = "erin"'
PLAIN_ID=$REQ_ID

export APPROVALD_URL BG_ID PLAIN_ID ERIN_TOKEN
ERIN_TOKEN=$(cat "$T/approver-erin.token")
export CAROL_PASSWORD=carol-Secret-1 ERIN_PASSWORD=erin-Secret-1
browser_run review.test.mjs

assert_eq "closed|carol|checked the failover log" "$(sql "SELECT review || '|' || reviewed_by || '|' || review_comment FROM approval.report_breakglass WHERE code = '$BG_CODE'")" "the database has the review"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed' AND subject = '$BG_CODE' AND actor = 'carol'")" "the review is audited"
ok "break-glass review in the browser"
finish
