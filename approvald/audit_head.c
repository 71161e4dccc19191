/* audit_head.c: owns the periodic worker (periodic.h) that logs the audit
 * chain's head (see audit_head.h). It borrows a pool connection for one
 * query per period.
 * While the database is unreachable it retries every RETRY_S seconds (so
 * the start-up line comes as soon as it can) and says so once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit_head.h"
#include "db.h"
#include "log.h"
#include "periodic.h"
#include "signing.h"

#define RETRY_S 10

struct audit_head {
	struct periodic *worker;
	struct db_pool *db;
	struct signer *signer;	/* NULL: no checkpoints */
	unsigned long interval;
	int down_logged;
};

/* approval.audit_head, or id 0 and 64 zeros for an empty log (as
 * `approvalctl audit head` prints it). */
static const char head_sql[] =
	"SELECT COALESCE(h.id, 0), COALESCE(h.hash, pg_catalog.repeat('0', 64)),"
	" " DB_ISO_UTC("pg_catalog.now()")
	"  FROM (SELECT 1) one LEFT JOIN approval.audit_head h ON true";

/* 0 when logged; -EIO when the database did not answer. */
static int
log_head(struct audit_head *h)
{
	struct db_conn *c = db_get(h->db, DB_WAIT_MS);
	PGresult *res = NULL;
	const char *id, *hash;
	int r = -EIO;

	if (!c)
		return -EIO;
	if (db_exec(c, head_sql, 0, NULL, &res) < 0) {
		if (!h->down_logged)	/* once per outage, like the warning */
			db_log_error("audit head", res);
		goto out;
	}
	r = 0;
	id = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	hash = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : "";
	/* only digits and lowercase hex reach the log */
	if (!*id || strlen(id) > 19 || strspn(id, "0123456789") != strlen(id) ||
	    strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64)
		approve_log(LOG_ERR, "audit head: unexpected answer from approval.audit_head");
	else if (!h->signer)
		approve_log(LOG_NOTICE, "audit head id=%s hash=%s", id, hash);
	else if (signer_store_checkpoint(h->signer, c, id, hash,
					 PQgetvalue(res, 0, 2)) == 0)
		approve_log(LOG_NOTICE, "audit head id=%s hash=%s, checkpoint "
			    "signed by key %s", id, hash, h->signer->key_id);
	else
		approve_log(LOG_ERR, "audit head id=%s hash=%s: checkpoint not "
			    "stored", id, hash);
out:
	PQclear(res);
	db_put(h->db, c);
	return r;
}

/* A round: log the head; the next in interval seconds, or sooner while
 * the database does not answer. */
static uint64_t
head_round(void *arg, struct periodic *p)
{
	struct audit_head *h = arg;
	unsigned long wait_s = h->interval;

	(void)p;
	if (log_head(h) < 0) {
		if (!h->down_logged)
			approve_log(LOG_WARNING, "audit head: database unavailable; "
				    "retrying every %d s", RETRY_S);
		h->down_logged = 1;
		if (wait_s > RETRY_S)
			wait_s = RETRY_S;
	} else {
		h->down_logged = 0;
	}
	return (uint64_t)wait_s * 1000;
}

int
audit_head_start(struct db_pool *db, unsigned long interval_s,
		 struct signer *signer, struct audit_head **out)
{
	struct audit_head *h;
	int r;

	*out = NULL;
	if (interval_s == 0)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->db = db;
	h->signer = signer;
	h->interval = interval_s;
	r = periodic_start(head_round, h, &h->worker);
	if (r < 0) {
		free(h);
		return r;
	}
	*out = h;
	return 0;
}

void
audit_head_stop(struct audit_head *h)
{
	if (!h)
		return;
	periodic_stop(h->worker);
	free(h);
}
