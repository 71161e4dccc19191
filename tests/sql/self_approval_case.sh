#!/bin/bash
# No self-approval across letter case: unix logins from a directory (SSSD
# with case_sensitive = false, AD) reach the module lower-cased, while an
# admin may have typed the approver's login or --unix-login as "Alice". The
# rule in requests_guard must still see that the requester is the approver,
# whoever writes the UPDATE; a different person may still decide.
. "$SRCDIR/tests/sql/lib.sh"

pg_psql <<-'SQL' >/dev/null
INSERT INTO approval.hosts (name, token_hash) VALUES ('web1', repeat('1', 64));
INSERT INTO approval.approvers (login, unix_logins, roles) VALUES
    ('Dave', '{}', '{approver}'),
    ('erin', '{Erin.Smith}', '{approver}'),
    ('frank', '{}', '{approver}');
SQL
app_psql -c "$(req_sql AAA-001 web1 dave '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null
app_psql -c "$(req_sql AAA-002 web1 erin.smith '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null
app_psql -c "$(req_sql AAA-003 web1 dave '2025-03-03 09:00:00+00' "now() + interval '1 hour'")" >/dev/null

decide() {	# decide CODE APPROVER-LOGIN
	echo "UPDATE approval.requests SET status = 'approved',
	  decided_by = (SELECT id FROM approval.approvers WHERE login = '$2')
	  WHERE code = '$1'"
}
assert_refused "login 'Dave' approves requester 'dave'" app_psql "$(decide AAA-001 Dave)" "may not decide"
assert_refused "unix login 'Erin.Smith' approves requester 'erin.smith'" app_psql \
	"$(decide AAA-002 erin)" "may not decide"
got=$(pg_psql -c "SELECT string_agg(status, ',' ORDER BY code) FROM approval.requests")
assert_eq "pending,pending,pending" "$got" "both still pending"
app_psql -c "$(decide AAA-003 frank)" >/dev/null || fail "another approver cannot decide"
got=$(pg_psql -c "SELECT status FROM approval.requests WHERE code = 'AAA-003'")
assert_eq "approved" "$got" "someone else decides"
finish
