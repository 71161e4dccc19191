#!/usr/bin/env bash
# packaging/build-deb.sh [OUTDIR]: build the Debian packages libpam-approve
# and approvald with `dpkg-buildpackage -us -uc -b` from a clean copy of the
# committed-or-not working tree (packaging/debian becomes debian/ there; the
# tree itself is not touched). The .deb, .buildinfo and .changes files land
# in OUTDIR (default: build-deb/). Needs debhelper, dpkg-dev and the
# Build-Depends of packaging/debian/control (scripts/deps.sh installs them).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${1:-$REPO/build-deb}" && cd "${1:-$REPO/build-deb}" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pam-approve-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

SRC=$WORK/pam-approve
mkdir -p "$SRC"
# the source files only: what git knows, tracked or new (not ignored), so no
# build directory or local state goes into the package
(
	cd "$REPO"
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
		done |
		tar --null -T - -cf -
) | tar -xf - -C "$SRC"
[ -f "$SRC/meson.build" ] || { echo "build-deb: no source copied from $REPO" >&2; exit 1; }
cp -a "$REPO/packaging/debian" "$SRC/debian"
(cd "$SRC" && dpkg-buildpackage -us -uc -b)
for f in "$WORK"/*.deb "$WORK"/*.buildinfo "$WORK"/*.changes; do
	[ -e "$f" ] && cp -f "$f" "$OUT/"
done
ls "$OUT"
