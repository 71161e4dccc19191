/* request.c: owns the lifecycle of a request (see request.h): which
 * store calls make up each step, the policy verdict on create, the one
 * log line per decision and the metrics. Nothing here speaks HTTP. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breakglass.h"
#include "clock.h"
#include "db.h"
#include "httpd.h"	/* struct app */
#include "log.h"
#include "policy_db.h"
#include "request.h"
#include "requests.h"
#include "settings.h"
#include "signing.h"

/* A store result (requests.h's errno set) as a lifecycle result. */
static enum request_result
from_store(int rc)
{
	switch (rc) {
	case 0:		return REQUEST_OK;
	case -EINVAL:	return REQUEST_BAD;
	case -ENOENT:	return REQUEST_NOT_FOUND;
	case -EALREADY:	return REQUEST_FINAL;
	case -EPERM:	return REQUEST_SELF;
	case -EEXIST:	return REQUEST_KEY_REUSED;
	case -EIO:	return REQUEST_DB_DOWN;
	default:	return REQUEST_FAILED;
	}
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

enum request_result
request_create(struct app *app, const struct identity *who,
	       const struct approve_ctx *ctx, struct approve_status **out, char **why,
	       unsigned long *retry)
{
	struct policy_verdict pol = { .action = POLICY_REQUIRE };
	struct approve_status *st = NULL;
	struct db_conn *db;
	enum request_result res;
	char rule[32];
	int rc, again = 0;

	*out = NULL;
	*why = NULL;
	*retry = 0;
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return REQUEST_DB_DOWN;
	/* the policy decides first: allow and deny are final at once; a
	 * rule's reason or ticket requirement is met before anything is
	 * filed, so nobody is asked about a request that says "." */
	rc = policy_db_decide(db, who->name, ctx, &pol);
	if (rc == 0 && pol.missing) {
		db_put(app->db, db);
		approve_log(LOG_NOTICE, "host %s: %s as %s via %s refused by %s%lld: %s",
			    who->name, ctx->user, ctx->target_user, ctx->service,
			    pol.rule_id ? "rule " : "the default ", pol.rule_id, pol.missing);
		*why = pol.missing;
		pol.missing = NULL;
		res = pol.missing_ticket ? REQUEST_UNMET_TICKET : REQUEST_UNMET;
		goto out;
	}
	if (rc == 0 && pol.action == POLICY_REQUIRE && pol.grace_s > 0) {
		rc = req_grace_find(db, who->id, ctx, pol.grace_s, pol.grace_of, &pol.grace_by);
		if (rc == -ENOENT)
			rc = 0;	/* nothing to reuse: a human decides */
	}
	if (rc == 0 && pol.action == POLICY_REQUIRE && !pol.grace_of[0] &&
	    app->cfg->host_create_limit) {
		rc = req_create_limit(db, who->id, ctx->idempotency_key,
				      app->cfg->host_create_limit,
				      app->cfg->host_create_window, retry);
		if (rc == -EBUSY) {
			db_put(app->db, db);
			create_limited(app, who->name, *retry);
			res = REQUEST_RATE_LIMITED;
			goto out;
		}
	}
	if (rc == 0)
		rc = req_create(db, who->id, ctx, &pol,
				pol.ttl_s > 0 ? (unsigned long)pol.ttl_s : app->cfg->request_ttl,
				app->public_url, &st, &again);
	db_put(app->db, db);
	res = from_store(rc);
	if (res == REQUEST_KEY_REUSED) {
		approve_log(LOG_WARNING, "host %s: idempotency key reused for another "
			    "elevation", who->name);
		goto out;
	}
	if (res != REQUEST_OK) {
		if (res != REQUEST_DB_DOWN)
			res = REQUEST_FAILED;
		goto out;
	}
	if (again) {
		approve_log(LOG_INFO, "request %s (%s): create repeated by host %s, "
			    "answered again", st->id, st->code, who->name);
		res = REQUEST_REPEATED;
	} else {
		atomic_fetch_add(&app->metrics.requests_created, 1);
		if (pol.action == POLICY_BREAKGLASS)
			approve_log(LOG_WARNING, "BREAK-GLASS: request %s (%s) by %s as %s on "
				    "host %s let in without an approver (rule %lld); it needs "
				    "review", st->id, st->code, ctx->user, ctx->target_user,
				    who->name, pol.rule_id);
		snprintf(rule, sizeof(rule), pol.rule_id ? "rule %lld" : "the default",
			 pol.rule_id);
		approve_log(pol.grace_of[0] ? LOG_NOTICE : LOG_INFO,
			    "request %s (%s) created by host %s: %s as %s via %s: "
			    "policy %s by %s (version %lld)%s%s", st->id, st->code, who->name,
			    ctx->user, ctx->target_user, ctx->service,
			    policy_action_name(pol.action), rule, pol.version,
			    pol.grace_of[0] ? ": approved in the grace window of " : "",
			    pol.grace_of);
	}
	*out = st;
	st = NULL;
out:
	policy_verdict_clear(&pol);
	approve_status_free(st);
	return res;
}

enum request_result
request_status(struct app *app, const char *id, long long host_id,
	       struct approve_status **out)
{
	struct db_conn *db = db_get(app->db, DB_WAIT_MS);
	int rc;

	*out = NULL;
	if (!db)
		return REQUEST_DB_DOWN;
	rc = req_host_status(db, id, host_id, out);
	db_put(app->db, db);
	return from_store(rc);
}

enum request_result
request_cancel(struct app *app, const char *id, const struct identity *who,
	       const char *reason, struct approve_status **out)
{
	struct db_conn *db = db_get(app->db, DB_WAIT_MS);
	int rc;

	*out = NULL;
	if (!db)
		return REQUEST_DB_DOWN;
	rc = req_host_cancel(db, id, who->id, reason);
	if (rc == 0 || rc == -EALREADY) {
		int rs = req_host_status(db, id, who->id, out);

		if (rs < 0)
			rc = rs;
	}
	db_put(app->db, db);
	if (rc == 0)
		approve_log(LOG_INFO, "request %s cancelled by host %s (%s)", id, who->name,
			    reason);
	return from_store(rc);
}

enum request_result
request_show(struct app *app, const char *ref, long long approver_id,
	     json_object **detail)
{
	char id[APPROVE_UUID_LEN + 1];
	struct db_conn *db = db_get(app->db, DB_WAIT_MS);
	int rc;

	*detail = NULL;
	if (!db)
		return REQUEST_DB_DOWN;
	rc = req_resolve(db, ref, id, NULL);
	if (rc == 0)
		rc = req_detail(db, id, approver_id, app->public_url, detail);
	db_put(app->db, db);
	return from_store(rc);
}

enum request_result
request_decide(struct app *app, const char *ref, enum approve_state decision,
	       const struct identity *who, const char *comment, json_object **detail)
{
	char id[APPROVE_UUID_LEN + 1];
	enum request_result res;
	struct db_conn *db;
	int rc;

	*detail = NULL;
	if (decision != APPROVE_APPROVED && decision != APPROVE_DENIED)
		return REQUEST_BAD;
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return REQUEST_DB_DOWN;
	rc = req_resolve(db, ref, id, NULL);
	if (rc == 0)
		rc = req_decide(db, id, decision, who->id, who->name, comment);
	if (rc == -EPERM)
		approve_log(LOG_WARNING, "request %s: %s may not decide their "
			    "own request (%s refused)", id, who->name,
			    approve_state_name(decision));
	if (rc == 0)
		approve_log(LOG_NOTICE, "request %s %s by %s", id,
			    approve_state_name(decision), who->name);
	/* the receipt: a failure is logged and the decision stands (a host
	 * still gets its signed answer at wait) */
	if (rc == 0 && signer_store_receipt(app->signer, db, id) < 0)
		approve_log(LOG_ERR, "request %s: receipt not stored", id);
	if (rc == 1)
		approve_log(LOG_NOTICE, "request %s: approval by %s counted, more needed",
			    id, who->name);
	else if (rc == -EEXIST)
		approve_log(LOG_NOTICE, "request %s: %s approved it already", id, who->name);
	else if (rc == -EACCES)
		approve_log(LOG_NOTICE, "request %s: %s is not in its approver groups",
			    id, who->name);
	if (rc == 0 || rc == 1)
		res = req_detail(db, id, who->id, app->public_url, detail) < 0 ?
		      REQUEST_DB_DOWN : rc == 1 ? REQUEST_COUNTED : REQUEST_OK;
	else
		res = rc == -EEXIST ? REQUEST_ALREADY_APPROVED :
		      rc == -EACCES ? REQUEST_NOT_IN_GROUP : from_store(rc);
	db_put(app->db, db);
	return res;
}

/* A review's outcome (req_review's, req_review_offline's), logged once
 * here for what (e.g. "request ID") and mapped to its result. */
static enum request_result
reviewed(int rc, const char *what, const struct identity *who)
{
	if (rc == 0)
		approve_log(LOG_NOTICE, "%s: break-glass review closed by %s", what, who->name);
	else if (rc == -EPERM)
		approve_log(LOG_WARNING, "%s: %s may not review their own break-glass "
			    "(refused)", what, who->name);
	else if (rc == -EACCES)
		approve_log(LOG_WARNING, "%s: %s may not review break-glass (refused)",
			    what, who->name);
	return rc == -ENOTSUP ? REQUEST_NOT_BREAKGLASS :
	       rc == -EALREADY ? REQUEST_REVIEWED :
	       rc == -EACCES ? REQUEST_FORBIDDEN : from_store(rc);
}

enum request_result
request_review(struct app *app, const char *ref, const struct identity *who,
	       const char *comment, json_object **detail)
{
	char id[APPROVE_UUID_LEN + 1] = "", what[APPROVE_UUID_LEN + 16];
	enum request_result res;
	struct db_conn *db;
	int rc;

	*detail = NULL;
	if (!comment || !*comment)
		return REQUEST_BAD;
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return REQUEST_DB_DOWN;
	rc = req_resolve(db, ref, id, NULL);
	if (rc == 0)
		rc = req_review(db, id, who->id, comment);
	snprintf(what, sizeof(what), "request %s", *id ? id : "?");
	res = reviewed(rc, what, who);
	if (res == REQUEST_OK && req_detail(db, id, who->id, app->public_url, detail) < 0)
		res = REQUEST_DB_DOWN;
	db_put(app->db, db);
	return res;
}

enum request_result
request_review_offline(struct app *app, const char *code_id, const struct identity *who,
		       const char *comment, char **item)
{
	char what[APPROVE_BG_ID_LEN + 32];
	enum request_result res;
	struct db_conn *db;
	int rc;

	*item = NULL;
	if (!comment || !*comment)
		return REQUEST_BAD;
	db = db_get(app->db, DB_WAIT_MS);
	if (!db)
		return REQUEST_DB_DOWN;
	rc = req_review_offline(db, code_id, who->id, comment);
	snprintf(what, sizeof(what), "break-glass %.*s (offline code)", APPROVE_BG_ID_LEN, code_id);
	res = reviewed(rc, what, who);
	if (res == REQUEST_OK) {
		rc = breakglass_list_json(db, who->id, 1, 1, code_id, item);
		res = rc == 0 ? REQUEST_OK : rc == -ENOMEM || rc == -EPROTO ? REQUEST_FAILED :
		      REQUEST_DB_DOWN;
	}
	db_put(app->db, db);
	return res;
}
