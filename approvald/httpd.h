/* httpd.h: approvald's HTTP layer on libmicrohttpd: the daemon-wide state
 * handed to every handler, the per-connection request state, routing, and
 * the response helpers that every answer goes through (JSON bodies, the
 * error shape {"error","detail"}, security headers, metrics). */
#ifndef APPROVALD_HTTPD_H
#define APPROVALD_HTTPD_H
#include <stdatomic.h>
#include <stdint.h>
#include <microhttpd.h>
#include <json-c/json.h>

#include "auth.h"
#include "buf.h"
#include "clientaddr.h"
#include "db.h"		/* DB_MAX_BLOCKED */
#include "offload.h"
#include "route.h"	/* struct route, HTTP_PARAM_MAX, http_handler */
#include "settings.h"	/* APPROVALD_LISTEN_MAX */
#include "waiters.h"

struct approvald_config;
struct connguard;
struct db_pool;
struct listener;
struct outbox;

#define HTTP_MAX_STATUS 600
/* Job threads (offload.h): as many as may be inside the database pool at
 * once (db.h), so a job never finds the pool crowded by its own kind. */
#define HTTPD_JOBS(pool_size) DB_MAX_BLOCKED(pool_size)
/* libmicrohttpd's own threads per endpoint: they never wait for the
 * database, so a couple move every byte. */
#define HTTPD_IO_THREADS 2
/* A job still queued after this long answers 503 without running when
 * the pool is stuck too (db_pool_crowded): the same bound as a pool
 * checkout. */
#define HTTPD_JOB_QUEUE_MS DB_WAIT_MS

struct metrics {
	atomic_ulong requests_created;
	atomic_ulong creates_limited;	/* refused by host_create_limit */
	atomic_ulong responses[HTTP_MAX_STATUS];
};

/* Everything a handler may use; set up by main.c, read-only while serving
 * except the atomics and the objects with their own locking. */
struct app {
	const struct approvald_config *cfg;
	struct db_pool *db;
	struct waiters *waiters;
	struct listener *listener;
	/* one daemon per "listen" endpoint, in its order */
	struct MHD_Daemon *mhd[APPROVALD_LISTEN_MAX];
	unsigned unix_bound;	/* bit i: listens[i]'s socket file is ours */
	struct connguard *guard;	/* connguard.h: deadlines, per-peer cap */
	char *public_url;	/* without trailing '/' */
	atomic_int serving;	/* set once public_url is known (503 before) */
	unsigned port;		/* bound port of the first TCP endpoint, or 0 */
	char *tls_cert_pem;	/* PEM text while serving HTTPS */
	char *tls_key_pem;
	struct metrics metrics;
	struct signer *signer;	/* signing.h; NULL: answers are not signed */
	struct offload *jobs;	/* offload.h: where handlers run */
	struct outbox *outbox;	/* outbox.h: notifications; NULL when none */
	struct pending_gauge *pending;	/* pending_gauge.h; NULL before start */
};

/* Per-connection state for one HTTP request (MHD's con_cls). */
struct http_req {
	struct app *app;
	struct MHD_Connection *conn;
	const struct route *route;
	char param[HTTP_PARAM_MAX + 1];	/* the path's variable segment */
	int param_bad;		/* it was longer than HTTP_PARAM_MAX */
	struct identity who;
	struct approve_buf body;
	int body_expected;	/* the route reads a body */
	int body_too_big;
	int answered;		/* a response was queued */
	/* running on a job thread (offload.h) while MHD holds the connection
	 * suspended: the answer is kept here and queued once resumed */
	struct offload_job job;
	int in_job;		/* http_queue() keeps instead of queueing */
	int job_done;		/* the job ended: resumed for its answer */
	int job_auth_only;	/* this job authenticates (before the body) */
	enum MHD_Result job_ret;
	struct MHD_Response *held;	/* the answer the job made */
	unsigned held_status;
	int authed;		/* authentication ran and admitted the caller */
	int safe_method;	/* GET or HEAD: no CSRF token needed */
	uint64_t headers_ms;	/* when the headers were complete */
	/* long-poll state (wait and events) */
	int started;		/* the handler ran before (now resumed) */
	struct waiter w;
	uint64_t deadline_ms;
	long long cursor;	/* /v1/events: last event id seen */
	long approvals_seen;	/* wait: approvals given at the first read (-1: none yet) */
	char id[APPROVE_UUID_LEN + 1];
	/* who is calling, computed once in httpd.c when the head is complete */
	char ip[CLIENT_ADDR_MAX];	/* the socket peer (numeric), or for a
				 * Unix socket peer "unix:uid=N" (SO_PEERCRED):
				 * logs, rate and peer keys */
	int via_proxy;		/* that peer is one of sso_proxies */
	char client[CLIENT_ADDR_MAX];	/* ip, or behind that proxy the client
				 * it forwarded (clientaddr.h): the
				 * sign-in delay and its audit */
};

/* Start serving: one MHD daemon per listen endpoint (a Unix socket is
 * created here, its file mode and owner set before listen(), and handed to
 * MHD). Fills app->mhd and app->port. 0, or -errno after logging why; the
 * caller then calls httpd_stop() for whatever did start. */
int httpd_start(struct app *app);
/* Stop accepting on every endpoint, answer every suspended waiter, stop
 * the daemons, remove the Unix socket files approvald created. */
void httpd_stop(struct app *app);

/* Answers. Each queues exactly one response (the JSON text is freed), and
 * each goes through http_queue(). */
/* Queue resp (taken: destroyed here, also on failure) with the headers of
 * every answer: Content-Type ctype, Cache-Control cache, and the security
 * set (nosniff, Referrer-Policy, X-Frame-Options, COOP, and a CSP that lets
 * a text/html page load our own assets and anything else load nothing). */
enum MHD_Result http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp,
			   const char *ctype, const char *cache);
enum MHD_Result http_reply_json(struct http_req *r, unsigned status, char *json);
/* Takes ownership of obj. */
enum MHD_Result http_reply_obj(struct http_req *r, unsigned status, json_object *obj);
enum MHD_Result http_reply_error(struct http_req *r, unsigned status,
				 const char *error, const char *detail);
enum MHD_Result http_reply_text(struct http_req *r, unsigned status,
				const char *content_type, const char *text);
enum MHD_Result http_reply_redirect(struct http_req *r, const char *location);
/* A body the caller built (malloc'd, len bytes; taken, also on failure),
 * with its Content-Type and one optional extra header (hname NULL: none). */
enum MHD_Result http_reply_body(struct http_req *r, unsigned status, const char *ctype,
				char *body, size_t len, const char *hname, const char *hvalue);
/* 503 database_unavailable. */
enum MHD_Result http_reply_db_down(struct http_req *r);
/* 429 with Retry-After: secs and the body {"error": error, "detail":
 * detail, "retry_after": secs} (a rate limit, a sign-in delay). */
enum MHD_Result http_reply_retry(struct http_req *r, unsigned long secs,
				 const char *error, const char *detail);

/* A query parameter, NULL when absent. */
const char *http_query(struct http_req *r, const char *name);
/* Parse an optional integer query parameter within [min, max]; absent
 * gives def. 0 or -EINVAL. */
int http_query_ulong(struct http_req *r, const char *name, unsigned long min,
		     unsigned long max, unsigned long def, unsigned long *out);

/* A long poll's first call: ?timeout (0..APPROVE_POLL_MAX_S, default
 * APPROVE_POLL_DEFAULT_S, wire.h) sets r->deadline_ms. 0, or -EINVAL (answer
 * 400 with APPROVE_POLL_TIMEOUT_ERR). */
int http_poll_start(struct http_req *r);

/* Route handlers (routes_host.c, routes_approver.c, events.c, health.c). */
enum MHD_Result route_create(struct http_req *r);
enum MHD_Result route_wait(struct http_req *r);
enum MHD_Result route_cancel(struct http_req *r);
/* routes_breakglass.c: a host reports an offline break-glass use; the
 * review list of both kinds. */
enum MHD_Result route_breakglass_use(struct http_req *r);
enum MHD_Result route_breakglass_list(struct http_req *r);
/* GET /v1/breakglass's answer as JSON text (*out, malloc'd) for approver_id:
 * open items, closed ones too when all, at most limit, only the item
 * named id when not NULL. 0, -ENOMEM, -EPROTO or db_failure()'s. */
int breakglass_list_json(struct db_conn *db, long long approver_id, int all,
			 unsigned long limit, const char *id, char **out);
enum MHD_Result route_list(struct http_req *r);
enum MHD_Result route_show(struct http_req *r);
enum MHD_Result route_approve(struct http_req *r);
enum MHD_Result route_deny(struct http_req *r);
enum MHD_Result route_review(struct http_req *r);
enum MHD_Result route_breakglass_review(struct http_req *r);
enum MHD_Result route_events(struct http_req *r);
enum MHD_Result route_short_link(struct http_req *r);
enum MHD_Result route_healthz(struct http_req *r);
enum MHD_Result route_readyz(struct http_req *r);
enum MHD_Result route_metrics(struct http_req *r);
/* routes_reports.c */
enum MHD_Result route_reports(struct http_req *r);
enum MHD_Result route_report(struct http_req *r);
enum MHD_Result route_policy(struct http_req *r);
/* routes_ui.c */
enum MHD_Result route_ui_root(struct http_req *r);
enum MHD_Result route_ui_page(struct http_req *r);
enum MHD_Result route_ui_static(struct http_req *r);
enum MHD_Result route_ui_missing(struct http_req *r);
/* routes_session.c */
enum MHD_Result route_session_get(struct http_req *r);
enum MHD_Result route_session_login(struct http_req *r);
enum MHD_Result route_session_logout(struct http_req *r);
/* routes_slack.c */
enum MHD_Result route_slack_actions(struct http_req *r);

#endif
