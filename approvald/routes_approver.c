/* routes_approver.c: owns the approver endpoints of docs/api.md (list,
 * show, approve, deny) and the short link /r/CODE. Roles were checked
 * from the token before the body was read (httpd.c); the rules that must
 * hold whoever writes (final is final, no self-approval) are enforced by
 * the database and mapped to 409 / 403 here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "httpd.h"
#include "log.h"
#include "requests.h"
#include "signing.h"
#include "wire.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500
#define BEFORE_MAX 64
#define OFFSET_MAX 1000000UL

static enum MHD_Result
reply_rc(struct http_req *r, int rc)
{
	switch (rc) {
	case -EINVAL:
		return http_reply_error(r, 400, "bad_request",
					"expected a request id (uuid) or code (XXX-XXX)");
	case -ENOENT:
		return http_reply_error(r, 404, "not_found", "no such request");
	case -EALREADY:
		return http_reply_error(r, 409, "final", "the request is already decided, "
					"expired or cancelled");
	case -EPERM:
		return http_reply_error(r, 403, "self_approval",
					"you may not decide your own request");
	case -EIO:
		return http_reply_db_down(r);
	default:
		return http_reply_error(r, 500, "internal_error", "unexpected failure");
	}
}

/* A yes/no query flag: absent or "0" no, "1" yes, else -EINVAL. */
static int
query_flag(struct http_req *r, const char *name, int *out)
{
	const char *v = http_query(r, name);

	*out = 0;
	if (!v || strcmp(v, "0") == 0)
		return 0;
	if (strcmp(v, "1") != 0)
		return -EINVAL;
	*out = 1;
	return 0;
}

enum MHD_Result
route_list(struct http_req *r)
{
	struct app *app = r->app;
	struct req_filter f = {
		.status = http_query(r, "status"), .before = http_query(r, "before"),
		.from = http_query(r, "from"), .to = http_query(r, "to"),
		.host = http_query(r, "host"), .requester = http_query(r, "requester"),
		.approver = http_query(r, "approver"),
		.initiator = http_query(r, "initiator"),
		.service = http_query(r, "service"), .text = http_query(r, "q"),
	};
	const char *const times[] = { f.before, f.from, f.to };
	const char *const names[] = { f.host, f.requester, f.approver, f.service, f.text };
	const char *sort = http_query(r, "sort");
	struct db_conn *db;
	json_object *o = NULL;
	unsigned long limit, offset;
	size_t i, t;
	int rc;

	if (f.status && strcmp(f.status, "final") != 0 &&
	    approve_state_parse(f.status) == APPROVE_STATE_INVALID)
		return http_reply_error(r, 400, "bad_request", "unknown status");
	if (http_query_ulong(r, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit) < 0)
		return http_reply_error(r, 400, "bad_request", "limit must be 1..500");
	if (http_query_ulong(r, "offset", 0, OFFSET_MAX, 0, &offset) < 0)
		return http_reply_error(r, 400, "bad_request", "offset must be 0..1000000");
	if (!sort || strcmp(sort, "newest") == 0)
		f.sort = REQ_SORT_NEWEST;
	else if (strcmp(sort, "oldest") == 0)
		f.sort = REQ_SORT_OLDEST;
	else if (strcmp(sort, "expires") == 0)
		f.sort = REQ_SORT_EXPIRES;
	else
		return http_reply_error(r, 400, "bad_request",
					"sort must be newest, oldest or expires");
	if (query_flag(r, "group", &f.group) < 0 || query_flag(r, "total", &f.totals) < 0)
		return http_reply_error(r, 400, "bad_request", "group/total must be 0 or 1");
	if (f.initiator && strcmp(f.initiator, "human") != 0 &&
	    strcmp(f.initiator, "agent") != 0 && strcmp(f.initiator, "ci") != 0)
		return http_reply_error(r, 400, "bad_request",
					"initiator must be human, agent or ci");
	for (t = 0; t < 3; t++) {
		/* ISO 8601 text only; the database parses it */
		if (!times[t])
			continue;
		if (!*times[t] || strlen(times[t]) > BEFORE_MAX)
			return http_reply_error(r, 400, "bad_request", "before/from/to: not a time");
		for (i = 0; times[t][i]; i++)
			if (!strchr("0123456789-:.TZ+ ", times[t][i]))
				return http_reply_error(r, 400, "bad_request",
							"before/from/to: not a time");
	}
	for (t = 0; t < sizeof(names) / sizeof(names[0]); t++)
		if (names[t] && (!*names[t] || strlen(names[t]) > APPROVE_LEN_NAME))
			return http_reply_error(r, 400, "bad_request",
						"host/requester/approver/service/q: 1..256 bytes");
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return http_reply_db_down(r);
	rc = req_list(db, r->who.id, &f, limit, offset, app->public_url, &o);
	db_put(app->db, db);
	if (rc == -EINVAL)
		return http_reply_error(r, 400, "bad_request", "before/from/to: not a time");
	if (rc < 0)
		return reply_rc(r, rc);
	return http_reply_obj(r, 200, o);
}

static enum MHD_Result
show(struct http_req *r, struct db_conn *db, const char *id)
{
	json_object *o = NULL;
	int rc = req_detail(db, id, r->who.id, r->app->public_url, &o);

	if (rc < 0)
		return reply_rc(r, rc);
	return http_reply_obj(r, 200, o);
}

enum MHD_Result
route_show(struct http_req *r)
{
	struct app *app = r->app;
	char id[APPROVE_UUID_LEN + 1];
	struct db_conn *db;
	enum MHD_Result ret;
	int rc;

	if (r->param_bad)
		return reply_rc(r, -EINVAL);
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return http_reply_db_down(r);
	rc = req_resolve(db, r->param, id, NULL);
	ret = rc < 0 ? reply_rc(r, rc) : show(r, db, id);
	db_put(app->db, db);
	return ret;
}

static enum MHD_Result
decide(struct http_req *r, enum approve_state decision)
{
	struct app *app = r->app;
	char id[APPROVE_UUID_LEN + 1], err[256];
	char *comment = NULL;
	struct db_conn *db = NULL;
	enum MHD_Result ret;
	int rc;

	if (r->param_bad)
		return reply_rc(r, -EINVAL);
	if (approve_decision_from_json(r->body.data ? r->body.data : "", r->body.len,
				       &comment, err, sizeof(err)) < 0)
		return http_reply_error(r, 400, "bad_request", err);
	db = db_get(app->db, DB_WAIT_MS);
	if (!db) {
		ret = http_reply_db_down(r);
		goto out;
	}
	rc = req_resolve(db, r->param, id, NULL);
	if (rc == 0)
		rc = req_decide(db, id, decision, r->who.id, r->who.name, comment);
	/* the receipt: a failure is logged and the decision stands (a host
	 * still gets its signed answer at wait) */
	if (rc == 0 && signer_store_receipt(app->signer, db, id) < 0)
		approve_log(LOG_ERR, "request %s: receipt not stored", id);
	ret = rc < 0 ? reply_rc(r, rc) : show(r, db, id);
out:
	db_put(app->db, db);
	free(comment);
	return ret;
}

enum MHD_Result
route_approve(struct http_req *r)
{
	return decide(r, APPROVE_APPROVED);
}

enum MHD_Result
route_deny(struct http_req *r)
{
	return decide(r, APPROVE_DENIED);
}

/* /r/CODE -> the web UI's page of that request. No authentication here:
 * the page itself asks for it. An unknown or malformed code gets the UI's
 * not-found page (404). */
enum MHD_Result
route_short_link(struct http_req *r)
{
	struct app *app = r->app;
	char id[APPROVE_UUID_LEN + 1], loc[64];
	struct db_conn *db;
	int rc = -EINVAL;

	if (!r->param_bad && approve_code_valid(r->param)) {
		db = db_get(app->db, DB_WAIT_MS);
		if (!db)
			return http_reply_db_down(r);
		rc = req_resolve(db, r->param, id, NULL);
		db_put(app->db, db);
	}
	if (rc == -EIO)
		return http_reply_db_down(r);
	if (rc < 0)
		return route_ui_missing(r);
	snprintf(loc, sizeof(loc), "/ui/requests/%s", id);
	return http_reply_redirect(r, loc);
}
