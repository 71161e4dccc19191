#!/usr/bin/env bash
# token_file.sh: the module refuses a token file that is readable by group
# or others, not owned by root, a symlink or missing, before contacting
# approvald; only a root-owned 0600 file works.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
good="$T/host-web1.token"

bad_case() {	# NAME: prepare $T/bad-NAME.token before calling
	pam_service "tok-$1" --stack account token_file="$T/bad-$1.token"
	pamdrive_run "tok-$1" 20 --service "tok-$1" --user alice --op account
	assert_pam_denied "tok-$1"
	assert_eq 0 "$(req_count)" "requests created with a bad token file ($1)"
	ok "token file $1 -> denied, nothing sent"
}

install -m 0644 -o root "$good" "$T/bad-0644.token"; bad_case 0644
install -m 0640 -o root "$good" "$T/bad-0640.token"; bad_case 0640
install -m 0604 -o root "$good" "$T/bad-0604.token"; bad_case 0604
install -m 0600 -o nobody "$good" "$T/bad-notroot.token"; bad_case notroot
ln -s "$good" "$T/bad-symlink.token"; bad_case symlink
bad_case missing
printf 'aph_not-a-registered-token\n' >"$T/bad-unknown.token"; chmod 600 "$T/bad-unknown.token"
pam_service tok-unknown --stack account token_file="$T/bad-unknown.token"
pamdrive_run tok-unknown 20 --service tok-unknown --user alice --op account
assert_pam_denied tok-unknown
assert_eq 0 "$(req_count)" "requests created with an unknown token"
ok "unknown token (401) -> denied"

pam_service tok-good --stack account
run_pamdrive tok-good --service tok-good --user alice --op account
code=$(wait_for_code tok-good)
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam tok-good PAM_SUCCESS
ok "root-owned 0600 token file -> works"
finish
