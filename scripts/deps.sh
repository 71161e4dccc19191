#!/usr/bin/env bash
# scripts/deps.sh [--browser]: install the Debian 12 packages this project
# needs, only those missing (apt-get update first when something is missing).
# Groups: build, runtime, tests, packaging; --browser adds the browser-test group
# (chromium, nodejs, npm; issue 3). Safe to run again; needs root only when
# something is missing.
set -euo pipefail

build=(meson ninja-build pkg-config gcc libc6-dev libpam0g-dev libmicrohttpd-dev
	libpq-dev libjson-c-dev libssl-dev)
runtime=(postgresql-15 sudo)
tests=(check libpamtest0-dev libpam-wrapper curl jq perl python3 tmux util-linux
	bsdutils passwd procps clang libclang-rt-14-dev strace)
# the Debian packages (packaging/build-deb.sh) and their test (tests/package):
# build, lint, the man pages, systemd-analyze for the unit
packaging=(debhelper dpkg-dev fakeroot lintian scdoc mandoc groff-base man-db systemd
	adduser libpam-runtime)
# PACKAGE:COMMAND: present when the command is, however it was installed
# (e.g. NodeSource's nodejs bundles npm and conflicts with Debian's npm).
browser=(chromium:chromium nodejs:node npm:npm)

want=("${build[@]}" "${runtime[@]}" "${tests[@]}" "${packaging[@]}")
for a in "$@"; do
	case $a in
	--browser) want+=("${browser[@]}") ;;
	-h | --help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "deps.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

missing=()
for w in "${want[@]}"; do
	p=${w%%:*}
	if [ "$p" != "$w" ] && command -v "${w#*:}" >/dev/null; then
		continue
	fi
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#want[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages and not root: run 'sudo $0' or apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
