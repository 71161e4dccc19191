#!/usr/bin/env bash
# failmode.sh: approvald stopped -> failmode=closed (the default) denies and
# failmode=open allows, both with a message; a daemon that is reachable but
# answers garbage, an error, a broken body, a forged approval or nothing at
# all is a denial even with failmode=open (DESIGN.md §8).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start
mk_host web1
url=$APPROVALD_UNIX_URL
approvald_stop

pam_service closed --stack account url="$url" failmode=closed timeout=10
pam_service default --stack account url="$url" timeout=10
pam_service open --stack account url="$url" failmode=open timeout=10

pamdrive_run closed 20 --service closed --user alice --op account
assert_pam_denied closed
assert_file_contains "$T/closed.out" '^(INFO|ERROR): ' "a message for the requester"
ok "daemon down, failmode=closed -> denied"

pamdrive_run default 20 --service default --user alice --op account
assert_pam_denied default
ok "daemon down, no failmode= -> denied (closed is the default)"

pamdrive_run open 20 --service open --user alice --op account
assert_pam open PAM_SUCCESS
assert_file_contains "$T/open.out" '^(INFO|ERROR): ' "a message for the requester"
ok "daemon down, failmode=open -> allowed, with a message"

for mode in create_500 create_junk create_truncated_json create_close \
	create_approved_baddigest create_silent; do
	pam_service "fake-$mode" --stack account url="$(fake_server_url "$mode")" failmode=open timeout=3
	pamdrive_run "fake-$mode" 20 --service "fake-$mode" --user alice --op account
	assert_pam_denied "fake-$mode"
	assert_file_contains "$T/fake-$mode.log" "^POST /v1/requests$" "the fake server was reached"
	assert_file_not_contains "$T/fake-$mode.log" "^BAD " "the fake server's checks of the request"
	ok "reachable daemon answering '$mode', failmode=open -> denied"
done
finish
