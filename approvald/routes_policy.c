/* routes_policy.c: owns GET /v1/policy (docs/api.md, "Policy"): the policy
 * as it decides now, for the web UI's read-only Policy page: its version,
 * the default, the active rules in order, and the approver groups and
 * host groups with their members. Readers only (httpd.c checked the role).
 * Changing the policy is approvalctl's (admin, database): nothing here
 * writes. The whole answer is built by one statement, so it is one
 * consistent snapshot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "httpd.h"

static const char policy_sql[] =
	"SELECT pg_catalog.json_build_object("
	" 'version', s.version, 'default', s.default_rule,"
	" 'changed_at', s.changed_at, 'changed_by', s.changed_by,"
	" 'rules', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object("
	"   'id', r.id, 'position', r.position, 'rule', r.rule,"
	"   'created_at', r.created_at, 'created_by', r.created_by) ORDER BY r.position)"
	"   FROM approval.policy_rules r WHERE r.removed_at IS NULL), '[]'),"
	" 'groups', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object("
	"   'name', g.name, 'members', COALESCE((SELECT pg_catalog.json_agg(a.login ORDER BY a.login)"
	"     FROM approval.group_members m JOIN approval.approvers a ON a.id = m.approver_id"
	"     WHERE m.group_id = g.id), '[]')) ORDER BY g.name)"
	"   FROM approval.approver_groups g), '[]'),"
	" 'host_groups', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object("
	"   'name', g.name, 'hosts', COALESCE((SELECT pg_catalog.json_agg(x.name ORDER BY x.name)"
	"     FROM approval.host_group_members m JOIN approval.hosts x ON x.id = m.host_id"
	"     WHERE m.group_id = g.id), '[]')) ORDER BY g.name)"
	"   FROM approval.host_groups g), '[]'))::text"
	" FROM approval.policy_state s";

enum MHD_Result
route_policy(struct http_req *r)
{
	struct db_conn *db;
	PGresult *res = NULL;
	char *json;
	int rc;

	db = db_get(r->app->db, DB_WAIT_MS);
	if (!db)
		return http_reply_db_down(r);
	rc = db_exec(db, policy_sql, 0, NULL, &res);
	db_put(r->app->db, db);
	if (rc < 0 || PQntuples(res) != 1) {
		rc = rc < 0 ? db_failure(res, "policy read") : -EPROTO;
		PQclear(res);
		return rc == -EPROTO ? http_reply_error(r, 500, "internal_error", "the policy read failed")
				     : http_reply_db_down(r);
	}
	json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!json)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json(r, 200, json);
}
