#!/bin/sh
# tests/sql/migrations_listed.sh SQLDIR FILE...: every migration in SQLDIR is
# among the FILEs sql/meson.build installs, and nothing else is listed (a
# migration left out of the list would pass the tests, which read SQLDIR,
# and be missing from an installed approvald).
set -eu
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
dir=$1
shift
listed=$(for f in "$@"; do basename "$f"; done | sort)
present=$(cd "$dir" && ls -- *.sql | sort)
assert_eq "$present" "$listed" "the migrations sql/meson.build lists (those in $dir)"
ok "$(echo "$present" | wc -l) migrations, all listed in sql/meson.build"
finish
