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
#include "breakglass.h"
#include "request.h"
#include "requests.h"
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
	if (f.initiator && !approve_initiator_valid(f.initiator))
		return http_reply_error(r, 400, "bad_request",
					"initiator must be " APPROVE_INITIATOR_WORDS);
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

/* A lifecycle result as the approver endpoints answer it. */
static enum MHD_Result
reply_result(struct http_req *r, enum request_result res, json_object *detail)
{
	switch (res) {
	case REQUEST_OK:
	case REQUEST_COUNTED:	return http_reply_obj(r, 200, detail);
	case REQUEST_ALREADY_APPROVED:
		return http_reply_error(r, 409, "already_approved",
					"you approved this request already; it needs "
					"another approver");
	case REQUEST_NOT_IN_GROUP:
		return http_reply_error(r, 403, "not_in_group",
					"only members of the rule's approver groups "
					"may decide this request");
	case REQUEST_NOT_BREAKGLASS:
		return http_reply_error(r, 409, "not_breakglass",
					"the request was not let in by break-glass; "
					"there is nothing to review");
	case REQUEST_REVIEWED:
		return http_reply_error(r, 409, "already_reviewed",
					"the break-glass review is closed already");
	case REQUEST_FORBIDDEN:
		return http_reply_error(r, 403, "forbidden",
					"you may not review break-glass");
	case REQUEST_BAD:	return reply_rc(r, -EINVAL);
	case REQUEST_NOT_FOUND:	return reply_rc(r, -ENOENT);
	case REQUEST_FINAL:	return reply_rc(r, -EALREADY);
	case REQUEST_SELF:	return reply_rc(r, -EPERM);
	case REQUEST_DB_DOWN:	return reply_rc(r, -EIO);
	default:		return reply_rc(r, -EFAULT);
	}
}

enum MHD_Result
route_show(struct http_req *r)
{
	json_object *o = NULL;
	enum request_result res;

	if (r->param_bad)
		return reply_rc(r, -EINVAL);
	res = request_show(r->app, r->param, r->who.id, &o);
	return reply_result(r, res, o);
}

/* The request id and the optional {"comment"} of a decision or review
 * body: 0 with *comment (NULL or malloc'd), or -1 with *reply sent. */
static int
id_and_comment(struct http_req *r, char **comment, enum MHD_Result *reply)
{
	char err[256];

	*comment = NULL;
	if (r->param_bad) {
		*reply = reply_rc(r, -EINVAL);
		return -1;
	}
	if (approve_decision_from_json(r->body.data ? r->body.data : "", r->body.len,
				       comment, err, sizeof(err)) < 0) {
		*reply = http_reply_error(r, 400, "bad_request", err);
		return -1;
	}
	return 0;
}

static enum MHD_Result
decide(struct http_req *r, enum approve_state decision)
{
	json_object *o = NULL;
	enum request_result res;
	enum MHD_Result reply;
	char *comment;

	if (id_and_comment(r, &comment, &reply) < 0)
		return reply;
	res = request_decide(r->app, r->param, decision, &r->who, comment, &o);
	free(comment);
	return reply_result(r, res, o);
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

/* The {"comment"} of a review, which is required: 0 with *comment
 * (malloc'd), or -1 with *reply sent. */
static int
review_comment(struct http_req *r, char **comment, enum MHD_Result *reply)
{
	char err[256];

	*comment = NULL;
	if (approve_decision_from_json(r->body.data ? r->body.data : "", r->body.len,
				       comment, err, sizeof(err)) < 0) {
		*reply = http_reply_error(r, 400, "bad_request", err);
		return -1;
	}
	if (!*comment || !(*comment)[strspn(*comment, " \t")]) {
		free(*comment);
		*comment = NULL;
		*reply = http_reply_error(r, 400, "bad_request",
					  "a review needs a comment: what was checked");
		return -1;
	}
	return 0;
}

/* POST /v1/requests/ID/review {"comment"}: close a break-glass review. */
enum MHD_Result
route_review(struct http_req *r)
{
	json_object *o = NULL;
	enum request_result res;
	enum MHD_Result reply;
	char *comment;

	if (r->param_bad)
		return reply_rc(r, -EINVAL);
	if (review_comment(r, &comment, &reply) < 0)
		return reply;
	res = request_review(r->app, r->param, &r->who, comment, &o);
	free(comment);
	return reply_result(r, res, o);
}

/* POST /v1/breakglass/uses/BG-ID/review {"comment"}: close the review of
 * an offline code's use; the answer is its item of GET /v1/breakglass. */
enum MHD_Result
route_breakglass_review(struct http_req *r)
{
	enum request_result res;
	enum MHD_Result reply;
	char *comment, *json;

	if (r->param_bad || !approve_bg_id_valid(r->param))
		return http_reply_error(r, 400, "bad_request",
					"expected a break-glass code id (BG-XXXXXXXX)");
	if (review_comment(r, &comment, &reply) < 0)
		return reply;
	res = request_review_offline(r->app, r->param, &r->who, comment, &json);
	free(comment);
	if (res == REQUEST_NOT_FOUND)
		return http_reply_error(r, 404, "not_found",
					"no use of that break-glass code is on record");
	if (res != REQUEST_OK)
		return reply_result(r, res, NULL);
	return http_reply_json(r, 200, json);
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
