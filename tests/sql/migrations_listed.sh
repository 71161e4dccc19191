#!/bin/sh
# tests/sql/migrations_listed.sh SQLDIR FILE...: every migration in SQLDIR is
# among the FILEs sql/meson.build installs, and nothing else is listed (a
# migration left out of the list would pass the tests, which read SQLDIR,
# and be missing from an installed approvald).
set -eu
dir=$1
shift
listed=$(for f in "$@"; do basename "$f"; done | sort)
present=$(cd "$dir" && ls -- *.sql | sort)
if [ "$listed" != "$present" ]; then
	echo "FAIL: sql/meson.build lists:" >&2
	echo "$listed" >&2
	echo "but $dir holds:" >&2
	echo "$present" >&2
	exit 1
fi
echo "ok - $(echo "$present" | wc -l) migrations, all listed in sql/meson.build"
