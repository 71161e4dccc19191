/* db.c: owns the libpq connection pool of approvald (see db.h): checkout
 * with a bounded wait, liveness check and rate-limited reconnect, the one
 * place that runs SQL (PQexecParams), and the "database down / back"
 * log lines (logged once per transition, not once per request). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "http.h"	/* approve_now_ms() lives in common/http.h */
#include "log.h"

#define DB_RETRY_MS 1000	/* a broken slot reconnects at most this often */

const char db_session_setup[] =
	"SELECT pg_catalog.set_config('search_path', '', false),"
	" pg_catalog.set_config('statement_timeout', '15s', false),"
	" pg_catalog.set_config('TimeZone', 'UTC', false)";

struct db_conn {
	PGconn *pg;
	uint64_t last_try;	/* when the last connect attempt failed, 0 if none */
	struct db_pool *pool;
};

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *kw[DB_NPARAMS + 1];
	const char *val[DB_NPARAMS + 1];
	char *conninfo;
	unsigned size;
	unsigned nfree;
	struct db_conn *slots;
	struct db_conn **free;	/* stack of free slots */
	atomic_int down;	/* 1 after a failure was logged, until success */
};

void
db_conn_params(const char *conninfo, const char *kw[DB_NPARAMS],
	       const char *val[DB_NPARAMS])
{
	/* Later entries win; the expanded "dbname" conninfo overrides the
	 * defaults before it, so the operator's values take precedence. */
	kw[0] = "fallback_application_name"; val[0] = "approvald";
	kw[1] = "connect_timeout"; val[1] = "5";
	kw[2] = "client_encoding"; val[2] = "UTF8";
	kw[3] = "dbname"; val[3] = conninfo;
}

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

	if (!msg)
		return "(no message)";
	n = strcspn(msg, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
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
	p->conninfo = strdup(conninfo);
	p->slots = calloc(size, sizeof(*p->slots));
	p->free = calloc(size, sizeof(*p->free));
	if (!p->conninfo || !p->slots || !p->free) {
		free(p->conninfo);
		free(p->slots);
		free(p->free);
		free(p);
		return -ENOMEM;
	}
	db_conn_params(p->conninfo, p->kw, p->val);
	p->kw[DB_NPARAMS] = NULL;
	p->val[DB_NPARAMS] = NULL;
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
db_pool_free(struct db_pool *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->size; i++)
		if (p->slots[i].pg)
			PQfinish(p->slots[i].pg);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->slots);
	free(p->free);
	free(p->conninfo);
	free(p);
}

/* Is this idle connection still usable? PQconsumeInput does not block
 * (libpq sockets are non-blocking) and reads a server's farewell message,
 * so a restarted server is noticed here rather than by the next query. */
static int
conn_alive(PGconn *pg)
{
	return pg && PQstatus(pg) == CONNECTION_OK && PQconsumeInput(pg) &&
	       PQstatus(pg) == CONNECTION_OK &&
	       PQtransactionStatus(pg) == PQTRANS_IDLE;
}

static int
conn_open(struct db_conn *c)
{
	struct db_pool *p = c->pool;
	PGresult *res = NULL;
	char buf[256];
	int r = -EIO;

	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->pg = PQconnectdbParams(p->kw, p->val, 1);
	db_quiet_notices(c->pg);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		pool_mark_down(p, c->pg ? one_line(PQerrorMessage(c->pg), buf, sizeof(buf))
					: "out of memory");
		goto out;
	}
	res = PQexec(c->pg, db_session_setup);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pool_mark_down(p, one_line(PQerrorMessage(c->pg), buf, sizeof(buf)));
		goto out;
	}
	pool_mark_up(p);
	r = 0;
out:
	PQclear(res);
	if (r < 0 && c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	return r;
}

struct db_conn *
db_get(struct db_pool *p, unsigned timeout_ms)
{
	struct db_conn *c = NULL;
	struct timespec ts;
	uint64_t now;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	if (p->nfree > 0)
		c = p->free[--p->nfree];
	pthread_mutex_unlock(&p->mu);
	if (!c) {
		approve_log(LOG_WARNING, "no database connection free within %u ms",
			    timeout_ms);
		return NULL;
	}
	if (conn_alive(c->pg))
		return c;
	now = approve_now_ms();
	if (c->last_try && now - c->last_try < DB_RETRY_MS)
		goto fail;	/* failed a moment ago: answer 503 at once */
	if (conn_open(c) == 0) {
		c->last_try = 0;
		return c;
	}
	c->last_try = now ? now : 1;
fail:
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
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
db_exec(struct db_conn *c, const char *sql, int nparams,
	const char *const *params, PGresult **res)
{
	ExecStatusType st;
	char buf[256];

	*res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(*res);
	if (*res && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK))
		return 0;
	if (!*res || PQstatus(c->pg) != CONNECTION_OK) {
		pool_mark_down(c->pool, one_line(PQerrorMessage(c->pg), buf, sizeof(buf)));
		c->last_try = 0;	/* reconnect at the next checkout */
	}
	return -EIO;
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
