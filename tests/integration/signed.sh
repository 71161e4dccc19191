#!/usr/bin/env bash
# signed.sh: signed approvals end to end with the real approvald, module and
# PostgreSQL. approvald signs with a key from `approvalctl key generate`;
# the module with keys= accepts its approval (and a policy-free denial);
# `approvalctl receipt show` prints the receipt (the API's detail names
# the key for the web UI) and `receipt verify`
# accepts it offline and refuses it tampered (decided_by, status, command
# in the context); approvald refuses a group-readable key; signed chain
# checkpoints are stored, and after a superuser rewrites and re-hashes the
# chain `audit verify` (recomputation) passes but `audit verify --key`
# fails naming the checkpoint; key rotation: a request waiting while
# approvald moves from key A to key B is approved (hosts pin both), A is
# retired (approvald refuses to start with it), hosts marking A retired
# still elevate with B, and A's old receipt verifies as history.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root

PUB_A=$("$APPROVALCTL" key generate --out "$T/a.key" 2>>"$T/admin.log") || fail "key generate"
assert_match "$PUB_A" '^ed25519 [A-Za-z0-9+/]{43}=$' "key generate prints the public line alone on stdout"
assert_eq 600 "$(stat -c %a "$T/a.key")" "private key mode"
PUB_B=$("$APPROVALCTL" key generate --out "$T/b.key" 2>>"$T/admin.log") || fail "key generate"
assert_rc 4 "$APPROVALCTL" key generate --out "$T/a.key"
ok "key generate: 0600 files, never overwritten"

KEYS=$T/approvald.pub
printf '%s\n%s\n' "$PUB_A" "$PUB_B" >"$KEYS"
chmod 644 "$KEYS"

db_start
# a group-readable private key is refused at start, with a clear message
cp "$T/a.key" "$T/loose.key"
chmod 640 "$T/loose.key"
printf 'database = %s\nlisten = unix:%s\npublic_url = http://approvald.test\nsigning_key = %s\n' \
	"$PG_APP_CONNINFO" "$T/run/loose.sock" "$T/loose.key" >"$T/loose.conf"
rc=0
timeout 10 "$APPROVALD" --config "$T/loose.conf" >"$T/loose.log" 2>&1 || rc=$?
assert_ne 0 "$rc" "approvald with a group-readable key"
assert_file_contains "$T/loose.log" "signing key .*loose.key: mode 0640 is too open"
ok "approvald refuses a group-readable signing key"

approvald_start signing_key="$T/a.key" audit_head_interval=1
mk_host web1
mk_approver carol carol
assert_file_contains "$T/approvald.log" "signing answers with key [0-9a-f]{16}"
KID_A=$(sed -n 's/.*signing answers with key \([0-9a-f]\{16\}\).*/\1/p' "$T/approvald.log" | tail -n 1)
assert_rc 0 actl_admin key list
assert_contains "$LAST_OUT" "$KID_A" "key list"
assert_contains "$LAST_OUT" active "key list status"

# 1. A real approval through the module with keys=.
pam_service signed --stack account "keys=$KEYS"
run_pamdrive one --service signed --user alice --op account
code=$(wait_for_code one)
wait_for_waiters 1 10
assert_rc 0 actl carol approve "$code"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam one PAM_SUCCESS
assert_eq 32 "$(sql "SELECT length(nonce) FROM approval.requests WHERE code = '$code'")" "the module's nonce stored"
ok "a real approval is signed and accepted by the module with keys="

run_pamdrive two --service signed --user alice --op account
code2=$(wait_for_code two)
wait_for_waiters 1 10
assert_rc 0 actl carol deny "$code2" -m no
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam_denied two
ok "a signed denial denies"

# 2. Receipts: shown from the database, verified offline, tampering refused.
actl_admin receipt show "$code" >"$T/receipt.json" || fail "receipt show"
assert_eq approved "$(jq -r .status "$T/receipt.json")"
assert_eq carol "$(jq -r .decided_by "$T/receipt.json")"
assert_eq "$KID_A" "$(jq -r .key_id "$T/receipt.json")"
assert_rc 0 "$APPROVALCTL" receipt verify "$T/receipt.json" --key "$KEYS"
assert_contains "$LAST_OUT" "valid receipt"
jq '.decided_by = "mallory"' "$T/receipt.json" >"$T/t1.json"
assert_rc 1 "$APPROVALCTL" receipt verify "$T/t1.json" --key "$KEYS"
assert_contains "$LAST_OUT" "INVALID"
jq '.status = "denied"' "$T/receipt.json" >"$T/t2.json"
assert_rc 1 "$APPROVALCTL" receipt verify "$T/t2.json" --key "$KEYS"
jq '.context.command = "/bin/sh -c evil"' "$T/receipt.json" >"$T/t3.json"
assert_rc 1 "$APPROVALCTL" receipt verify "$T/t3.json" --key "$KEYS"
assert_contains "$LAST_OUT" "does not give the signed digest"
printf '%s\n' "$PUB_B" >"$T/only_b.pub"
assert_rc 1 "$APPROVALCTL" receipt verify "$T/receipt.json" --key "$T/only_b.pub"
assert_contains "$LAST_OUT" "not in the key file"
assert_eq denied "$(actl_admin receipt show "$code2" | jq -r .status)" "receipt of the denial"
http GET "/v1/requests/$code" --approver carol
assert_status 200
assert_json .signed_by_key "$KID_A"
ok "receipt show/verify offline; altered decided_by, status, command or key refused"

# 3. Checkpoints: stored and signed; a rewritten, re-hashed chain is caught.
checkpoints_ready() {	# two or more checkpoints of a non-empty chain
	[ "$(sql "SELECT count(*) > 1 FROM approval.audit_checkpoints WHERE head_id > 0")" = t ]
}
wait_until 15 checkpoints_ready || fail "no signed checkpoints stored"
assert_rc 0 actl_admin audit verify --key "$KEYS"
assert_contains "$LAST_OUT" "signed checkpoints match the chain"
approvald_stop	# no new checkpoints over the rewrite
k=$(sql "SELECT min(l.id) FROM approval.audit_log l WHERE l.id <= (SELECT min(head_id) FROM approval.audit_checkpoints WHERE head_id > 0) AND l.kind = 'request.approved'")
[ -n "$k" ] || k=$(sql "SELECT min(head_id) FROM approval.audit_checkpoints WHERE head_id > 0")
pg_psql -c "BEGIN; ALTER TABLE approval.audit_log DISABLE TRIGGER USER;
	ALTER TABLE approval.audit_chain DISABLE TRIGGER USER;
	UPDATE approval.audit_log SET actor = 'mallory' WHERE id = $k;
	DO \$\$ DECLARE r record; prev text; BEGIN
	  SELECT hash INTO prev FROM approval.audit_log WHERE id = $k - 1;
	  prev := COALESCE(prev, repeat('0', 64));
	  FOR r IN SELECT * FROM approval.audit_log WHERE id >= $k ORDER BY id LOOP
	    UPDATE approval.audit_log SET prev_hash = prev,
	      hash = approval.audit_hash(prev, approval.audit_canonical(r.id, r.at,
	        r.kind, r.actor, r.subject, r.request_id, r.detail))
	      WHERE id = r.id RETURNING hash INTO prev;
	  END LOOP;
	  UPDATE approval.audit_chain SET last_hash = prev;
	END \$\$;
	ALTER TABLE approval.audit_log ENABLE TRIGGER USER;
	ALTER TABLE approval.audit_chain ENABLE TRIGGER USER; COMMIT;" >/dev/null
assert_rc 0 actl_admin audit verify
note "after the rewrite, recomputation alone: $LAST_OUT"
assert_rc 1 actl_admin audit verify --key "$KEYS"
assert_match "$LAST_OUT" "BROKEN at checkpoint [0-9]+: approvald signed row [0-9]+ .* the audit log was rewritten" \
	"audit verify --key names the checkpoint"
ok "a rewritten and re-hashed chain passes recomputation but fails audit verify --key"

# 4. Rotation: a request waits while approvald moves from key A to key B.
approvald_start signing_key="$T/a.key" audit_head_interval=1
run_pamdrive rot --service signed --user alice --op account
code3=$(wait_for_code rot)
wait_for_waiters 1 10
if pg_psql -c "UPDATE approval.requests SET nonce = 'AAAAAAAAAAAAAAAAAAAA' WHERE code = '$code3'" >"$T/nonce.out" 2>&1; then
	fail "a pending request's nonce could be changed"
fi
assert_file_contains "$T/nonce.out" "context is immutable"
approvald_stop
approvald_start signing_key="$T/b.key" audit_head_interval=1
assert_rc 0 actl carol approve "$code3"
pamdrive_wait "$PAMDRIVE_PID" 40
assert_pam rot PAM_SUCCESS
KID_B=$(sed -n 's/.*signing answers with key \([0-9a-f]\{16\}\).*/\1/p' "$T/approvald.log" | tail -n 1)
assert_ne "$KID_A" "$KID_B" "rotated key id"
assert_eq "$KID_B" "$(sql "SELECT c.key_id FROM approval.receipts c JOIN approval.requests r ON r.id = c.request_id WHERE r.code = '$code3'")"
ok "rotation: the waiting request is approved under key B"

assert_rc 0 actl_admin key retire "$KID_A"
printf '%s retired\n%s\n' "$PUB_A" "$PUB_B" >"$KEYS"
run_pamdrive after --service signed --user alice --op account
code4=$(wait_for_code after)
wait_for_waiters 1 10
assert_rc 0 actl carol approve "$code4"
pamdrive_wait "$PAMDRIVE_PID" 20
assert_pam after PAM_SUCCESS
assert_rc 0 "$APPROVALCTL" receipt verify "$T/receipt.json" --key "$KEYS"
assert_contains "$LAST_OUT" "retired key: historical"
approvald_stop
sed "s|^signing_key = .*|signing_key = $T/a.key|" "$T/approvald.conf" >"$T/retired.conf"
rc=0
timeout 20 "$APPROVALD" --config "$T/retired.conf" >"$T/retired.log" 2>&1 || rc=$?
assert_eq 1 "$rc" "approvald with a retired key exits 1"
assert_file_contains "$T/retired.log" "signing key $KID_A is retired"
ok "rotation: A retired, B elevates, A's receipt verifies as history, approvald refuses A"
