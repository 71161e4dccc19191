#!/bin/sh
# test_pam_offline.sh PAMDRIVE MODULE: the real pam_approve.so loaded by
# pamdrive under pam_wrapper with approvald down (127.0.0.1:1 refuses):
# bad arguments, token file checks, failmode closed/open, the decision kept
# per PAM handle, the reason policy. Root only (pamlib.sh).
PAMDRIVE=$1
MODULE=$2
. "$(dirname "$0")/pamlib.sh"

DOWN="url=http://127.0.0.1:1 token_file=$TOKEN timeout=5"

# --- arguments --------------------------------------------------------
for args in "url=http://127.0.0.1:1 bogus=1 token_file=$TOKEN" \
	    "token_file=$TOKEN" \
	    "url=http://127.0.0.1:1 token_file=$TOKEN timeout=0 failmode=open" \
	    "url=http://127.0.0.1:1 token_file=$TOKEN failmode=maybe" \
	    "url=http://127.0.0.1:1 token_file=$TOKEN failmode=open failmode=open"; do
	service badargs "auth required $MODULE $args" "account required $MODULE $args"
	drive badargs auth
	check "bad arguments deny auth ($args)" \
		sh -c "[ $rc = 1 ] && grep -q '^RESULT: PAM_AUTH_ERR$' '$T/out' && grep -q '^ERROR: .*misconfigured' '$T/out'"
	drive badargs account
	check "bad arguments deny account ($args)" result PAM_PERM_DENIED
done

# --- daemon down --------------------------------------------------------
service closed "auth required $MODULE $DOWN" "account required $MODULE $DOWN"
drive closed auth
check "failmode closed, daemon down: auth denied" result PAM_AUTH_ERR
check "failmode closed: exit 1" [ "$rc" = 1 ]
check "failmode closed: the user is told" has '^ERROR: Approval service unreachable; access denied.$'
drive closed account
check "failmode closed, daemon down: account denied" result PAM_PERM_DENIED
drive closed both
check "both: auth denial stops the transaction" result PAM_AUTH_ERR
# one sentence for people and one docs/agents.md line for programs
check "both: one message only" count '^ERROR: [^p]' 1
check "both: one machine line" count '^ERROR: pam_approve: error unreachable$' 1

service open "auth required $MODULE $DOWN failmode=open" \
	"account required $MODULE $DOWN failmode=open"
drive open auth
check "failmode open, daemon down: auth allowed" result PAM_SUCCESS
check "failmode open: exit 0" [ "$rc" = 0 ]
check "failmode open: the machine line says so" has '^ERROR: pam_approve: allowed unreachable$'
check "failmode open: loudly shown" has '^ERROR: WARNING: approval service unreachable; allowed without approval (failmode=open).$'
drive open account
check "failmode open, daemon down: account allowed" result PAM_SUCCESS
drive open both
check "both: allowed" result PAM_SUCCESS
check "both: decision reused in the account stack (one message)" count '^ERROR: WARNING' 1

# resources starved by the caller: failmode=open is not honoured
( ulimit -n 40; drive open auth; exit $rc )
rc=$?
check "failmode open with RLIMIT_NOFILE 40: denied" result PAM_AUTH_ERR
check "starved: told unreachable/denied" has '^ERROR: Approval service unreachable; access denied.$'

# the module twice in one stack: the first denial is kept, not re-asked
service twice "auth required $MODULE $DOWN" "auth required $MODULE $DOWN"
drive twice auth
check "module twice: denied" result PAM_AUTH_ERR
check "module twice: asked once" count '^ERROR: [^p]' 1
check "module twice: one machine line" count '^ERROR: pam_approve: ' 1

# a port that is open but speaks no HTTP is "reachable": never fail open
if command -v python3 >/dev/null 2>&1; then
	mkdir -m 0711 "$T/run"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
print("up"); sys.stdout.flush()
while True:
    c, _ = s.accept(); c.recv(65536); c.sendall(b"garbage\r\n\r\n"); c.close()
' "$T/run/garbage.sock" > "$T/port" &
	GPID=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	service garbage "auth required $MODULE url=unix:$T/run/garbage.sock token_file=$TOKEN timeout=5 failmode=open"
	drive garbage auth
	check "failmode open, garbage answer: denied" result PAM_AUTH_ERR
	check "garbage: service error shown" has '^ERROR: Approval service error; access denied.$'
	kill "$GPID" 2>/dev/null
	wait "$GPID" 2>/dev/null
fi

# --- token file ---------------------------------------------------------
for mode in 640 604 660; do
	cp "$TOKEN" "$T/tok$mode"
	chmod "$mode" "$T/tok$mode"
	service tok "auth required $MODULE url=http://127.0.0.1:1 token_file=$T/tok$mode failmode=open"
	drive tok auth
	check "token file mode $mode refused even with failmode=open" result PAM_AUTH_ERR
	check "token file mode $mode: misconfigured shown" has '^ERROR: .*misconfigured'
done
cp "$TOKEN" "$T/tokuser"
chown nobody "$T/tokuser"
service tok "auth required $MODULE url=http://127.0.0.1:1 token_file=$T/tokuser failmode=open"
drive tok auth
check "token file owned by nobody refused" result PAM_AUTH_ERR
service tok "auth required $MODULE url=http://127.0.0.1:1 token_file=$T/missing failmode=open"
drive tok auth
check "missing token file refused" result PAM_AUTH_ERR
ln -s "$TOKEN" "$T/toklink"
service tok "auth required $MODULE url=http://127.0.0.1:1 token_file=$T/toklink failmode=open"
drive tok auth
check "symlinked token file refused" result PAM_AUTH_ERR
check "token never shown" sh -c "! grep -q '$TOKEN_VALUE' '$T/out' '$T/err'"

# --- reason policy --------------------------------------------------------
service reason "auth required $MODULE $DOWN failmode=open reason=prompt reason_min=5"
drive reason auth
check "reason=prompt, no answer: denied" result PAM_AUTH_ERR
check "reason=prompt: prompted" has '^PROMPT: Reason for this elevation: $'
drive reason auth --answer "x" --answer "  ab  " --answer "abcd"
check "reason too short three times: denied" result PAM_AUTH_ERR
check "reason asked three times" count '^PROMPT:' 3
drive reason auth --answer "hotfix"
check "reason given: proceeds (failmode open)" result PAM_SUCCESS
EXTRA_ENV="APPROVAL_REASON=abc" drive reason auth --answer "long enough"
check "APPROVAL_REASON too short: denied without prompting" result PAM_AUTH_ERR
check "APPROVAL_REASON too short: no prompt" count '^PROMPT:' 0
EXTRA_ENV="APPROVAL_REASON=rotate-keys" drive reason auth
check "APPROVAL_REASON long enough: no prompt, proceeds" result PAM_SUCCESS
service reasonopt "auth required $MODULE $DOWN failmode=open reason=optional"
drive reasonopt auth
check "reason=optional, no conversation answer: proceeds" result PAM_SUCCESS
drive reasonopt auth --answer ""
check "reason=optional, empty answer: proceeds" result PAM_SUCCESS

finish
