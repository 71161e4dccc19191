/* events.c: owns GET /v1/events, the long-poll over
 * approval.request_events used by approvalctl watch and the web UI.
 * Same protocol as the wait endpoint (waiters.h): arm, read, answer or
 * suspend; any notification wakes every event waiter. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "conf.h"
#include "db.h"
#include "clock.h"
#include "httpd.h"
#include "requests.h"

#define EVENTS_LIMIT 200
#define REARM_TRIES 4

static enum MHD_Result
reply_events(struct http_req *r, json_object *events, long long last)
{
	json_object *o = json_object_new_object();

	if (approve_json_add(o, "events", events) < 0 ||
	    approve_json_add(o, "last", json_object_new_int64(last)) < 0) {
		json_object_put(o);
		return http_reply_error(r, 500, "internal_error", "out of memory");
	}
	return http_reply_obj(r, 200, o);
}

enum MHD_Result
route_events(struct http_req *r)
{
	struct app *app = r->app;
	json_object *events = NULL;
	struct db_conn *db;
	unsigned long after;
	long long last = 0;
	int tries, armed, rc;

	if (!r->started) {
		r->started = 1;
		if (http_poll_start(r) < 0)
			return http_reply_error(r, 400, "bad_request", APPROVE_POLL_TIMEOUT_ERR);
		/* ULONG_MAX (out of range) marks "after" omitted: then only
		 * events after the current maximum */
		if (http_query_ulong(r, "after", 0, LLONG_MAX, ULONG_MAX, &after) < 0)
			return http_reply_error(r, 400, "bad_request",
						"after must be an event id");
		r->cursor = after == ULONG_MAX ? -1 : (long long)after;
	}
	for (tries = 0;; tries++) {
		armed = approve_now_ms() < r->deadline_ms && tries < REARM_TRIES &&
			waiters_arm(app->waiters, &r->w, r->conn, NULL, r->deadline_ms) == 0;
		db = db_get(app->db, DB_WAIT_MS);
		rc = db ? 0 : -EIO;
		if (rc == 0 && r->cursor < 0)
			rc = events_max(db, &r->cursor);
		if (rc == 0)
			rc = events_after(db, r->cursor, EVENTS_LIMIT, &events, &last);
		db_put(app->db, db);
		if (rc < 0 || json_object_array_length(events) > 0 || !armed)
			break;
		json_object_put(events);
		events = NULL;
		if (waiters_suspend(app->waiters, &r->w) == 0)
			return MHD_YES;
	}
	waiters_disarm(app->waiters, &r->w);
	if (rc < 0)
		return http_reply_db_down(r);
	return reply_events(r, events, last);
}
