/* sealer.c: owns the sealer's periodic worker (see sealer.h, periodic.h).
 * It borrows a pool connection for one statement per round and never
 * holds it across the wait. A database error is logged once, until a
 * round works. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "periodic.h"
#include "sealer.h"

struct sealer {
	struct periodic *worker;
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

/* A round: one batch; the next at once after rows were sealed (a backlog
 * is cleared batch after batch), else after interval_ms. */
static uint64_t
sealer_round(void *arg, struct periodic *p)
{
	struct sealer *s = arg;
	long n;

	(void)p;
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
	return n > 0 ? 0 : s->interval_ms;
}

int
sealer_start(struct db_pool *db, unsigned long interval_ms, struct sealer **out)
{
	struct sealer *s;
	int r;

	*out = NULL;
	if (interval_ms == 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = db;
	s->interval_ms = interval_ms;
	r = periodic_start(sealer_round, s, &s->worker);
	if (r < 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void
sealer_stop(struct sealer *s)
{
	if (!s)
		return;
	periodic_stop(s->worker);
	free(s);
}
