# shellcheck shell=bash
# tests/lib/etclock.sh: the lock that keeps the tests that change /etc
# (tests/e2e, tests/package) from overlapping: /run/pam-approve-etc.lock,
# taken with flock(1). A run that already holds it for all its children
# (e.g. `flock /run/pam-approve-etc.lock bash .ci/run`) is not waited for.
ETC_LOCK_FILE=/run/pam-approve-etc.lock

# 0 when a process of our own ancestry holds the flock on ETC_LOCK_FILE.
etc_lock_held_by_ancestor() {
	local ino holders p
	[ -e "$ETC_LOCK_FILE" ] || return 1
	ino=$(stat -c %i "$ETC_LOCK_FILE") || return 1
	holders=$(awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks)
	[ -n "$holders" ] || return 1
	p=$$
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		case " $(echo $holders) " in *" $p "*) return 0 ;; esac
		p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	done
	return 1
}
