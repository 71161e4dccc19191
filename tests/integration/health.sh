#!/usr/bin/env bash
# health.sh: /healthz is 200 while the process serves, /readyz follows the
# database (503 while PostgreSQL is stopped, 200 again after it is back);
# /metrics is Prometheus text; migrate is idempotent.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
db_start
approvald_start

n=$(sql "SELECT count(*) FROM public.schema_migrations")
assert_rc 0 actl_admin migrate
assert_eq "$n" "$(sql "SELECT count(*) FROM public.schema_migrations")" "migrations recorded after a second migrate"
ok "migrate twice is a no-op"

http GET /healthz
assert_status 200
assert_json .status ok
http GET /readyz
assert_status 200
assert_json .status ready
http GET /metrics
assert_status 200
assert_contains "$HTTP_BODY" "approvald_waiters" "metrics"
assert_contains "$HTTP_BODY" "approvald_jobs_queued 0" "metrics: no job queued at rest"
ok "healthz, readyz, metrics"

pg_stop "$T/pg"
_h_readyz_is() { http GET /readyz; [ "$HTTP_STATUS" = "$1" ]; }
wait_until 20 _h_readyz_is 503 || fail "/readyz answered $HTTP_STATUS with PostgreSQL stopped"
assert_json .error database_unavailable
http GET /healthz
assert_status 200 "healthz with PostgreSQL stopped"
ok "PostgreSQL stopped -> readyz 503, healthz 200"

pg_restart "$T/pg" || fail "pg_restart failed"
wait_until 30 _h_readyz_is 200 || fail "/readyz answered $HTTP_STATUS after PostgreSQL came back"
ok "PostgreSQL back -> readyz 200"
finish
