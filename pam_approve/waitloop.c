/* waitloop.c: owns the exchange with approvald for one elevation: create,
 * show the code and URL, long-poll (with signals.c around it), cancel
 * (DESIGN.md §8).
 *
 * Fail-closed rules implemented here:
 *  - Only an answer that names our request id and carries the digest of
 *    exactly the context we sent, with status "approved", is an approval;
 *    with keys= it must also carry approvald's signature over our id,
 *    digest and nonce by a pinned, non-retired key (signed_ok).
 *  - failmode=open applies only when the create call found nothing there
 *    (APPROVE_HTTP_UNREACHABLE: refused or no route on every address) and
 *    failopen.c confirms it afresh with normal resources. Not reaching
 *    approvald for any other reason (a timeout of any kind, a name that
 *    does not resolve: APPROVE_HTTP_NOT_CONNECTED) is a denial, and so is
 *    any answer from a reachable daemon that is not a well-formed 201.
 *  - After the request was filed nothing fails open: transient errors are
 *    retried until the hard deadline, then the request is cancelled.
 *  - Every byte from the server goes through approve_sanitize_display
 *    before it reaches the conversation or syslog. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "bgcode.h"
#include "code.h"
#include "conv.h"
#include "failopen.h"
#include "http.h"
#include "secret.h"
#include "signals.h"
#include "waitloop.h"

#define CREATE_BOUND_MS 15000ULL	/* create: at most this, within the deadline */
#define CANCEL_BOUND_MS 3000ULL		/* cancel: own short deadline */
#define POLL_SLACK_MS 10000ULL		/* server time beyond the long-poll */
#define BACKOFF_MS 1000ULL		/* after a transient error while waiting */
#define FAILOPEN_PROBE_MS 2000U		/* second look before failmode=open */
#define SHOW_NAME_MAX 64		/* approver login as shown */
#define SHOW_COMMENT_MAX 512		/* deny comment as shown */
#define SHOW_ERR_MAX 200		/* server error text in logs */

#define MSG_MISCONFIGURED "Approval is misconfigured on this host; access denied."
#define MSG_SERVER_ERROR "Approval service error; access denied."

struct session {
	pam_handle_t *pamh;
	const struct pa_args *a;
	const struct approve_ctx *ctx;
	const char *digest;
	struct approve_http_opts http;
	uint64_t deadline;
	const struct approve_sig_keyring *keys;	/* keys=; NULL: none pinned */
	char id[APPROVE_UUID_LEN + 1];	/* "" until created */
	char *code;			/* display form; NULL until created */
	int notified_told;		/* the "notified" line was shown */
};

/* ---- helpers --------------------------------------------------------- */

/* The stable lines for callers without a terminal (docs/agents.md has the
 * grammar): "pam_approve: " VERB [" " ARGS], one PAM_ERROR_MSG each (sudo
 * and su write those to unbuffered stderr). Shown only when stderr is not
 * a terminal; a person at a terminal reads the sentences instead. */
#define MACHINE_PREFIX "pam_approve: "

static void machine(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
machine(struct session *s, const char *fmt, ...)
{
	char line[SHOW_COMMENT_MAX + APPROVE_LEN_URL + 128];
	va_list ap;
	int n;

	if (isatty(STDERR_FILENO))
		return;
	memcpy(line, MACHINE_PREFIX, sizeof(MACHINE_PREFIX) - 1);
	va_start(ap, fmt);
	n = vsnprintf(line + sizeof(MACHINE_PREFIX) - 1,
		      sizeof(line) - (sizeof(MACHINE_PREFIX) - 1), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* the parts are bounded below the buffer; a cut line is still one line */
	pa_conv_say(s->pamh, PAM_ERROR_MSG, s->a->debug, line);
}

/* A server text as one word of a machine line: sanitised, and blanks and
 * ':' (the grammar's separators) shown as '?'. "?" on ENOMEM. */
static char *
word(const char *v, size_t max)
{
	char *w = approve_sanitize_display(v ? v : "", v ? strlen(v) : 0, max), *p;

	if (!w)
		return strdup("?");
	for (p = w; *p; p++)
		if (*p == ' ' || *p == ':' || *p == '\t')
			*p = '?';
	return w;
}

/* Sanitised copy of a server string for display/logging; "?" on ENOMEM. */
static char *
shown(const char *s, size_t max)
{
	char *r = approve_sanitize_display(s ? s : "", s ? strlen(s) : 0, max);

	return r ? r : strdup("?");
}

static int
is_json(const struct approve_http_response *resp)
{
	return resp->content_type &&
	       strncasecmp(resp->content_type, "application/json", 16) == 0 &&
	       (resp->content_type[16] == '\0' || resp->content_type[16] == ';' ||
		resp->content_type[16] == ' ');
}

/* Log a non-success HTTP answer with the server's error body, cleaned. */
static void
log_status(struct session *s, int prio, const char *what,
	   const struct approve_http_response *resp)
{
	char *e = NULL, *d = NULL, *se = NULL, *sd = NULL;

	if (resp->body.len > 0 && is_json(resp) &&
	    approve_error_from_json(resp->body.data, resp->body.len, &e, &d) == 0) {
		se = shown(e, SHOW_NAME_MAX);
		sd = d ? shown(d, SHOW_ERR_MAX) : NULL;
	}
	pam_syslog(s->pamh, prio, "%s: HTTP %d%s%s%s%s", what, resp->status,
		   se ? " " : "", se ? se : "", sd ? ": " : "", sd ? sd : "");
	free(e);
	free(d);
	free(se);
	free(sd);
}

/* With keys=: an "approved" answer counts only with a valid signature by a
 * pinned, non-retired key over our own id, digest and nonce (and the
 * answer's status, decided_by, decided_at, expires_at). 0 or -EPROTO
 * (logged). Starts at refused; the verification is the one way out. */
static int
signed_ok(struct session *s, const char *what, const struct approve_status *st)
{
	const struct approve_sig_answer a = {
		.id = s->id[0] ? s->id : st->id, .digest = s->digest,
		.status = approve_state_name(APPROVE_APPROVED),
		.decided_by = st->decided_by, .decided_at = st->decided_at,
		.nonce = s->ctx->nonce, .expires_at = st->expires_at,
	};
	const char *why;
	char *kid;
	int r;

	if (!st->signature || !st->key_id) {
		pam_syslog(s->pamh, LOG_WARNING, "%s: \"approved\" without a "
			   "signature; keys= requires one, denied", what);
		return -EPROTO;
	}
	r = approve_sig_verify_answer(s->keys, &a, st->key_id, st->signature, 0,
				      NULL);
	if (r == 0)
		return 0;
	switch (r) {
	case -ENOKEY:
		why = "by a key not pinned in keys=";
		break;
	case -EKEYREVOKED:
		why = "by a retired key";
		break;
	case -EINVAL:
		why = "malformed";
		break;
	default:
		why = "invalid for this request, nonce and status";
		break;
	}
	kid = shown(st->key_id, APPROVE_SIG_KEY_ID_LEN);
	pam_syslog(s->pamh, LOG_WARNING, "%s: \"approved\" signature %s "
		   "(key %s), denied", what, why, kid);
	free(kid);
	return -EPROTO;
}

/* Check an answer (create, wait) and parse it: JSON, a uuid id (ours once
 * we have one), a valid state, and our digest. 0 or -EPROTO (logged). */
static int
parse_answer(struct session *s, const char *what,
	     const struct approve_http_response *resp,
	     struct approve_status **out)
{
	struct approve_status *st = NULL;
	char err[256], *e = NULL;
	int r = -EPROTO;

	*out = NULL;
	if (!is_json(resp) || resp->body.len == 0 || !resp->body.data) {
		pam_syslog(s->pamh, LOG_WARNING, "%s: answer is not JSON", what);
		goto out;
	}
	if (approve_status_from_json(resp->body.data, resp->body.len, &st, err,
				     sizeof(err)) != 0) {
		e = shown(err, SHOW_ERR_MAX);
		pam_syslog(s->pamh, LOG_WARNING, "%s: malformed answer: %s",
			   what, e);
		goto out;
	}
	if (!approve_uuid_valid(st->id)) {
		pam_syslog(s->pamh, LOG_WARNING, "%s: answer without a valid id",
			   what);
		goto out;
	}
	if (s->id[0] && strcasecmp(st->id, s->id) != 0) {
		pam_syslog(s->pamh, LOG_WARNING,
			   "%s: answer is for request %s, not %s", what, st->id,
			   s->id);
		goto out;
	}
	if (!approve_state_name(st->state)) {
		pam_syslog(s->pamh, LOG_WARNING, "%s: answer without a valid status",
			   what);
		goto out;
	}
	if (strcmp(st->digest, s->digest) != 0) {
		pam_syslog(s->pamh, LOG_WARNING,
			   "%s: digest mismatch: the answer is not for this "
			   "elevation", what);
		goto out;
	}
	if (st->state == APPROVE_APPROVED && s->keys && signed_ok(s, what, st) != 0)
		goto out;
	*out = st;
	st = NULL;
	r = 0;
out:
	free(e);
	approve_status_free(st);
	return r;
}

/* The answer of a create or wait exchange (r, err from the HTTP client):
 * a failed exchange or a status other than want is logged and refused
 * (a rejected host token is an operator problem: ERR); else parse_answer. */
static int
take_answer(struct session *s, const char *what, int r, const char *err,
	    const struct approve_http_response *resp, int want,
	    struct approve_status **out)
{
	*out = NULL;
	if (r != 0) {
		pam_syslog(s->pamh, LOG_WARNING, "%s at %s failed: %s", what,
			   s->a->url, err);
		return r;
	}
	if (resp->status != want) {
		log_status(s, resp->status == 401 || resp->status == 403 ?
			   LOG_ERR : LOG_WARNING, what, resp);
		return -EPROTO;
	}
	return parse_answer(s, what, resp, out);
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- the exchange ---------------------------------------------------- */

/* A create refused by the server's per-host limit: the requester is told
 * when to try again (the server's Retry-After, bounded). -EAGAIN. */
static int
rate_limited(struct session *s, const struct approve_http_response *resp)
{
	long secs = 0;

	if (approve_error_retry_after(resp->body.data ? resp->body.data : "",
				      resp->body.len, &secs) != 0)
		secs = 60;	/* no usable hint: a minute */
	pam_syslog(s->pamh, LOG_NOTICE, "%s as %s (%s): denied, approvald refused "
		   "the request (too many from this host; retry in %ld s)",
		   s->ctx->user, s->ctx->target_user, s->ctx->service, secs);
	pa_conv_sayf(s->pamh, PAM_ERROR_MSG, s->a->debug,
		     "Approval service: too many requests, try again in %ld s.", secs);
	machine(s, "error rate_limited %ld", secs);
	return -EAGAIN;
}

/* A 422 refusal of a create for a missing reason or ticket (wire.h):
 * show the server's sentence (cleaned) and return PA_NEED_REASON or
 * PA_NEED_TICKET; PA_DENY for any other answer. */
static enum pa_verdict
unmet(struct session *s, const struct approve_http_response *resp)
{
	char *e = NULL, *d = NULL, *sd = NULL;
	enum pa_verdict v = PA_DENY;

	if (resp->status != 422 || !resp->body.len || !is_json(resp) ||
	    approve_error_from_json(resp->body.data, resp->body.len, &e, &d) != 0)
		goto out;
	if (strcmp(e, APPROVE_ERR_REASON_REQUIRED) == 0)
		v = PA_NEED_REASON;
	else if (strcmp(e, APPROVE_ERR_TICKET_REQUIRED) == 0)
		v = PA_NEED_TICKET;
	else
		goto out;
	sd = shown(d ? d : "", SHOW_ERR_MAX);
	pa_conv_sayf(s->pamh, PAM_ERROR_MSG, s->a->debug, "Policy: %s.", sd ? sd : "?");
	machine(s, "note: %s %s", e, sd ? sd : "?");
	pam_syslog(s->pamh, LOG_NOTICE, "%s for %s as %s (%s): policy refused it: %s",
		   s->ctx->service, s->ctx->user, s->ctx->target_user, s->ctx->service,
		   sd ? sd : "?");
out:
	free(e);
	free(d);
	free(sd);
	return v;
}

/* POST /v1/requests. 0 with *out a verified answer, APPROVE_HTTP_UNREACHABLE,
 * or another negative errno (logged; a denial whatever the failmode).
 * A 503 (database trouble, daemon starting) is asked again after a pause,
 * until CREATE_BOUND_MS or the deadline: the JSON carries the elevation's
 * idempotency key, so a create that did go through is answered, not
 * repeated. -EAGAIN with *need PA_NEED_REASON or PA_NEED_TICKET when a
 * rule refused it for a missing reason or ticket (422, nothing filed; the
 * requester was told why). */
static int
create(struct session *s, const char *json, struct approve_status **out,
       enum pa_verdict *need)
{
	struct approve_http_response *resp = NULL;
	uint64_t deadline = min_u64(s->deadline, approve_now_ms() + CREATE_BOUND_MS), now;
	char err[256];
	int r;

	*out = NULL;
	*need = PA_DENY;
	for (;;) {
		approve_http_response_free(resp);
		resp = NULL;
		r = approve_http_request(&s->http, "POST", "/v1/requests", json,
					 strlen(json), deadline, &resp, err, sizeof(err));
		if (r == APPROVE_HTTP_UNREACHABLE) {
			pam_syslog(s->pamh, LOG_ERR, "approvald unreachable at %s: %s",
				   s->a->url, err);
			goto out;
		}
		now = approve_now_ms();
		if (r != 0 || resp->status != 503 || now + BACKOFF_MS >= deadline)
			break;
		log_status(s, LOG_NOTICE, "create request (asking again)", resp);
		poll(NULL, 0, (int)BACKOFF_MS);
	}
	if (r == 0 && resp->status == 429) {
		r = rate_limited(s, resp);
		goto out;
	}
	if (r == 0 && resp->status == 422) {
		*need = unmet(s, resp);
		if (*need != PA_DENY) {
			r = -EAGAIN;
			goto out;
		}
	}
	r = take_answer(s, "create request", r, err, resp, 201, out);
out:
	approve_http_response_free(resp);
	return r;
}

/* Cancel on the server, saying why (approvers see it). */
static void
cancel_request(struct session *s, enum approve_cancel_reason why)
{
	struct approve_http_response *resp = NULL;
	char path[64 + APPROVE_UUID_LEN], err[256], *body = NULL;
	int r;

	if (snprintf(path, sizeof(path), "/v1/requests/%s/cancel", s->id) >=
	    (int)sizeof(path))
		return;
	if (approve_cancel_to_json(why, &body) != 0) {
		pam_syslog(s->pamh, LOG_ERR, "request %s: cannot encode the cancel", s->id);
		return;
	}
	r = approve_http_request(&s->http, "POST", path, body, strlen(body),
				 approve_now_ms() + CANCEL_BOUND_MS, &resp, err,
				 sizeof(err));
	free(body);
	if (r != 0)
		pam_syslog(s->pamh, LOG_WARNING, "request %s: cancel failed: %s",
			   s->id, err);
	else if (resp->status == 200)
		pam_syslog(s->pamh, LOG_NOTICE, "request %s cancelled", s->id);
	else if (resp->status == 409)
		pam_syslog(s->pamh, LOG_NOTICE,
			   "request %s was already final when cancelling", s->id);
	else
		log_status(s, LOG_WARNING, "cancel request", resp);
	approve_http_response_free(resp);
}

/* The sinks approvers were told through, once: "Approvers were notified:
 * Slack, Teams." and "notified slack,teams". The reader let only
 * "word(,word)*" of [a-z0-9_] through; known kinds get their names. */
static void
show_notified(struct session *s, const struct approve_status *st)
{
	static const char *const names[][2] = {
		{ "slack", "Slack" }, { "teams", "Teams" }, { "webhook", "webhook" },
	};
	char text[APPROVE_LEN_NOTIFIED * 2 + 8] = "";
	const char *p;
	size_t len = 0, i, n;

	if (s->notified_told || !st->notified || !st->notified[0] ||
	    strlen(st->notified) > APPROVE_LEN_NOTIFIED ||
	    strspn(st->notified, "abcdefghijklmnopqrstuvwxyz0123456789_,") !=
	    strlen(st->notified))
		return;
	s->notified_told = 1;
	for (p = st->notified; *p; p += n + (p[n] == ',')) {
		const char *name = NULL;
		int w;

		n = strcspn(p, ",");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i][0]) == n && strncmp(p, names[i][0], n) == 0)
				name = names[i][1];
		w = name ? snprintf(text + len, sizeof(text) - len, "%s%s",
				    len ? ", " : "", name)
			 : snprintf(text + len, sizeof(text) - len, "%s%.*s",
				    len ? ", " : "", (int)n, p);
		if (w < 0 || (size_t)w >= sizeof(text) - len)
			return;
		len += (size_t)w;
	}
	pa_conv_sayf(s->pamh, PAM_ERROR_MSG, s->a->debug,
		     "Approvers were notified: %s.", text);
	machine(s, "notified %s", st->notified);
}

static void
show_pending(struct session *s, const struct approve_status *st)
{
	char *url = st->url ? shown(st->url, APPROVE_LEN_URL) : NULL;
	unsigned long t = s->a->timeout;
	char wait[64];

	if (t >= 60 && t % 60 == 0)
		snprintf(wait, sizeof(wait), "%lu min", t / 60);
	else
		snprintf(wait, sizeof(wait), "%lu s", t);
	/* PAM_ERROR_MSG: sudo/su write it to unbuffered stderr, so callers
	 * without a terminal see it while they wait (DESIGN.md §8) */
	pa_conv_sayf(s->pamh, PAM_ERROR_MSG, s->a->debug,
		     "Approval required: request %s%s%s\n"
		     "Waiting up to %s (Ctrl-C cancels)...",
		     s->code, url ? "\nApprove at: " : "", url ? url : "", wait);
	if (st->url) {
		char *u = word(st->url, APPROVE_LEN_URL);

		machine(s, "pending %s %s", s->code, u ? u : "?");
		free(u);
	} else {
		machine(s, "pending %s", s->code);
	}
	pam_syslog(s->pamh, LOG_NOTICE, "request %s (%s) for %s as %s (%s): pending",
		   s->id, s->code, s->ctx->user, s->ctx->target_user,
		   s->ctx->service);
	free(url);
	show_notified(s, st);
}

/* Show and log a final state. PA_APPROVED only for "approved". */
static enum pa_verdict
outcome(struct session *s, const struct approve_status *st)
{
	char *by = st->decided_by ? shown(st->decided_by, SHOW_NAME_MAX) : NULL;
	char *by_word = st->decided_by ? word(st->decided_by, SHOW_NAME_MAX) : NULL;
	char *comment = st->comment && *st->comment ?
			shown(st->comment, SHOW_COMMENT_MAX) : NULL;
	enum pa_verdict v = PA_DENY;
	pam_handle_t *pamh = s->pamh;
	int dbg = s->a->debug;

	switch (st->state) {
	case APPROVE_APPROVED:
		if (by)
			pa_conv_sayf(pamh, PAM_TEXT_INFO, dbg, "Approved by %s.", by);
		else
			pa_conv_say(pamh, PAM_TEXT_INFO, dbg, "Approved.");
		if (by_word)
			machine(s, "approved by %s", by_word);
		else
			machine(s, "approved");
		v = PA_APPROVED;
		break;
	case APPROVE_DENIED:
		pa_conv_sayf(pamh, PAM_ERROR_MSG, dbg, "Denied%s%s%s%s",
			     by ? " by " : "", by ? by : "",
			     comment ? ": " : ".", comment ? comment : "");
		machine(s, "denied%s%s%s%s", by_word ? " by " : "",
			by_word ? by_word : "", comment ? ": " : "",
			comment ? comment : "");
		break;
	case APPROVE_EXPIRED:
		pa_conv_sayf(pamh, PAM_ERROR_MSG, dbg, "Request %s expired.",
			     s->code);
		machine(s, "expired");
		break;
	case APPROVE_CANCELLED:
		pa_conv_sayf(pamh, PAM_ERROR_MSG, dbg,
			     "Request %s was cancelled.", s->code);
		machine(s, "cancelled");
		break;
	default:	/* pending cannot reach here; refuse anyway */
		pa_conv_say(pamh, PAM_ERROR_MSG, dbg, MSG_SERVER_ERROR);
		machine(s, "error server");
		break;
	}
	pam_syslog(pamh, LOG_NOTICE, "request %s (%s) for %s as %s (%s): %s%s%s",
		   s->id, s->code, s->ctx->user, s->ctx->target_user,
		   s->ctx->service, approve_state_name(st->state) ?
		   approve_state_name(st->state) : "invalid",
		   by ? " by " : "", by ? by : "");
	free(by);
	free(by_word);
	free(comment);
	return v;
}

/* Errors worth retrying while waiting: approvald restarting (the connect
 * classes), a proxy in front of it answering 5xx, a connection cut or
 * timed out, ICMP errors on an established connection. Everything else
 * (garbage, TLS failure, 4xx, a wrong answer, a local failure) ends the
 * wait as a denial. */
static int
transient(int r, const struct approve_http_response *resp)
{
	if (r == 0)
		return resp->status >= 500 && resp->status <= 599;
	switch (r) {
	case APPROVE_HTTP_UNREACHABLE:
	case APPROVE_HTTP_NOT_CONNECTED:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ETIMEDOUT:
	case -EPIPE:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -ENETDOWN:
	case -EAGAIN:
		return 1;
	default:
		return 0;
	}
}

/* Sleep up to ms, not past the deadline; a signal ends it early. */
static void
backoff(struct session *s)
{
	uint64_t now = approve_now_ms();
	struct timespec ts;

	if (now >= s->deadline)
		return;
	ts = approve_ms_to_timespec(min_u64(BACKOFF_MS, s->deadline - now));
	/* the wait signals are blocked outside waits: open them here too */
	ppoll(NULL, 0, &ts, s->http.wait_sigmask);
}

enum wait_end { END_FINAL, END_TIMEOUT, END_SIGNAL, END_ERROR };

/* One long-poll round. 0: *st replaced (maybe still pending); 1: transient,
 * retry; -EINTR: a signal; other negative: a denial (logged). */
static int
poll_once(struct session *s, struct approve_status **st, int *warned)
{
	struct approve_http_response *resp = NULL;
	struct approve_status *next = NULL;
	uint64_t now = approve_now_ms();
	unsigned long poll_s = (unsigned long)((s->deadline - now + 999) / 1000);
	char path[96 + APPROVE_UUID_LEN], err[256];
	int r;

	if (poll_s > APPROVE_POLL_DEFAULT_S)
		poll_s = APPROVE_POLL_DEFAULT_S;
	if (snprintf(path, sizeof(path), "/v1/requests/%s/wait?timeout=%lu",
		     s->id, poll_s) >= (int)sizeof(path))
		return -EINVAL;
	r = approve_http_request(&s->http, "GET", path, NULL, 0,
				 min_u64(s->deadline,
					 now + poll_s * 1000ULL + POLL_SLACK_MS),
				 &resp, err, sizeof(err));
	if (r == -EINTR)
		goto out;
	if (transient(r, resp)) {
		int prio = *warned ? LOG_DEBUG : LOG_WARNING;

		if (prio == LOG_WARNING || s->a->debug) {
			if (r != 0)
				pam_syslog(s->pamh, prio,
					   "request %s: wait failed, retrying: %s",
					   s->id, err);
			else
				log_status(s, prio, "wait (retrying)", resp);
		}
		*warned = 1;
		r = 1;
		goto out;
	}
	r = take_answer(s, "wait", r, err, resp, 200, &next);
	if (r != 0)
		goto out;
	*warned = 0;
	approve_status_free(*st);
	*st = next;
out:
	approve_http_response_free(resp);
	return r;
}

/* A pending N-of-M request's "N of M" approvals, told once per change.
 * The text is the server's: only digits, blanks and "of" are shown. */
static void
show_progress(struct session *s, const struct approve_status *st, char *last,
	      size_t lastlen)
{
	const char *a = st->approvals;

	if (!a || strlen(a) >= lastlen || strcmp(a, last) == 0 ||
	    strspn(a, "0123456789 of") != strlen(a))
		return;
	snprintf(last, lastlen, "%s", a);
	pa_conv_sayf(s->pamh, PAM_ERROR_MSG, s->a->debug,
		     "Approvals: %s given; waiting for more.", a);
	machine(s, "approvals %s", a);
	pam_syslog(s->pamh, LOG_NOTICE, "request %s (%s): %s approvals given",
		   s->id, s->code, a);
}

/* Long-poll until *st is final. 0 when final; else the request has been
 * cancelled on the server, the requester told why, and a negative value
 * is returned. */
static int
wait_final(struct session *s, struct approve_status **st)
{
	struct pa_sigsave ss = { 0 };
	enum wait_end end = END_ERROR;
	char shown_approvals[APPROVE_LEN_APPROVALS + 1] = "";
	int r, warned = 0;

	r = pa_signals_install(&ss);
	if (r != 0) {
		pam_syslog(s->pamh, LOG_ERR, "cannot install signal handlers: %s",
			   strerror(-r));
		goto out;
	}
	s->http.wait_sigmask = pa_signals_waitmask(&ss);
	for (;;) {
		if (pa_signal_caught()) {
			end = END_SIGNAL;
			break;
		}
		if (approve_now_ms() >= s->deadline) {
			end = END_TIMEOUT;
			break;
		}
		r = poll_once(s, st, &warned);
		if (r == -EINTR)
			continue;	/* the flag is checked above */
		if (r == 1) {
			backoff(s);
			continue;
		}
		if (r != 0)
			break;	/* END_ERROR */
		if ((*st)->state != APPROVE_PENDING) {
			/* a Ctrl-C given while this answer was read wins */
			end = pa_signals_take_pending(&ss) ? END_SIGNAL : END_FINAL;
			break;
		}
		show_progress(s, *st, shown_approvals, sizeof(shown_approvals));
		show_notified(s, *st);
	}
out:
	s->http.wait_sigmask = NULL;
	pa_signals_restore(&ss);
	if (end == END_FINAL)
		return 0;
	/* restored first: the cancel itself is not cut short by a second
	 * Ctrl-C; it has its own short deadline */
	cancel_request(s, end == END_SIGNAL ? APPROVE_CANCEL_INTERRUPTED
			 : end == END_TIMEOUT ? APPROVE_CANCEL_TIMEOUT
			 : APPROVE_CANCEL_UNSPECIFIED);
	switch (end) {
	case END_SIGNAL:
		pam_syslog(s->pamh, LOG_NOTICE,
			   "request %s (%s) for %s: cancelled by signal %d",
			   s->id, s->code, s->ctx->user, pa_signal_caught());
		pa_conv_say(s->pamh, PAM_ERROR_MSG, s->a->debug, "Cancelled.");
		machine(s, "cancelled");
		return -ECANCELED;
	case END_TIMEOUT:
		pam_syslog(s->pamh, LOG_NOTICE,
			   "request %s (%s) for %s: timed out after %lu s",
			   s->id, s->code, s->ctx->user, s->a->timeout);
		pa_conv_say(s->pamh, PAM_ERROR_MSG, s->a->debug,
			    "Approval timed out; request cancelled.");
		machine(s, "expired");
		return -ETIMEDOUT;
	default:
		pam_syslog(s->pamh, LOG_NOTICE,
			   "request %s (%s) for %s: denied after a server error",
			   s->id, s->code, s->ctx->user);
		pa_conv_say(s->pamh, PAM_ERROR_MSG, s->a->debug, MSG_SERVER_ERROR);
		machine(s, "error server");
		return -EPROTO;
	}
}

/* approvald was not reached at create (r: APPROVE_HTTP_UNREACHABLE or
 * APPROVE_HTTP_NOT_CONNECTED). Starts at denied; one line allows with
 * failmode=open and one with a break-glass code, both only after the
 * client's "nothing there" and the probe's: the same proof for both. */
static enum pa_verdict
unreachable(struct session *s, int r)
{
	enum pa_verdict v = PA_DENY;
	char why[256] = "";
	const char *what = s->a->breakglass ? "break-glass not offered" :
			   "failmode=open not honoured";

	if (s->a->failmode != PA_FAIL_OPEN && !s->a->breakglass) {
		pam_syslog(s->pamh, LOG_NOTICE,
			   "%s as %s (%s): denied, approvald unreachable "
			   "(failmode=closed)", s->ctx->user, s->ctx->target_user,
			   s->ctx->service);
		goto out;
	}
	if (r != APPROVE_HTTP_UNREACHABLE) {
		pam_syslog(s->pamh, LOG_WARNING,
			   "%s as %s (%s): approvald not reached, but nothing "
			   "proves it is absent (a timeout or an unresolved name, "
			   "not a refusal on every address); %s, denied",
			   s->ctx->user, s->ctx->target_user, s->ctx->service, what);
		goto out;
	}
	if (pa_failopen_check(s->a->url, s->http.server_uid, FAILOPEN_PROBE_MS,
			      why, sizeof(why)) != 0) {
		pam_syslog(s->pamh, LOG_WARNING,
			   "%s as %s (%s): approvald unreachable but not "
			   "provably (%s); %s, denied",
			   s->ctx->user, s->ctx->target_user, s->ctx->service,
			   why, what);
		goto out;
	}
	/* refused or no route everywhere, twice */
	if (s->a->failmode != PA_FAIL_OPEN) {
		/* args.c: breakglass= is set (it excludes failmode=open) */
		if (pa_breakglass_offer(s->pamh, s->a, s->ctx, s->digest,
					 s->deadline) == 1) {
			v = PA_BREAKGLASS;	/* a code consumed on disk */
			machine(s, "allowed breakglass");
		}
		goto out;
	}
	v = PA_FAILED_OPEN;
	pam_syslog(s->pamh, LOG_ALERT,
		   "%s as %s (%s): ALLOWED WITHOUT APPROVAL, approvald "
		   "unreachable and failmode=open", s->ctx->user,
		   s->ctx->target_user, s->ctx->service);
	pa_conv_say(s->pamh, PAM_ERROR_MSG, s->a->debug,
		    "WARNING: approval service unreachable; allowed without "
		    "approval (failmode=open).");
	machine(s, "allowed unreachable");
out:
	if (v == PA_DENY) {
		pa_conv_say(s->pamh, PAM_ERROR_MSG, s->a->debug,
			    "Approval service unreachable; access denied.");
		machine(s, "error unreachable");
	}
	return v;
}

enum pa_verdict
pa_request_approval(pam_handle_t *pamh, const struct pa_args *a,
		    const struct approve_ctx *ctx, const char *digest)
{
	struct session s = { .pamh = pamh, .a = a, .ctx = ctx, .digest = digest };
	struct approve_secret *token = NULL;
	struct approve_sig_keyring *keys = NULL;
	struct approve_status *st = NULL;
	enum pa_verdict v = PA_DENY, need = PA_DENY;
	char err[256], *json = NULL;
	int r;

	s.deadline = approve_now_ms() + (uint64_t)a->timeout * 1000ULL;
	r = approve_secret_read_file(a->token_file, &token, err, sizeof(err));
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "host token refused, denying: %s", err);
		pa_conv_say(pamh, PAM_ERROR_MSG, a->debug, MSG_MISCONFIGURED);
		machine(&s, "error misconfigured");
		goto out;
	}
	if (a->keys) {
		r = approve_sig_keyring_read_file(a->keys, 1, &keys, err, sizeof(err));
		if (r != 0) {
			pam_syslog(pamh, LOG_ERR, "pinned keys refused, denying: %s",
				   err);
			pa_conv_say(pamh, PAM_ERROR_MSG, a->debug, MSG_MISCONFIGURED);
			goto out;
		}
		s.keys = keys;
	}
	s.http.url = a->url;
	s.http.ca_file = a->ca;
	s.http.token = token->data;
	s.http.strict_transport = 1;
	if (strncasecmp(a->url, "unix:", 5) == 0 &&
	    pa_args_server_uid(a, &s.http.server_uid) != 0)
		pam_syslog(pamh, LOG_WARNING, "server_user %s: no such user; only "
			   "root may serve %s", a->server_user, a->url);
	r = approve_ctx_to_json(ctx, &json, err, sizeof(err));
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "cannot encode the request: %s", err);
		pa_conv_say(pamh, PAM_ERROR_MSG, a->debug, MSG_MISCONFIGURED);
		machine(&s, "error misconfigured");
		goto out;
	}
	r = create(&s, json, &st, &need);
	if (r == -EAGAIN) {
		v = need;	/* told; the caller may ask and try again */
		goto out;
	}
	if (r == APPROVE_HTTP_UNREACHABLE || r == APPROVE_HTTP_NOT_CONNECTED) {
		v = unreachable(&s, r);
		goto out;
	}
	if (r == -EAGAIN)
		goto out;	/* rate limited: the requester was told */
	if (r != 0) {
		pa_conv_say(pamh, PAM_ERROR_MSG, a->debug, MSG_SERVER_ERROR);
		machine(&s, "error server");
		goto out;
	}
	/* approvald is here and answered for this host: earlier offline
	 * break-glass uses go to it now */
	pa_breakglass_report(pamh, a, &s.http);
	memcpy(s.id, st->id, sizeof(s.id));
	s.id[APPROVE_UUID_LEN] = '\0';
	s.code = shown(st->code[0] ? st->code : st->id, APPROVE_UUID_LEN + 4);
	if (!s.code)
		goto out;
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "request %s created: %s", s.id,
			   approve_state_name(st->state));
	if (st->state == APPROVE_PENDING) {
		show_pending(&s, st);
		if (wait_final(&s, &st) != 0)
			goto out;
	}
	v = outcome(&s, st) == PA_APPROVED ? PA_APPROVED : PA_DENY;
out:
	free(json);
	free(s.code);
	approve_status_free(st);
	approve_secret_free(token);
	approve_sig_keyring_free(keys);
	return v;
}

void
pa_request_unmet_outcome(pam_handle_t *pamh, const struct pa_args *a,
			 enum pa_verdict last)
{
	struct session s = { .pamh = pamh, .a = a };

	machine(&s, "denied: policy needs a %s", last == PA_NEED_TICKET ? "ticket" : "reason");
}
