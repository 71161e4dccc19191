#!/bin/sh
# test_pam_fake.sh PAMDRIVE MODULE: the real pam_approve.so against a
# scripted fake approvald (fake_approvald.py): approve after a long-poll,
# deny with comment, expiry, cancel, approval at create, hostile server
# text, wrong digest or id (denied), 5xx while waiting (retried), 503 on
# create (asked again with the same idempotency key), the hard
# deadline (cancelled on the server), Ctrl-C (SIGINT: cancelled; a SIGINT
# pending while "approved" is read: cancelled too), a TLS write that meets
# EPIPE+SIGPIPE (the process survives), and one request only for repeated
# auth calls on one handle. Root only; the signal tests need strace
# (scripts/deps.sh installs it).
PAMDRIVE=$1
MODULE=$2
. "$(dirname "$0")/pamlib.sh"
FAKE=$(dirname "$(readlink -f "$0")")/fake_approvald.py

# One fake server for the whole script; "fake MODE" sets the mode of the
# next request and empties the log. $URL, $LOG.
# It serves on a Unix socket in a root-owned 0711 directory (the module's
# same-host transport; tests/pam/test_pam_transport.sh tests its checks).
LOG=$T/fake.log
mkdir -m 0711 "$T/run"
printf 'approve\n' > "$T/mode"
FAKE_LISTEN=unix:$T/run/fake.sock python3 "$FAKE" "$T/mode" "$T/port" "$LOG" \
	"$TOKEN_VALUE" 2>> "$T/err.fake" &
FPID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "Bail out! fake server did not start"; exit 1; }
URL=unix:$T/run/fake.sock
fake() {
	printf '%s\n' "$1" > "$T/mode"
	: > "$LOG"
}
trap 'kill "$FPID" 2>/dev/null; rm -rf "$T"' EXIT
logged() { grep -q -- "$1" "$LOG"; }
logcount() { [ "$(grep -c -- "$1" "$LOG")" = "$2" ]; }
clean_log() { ! grep -q '^BAD' "$LOG"; }

# run MODE OP [MODULE ARGS]: fake in MODE, a one-line stack, drive it
run() {
	fake "$1"
	svc="$2 required $MODULE url=$URL token_file=$TOKEN $3"
	service fk "$svc"
	drive fk "$2"
}

run approve account "timeout=20"
check "approve: PAM_SUCCESS" result PAM_SUCCESS
check "approve: exit 0" [ "$rc" = 0 ]
check "approve: code shown" has '^ERROR: Approval required: request K7Q-4MX$'
check "approve: url shown" has '^ERROR: Approve at: http://approvald.test/r/K7Q-4MX$'
check "approve: wait announced" has '^ERROR: Waiting up to 20 s (Ctrl-C cancels)...$'
check "approve: outcome" has '^INFO: Approved by bob.$'
check "approve: long-polled twice" logcount '^GET /v1/requests/.*/wait?timeout=' 2
check "approve: the body was accepted" clean_log
check "approve: context uid is the real uid" \
	grep -q "\"uid\": $(id -u)," "$LOG.ctx"
check "approve: command is our cmdline" grep -q '"command": "[^"]*pamdrive --service fk --user root --op account"' "$LOG.ctx"
check "approve: target is PAM_USER outside sudo" grep -q '"target_user": "root"' "$LOG.ctx"
check "approve: a server without \"notified\" gets no notified line" \
	sh -c "! grep -qi 'notified' '$T/out'"

run notified auth "timeout=20"
check "notified: PAM_SUCCESS" result PAM_SUCCESS
check "notified: the sinks told, by name" \
	has '^ERROR: Approvers were notified: Slack, Teams, webhook, pager_2.$'
check "notified: the stable line" has '^ERROR: pam_approve: notified slack,teams,webhook,pager_2$'
check "notified: told once over two waits" \
	sh -c "[ \"\$(grep -c 'notified' '$T/out')\" = 2 ]"
check "notified: after the pending line" \
	sh -c "grep -n '' '$T/out' | grep -A99 'pam_approve: pending' | grep -q 'pam_approve: notified'"
run notified_bad auth "failmode=open"
check "notified_bad: a malformed list is a bad answer: denied" result PAM_AUTH_ERR
check "notified_bad: nothing of it shown" sh -c "! grep -qi 'notified' '$T/out'"

run deny auth ""
check "deny: PAM_AUTH_ERR" result PAM_AUTH_ERR
check "deny: comment shown" has '^ERROR: Denied by bob: not now$'
check "deny: default wait" has '^ERROR: Waiting up to 5 min (Ctrl-C cancels)...$'
fake deny
service fk "account required $MODULE url=$URL token_file=$TOKEN"
drive fk account
check "deny in account: PAM_PERM_DENIED" result PAM_PERM_DENIED

run expire auth ""
check "expired: denied" result PAM_AUTH_ERR
check "expired: told" has '^ERROR: Request K7Q-4MX expired.$'
run cancelled auth ""
check "cancelled elsewhere: denied" result PAM_AUTH_ERR
check "cancelled elsewhere: told" has '^ERROR: Request K7Q-4MX was cancelled.$'

run create_approved auth ""
check "approved at create (policy/grace): success" result PAM_SUCCESS
check "approved at create: no wait" logcount '^GET' 0
run create_denied auth "failmode=open"
check "denied at create: denied" result PAM_AUTH_ERR
check "denied at create: by policy" has '^ERROR: Denied by policy.$'

for m in create_500 create_garbage_json create_html create_baddigest; do
	run "$m" auth "failmode=open"
	check "$m: denied even with failmode=open" result PAM_AUTH_ERR
	check "$m: service error shown" has '^ERROR: Approval service error; access denied.$'
done
check "create_baddigest: never waits" logcount '^GET' 0

for m in wait_baddigest wait_wrongid wait_404; do
	run "$m" auth "failmode=open"
	check "$m: denied" result PAM_AUTH_ERR
	check "$m: cancelled on the server" logged '^POST /v1/requests/.*/cancel$'
done

run create_503 auth "timeout=20"
check "503 on create: asked again, then approved" result PAM_SUCCESS
check "503 on create: three creates" logcount '^POST /v1/requests$' 3
check "503 on create: one idempotency key, sent every time" \
	sh -c "[ \"\$(grep '^KEY ' '$LOG' | sort -u | grep -cE '^KEY [A-Za-z0-9_-]{43}\$')\" = 1 ] &&
		[ \"\$(grep -c '^KEY ' '$LOG')\" = 3 ]"

run flaky auth "timeout=20"
check "503 while waiting: retried, then approved" result PAM_SUCCESS
check "503 while waiting: three waits" logcount '^GET' 3

run hostile auth ""
check "hostile: denied" result PAM_AUTH_ERR
check "hostile: no control characters reach the conversation" \
	sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$T/out'"
check "hostile: no bidi override reaches the conversation" \
	sh -c "! grep -q \"\$(printf '\\342\\200\\256')\" '$T/out'"
check "hostile: comment shown, cleaned" has '^ERROR: Denied by b?b: ?red? ?gnp.exe?? second line$'

# the hard deadline: the server holds the long-poll; the module gives up
start=$(date +%s)
run hang auth "timeout=3"
end=$(date +%s)
check "timeout: denied" result PAM_AUTH_ERR
check "timeout: told" has '^ERROR: Approval timed out; request cancelled.$'
check "timeout: cancelled on the server" logged '^POST /v1/requests/.*/cancel$'
check "timeout: the cancel says why" logged '^CANCEL {"reason":"timeout"}$'
check "timeout: asked the server for at most the time left" \
	logged '^GET /v1/requests/.*/wait?timeout=3$'
check "timeout: within 10 s" [ $((end - start)) -le 10 ]

# Ctrl-C while waiting
fake sigint
service fk "auth required $MODULE url=$URL token_file=$TOKEN"
drive_bg fk auth
wait_out '^ERROR: Waiting up to' 10
sleep 0.3
kill -INT "$pid"
wait "$pid"
rc=$?
check "SIGINT: denied (the process survived to report)" result PAM_AUTH_ERR
check "SIGINT: told" has '^ERROR: Cancelled.$'
check "SIGINT: cancelled on the server" logged '^POST /v1/requests/.*/cancel$'
check "SIGINT: the cancel says why" logged '^CANCEL {"reason":"interrupted"}$'

# SIGTERM and SIGHUP too
for sig in TERM HUP; do
	fake sigint
	drive_bg fk auth
	wait_out '^ERROR: Waiting up to' 10
	sleep 0.3
	kill -$sig "$pid"
	wait "$pid"
	check "SIG$sig: cancelled" sh -c "grep -q '^ERROR: Cancelled.$' '$T/out' && grep -q '^RESULT: PAM_AUTH_ERR$' '$T/out'"
done

# A Ctrl-C given while the final answer is read wins over that answer:
# denied and cancelled, even when the answer says "approved". strace holds
# each send 300 ms (the answer is complete before the module's first recv)
# and raises SIGINT on entry to every recvfrom, so the signal is pending,
# blocked, while the approval is read (deterministic, no race). The
# application's own handlers (sudo-like) keep the process alive for the
# SIGINTs raised before the wait.
if command -v strace >/dev/null 2>&1; then
	cat > "$T/stracedrive" <<EOF
#!/bin/sh
# LeakSanitizer cannot run under ptrace
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -qq -o /dev/null -e trace=sendto,recvfrom \\
	-e inject=sendto:delay_exit=300ms -e inject=recvfrom:signal=SIGINT \\
	"$PAMDRIVE" "\$@"
EOF
	chmod 755 "$T/stracedrive"
	fake approve_now
	service fk "auth required $MODULE url=$URL token_file=$TOKEN"
	real_drive=$PAMDRIVE
	PAMDRIVE=$T/stracedrive
	drive fk auth --app-signals
	PAMDRIVE=$real_drive
	check "SIGINT with the approval in one turn: denied" result PAM_AUTH_ERR
	check "SIGINT with the approval in one turn: told" has '^ERROR: Cancelled.$'
	check "SIGINT with the approval in one turn: not shown as approved" \
		sh -c "! grep -q '^INFO: Approved' '$T/out'"
	check "SIGINT with the approval in one turn: cancel sent" \
		logged '^POST /v1/requests/.*/cancel$'
else
	echo "# SKIP: no strace: the SIGINT-with-approval test did not run"
fi

# sudo retries pam_authenticate on one handle: one request, one answer
fake deny
service fk "auth required $MODULE url=$URL token_file=$TOKEN" \
	"auth required $MODULE url=$URL token_file=$TOKEN"
drive fk auth
check "retry on one handle: denied" result PAM_AUTH_ERR
check "retry on one handle: one request filed" logcount '^POST /v1/requests$' 1

# auth and account stacks in one transaction: asked once
fake approve
service fk "auth required $MODULE url=$URL token_file=$TOKEN" \
	"account required $MODULE url=$URL token_file=$TOKEN"
drive fk both
check "auth+account: success" result PAM_SUCCESS
check "auth+account: one request filed" logcount '^POST /v1/requests$' 1

# a wrong token is refused by the server: denied, never open
printf 'aph_wrong\n' > "$T/token2"
chmod 600 "$T/token2"
fake approve
service fk "auth required $MODULE url=$URL token_file=$T/token2 failmode=open"
drive fk auth
check "rejected token: denied" result PAM_AUTH_ERR

# --- HTTPS: the module's ca= is the only trust anchor ----------------------
if command -v openssl >/dev/null 2>&1; then
	(
		cd "$T" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
			-keyout ca.key -out ca.pem
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
			-keyout srv.key -out srv.csr
		printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 2 -extfile srv.ext -out srv.pem
	) > "$T/openssl.log" 2>&1
	python3 "$FAKE" "$T/mode" "$T/tlsport" "$LOG" "$TOKEN_VALUE" \
		"$T/srv.pem" "$T/srv.key" 2>> "$T/err.fake" &
	TPID=$!
	trap 'kill "$FPID" "$TPID" 2>/dev/null; rm -rf "$T"' EXIT
	i=0
	while [ ! -s "$T/tlsport" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	TPORT=$(cat "$T/tlsport")
	tls() {	# tls MODE URL [MODULE ARGS]
		fake "$1"
		service fk "auth required $MODULE url=$2 token_file=$TOKEN $3"
		drive fk auth
	}
	tls approve "https://127.0.0.1:$TPORT" "ca=$T/ca.pem"
	check "https with ca=: approved" result PAM_SUCCESS
	tls approve "https://localhost:$TPORT" "ca=$T/ca.pem failmode=open"
	check "https, certificate for another name: denied, not failed open" \
		result PAM_AUTH_ERR
	check "https, wrong name: service error shown" \
		has '^ERROR: Approval service error; access denied.$'
	tls approve "https://127.0.0.1:$TPORT" "failmode=open"
	check "https without ca= (system bundle only): denied" result PAM_AUTH_ERR
	tls approve "https://127.0.0.1:$TPORT" "ca=$T/srv.key failmode=open"
	check "https with a ca= that holds no certificate: denied" result PAM_AUTH_ERR
	check "https with a bad ca=: no request reached the server" \
		sh -c "! grep -q '^POST' '$LOG'"
	tls approve "http://127.0.0.1:$TPORT" "failmode=open"
	check "plain http to a high port: denied, not failed open" result PAM_AUTH_ERR
	check "plain http to a high port: refused before connecting" \
		sh -c "! grep -q '^POST' '$LOG'"

	# A peer reset while the TLS handshake writes: the kernel answers that
	# write with EPIPE and raises SIGPIPE, which would kill su. strace
	# makes exactly that happen at the module's first write to its TCP
	# socket (the ClientHello, inside SSL_connect; its index is taken from
	# a traced run first). The process must survive and deny.
	if command -v strace >/dev/null 2>&1; then
		fake approve
		service fk "auth required $MODULE url=https://127.0.0.1:$TPORT token_file=$TOKEN ca=$T/ca.pem failmode=open"
		real_drive=$PAMDRIVE
		cat > "$T/tracedrive" <<EOF
#!/bin/sh
# LeakSanitizer cannot run under ptrace
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -qq -y -o "$T/writes" -e trace=write "$real_drive" "\$@"
EOF
		chmod 755 "$T/tracedrive"
		# The index of the first socket write can shift between runs (a
		# busy machine changes what else is written first): a run counts
		# only when strace shows that the injected write was the socket's;
		# otherwise both runs are made again (at most 5 times).
		hit=
		for attempt in 1 2 3 4 5; do
			PAMDRIVE=$T/tracedrive
			drive fk auth
			nth=$(grep -n '^[0-9]* *write([0-9]*<socket:' "$T/writes" | head -n 1 | cut -d: -f1)
			cat > "$T/pipedrive" <<EOF
#!/bin/sh
# LeakSanitizer cannot run under ptrace
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -qq -y -o "$T/injected" -e trace=write \\
	-e inject=write:error=EPIPE:signal=SIGPIPE:when=${nth:-1} "$real_drive" "\$@"
EOF
			chmod 755 "$T/pipedrive"
			PAMDRIVE=$T/pipedrive
			drive fk auth
			PAMDRIVE=$real_drive
			if grep -q '^[0-9]* *write([0-9]*<socket:.*(INJECTED)' "$T/injected"; then
				hit=1
				break
			fi
			note "attempt $attempt: the injected write was not the socket's; again"
		done
		check "TLS write meets a reset peer: the injected EPIPE hit the socket write" [ -n "$hit" ]
		check "TLS write meets a reset peer: no death by SIGPIPE" sh -c "grep -q '^RESULT: ' '$T/out'"
		check "TLS write meets a reset peer: denied" result PAM_AUTH_ERR
	else
		echo "# SKIP: no strace: the SIGPIPE test did not run"
	fi
fi

finish
