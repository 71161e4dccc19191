#!/usr/bin/env bash
# scripts/test.sh: install what the tests need, build and run everything.
#   1. scripts/deps.sh --browser (missing Debian packages only, including
#      chromium/nodejs/npm for the browser suite);
#   2. build/ with -Dwerror=true: every suite (unit, pam, integration, e2e,
#      sql, browser, package; e2e and package need root and skip otherwise;
#      package builds the .debs, installs, upgrades and purges them);
#   3. build-asan/ with -Db_sanitize=address,undefined: unit, pam and
#      integration (not e2e: setuid sudo/su cannot load a sanitizer build);
#   4. build-fuzz/ with clang (-Dfuzz=true, ASan+UBSan): the clang build of
#      everything, its unit suite and the libFuzzer targets (suite fuzz);
#   5. one summary line from every run's meson-logs/testlog.json:
#      "N passed, N failed, N skipped". Exit status 0 only if nothing failed
#      (a build that does not compile counts as a failure).
# Environment: BUILD_DIR / ASAN_DIR / FUZZ_DIR override the build
# directories, SKIP_DEPS=1 skips step 1, SKIP_ASAN=1 step 3, SKIP_FUZZ=1 step 4.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BUILD_DIR=${BUILD_DIR:-build}
ASAN_DIR=${ASAN_DIR:-build-asan}
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
passed=0 failed=0 skipped=0 status=0
notes=()

step() { printf '\n=== %s\n' "$*"; }

# setup_build DIR OPTIONS...: configure (or reconfigure) and compile.
setup_build() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" || return 1
	else
		meson setup "$dir" "$@" || return 1
	fi
	meson compile -C "$dir"
}

# count DIR: add the results of the last `meson test` in DIR.
count() {
	local log=$1/meson-logs/testlog.json ok fail skip
	[ -f "$log" ] || return 0
	ok=$(grep -cE '"result": "(OK|EXPECTEDFAIL)"' "$log")
	fail=$(grep -cE '"result": "(FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR)"' "$log")
	skip=$(grep -cE '"result": "SKIP"' "$log")
	passed=$((passed + ok)) failed=$((failed + fail)) skipped=$((skipped + skip))
	if [ "$fail" != 0 ]; then
		notes+=("$1: $(grep -E '"result": "(FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR)"' "$log" |
			sed -n 's/.*"name": "\([^"]*\)".*/\1/p' | tr '\n' ' ')")
	fi
}

# run_suites DIR [meson test args]: compile, test, count.
run_suites() {
	local dir=$1
	shift
	local before=$failed rc=0
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs "$@" || rc=$?
	[ "$rc" = 0 ] || status=1
	count "$dir"
	# meson itself failed (no test log, a rebuild error): count it too
	if [ "$rc" != 0 ] && [ "$failed" = "$before" ]; then
		failed=$((failed + 1))
		notes+=("$dir: meson test failed before or outside the tests")
	fi
}

if [ "${SKIP_DEPS:-0}" != 1 ]; then
	step "dependencies"
	bash scripts/deps.sh --browser || { echo "deps.sh failed"; echo "0 passed, 1 failed"; exit 1; }
fi

step "build: $BUILD_DIR (-Dwerror=true)"
if setup_build "$BUILD_DIR" -Dwerror=true; then
	step "tests: $BUILD_DIR, all suites"
	run_suites "$BUILD_DIR"
else
	failed=$((failed + 1)) status=1
	notes+=("$BUILD_DIR: build failed")
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
	step "build: $ASAN_DIR (-Db_sanitize=address,undefined)"
	if setup_build "$ASAN_DIR" -Dwerror=true -Db_sanitize=address,undefined; then
		step "tests: $ASAN_DIR, suites unit, pam, integration"
		run_suites "$ASAN_DIR" --suite unit --suite pam --suite integration \
			--timeout-multiplier 2
	else
		failed=$((failed + 1)) status=1
		notes+=("$ASAN_DIR: build failed")
	fi
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	step "build: $FUZZ_DIR (clang, -Dfuzz=true, -Db_sanitize=address,undefined)"
	if CC=clang setup_build "$FUZZ_DIR" -Dwerror=true -Dfuzz=true \
		-Db_sanitize=address,undefined; then
		step "tests: $FUZZ_DIR, suites unit, fuzz"
		run_suites "$FUZZ_DIR" --suite unit --suite fuzz --timeout-multiplier 2
	else
		failed=$((failed + 1)) status=1
		notes+=("$FUZZ_DIR: build failed")
	fi
fi

step "summary"
for n in "${notes[@]}"; do echo "failed: $n"; done
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
