#!/usr/bin/env bash
# scripts/demo.sh: a working pam_approve + approvald on this machine, for a
# first look. Run as root (sudo scripts/demo.sh):
#   scripts/demo.sh              install missing packages, build, start a
#                                private PostgreSQL (.run/pg, kept across runs)
#                                and approvald on the Unix socket
#                                /run/pam-approve-demo/approvald.sock (the
#                                module and approvalctl) and 127.0.0.1:880 (the
#                                browser: a port only root can bind), create the
#                                demo host and approver, print what to do next.
#                                Touches no system PAM or sudo file.
#   scripts/demo.sh --with-sudo  the same, plus a demo user "approve-demo"
#                                whose real sudo waits for an approval (its own
#                                PAM service /etc/pam.d/approve-demo and
#                                /etc/sudoers.d/approve-demo).
#   scripts/demo.sh stop         stop approvald and PostgreSQL, remove what
#                                --with-sudo installed (data stays in .run/).
#   scripts/demo.sh --uninstall  stop, and delete .run/ as well.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
RUN=$REPO/.run
BUILD=${BUILD_DIR:-$REPO/build}
# Same host: a Unix socket in a root-owned directory; the module checks the
# server's peer credentials before it sends the host token. The browser gets
# plain http on loopback, on a port below 1024 so that no local user can
# stand in for approvald while it is down.
SOCKDIR=/run/pam-approve-demo
SOCK=$SOCKDIR/approvald.sock
SOCK_URL=unix:$SOCK
LISTEN=127.0.0.1:880
URL=http://$LISTEN
DEMO_USER=approve-demo
DEMO_SVC=approve-demo

say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"

# shellcheck source=tests/lib/pg.sh
. "$REPO/tests/lib/pg.sh"

# PostgreSQL runs as "postgres": its data must be somewhere that user can
# reach. .run/pg when the checkout is traversable, else under /var/lib.
pg_dir() {
	if su postgres -s /bin/sh -c "test -x '$REPO'" 2>/dev/null; then
		echo "$RUN/pg"
	else
		echo /var/lib/pam-approve-demo/pg
	fi
}
PGDIR=$(pg_dir)

pg_running() {
	[ -f "$PGDIR/data/postmaster.pid" ] && [ -f "$PGDIR/port" ] &&
		"$PG_BINDIR/pg_isready" -q -h "$PGDIR" -p "$(cat "$PGDIR/port")"
}

pg_env() {	# the exports of pg_start, for a cluster that already runs
	local port
	port=$(cat "$PGDIR/port")
	export PGSOCKDIR=$PGDIR PGPORT_TEST=$port
	export PG_SUPER_CONNINFO="host=$PGDIR port=$port dbname=$PG_DBNAME user=postgres"
	export PG_APP_CONNINFO="host=$PGDIR port=$port dbname=$PG_DBNAME user=approval_app"
}

approvald_running() {
	[ -f "$RUN/approvald.pid" ] && kill -0 "$(cat "$RUN/approvald.pid")" 2>/dev/null
}

stop_approvald() {
	local pid i
	approvald_running || { rm -f "$RUN/approvald.pid"; return 0; }
	pid=$(cat "$RUN/approvald.pid")
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rm -f "$RUN/approvald.pid"
	if [ -S "$SOCK" ]; then rm -f "$SOCK"; fi	# gone already after a clean exit
	say "approvald stopped"
}

uninstall_sudo() {
	local f
	for f in "/etc/sudoers.d/$DEMO_SVC" "/etc/pam.d/$DEMO_SVC"; do
		if [ -e "$f" ] && grep -q 'pam_approve demo' "$f"; then
			rm -f "$f"
			say "removed $f"
		fi
	done
	if [ -f "$RUN/demo-user-created" ] && id "$DEMO_USER" >/dev/null 2>&1; then
		userdel "$DEMO_USER" && say "removed user $DEMO_USER"
	fi
	rm -f "$RUN/demo-user-created"
}

stop_all() {
	stop_approvald
	rmdir "$SOCKDIR" 2>/dev/null || true
	if [ -d "$PGDIR/data" ]; then
		pg_stop "$PGDIR" && say "PostgreSQL stopped"
	fi
	uninstall_sudo
}

with_sudo=0
case ${1:-} in
stop) stop_all; exit 0 ;;
--uninstall)
	stop_all
	rm -rf "$RUN" /var/lib/pam-approve-demo
	say "removed $RUN"
	exit 0 ;;
--with-sudo) with_sudo=1 ;;
"") ;;
-h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
*) die "unknown argument $1 (see --help)" ;;
esac

say "== packages"
bash "$REPO/scripts/deps.sh"

say "== build ($BUILD)"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$REPO" >/dev/null
fi
meson compile -C "$BUILD" >/dev/null
APPROVALD=$BUILD/approvald/approvald
APPROVALCTL=$BUILD/approvalctl/approvalctl
PAMDRIVE=$BUILD/tests/pam/pamdrive
MODULE=$BUILD/pam_approve/pam_approve.so
for f in "$APPROVALD" "$APPROVALCTL" "$PAMDRIVE" "$MODULE"; do
	[ -e "$f" ] || die "not built: $f"
done

mkdir -p "$RUN"
chmod 0711 "$RUN"

say "== PostgreSQL ($PGDIR)"
if pg_running; then
	pg_env
else
	pg_start "$PGDIR" >/dev/null
fi
"$APPROVALCTL" --database "$PG_SUPER_CONNINFO" migrate

say "== approvald ($SOCK_URL, $URL)"
stop_approvald
if (exec 3<>"/dev/tcp/${LISTEN%:*}/${LISTEN#*:}") 2>/dev/null; then
	die "something else already listens on $LISTEN"
fi
[ ! -L "$SOCKDIR" ] || die "$SOCKDIR is a symlink"
mkdir -p "$SOCKDIR"
chown root:root "$SOCKDIR"
chmod 0711 "$SOCKDIR"
# approvald's signing key (kept across runs) and the public line the
# module pins (keys=): only answers signed with it can approve.
if [ ! -s "$RUN/signing.key" ]; then
	rm -f "$RUN/signing.key"
	"$APPROVALCTL" key generate --out "$RUN/signing.key" >"$RUN/approvald.pub" 2>/dev/null ||
		die "cannot generate the signing key"
fi
chown root:root "$RUN/approvald.pub"
chmod 0644 "$RUN/approvald.pub"
cat >"$RUN/approvald.conf" <<EOF
# written by scripts/demo.sh
listen = unix:$SOCK, $LISTEN
database = $PG_APP_CONNINFO
public_url = $URL
request_ttl = 600
signing_key = $RUN/signing.key
EOF
setsid "$APPROVALD" --config "$RUN/approvald.conf" </dev/null >>"$RUN/approvald.log" 2>&1 &
echo $! >"$RUN/approvald.pid"
for ((i = 0; i < 100; i++)); do
	curl -fsS -o /dev/null --max-time 1 --unix-socket "$SOCK" http://localhost/healthz 2>/dev/null &&
		curl -fsS -o /dev/null --max-time 1 "$URL/healthz" 2>/dev/null && break
	approvald_running || { tail -n 20 "$RUN/approvald.log" >&2; die "approvald did not start"; }
	sleep 0.1
done
curl -fsS -o /dev/null "$URL/readyz" || die "approvald is not ready (see $RUN/approvald.log)"

# Tokens are shown once; keep them in root-only files (the module refuses
# anything else).
token_file() {	# FILE: stdin -> FILE, root 0600
	(umask 077; cat >"$1")
	chown root:root "$1"
	chmod 0600 "$1"
}
db_count() {	# SQL: a count
	"$PG_BINDIR/psql" -X -qtA "$PG_SUPER_CONNINFO" -c "$1"
}
host_enabled() { [ "$(db_count "SELECT count(*) FROM approval.hosts WHERE name = '$1' AND enabled")" = 1 ]; }
host_known() { [ "$(db_count "SELECT count(*) FROM approval.hosts WHERE name = '$1'")" = 1 ]; }
approver_exists() { [ "$(db_count "SELECT count(*) FROM approval.approvers WHERE login = '$1' AND enabled")" = 1 ]; }

say "== demo host and approver"
hname=$(cat "$RUN/host.name" 2>/dev/null || echo demo)
if [ ! -s "$RUN/host.token" ] || ! host_enabled "$hname"; then
	# a token is shown only once: without it, enrol a host under a new name
	host_known "$hname" && hname=demo-$(date +%s)
	"$APPROVALCTL" --database "$PG_SUPER_CONNINFO" host add "$hname" 2>/dev/null | token_file "$RUN/host.token"
	echo "$hname" >"$RUN/host.name"
	say "host '$hname' enrolled: token in $RUN/host.token"
fi
if [ ! -s "$RUN/approver-demo.token" ] || ! approver_exists demo; then
	if approver_exists demo; then
		"$APPROVALCTL" --database "$PG_SUPER_CONNINFO" approver token demo 2>/dev/null | token_file "$RUN/approver-demo.token"
	else
		"$APPROVALCTL" --database "$PG_SUPER_CONNINFO" approver add demo \
			--unix-login demo-approver --display-name "Demo Approver" 2>/dev/null |
			token_file "$RUN/approver-demo.token"
	fi
	say "approver 'demo': API token in $RUN/approver-demo.token"
fi
# web sign-in: a random password, kept in a 0600 file
if [ ! -s "$RUN/approver-demo.password" ] ||
   [ "$(db_count "SELECT count(*) FROM approval.approvers WHERE login = 'demo' AND password_hash IS NOT NULL")" = 0 ]; then
	( umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$RUN/approver-demo.password" )
	"$APPROVALCTL" --database "$PG_SUPER_CONNINFO" approver passwd demo \
		<"$RUN/approver-demo.password" >/dev/null || die "cannot set the demo approver's web password"
fi

# Short wrappers so the printed instructions stay short.
mkdir -p "$RUN/bin" "$RUN/pam.d"
cat >"$RUN/bin/approvalctl" <<EOF
#!/bin/sh
# approvalctl as the demo approver (written by scripts/demo.sh)
exec "$APPROVALCTL" --url "$SOCK_URL" --token-file "$RUN/approver-demo.token" "\$@"
EOF
printf 'account required %s url=%s token_file=%s keys=%s timeout=300\n' \
	"$MODULE" "$SOCK_URL" "$RUN/host.token" "$RUN/approvald.pub" >"$RUN/pam.d/$DEMO_SVC"
# libpam also reads "other" (pam_wrapper complains when it is missing)
deny=$(ls /lib/*/security/pam_deny.so /usr/lib/*/security/pam_deny.so 2>/dev/null | head -n 1 || true)
if [ -n "$deny" ]; then
	printf '%s required %s\n' auth "$deny" account "$deny" password "$deny" session "$deny" >"$RUN/pam.d/other"
fi
cat >"$RUN/bin/request" <<EOF
#!/bin/sh
# An elevation request through the real module, driven by libpamtest under
# pam_wrapper with the service file $RUN/pam.d/$DEMO_SVC: no system PAM
# file is involved (written by scripts/demo.sh).
exec env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$RUN/pam.d" \\
	"$PAMDRIVE" --service $DEMO_SVC --user "\${1:-\${SUDO_USER:-root}}" --op account
EOF
chmod 0755 "$RUN/bin/approvalctl" "$RUN/bin/request"

if [ "$with_sudo" = 1 ]; then
	say "== sudo integration for user $DEMO_USER"
	if ! id "$DEMO_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/bash -U "$DEMO_USER"
		touch "$RUN/demo-user-created"
	fi
	cat >"/etc/pam.d/$DEMO_SVC" <<EOF
# pam_approve demo (scripts/demo.sh; removed by scripts/demo.sh stop)
session required pam_limits.so
@include common-auth
account required $MODULE url=$SOCK_URL token_file=$RUN/host.token keys=$RUN/approvald.pub timeout=300
@include common-account
@include common-session-noninteractive
EOF
	cat >"$RUN/sudoers" <<EOF
# pam_approve demo (scripts/demo.sh; removed by scripts/demo.sh stop)
Defaults:$DEMO_USER pam_service=$DEMO_SVC, pam_login_service=$DEMO_SVC, !lecture
$DEMO_USER ALL=(root) NOPASSWD: ALL
EOF
	visudo -cf "$RUN/sudoers" >/dev/null || die "visudo rejects the demo drop-in"
	install -m 0440 -o root -g root "$RUN/sudoers" "/etc/sudoers.d/$DEMO_SVC"
	rm -f "$RUN/sudoers"
fi

cat <<EOF

approvald runs (log: $RUN/approvald.log, pid $(cat "$RUN/approvald.pid")) on
  $SOCK_URL   for the module and approvalctl
  $URL   for the browser (a port only root can bind)
PostgreSQL: $PGDIR (data kept across runs).

1. Ask for an elevation (this waits for a decision and shows a code such
   as K7Q-4MX):
     sudo $RUN/bin/request
EOF
if [ "$with_sudo" = 1 ]; then
	cat <<EOF
   or with the real sudo, as the demo user:
     sudo runuser -u $DEMO_USER -- sudo /usr/bin/id
EOF
fi
cat <<EOF

2. Open $URL/ui/ in a browser, sign in as "demo" with the password
   $(cat "$RUN/approver-demo.password") (kept in $RUN/approver-demo.password), open the
   request (it appears by itself) and approve or deny it.
   Or in another shell, see it and decide:
     sudo $RUN/bin/approvalctl list --status pending
     sudo $RUN/bin/approvalctl show CODE
     sudo $RUN/bin/approvalctl approve CODE        # or: deny CODE -m "why"
   The waiting command in the first shell returns at once.
   (.run/bin/approvalctl is approvalctl with the demo approver's
   --token-file and --url $SOCK_URL;
   "watch" prints requests as they arrive.)

Stop everything (and remove the sudo demo files, if any): sudo $0 stop
EOF
