/* httpd.c: owns the libmicrohttpd daemon of approvald: options (thread
 * pool, epoll, suspend/resume, limits, TLS), the routing table, the
 * per-connection state (created on the first callback, freed in the
 * completed callback), body accumulation with the size cap, the checks
 * made from headers alone before any body byte is read (route, 405, 413,
 * 415, authentication), and every response (security headers, metrics). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "settings.h"
#include "access.h"
#include "clock.h"
#include "conf.h"
#include "connguard.h"
#include "httpd.h"
#include "log.h"
#include "route.h"
#include "session.h"
#include "wire.h"

#define CONNECTION_TIMEOUT_S 15	/* headers and body must arrive within */
#define CONNECTION_MEMORY 16384	/* MHD's per-connection pool */
#define STOP_GRACE_MS 2000

/* The last field (1) marks the routes that answer from memory on the HTTP
 * thread; every other one runs on a job thread. */
static const struct route routes[] = {
	{ "POST", "/v1/requests", NEED_HOST, 1, route_create, 0 },
	{ "GET", "/v1/requests", NEED_READER, 0, route_list, 0 },
	{ "GET", "/v1/requests/*", NEED_READER, 0, route_show, 0 },
	{ "GET", "/v1/requests/*/wait", NEED_HOST, 0, route_wait, 0 },
	{ "POST", "/v1/requests/*/cancel", NEED_HOST, 1, route_cancel, 0 },
	{ "POST", "/v1/breakglass/uses", NEED_HOST, 1, route_breakglass_use, 0 },	/* routes_breakglass.c */
	{ "POST", "/v1/requests/*/approve", NEED_DECIDER, 1, route_approve, 0 },
	{ "POST", "/v1/requests/*/deny", NEED_DECIDER, 1, route_deny, 0 },
	{ "POST", "/v1/requests/*/review", NEED_DECIDER, 1, route_review, 0 },
	{ "GET", "/v1/breakglass", NEED_READER, 0, route_breakglass_list, 0 },
	{ "POST", "/v1/breakglass/uses/*/review", NEED_DECIDER, 1, route_breakglass_review, 0 },
	{ "GET", "/v1/events", NEED_READER, 0, route_events, 0 },
	{ "GET", "/v1/reports", NEED_READER, 0, route_reports, 0 },		/* routes_reports.c */
	{ "GET", "/v1/reports/*", NEED_READER, 0, route_report, 0 },
	{ "GET", "/v1/policy", NEED_READER, 0, route_policy, 0 },		/* routes_policy.c */
	{ "GET", "/r/*", NEED_NONE, 0, route_short_link, 0 },
	{ "GET", "/healthz", NEED_NONE, 0, route_healthz, 1 },
	{ "GET", "/readyz", NEED_NONE, 0, route_readyz, 1 },
	{ "GET", "/metrics", NEED_NONE, 0, route_metrics, 1 },
	{ "GET", "/", NEED_NONE, 0, route_ui_root, 1 },			/* routes_ui.c */
	{ "GET", "/ui", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/login", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/history", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/reports", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/policy", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/breakglass", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/requests/*", NEED_NONE, 0, route_ui_page, 1 },
	{ "GET", "/ui/static/*", NEED_NONE, 0, route_ui_static, 1 },
	{ "GET", "/ui/**", NEED_NONE, 0, route_ui_missing, 1 },
	{ "GET", "/v1/session", NEED_NONE, 0, route_session_get, 0 },	/* routes_session.c */
	{ "POST", "/v1/session", NEED_NONE, 1, route_session_login, 0 },
	{ "DELETE", "/v1/session", NEED_NONE, 0, route_session_logout, 0 },
	{ "POST", "/v1/session/logout", NEED_NONE, 1, route_session_logout, 0 },
	/* routes_slack.c: Slack's signature is the credential */
	{ "POST", "/v1/integrations/slack/actions", NEED_NONE, ROUTE_BODY_FORM,
	  route_slack_actions, 0 },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* ---- responses ---- */

/* Pages may load only our own scripts and styles; no inline code, no
 * framing, no foreign form targets. Every other answer (JSON, assets that
 * are not HTML) may load nothing. */
static const char page_csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
	" connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
	" form-action 'self'";
static const char other_csp[] = "default-src 'none'; frame-ancestors 'none'";
/* The UI uses none of the powerful browser features: none may be asked for
 * (only names Chromium knows, so that its console stays free of warnings). */
static const char permissions_policy[] =
	"accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(),"
	" magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(),"
	" hid=(), publickey-credentials-get=(), screen-wake-lock=(),"
	" xr-spatial-tracking=()";
/* Sent on answers over approvald's own TLS only (a TLS proxy in front of a
 * loopback listener sets its own): a year, this host name only. */
static const char hsts[] = "max-age=31536000";

/* 1 when conn came over approvald's own TLS. */
static int
conn_is_tls(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci && ci->tls_session;
}

/* The headers of every answer: content type, caching and the security set
 * (Strict-Transport-Security when tls). */
static int
add_headers(struct MHD_Response *resp, const char *ctype, const char *cache, int tls)
{
	const char *csp = strncasecmp(ctype, "text/html", 9) == 0 ? page_csp : other_csp;

	if (tls && MHD_add_response_header(resp, "Strict-Transport-Security", hsts) != MHD_YES)
		return 0;
	return MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES &&
	       MHD_add_response_header(resp, "Permissions-Policy", permissions_policy) == MHD_YES &&
	       MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache) == MHD_YES &&
	       MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES &&
	       MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES &&
	       MHD_add_response_header(resp, "X-Frame-Options", "DENY") == MHD_YES &&
	       MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
				       "same-origin") == MHD_YES &&
	       MHD_add_response_header(resp, "Content-Security-Policy", csp) == MHD_YES;
}

enum MHD_Result
http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp,
	   const char *ctype, const char *cache)
{
	enum MHD_Result ret = MHD_NO;

	if (!resp)
		return MHD_NO;
	if (!add_headers(resp, ctype, cache, conn_is_tls(r->conn)))
		goto out;
	if (r->in_job) {
		/* MHD takes a response only from its own thread: kept until
		 * the job has resumed the connection */
		if (r->held)
			goto out;	/* a second answer: a bug, never sent */
		r->held = resp;
		r->held_status = status;
		r->answered = 1;
		return MHD_YES;
	}
	ret = MHD_queue_response(r->conn, status, resp);
	if (ret == MHD_YES) {
		r->answered = 1;
		if (status < HTTP_MAX_STATUS)
			atomic_fetch_add(&r->app->metrics.responses[status], 1);
	}
out:
	MHD_destroy_response(resp);
	return ret;
}

/* On the HTTP thread, once a job resumed the connection: queue what it
 * answered, if anything. */
static enum MHD_Result
queue_held(struct http_req *r)
{
	struct MHD_Response *resp = r->held;
	enum MHD_Result ret;

	r->held = NULL;
	ret = MHD_queue_response(r->conn, r->held_status, resp);
	if (ret == MHD_YES && r->held_status < HTTP_MAX_STATUS)
		atomic_fetch_add(&r->app->metrics.responses[r->held_status], 1);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
reply(struct http_req *r, unsigned status, char *body, size_t len,
      const char *ctype, const char *hname, const char *hvalue)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if (hname && MHD_add_response_header(resp, hname, hvalue) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return http_queue(r, status, resp, ctype, "no-store");
}

enum MHD_Result
http_reply_json(struct http_req *r, unsigned status, char *json)
{
	if (!json)
		return MHD_NO;
	return reply(r, status, json, strlen(json),
		     "application/json; charset=utf-8", NULL, NULL);
}

/* obj (taken) as the JSON body, with one optional extra header. */
static enum MHD_Result
reply_obj_hdr(struct http_req *r, unsigned status, json_object *obj,
	      const char *hname, const char *hvalue)
{
	const char *s;
	char *copy = NULL;

	if (obj) {
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
		copy = s ? strdup(s) : NULL;
		json_object_put(obj);
	}
	if (!copy)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return reply(r, status, copy, strlen(copy), "application/json; charset=utf-8",
		     hname, hvalue);
}

enum MHD_Result
http_reply_obj(struct http_req *r, unsigned status, json_object *obj)
{
	return reply_obj_hdr(r, status, obj, NULL, NULL);
}

static enum MHD_Result
reply_error_hdr(struct http_req *r, unsigned status, const char *error,
		const char *detail, const char *hname, const char *hvalue)
{
	char *json = NULL;

	if (approve_error_to_json(error, detail, &json) < 0 || !json)
		return MHD_NO;
	return reply(r, status, json, strlen(json),
		     "application/json; charset=utf-8", hname, hvalue);
}

enum MHD_Result
http_reply_error(struct http_req *r, unsigned status, const char *error,
		 const char *detail)
{
	return reply_error_hdr(r, status, error, detail, NULL, NULL);
}

enum MHD_Result
http_reply_db_down(struct http_req *r)
{
	return http_reply_error(r, 503, "database_unavailable",
				"the database cannot be reached; try again");
}

enum MHD_Result
http_reply_retry(struct http_req *r, unsigned long secs, const char *error,
		 const char *detail)
{
	json_object *o = json_object_new_object();
	char after[24];

	snprintf(after, sizeof(after), "%lu", secs);
	if (approve_json_add_str(o, "error", error) < 0 ||
	    approve_json_add_str(o, "detail", detail) < 0 ||
	    approve_json_add(o, "retry_after", json_object_new_int64((int64_t)secs)) < 0) {
		json_object_put(o);
		return http_reply_error(r, 500, "internal_error", "out of memory");
	}
	return reply_obj_hdr(r, 429, o, "Retry-After", after);
}

enum MHD_Result
http_reply_text(struct http_req *r, unsigned status, const char *content_type,
		const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		return MHD_NO;
	return reply(r, status, copy, strlen(copy), content_type, NULL, NULL);
}

enum MHD_Result
http_reply_body(struct http_req *r, unsigned status, const char *ctype, char *body,
		size_t len, const char *hname, const char *hvalue)
{
	return reply(r, status, body, len, ctype, hname, hvalue);
}

enum MHD_Result
http_reply_redirect(struct http_req *r, const char *location)
{
	char *json = strdup("{}");	/* the Location header is what counts */

	if (!json)
		return MHD_NO;
	return reply(r, 302, json, strlen(json), "application/json; charset=utf-8",
		     MHD_HTTP_HEADER_LOCATION, location);
}

/* ---- query parameters ---- */

const char *
http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int
http_query_ulong(struct http_req *r, const char *name, unsigned long min,
		 unsigned long max, unsigned long def, unsigned long *out)
{
	const char *v = http_query(r, name);

	*out = def;
	if (!v) {
		/* "?timeout" without '=' is present but has no value */
		if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name,
						  strlen(name), NULL, NULL) == MHD_YES)
			return -EINVAL;
		return 0;
	}
	return approve_parse_ulong(v, min, max, out) < 0 ? -EINVAL : 0;
}

int
http_poll_start(struct http_req *r)
{
	unsigned long timeout;

	if (http_query_ulong(r, "timeout", 0, APPROVE_POLL_MAX_S, APPROVE_POLL_DEFAULT_S,
			     &timeout) < 0)
		return -EINVAL;
	r->deadline_ms = approve_now_ms() + timeout * 1000;
	return 0;
}

/* ---- routing ---- */

/* The socket peer's label (clientaddr.h). */
static void
peer_label(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_storage self;
	struct ucred cr;
	socklen_t slen = sizeof(self), cl = sizeof(cr);

	snprintf(out, len, "?");
	/* a Unix socket peer has no address: its uid is a stable label that
	 * no IP list (sso_proxies) matches by accident */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci && getsockname(ci->connect_fd, (struct sockaddr *)&self, &slen) == 0 &&
	    self.ss_family == AF_UNIX) {
		if (getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 &&
		    cl == sizeof(cr))
			snprintf(out, len, "unix:uid=%lu", (unsigned long)cr.uid);
		else
			snprintf(out, len, "unix");
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	slen = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, slen, out, (socklen_t)len, NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(out, len, "?");
}

/* Who is calling, and may they call this route: 0 with r->who set and
 * r->authed, or -EACCES after answering (*ret). Runs on a job thread. */
static int
authenticate(struct http_req *r, enum MHD_Result *ret)
{
	struct access_refusal no;
	int rc;

	/* a bearer token, or without one a browser's session cookie */
	if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))
		rc = auth_identify(r->app->db, r->conn, r->ip, &r->who);
	else
		rc = session_identify(r->app->db, r->conn, r->ip, &r->who, NULL);
	if (rc == -EIO) {
		*ret = http_reply_db_down(r);
		return -EACCES;
	}
	if (rc < 0) {
		*ret = reply_error_hdr(r, 401, "unauthorized", "a valid bearer token is required",
				       MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
		return -EACCES;
	}
	/* a browser's cookie rides along on any request: writes need the token */
	if (r->who.session && !r->safe_method && !session_csrf_ok(r->conn, &r->who)) {
		*ret = http_reply_error(r, 403, "csrf", "missing or wrong X-CSRF-Token");
		return -EACCES;
	}
	if (access_check(r->route->need, &r->who, &no) < 0) {
		*ret = http_reply_error(r, no.status, no.error, no.detail);
		return -EACCES;
	}
	r->authed = 1;
	return 0;
}

/* The step a job does, and start_job() itself once the pool stops:
 * authenticate unless done (an answer on refusal), then, unless only
 * authenticating, run the route. */
static enum MHD_Result
auth_then_route(struct http_req *r, int auth_only)
{
	enum MHD_Result ret = MHD_YES;

	if (!r->authed && r->route->need != NEED_NONE && authenticate(r, &ret) < 0)
		return ret;
	if (auth_only)
		return MHD_YES;
	return r->route->fn(r);
}

/* A job: authenticate (before the body) or run the route, then hand the
 * connection back to MHD, unless the route parked it as a long-poll
 * waiter (waiters.h): then a wake-up resumes it, and r is not ours to
 * touch any more. */
static void
run_job(struct offload_job *job)
{
	struct http_req *r = (struct http_req *)((char *)job - offsetof(struct http_req, job));
	struct MHD_Connection *conn = r->conn;
	enum MHD_Result ret = MHD_YES;

	/* a job that waited long behind a database that stopped answering
	 * gets 503 now; one that waited behind a burst runs (thousands of
	 * long-polls woken at once are work, not an outage) */
	if (approve_now_ms() - job->queued_ms > HTTPD_JOB_QUEUE_MS &&
	    db_pool_crowded(r->app->db)) {
		ret = http_reply_db_down(r);
	} else {
		(void)waiters_parked_here();
		ret = auth_then_route(r, r->job_auth_only);
		if (waiters_parked_here())
			return;
		if (!r->job_auth_only && ret == MHD_YES && !r->answered) {
			approve_log(LOG_ERR, "%s: handler gave no answer", r->route->pattern);
			ret = http_reply_error(r, 500, "internal_error", "no answer");
		}
	}
	r->in_job = 0;
	r->job_ret = ret;
	r->job_done = 1;
	MHD_resume_connection(conn);	/* last: MHD may free r from here on */
}

/* Suspend the connection and run the rest on a job thread (offload.h);
 * once stopping, on this thread (the database answers at once then). */
static enum MHD_Result
start_job(struct http_req *r, int auth_only)
{
	unsigned queued, running;

	/* a database that stopped answering is one event for the crowd
	 * behind it: 503 at once, not a queue that holds connections */
	offload_count(r->app->jobs, &queued, &running);
	if (queued >= HTTPD_JOBS((unsigned)r->app->cfg->pool_size) &&
	    db_pool_crowded(r->app->db))
		return http_reply_db_down(r);
	r->job_auth_only = auth_only;
	r->job.run = run_job;
	r->in_job = 1;
	MHD_suspend_connection(r->conn);
	if (offload_submit(r->app->jobs, &r->job) == 0)
		return MHD_YES;
	MHD_resume_connection(r->conn);
	r->in_job = 0;
	return auth_then_route(r, auth_only);
}

/* Everything decided from the request line and headers, before the body. */
static enum MHD_Result
on_headers(struct http_req *r, const char *url, const char *method)
{
	char allow[64] = "";
	const char *cl, *te;
	unsigned long long len = 0;
	char *end;
	int has_body;

	r->route = route_lookup(routes, NROUTES, method, url, r->param,
				&r->param_bad, allow, sizeof(allow));
	if (!r->route) {
		if (allow[0])
			return reply_error_hdr(r, 405, "method_not_allowed",
					       "method not allowed on this path",
					       MHD_HTTP_HEADER_ALLOW, allow);
		return http_reply_error(r, 404, "not_found", "no such path");
	}

	/* the bound port (and so public_url) is known only once listening */
	if (!atomic_load(&r->app->serving))
		return http_reply_error(r, 503, "starting", "approvald is starting");
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl) {
		errno = 0;
		len = strtoull(cl, &end, 10);
		if (errno || end == cl || *end)
			return http_reply_error(r, 400, "bad_request", "bad Content-Length");
		if (len > APPROVE_BODY_MAX) {
			approve_log(LOG_WARNING, "client %s: body of %llu bytes refused",
				    r->ip, len);
			return http_reply_error(r, 413, "too_large",
						"request body over 64 KiB");
		}
	}
	has_body = (cl && len > 0) || (!cl && te);
	if (r->route->body && has_body) {
		const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);

		if (r->route->body == ROUTE_BODY_FORM ? !content_type_form(ct) :
							!content_type_json(ct))
			return http_reply_error(r, 415, "unsupported_media_type",
						r->route->body == ROUTE_BODY_FORM ?
						"Content-Type must be application/x-www-form-urlencoded" :
						"Content-Type must be application/json");
		r->body_expected = 1;
	}

	r->safe_method = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	/* a route that reads a body learns who is calling first (a stranger
	 * sends no body to us); the others when their job runs */
	if (r->route->need != NEED_NONE && r->body_expected)
		return start_job(r, 1);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **con_cls)
{
	struct app *app = cls;
	struct http_req *r = *con_cls;
	int rc;

	(void)version;
	if (!r) {
		/* refused at accept or past its head deadline: run nothing */
		if (connguard_head_done(conn) < 0)
			return MHD_NO;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->app = app;
		r->conn = conn;
		approve_buf_init(&r->body, APPROVE_BODY_MAX);
		peer_label(conn, r->ip, sizeof(r->ip));
		r->via_proxy = client_is_proxy(app->cfg->sso_proxies, r->ip);
		client_resolve(r->ip, r->via_proxy,
			       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							   "X-Forwarded-For"),
			       r->client, sizeof(r->client));
		r->headers_ms = approve_now_ms();
		r->w.held = 1;	/* a waiter is parked by its job (waiters.h) */
		*con_cls = r;
		return on_headers(r, url, method);
	}
	if (r->job_done) {	/* resumed by the job that just ended */
		r->job_done = 0;
		if (r->held)
			return queue_held(r);
		return r->job_ret;	/* MHD_YES after an admitting auth: the body next */
	}
	/* the body is complete: unless it came after our deadline */
	if (*upload_data_size == 0 && connguard_body_done(conn) < 0)
		return MHD_NO;
	if (r->answered) {		/* early answer: ignore the rest */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* MHD's timeout is per idle period: a body trickling in byte
		 * by byte gets a total deadline here */
		if (approve_now_ms() - r->headers_ms > CONNECTION_TIMEOUT_S * 1000) {
			approve_log(LOG_WARNING, "client %s: body not complete within %d s, "
				    "connection closed", r->ip, CONNECTION_TIMEOUT_S);
			return MHD_NO;
		}
		if (r->body_expected && !r->body_too_big) {
			rc = approve_buf_append(&r->body, upload_data, *upload_data_size);
			if (rc < 0) {
				/* chunked body past the cap: libmicrohttpd cannot
				 * queue a response mid-body, so cut the connection */
				approve_log(LOG_WARNING, "client %s: body over %d bytes, "
					    "connection closed", r->ip, APPROVE_BODY_MAX);
				r->body_too_big = 1;
				return MHD_NO;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->w.gone)		/* a long-poll whose client has gone: just close */
		return MHD_NO;
	if (r->body.len > 0 && memchr(r->body.data, '\0', r->body.len))
		return http_reply_error(r, 400, "bad_request", "NUL byte in body");
	if (r->route->from_memory)
		return r->route->fn(r);
	return start_job(r, 0);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct app *app = cls;
	struct http_req *r = *con_cls;

	connguard_request_done(conn);	/* a kept-alive connection waits for a head */
	if (!r)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		approve_log(LOG_DEBUG, "client %s: connection ended early (%d)",
			    r->ip, (int)toe);
	waiters_disarm(app->waiters, &r->w);
	if (r->held)
		MHD_destroy_response(r->held);
	approve_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
}

static void __attribute__((format(printf, 2, 0)))
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* our own handler refused the connection and said why already; a
	 * client gone mid-request (or closed by connguard.c, which counts and
	 * summarises) is not worth a line each */
	approve_log(strstr(msg, "Application reported internal error") ||
		    strstr(msg, "closed by remote side with incomplete request") ||
		    strstr(msg, "Connection socket is closed when reading request") ? LOG_DEBUG
										    : LOG_WARNING,
		    "libmicrohttpd: %s", msg);
}

/* ---- start / stop ---- */

static int
read_pem(const char *path, char **out)
{
	FILE *f;
	char *buf = NULL;
	size_t n;
	int r = -EINVAL;

	*out = NULL;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		approve_log(LOG_ERR, "%s: %s", path, strerror(errno));
		return r;
	}
	buf = calloc(1, 1024 * 1024 + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, 1024 * 1024 + 1, f);
	if (ferror(f) || n == 0 || n > 1024 * 1024) {
		approve_log(LOG_ERR, "%s: empty, unreadable or over 1 MiB", path);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	r = 0;
out:
	if (buf)
		free(buf);
	fclose(f);
	return r;
}

static void
free_pem(char **pem)
{
	if (*pem) {
		explicit_bzero(*pem, strlen(*pem));
		free(*pem);
		*pem = NULL;
	}
}

static void
free_pems(struct app *app)
{
	free_pem(&app->tls_cert_pem);
	free_pem(&app->tls_key_pem);
}

static uint16_t
listen_port(const struct approvald_listen *l)
{
	if (l->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&l->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&l->addr)->sin_port);
}

/* Create, bind and listen on the Unix socket of l: its directory must not
 * be writable by group or others; an existing file there is replaced only
 * when it is a socket nobody listens on (a stale one); mode and owner are
 * set before listen(), so no client can connect earlier. The listening fd,
 * or -errno after logging why. */
static int
unix_listen(const struct approvald_config *cfg, const struct approvald_listen *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = l->unix_path;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	int fd = -1, probe, r;
	char *slash;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);	/* checked length */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0) {
		r = -errno;
		approve_log(LOG_ERR, "listen %s: directory %s: %s", l->text, dir,
			    strerror(errno));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		approve_log(LOG_ERR, "listen %s: %s is not a directory", l->text, dir);
		return -ENOTDIR;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		approve_log(LOG_ERR, "listen %s: directory %s is writable by group or "
			    "others (mode %04o): anyone could replace the socket", l->text,
			    dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			approve_log(LOG_ERR, "listen %s: %s exists and is not a socket: "
				    "not removed", l->text, path);
			return -EEXIST;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		r = probe < 0 ? -errno :
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
		if (probe >= 0)
			close(probe);
		if (r != -ECONNREFUSED) {
			approve_log(LOG_ERR, "listen %s: %s", l->text, r == 0 ?
				    "another server is listening there" : strerror(-r));
			return r == 0 ? -EADDRINUSE : r;
		}
		if (unlink(path) != 0) {
			r = -errno;
			approve_log(LOG_ERR, "listen %s: stale socket: %s", l->text,
				    strerror(errno));
			return r;
		}
		approve_log(LOG_NOTICE, "listen %s: stale socket replaced", l->text);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = -errno;
		approve_log(LOG_ERR, "listen %s: %s", l->text, strerror(errno));
		goto fail;
	}
	if (chmod(path, (mode_t)cfg->socket_mode) != 0 ||
	    ((cfg->socket_uid != (uid_t)-1 || cfg->socket_gid != (gid_t)-1) &&
	     lchown(path, cfg->socket_uid, cfg->socket_gid) != 0)) {
		r = -errno;
		approve_log(LOG_ERR, "listen %s: socket_mode %04lo / socket_owner %s: %s%s",
			    l->text, cfg->socket_mode,
			    cfg->socket_owner ? cfg->socket_owner : "(unset)",
			    strerror(errno), errno == EPERM ? " (socket_owner needs root)" : "");
		unlink(path);
		goto fail;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		r = -errno;
		approve_log(LOG_ERR, "listen %s: %s", l->text, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return r;
}

/* One daemon for endpoint i. TLS (when configured) on TCP endpoints only:
 * on a Unix socket the peers prove themselves (SO_PEERCRED). */
static int
start_one(struct app *app, size_t i)
{
	const struct approvald_config *cfg = app->cfg;
	const struct approvald_listen *l = &cfg->listens[i];
	struct MHD_OptionItem o[8];
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	size_t n = 0;
	int fd = -1;

	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
					  (intptr_t)HTTPD_IO_THREADS, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					  (intptr_t)cfg->max_connections, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					  CONNECTION_TIMEOUT_S, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					  CONNECTION_MEMORY, NULL };
	if (l->unix_path) {
		fd = unix_listen(cfg, l);
		if (fd < 0)
			return fd;
		app->unix_bound |= 1u << i;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	} else {
		/* the port argument only shows in libmicrohttpd's messages:
		 * the address comes from MHD_OPTION_SOCK_ADDR */
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
						  (void *)&l->addr };
		if (l->addr.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		if (app->tls_cert_pem) {
			flags |= MHD_USE_TLS;
			o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
							  app->tls_cert_pem };
			o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
							  app->tls_key_pem };
		}
	}
	o[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	app->mhd[i] = MHD_start_daemon(flags, l->unix_path ? 0 : listen_port(l),
		connguard_accept, app->guard, on_request, app,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,	/* first, to catch all */
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
		MHD_OPTION_NOTIFY_CONNECTION, connguard_notify, app->guard,
		MHD_OPTION_ARRAY, o,
		MHD_OPTION_END);
	if (!app->mhd[i]) {
		approve_log(LOG_ERR, "cannot listen on %s (address in use, "
			    "no permission, or bad TLS files?)", l->text);
		if (fd >= 0)
			close(fd);	/* the socket file goes in httpd_stop */
		return -EADDRNOTAVAIL;
	}
	if (!l->unix_path && !app->port) {
		info = MHD_get_daemon_info(app->mhd[i], MHD_DAEMON_INFO_BIND_PORT);
		app->port = info ? info->port : 0;
	}
	return 0;
}

int
httpd_start(struct app *app)
{
	const struct approvald_config *cfg = app->cfg;
	size_t i;
	int r;

	if (cfg->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			approve_log(LOG_ERR, "libmicrohttpd was built without TLS");
			return -EINVAL;
		}
		/* kept until httpd_stop(): MHD may refer to them while serving */
		if ((r = read_pem(cfg->tls_cert, &app->tls_cert_pem)) < 0 ||
		    (r = read_pem(cfg->tls_key, &app->tls_key_pem)) < 0)
			return r;
	}
	/* one guard for every endpoint's daemon: a peer's cap spans them */
	if ((r = connguard_new((unsigned)cfg->header_timeout, CONNECTION_TIMEOUT_S,
			       cfg->max_connections_per_peer, app->waiters, &app->guard)) < 0) {
		approve_log(LOG_ERR, "start-up: connection guard: %s", strerror(-r));
		free_pems(app);
		return r;
	}
	if ((r = offload_new(HTTPD_JOBS((unsigned)cfg->pool_size), &app->jobs)) < 0)
		return r;	/* logged; main.c calls httpd_stop() */
	for (i = 0; i < cfg->n_listen; i++)
		if ((r = start_one(app, i)) < 0)
			return r;	/* main.c calls httpd_stop(), which frees all */
	return 0;
}

static unsigned
open_connections(struct app *app)
{
	const union MHD_DaemonInfo *info;
	unsigned n = 0;
	size_t i;

	for (i = 0; i < APPROVALD_LISTEN_MAX; i++) {
		if (!app->mhd[i])
			continue;
		info = MHD_get_daemon_info(app->mhd[i], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		n += info ? info->num_connections : 0;
	}
	return n;
}

void
httpd_stop(struct app *app)
{
	MHD_socket fd[APPROVALD_LISTEN_MAX];
	unsigned waited = 0;
	size_t i;

	for (i = 0; i < APPROVALD_LISTEN_MAX; i++)
		fd[i] = app->mhd[i] ? MHD_quiesce_daemon(app->mhd[i]) : MHD_INVALID_SOCKET;
	/* MHD_stop_daemon must not find suspended connections: wake them
	 * all (they answer with the current status) and refuse new ones. */
	if (app->waiters)
		waiters_shutdown(app->waiters);
	/* the jobs still queued run (the stopping pool answers them at once),
	 * and hand their connections back; later ones run on MHD's threads */
	if (app->jobs)
		offload_stop(app->jobs);
	while (waited < STOP_GRACE_MS && open_connections(app) > 0) {
		usleep(50 * 1000);
		waited += 50;
	}
	for (i = 0; i < APPROVALD_LISTEN_MAX; i++) {
		if (app->mhd[i])
			MHD_stop_daemon(app->mhd[i]);
		app->mhd[i] = NULL;
		if (fd[i] != MHD_INVALID_SOCKET)
			close(fd[i]);
		if ((app->unix_bound & (1u << i)) && app->cfg &&
		    unlink(app->cfg->listens[i].unix_path) != 0 && errno != ENOENT)
			approve_log(LOG_WARNING, "%s: %s", app->cfg->listens[i].unix_path,
				    strerror(errno));
	}
	app->unix_bound = 0;
	offload_free(app->jobs);	/* after the daemons: their handlers submit */
	app->jobs = NULL;
	connguard_free(app->guard);	/* after the daemons: their CLOSED callbacks use it */
	app->guard = NULL;
	free_pems(app);
}
