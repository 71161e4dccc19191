#!/bin/sh
# test_pam_failopen.sh PAMDRIVE MODULE: failmode=open is honoured only on a
# definite "nothing is there" (refused or no route on every address), never
# on a timeout. The real pam_approve.so under pam_wrapper against
# blackhole.py (a listener whose accept queue is full, so SYNs are dropped):
#  1. the requester SIGSTOPs the module during each connect (create and the
#     fail-open probe) and resumes it past every deadline: denied; and when
#     the daemon accepted while the module was stopped, the module still
#     looks at its connection once and uses it (no false "timeout");
#  2. a full accept queue (a daemon at its connection limit): denied;
#  3. a name resolving to [::1] (black hole) and 127.0.0.1 (refused), with a
#     private /etc/hosts in a mount namespace: a timeout on one address is
#     no proof, denied (refused on both: allowed); and a resolver that never
#     answers (EAI_AGAIN, what a stop during the lookup also gives): denied.
# Each case runs again with breakglass= (offline break-glass codes) instead
# of failmode=open: the code prompt follows the same proof, so where
# failmode=open is denied no code is even asked for, and where it allows
# the code is asked for and lets the elevation in.
# Only the url= lines name the transport (https to a literal address or a
# name, never reaching TLS). Root only (pamlib.sh); part 3 needs unshare.
PAMDRIVE=$1
MODULE=$2
. "$(dirname "$0")/pamlib.sh"
HOLE=$(dirname "$(readlink -f "$0")")/blackhole.py
CA=/etc/ssl/certs/ca-certificates.crt
HOLD=4		# seconds stopped: past timeout=2 and the 2 s probe

# hole MODE ADDR...: start blackhole.py; its port in $HPORT, pid in $HPID
hole() {
	mode=$1
	shift
	rm -f "$T/hport" "$T/dpid"
	: > "$T/hole.log"
	python3 "$HOLE" "$mode" "$T/hport" "$T/dpid" "$T/hole.log" "$HOLD" "$@" \
		2>> "$T/err.hole" &
	HPID=$!
	i=0
	while [ ! -s "$T/hport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	HPORT=$(cat "$T/hport" 2>/dev/null)
	[ -n "$HPORT" ] || { echo "Bail out! blackhole.py did not start"; exit 1; }
}
unhole() {
	kill "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	cat "$T/hole.log" >> "$T/err"
}
# the run's pid for blackhole.py, then wait for the run
drive_hole() {
	drive_bg "$@"
	echo "$pid" > "$T/dpid"
	wait "$pid"
	rc=$?
}
# drive_ns NAME OP: drive, in a private mount namespace whose /etc/hosts is
# $T/hosts and, when $T/resolv.conf exists, whose /etc/resolv.conf is that
# (the real /etc is never touched)
drive_ns() {
	[ -f "$T/err" ] && cat "$T/err" >> "$T/err.all"
	# shellcheck disable=SC2086,SC2016  # SAN_ENV: assignments; $0 is for sh -c
	unshare -m sh -c 'mount --make-rprivate / && mount --bind "$0/hosts" /etc/hosts &&
		{ [ ! -f "$0/resolv.conf" ] || mount --bind "$0/resolv.conf" /etc/resolv.conf; } &&
		exec "$@"' "$T" env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" $SAN_ENV ${EXTRA_ENV:-} \
		"$PAMDRIVE" --service "$1" --user root --op "$2" ${3:+--answer "$3"} \
		> "$T/out" 2> "$T/err" < /dev/null
	rc=$?
}
# a run the helper left stopped must not outlive the test
trap 'kill "$HPID" 2>/dev/null; [ -z "${pid:-}" ] || kill -CONT "$pid" 2>/dev/null
	rm -rf "$T"' EXIT
denied() { result PAM_AUTH_ERR && ! has 'allowed without approval'; }
logged() { grep -q -- "$1" "$T/hole.log"; }
# the module's syslog lines down to LOG_WARNING (pam_wrapper prints them
# on stderr at this debug level)
EXTRA_ENV=PAM_WRAPPER_DEBUGLEVEL=1
errlog() { grep -q -- "$1" "$T/err"; }

open_svc() {
	service fo "auth required $MODULE url=$1 ca=$CA token_file=$TOKEN timeout=2 failmode=open"
}

# A sound code file (docs/policy.md: sha256 over the tag, its NUL, the salt
# and the code) with unused codes BGCODE1, BGCODE2; bg_svc URL: the module
# with it instead of failmode=open.
BGCODE1=ABCDE-FGHJK-MNPQR-STVWX-YZ012
BGCODE2=ZYXWV-TSRQP-NMKJH-GFEDC-BA987
BGSALT=00112233445566778899aabbccddeeff
bg_hash() { printf 'approve-breakglass-v1\000%s%s' "$BGSALT" "$(printf %s "$1" | tr -d -)" | sha256sum | cut -d' ' -f1; }
printf 'approve-breakglass 1\nfailures 0 0\ncode BG-TESTC0DE web1 1700000000 %s %s unused\ncode BG-TESTC0D2 web1 1700000000 %s %s unused\n' \
	"$BGSALT" "$(bg_hash "$BGCODE1")" "$BGSALT" "$(bg_hash "$BGCODE2")" > "$T/codes"
chmod 0600 "$T/codes"
bg_svc() {
	service fb "auth required $MODULE url=$1 ca=$CA token_file=$TOKEN timeout=2 breakglass=$T/codes"
}
not_offered() { denied && ! has '^PROMPT:' && grep -q ' unused$' "$T/codes"; }

# --- 1. stopped process ------------------------------------------------
hole stop 127.0.0.1
open_svc "https://127.0.0.1:$HPORT"
drive_hole fo auth
check "stopped during each connect, failmode=open: denied" denied
check "stopped: the helper did stop it" logged '^stopped '
check "stopped: told unreachable/denied" has '^ERROR: Approval service unreachable; access denied.$'
check "stopped: the reason is logged (a timeout is no proof)" errlog "failmode=open not honoured"
unhole
hole stop 127.0.0.1
bg_svc "https://127.0.0.1:$HPORT"
drive_hole fb auth --answer "$BGCODE1"
check "stopped during each connect, breakglass=: no code asked for, denied" not_offered
check "stopped, breakglass=: the reason is logged" errlog "break-glass not offered"
unhole

hole stop-accept 127.0.0.1
open_svc "https://127.0.0.1:$HPORT"
drive_hole fo auth
check "stopped, daemon accepted meanwhile: denied" denied
check "stopped, daemon accepted meanwhile: the module used its connection after resuming" \
	grep -Eq '^conn [1-9]' "$T/hole.log"
unhole

# --- 2. full accept queue ---------------------------------------------
hole hold 127.0.0.1
open_svc "https://127.0.0.1:$HPORT"
drive fo auth
check "full accept queue, failmode=open: denied" denied
check "full accept queue: told unreachable/denied" has '^ERROR: Approval service unreachable; access denied.$'
check "full accept queue: logged, the connect timed out" errlog "Connection timed out"
unhole
hole hold 127.0.0.1
bg_svc "https://127.0.0.1:$HPORT"
drive fb auth --answer "$BGCODE1"
check "full accept queue, breakglass=: no code asked for, denied" not_offered
unhole

# the same queue, failmode=closed: denied as always
hole hold 127.0.0.1
service fc "auth required $MODULE url=https://127.0.0.1:$HPORT ca=$CA token_file=$TOKEN timeout=2"
drive fc auth
check "full accept queue, failmode=closed: denied" denied
unhole

# --- 3. first address black-holed, the second refused ------------------
if unshare -m true 2>/dev/null; then
	printf '::1 approvald-dual.test\n127.0.0.1 approvald-dual.test\n' > "$T/hosts"
	hole hold ::1 -127.0.0.1
	open_svc "https://approvald-dual.test:$HPORT"
	drive_ns fo auth
	check "[::1] black hole + 127.0.0.1 refused, failmode=open: denied" denied
	check "dual: told unreachable/denied" has '^ERROR: Approval service unreachable; access denied.$'
	check "dual: both addresses were tried" \
		errlog "\[::1\]:$HPORT: Connection timed out; 127.0.0.1:$HPORT: Connection refused"
	unhole
	hole hold ::1 -127.0.0.1
	bg_svc "https://approvald-dual.test:$HPORT"
	drive_ns fb auth "$BGCODE1"
	check "[::1] black hole + 127.0.0.1 refused, breakglass=: no code asked for, denied" not_offered
	unhole
	# both refused: a definite answer on every address, failmode=open allows
	hole hold -::1 -127.0.0.1
	open_svc "https://approvald-dual.test:$HPORT"
	drive_ns fo auth
	check "[::1] and 127.0.0.1 both refused, failmode=open: allowed" result PAM_SUCCESS
	check "both refused: loudly shown" has '^ERROR: WARNING: approval service unreachable; allowed without approval (failmode=open).$'
	unhole
	hole hold -::1 -127.0.0.1
	bg_svc "https://approvald-dual.test:$HPORT"
	drive_ns fb auth "$BGCODE1"
	check "[::1] and 127.0.0.1 both refused, breakglass=: the code lets it in" result PAM_SUCCESS
	check "both refused, breakglass=: the code was asked for" has '^PROMPT: Break-glass code'
	check "both refused, breakglass=: the code is used now" grep -q '^code BG-TESTC0DE .* used ' "$T/codes"
	unhole
	# a resolver that never answers (stopped or not, the lookup runs out):
	# EAI_AGAIN is no proof either, for the create call or for the probe
	printf 'nameserver 127.0.0.77\noptions timeout:1 attempts:1\n' > "$T/resolv.conf"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.77", 53))
open(sys.argv[1], "w").write("up\n")
while True:
    s.recv(4096)
' "$T/dns.up" 2>> "$T/err.hole" &
	HPID=$!
	i=0
	while [ ! -s "$T/dns.up" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	open_svc "https://approvald-hang.example:8443"
	drive_ns fo auth
	check "silent resolver, failmode=open: denied" denied
	check "silent resolver: logged as a name resolution failure" \
		errlog "approvald-hang.example: Temporary failure in name resolution"
	bg_svc "https://approvald-hang.example:8443"
	drive_ns fb auth "$BGCODE2"
	check "silent resolver, breakglass=: no code asked for, denied" \
		sh -c "grep -q '^RESULT: PAM_AUTH_ERR' '$T/out' && ! grep -q '^PROMPT:' '$T/out' && grep -q '^code BG-TESTC0D2 .* unused\$' '$T/codes'"
	kill "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	rm -f "$T/resolv.conf"
else
	echo "# unshare -m not permitted: part 3 not run"
fi

finish
