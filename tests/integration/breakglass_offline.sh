#!/usr/bin/env bash
# breakglass_offline.sh: offline break-glass codes through the real module
# (breakglass=PATH), a real approvald (then stopped: connection refused)
# and approvalctl. It proves:
#  (g) `approvalctl breakglass issue` registers each code (audited) and
#      prints it once; the file holds only salted hashes (the code is not
#      in it in any form), root 0600, one link; no database -> refused,
#      nothing printed, the file unchanged; an unknown host -> refused;
#  (d) no prompt at all when approvald is up and denies, when it answers
#      nothing (a hung server), or when it is SIGSTOPped;
#  (c) no prompt when the file is group/other readable, owned by another
#      user, a symlink, hard-linked, in a directory another user owns or
#      can write, or under a symlinked directory; a malformed, unknown
#      version or oversize file denies without a crash;
#  (e) a wrong code is denied and counted; a second try at once is refused
#      by the delay without being checked, even a right code;
#  (a) a right code lets exactly one elevation in, the second use of it is
#      denied;
#  (b) two uses of one code, the first stopped after reading the code and
#      before consuming it: exactly one gets in; a use while another
#      process holds the file's lock is denied within its deadline; a code
#      that arrives after the elevation's deadline is not checked;
#  (f) once approvald is back the module reports each use: a critical
#      audit event and a report_breakglass row each, exactly once even
#      when the module runs again or reports again; approvalctl breakglass
#      list shows it and an approver (not the requester) closes it;
#      POST /v1/breakglass/uses refuses another host's or an unknown code.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
standard_setup
mk_approver root-adm root	# the requester: the kernel uid (the test runs as root)
mk_host web2

ALPHA='[0-9A-HJKMNP-TV-Z]'
mkdir -m 0700 "$T/etc"
BG=$T/etc/approve_breakglass

# --- (g) issuing ----------------------------------------------------------
assert_rc 0 actl_admin breakglass issue web1 --count 3 --file "$BG"
issued=$LAST_OUT
mapfile -t lines < <(grep -E '^BG-' <<<"$issued")
assert_eq 3 "${#lines[@]}" "three codes printed"
for l in "${lines[@]}"; do
	assert_match "$l" "^BG-$ALPHA{8} $ALPHA{5}(-$ALPHA{5}){4}\$" "an id and a code"
done
ID1=${lines[0]%% *} C1=${lines[0]#* }
ID2=${lines[1]%% *} C2=${lines[1]#* }
ID3=${lines[2]%% *} C3=${lines[2]#* }
for c in "$C1" "$C2" "$C3"; do
	assert_file_not_contains "$BG" "$c" "the code as shown"
	assert_file_not_contains "$BG" "${c//-/}" "the code without dashes"
done
assert_eq "600 0 0 1" "$(stat -c '%a %u %g %h' "$BG")" "mode, owner, links of the file"
assert_eq "approve-breakglass 1" "$(head -n 1 "$BG")"
assert_eq 3 "$(grep -c "^code BG-$ALPHA\{8\} web1 [0-9]* [0-9a-f]\{32\} [0-9a-f]\{64\} unused\$" "$BG")" "three hash lines"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.breakglass_codes c JOIN approval.hosts h ON h.id = c.host_id WHERE h.name = 'web1' AND c.id IN ('$ID1', '$ID2', '$ID3')")" "registered"
assert_eq 3 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.code_issued' AND detail->>'host' = 'web1'")" "issuance audited"
ok "issue: registered and audited, printed once, only hashes in the file"

sum0=$(sha256sum <"$BG")
rc=0
out=$("$APPROVALCTL" --database "host=$T/nonexistent dbname=approval connect_timeout=2" \
	breakglass issue web1 --file "$BG" 2>"$T/nodb.err") || rc=$?
assert_eq 3 "$rc" "issue without the database: unreachable"
assert_eq "" "$out" "nothing printed"
assert_eq "$sum0" "$(sha256sum <"$BG")" "the file unchanged"
assert_rc 1 actl_admin breakglass issue no-such-host --file "$BG"
assert_not_contains "$LAST_OUT" "BG-" "no code printed for an unknown host"
assert_eq "$sum0" "$(sha256sum <"$BG")" "the file unchanged"
ok "issue: refused without the database or for an unknown host, nothing printed"

# --- (d) not offered unless approvald is provably absent ------------------
assert_rc 0 actl_admin policy add 'deny service=bg-deny message="not here"'
assert_rc 0 actl_admin policy add 'allow service=bg-ok'
pam_service bg-deny --stack account breakglass="$BG" timeout=10
pamdrive_run up-deny 20 --service bg-deny --user alice --op account --answer "$C1"
assert_pam_denied up-deny
assert_file_not_contains "$T/up-deny.out" '^PROMPT:' "no code prompt when approvald denies"
silent=$(fake_server_url create_silent)
pam_service bg-silent --stack account url="$silent" breakglass="$BG" timeout=4
pamdrive_run hung 20 --service bg-silent --user alice --op account --answer "$C1"
assert_pam_denied hung
assert_file_not_contains "$T/hung.out" '^PROMPT:' "no code prompt when approvald hangs"
pam_service bg --stack account breakglass="$BG" timeout=4
kill -STOP "$APPROVALD_PID"
pamdrive_run stopped 20 --service bg --user alice --op account --answer "$C1"
kill -CONT "$APPROVALD_PID"
assert_pam_denied stopped
assert_file_not_contains "$T/stopped.out" '^PROMPT:' "no code prompt when approvald is stopped"
assert_eq "$sum0" "$(sha256sum <"$BG")" "the file untouched"
ok "break-glass is not offered when approvald denies, hangs or is stopped"

approvald_stop
pam_service bg --stack account breakglass="$BG" timeout=10

# --- (c) the file's checks --------------------------------------------------
# each variant holds the real file's unused codes: only the checks stop C1
variant() {	# NAME: a copy of $BG in $T/v-NAME/, sound; prints its path
	mkdir -m 0700 "$T/v-$1"
	cp -p "$BG" "$T/v-$1/bg"
	echo "$T/v-$1/bg"
}
refused() {	# NAME PATH WHAT
	pam_service "bad-$1" --stack account breakglass="$2" timeout=10
	pamdrive_run "bad-$1" 20 --service "bad-$1" --user alice --op account --answer "$C1"
	assert_pam_denied "bad-$1"
	assert_file_not_contains "$T/bad-$1.out" '^PROMPT:' "$3: no code prompt"
	assert_file_contains "$T/bad-$1.out" '^ERROR: Approval service unreachable; access denied.$' "$3: told"
	ok "$3: no break-glass"
}
p=$(variant sound)
pam_service good --stack account breakglass="$p" timeout=10
pamdrive_run good 20 --service good --user alice --op account
assert_pam_denied good
assert_file_contains "$T/good.out" '^PROMPT: Break-glass code' "a sound copy is offered (control)"
p=$(variant gread); chmod 0640 "$p"; refused gread "$p" "group-readable file"
p=$(variant oread); chmod 0604 "$p"; refused oread "$p" "other-readable file"
p=$(variant owner); chown nobody "$p"; refused owner "$p" "file owned by nobody"
p=$(variant link); ln -s "$p" "$T/v-link/sym"; refused symlink "$T/v-link/sym" "a symlink to a sound file"
p=$(variant hard); ln "$p" "$T/v-hard/second"; refused hardlink "$p" "a file with two links"
p=$(variant dirown); chown nobody "$T/v-dirown"; refused dirown "$p" "directory owned by nobody"
p=$(variant dirw); chmod 0770 "$T/v-dirw"; refused dirw "$p" "group-writable directory"
p=$(variant dirsym); ln -s "$T/v-dirsym" "$T/dirlink"; refused dirsym "$T/dirlink/bg" "a symlinked directory"
p=$(variant version); sed -i '1s/ 1$/ 2/' "$p"; refused version "$p" "unknown file version"
p=$(variant junk); printf 'code BG-00000000 web1 nonsense\n' >>"$p"; refused junk "$p" "a malformed line"
p=$(variant long); printf 'code %5000s\n' x >>"$p"; refused long "$p" "an oversize line"
p=$(variant big); head -c 70000 /dev/zero | tr '\0' '#' >>"$p"; refused big "$p" "an oversize file"
refused missing "$T/etc/nothing-here" "a missing file"

# --- (e) wrong codes --------------------------------------------------------
wrong=ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ
pamdrive_run wrong 20 --service bg --user alice --op account --answer "$wrong"
assert_pam_denied wrong
assert_file_contains "$T/wrong.out" '^ERROR: Wrong break-glass code.$'
assert_eq "failures 1" "$(sed -n '2s/ [0-9]*$//p' "$BG")" "the failure is counted in the file"
pamdrive_run soon 20 --service bg --user alice --op account --answer "$C1"
assert_pam_denied soon
assert_file_contains "$T/soon.out" '^ERROR: Too many wrong break-glass codes; try again in [0-9]+ s.$'
assert_eq 3 "$(grep -c ' unused$' "$BG")" "a right code during the delay is not checked or consumed"
sleep 5.2
pamdrive_run many 20 --service bg --user alice --op account --answer "$wrong" \
	--answer "$wrong" --answer "$wrong" --answer "$wrong"
assert_pam_denied many
assert_eq 2 "$(grep -c '^PROMPT:' "$T/many.out")" "one checked guess, then the delay stops the prompt"
assert_eq "failures 2" "$(sed -n '2s/ [0-9]*$//p' "$BG")"
pamdrive_run garbage 20 --service bg --user alice --op account --answer "not a code"
assert_pam_denied garbage
ok "wrong codes: denied, counted, and the delay stops guessing"
sleep 10.2

# --- (a) once -----------------------------------------------------------------
# the command line (recorded with the use) carries invalid UTF-8 and an
# escape sequence: the record stays valid, the file stays readable
pamdrive_run in 20 --service bg --user alice --op account --answer "${C1,,}" \
	--answer $'\xff\x1b[31mred'
assert_pam in PAM_SUCCESS
assert_file_contains "$T/in.out" "^ERROR: WARNING: break-glass code $ID1 accepted; allowed without approval"
assert_file_contains "$T/in.out" '^ERROR: pam_approve: allowed breakglass$'
assert_file_contains "$BG" "^code $ID1 web1 .* used [0-9]+ 0 root alice bg [0-9a-f]{64} " "the use recorded, not reported"
assert_eq "failures 0" "$(sed -n '2s/ [0-9]*$//p' "$BG")" "a good code resets the count"
assert_eq "600 0 1" "$(stat -c '%a %u %h' "$BG")" "the rewritten file: 0600 root, one link"
pamdrive_run again 20 --service bg --user alice --op account --answer "$C1"
assert_pam_denied again
assert_file_contains "$T/again.out" '^ERROR: That break-glass code was used already.$'
ok "a code lets exactly one elevation in"
sleep 5.2

# --- (b) concurrency ----------------------------------------------------------
run_pamdrive raceA --service bg --user alice --op account --answer "$C2" --stop-after-answer
a_pid=$PAMDRIVE_PID
wait_for_line "$T/raceA.out" '^STOPPED: after answer' 10 >/dev/null
pamdrive_run raceB 20 --service bg --user alice --op account --answer "$C2"
assert_pam raceB PAM_SUCCESS
kill -CONT "$a_pid"
pamdrive_wait "$a_pid" 20
assert_pam_denied raceA
assert_file_contains "$T/raceA.out" '^ERROR: That break-glass code was used already.$' "the stopped one reads the use under the lock"
ok "two uses of one code, one stopped between reading and consuming: exactly one in"
sleep 5.2
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(60)' \
	"$BG" >"$T/holder.out" &
holder=$!
_H_PIDS+=("$holder")
wait_for_line "$T/holder.out" '^locked' 10 >/dev/null
t0=$(now_ms)
pamdrive_run locked 20 --service bg --user alice --op account --answer "$C3"
assert_pam_denied locked
assert_le $(($(now_ms) - t0)) 9000 "ms until the locked-out use was denied"
kill "$holder"
wait "$holder" 2>/dev/null || true
assert_file_contains "$BG" "^code $ID3 .* unused\$" "the code survives a use that could not lock"
ok "a use while another holds the lock is denied within its deadline"
pam_service bg-short --stack account breakglass="$BG" timeout=3
run_pamdrive late --service bg-short --user alice --op account --answer "$C3" --stop-after-answer
late_pid=$PAMDRIVE_PID
wait_for_line "$T/late.out" '^STOPPED: after answer' 10 >/dev/null
sleep 3.5
kill -CONT "$late_pid"
pamdrive_wait "$late_pid" 20
assert_pam_denied late
assert_file_contains "$T/late.out" '^ERROR: Too late for a break-glass code; access denied.$'
assert_file_contains "$BG" "^code $ID3 .* unused\$" "a code typed after the deadline is not checked"
ok "a code that arrives after the elevation's deadline (stopped at the prompt) is not checked"

# consuming fails (the file system is full): not granted
if unshare -m true 2>/dev/null; then
	mkdir -m 0700 "$T/full"
	pam_service bg-full --stack account breakglass="$T/full/bg" timeout=10
	env=(LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 "PAM_WRAPPER_SERVICE_DIR=$T/pam.d")
	if [ "$SANITIZE" != none ]; then
		env+=(PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
			"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	fi
	PAMDRIVE_RC=0
	unshare -m bash -c 'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$1" && cp -p "$2" "$1/bg" &&
		{ head -c 1M /dev/zero >"$1/fill" 2>/dev/null; true; } && shift 2 && exec env "$@"' \
		_ "$T/full" "$BG" "${env[@]}" "$PAMDRIVE" --service bg-full --user alice --op account \
		--answer "$C3" >"$T/full.out" 2>&1 || PAMDRIVE_RC=$?
	assert_pam_denied full
	assert_file_contains "$T/full.out" '^PROMPT: Break-glass code' "the code was asked for"
	assert_file_contains "$T/full.out" "code $ID3 matched but could not be consumed" "logged"
	assert_file_not_contains "$T/full.out" 'accepted' "not granted"
	ok "a right code that cannot be consumed on disk (file system full) lets nobody in"
else
	echo "# unshare -m not permitted: the full file system case not run"
fi

# the lock holder replaces the file (as every writer does: a new file
# renamed over) while a use waits for the lock: the waiter must read the
# new file, not the old inode it opened (there C3 is still unused)
python3 -c 'import fcntl, os, sys, time
path, go, gone = sys.argv[1], sys.argv[2], sys.argv[3]
f = open(path); fcntl.flock(f, fcntl.LOCK_EX); print("locked", flush=True)
while not os.path.exists(go): time.sleep(0.05)
keep = [l for l in open(path) if not l.startswith("code " + gone + " ")]
fd = os.open(path + ".new", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, "".join(keep).encode()); os.fsync(fd); os.close(fd)
os.rename(path + ".new", path); f.close()' "$BG" "$T/go" "$ID3" >"$T/replacer.out" &
holder=$!
_H_PIDS+=("$holder")
wait_for_line "$T/replacer.out" '^locked' 10 >/dev/null
run_pamdrive swapped --service bg --user alice --op account --answer "$C3"
swapped_pid=$PAMDRIVE_PID
wait_for_line "$T/swapped.out" '^PROMPT: Break-glass code' 10 >/dev/null
sleep 0.5
touch "$T/go"
pamdrive_wait "$swapped_pid" 20
wait "$holder" 2>/dev/null || true
assert_pam_denied swapped
assert_file_contains "$T/swapped.out" '^ERROR: Wrong break-glass code.$' "the waiter read the new file"
ok "a file replaced while a use waits for its lock: the use reads the new file"

# --- (f) reported once approvald is back ---------------------------------------
approvald_start
assert_eq 0 "$(sql "SELECT count(*) FROM approval.breakglass_offline_uses")" "nothing known before a report"
pam_service bg-ok --stack account breakglass="$BG" timeout=10
pamdrive_run report 20 --service bg-ok --user alice --op account
assert_pam report PAM_SUCCESS
assert_eq 2 "$(sql "SELECT count(*) FROM approval.breakglass_offline_uses WHERE code_id IN ('$ID1', '$ID2')")" "both uses recorded"
for id in "$ID1" "$ID2"; do
	assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.offline_used' AND subject = '$id' AND detail->>'severity' = 'critical' AND detail->>'host' = 'web1' AND actor = 'root'")" "a critical audit event for $id"
	assert_eq "offline|needs review|web1|root|alice|bg" "$(sql "SELECT kind || '|' || review || '|' || host || '|' || requester || '|' || target_user || '|' || service FROM approval.report_breakglass WHERE code = '$id'")" "report_breakglass row for $id"
	assert_file_contains "$BG" "^code $id web1 .* used [0-9]+ 1 " "marked reported in the file"
done
wait_for_line "$T/approvald.log" "BREAK-GLASS \\(offline\\): host web1 reports code $ID1" 5 >/dev/null
pamdrive_run report2 20 --service bg-ok --user alice --op account
assert_pam report2 PAM_SUCCESS
# a report sent again (the host lost the mark): on record once
sed -i "s/^\\(code $ID1 .* used [0-9]*\\) 1 /\\1 0 /" "$BG"
pamdrive_run report3 20 --service bg-ok --user alice --op account
assert_pam report3 PAM_SUCCESS
wait_for_line "$T/approvald.log" "break-glass code $ID1: host web1 reported its use again" 5 >/dev/null
assert_eq 2 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.offline_used'")" "still one event per use"
assert_eq 2 "$(sql "SELECT count(*) FROM approval.report_breakglass WHERE kind = 'offline'")" "still one row per use"
assert_file_contains "$BG" "^code $ID1 web1 .* used [0-9]+ 1 " "marked reported again"
ok "uses are reported once approvald is back: critical audit events and report rows, exactly once"

use='{"code_id":"'"$ID3"'","requester":"mallory","target_user":"root","service":"sudo","command":"x","digest":"'"$(printf '0%.0s' {1..64})"'","used_at":1700000000}'
http POST /v1/breakglass/uses --host web2 --json "$use"
assert_error 404 not_found "another host's code"
http POST /v1/breakglass/uses --host web1 --json "${use/$ID3/BG-ZZZZZZZZ}"
assert_error 404 not_found "an unknown code"
http POST /v1/breakglass/uses --host web1 --json '{"code_id":"'"$ID3"'","extra":1}'
assert_error 400 bad_request "an unknown field"
http POST /v1/breakglass/uses --approver carol --json "$use"
assert_status 403 "an approver is not a host"
assert_eq 0 "$(sql "SELECT count(*) FROM approval.breakglass_offline_uses WHERE code_id = '$ID3'")" "nothing recorded"
ok "the report route takes only the issuing host's own codes"

assert_rc 0 actl_admin breakglass list
assert_contains "$LAST_OUT" "$ID1" "breakglass list shows the offline use"
assert_contains "$LAST_OUT" "offline"
assert_rc 1 actl_admin breakglass close "$ID1" --approver root-adm --comment "mine"
assert_contains "$LAST_OUT" "may not review their own break-glass"
assert_rc 0 actl_admin breakglass close "$ID1" --approver carol --comment "db outage, checked"
assert_eq "closed|carol|db outage, checked" "$(sql "SELECT review || '|' || reviewed_by || '|' || review_comment FROM approval.report_breakglass WHERE code = '$ID1'")"
assert_eq 1 "$(sql "SELECT count(*) FROM approval.audit_log WHERE kind = 'breakglass.reviewed' AND subject = '$ID1' AND actor = 'carol'")" "the close is audited"
assert_rc 1 actl_admin breakglass close "$ID1" --approver carol --comment "again"
rc=0; err=$(pg_psql -c "DELETE FROM approval.breakglass_offline_uses" 2>&1) || rc=$?
assert_ne 0 "$rc" "a use cannot be deleted"
assert_contains "$err" "never changes"
ok "an approver other than the requester closes an offline use, once; uses never change"

assert_eq 0 "$(sql "SELECT count(*) FROM approval.audit_crosscheck")" "audit crosscheck finds nothing"
finish
