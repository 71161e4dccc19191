/* db.c: owns the libpq connection pool of approvald (see db.h): checkout
 * with a bounded wait, liveness check and rate-limited reconnect, the one
 * place that runs SQL (non-blocking: every wait polls the socket against
 * a deadline), the per-connection prepared statements, and the "database
 * down / back" log lines (logged once per transition, not once per
 * request). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "clock.h"
#include "log.h"

#define DB_RETRY_MS 1000	/* a broken slot reconnects at most this often */
#define DB_SLICE_MS 100		/* a wait looks at the stop deadline this often */
#define DB_PREPARED_MAX 64	/* statements prepared per connection */
#define DB_STALL_MS 200		/* no slot came back this long: the pool is stuck */

#define SESSION_SETUP \
	"SELECT pg_catalog.set_config('search_path', '', false)," \
	" pg_catalog.set_config('statement_timeout', '15s', false)," \
	" pg_catalog.set_config('TimeZone', 'UTC', false)"
const char db_session_setup[] = SESSION_SETUP;
/* Pool connections also take their NOTIFYs out of the commit (sql/021):
 * the triggers hand each one over as a NOTICE (client_min_messages makes
 * sure it arrives) and db_exec() sends them once the statement committed. */
static const char pool_setup[] = SESSION_SETUP ","
	" pg_catalog.set_config('approval.defer_notify', 'on', false),"
	" pg_catalog.set_config('client_min_messages', 'notice', false)";
/* One transaction of its own, no WAL written: its commit waits for no flush
 * and holds PostgreSQL's NOTIFY lock for a moment only. */
static const char notify_sql[] =
	"SELECT pg_catalog.pg_notify(u.c, u.p)"
	" FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]))"
	" AS u(c, p)";

struct prepared {
	uint32_t hash;
	char *sql;		/* prepared as "s<index>" */
};

/* NOTIFYs the running statements asked for, sent after their COMMIT:
 * two array literals being built, {"channel",...} and {"payload",...}. */
struct deferred {
	char *chans, *loads;
	size_t nchans, nloads;	/* lengths so far (without the closing brace) */
	size_t capchans, caploads;
	unsigned n;
	int lost;		/* out of memory: some were not kept */
};

struct db_conn {
	PGconn *pg;
	uint64_t last_try;	/* when the last connect attempt failed, 0 if none */
	struct db_pool *pool;
	struct deferred defer;
	unsigned nprep;
	struct prepared prep[DB_PREPARED_MAX];
};

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db_params params;
	unsigned size;
	unsigned nfree;
	unsigned nwaiting;	/* callers in db_get waiting for a slot */
	uint64_t last_put;	/* when a slot last came back */
	_Atomic uint64_t crowd_logged;	/* when "503 at once" was last logged */
	struct db_conn *slots;
	struct db_conn **free;	/* stack of free slots */
	atomic_int down;	/* 1 after a failure was logged, until success */
	_Atomic uint64_t stop_at;	/* 0, or when all work must have ended */
};

/* One PQcancel at a time, process-wide (see cancel_async). */
static atomic_int cancelling;

enum { RT_OK = 0, RT_TIMEOUT = -ETIMEDOUT, RT_LOST = -EPIPE };

static void
notice_to_log(void *arg, const char *msg)
{
	char buf[256];
	size_t n = strcspn(msg, "\n");

	(void)arg;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	approve_log(LOG_DEBUG, "database says: %s", buf);
}

void
db_quiet_notices(PGconn *pg)
{
	if (pg)
		PQsetNoticeProcessor(pg, notice_to_log, NULL);
}

/* Append v to a "{...}" array literal being built, quoted and escaped. */
static int
lit_add(char **buf, size_t *len, size_t *cap, const char *v)
{
	size_t need = *len + 2 * strlen(v) + 5;	/* ',' or '{', quotes, '}', NUL */
	char *b = *buf, *o;

	if (need > *cap) {
		size_t ncap = need > 2 * *cap ? need : 2 * *cap;

		if (!(b = realloc(*buf, ncap)))
			return -ENOMEM;
		*buf = b;
		*cap = ncap;
	}
	o = b + *len;
	*o++ = *len ? ',' : '{';
	*o++ = '"';
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			*o++ = '\\';
		*o++ = *v;
	}
	*o++ = '"';
	*len = (size_t)(o - b);
	return 0;
}

static void
defer_clear(struct deferred *d)
{
	d->nchans = d->nloads = 0;
	d->n = 0;
	d->lost = 0;
}

static void
defer_free(struct deferred *d)
{
	free(d->chans);
	free(d->loads);
	memset(d, 0, sizeof(*d));
}

/* libpq's notice receiver on pool connections: a NOTIFY handed over by
 * approval.notify_event() is kept for after the commit; any other notice
 * goes to the log as before. */
static void
notice_receive(void *arg, const PGresult *res)
{
	struct deferred *d = arg;
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *chan, *load;
	size_t lc = d->nchans, ll = d->nloads;

	if (!st || strcmp(st, DB_STATE_DEFERRED_NOTIFY) != 0) {
		notice_to_log(NULL, PQresultErrorMessage(res));
		return;
	}
	chan = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	load = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!chan || !load)
		return;
	if (lit_add(&d->chans, &d->nchans, &d->capchans, chan) < 0 ||
	    lit_add(&d->loads, &d->nloads, &d->caploads, load) < 0) {
		d->nchans = lc;
		d->nloads = ll;
		d->lost = 1;
		return;
	}
	d->n++;
}

/* The statement that asked for these committed: announce them now (a
 * failure only delays the waiters concerned until they read again:
 * sql/021_notify_after_commit.sql). */
static void
defer_send(struct db_conn *c)
{
	struct deferred *d = &c->defer;
	const char *params[2];
	PGresult *res = NULL;
	unsigned n = d->n;
	int lost = d->lost;

	if (n > 0) {
		memcpy(d->chans + d->nchans, "}", 2);
		memcpy(d->loads + d->nloads, "}", 2);
		params[0] = d->chans;
		params[1] = d->loads;
	}
	defer_clear(d);		/* before: db_exec() below must not come back here */
	if (lost)
		approve_log(LOG_ERR, "out of memory: an announcement of a committed change "
			    "was not sent (waiters elsewhere learn of it when they read again)");
	if (n == 0)
		return;
	if (db_exec(c, notify_sql, 2, params, &res) < 0) {
		db_log_error("NOTIFY after commit", res);
		approve_log(LOG_WARNING, "%u announcement(s) of a committed change not sent "
			    "(waiters elsewhere learn of it when they read again)", n);
	}
	PQclear(res);
}

static void
pool_mark_down(struct db_pool *p, const char *why)
{
	if (atomic_exchange(&p->down, 1) == 0)
		approve_log(LOG_ERR, "database unavailable: %s", why);
}

static void
pool_mark_up(struct db_pool *p)
{
	if (atomic_exchange(&p->down, 0) == 1)
		approve_log(LOG_NOTICE, "database reachable again");
}

/* Strip the trailing newline libpq puts on its messages. */
static const char *
one_line(const char *msg, char *buf, size_t len)
{
	size_t n;

	if (!msg || !*msg)
		return "(no message)";
	n = strcspn(msg, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
}

/* deadline, or earlier once shutdown began */
static uint64_t
capped(struct db_pool *p, uint64_t deadline)
{
	uint64_t s = atomic_load(&p->stop_at);

	return s && s < deadline ? s : deadline;
}

int
db_pool_new(const char *conninfo, unsigned size, struct db_pool **out)
{
	struct db_pool *p;
	unsigned i;

	*out = NULL;
	if (size == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->slots = calloc(size, sizeof(*p->slots));
	p->free = calloc(size, sizeof(*p->free));
	if (!p->slots || !p->free || db_params_init(&p->params, conninfo) < 0) {
		free(p->slots);
		free(p->free);
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->size = size;
	for (i = 0; i < size; i++) {
		p->slots[i].pool = p;
		p->free[i] = &p->slots[i];
	}
	p->nfree = size;
	*out = p;
	return 0;
}

void
db_pool_stop(struct db_pool *p)
{
	uint64_t zero = 0;

	if (!p)
		return;
	atomic_compare_exchange_strong(&p->stop_at, &zero, approve_now_ms() + DB_STOP_MS);
	pthread_mutex_lock(&p->mu);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Close the connection and forget what was prepared on it. */
static void
conn_drop(struct db_conn *c)
{
	unsigned i;

	if (c->pg)
		PQfinish(c->pg);	/* non-blocking socket: never waits */
	c->pg = NULL;
	for (i = 0; i < c->nprep; i++)
		free(c->prep[i].sql);
	c->nprep = 0;
	defer_clear(&c->defer);	/* their transaction's fate is unknown */
}

void
db_pool_free(struct db_pool *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->size; i++) {
		conn_drop(&p->slots[i]);
		defer_free(&p->slots[i].defer);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->slots);
	free(p->free);
	db_params_free(&p->params);
	free(p);
}

/* 1 when the socket is ready for events, 0 when the deadline passed (or
 * shutdown moved it), -1 when there is no socket or poll failed. */
static int
wait_sock(struct db_pool *p, PGconn *pg, short events, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now, d;
	int n;

	for (;;) {
		now = approve_now_ms();
		d = capped(p, deadline);
		if (now >= d)
			return 0;
		pfd.fd = PQsocket(pg);
		pfd.events = events;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return -1;
		n = poll(&pfd, 1, d - now > DB_SLICE_MS ? DB_SLICE_MS : (int)(d - now));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static void *
cancel_main(void *arg)
{
	PGcancel *cn = arg;
	char buf[256];

	/* PQcancel opens a connection and waits for the server to close it,
	 * without a deadline: only this thread waits, never a worker */
	if (!PQcancel(cn, buf, sizeof(buf)))
		approve_log(LOG_DEBUG, "cancel request not delivered: %s", buf);
	PQfreeCancel(cn);
	atomic_store(&cancelling, 0);
	return NULL;
}

/* Ask the server to cancel what pg runs, from a detached thread; skipped
 * while an earlier cancel is still on its way (a hung server). The caller
 * drops the connection either way. */
static void
cancel_async(PGconn *pg)
{
	pthread_attr_t attr;
	pthread_t t;
	PGcancel *cn;

	if (atomic_exchange(&cancelling, 1) == 1)
		return;
	cn = PQgetCancel(pg);
	if (cn && pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, cancel_main, cn) == 0)
			cn = NULL;
		pthread_attr_destroy(&attr);
	}
	if (cn) {
		PQfreeCancel(cn);
		atomic_store(&cancelling, 0);
	}
}

/* After a successful PQsend*: flush, then read every result. RT_OK with
 * *res the (first error or last) result; RT_TIMEOUT; RT_LOST when the
 * connection failed (*res may hold the server's last word). */
static int
roundtrip(struct db_conn *c, uint64_t deadline, PGresult **res)
{
	PGconn *pg = c->pg;
	PGresult *r, *keep = NULL;
	int f, w, lost = 0;

	*res = NULL;
	while ((f = PQflush(pg)) == 1) {
		w = wait_sock(c->pool, pg, POLLOUT | POLLIN, deadline);
		if (w == 0)
			return RT_TIMEOUT;
		if (w < 0 || !PQconsumeInput(pg))
			return RT_LOST;
	}
	if (f < 0)
		return RT_LOST;
	for (;;) {
		while (!lost && PQisBusy(pg)) {
			w = wait_sock(c->pool, pg, POLLIN, deadline);
			if (w == 0) {
				PQclear(keep);
				return RT_TIMEOUT;
			}
			if (w < 0 || !PQconsumeInput(pg))
				lost = 1;
		}
		/* a failed connection hands out its error without waiting */
		if (lost && PQstatus(pg) != CONNECTION_BAD)
			break;
		r = PQgetResult(pg);
		if (!r)
			break;
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
		} else {
			PQclear(keep);
			keep = r;
		}
	}
	*res = keep;
	return lost || PQstatus(pg) != CONNECTION_OK ? RT_LOST : RT_OK;
}

static uint32_t
sql_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Send sql (prepared on this connection the first time, when there is
 * room and the transaction is not failed) and take its results. */
static int
run_statement(struct db_conn *c, const char *sql, int nparams,
	      const char *const *params, uint64_t deadline, PGresult **res)
{
	uint32_t h = sql_hash(sql);
	char name[16];
	PGresult *r = NULL;
	char *copy;
	unsigned i;
	int rc;

	*res = NULL;
	for (i = 0; i < c->nprep; i++)
		if (c->prep[i].hash == h && strcmp(c->prep[i].sql, sql) == 0)
			break;
	if (i == c->nprep && c->nprep < DB_PREPARED_MAX &&
	    PQtransactionStatus(c->pg) != PQTRANS_INERROR && (copy = strdup(sql))) {
		snprintf(name, sizeof(name), "s%u", i);
		if (!PQsendPrepare(c->pg, name, sql, nparams, NULL)) {
			free(copy);
			return RT_LOST;
		}
		rc = roundtrip(c, deadline, &r);
		if (rc != RT_OK || PQresultStatus(r) != PGRES_COMMAND_OK) {
			free(copy);
			*res = r;	/* e.g. a syntax error: the caller's to judge */
			return rc;
		}
		PQclear(r);
		c->prep[i].hash = h;
		c->prep[i].sql = copy;
		c->nprep++;
	}
	if (i < c->nprep) {
		snprintf(name, sizeof(name), "s%u", i);
		rc = PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0);
	} else {
		rc = PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	}
	if (!rc)
		return RT_LOST;
	return roundtrip(c, deadline, res);
}

static int
conn_open(struct db_conn *c, uint64_t deadline)
{
	struct db_pool *p = c->pool;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGresult *res = NULL;
	const char *why = NULL;
	char buf[256];
	int r = -EIO, w;

	conn_drop(c);
	c->pg = db_connect_start(&p->params);
	if (!c->pg) {
		why = "out of memory";
		goto out;
	}
	PQsetNoticeReceiver(c->pg, notice_receive, &c->defer);
	if (PQstatus(c->pg) == CONNECTION_BAD)
		goto out;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			goto out;
		w = wait_sock(p, c->pg, st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			      deadline);
		if (w == 0) {
			why = "connection attempt timed out";
			db_connect_timed_out(&p->params, c->pg);
			goto out;
		}
		if (w < 0)
			goto out;
		st = PQconnectPoll(c->pg);
	}
	if (PQsetnonblocking(c->pg, 1) != 0)
		goto out;
	if (!PQsendQuery(c->pg, pool_setup))
		goto out;
	w = roundtrip(c, deadline, &res);
	if (w == RT_TIMEOUT) {
		why = "session setup timed out";
		goto out;
	}
	if (w != RT_OK || PQresultStatus(res) != PGRES_TUPLES_OK)
		goto out;
	pool_mark_up(p);
	r = 0;
out:
	if (r < 0)
		pool_mark_down(p, why ? why : one_line(c->pg ? PQerrorMessage(c->pg) : NULL,
						       buf, sizeof(buf)));
	PQclear(res);
	if (r < 0)
		conn_drop(c);
	return r;
}

/* Is this idle connection still usable? A server that ended the session
 * (restart, pg_terminate_backend, a proxy's idle timeout) sent a FATAL
 * message and closed: the first read takes the message (as a notice), a
 * later one sees the end of the stream. So read for as long as there is
 * something to read, without waiting. */
static int
conn_alive(PGconn *pg)
{
	struct pollfd pfd;
	int i, n;

	if (!pg || PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE)
		return 0;
	for (i = 0; i < 8; i++) {
		pfd.fd = PQsocket(pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return 0;
		n = poll(&pfd, 1, 0);
		if (n == 0)
			return 1;	/* nothing to read: alive */
		if (n < 0 && errno != EINTR)
			return 0;
		if (n > 0 && (!PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK))
			return 0;
	}
	return PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) == PQTRANS_IDLE;
}

/* Make c->pg usable: 0, or -EIO (503) when it is broken and may not or
 * cannot be reconnected now. */
static int
conn_ready(struct db_conn *c)
{
	uint64_t now;

	if (conn_alive(c->pg))
		return 0;
	now = approve_now_ms();
	if (atomic_load(&c->pool->stop_at))
		return -EIO;	/* shutting down: no new connections */
	if (c->last_try && now - c->last_try < DB_RETRY_MS)
		return -EIO;	/* failed a moment ago: answer 503 at once */
	if (conn_open(c, capped(c->pool, now + DB_CONNECT_MS)) == 0) {
		c->last_try = 0;
		return 0;
	}
	c->last_try = now ? now : 1;
	return -EIO;
}

/* A crowd is one event: one line a second, not one per caller. */
static void
log_crowd(struct db_pool *p)
{
	uint64_t t = approve_now_ms(), last = atomic_load(&p->crowd_logged);

	if (t - last >= 1000 && atomic_compare_exchange_strong(&p->crowd_logged, &last, t))
		approve_log(LOG_WARNING, "all %u database connections busy for %u ms and "
			    "%u callers waiting: 503 at once", p->size, DB_STALL_MS,
			    DB_MAX_WAITING(p->size));
}

int
db_pool_crowded(struct db_pool *p)
{
	int crowded;

	pthread_mutex_lock(&p->mu);
	crowded = p->nfree == 0 && p->nwaiting >= DB_MAX_WAITING(p->size) &&
		  approve_now_ms() - p->last_put > DB_STALL_MS;
	pthread_mutex_unlock(&p->mu);
	if (crowded)
		log_crowd(p);
	return crowded;
}

struct db_conn *
db_get(struct db_pool *p, unsigned timeout_ms)
{
	struct db_conn *c = NULL;
	struct timespec ts;
	uint64_t now, d, deadline = approve_now_ms() + timeout_ms, slice;
	int extra, crowded = 0;

	/* The first DB_MAX_WAITING callers wait up to timeout_ms; the ones
	 * beyond only while slots keep coming back (a burst on a healthy
	 * database), not once the pool is stuck: so worker threads stay free
	 * for /healthz when the database hangs. */
	pthread_mutex_lock(&p->mu);
	extra = p->nfree == 0 && p->nwaiting >= DB_MAX_WAITING(p->size);
	if (!extra)
		p->nwaiting++;
	while (p->nfree == 0) {
		now = approve_now_ms();
		d = capped(p, deadline);
		if (now >= d)
			break;
		if (extra && now - p->last_put > DB_STALL_MS) {
			crowded = 1;
			break;
		}
		slice = d - now > DB_SLICE_MS ? DB_SLICE_MS : d - now;
		ts = approve_timespec_after(CLOCK_REALTIME, slice);
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	if (!extra)
		p->nwaiting--;
	if (p->nfree > 0)
		c = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	if (!c) {
		if (crowded)
			log_crowd(p);
		else
			approve_log(LOG_WARNING, "no database connection free within %u ms",
				    timeout_ms);
		return NULL;
	}
	if (conn_ready(c) == 0)
		return c;
	db_put(p, c);
	return NULL;
}

void
db_put(struct db_pool *p, struct db_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = c;
	p->last_put = approve_now_ms();
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
db_exec(struct db_conn *c, const char *sql, int nparams,
	const char *const *params, PGresult **res)
{
	struct db_pool *p = c->pool;
	ExecStatusType st;
	char buf[256];
	int attempt, idle, rc;

	*res = NULL;
	for (attempt = 0;; attempt++) {
		if (!c->pg && conn_ready(c) < 0)
			return -EIO;	/* dropped by an earlier failure */
		idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
		rc = run_statement(c, sql, nparams, params,
				   capped(p, approve_now_ms() + DB_STATEMENT_MS), res);
		st = PQresultStatus(*res);
		if (rc == RT_OK && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
			/* out of a transaction block now: it committed (a
			 * ROLLBACK's transaction announces nothing) */
			if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
				if (strncmp(sql, "ROLLBACK", 8) == 0)
					defer_clear(&c->defer);
				else if (c->defer.n || c->defer.lost)
					defer_send(c);
			}
			return 0;
		}
		defer_clear(&c->defer);	/* failed: its transaction rolls back */
		if (rc == RT_OK)
			return -EIO;	/* the server refused it: the caller judges */
		if (rc == RT_TIMEOUT) {
			snprintf(buf, sizeof(buf), "no answer within %u ms%s",
				 DB_STATEMENT_MS, atomic_load(&p->stop_at) ?
				 " (or shutting down)" : "");
			pool_mark_down(p, buf);
			cancel_async(c->pg);
			conn_drop(c);
			c->last_try = approve_now_ms();	/* hung: no reconnect for a moment */
			return -EIO;
		}
		/* connection lost: a statement outside a transaction block
		 * runs again, once, on a new connection */
		if (attempt == 0 && idle && !atomic_load(&p->stop_at)) {
			approve_log(LOG_INFO, "database connection lost (%s); reconnecting",
				    one_line(PQerrorMessage(c->pg), buf, sizeof(buf)));
			PQclear(*res);
			*res = NULL;
			conn_drop(c);
			c->last_try = 0;
			continue;
		}
		pool_mark_down(p, one_line(PQerrorMessage(c->pg), buf, sizeof(buf)));
		conn_drop(c);
		c->last_try = 0;	/* reconnect at the next checkout */
		return -EIO;
	}
}

int
db_error_is(const PGresult *res, const char *sqlstate, const char *hint)
{
	const char *s, *h;

	if (!res)
		return 0;
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!s || strcmp(s, sqlstate) != 0)
		return 0;
	if (!hint)
		return 1;
	h = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	return h && strcmp(h, hint) == 0;
}

void
db_log_error(const char *what, const PGresult *res)
{
	const char *s, *m;

	s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!s)
		return;	/* client-side connection failure: db_exec logged it */
	m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	approve_log(LOG_ERR, "%s: database error %s: %s", what, s ? s : "?",
		    m ? m : "(no message)");
}

/* What a failed statement means for the answer: -EIO when the database
 * went away (no SQLSTATE: a client-side failure db_exec logged; class 08
 * connection, 57P shutdown), -ETIMEDOUT for the statement timeout, else
 * -EPROTO after logging it once here. */
int
db_failure(const PGresult *res, const char *what)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!st || strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
		return -EIO;
	if (strcmp(st, "57014") == 0)
		return -ETIMEDOUT;
	db_log_error(what, res);
	return -EPROTO;
}
