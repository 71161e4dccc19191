/* routes_breakglass.c: owns POST /v1/breakglass/uses (docs/api.md): a
 * host reports the use of an offline break-glass code it let in while
 * approvald was unreachable. The database records it once per code id
 * (approval.breakglass_offline_report, sql/020), only for a code issued
 * to this host, as a critical audit event; a repeat is answered 200 so
 * the module can mark the use reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breakglass.h"
#include "db.h"
#include "httpd.h"
#include "log.h"
#include "text.h"

#define BG_SHOW_MAX 128

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
