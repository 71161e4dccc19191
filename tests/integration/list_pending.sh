#!/usr/bin/env bash
# tests/integration/list_pending.sh: GET /v1/requests reaches every
# pending request however many there are (docs/api.md): sort=expires
# (least time left first), oldest, newest; offset paging to the end; the
# filters service and q (text in command or sudo_command, any case, taken
# as text: % and _ match only themselves); group=1 makes identical
# requests (same requester, host, target, command) one row with
# group_count, the member with the least time left standing for it;
# total=1 counts rows (groups) and requests; bad values are 400; the
# filters are parameters, so quoting in them changes nothing.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

standard_setup
mk_host db2

# 5 identical from alice on web1 (and a sixth below), 3 distinct from bob on db2, one with a
# sudo_command only matching q, one su
for i in 1 2 3 4 5; do api_create web1 '.command = "sudo systemctl restart nginx" | del(.sudo_command)'; done
first_same=$(sql "SELECT id FROM approval.requests ORDER BY created_at LIMIT 1")
for i in 1 2 3; do api_create db2 ".user = \"bob\" | .command = \"sudo /usr/bin/task-$i\" | .sudo_command = \"/usr/bin/task-$i\""; done
api_create db2 '.user = "bob" | .command = "sudo -i" | .sudo_command = "/usr/bin/50%_WIDGET"'
widget=$REQ_ID
api_create web1 '.service = "su" | .command = "su -" | del(.sudo_command)'
su_id=$REQ_ID
# a sixth identical one, the newest of all but the soonest to expire
soon=$(sql "INSERT INTO approval.requests (code, host_id, hostname, service, requester,
	requester_uid, target_user, command, digest, expires_at)
  SELECT 'ZZZ-ZZ1', host_id, hostname, service, requester, requester_uid, target_user,
	command, digest, now() + interval '30 seconds'
  FROM approval.requests WHERE id = '$first_same' RETURNING id" | head -n 1)

L() { http GET "/v1/requests?status=pending&$1" --approver carol; assert_status 200 "list $1"; }

L 'limit=500&total=1'
assert_json '.requests | length' 11
assert_json '.total' 11
assert_json '.total_requests' 11
L 'sort=expires&limit=1'
assert_json '.requests[0].id' "$soon" "sort=expires: least time left first"
L 'sort=oldest&limit=1'
assert_json '.requests[0].id' "$first_same" "sort=oldest: the oldest first"
L 'sort=newest&limit=1'
assert_json '.requests[0].id' "$soon" "sort=newest: the newest first"
L 'sort=newest&limit=2'
assert_json '.requests[1].id' "$su_id" "sort=newest: then the one before"
# paging: every row once, in order, to the end
ids=""
for off in 0 3 6 9 12; do
	L "sort=oldest&limit=3&offset=$off"
	ids+=$(json '.requests[].id')$'\n'
done
assert_eq 11 "$(grep -c . <<<"$ids")" "offset paging reaches all eleven"
assert_eq 11 "$(grep . <<<"$ids" | sort -u | wc -l)" "no row twice"
L 'offset=40&total=1'
assert_json '.requests | length' 0
assert_json '.total' null "past the end: totals unknown"

L 'service=su'
assert_json '[.requests[].id] | join(",")' "$su_id"
L 'q=NGINX'
assert_json '.requests | length' 6 "q matches the command, any case"
L 'q=50%25_widget'
assert_json '[.requests[].id] | join(",")' "$widget" "q matches sudo_command; % and _ are text"
L 'q=%25'
assert_json '.requests | length' 1 "a lone % matches only a %"
L "q=$(jq -rn --arg v "x' OR '1'='1" '$v|@uri')"
assert_json '.requests | length' 0 "quotes in q are text"

L 'group=1&total=1&sort=expires'
assert_json '.total' 6 "groups: 1 + 3 + 1 + 1"
assert_json '.total_requests' 11
assert_json '.requests[0].id' "$soon" "the member with the least time left stands for the group"
assert_json '.requests[0].group_count' 6
assert_json '[.requests[].group_count] | add' 11
L 'group=1&host=db2&total=1'
assert_json '.total' 4 "bob's distinct commands are not grouped"

for bad in 'sort=random' 'offset=-1' 'offset=1000001' 'group=yes' 'total=2' 'q=' 'service='; do
	http GET "/v1/requests?$bad" --approver carol
	assert_error 400 bad_request "$bad"
done
long=$(head -c 257 /dev/zero | tr '\0' a)
http GET "/v1/requests?q=$long" --approver carol
assert_error 400 bad_request "q over 256 bytes"
finish
