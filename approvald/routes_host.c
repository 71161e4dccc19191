/* routes_host.c: owns the host endpoints of docs/api.md: create a
 * request, long-poll for its decision, cancel it. A host sees only its own
 * requests: anything else, existing or not, is 404. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "clock.h"
#include "httpd.h"
#include "log.h"
#include "request.h"
#include "settings.h"
#include "signing.h"
#include "wire.h"

#define REARM_TRIES 4	/* wake-ups in a row before answering "pending" */

/* A final answer is signed (signing.h) when approvald has a key. */
static enum MHD_Result
reply_status(struct http_req *r, unsigned code, struct approve_status *st)
{
	char *json = NULL;

	if (signer_sign_status(r->app->signer, st) < 0)
		return http_reply_error(r, 500, "internal_error", "cannot sign status");
	if (approve_status_to_json(st, &json) < 0)
		return http_reply_error(r, 500, "internal_error", "cannot encode status");
	return http_reply_json(r, code, json);
}

/* The path's id, lower-cased into r->id; 0 or -EINVAL. */
static int
path_uuid(struct http_req *r)
{
	if (r->param_bad)
		return -EINVAL;
	return approve_uuid_normalize(r->param, strlen(r->param), r->id);
}

enum MHD_Result
route_create(struct http_req *r)
{
	struct approve_ctx *ctx = NULL;
	struct approve_status *st = NULL;
	enum MHD_Result ret;
	char err[256], *why = NULL;
	unsigned long retry = 0;

	if (approve_ctx_from_json(r->body.data ? r->body.data : "", r->body.len,
				  &ctx, err, sizeof(err)) < 0)
		return http_reply_error(r, 400, "bad_request", err);
	switch (request_create(r->app, &r->who, ctx, &st, &why, &retry)) {
	case REQUEST_OK:
	case REQUEST_REPEATED:
		ret = reply_status(r, 201, st);
		break;
	case REQUEST_KEY_REUSED:
		ret = http_reply_error(r, 409, "idempotency_key_reused",
				       "this idempotency_key belongs to another request");
		break;
	case REQUEST_UNMET:	/* nothing filed: the module may ask and try again */
		ret = http_reply_error(r, 422, APPROVE_ERR_REASON_REQUIRED, why);
		break;
	case REQUEST_UNMET_TICKET:
		ret = http_reply_error(r, 422, APPROVE_ERR_TICKET_REQUIRED, why);
		break;
	case REQUEST_RATE_LIMITED:
		ret = http_reply_retry(r, retry, "rate_limited",
				       "too many requests from this host; try again later");
		break;
	case REQUEST_DB_DOWN:
		ret = http_reply_db_down(r);
		break;
	default:
		ret = http_reply_error(r, 500, "internal_error", "cannot create");
		break;
	}
	free(why);
	approve_status_free(st);
	approve_ctx_free(ctx);
	return ret;
}

/* Read the status (armed first, see waiters.h); answer or suspend.
 * Called on the first call and again after every resume. */
enum MHD_Result
route_wait(struct http_req *r)
{
	struct app *app = r->app;
	struct approve_status *st = NULL;
	enum request_result rc;
	enum MHD_Result ret;
	int tries, armed;
	long given;

	if (!r->started) {
		r->started = 1;
		if (http_poll_start(r) < 0)
			return http_reply_error(r, 400, "bad_request", APPROVE_POLL_TIMEOUT_ERR);
		if (path_uuid(r) < 0)
			return http_reply_error(r, 400, "bad_request", "malformed request id");
		r->approvals_seen = -1;
	}
	for (tries = 0;; tries++) {
		armed = approve_now_ms() < r->deadline_ms && tries < REARM_TRIES &&
			waiters_arm(app->waiters, &r->w, r->conn, r->id, r->deadline_ms) == 0;
		rc = request_status(app, r->id, r->who.id, &st);
		if (rc != REQUEST_OK || st->state != APPROVE_PENDING || !armed)
			break;
		/* an N-of-M request that got another approval: answer pending
		 * now, so the waiting requester is told "2 of 3" */
		given = st->approvals ? strtol(st->approvals, NULL, 10) : 0;
		if (r->approvals_seen >= 0 && given != r->approvals_seen)
			break;
		r->approvals_seen = given;
		approve_status_free(st);
		st = NULL;
		if (waiters_suspend(app->waiters, &r->w) == 0)
			return MHD_YES;	/* resumed by a notification or the deadline */
	}
	waiters_disarm(app->waiters, &r->w);
	if (rc == REQUEST_NOT_FOUND)
		ret = http_reply_error(r, 404, "not_found", "no such request");
	else if (rc != REQUEST_OK)
		ret = http_reply_db_down(r);
	else
		ret = reply_status(r, 200, st);
	approve_status_free(st);
	return ret;
}

enum MHD_Result
route_cancel(struct http_req *r)
{
	struct approve_status *st = NULL;
	enum approve_cancel_reason why;
	enum MHD_Result ret;
	char detail[64], err[128];

	if (path_uuid(r) < 0)
		return http_reply_error(r, 400, "bad_request", "malformed request id");
	if (approve_cancel_from_json(r->body.data, r->body.len, &why, err, sizeof(err)) < 0)
		return http_reply_error(r, 400, "bad_request", err);
	switch (request_cancel(r->app, r->id, &r->who, approve_cancel_reason_name(why), &st)) {
	case REQUEST_OK:
		ret = reply_status(r, 200, st);
		break;
	case REQUEST_FINAL:
		snprintf(detail, sizeof(detail), "the request is already %s",
			 approve_state_name(st->state));
		ret = http_reply_error(r, 409, "final", detail);
		break;
	case REQUEST_NOT_FOUND:
		ret = http_reply_error(r, 404, "not_found", "no such request");
		break;
	default:
		ret = http_reply_db_down(r);
		break;
	}
	approve_status_free(st);
	return ret;
}
