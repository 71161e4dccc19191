/* health.c: owns /healthz (the process serves), /readyz (the database
 * answers) and /metrics (Prometheus text format 0.0.4). All three answer
 * from memory, never waiting for the database: /readyz reports what the
 * LISTEN thread last saw (connected, and its once-a-second sweep answered
 * within LISTENER_STALL_MS). */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "connguard.h"
#include "httpd.h"
#include "listener.h"
#include "outbox.h"
#include "pending_gauge.h"

enum MHD_Result
route_healthz(struct http_req *r)
{
	return http_reply_text(r, 200, "application/json; charset=utf-8",
			       "{\"status\":\"ok\"}");
}

enum MHD_Result
route_readyz(struct http_req *r)
{
	if (!listener_db_ok(r->app->listener))
		return http_reply_db_down(r);
	return http_reply_text(r, 200, "application/json; charset=utf-8",
			       "{\"status\":\"ready\"}");
}

enum MHD_Result
route_metrics(struct http_req *r)
{
	struct app *app = r->app;
	struct approve_buf b;
	struct connguard_stats cg;
	unsigned nreq, nev, code, jq, jr;
	unsigned long n;
	enum MHD_Result ret;
	char *text;
	int rc = 0;

	approve_buf_init(&b, 256 * 1024);
	waiters_count(app->waiters, &nreq, &nev);
	connguard_stats(app->guard, &cg);
	rc |= approve_buf_printf(&b,
		"# HELP approvald_waiters Suspended long-polls waiting for a decision.\n"
		"# TYPE approvald_waiters gauge\n"
		"approvald_waiters %u\n"
		"# HELP approvald_event_waiters Suspended long-polls on /v1/events.\n"
		"# TYPE approvald_event_waiters gauge\n"
		"approvald_event_waiters %u\n"
		"# HELP approvald_requests_created_total Requests created.\n"
		"# TYPE approvald_requests_created_total counter\n"
		"approvald_requests_created_total %lu\n"
		"# HELP approvald_requests_rate_limited_total Creates refused by host_create_limit.\n"
		"# TYPE approvald_requests_rate_limited_total counter\n"
		"approvald_requests_rate_limited_total %lu\n"
		"# HELP approvald_listener_up 1 while the LISTEN connection works.\n"
		"# TYPE approvald_listener_up gauge\n"
		"approvald_listener_up %d\n"
		"# HELP approvald_http_requests_total Responses sent, by status code.\n"
		"# TYPE approvald_http_requests_total counter\n",
		nreq, nev, atomic_load(&app->metrics.requests_created),
		atomic_load(&app->metrics.creates_limited), listener_ready(app->listener));
	for (code = 100; code < HTTP_MAX_STATUS; code++) {
		n = atomic_load(&app->metrics.responses[code]);
		if (n)
			rc |= approve_buf_printf(&b,
				"approvald_http_requests_total{code=\"%u\"} %lu\n", code, n);
	}
	rc |= approve_buf_printf(&b,
		"# HELP approvald_connections Open HTTP connections.\n"
		"# TYPE approvald_connections gauge\n"
		"approvald_connections %lu\n"
		"# HELP approvald_connections_refused_total Connections refused at accept, by reason.\n"
		"# TYPE approvald_connections_refused_total counter\n"
		"approvald_connections_refused_total{reason=\"per_peer\"} %lu\n"
		"# HELP approvald_connections_closed_total Connections closed by a deadline of approvald's, by reason.\n"
		"# TYPE approvald_connections_closed_total counter\n"
		"approvald_connections_closed_total{reason=\"header_timeout\"} %lu\n"
		"approvald_connections_closed_total{reason=\"keepalive_idle\"} %lu\n"
		"approvald_connections_closed_total{reason=\"body_timeout\"} %lu\n"
		"# HELP approvald_waiters_gone_total Suspended long-polls released because their client had gone.\n"
		"# TYPE approvald_waiters_gone_total counter\n"
		"approvald_waiters_gone_total %lu\n",
		cg.connections, cg.refused_per_peer, cg.closed_header_timeout,
		cg.closed_keepalive_idle, cg.closed_body_timeout, cg.waiters_gone);
	offload_count(app->jobs, &jq, &jr);
	rc |= approve_buf_printf(&b,
		"# HELP approvald_jobs_queued Requests waiting for a job thread.\n"
		"# TYPE approvald_jobs_queued gauge\n"
		"approvald_jobs_queued %u\n"
		"# HELP approvald_jobs_running Job threads busy (database work).\n"
		"# TYPE approvald_jobs_running gauge\n"
		"approvald_jobs_running %u\n", jq, jr);
	rc |= outbox_metrics(app->outbox, &b);
	rc |= pending_gauge_print(app->pending, &b);
	text = rc == 0 ? approve_buf_take(&b) : NULL;
	approve_buf_release(&b);
	if (!text)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	ret = http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
	return ret;
}
