#!/usr/bin/env bash
# su.sh: the real setuid su waits for a human decision. su has no option to
# pick another PAM service, so /etc/pam.d/su gets the module's account line
# for the length of the test and is restored from a backup in the trap
# (verified by checksum). A test user su's to a second test user (known
# password, typed into a pty) to run a command that writes a marker; the
# module line is guarded so that only su to that user is affected.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
. "$SRCDIR/tests/lib/e2e.sh"
e2e_begin

U1=ape2e-$E2E_RAND
U2=ape2e-t$E2E_RAND
PW=Pw-$E2E_RAND-$RANDOM
e2e_user "$U1"
e2e_user "$U2"
echo "$U2:$PW" | chpasswd || fail "chpasswd failed"
install -d -o "$U2" -g "$U2" -m 0755 "$T/su"

[ -f /etc/pam.d/su ] || skip "no /etc/pam.d/su"
cp -p /etc/pam.d/su "$T/pam-su.orig"
sum=$(sha256sum </etc/pam.d/su)
on_exit "cp -p '$T/pam-su.orig' /etc/pam.d/su && [ \"\$(sha256sum </etc/pam.d/su)\" = '$sum' ]"
# Only su to the target test user goes through the module: other su users
# on this machine (PostgreSQL helpers run `su postgres`, other tests) must not
# wait for an approval nobody will give while the test runs.
{
	echo "account [success=ignore default=1] pam_succeed_if.so quiet user = $U2"
	e2e_module_line
} >>/etc/pam.d/su

run_su() {	# NAME: U1 runs su U2 -c 'touch MARKER' in a pty, types the password
	e2e_tmux "$1" "$(e2e_as_cmd "$U1") su $U2 -c 'touch $T/su/$1.marker'"
	e2e_wait_pane "$1" 'Password:' 20
	e2e_keys "$1" "$PW" Enter
}

run_su approve
code=$(e2e_pending_code 30)
http GET "/v1/requests/$code" --approver approver1
assert_json .user "$U1" "requester (the invoking user)"
assert_json .target_user "$U2" "target user"
assert_json .service su
[ ! -e "$T/su/approve.marker" ] || fail "the command ran before the approval"
assert_rc 0 actl approver1 approve "$code"
rc=$(e2e_wait_rc approve 30)
assert_eq 0 "$rc" "su exit status after approval"
[ -e "$T/su/approve.marker" ] || fail "su exited 0 but the command did not run"
assert_eq "$U2" "$(stat -c %U "$T/su/approve.marker")" "owner of the marker"
ok "approve -> su ran the command as $U2"

run_su deny
code=$(e2e_pending_code 30)
assert_rc 0 actl approver1 deny "$code" -m "not you"
rc=$(e2e_wait_rc deny 30)
assert_ne 0 "$rc" "su exit status after a denial"
[ ! -e "$T/su/deny.marker" ] || fail "denied, yet the command ran"
e2e_pane deny | grep -q "not you" || fail "deny comment not shown by su: $(e2e_pane deny)"
ok "deny -> su fails, the command did not run"
finish
