/* routes_breakglass.c: owns POST /v1/breakglass/uses (docs/api.md): a
 * host reports the use of an offline break-glass code it let in while
 * approvald was unreachable. The database records it once per code id
 * (approval.breakglass_offline_report, sql/020), only for a code issued
 * to this host, as a critical audit event; a repeat is answered 200 so
 * the module can mark the use reported.
 *
 * Also GET /v1/breakglass (readers): the review list of both kinds in one
 * shape, read from approval.report_breakglass by one statement (one
 * snapshot). Closing a review is routes_approver.c's (with the rule
 * kind's, whose rules and error shapes it shares). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breakglass.h"
#include "db.h"
#include "httpd.h"
#include "log.h"
#include "text.h"

#define BG_SHOW_MAX 128
#define BG_LIST_DEFAULT 200
#define BG_LIST_MAX 500

/* $1 the caller (approver id: "own" says they are the requester, whom the
 * database refuses), $2 closed ones too, $3 limit, $4 one item's id or
 * NULL. Open items first, newest first. */
static const char bg_list_sql[] =
	"SELECT pg_catalog.json_build_object("
	" 'open', (SELECT pg_catalog.count(*) FROM approval.report_breakglass o"
	"   WHERE o.review = 'needs review'),"
	" 'items', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object("
	"   'kind', x.kind, 'id', x.id, 'code', x.code, 'host', x.host,"
	"   'requester', x.requester, 'target_user', x.target_user, 'service', x.service,"
	"   'command', x.command, 'sudo_command', x.sudo_command, 'reason', x.reason,"
	"   'ticket', x.ticket, 'rule', x.rule, 'at', " DB_ISO_UTC("x.created_at") ","
	"   'reported_at', " DB_ISO_UTC("x.reported_at") ", 'review', x.review,"
	"   'reviewed_by', x.reviewed_by, 'reviewed_at', " DB_ISO_UTC("x.reviewed_at") ","
	"   'review_comment', x.review_comment,"
	"   'own', EXISTS (SELECT 1 FROM approval.approvers a WHERE a.id = $1::bigint"
	"     AND (pg_catalog.lower(a.login) = pg_catalog.lower(x.requester)"
	"      OR pg_catalog.lower(x.requester) = ANY (SELECT pg_catalog.lower(l)"
	"       FROM pg_catalog.unnest(a.unix_logins) l))),"
	"   'review_path', CASE x.kind WHEN 'rule' THEN '/v1/requests/' || x.id || '/review'"
	"     ELSE '/v1/breakglass/uses/' || x.id || '/review' END)"
	"   ORDER BY x.closed, x.created_at DESC, x.id)"
	"  FROM (SELECT b.*, b.review <> 'needs review' AS closed,"
	"    CASE b.kind WHEN 'rule' THEN b.request_id::text ELSE b.code END AS id"
	"    FROM approval.report_breakglass b"
	"    WHERE ($2::boolean OR b.review = 'needs review')"
	"     AND ($4::text IS NULL OR $4::text = CASE b.kind WHEN 'rule'"
	"      THEN b.request_id::text ELSE b.code END)"
	"    ORDER BY b.review <> 'needs review', b.created_at DESC LIMIT $3::integer) x),"
	"  '[]'))::text";

int
breakglass_list_json(struct db_conn *db, long long approver_id, int all,
		     unsigned long limit, const char *id, char **out)
{
	char who[24], lim[24];
	const char *params[4] = { who, all ? "true" : "false", lim, id };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	snprintf(who, sizeof(who), "%lld", approver_id);
	snprintf(lim, sizeof(lim), "%lu", limit);
	rc = db_exec(db, bg_list_sql, 4, params, &res);
	if (rc < 0 || PQntuples(res) != 1) {
		rc = rc < 0 ? db_failure(res, "break-glass list") : -EPROTO;
		PQclear(res);
		return rc;
	}
	*out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *out ? 0 : -ENOMEM;
}

/* GET /v1/breakglass[?all=1][&limit=N] */
enum MHD_Result
route_breakglass_list(struct http_req *r)
{
	const char *all = http_query(r, "all");
	unsigned long limit;
	struct db_conn *db;
	char *json = NULL;
	int rc;

	if (all && strcmp(all, "0") != 0 && strcmp(all, "1") != 0)
		return http_reply_error(r, 400, "bad_request", "all must be 0 or 1");
	if (http_query_ulong(r, "limit", 1, BG_LIST_MAX, BG_LIST_DEFAULT, &limit) < 0)
		return http_reply_error(r, 400, "bad_request", "limit must be 1..500");
	db = db_get(r->app->db, DB_WAIT_MS);
	if (!db)
		return http_reply_db_down(r);
	rc = breakglass_list_json(db, r->who.id, all && strcmp(all, "1") == 0, limit, NULL,
				  &json);
	db_put(r->app->db, db);
	if (rc == -ENOMEM || rc == -EPROTO)
		return http_reply_error(r, 500, "internal_error", "the break-glass list failed");
	if (rc < 0)
		return http_reply_db_down(r);
	return http_reply_json(r, 200, json);
}

static char *
shown(const char *s)
{
	char *r = approve_sanitize_display(s, strlen(s), BG_SHOW_MAX);

	return r ? r : strdup("?");
}

enum MHD_Result
route_breakglass_use(struct http_req *r)
{
	struct approve_bg_use *u = NULL;
	char err[256], host_id[32], used_at[32];
	char *who = NULL, *as = NULL, *svc = NULL;
	const char *params[8], *what;
	PGresult *res = NULL;
	struct db_conn *db = NULL;
	enum MHD_Result ret;

	if (approve_bg_use_from_json(r->body.data ? r->body.data : "", r->body.len, &u,
				     err, sizeof(err)) < 0)
		return http_reply_error(r, 400, "bad_request", err);
	snprintf(host_id, sizeof(host_id), "%lld", r->who.id);
	snprintf(used_at, sizeof(used_at), "%lld", u->used_at);
	params[0] = host_id;
	params[1] = u->code_id;
	params[2] = u->requester;
	params[3] = u->target_user;
	params[4] = u->service;
	params[5] = u->command;
	params[6] = u->digest;
	params[7] = used_at;
	db = db_get(r->app->db, DB_WAIT_MS);
	if (!db) {
		ret = http_reply_db_down(r);
		goto out;
	}
	if (db_exec(db, "SELECT approval.breakglass_offline_report($1::bigint, $2, $3,"
		    " $4, $5, $6, $7, $8::bigint)", 8, params, &res) < 0 ||
	    PQntuples(res) != 1) {
		db_log_error("break-glass use report", res);
		ret = http_reply_db_down(r);
		goto out;
	}
	what = PQgetvalue(res, 0, 0);
	who = shown(u->requester);
	as = shown(u->target_user);
	svc = shown(u->service);
	if (strcmp(what, "recorded") == 0) {
		approve_log(LOG_CRIT, "BREAK-GLASS (offline): host %s reports code %s used "
			    "by %s as %s (%s) while approvald was unreachable; recorded, "
			    "needs review", r->who.name, u->code_id, who, as, svc);
		ret = http_reply_json(r, 201, strdup("{\"status\":\"recorded\"}"));
	} else if (strcmp(what, "repeated") == 0) {
		approve_log(LOG_NOTICE, "break-glass code %s: host %s reported its use "
			    "again (on record already)", u->code_id, r->who.name);
		ret = http_reply_json(r, 200, strdup("{\"status\":\"repeated\"}"));
	} else {
		approve_log(LOG_WARNING, "host %s reports a use of break-glass code %s, "
			    "which was not issued to it; refused", r->who.name, u->code_id);
		ret = http_reply_error(r, 404, "not_found",
				       "no such break-glass code for this host");
	}
out:
	free(who);
	free(as);
	free(svc);
	PQclear(res);
	if (db)
		db_put(r->app->db, db);
	approve_bg_use_free(u);
	return ret;
}
