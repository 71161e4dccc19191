#!/usr/bin/env bash
# deb.sh: the Debian packages are what an administrator expects, and
# removing them gives the machine back exactly as it was. It proves:
#   - packaging/build-deb.sh (dpkg-buildpackage -us -uc -b) builds
#     libpam-approve and approvald; lintian finds no error in them;
#   - their contents (dpkg -c: path, mode, owner) and conffiles are those
#     listed in tests/package/contents.txt; the man pages render without a
#     warning (man --warnings, i.e. groff -ww);
#   - the unit passes `systemd-analyze verify` once installed and
#     `systemd-analyze security` rates it at most 2.0;
#   - installing both changes no PAM file (the profile is off); after
#     `pam-auth-update --enable approve` a real sudo by a test user, through
#     /etc/pam.d/sudo and the INSTALLED module, waits for an approval made
#     with approvalctl, on an approvald (the installed binary) listening on
#     the package's default socket /run/approvald/approvald.sock;
#   - an upgrade to a newer approvald applies its new migration once (the
#     postinst runs approvalctl migrate as /etc/default/approvald says;
#     installing it again applies nothing) and keeps the edited conffiles;
#   - an upgrade whose migration fails stops in the postinst before the
#     service restart (debhelper's snippet comes after the migration in the
#     installed postinst), leaves the package half-configured with the
#     failed migration unrecorded and a message saying what to do, and the
#     administrator gets out of it by installing a good version;
#   - purging both leaves /etc/pam.d byte-identical to the snapshot taken
#     before, and sudo works again without an approval; at the very end all
#     of /etc (every file's checksum, mode and owner) is as before.
# It changes /etc, so it runs under flock /run/pam-approve-etc.lock (as the
# e2e tests do) for its whole run, and the trap purges the packages and restores
# /etc/pam.d from the snapshot even when it fails.

# The lock is held by flock(1) around this script, not by a descriptor of
# ours (-o: the script does not inherit it), so a daemon that outlived the
# test cannot keep other tests waiting.
# shellcheck source=tests/lib/etclock.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/etclock.sh"
if [ "${APPROVE_ETC_LOCKED:-0}" != 1 ] && etc_lock_held_by_ancestor; then
	export APPROVE_ETC_LOCKED=1
fi
if [ "${APPROVE_ETC_LOCKED:-0}" != 1 ] && [ "$(id -u)" = 0 ]; then
	rc=0
	APPROVE_ETC_LOCKED=1 flock -o -E 75 -w 600 "$ETC_LOCK_FILE" bash "$0" "$@" || rc=$?
	if [ "$rc" = 75 ]; then
		echo "FAIL: package-deb: /run/pam-approve-etc.lock was held by another run for 10 min" >&2
		exit 1
	fi
	exit "$rc"
fi
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

[ "$(id -u)" = 0 ] || skip "installs packages and changes /etc: needs root"
[ "$SANITIZE" = none ] || skip "the packages are built without sanitizers; run it from a plain build"
need_cmd dpkg-buildpackage dh lintian systemd-analyze pam-auth-update sudo visudo \
	useradd userdel setpriv sha256sum man flock dpkg-deb apt-get

[ "${APPROVE_ETC_LOCKED:-0}" = 1 ] || fail "not run under flock $ETC_LOCK_FILE"

PKGS=(libpam-approve approvald)
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ -z "$st" ] || [ "$st" = not-installed ] ||
		skip "package $p is already on this machine ($st): not touching it"
done
getent passwd approvald >/dev/null && skip "a user approvald exists already: not touching it"
[ ! -e /run/approvald ] || skip "/run/approvald exists (an approvald runs here): not touching it"

MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
MODULE_PATH=/lib/$MULTIARCH/security/pam_approve.so

# --- /etc before ------------------------------------------------------------
# every file and symlink under /etc: checksum, mode, owner (not the backups
# that useradd/userdel leave as passwd-, shadow-, ...; the files are compared)
etc_fingerprint() {
	find /etc \( -type f -o -type l \) ! -name '*-' -print0 | sort -z |
		while IFS= read -r -d '' f; do
			if [ -L "$f" ]; then
				printf 'link %s %s\n' "$(readlink "$f")" "$f"
			else
				printf '%s %s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" \
					"$(stat -c '%a %U:%G' "$f")" "$f"
			fi
		done
}
pamd_fingerprint() { (cd /etc/pam.d && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
etc_fingerprint >"$T/etc.before"
pamd_fingerprint >"$T/pamd.before"
tar -C /etc -cpf "$T/etc-pam.tar" pam.d sudoers sudoers.d

verify_etc() {
	etc_fingerprint >"$T/etc.after"
	if ! cmp -s "$T/etc.before" "$T/etc.after"; then
		echo "/etc is not as before the test:" >&2
		diff "$T/etc.before" "$T/etc.after" >&2 || true
		return 1
	fi
}
# Restore /etc/pam.d and sudoers from the snapshot if anything differs
# (only reached with content when purging did not restore them: a failure).
restore_pam() {
	pamd_fingerprint >"$T/pamd.now"
	cmp -s "$T/pamd.before" "$T/pamd.now" && return 0
	echo "restoring /etc/pam.d and sudoers from the snapshot" >&2
	find /etc/pam.d -mindepth 1 -delete
	tar -C /etc -xpf "$T/etc-pam.tar"
	return 1
}
purge_pkgs() {
	local p left=()
	for p in "${PKGS[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ -z "$st" ] || [ "$st" = not-installed ] || left+=("$p")
	done
	[ ${#left[@]} -gt 0 ] || return 0
	echo "purging ${left[*]} (left by a failed test)" >&2
	dpkg --purge "${left[@]}" >&2 || dpkg --purge --force-all "${left[@]}" >&2
	return 1
}
on_exit verify_etc
on_exit restore_pam
on_exit purge_pkgs

# --- build, lintian, contents -----------------------------------------------
note "building the packages (dpkg-buildpackage -us -uc -b)"
bash "$SRCDIR/packaging/build-deb.sh" "$T/deb" >"$T/build.out" 2>&1 || fail "build-deb.sh failed"
VERSION=$(dpkg-parsechangelog -l "$SRCDIR/packaging/debian/changelog" -S Version)
DEB_PAM=$T/deb/libpam-approve_${VERSION}_amd64.deb
DEB_D=$T/deb/approvald_${VERSION}_amd64.deb
[ -f "$DEB_PAM" ] && [ -f "$DEB_D" ] || fail "no .deb files: $(ls "$T/deb")"
ok "dpkg-buildpackage built libpam-approve and approvald $VERSION"

lintian --fail-on error \
	"$T/deb/pam-approve_${VERSION}_amd64.changes" >"$T/lintian.out" 2>&1 ||
	fail "lintian reports errors: $(cat "$T/lintian.out")"
note "lintian: $(grep -cE '^[WE]:' "$T/lintian.out" || true) warning(s): $(grep -E '^W:' "$T/lintian.out" | tr '\n' ' ')"
ok "lintian: no errors"

for p in libpam-approve approvald; do
	deb=$T/deb/${p}_${VERSION}_amd64.deb
	dpkg -c "$deb" | awk -v p="$p" '{ path = $6; sub(/^\./, "", path); print p, $1, $2, path }' >>"$T/contents.got"
	dpkg-deb -f "$deb" Version | grep -qx "$VERSION" || fail "$p: wrong Version"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles 2>/dev/null | sed "s|^|$p conffile |" >>"$T/contents.got" || true
done
# every migration in sql/ (sql_migrations_listed holds sql/meson.build to it)
{
	sed -e '/^#/d' -e '/^$/d' -e "s|@MULTIARCH@|$MULTIARCH|" "$SRCDIR/tests/package/contents.txt"
	for f in "$SRCDIR"/sql/*.sql; do
		echo "approvald -rw-r--r-- root/root /usr/share/approvald/sql/${f##*/}"
	done
} | sort >"$T/contents.want"
sort -o "$T/contents.got" "$T/contents.got"
diff -u "$T/contents.want" "$T/contents.got" >"$T/contents.diff" ||
	fail "package contents differ from tests/package/contents.txt: $(cat "$T/contents.diff")"
ok "dpkg -c: contents, modes, owners and conffiles as listed"

mkdir -p "$T/root"
for deb in "$DEB_PAM" "$DEB_D"; do dpkg-deb -x "$deb" "$T/root"; done
for m in "$T"/root/usr/share/man/man*/*.gz; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" >/dev/null 2>"$T/man.err" ||
		fail "man -l ${m##*/} failed: $(cat "$T/man.err")"
	[ ! -s "$T/man.err" ] || fail "man --warnings ${m##*/}: $(cat "$T/man.err")"
done
for m in pam_approve.8 approvald.8 approvalctl.1 approvald.conf.5; do
	[ -f "$T/root/usr/share/man/man${m##*.}/$m.gz" ] || fail "man page $m not packaged"
done
ok "man pages: all four packaged, rendered without a warning"

# --- the unit file, offline --------------------------------------------------
unit=$SRCDIR/packaging/approvald.service
systemd-analyze security --offline=true --no-pager "$unit" >"$T/security.out" 2>&1 ||
	fail "systemd-analyze security failed: $(tail -n 5 "$T/security.out")"
score=$(sed -n 's/.*Overall exposure level for approvald.service: \([0-9.]*\).*/\1/p' "$T/security.out")
[ -n "$score" ] || fail "no exposure level in: $(tail -n 3 "$T/security.out")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score > 2.0"
ok "systemd-analyze security: exposure $score (at most 2.0)"

# --- install -----------------------------------------------------------------
# The packaged /etc/default/approvald sets up the database "approval" on the
# machine's own PostgreSQL when one answers at /run/postgresql: if this
# install creates it (or the role approvald), the trap drops them again.
sys_psql() { (cd / && runuser -u postgres -- psql -XqtA -h /run/postgresql -d postgres "$@"); }
if sys_psql -c 'SELECT 1' >/dev/null 2>&1; then
	if [ "$(sys_psql -c "SELECT count(*) FROM pg_database WHERE datname = 'approval'")" = 0 ]; then
		on_exit "sys_psql -c 'DROP DATABASE IF EXISTS approval' >/dev/null"
	fi
	if [ "$(sys_psql -c "SELECT count(*) FROM pg_roles WHERE rolname = 'approvald'")" = 0 ]; then
		on_exit "sys_psql -c 'DROP ROLE IF EXISTS approvald' >/dev/null"
	fi
fi
note "installing both packages"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"$DEB_PAM" "$DEB_D" >"$T/install.out" 2>&1 || fail "apt-get install failed: $(tail -n 20 "$T/install.out")"
[ -f "$MODULE_PATH" ] || fail "not installed: $MODULE_PATH"
pamd_fingerprint >"$T/pamd.installed"
cmp -s "$T/pamd.before" "$T/pamd.installed" ||
	fail "installing changed /etc/pam.d (the profile must be off): $(diff "$T/pamd.before" "$T/pamd.installed")"
getent passwd approvald >/dev/null || fail "postinst created no user approvald"
assert_eq "640 root:approvald" "$(stat -c '%a %U:%G' /etc/approvald.conf)" "/etc/approvald.conf"
assert_eq "700 root:root" "$(stat -c '%a %U:%G' /etc/pam_approve)" "/etc/pam_approve"
/usr/sbin/approvald --version | grep -qx "approvald $VERSION" || fail "approvald --version"
/usr/bin/approvalctl --version | grep -qx "approvalctl $VERSION" || fail "approvalctl --version"
# idempotent maintainer scripts: configure again
dpkg-reconfigure -f noninteractive libpam-approve approvald >"$T/reconf.out" 2>&1 ||
	fail "dpkg-reconfigure failed: $(cat "$T/reconf.out")"
pamd_fingerprint >"$T/pamd.installed"
cmp -s "$T/pamd.before" "$T/pamd.installed" || fail "reconfiguring changed /etc/pam.d"
ok "installed: /etc/pam.d unchanged, user approvald, config 0640 root:approvald, --version $VERSION, postinst idempotent"

systemd-analyze verify /lib/systemd/system/approvald.service >"$T/verify.out" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/verify.out")"
[ ! -s "$T/verify.out" ] || fail "systemd-analyze verify says: $(cat "$T/verify.out")"
ok "systemd-analyze verify: the installed unit is clean"

# --- a real sudo through the installed module ---------------------------------
# the installed binaries from here on; approvald on the package's socket
APPROVALD=/usr/sbin/approvald
APPROVALCTL=/usr/bin/approvalctl
mkdir -m 0711 /run/approvald
on_exit "rm -rf /run/approvald"
APPROVALD_SOCK=/run/approvald/approvald.sock
APPROVALD_UNIX_URL=unix:$APPROVALD_SOCK
db_start
grep -q '001_core.sql' "$T/migrate.out" || fail "migrate did not read /usr/share/approvald/sql: $(cat "$T/migrate.out")"
approvald_start
mk_host pkg
mk_approver approver1 nobody-pkg
install -m 0600 -o root -g root "$T/host-pkg.token" /etc/pam_approve/token

E2E_RAND=$(printf '%04x%04x' $RANDOM $RANDOM)
U=appkg-$E2E_RAND
useradd -M -d /nonexistent -s /bin/sh -U "$U" || fail "useradd $U"
on_exit "userdel '$U' 2>/dev/null; rm -f '/var/mail/$U'; ! id '$U' >/dev/null 2>&1"
on_exit "rm -f /etc/sudoers.d/approve-pkg-test"
printf '# pam_approve package test; removed when it ends\nDefaults:%s !lecture\n%s ALL=(root) NOPASSWD: ALL\n' "$U" "$U" >"$T/sudoers"
visudo -cf "$T/sudoers" >/dev/null || fail "visudo rejects the drop-in"
install -m 0440 -o root -g root "$T/sudoers" /etc/sudoers.d/approve-pkg-test

as_user() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ USER="$U" LOGNAME="$U" LANG=C.UTF-8 \
		setpriv --reuid="$U" --regid="$U" --init-groups -- "$@"
}
sudo_plain() {	# NAME: sudo -n touch, must finish at once (no module in the way)
	local rc=0
	timeout 20 setsid bash -c "$(declare -f as_user); U='$U'; as_user sudo -n /usr/bin/touch '$T/$1.marker'" \
		</dev/null >"$T/$1.out" 2>&1 || rc=$?
	assert_eq 0 "$rc" "sudo without the profile ($(cat "$T/$1.out"))"
	[ -e "$T/$1.marker" ] || fail "sudo exited 0 but the command did not run"
}
sudo_plain before
n_before=$(req_count)
ok "before enabling: sudo runs without an approval"

pam-auth-update --enable approve >"$T/enable.out" 2>&1 || fail "pam-auth-update --enable approve: $(cat "$T/enable.out")"
grep -q "pam_approve.so url=unix:/run/approvald/approvald.sock" /etc/pam.d/common-account ||
	fail "the profile did not reach common-account: $(cat /etc/pam.d/common-account)"

# sudo_approved NAME APPROVER [--unix]: sudo -n touch as $U waits in the
# module; APPROVER approves it over the API; sudo then runs the command.
sudo_approved() {
	local name=$1 approver=$2 via=${3:-} code="" i
	as_user sudo -n /usr/bin/touch "$T/$name.marker" </dev/null >"$T/$name.out" 2>&1 &
	SUDO_PID=$!
	_H_PIDS+=("$SUDO_PID")
	for ((i = 0; i < 100; i++)); do
		http GET '/v1/requests?status=pending' --approver "$approver" $via
		code=$(json '.requests[0].code // empty' 2>/dev/null || true)
		[ -n "$code" ] && break
		kill -0 "$SUDO_PID" 2>/dev/null || break
		sleep 0.2
	done
	[ -n "$code" ] || fail "no pending request from sudo ($(cat "$T/$name.out"))"
	http GET "/v1/requests/$code" --approver "$approver" $via
	assert_json .service sudo "PAM service"
	assert_json .user "$U" "requester"
	assert_json .target_user root
	assert_json .sudo_command "/usr/bin/touch $T/$name.marker"
	[ ! -e "$T/$name.marker" ] || fail "the command ran before the approval"
	assert_rc 0 "$APPROVALCTL" --url "$APPROVALD_UNIX_URL" --token-file "$T/approver-$approver.token" \
		approve "$code" -m "package test"
	wait_pid "$SUDO_PID" 30
	assert_eq 0 "$WAIT_RC" "sudo after the approval ($(cat "$T/$name.out"))"
	[ -e "$T/$name.marker" ] || fail "sudo exited 0 but the command did not run"
	assert_file_contains "$T/$name.out" "$code" "sudo showed the request code"
}
sudo_approved approve approver1
ok "profile enabled: a real sudo waited in $MODULE_PATH and ran once approved"

# --- upgrade: a newer approvald with one more migration -----------------------
printf '\n# edited by the package test\n' >>/etc/approvald.conf
conf_sum=$(sha256sum </etc/approvald.conf)
# both database paths of /etc/default/approvald: a local database (created,
# migrated, role approvald) on the test's cluster, and the test's own
# database by conninfo
sed -i -e "s|^APPROVALD_MIGRATE_DATABASE=.*|APPROVALD_MIGRATE_DATABASE=\"$PG_SUPER_CONNINFO\"|" \
	-e "s|^APPROVALD_DBNAME=.*|APPROVALD_DBNAME=\"approval_pkgtest\"|" \
	-e "s|^APPROVALD_PGHOST=.*|APPROVALD_PGHOST=\"$PGSOCKDIR\"|" \
	-e "s|^APPROVALD_PGPORT=.*|APPROVALD_PGPORT=\"$PGPORT_TEST\"|" /etc/default/approvald
grep -q "^APPROVALD_MIGRATE_DATABASE=\"$PG_SUPER_CONNINFO\"" /etc/default/approvald || fail "could not edit /etc/default/approvald"
grep -q "^APPROVALD_PGPORT=\"$PGPORT_TEST\"" /etc/default/approvald || fail "could not edit /etc/default/approvald"
LOCAL_DB="host=$PGSOCKDIR port=$PGPORT_TEST dbname=approval_pkgtest"
UPVER=$VERSION+upgradetest1
probe=900_package_upgrade_probe.sql
dpkg-deb -R "$DEB_D" "$T/up"
echo "CREATE TABLE approval.package_upgrade_probe (id int);" >"$T/up/usr/share/approvald/sql/$probe"
sed -i "s/^Version: .*/Version: $UPVER/" "$T/up/DEBIAN/control"
(cd "$T/up" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
dpkg-deb -b --root-owner-group "$T/up" "$T/approvald_up.deb" >/dev/null
dpkg -i "$T/approvald_up.deb" >"$T/upgrade.out" 2>&1 || fail "upgrade failed: $(cat "$T/upgrade.out")"
assert_file_contains "$T/upgrade.out" "creating the database approval_pkgtest" "postinst created the local database"
assert_file_contains "$T/upgrade.out" "applying new schema migrations \\(approvalctl migrate as postgres\\)" "postinst ran migrate"
assert_eq 1 "$("$PG_BINDIR/psql" -XqtA "$LOCAL_DB user=postgres" -c "SELECT count(*) FROM public.schema_migrations WHERE version = '$probe'")" "$probe in the local database"
assert_eq t "$("$PG_BINDIR/psql" -XqtA "$LOCAL_DB user=postgres" -c "SELECT pg_catalog.pg_has_role('approvald', 'approval_app', 'USAGE')")" "role approvald in approval_app"
assert_eq 1 "$(sql "SELECT count(*) FROM public.schema_migrations WHERE version = '$probe'")" "$probe recorded"
assert_eq 1 "$(sql "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'approval' AND tablename = 'package_upgrade_probe'")" "probe table"
dpkg -i "$T/approvald_up.deb" >"$T/upgrade2.out" 2>&1 || fail "reinstall failed: $(cat "$T/upgrade2.out")"
assert_file_not_contains "$T/upgrade2.out" "$probe" "a second configure applies the migration again"
assert_eq 1 "$(sql "SELECT count(*) FROM public.schema_migrations WHERE version = '$probe'")" "$probe recorded once"
assert_eq "$conf_sum" "$(sha256sum </etc/approvald.conf)" "/etc/approvald.conf after the upgrade"
grep -q "^APPROVALD_MIGRATE_DATABASE=\"$PG_SUPER_CONNINFO\"" /etc/default/approvald || fail "/etc/default/approvald lost its edit"
assert_eq "640 root:approvald" "$(stat -c '%a %U:%G' /etc/approvald.conf)" "/etc/approvald.conf after the upgrade"
ok "upgrade to $UPVER: new migration applied once (and not again) to both databases, local database and role approvald created, edited conffiles kept"

# --- upgrade: a newer approvald whose migration fails ---------------------------
BADVER=$UPVER+badmigration
bad=901_package_upgrade_fails.sql
dpkg-deb -R "$T/approvald_up.deb" "$T/bad"
echo "DO \$\$ BEGIN RAISE EXCEPTION 'package test: this migration fails'; END \$\$;" \
	>"$T/bad/usr/share/approvald/sql/$bad"
sed -i "s/^Version: .*/Version: $BADVER/" "$T/bad/DEBIAN/control"
(cd "$T/bad" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
dpkg-deb -b --root-owner-group "$T/bad" "$T/approvald_bad.deb" >/dev/null
# the installed postinst migrates before debhelper's enable/restart snippet
pi=/var/lib/dpkg/info/approvald.postinst
mig_line=$(grep -n 'setup_database$' "$pi" | tail -n 1 | cut -d: -f1)
rst_line=$(grep -n 'deb-systemd-invoke\|systemctl.*restart\|invoke-rc.d' "$pi" | head -n 1 | cut -d: -f1)
[ -n "$mig_line" ] && [ -n "$rst_line" ] || fail "postinst: migration ($mig_line) or restart ($rst_line) step not found"
[ "$mig_line" -lt "$rst_line" ] || fail "postinst restarts the service (line $rst_line) before it migrates (line $mig_line)"
rc=0
dpkg -i "$T/approvald_bad.deb" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "an upgrade with a failing migration succeeded: $(cat "$T/bad.out")"
assert_file_contains "$T/bad.out" "approvalctl migrate failed; approvald was not restarted" "postinst says why it stopped"
assert_file_contains "$T/bad.out" "dpkg --configure -a" "postinst says what to do"
assert_eq "half-configured $BADVER" "$(dpkg-query -W -f='${db:Status-Status} ${Version}' approvald)" "approvald after the failed upgrade"
assert_eq 0 "$(sql "SELECT count(*) FROM public.schema_migrations WHERE version = '$bad'")" "$bad recorded"
assert_eq 1 "$(sql "SELECT count(*) FROM public.schema_migrations WHERE version = '$probe'")" "$probe still recorded once"
dpkg -i "$T/approvald_up.deb" >"$T/unbad.out" 2>&1 || fail "back to $UPVER failed: $(cat "$T/unbad.out")"
assert_eq "installed $UPVER" "$(dpkg-query -W -f='${db:Status-Status} ${Version}' approvald)" "approvald back on the good version"
[ ! -e "/usr/share/approvald/sql/$bad" ] || fail "$bad still installed"
assert_eq "$conf_sum" "$(sha256sum </etc/approvald.conf)" "/etc/approvald.conf after the failed upgrade"
ok "an upgrade whose migration fails stops before the restart (half-configured, nothing recorded, told what to do); installing the good version recovers"

# --- the packaged setup: approvald as its system user on the new database ---
# What systemd would run (User=approvald, RuntimeDirectory=approvald 0711,
# LimitNOFILE=65536, ExecStartPre --check-config), on /etc/approvald.conf as packaged, but for
# the database line (the test's cluster instead of /run/postgresql).
approvald_stop
sed -i "s|^database = .*|database = $LOCAL_DB user=approvald|" /etc/approvald.conf
chown approvald:approvald /run/approvald
# The unit's LimitNOFILE=65536 covers the packaged max_connections; this
# machine's hard limit may be lower (a container), and only PID 1 can
# raise it: the test asks for fewer connections instead.
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 20100 ]; then
	sed -i 's/^max_connections = .*/max_connections = 1000/' /etc/approvald.conf
fi
as_approvald() { setpriv --reuid=approvald --regid=approvald --init-groups -- "$@"; }
as_approvald /usr/sbin/approvald --check-config --config /etc/approvald.conf >"$T/check.out" 2>&1 ||
	fail "approvald --check-config as user approvald: $(cat "$T/check.out")"
# not through as_approvald: $! must be approvald itself (setpriv execs it)
setpriv --reuid=approvald --regid=approvald --init-groups -- \
	/usr/sbin/approvald --config /etc/approvald.conf >"$T/approvald-pkg.out" 2>&1 &
PKG_APPROVALD_PID=$!
_H_PIDS+=("$PKG_APPROVALD_PID")
wait_until 20 curl -fsS -o /dev/null --max-time 2 --unix-socket "$APPROVALD_SOCK" http://localhost/readyz ||
	fail "the packaged approvald is not ready"
local_admin() { "$APPROVALCTL" --database "$LOCAL_DB user=postgres" "$@"; }
local_admin host add pkg2 >"$T/pkg2.token" 2>>"$T/admin.log" || fail "host add pkg2"
install -m 0600 -o root -g root "$T/pkg2.token" /etc/pam_approve/token
tok=$(local_admin approver add approver2 --unix-login nobody-pkg2 2>>"$T/admin.log") || fail "approver add approver2"
_h_token_file "$T/approver-approver2.token" "$tok"
sudo_approved packaged approver2 --unix
ok "packaged setup: approvald as user approvald (role approvald, peer-checked socket) released a real sudo"

# --- purge: the machine as before -----------------------------------------------
# the prerm stops the service where systemd runs; here the test does
kill -TERM "$PKG_APPROVALD_PID"
wait_pid "$PKG_APPROVALD_PID" 15
assert_eq 0 "$WAIT_RC" "the packaged approvald's exit status on SIGTERM"
dpkg --purge libpam-approve approvald >"$T/purge.out" 2>&1 || fail "purge failed: $(cat "$T/purge.out")"
pamd_fingerprint >"$T/pamd.purged"
cmp -s "$T/pamd.before" "$T/pamd.purged" ||
	fail "/etc/pam.d differs after purge: $(diff "$T/pamd.before" "$T/pamd.purged")"
[ ! -e "$MODULE_PATH" ] || fail "$MODULE_PATH still there after purge"
[ ! -e /etc/pam_approve ] || fail "/etc/pam_approve still there after purge: $(ls -la /etc/pam_approve)"
! getent passwd approvald >/dev/null || fail "user approvald still there after purge"
ok "purged: /etc/pam.d byte-identical to the snapshot, module, token and user gone"

sudo_plain after
assert_eq "$((n_before + 1))" "$(req_count)" "requests filed in the first database (only the approved one)"
ok "after purge: sudo runs without an approval again"
finish
