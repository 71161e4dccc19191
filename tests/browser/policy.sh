#!/usr/bin/env bash
# tests/browser/policy.sh: the policy, read-only, in a real browser.
# Proves, against the real approvald and PostgreSQL: GET /v1/policy
# answers readers only (401 without a credential, 403 for a host token)
# with the version, the default, the active rules in order (a removed rule
# is gone), the approver groups and host groups with their members; the
# web UI's Policy page (nav link) shows exactly that, the rules in the
# order they are tried with their text as stored, and offers nothing that
# writes (no form, no button in the page); axe-core finds no violation.
# The browser part is policy.test.mjs. Screenshot: BUILDDIR/screenshots/policy.png.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root "PostgreSQL runs as the postgres user"
# shellcheck source=tests/browser/lib.sh
. "$SRCDIR/tests/browser/lib.sh"
browser_setup

db_start
approvald_start
mk_host web1
mk_host db-1
mk_host db-2
browser_approver carol carol
mk_approver dba1 d1
mk_approver dba2 d2
cat >"$T/policy.conf" <<'EOP'
default require approvals=1
group dba dba1 dba2
hostgroup db db-1 db-2
allow command-prefix="/usr/bin/systemctl status "
deny host=@db command-prefix="/bin/rm " message="ask the DBAs"
require approvals=2 groups=dba host=@db ticket=required pattern="^OPS-[0-9]+$"
EOP
assert_rc 0 actl_admin policy apply "$T/policy.conf"
assert_rc 0 actl_admin policy add 'allow service=gone'
gone=$(sql "SELECT id FROM approval.policy_rules WHERE rule = 'allow service=gone'")
assert_rc 0 actl_admin policy remove "$gone"
version=$(sql "SELECT version FROM approval.policy_state")

http GET /v1/policy
assert_status 401 "no credential"
http GET /v1/policy --host web1
assert_status 403 "a host token"
http GET /v1/policy --approver carol
assert_status 200 "an approver"
assert_json .version "$version"
assert_json .default "require approvals=1"
assert_json '[.rules[].rule] | join("|")' 'allow command-prefix="/usr/bin/systemctl status "|deny host=@db command-prefix="/bin/rm " message="ask the DBAs"|require approvals=2 groups=dba host=@db ticket=required pattern=^OPS-[0-9]+$' "the active rules in order, the removed one gone"
assert_json '[.rules[].position] | join(",")' "1,2,3"
assert_json '.groups | map(.name + ":" + (.members | join(","))) | join(" ")' "dba:dba1,dba2"
assert_json '.host_groups | map(.name + ":" + (.hosts | join(","))) | join(" ")' "db:db-1,db-2"
ok "GET /v1/policy: readers only, the policy as it decides now"

export APPROVALD_URL CAROL_PASSWORD=carol-Secret-1 POLICY_VERSION=$version
browser_run policy.test.mjs
assert_eq "$version" "$(sql "SELECT version FROM approval.policy_state")" "the page changed nothing"
ok "the Policy page in the browser"
finish
