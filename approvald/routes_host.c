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
#include "policy_db.h"
#include "requests.h"
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

/* Counted always; logged at most once a second (a flood is one line a
 * second, with how many were refused since the last). */
static void
create_limited(struct app *app, const char *host, unsigned long retry)
{
	static _Atomic uint64_t last_s;
	static atomic_ulong unlogged;
	uint64_t now_s = approve_now_ms() / 1000, prev = atomic_load(&last_s);
	unsigned long n = atomic_fetch_add(&unlogged, 1) + 1;

	atomic_fetch_add(&app->metrics.creates_limited, 1);
	if (now_s == prev || !atomic_compare_exchange_strong(&last_s, &prev, now_s))
		return;
	n = atomic_exchange(&unlogged, 0);
	approve_log(LOG_WARNING, "host %s: create refused by host_create_limit (%lu per %lu s), "
		    "retry in %lu s; %lu refused since the last such line", host,
		    app->cfg->host_create_limit, app->cfg->host_create_window, retry, n);
}

enum MHD_Result
route_create(struct http_req *r)
{
	struct app *app = r->app;
	struct approve_ctx *ctx = NULL;
	struct approve_status *st = NULL;
	struct db_conn *db = NULL;
	struct policy_verdict pol = { .action = POLICY_REQUIRE };
	enum MHD_Result ret;
	char err[256];
	int rc, again = 0;

	if (approve_ctx_from_json(r->body.data ? r->body.data : "", r->body.len,
				  &ctx, err, sizeof(err)) < 0) {
		ret = http_reply_error(r, 400, "bad_request", err);
		goto out;
	}
	db = db_get(app->db, DB_WAIT_MS);
	if (!db) {
		ret = http_reply_db_down(r);
		goto out;
	}
	/* the policy decides first: allow and deny are final at once, and
	 * their answer goes out through reply_status like every other */
	rc = policy_db_decide(db, r->who.name, ctx, &pol);
	if (rc == 0 && pol.action == POLICY_REQUIRE && app->cfg->host_create_limit) {
		unsigned long retry = 0;

		rc = req_create_limit(db, r->who.id, ctx->idempotency_key,
				      app->cfg->host_create_limit,
				      app->cfg->host_create_window, &retry);
		if (rc == -EBUSY) {
			create_limited(app, r->who.name, retry);
			ret = http_reply_retry(r, retry, "rate_limited",
					       "too many requests from this host; "
					       "try again later");
			goto out;
		}
	}
	if (rc == 0)
		rc = req_create(db, r->who.id, ctx, &pol, app->cfg->request_ttl,
				app->public_url, &st, &again);
	if (rc == -EEXIST) {
		approve_log(LOG_WARNING, "host %s: idempotency key reused for another "
			    "elevation", r->who.name);
		ret = http_reply_error(r, 409, "idempotency_key_reused",
				       "this idempotency_key belongs to another request");
		goto out;
	}
	if (rc < 0) {
		ret = rc == -EIO ? http_reply_db_down(r)
				 : http_reply_error(r, 500, "internal_error", "cannot create");
		goto out;
	}
	if (again) {
		approve_log(LOG_INFO, "request %s (%s): create repeated by host %s, "
			    "answered again", st->id, st->code, r->who.name);
		ret = reply_status(r, 201, st);
		goto out;
	}
	atomic_fetch_add(&app->metrics.requests_created, 1);
	snprintf(err, sizeof(err), pol.rule_id ? "rule %lld" : "the default",
		 pol.rule_id);
	approve_log(LOG_INFO, "request %s (%s) created by host %s: %s as %s via %s: "
		    "policy %s by %s (version %lld)", st->id, st->code, r->who.name,
		    ctx->user, ctx->target_user, ctx->service,
		    policy_action_name(pol.action), err, pol.version);
	ret = reply_status(r, 201, st);
out:
	policy_verdict_clear(&pol);
	db_put(app->db, db);
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
	struct db_conn *db;
	enum MHD_Result ret;
	int tries, armed, rc;

	if (!r->started) {
		r->started = 1;
		if (http_poll_start(r) < 0)
			return http_reply_error(r, 400, "bad_request", APPROVE_POLL_TIMEOUT_ERR);
		if (path_uuid(r) < 0)
			return http_reply_error(r, 400, "bad_request", "malformed request id");
	}
	for (tries = 0;; tries++) {
		armed = approve_now_ms() < r->deadline_ms && tries < REARM_TRIES &&
			waiters_arm(app->waiters, &r->w, r->conn, r->id, r->deadline_ms) == 0;
		db = db_get(app->db, DB_WAIT_MS);
		rc = db ? req_host_status(db, r->id, r->who.id, &st) : -EIO;
		db_put(app->db, db);
		if (rc < 0 || st->state != APPROVE_PENDING || !armed)
			break;
		approve_status_free(st);
		st = NULL;
		if (waiters_suspend(app->waiters, &r->w) == 0)
			return MHD_YES;	/* resumed by a notification or the deadline */
	}
	waiters_disarm(app->waiters, &r->w);
	if (rc == -ENOENT)
		ret = http_reply_error(r, 404, "not_found", "no such request");
	else if (rc < 0)
		ret = http_reply_db_down(r);
	else
		ret = reply_status(r, 200, st);
	approve_status_free(st);
	return ret;
}

enum MHD_Result
route_cancel(struct http_req *r)
{
	struct app *app = r->app;
	struct approve_status *st = NULL;
	struct db_conn *db = NULL;
	enum approve_cancel_reason why;
	enum MHD_Result ret;
	char err[128];
	int rc;

	if (path_uuid(r) < 0)
		return http_reply_error(r, 400, "bad_request", "malformed request id");
	if (approve_cancel_from_json(r->body.data, r->body.len, &why, err, sizeof(err)) < 0)
		return http_reply_error(r, 400, "bad_request", err);
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return http_reply_db_down(r);
	rc = req_host_cancel(db, r->id, r->who.id, approve_cancel_reason_name(why));
	if (rc == 0 || rc == -EALREADY) {
		int rs = req_host_status(db, r->id, r->who.id, &st);

		if (rs < 0)
			rc = rs;
	}
	if (rc == 0) {
		approve_log(LOG_INFO, "request %s cancelled by host %s (%s)", r->id,
			    r->who.name, approve_cancel_reason_name(why));
		ret = reply_status(r, 200, st);
	} else if (rc == -EALREADY) {
		char detail[64];

		snprintf(detail, sizeof(detail), "the request is already %s",
			 approve_state_name(st->state));
		ret = http_reply_error(r, 409, "final", detail);
	} else if (rc == -ENOENT) {
		ret = http_reply_error(r, 404, "not_found", "no such request");
	} else {
		ret = http_reply_db_down(r);
	}
	db_put(app->db, db);
	approve_status_free(st);
	return ret;
}
