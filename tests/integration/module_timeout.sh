#!/usr/bin/env bash
# module_timeout.sh: the module's own timeout= is a hard deadline: the
# request is cancelled on the server and the PAM call fails; a server that
# accepts and never answers does not stretch it either.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
need_root
db_start
approvald_start
mk_host web1
pam_service sudo-test --stack account timeout=3

t0=$(now_ms)
run_pamdrive to --service sudo-test --user alice --op account
code=$(wait_for_code to)
pamdrive_wait "$PAMDRIVE_PID" 20
elapsed=$(( $(now_ms) - t0 ))
assert_pam_denied to
wait_for_status "$code" cancelled 5
[ "$elapsed" -ge 2500 ] || fail "gave up after ${elapsed} ms, before timeout=3"
assert_le "$elapsed" 10000 "ms until the module gave up (timeout=3)"
ok "timeout=3 -> cancelled after ${elapsed} ms"

pam_service slow-test --stack account "url=$(fake_server_url create_silent)" timeout=3
t0=$(now_ms)
pamdrive_run slow 20 --service slow-test --user alice --op account
elapsed=$(( $(now_ms) - t0 ))
assert_pam_denied slow
assert_le "$elapsed" 10000 "ms until the module gave up on a silent server (timeout=3)"
ok "a silent server: denied after ${elapsed} ms"
finish
