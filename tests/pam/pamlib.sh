# pamlib.sh: shared by the tests/pam shell tests (POSIX sh). Sourced with
# PAMDRIVE and MODULE set (absolute paths made here). Provides a temp dir $T
# with a root-owned 0600 token file $TOKEN, pam_wrapper service files
# (service), pamdrive runs (drive, drive_bg), the predicates result, has
# and count for check, and tests/lib/assert.sh (check, finish, ...).
# Needs root (the module refuses a token file not owned by root): exits 77
# (skipped) otherwise.
set -u
PAMDRIVE=$(readlink -f "$PAMDRIVE")
MODULE=$(readlink -f "$MODULE")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

T=$(mktemp -d /tmp/pam_test.XXXXXX)
ASSERT_DIR=$T
# shellcheck source=tests/lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
trap 'rc=$?; rm -rf "$T"; exit "$(assert_exit_status "$rc")"' EXIT
trap 'exit 1' INT TERM
mkdir "$T/svc"
TOKEN_VALUE=aph_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG
TOKEN=$T/token
printf '%s\n' "$TOKEN_VALUE" > "$TOKEN"
chmod 600 "$TOKEN"
# Under ASan/UBSan (SANITIZE from meson's b_sanitize): pam_wrapper must not
# use RTLD_DEEPBIND, and ASan must tolerate being preloaded second. Debian's
# pam_wrapper 1.1.4 reads the switch as UID_WRAPPER_DISABLE_DEEPBIND (a
# copy-paste slip upstream); later versions read PAM_WRAPPER_DISABLE_DEEPBIND.
SAN_ENV=
if [ "${SANITIZE:-none}" != none ]; then
	SAN_ENV="PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1"
	SAN_ENV="$SAN_ENV ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
fi

# service NAME LINE...: write a pam_wrapper service file
service() {
	name=$1
	shift
	: > "$T/svc/$name"
	for line in "$@"; do
		printf '%s\n' "$line" >> "$T/svc/$name"
	done
}

# drive NAME OP [ARGS...]: run pamdrive; output in $T/out, exit in $rc.
# EXTRA_ENV="VAR=value ..." adds to its environment.
drive() {
	drive_bg "$@"
	wait "$pid"
	rc=$?
}

# drive_bg NAME OP [ARGS...]: the same in the background; its pid in $pid
drive_bg() {
	name=$1
	op=$2
	shift 2
	[ -f "$T/err" ] && cat "$T/err" >> "$T/err.all"
	: > "$T/out"
	# shellcheck disable=SC2086  # EXTRA_ENV is a list of assignments
	env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" $SAN_ENV ${EXTRA_ENV:-} \
		"$PAMDRIVE" --service "$name" --user root --op "$op" "$@" \
		> "$T/out" 2> "$T/err" < /dev/null &
	pid=$!
}

# wait_out PATTERN SECONDS: until $T/out has a line matching PATTERN
wait_out() {
	i=0
	while ! grep -q -- "$1" "$T/out" && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q -- "$1" "$T/out"
}

# a failed check shows the last run's output
assert_on_fail() { sed 's/^/    | /' "$T/out" "$T/err" >&2; }

result() { [ "$(sed -n 's/^RESULT: //p' "$T/out" | tail -n 1)" = "$1" ]; }
has() { grep -q -- "$1" "$T/out"; }
count() { [ "$(grep -c -- "$1" "$T/out")" = "$2" ]; }

assert_before_finish() {
	[ -f "$T/err" ] && cat "$T/err" >> "$T/err.all"
	check "no sanitizer reports from any run" \
		sh -c "! grep -E 'Sanitizer|runtime error' '$T/err.all'"
}
