#!/usr/bin/env bash
# checkpoint_external.sh: a database superuser who deletes the newest
# signed checkpoints and rewrites (and re-hashes) the audit rows after the
# last one left is caught, although every checkpoint still stored matches:
#   - while approvald runs, it refuses to sign a chain that no longer holds
#     the row it last signed with that hash (logged at ERR, every period),
#     so checkpoints stop and `audit verify --key K --max-age S` fails;
#   - after approvald restarts (and signs the rewritten chain afresh), the
#     checkpoint lines approvald logged (its journal) or that an auditor
#     saved with `approvalctl audit checkpoint` fail
#     `audit verify --key K --checkpoint FILE`, naming the line and row.
# Also: the logged line and `audit checkpoint`'s are the same format and
# verify on an intact chain; a stored checkpoint deleted without a rewrite
# is named; a forged line (changed signature) and a malformed one are
# refused; --checkpoint/--max-age need --key.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root

PUB=$("$APPROVALCTL" key generate --out "$T/a.key" 2>>"$T/admin.log") || fail "key generate"
KEYS=$T/approvald.pub
printf '%s\n' "$PUB" >"$KEYS"
standard_setup signing_key="$T/a.key" audit_head_interval=1

head_id() { sql "SELECT COALESCE(max(id), 0) FROM approval.audit_log"; }
signed_head() { [ "$(sql "SELECT count(*) FROM approval.audit_checkpoints WHERE head_id = $1")" -gt 0 ]; }
# approve_one: a request approved; prints the head row once a checkpoint signed it
approve_one() {
	local h
	api_create web1 >/dev/null
	actl carol approve "$REQ_CODE" >/dev/null || fail "approve $REQ_CODE"
	h=$(head_id)
	wait_until 15 signed_head "$h" || fail "no checkpoint of row $h"
	echo "$h"
}
journal() { grep -h 'approve-checkpoint-v1 ' "$T/approvald.log" >"$1" || fail "no checkpoint line logged"; }

H1=$(approve_one)
H2=$(approve_one)
H3=$(approve_one)
note "checkpointed heads: $H1 $H2 $H3"

# 1. Intact: the logged lines and audit checkpoint's line verify.
journal "$T/journal1.txt"
assert_rc 0 actl_admin audit checkpoint
assert_match "$LAST_OUT" '^approve-checkpoint-v1 head_id=[0-9]+ hash=[0-9a-f]{64} at=[0-9T:.Z-]+ key=[0-9a-f]{16} sig=[A-Za-z0-9+/=]{88}$' "audit checkpoint line"
printf 'saved by the auditor: %s\n' "$LAST_OUT" >"$T/saved.txt"
assert_rc 0 actl_admin audit checkpoint --json
assert_eq "$(sed 's/.*head_id=\([0-9]*\).*/\1/' "$T/saved.txt")" "$(jq -r .head_id <<<"$LAST_OUT")" "audit checkpoint --json"
assert_rc 0 actl_admin audit verify --key "$KEYS" --checkpoint "$T/journal1.txt" --max-age 30
assert_contains "$LAST_OUT" "matches the chain and is stored"
assert_rc 0 actl_admin audit verify --key "$KEYS" --checkpoint "$T/saved.txt"
ok "intact chain: the logged checkpoint lines and audit checkpoint's line verify"

# 2. Refused inputs: a forged line, a malformed one, options without --key.
# the signature's first character changed (a swap of two would change
# nothing when they are equal, 1 run in 64)
sed 's/sig=A/sig=B/;t;s/sig=./sig=A/' "$T/saved.txt" >"$T/forged.txt"
! cmp -s "$T/saved.txt" "$T/forged.txt" || fail "the forged line is the saved one"
assert_rc 1 actl_admin audit verify --key "$KEYS" --checkpoint "$T/forged.txt"
assert_match "$LAST_OUT" "BROKEN: .*forged.txt line 1 .*signature is not valid" "forged line"
echo "approve-checkpoint-v1 head_id=1 hash=zz" >"$T/junk.txt"
assert_rc 4 actl_admin audit verify --key "$KEYS" --checkpoint "$T/junk.txt"
assert_rc 2 actl_admin audit verify --max-age 10
assert_rc 2 actl_admin audit verify --checkpoint "$T/saved.txt"
ok "a forged or malformed checkpoint line is refused; --checkpoint/--max-age need --key"

# 3. A stored checkpoint deleted (no rewrite): the saved line names it.
sig=$(sed 's/.*sig=//' "$T/saved.txt")
pg_psql -c "BEGIN; ALTER TABLE approval.audit_checkpoints DISABLE TRIGGER USER;
	DELETE FROM approval.audit_checkpoints WHERE signature = '$sig';
	ALTER TABLE approval.audit_checkpoints ENABLE TRIGGER USER; COMMIT;" >/dev/null
assert_rc 0 actl_admin audit verify --key "$KEYS"
assert_rc 1 actl_admin audit verify --key "$KEYS" --checkpoint "$T/saved.txt"
assert_match "$LAST_OUT" "BROKEN: the checkpoint of .*saved.txt line 1 .* is not in approval.audit_checkpoints" \
	"deleted checkpoint named"
ok "a deleted stored checkpoint is named by the copy kept outside"
H4=$(approve_one)
journal "$T/journal2.txt"
assert_rc 0 actl_admin audit checkpoint
printf '%s\n' "$LAST_OUT" >"$T/saved2.txt"

# 4. The attack, approvald running: delete the checkpoints after row H1,
#    rewrite row H1+1 (approval 2's rows) and re-hash everything after it.
# (the locks: approvald reads the head and its last signed row only
# before or after the rewrite, never half way)
rewrite() {
	pg_psql -c "BEGIN;
	LOCK TABLE approval.audit_log, approval.audit_chain, approval.audit_checkpoints
		IN ACCESS EXCLUSIVE MODE;
	ALTER TABLE approval.audit_log DISABLE TRIGGER USER;
	ALTER TABLE approval.audit_chain DISABLE TRIGGER USER;
	ALTER TABLE approval.audit_checkpoints DISABLE TRIGGER USER;
	DELETE FROM approval.audit_checkpoints WHERE head_id > $H1;
	UPDATE approval.audit_log SET actor = 'mallory' WHERE id = $H1 + 1;
	DO \$\$ DECLARE r record; prev text; BEGIN
	  SELECT hash INTO prev FROM approval.audit_log WHERE id = $H1;
	  FOR r IN SELECT * FROM approval.audit_log WHERE id > $H1 ORDER BY id LOOP
	    UPDATE approval.audit_log SET prev_hash = prev,
	      hash = approval.audit_hash(prev, approval.audit_canonical(r.id, r.at,
	        r.kind, r.actor, r.subject, r.request_id, r.detail))
	      WHERE id = r.id RETURNING hash INTO prev;
	  END LOOP;
	  UPDATE approval.audit_chain SET last_hash = prev;
	END \$\$;
	ALTER TABLE approval.audit_log ENABLE TRIGGER USER;
	ALTER TABLE approval.audit_chain ENABLE TRIGGER USER;
	ALTER TABLE approval.audit_checkpoints ENABLE TRIGGER USER; COMMIT;" >/dev/null
}
rewrite
t_attack=$(now_ms)
assert_rc 0 actl_admin audit verify
note "recomputation alone after the rewrite: $LAST_OUT"
sleep 4
assert_file_contains "$T/approvald.log" "audit checkpoint: row [0-9]+, signed at .* now has hash [0-9a-f]{64}: the audit log was rewritten; no checkpoint is signed" \
	"approvald refuses to sign the rewritten chain"
newer=$(sql "SELECT count(*) FROM approval.audit_checkpoints WHERE head_id > $H1")
assert_eq 0 "$newer" "checkpoints signed over the rewritten chain"
assert_rc 1 actl_admin audit verify --key "$KEYS" --max-age 3
assert_match "$LAST_OUT" "BROKEN: the newest signed checkpoint \\(row $H1 at .*\\) is [0-9]+ s old, more than --max-age 3" \
	"audit verify --max-age names the stale checkpoint"
ok "approvald running: the rewritten chain is not signed, and --max-age fails from the database alone ($(( $(now_ms) - t_attack )) ms after)"

# 5. approvald restarted: it signs the rewritten chain afresh, so only the
#    copies kept outside show it.
approvald_stop
approvald_start
wait_until 15 signed_head "$(head_id)" || fail "no checkpoint after the restart"
assert_rc 0 actl_admin audit verify --key "$KEYS" --max-age 30
note "database alone after the restart: $LAST_OUT"
assert_rc 1 actl_admin audit verify --key "$KEYS" --checkpoint "$T/journal2.txt"
assert_match "$LAST_OUT" "BROKEN at the checkpoint of .*journal2.txt line [0-9]+: approvald signed row $H4 at .* the audit log was rewritten" \
	"the journal's lines catch the rewrite"
assert_rc 1 actl_admin audit verify --key "$KEYS" --checkpoint "$T/saved2.txt"
assert_contains "$LAST_OUT" "the audit log was rewritten" "the auditor's saved line catches it"
ok "after a restart: the checkpoint kept in the journal or by the auditor catches the rewrite"
finish
