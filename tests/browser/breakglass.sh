#!/usr/bin/env bash
# tests/browser/breakglass.sh: the Break-glass review page in a real browser.
# Proves, against the real approvald and PostgreSQL: the nav link leads to
# /ui/breakglass, which lists the open break-glass items of both kinds (a
# breakglass rule's request and an offline code's use its host reported)
# with who became whom where, the command, the reason or the code; a
# requester's hostile command is shown as text (no element is made from
# it); the requester (signed in) sees their items without a control and
# the server refuses their review (403); another approver's empty comment
# is refused in the page (nothing sent); with a comment each item is
# closed through its own endpoint and leaves the open list, and "Show
# closed" shows both closed by that approver with the comment; a reload
# shows the same; axe-core finds no violation with items open and closed.
# After: report_breakglass says both closed by carol, breakglass.reviewed
# is audited for each. The browser part is breakglass.test.mjs.
# Screenshots: BUILDDIR/screenshots/breakglass-*.png.
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
RULE_ID=$REQ_ID RULE_CODE=$REQ_CODE

assert_rc 0 actl_admin breakglass issue web1 --count 1 --file "$T/bg.codes"
BG_ID=$(grep -oE '^BG-[0-9A-Z]{8}' <<<"$LAST_OUT")
[ -n "$BG_ID" ] || fail "no code issued"
HOSTILE='/bin/sh -c "<img src=x onerror=alert(1)>"'
http POST /v1/breakglass/uses --host web1 --json "$(jq -nc --arg id "$BG_ID" --arg cmd "$HOSTILE" \
	'{code_id: $id, requester: "erin", target_user: "root", service: "sudo", command: $cmd,
	  digest: ("a" * 64), used_at: 1700000000}')"
assert_status 201 "the offline use is recorded"

export APPROVALD_URL RULE_ID RULE_CODE BG_ID HOSTILE ERIN_TOKEN
ERIN_TOKEN=$(cat "$T/approver-erin.token")
export CAROL_PASSWORD=carol-Secret-1 ERIN_PASSWORD=erin-Secret-1
browser_run breakglass.test.mjs

assert_eq "closed|carol|checked the failover log" "$(sql "SELECT review || '|' || reviewed_by || '|' || review_comment FROM approval.report_breakglass WHERE code = '$RULE_CODE'")" "the rule kind's review"
assert_eq "closed|carol|db outage, code use confirmed with erin" "$(sql "SELECT review || '|' || reviewed_by || '|' || review_comment FROM approval.report_breakglass WHERE code = '$BG_ID'")" "the offline use's review"
assert_eq 2 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed' AND subject IN ('$RULE_CODE', '$BG_ID') AND actor = 'carol'")" "both reviews audited"
ok "break-glass review page in the browser"
finish
