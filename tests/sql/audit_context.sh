#!/bin/bash
# audit_context.sh: the initiator kind and the reported and observed
# context of a request (sql/010: initiator, agent, run_url, commit_ref,
# prompt, ancestry, loginuid, audit_session, tty_attached, observed_note)
# are in the request.created row of the hash-chained audit log
# (approval.audit_request_context), so a superuser who rewrites them in
# approval.requests with the triggers off is named by
# approval.audit_crosscheck (and so by `approvalctl audit verify`).
# Requests audited before sql/016 carry only the keys of their day: they
# are compared on those and still agree after the upgrade.
MIGRATE_BEFORE=016
. "$SRCDIR/tests/sql/lib.sh"

fixture_people
# agent_req CODE: a request an agent filed, with every sql/010 column set
agent_req() {
	cat <<SQL
INSERT INTO approval.requests (code, host_id, hostname, service, requester,
  requester_uid, target_user, command, digest, expires_at, agent, run_url,
  commit_ref, prompt, ancestry, loginuid, audit_session, tty_attached,
  observed_note, initiator)
SELECT '$1', h.id, 'web1.example.com', 'sudo', 'alice', 1000, 'root',
  'sudo apt-get install jq', repeat('e', 64), now() + interval '10 minutes',
  'claude-code 1.2', 'https://ci.example.com/run/7', 'abc123',
  'install jq for the build', '[{"pid": 10, "exe": "/usr/bin/node"}]', 1000, 5,
  false, NULL, 'agent'
  FROM approval.hosts h WHERE h.name = 'web1';
SQL
}
agent_req AAA-001 | app_psql >/dev/null
migrate_rest
assert_eq "" "$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck")" \
	"a request audited before the upgrade agrees with its own keys"

agent_req BBB-001 | app_psql >/dev/null
agent_req BBB-002 | app_psql >/dev/null
agent_req BBB-003 | app_psql >/dev/null
assert_eq "agent|install jq for the build|abc123" \
	"$(pg_psql -c "SELECT l.detail->>'initiator', l.detail->>'prompt', l.detail->>'commit' FROM approval.audit_log l WHERE l.kind = 'request.created' AND l.subject = 'BBB-001'")" \
	"the audit row form carries initiator and context"
assert_eq "" "$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck")" \
	"requests agree with the log"

pg_psql -c "BEGIN; ALTER TABLE approval.requests DISABLE TRIGGER USER;
	UPDATE approval.requests SET initiator = 'human' WHERE code = 'BBB-001';
	UPDATE approval.requests SET prompt = 'harmless' WHERE code = 'BBB-002';
	UPDATE approval.requests SET ancestry = '[{\"pid\": 10, \"exe\": \"/bin/bash\"}]' WHERE code = 'BBB-003';
	ALTER TABLE approval.requests ENABLE TRIGGER USER; COMMIT;" >/dev/null
assert_eq "BBB-001|context differs from audit_log
BBB-002|context differs from audit_log
BBB-003|context differs from audit_log" \
	"$(pg_psql -c "SELECT code, problem FROM approval.audit_crosscheck ORDER BY code")" \
	"rewritten initiator, prompt and ancestry found"
