/* sealer.c: owns the sealer thread (see sealer.h). It borrows a pool
 * connection for one statement per round and never holds it across the
 * wait. A round that sealed rows is followed by the next at once (a
 * backlog is cleared batch after batch); otherwise the thread sleeps
 * interval_ms. A database error is logged once, until a round works. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "sealer.h"

struct sealer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;		/* under mu */
	struct db_pool *db;
	unsigned long interval_ms;
	int error_logged;
};

static const char seal_sql[] = "SELECT approval.audit_seal(" SEALER_BATCH ")";

/* Rows sealed (0: nothing to do, another instance sealing, a gap not yet
 * provable, or no pool connection free within one interval: the pool is
 * busy or the database down, which db.c reports), or -EIO when the
 * statement failed. */
static long
seal_round(struct sealer *s)
{
	struct db_conn *c = db_get(s->db, (unsigned)s->interval_ms);
	PGresult *res = NULL;
	long n = -EIO;

	if (!c)
		return 0;
	if (db_exec(c, seal_sql, 0, NULL, &res) < 0) {
		if (!s->error_logged && res)	/* a lost connection db.c logged */
			db_log_error("audit sealer", res);
		goto out;
	}
	n = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	if (n < 0)
		n = 0;
out:
	PQclear(res);
	db_put(s->db, c);
	return n;
}

static void *
sealer_main(void *arg)
{
	struct sealer *s = arg;
	struct timespec due;
	long n;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pthread_mutex_unlock(&s->mu);
		n = seal_round(s);
		if (n < 0 && !s->error_logged) {
			approve_log(LOG_WARNING, "audit sealer: rows cannot be sealed now; "
				    "retrying every %lu ms", s->interval_ms);
			s->error_logged = 1;
		} else if (n >= 0 && s->error_logged) {
			approve_log(LOG_NOTICE, "audit sealer works again");
			s->error_logged = 0;
		}
		if (n > 0)
			approve_log(LOG_DEBUG, "audit sealer: sealed %ld row(s)", n);
		pthread_mutex_lock(&s->mu);
		if (n > 0)
			continue;
		due = approve_timespec_after(CLOCK_MONOTONIC, s->interval_ms);
		while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &due) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int
sealer_start(struct db_pool *db, unsigned long interval_ms, struct sealer **out)
{
	struct sealer *s;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	if (interval_ms == 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = db;
	s->interval_ms = interval_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&s->thread, NULL, sealer_main, s);
	if (r != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return -r;
	}
	*out = s;
	return 0;
}

void
sealer_stop(struct sealer *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
