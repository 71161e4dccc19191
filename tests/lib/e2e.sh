# shellcheck shell=bash
# tests/lib/e2e.sh: end-to-end helpers on top of harness.sh (source it after
# harness.sh). The e2e tests run the real setuid sudo and su as an
# unprivileged test user through PAM stacks that include pam_approve, so they
# touch the machine: test users, /etc/pam.d files, /etc/sudoers.d drop-ins.
# Everything they create is registered with on_exit the moment it exists
# and removed by the harness trap, even on failure; e2e_begin records
# fingerprints of the files involved and the trap fails the test if /etc is
# not exactly as before. Meson runs these tests alone (is_parallel: false).

[ "$(id -u)" = 0 ] || skip "end-to-end tests need root (real sudo/su, test users, /etc/pam.d)"
[ "$SANITIZE" = none ] || skip "setuid sudo/su cannot load a sanitizer-built module"
need_cmd sudo su visudo useradd userdel chpasswd setpriv tmux sha256sum
need_built "$PAM_MODULE"

# One test at a time changes /etc: the e2e tests and tests/package hold
# this lock for their whole run (released when the test's shell exits),
# unless a run around them already holds it (tests/lib/etclock.sh).
# shellcheck source=tests/lib/etclock.sh
. "$SRCDIR/tests/lib/etclock.sh"
if ! etc_lock_held_by_ancestor; then
	exec {E2E_ETC_LOCK}>"$ETC_LOCK_FILE"
	flock -w 600 "$E2E_ETC_LOCK" || fail "another run held $ETC_LOCK_FILE for 10 min"
fi

E2E_RAND=$(printf '%04x%04x' $RANDOM $RANDOM)
E2E_TMUX=approve-e2e-$E2E_RAND
E2E_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Everything under /etc a test may change, with its checksum.
_e2e_fingerprint() {
	local f
	for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid \
		/etc/sudoers /etc/sudoers.d/* /etc/pam.d/*; do
		[ -e "$f" ] || continue
		printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"
	done
}

_e2e_verify_etc() {
	_e2e_fingerprint >"$T/etc.after"
	if ! cmp -s "$T/etc.before" "$T/etc.after"; then
		printf '/etc changed by the test:\n' >&2
		diff "$T/etc.before" "$T/etc.after" >&2 || true
		return 1
	fi
}

# Start: fingerprint /etc (checked last of all in the trap), PostgreSQL,
# approvald signing with a fresh key ($T/signing.key; the module pins its
# public line in $T/approvald.pub, keys=), the host "e2e" and an approver
# "approver1" (unix login nobody-e2e).
e2e_begin() {
	_e2e_fingerprint >"$T/etc.before"
	on_exit _e2e_verify_etc
	db_start
	"$APPROVALCTL" key generate --out "$T/signing.key" >"$T/approvald.pub" 2>>"$T/admin.log" ||
		fail "approvalctl key generate failed"
	chmod 0644 "$T/approvald.pub"
	approvald_start signing_key="$T/signing.key"
	mk_host e2e
	mk_approver approver1 "nobody-e2e-$E2E_RAND"
}

# e2e_user NAME: a throwaway login without home directory; removed on exit.
e2e_user() {
	local u=$1
	id "$u" >/dev/null 2>&1 && fail "user $u already exists"
	useradd -M -d /nonexistent -s /bin/sh -U "$u" || fail "useradd $u failed"
	on_exit "_e2e_userdel '$u'"
}
# The harness has already killed what the test started (by pid, and the
# private tmux server), so the user is idle; retry briefly while they exit.
_e2e_userdel() {
	local i
	for ((i = 0; i < 20; i++)); do
		userdel "$1" 2>/dev/null && break
		sleep 0.25
	done
	rm -f "/var/mail/$1"
	! id "$1" >/dev/null 2>&1
}

# e2e_sudoers NAME USER:SERVICE...: a sudoers drop-in /etc/sudoers.d/NAME
# (removed on exit) that sends each USER's sudo to its PAM SERVICE and lets
# it run anything as root without a password (the approval is the gate).
e2e_sudoers() {
	local name=$1 us
	shift
	on_exit "rm -f /etc/sudoers.d/$name"
	{
		echo "# pam_approve e2e test ($TEST_NAME); removed when the test ends"
		for us in "$@"; do
			echo "Defaults:${us%%:*} pam_service=${us#*:}, pam_login_service=${us#*:}, !lecture"
		done
		for us in "$@"; do echo "${us%%:*} ALL=(root) NOPASSWD: ALL"; done
	} >"$T/sudoers"
	visudo -cf "$T/sudoers" >/dev/null || fail "visudo rejects the drop-in"
	install -m 0440 -o root -g root "$T/sudoers" "/etc/sudoers.d/$name"
	visudo -c >/dev/null || fail "visudo -c fails with the drop-in installed"
}

# The module line for a PAM service file (account stack, the documented one).
e2e_module_line() {
	printf 'account required %s url=%s token_file=%s keys=%s timeout=%s %s\n' \
		"$PAM_MODULE" "$APPROVALD_UNIX_URL" "$T/host-e2e.token" "$T/approvald.pub" \
		"${E2E_TIMEOUT:-90}" "$*"
}

# e2e_as USER CMD...: run CMD as USER with a clean environment, no PAM in
# between (setpriv execs directly, so CMD is what a terminal's signals reach).
e2e_as() {
	local u=$1
	shift
	env -i PATH="$E2E_PATH" HOME=/ USER="$u" LOGNAME="$u" TERM=xterm LANG=C.UTF-8 \
		setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
}

# The same as a command line for a script (e2e_tmux): "$(e2e_as_cmd U) cmd".
e2e_as_cmd() {
	printf 'env -i PATH=%q HOME=/ USER=%q LOGNAME=%q TERM=xterm LANG=C.UTF-8 setpriv --reuid=%q --regid=%q --init-groups --' \
		"$E2E_PATH" "$1" "$1" "$1" "$1"
}

# e2e_pending_code TIMEOUT: the code of the one pending request (API).
e2e_pending_code() {
	local i code
	for ((i = 0; i < $1 * 5; i++)); do
		http GET '/v1/requests?status=pending' --approver approver1
		if [ "$HTTP_STATUS" = 200 ]; then
			code=$(json '.requests[0].code // empty')
			if [ -n "$code" ]; then
				[ "$(json '.requests | length')" = 1 ] || fail "more than one pending request: $HTTP_BODY"
				echo "$code"
				return 0
			fi
		fi
		sleep 0.2
	done
	fail "no pending request after $1 s"
}

# tmux on a private socket: e2e_tmux NAME "shell command" runs the command
# with bash in a pty (its exit status lands in $T/NAME.rc); e2e_pane NAME
# prints the screen, e2e_keys NAME KEYS... types.
e2e_tmux() {
	local name=$1
	rm -f "$T/$name.rc"
	if [ -z "${_E2E_TMUX_ON:-}" ]; then
		_E2E_TMUX_ON=1
		on_exit "tmux -L '$E2E_TMUX' kill-server 2>/dev/null; true"
	fi
	cat >"$T/$name.sh" <<EOS
$2
echo \$? >$T/$name.rc.tmp
mv $T/$name.rc.tmp $T/$name.rc
sleep 600
EOS
	tmux -L "$E2E_TMUX" new-session -d -s "$name" -x 200 -y 50 "bash $T/$name.sh"
}
e2e_pane() { tmux -L "$E2E_TMUX" capture-pane -p -J -t "$1" -S -100; }
e2e_keys() { local n=$1; shift; tmux -L "$E2E_TMUX" send-keys -t "$n" "$@"; }
e2e_wait_rc() {	# NAME TIMEOUT: prints the exit status
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -f "$T/$1.rc" ] && { cat "$T/$1.rc"; return 0; }
		sleep 0.1
	done
	e2e_pane "$1" >"$T/$1-pane.out" 2>&1 || true
	fail "tmux job $1 did not finish in $2 s"
}
e2e_wait_pane() {	# NAME REGEX TIMEOUT
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		e2e_pane "$1" | grep -qE -- "$2" && return 0
		sleep 0.1
	done
	e2e_pane "$1" >"$T/$1-pane.out" 2>&1 || true
	fail "tmux job $1: no /$2/ on screen after $3 s"
}
