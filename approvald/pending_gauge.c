/* pending_gauge.c: owns the periodic worker (periodic.h) behind the pending-per-host gauge (see
 * pending_gauge.h). One grouped count per period on a borrowed pool
 * connection; host names are [A-Za-z0-9._-] (sql/001_core.sql), so they
 * are label values as they stand. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "db.h"
#include "pending_gauge.h"
#include "periodic.h"
#include "wire.h"	/* APPROVE_STR */

#define LINES_MAX (4 * 1024 * 1024)	/* the samples of very many hosts */

struct pending_gauge {
	struct periodic *worker;
	pthread_mutex_t mu;
	char *lines;		/* under mu: the samples, or NULL before the first */
	uint64_t at_ms;		/* under mu: when they were counted */
	struct db_pool *db;
};

static const char count_sql[] =
	"SELECT h.name, pg_catalog.count(*) FROM approval.requests r"
	" JOIN approval.hosts h ON h.id = r.host_id"
	" WHERE r.status = 'pending' GROUP BY h.name ORDER BY h.name";

/* Count once; on success the samples replace the previous ones. */
static void
refresh(struct pending_gauge *g)
{
	struct db_conn *c = db_get(g->db, DB_WAIT_MS);
	struct approve_buf b;
	PGresult *res = NULL;
	char *text = NULL;
	int i, n, rc = 0;

	approve_buf_init(&b, LINES_MAX);
	if (!c || db_exec(c, count_sql, 0, NULL, &res) < 0)
		goto out;	/* keep the last samples; the age tells */
	n = PQntuples(res);
	for (i = 0; i < n && rc == 0; i++)
		rc = approve_buf_printf(&b, "approvald_pending_requests{host=\"%s\"} %s\n",
					PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	text = rc == 0 ? approve_buf_take(&b) : NULL;
	if (!text)
		goto out;
	pthread_mutex_lock(&g->mu);
	free(g->lines);
	g->lines = text;
	g->at_ms = approve_now_ms();
	pthread_mutex_unlock(&g->mu);
out:
	approve_buf_release(&b);
	PQclear(res);
	db_put(g->db, c);
}

static uint64_t
gauge_round(void *arg, struct periodic *p)
{
	(void)p;
	refresh(arg);
	return PENDING_GAUGE_S * 1000ULL;
}

int
pending_gauge_start(struct db_pool *db, struct pending_gauge **out)
{
	struct pending_gauge *g = calloc(1, sizeof(*g));
	int r;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->db = db;
	pthread_mutex_init(&g->mu, NULL);
	r = periodic_start(gauge_round, g, &g->worker);
	if (r < 0) {
		pthread_mutex_destroy(&g->mu);
		free(g);
		return r;
	}
	*out = g;
	return 0;
}

void
pending_gauge_stop(struct pending_gauge *g)
{
	if (!g)
		return;
	periodic_stop(g->worker);
	pthread_mutex_destroy(&g->mu);
	free(g->lines);
	free(g);
}

int
pending_gauge_print(struct pending_gauge *g, struct approve_buf *b)
{
	int rc;

	if (!g)
		return 0;
	pthread_mutex_lock(&g->mu);
	rc = approve_buf_printf(b,
		"# HELP approvald_pending_requests Pending requests per host (counted "
		"every " APPROVE_STR(PENDING_GAUGE_S) " s).\n"
		"# TYPE approvald_pending_requests gauge\n"
		"%s"
		"# HELP approvald_pending_gauge_age_seconds Age of those counts (-1: none yet).\n"
		"# TYPE approvald_pending_gauge_age_seconds gauge\n"
		"approvald_pending_gauge_age_seconds %lld\n",
		g->lines ? g->lines : "",
		g->lines ? (long long)((approve_now_ms() - g->at_ms) / 1000) : -1LL);
	pthread_mutex_unlock(&g->mu);
	return rc;
}
