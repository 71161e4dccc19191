# shellcheck shell=bash
# tests/lib/harness.sh: the shared harness of the integration and e2e tests.
# Source it first thing in a test script (bash). It owns:
#   - strict mode, a per-test temp dir $T and one EXIT trap that stops every
#     process the test started (pamdrive, fake servers, approvald, PostgreSQL),
#     runs the test's own cleanup hooks (on_exit) and removes $T, also when
#     the test fails or is interrupted;
#   - db_start: a throwaway PostgreSQL (tests/lib/pg.sh) with the schema;
#   - approvald_start/stop/restart on a Unix socket ($APPROVALD_SOCK, the
#     module's and approvalctl's transport: $APPROVALD_UNIX_URL) and on
#     127.0.0.1 and a free port ($APPROVALD_URL, for curl and browsers);
#   - mk_host, mk_approver (root-owned 0600 token files under $T);
#   - pam_service + run_pamdrive: the real module under libpamtest/pam_wrapper;
#   - wait helpers, the PAM and HTTP assertions and a raw HTTP helper
#     (curl); the generic assertions are tests/lib/assert.sh's.
# Binaries come from the environment meson sets (APPROVALD, APPROVALCTL,
# PAMDRIVE, PAM_MODULE, LOADGEN, SRCDIR, BUILDDIR, SANITIZE); when a script is run by
# hand they default to the build dir "build" of the source tree.
# Exit status: 0 pass, 1 fail, 77 skip (only when a test is truly impossible).

# shellcheck disable=SC2034,SC2119,SC2120  # a library: its globals are for the tests
set -Eeuo pipefail
shopt -s inherit_errexit

SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR/build}
APPROVALD=${APPROVALD:-$BUILDDIR/approvald/approvald}
APPROVALCTL=${APPROVALCTL:-$BUILDDIR/approvalctl/approvalctl}
PAMDRIVE=${PAMDRIVE:-$BUILDDIR/tests/pam/pamdrive}
PAM_MODULE=${PAM_MODULE:-$BUILDDIR/pam_approve/pam_approve.so}
LOADGEN=${LOADGEN:-$BUILDDIR/bench/loadgen}
SANITIZE=${SANITIZE:-none}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
export SRCDIR BUILDDIR APPROVALD APPROVALCTL PAMDRIVE PAM_MODULE SANITIZE
# approvalctl must see only what a test passes on its command line
unset APPROVALCTL_DATABASE APPROVALCTL_URL APPROVALCTL_TOKEN

# shellcheck source=tests/lib/pg.sh
. "$SRCDIR/tests/lib/pg.sh"

# A request code as approvald prints it (common/code.h alphabet).
CODE_RE='[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}'

_H_PIDS=()		# background processes to kill on exit
_H_HOOKS=()		# test cleanup commands, run last-in first-out
_H_FAILED=0
APPROVALD_PID=
APPROVALD_PORT=
_H_APPROVALD_CONF=()

T=$(mktemp -d "${TMPDIR:-/tmp}/approve-$TEST_NAME.XXXXXX")
# PostgreSQL runs as "postgres" when we are root: it must reach $T/pg.
chmod 0711 "$T"
mkdir -p "$T/pam.d"
# approvald's socket: the module checks every directory of its path (owned
# by root or the server user, not writable by others; /tmp above passes as
# a root-owned sticky ancestor)
mkdir -m 0711 "$T/run"
APPROVALD_SOCK=$T/run/approvald.sock
APPROVALD_UNIX_URL=unix:$APPROVALD_SOCK
export APPROVALD_SOCK APPROVALD_UNIX_URL
# approvalctl trusts a socket served by root or this user (not root: the
# tests' approvald runs as the caller)
[ "$(id -u)" = 0 ] || export APPROVALCTL_SERVER_USER="$(id -un)"

# --- messages and failure --------------------------------------------------

ASSERT_DIR=$T
# shellcheck source=tests/lib/assert.sh
. "$SRCDIR/tests/lib/assert.sh"
assert_on_fail() { _h_dump; }

# Print everything that helps to understand a failure, once.
_h_dump() {
	local f
	[ "$_H_FAILED" = 1 ] || [ -e "$T/.dumped" ] && return 0
	_H_FAILED=1
	: >"$T/.dumped"	# also seen by the parent when this runs in $(...)
	for f in "$T"/*.out "$T/approvald.log" "$T/fake"*.log; do
		[ -s "$f" ] || continue
		printf '%s\n' "--- ${f#"$T"/} (last 40 lines) ---" >&2
		tail -n 40 "$f" >&2
	done
	if [ -f "$T/pg/postgres.log" ]; then
		grep -E 'ERROR|FATAL|PANIC' "$T/pg/postgres.log" | tail -n 10 >&2 || true
	fi
	return 0
}

# An unhandled failing command. Reported by the main shell only (a failed
# background job is reported by whoever waits for it); the first report
# names the command, the next ones (the calling functions, as errexit
# unwinds) are the stack.
_H_ERR_SEEN=0
_h_err() {
	local rc=$1 line=$2 cmd=$3
	[ "$BASHPID" = "$$" ] || return 0
	if [ "$_H_ERR_SEEN" = 0 ]; then
		_H_ERR_SEEN=1
		printf 'FAIL: %s: line %s: command exited %s: %s\n' "$TEST_NAME" "$line" "$rc" "$cmd" >&2
	else
		printf '  from line %s: %s\n' "$line" "$cmd" >&2
	fi
	_h_dump
}
trap '_h_err $? $LINENO "$BASH_COMMAND"' ERR

# --- cleanup ----------------------------------------------------------------

on_exit() { _H_HOOKS+=("$*"); }

_h_kill() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

_h_cleanup() {
	local rc=$? i pid
	trap - ERR
	rc=$(assert_exit_status "$rc")
	# Finish the cleanup whatever happens to our output or terminal now.
	trap '' PIPE INT TERM HUP
	set +e
	for pid in "${_H_PIDS[@]}"; do _h_kill "$pid"; done
	for i in "$T"/fake-*.pid; do [ -f "$i" ] && _h_kill "$(cat "$i")"; done
	if [ -n "$APPROVALD_PID" ]; then
		approvald_stop --any
		# A leak or sanitizer report at shutdown fails an otherwise good test.
		if [ "$rc" = 0 ] && [ "$_H_APPROVALD_RC" != 0 ]; then
			printf 'FAIL: %s: approvald exited %s at shutdown\n' "$TEST_NAME" "$_H_APPROVALD_RC" >&2
			rc=1
		fi
	fi
	if [ "$rc" = 0 ] && [ -f "$T/approvald.log" ] &&
	   grep -qE 'runtime error:|ERROR: (Address|Leak|Undefined)Sanitizer' "$T/approvald.log"; then
		printf 'FAIL: %s: sanitizer report in approvald.log\n' "$TEST_NAME" >&2
		rc=1
	fi
	[ "$rc" != 0 ] && [ "$rc" != 77 ] && _h_dump
	pg_stop "$T/pg" 2>/dev/null
	# A cleanup step that fails (something left behind) fails the test.
	for ((i = ${#_H_HOOKS[@]} - 1; i >= 0; i--)); do
		if ! eval "${_H_HOOKS[i]}"; then
			printf 'FAIL: %s: cleanup step failed: %s\n' "$TEST_NAME" "${_H_HOOKS[i]}" >&2
			[ "$rc" = 0 ] || [ "$rc" = 77 ] && rc=1
		fi
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		note "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _h_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# --- requirements -----------------------------------------------------------

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "missing tool $c (scripts/deps.sh installs it)"
	done
}

need_built() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || fail "not built: $f (meson compile -C $BUILDDIR)"
	done
}

# The module refuses a token file that root does not own (by design), so
# the tests that load it need root.
need_root() {
	[ "$(id -u)" = 0 ] || skip "${1:-needs root}"
}

need_cmd curl jq perl python3
need_built "$APPROVALD" "$APPROVALCTL"

# --- PostgreSQL -------------------------------------------------------------

# initdb is the slowest part of a test (seconds on a busy machine), so the
# first test makes a pristine cluster once, under a private cache directory
# keyed by the PostgreSQL version, and every test starts from a copy of it.
# Only initdb's output is shared; each test migrates its own copy.
_h_pg_template() {
	local cache ver tpl tmp
	cache="${TMPDIR:-/tmp}/approve-test-cache-$(id -u)"
	ver=$("$PG_BINDIR/initdb" --version | tr -c 'A-Za-z0-9.\n' _)
	tpl="$cache/pg-$ver-$PG_DBNAME"
	if [ ! -d "$cache" ]; then
		mkdir -m 0711 "$cache" 2>/dev/null || true
	fi
	[ -d "$cache" ] && [ ! -L "$cache" ] && [ -O "$cache" ] || return 1
	if [ ! -d "$tpl/data" ]; then
		(
			flock 9
			[ -d "$tpl/data" ] && exit 0
			rm -rf "$tpl"
			tmp=$(mktemp -d "$cache/tmp.XXXXXX")
			chmod 0711 "$tmp"
			[ "$(id -u)" = 0 ] && chown postgres "$tmp"
			# initdb, start, create the (empty) database, stop cleanly
			pg_start "$tmp" >/dev/null || { rm -rf "$tmp"; exit 1; }
			_pg_as_owner "'$PG_BINDIR/pg_ctl' -D '$tmp/data' -m fast -w -t 60 stop >/dev/null" ||
				{ rm -rf "$tmp"; exit 1; }
			mv "$tmp" "$tpl"
		) 9>"$cache/lock" || return 1
	fi
	echo "$tpl"
}

# Start a throwaway cluster under $T/pg and apply the migrations.
db_start() {
	local tpl
	if tpl=$(_h_pg_template); then
		mkdir -p "$T/pg"
		cp -a "$tpl/data" "$T/pg/data"
		rm -f "$T/pg/data/postmaster.pid"
	fi
	pg_start "$T/pg" >/dev/null || fail "pg_start failed"
	actl_admin migrate >"$T/migrate.out" 2>&1 || { cat "$T/migrate.out" >&2; fail "approvalctl migrate failed"; }
}

# SQL as the superuser; prints unaligned tuples.
sql() { pg_psql -c "$1"; }

# The server logs every statement to $T/pg/postgres.log, each line
# prefixed "USER SESSION " (log_statement = all, log_line_prefix '%u %c ').
pg_log_statements() {
	sql "ALTER SYSTEM SET log_statement = 'all'" >/dev/null
	sql "ALTER SYSTEM SET log_line_prefix = '%u %c '" >/dev/null
	sql "SELECT pg_catalog.pg_reload_conf()" >/dev/null
}

# Field of a request by code, read straight from the database.
req_field() { sql "SELECT $2 FROM approval.requests WHERE code = '$1'"; }
req_status() { req_field "$1" status; }
req_count() { sql "SELECT count(*) FROM approval.requests"; }

# --- approvald --------------------------------------------------------------

# approvald_start [key=value...]: write $T/approvald.conf (database as the
# application role, listen on $APPROVALD_SOCK and on 127.0.0.1 and a free
# port, unless restarting on the same one; listen=... overrides both) and
# wait for the port file and /healthz on both. Exports APPROVALD_URL (TCP).
approvald_start() {
	local kv k i port
	local -A conf=(
		[database]="$PG_APP_CONNINFO"
		[public_url]="http://approvald.test"
		[request_ttl]=600
		[pool_size]=2
	)
	[ $# -gt 0 ] && _H_APPROVALD_CONF=("$@")
	conf[listen]="unix:$APPROVALD_SOCK, 127.0.0.1:${APPROVALD_PORT:-0}"
	for kv in "${_H_APPROVALD_CONF[@]}"; do
		conf[${kv%%=*}]=${kv#*=}
	done
	: >"$T/approvald.conf"
	for k in "${!conf[@]}"; do
		printf '%s = %s\n' "$k" "${conf[$k]}" >>"$T/approvald.conf"
	done
	# On a restart the port is fixed; a just-closed socket may need a moment.
	for ((i = 0; i < 20; i++)); do
		rm -f "$T/approvald.port"
		echo "--- start $(date +%T.%N)" >>"$T/approvald.log"
		"$APPROVALD" --config "$T/approvald.conf" --port-file "$T/approvald.port" >>"$T/approvald.log" 2>&1 &
		APPROVALD_PID=$!
		if _h_wait_port; then break; fi
		wait "$APPROVALD_PID" 2>/dev/null || true
		APPROVALD_PID=
		[ -n "$APPROVALD_PORT" ] || fail "approvald did not start"
		sleep 0.25
	done
	[ -n "$APPROVALD_PID" ] || fail "approvald did not start on port $APPROVALD_PORT"
	port=$(cat "$T/approvald.port")
	[[ "$port" =~ ^[0-9]+$ ]] || fail "approvald wrote a bad port file: '$port'"
	APPROVALD_PORT=$port
	export APPROVALD_URL="http://127.0.0.1:$port"
	if [ "$port" != 0 ]; then
		wait_until 20 curl -fsS -o /dev/null --max-time 2 "$APPROVALD_URL/healthz" ||
			fail "approvald /healthz did not answer on $APPROVALD_URL"
	fi
	if [[ "${conf[listen]}" == *"unix:$APPROVALD_SOCK"* ]]; then
		wait_until 20 curl -fsS -o /dev/null --max-time 2 --unix-socket "$APPROVALD_SOCK" \
			http://localhost/healthz ||
			fail "approvald /healthz did not answer on $APPROVALD_UNIX_URL"
	fi
}

# 0 once the port file has a number; 1 if approvald exited first.
_h_wait_port() {
	local i
	for ((i = 0; i < 300; i++)); do
		if [ -s "$T/approvald.port" ] && grep -qE '^[0-9]+$' "$T/approvald.port"; then
			return 0
		fi
		kill -0 "$APPROVALD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	fail "approvald wrote no port file in 30 s"
}

# approvald_stop [--any]: SIGTERM and wait; a clean shutdown is exit 0
# (docs/api.md), checked unless --any.
_H_APPROVALD_RC=0
approvald_stop() {
	local pid=$APPROVALD_PID i
	[ -n "$pid" ] || return 0
	APPROVALD_PID=
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		_H_APPROVALD_RC=137
		[ "${1:-}" = --any ] || fail "approvald did not stop within 15 s of SIGTERM"
		return 0
	fi
	_H_APPROVALD_RC=0
	wait "$pid" 2>/dev/null || _H_APPROVALD_RC=$?
	if [ "${1:-}" != --any ] && [ "$_H_APPROVALD_RC" != 0 ]; then
		fail "approvald exited $_H_APPROVALD_RC on SIGTERM (expected 0)"
	fi
	return 0
}

# Restart on the same port with the same configuration (clients keep
# their url=).
approvald_restart() {
	approvald_stop
	approvald_start
}

# --- identities -------------------------------------------------------------

actl_admin() { "$APPROVALCTL" --database "$PG_SUPER_CONNINFO" "$@"; }

# actl LOGIN ARGS...: approvalctl as approver LOGIN (mk_approver first).
actl() {
	local login=$1
	shift
	"$APPROVALCTL" --url "$APPROVALD_UNIX_URL" --token-file "$T/approver-$login.token" "$@"
}

_h_token_file() {
	local file=$1 tok=$2
	( umask 077; printf '%s\n' "$tok" >"$file" )
	chmod 0600 "$file"
	[ "$(id -u)" = 0 ] && chown root:root "$file"
	return 0
}

# mk_host NAME: register a host; its token goes to $T/host-NAME.token
# (root-owned, 0600, as the module requires).
mk_host() {
	local tok
	tok=$(actl_admin host add "$1" 2>>"$T/admin.log") || fail "approvalctl host add $1 failed"
	[[ "$tok" =~ ^aph_[A-Za-z0-9_-]+$ ]] || fail "host add printed '$tok', not a host token"
	_h_token_file "$T/host-$1.token" "$tok"
}
host_token() { cat "$T/host-$1.token"; }

# mk_approver LOGIN UNIXLOGIN...: an approver with an API token in
# $T/approver-LOGIN.token.
mk_approver() {
	local login=$1 u tok
	local args=()
	shift
	for u in "$@"; do args+=(--unix-login "$u"); done
	tok=$(actl_admin approver add "$login" "${args[@]}" 2>>"$T/admin.log") || fail "approvalctl approver add $login failed"
	[[ "$tok" =~ ^apa_[A-Za-z0-9_-]+$ ]] || fail "approver add printed '$tok', not an API token"
	_h_token_file "$T/approver-$login.token" "$tok"
}

# standard_setup [approvald key=value...]: what most tests start from: the
# database, approvald, host web1 and approver carol (unix login carol).
standard_setup() {
	db_start
	approvald_start "$@"
	mk_host web1
	mk_approver carol carol
}

# --- the module under pam_wrapper -------------------------------------------

# pam_service NAME [--stack auth|account|both] [--host H] [module args...]
# Writes $T/pam.d/NAME. url= and token_file= default to the running
# approvald's Unix socket and host H (default web1) unless given in the args.
pam_service() {
	local name=$1 stack=both host=web1 a
	local args=() have_url=0 have_tok=0
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--stack) stack=$2; shift 2 ;;
		--host) host=$2; shift 2 ;;
		*)
			case $1 in url=*) have_url=1 ;; token_file=*) have_tok=1 ;; esac
			args+=("$1"); shift ;;
		esac
	done
	[ -e "$T/pam.d/other" ] || _h_pam_other
	[ $have_url = 1 ] || args=("url=${APPROVALD_UNIX_URL:?no approvald: pass url=}" "${args[@]}")
	[ $have_tok = 1 ] || args+=("token_file=$T/host-$host.token")
	: >"$T/pam.d/$name"
	for a in auth account; do
		case $stack in
		both | "$a") printf '%s\trequired\t%s %s\n' "$a" "$PAM_MODULE" "${args[*]}" >>"$T/pam.d/$name" ;;
		esac
	done
	[ -s "$T/pam.d/$name" ] || fail "pam_service: bad --stack $stack"
}

# libpam reads "other" too; without it pam_wrapper logs an error line.
_h_pam_other() {
	local deny
	deny=$(ls /lib/*/security/pam_deny.so /usr/lib/*/security/pam_deny.so 2>/dev/null | head -n 1) || true
	: >"$T/pam.d/other"
	[ -n "$deny" ] || return 0
	printf '%s\trequired\t%s\n' auth "$deny" account "$deny" password "$deny" session "$deny" >"$T/pam.d/other"
}

# run_pamdrive OUTNAME PAMDRIVE-ARGS...: start the libpamtest driver in the
# background (SIGINT at its default disposition, as in a terminal), output in
# $T/OUTNAME.out; sets PAMDRIVE_PID.
run_pamdrive() {
	local out=$1
	shift
	need_built "$PAMDRIVE" "$PAM_MODULE"
	local env=(LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 "PAM_WRAPPER_SERVICE_DIR=$T/pam.d")
	# Under sanitizers pam_wrapper must not dlopen with RTLD_DEEPBIND; Debian's
	# pam_wrapper 1.1.4 reads that switch as UID_WRAPPER_DISABLE_DEEPBIND (an
	# upstream slip), later versions as PAM_WRAPPER_DISABLE_DEEPBIND.
	if [ "$SANITIZE" != none ]; then
		env+=(PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
			"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	fi
	perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
		env "${env[@]}" "$PAMDRIVE" "$@" >"$T/$out.out" 2>&1 &
	PAMDRIVE_PID=$!
	_H_PIDS+=("$PAMDRIVE_PID")
}

# wait_pid PID TIMEOUT: wait for a background job of this shell; sets
# WAIT_RC; fails the test if it is still running after TIMEOUT seconds.
wait_pid() {
	local pid=$1 timeout=$2 i
	for ((i = 0; i < timeout * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && fail "pid $pid still running after ${timeout}s"
	WAIT_RC=0
	wait "$pid" || WAIT_RC=$?
}

# pamdrive_wait PID TIMEOUT: the same for pamdrive; sets PAMDRIVE_RC.
pamdrive_wait() {
	wait_pid "$@"
	PAMDRIVE_RC=$WAIT_RC
}

# start_waiter OUTNAME SERVICE [pamdrive args]: the module for user alice
# (account stack unless --op is given), until its request is pending and
# its long-poll is suspended in approvald; sets CODE and PAMDRIVE_PID.
start_waiter() {
	local out=$1 svc=$2
	shift 2
	local op=(--op account)
	[[ " $* " == *" --op "* ]] && op=()
	run_pamdrive "$out" --service "$svc" --user alice "${op[@]}" "$@"
	CODE=$(wait_for_code "$out")
	wait_for_waiters 1 20
}

# The PAM_xxx of a finished pamdrive's "RESULT:" line.
pam_result() { sed -n 's/^RESULT: \(PAM_[A-Z_]*\).*/\1/p' "$T/$1.out" | tail -n 1; }

# pamdrive_run OUTNAME TIMEOUT PAMDRIVE-ARGS...: run in the foreground.
pamdrive_run() {
	local out=$1 timeout=$2
	shift 2
	run_pamdrive "$out" "$@"
	pamdrive_wait "$PAMDRIVE_PID" "$timeout"
}

assert_pam() {	# OUTNAME PAM_xxx
	local got
	got=$(pam_result "$1")
	[ "$got" = "$2" ] || fail "pamdrive $1: expected $2, got '${got:-no RESULT line}' (exit $PAMDRIVE_RC)"
	if [ "$2" = PAM_SUCCESS ]; then
		[ "$PAMDRIVE_RC" = 0 ] || fail "pamdrive $1: PAM_SUCCESS but exit $PAMDRIVE_RC"
	else
		[ "$PAMDRIVE_RC" != 0 ] || fail "pamdrive $1: $2 but exit 0"
	fi
	ok "pamdrive $1: $2"
}

# A failure of any kind, but a proper one (a RESULT line, not a crash).
assert_pam_denied() {
	local got
	got=$(pam_result "$1")
	[ -n "$got" ] || fail "pamdrive $1: no RESULT line (exit $PAMDRIVE_RC, crashed?)"
	[ "$got" != PAM_SUCCESS ] || fail "pamdrive $1: expected a denial, got PAM_SUCCESS"
	[ "$got" != PAM_IGNORE ] || fail "pamdrive $1: expected a denial, got PAM_IGNORE"
	[ "$PAMDRIVE_RC" != 0 ] || fail "pamdrive $1: $got but exit 0"
	ok "pamdrive $1: denied ($got)"
}

# --- waiting ----------------------------------------------------------------

# wait_until TIMEOUT CMD...: poll CMD every 0.1 s; 1 on timeout.
wait_until() {
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# wait_for_line FILE REGEX TIMEOUT: print the first line matching REGEX.
wait_for_line() {
	local file=$1 re=$2 timeout=$3 i
	for ((i = 0; i < timeout * 20; i++)); do
		if [ -f "$file" ] && grep -m1 -E -- "$re" "$file"; then
			return 0
		fi
		sleep 0.05
	done
	fail "no line matching /$re/ in ${file#"$T"/} after ${timeout}s"
}

# wait_for_code OUTNAME [TIMEOUT]: the request code the module showed.
wait_for_code() {
	wait_for_line "$T/$1.out" "$CODE_RE" "${2:-20}" | grep -oE "$CODE_RE" | head -n 1
}

# wait_for_status CODE STATUS TIMEOUT (database truth).
wait_for_status() {
	wait_until "$3" _h_status_is "$1" "$2" ||
		fail "request $1: status '$(req_status "$1")' after ${3}s, expected $2"
}
_h_status_is() { [ "$(req_status "$1")" = "$2" ]; }

# wait_for_waiters N TIMEOUT: approvald reports at least N suspended waiters.
wait_for_waiters() {
	wait_until "$2" _h_waiters_ge "$1" ||
		fail "approvald never had $1 waiter(s) (metrics: $(curl -s --unix-socket "$APPROVALD_SOCK" http://localhost/metrics | grep -E '^approvald_waiters' || true))"
}
_h_waiters_ge() {
	local n
	n=$(curl -fsS --max-time 2 --unix-socket "$APPROVALD_SOCK" http://localhost/metrics | sed -n 's/^approvald_waiters[{ ].* \([0-9.]*\)$/\1/p; s/^approvald_waiters \([0-9.]*\)$/\1/p' | head -n 1)
	[ -n "$n" ] && [ "${n%.*}" -ge "$1" ]
}

now_ms() { date +%s%3N; }

# metric NAME: the value of one /metrics sample (NAME with its labels, as
# printed), 0 when absent.
metric() {
	curl -fsS --max-time 5 "$APPROVALD_URL/metrics" |
		awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}

# --- raw HTTP ---------------------------------------------------------------

# http METHOD PATH [--host NAME | --approver LOGIN | --bearer TOKEN]
#      [--json BODY | --body-file FILE] [--type CONTENT-TYPE | --no-type]
#      [--header H]... [--unix]
# (--unix: over $APPROVALD_SOCK instead of TCP)
# Sets HTTP_STATUS (000: no answer), HTTP_BODY, HTTP_HEADERS and
# HTTP_CURL_RC (curl's exit status); asserts nothing.
http() {
	local method=$1 path=$2 type=application/json body_set=0 base=$APPROVALD_URL
	local args=(-sS -o "$T/http.body" -D "$T/http.headers" -w '%{http_code}' --max-time 90 -X "$method")
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--host) args+=(-H "Authorization: Bearer $(host_token "$2")"); shift 2 ;;
		--approver) args+=(-H "Authorization: Bearer $(cat "$T/approver-$2.token")"); shift 2 ;;
		--bearer) args+=(-H "Authorization: Bearer $2"); shift 2 ;;
		--json) printf '%s' "$2" >"$T/http.req"; body_set=1; shift 2 ;;
		--body-file) cp "$2" "$T/http.req"; body_set=1; shift 2 ;;
		--type) type=$2; shift 2 ;;
		--no-type) type=; shift ;;
		--header) args+=(-H "$2"); shift 2 ;;
		--unix) args+=(--unix-socket "$APPROVALD_SOCK"); base=http://localhost; shift ;;
		*) fail "http: unknown option $1" ;;
		esac
	done
	if [ $body_set = 1 ]; then
		args+=(--data-binary "@$T/http.req")
		if [ -n "$type" ]; then args+=(-H "Content-Type: $type"); else args+=(-H "Content-Type:"); fi
	fi
	rm -f "$T/http.body" "$T/http.headers"
	HTTP_CURL_RC=0
	HTTP_STATUS=$(curl "${args[@]}" "$base$path" 2>"$T/http.err") || HTTP_CURL_RC=$?
	[ -n "$HTTP_STATUS" ] || HTTP_STATUS=000
	HTTP_BODY=$(cat "$T/http.body" 2>/dev/null || true)
	HTTP_HEADERS=$(cat "$T/http.headers" 2>/dev/null || true)
	_H_HTTP_WHAT="$method $path"
}

assert_status() {	# EXPECTED [WHAT]
	[ "$HTTP_STATUS" = "$1" ] ||
		fail "${2:-$_H_HTTP_WHAT}: HTTP $HTTP_STATUS, expected $1; body: $HTTP_BODY"
	ok "${2:-$_H_HTTP_WHAT}: HTTP $1"
}

# json EXPR: jq -r over the last HTTP body.
json() { jq -r "$1" <<<"$HTTP_BODY"; }

assert_json() {	# JQ-EXPR EXPECTED [WHAT]
	local got
	got=$(json "$1" 2>/dev/null) || fail "${3:-$_H_HTTP_WHAT}: body is not JSON: $HTTP_BODY"
	[ "$got" = "$2" ] || fail "${3:-$_H_HTTP_WHAT}: $1 is '$got', expected '$2'; body: $HTTP_BODY"
	ok "${3:-$_H_HTTP_WHAT}: $1 is '$2'"
}

# An error answer: status and {"error": CODE}.
assert_error() {	# STATUS ERROR-CODE [WHAT]
	assert_status "$1" "${3:-}"
	[ -z "$2" ] || assert_json .error "$2" "${3:-}"
}

# A context body for POST /v1/requests (a fixed, valid one; override fields
# with jq: ctx_json '.user = "bob"').
ctx_json() {
	jq -c "${1:-.}" <<'EOF'
{"service":"sudo","user":"alice","uid":1000,"target_user":"root",
 "command":"sudo /usr/bin/id","sudo_command":"/usr/bin/id","tty":"/dev/pts/9",
 "cwd":"/home/alice","hostname":"web1.test","reason":"integration test"}
EOF
}

# api_create HOST [JQ-FILTER]: create a request as HOST; sets REQ_ID, REQ_CODE.
api_create() {
	http POST /v1/requests --host "$1" --json "$(ctx_json "${2:-.}")"
	assert_status 201 "create as $1"
	REQ_ID=$(json .id)
	REQ_CODE=$(json .code)
	assert_match "$REQ_CODE" "^$CODE_RE\$" "created code"
}

# --- the fake approvald ----------------------------------------------------

# fake_server MODE [unix]: tests/pam/fake_approvald.py, the one fake
# approvald of the suites, answering every create in MODE (its docstring
# lists them: create_500, create_junk, create_truncated_json, create_close,
# create_approved_baddigest, create_silent, ...) and expecting host web1's
# token (mk_host web1 first). On 127.0.0.1 and a free port (prints the
# port), or with "unix" on $T/run/fake-MODE.sock (a socket the module
# trusts: the test runs as root; prints its url=). Each request it saw is
# a line "METHOD PATH" in $T/fake-MODE.log, each refusal "BAD why".
fake_server() {
	local mode=$1 pf="$T/fake-$1.port" i listen=
	[ "${2:-}" = unix ] && listen="unix:$T/run/fake-$mode.sock"
	printf '%s\n' "$mode" >"$T/fake-$mode.mode"
	rm -f "$pf"
	FAKE_LISTEN=$listen python3 "$SRCDIR/tests/pam/fake_approvald.py" \
		"$T/fake-$mode.mode" "$pf" "$T/fake-$mode.log" "$(host_token web1)" \
		>>"$T/fake-$mode.err.log" 2>&1 &
	# often called in $(...): the pid file, not _H_PIDS, reaches the cleanup
	echo $! >"$T/fake-$mode.pid"
	for ((i = 0; i < 200; i++)); do
		if [ -s "$pf" ]; then
			if [ -n "$listen" ]; then echo "$listen"; else cat "$pf"; fi
			return 0
		fi
		sleep 0.05
	done
	fail "fake approvald in mode $mode did not start"
}

# fake_server_url MODE: fake_server on a Unix socket; prints its url=.
fake_server_url() { fake_server "$1" unix; }

# A TCP port on 127.0.0.1 that nothing listens on (approvald stopped).
dead_port() {
	local p
	for _ in $(seq 1 100); do
		p=$(( 30000 + RANDOM % 20000 ))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	fail "no free port found"
}
