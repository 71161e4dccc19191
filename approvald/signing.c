/* signing.c: owns approvald's signing key and the SQL of receipts,
 * signing keys and checkpoints (signing.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "periodic.h"
#include "requests.h"
#include "signing.h"

int
signer_load(const char *path, struct signer **out, char *err, size_t errlen)
{
	struct signer *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	r = approve_sig_private_read_file(path, &s->pk, err, errlen);
	if (r == 0 && (approve_sig_key_id(s->pk, s->key_id) < 0 ||
		       approve_sig_pub_line(s->pk, &s->pub_line) < 0)) {
		approve_errf(err, errlen, "signing key %s: unusable", path);
		r = -EIO;
	}
	if (r < 0) {
		signer_free(s);
		return r;
	}
	*out = s;
	return 0;
}

void
signer_free(struct signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pk);
	free(s->pub_line);
	free(s);
}

int
signer_register(struct signer *s, struct db_conn *db)
{
	static const char ins[] =
		"INSERT INTO approval.signing_keys (key_id, public_key) VALUES ($1, $2)"
		" ON CONFLICT (key_id) DO NOTHING";
	static const char sel[] =
		"SELECT retired_at IS NOT NULL FROM approval.signing_keys"
		" WHERE key_id = $1 AND public_key = $2";
	const char *p[2] = { s->key_id, s->pub_line };
	PGresult *res = NULL;
	int r = -EIO;

	if (db_exec(db, ins, 2, p, &res) < 0) {
		db_log_error("register signing key", res);
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (db_exec(db, sel, 2, p, &res) < 0 || PQntuples(res) != 1) {
		db_log_error("register signing key", res);
		goto out;
	}
	r = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? -EKEYREVOKED : 0;
	if (r == 0)
		atomic_store(&s->registered, 1);
out:
	PQclear(res);
	return r;
}

/* The signed fields of a final status (common/sig.h); 0, or -EINVAL for
 * a pending or unknown state (never signed). */
static int
answer_of(const struct approve_status *st, struct approve_sig_answer *a)
{
	*a = (struct approve_sig_answer){
		.id = st->id, .digest = st->digest,
		.status = approve_state_name(st->state),
		.decided_by = st->decided_by, .decided_at = st->decided_at,
		.nonce = st->nonce, .expires_at = st->expires_at,
	};
	return st->state == APPROVE_PENDING || !a->status ? -EINVAL : 0;
}

int
signer_sign_status(const struct signer *s, struct approve_status *st)
{
	char sig[APPROVE_SIG_B64_LEN + 1];
	struct approve_sig_answer a;

	if (!s || answer_of(st, &a) < 0)
		return 0;
	if (approve_sig_sign_answer(s->pk, &a, sig) < 0)
		return -EIO;
	free(st->signature);
	free(st->key_id);
	st->signature = strdup(sig);
	st->key_id = strdup(s->key_id);
	return st->signature && st->key_id ? 0 : -ENOMEM;
}

int
signer_store_receipt(struct signer *s, struct db_conn *db, const char *id)
{
	/* the receipt and its queue entry (sql/016_receipts_final.sql) in one
	 * statement: a request leaves the queue only with its receipt */
	static const char ins[] =
		"WITH ins AS (INSERT INTO approval.receipts (request_id, key_id,"
		" signature, digest, status, decided_by, decided_at, nonce, expires_at)"
		" VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9)"
		" ON CONFLICT (request_id) DO NOTHING RETURNING 1)"
		" DELETE FROM approval.receipts_due WHERE request_id = $1::uuid";
	char sig[APPROVE_SIG_B64_LEN + 1];
	struct approve_status *st = NULL;
	struct approve_sig_answer a;
	PGresult *res = NULL;
	int r;

	if (!s)
		return 0;
	if (!atomic_load(&s->registered) && signer_register(s, db) < 0)
		return -EIO;
	/* exactly the answer its host gets (req_status), so the receipt's
	 * signature is the one the module checked */
	r = req_status(db, id, &st);
	if (r < 0)
		goto out;
	r = -ENOENT;
	if (answer_of(st, &a) < 0)
		goto out;
	r = -EIO;
	if (approve_sig_sign_answer(s->pk, &a, sig) < 0)
		goto out;
	{
		const char *q[9] = { a.id, s->key_id, sig, a.digest, a.status,
				     a.decided_by, a.decided_at, a.nonce, a.expires_at };

		if (db_exec(db, ins, 9, q, &res) < 0) {
			db_log_error("store receipt", res);
			goto out;
		}
	}
	r = 0;
out:
	approve_status_free(st);
	PQclear(res);
	return r;
}

int
signer_store_due(struct signer *s, struct db_conn *db)
{
	static const char sel[] =
		"SELECT d.request_id FROM approval.receipts_due d"
		" ORDER BY d.queued_at LIMIT $1::integer";
	char lim[16];
	const char *p[1] = { lim };
	PGresult *res = NULL;
	int r = -EIO, i, n, failed;

	snprintf(lim, sizeof(lim), "%d", SIGNER_DUE_BATCH);
	if (db_exec(db, sel, 1, p, &res) < 0) {
		db_log_error("receipts due", res);
		goto out;
	}
	/* one that fails (logged) stays queued and does not hold up the rest */
	n = PQntuples(res);
	for (i = 0, failed = 0; i < n; i++)
		failed |= signer_store_receipt(s, db, PQgetvalue(res, i, 0)) < 0;
	r = failed ? -EIO : n;
out:
	PQclear(res);
	return r;
}

/* 0 when the chain still has the row this process last signed, with the
 * hash it signed, and head_id is not before it (or nothing signed yet);
 * -EBADMSG (logged) when not; -EIO when the database did not answer. */
static int
still_holds(const struct signer *s, struct db_conn *db, const char *head_id)
{
	static const char sql[] =
		"SELECT l.hash FROM approval.audit_log l WHERE l.id = $1::bigint";
	const char *p[1] = { s->last_id };
	PGresult *res = NULL;
	const char *now;
	int r = -EBADMSG;

	if (!s->last_id[0] || strcmp(s->last_id, "0") == 0)
		return 0;
	if (strtoll(head_id, NULL, 10) < strtoll(s->last_id, NULL, 10)) {
		approve_log(LOG_ERR, "audit checkpoint: the chain head went back from row %s "
			    "(signed at %s) to row %s: the audit log was rewritten; no "
			    "checkpoint is signed until approvald is restarted", s->last_id,
			    s->last_at, head_id);
		return -EBADMSG;
	}
	if (db_exec(db, sql, 1, p, &res) < 0) {
		db_log_error("audit checkpoint", res);
		r = -EIO;
		goto out;
	}
	now = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : NULL;
	if (now && strcmp(now, s->last_hash) == 0) {
		r = 0;
		goto out;
	}
	/* only hex or "no row" reaches the log (a rewritten row is hostile) */
	approve_log(LOG_ERR, "audit checkpoint: row %s, signed at %s with hash %s, %s%s: "
		    "the audit log was rewritten; no checkpoint is signed until "
		    "approvald is restarted", s->last_id, s->last_at, s->last_hash,
		    !now ? "is missing" : "now has hash ",
		    !now ? "" : strlen(now) == 64 && strspn(now, "0123456789abcdef") == 64 ?
		    now : "(malformed)");
out:
	PQclear(res);
	return r;
}

int
signer_store_checkpoint(struct signer *s, struct db_conn *db,
			const char *head_id, const char *head_hash, const char *at)
{
	static const char ins[] =
		"INSERT INTO approval.audit_checkpoints (head_id, head_hash, at,"
		" key_id, signature) VALUES ($1::bigint, $2, $3, $4, $5)";
	const struct approve_sig_checkpoint c = { head_id, head_hash, at };
	char sig[APPROVE_SIG_B64_LEN + 1];
	const char *p[5] = { head_id, head_hash, at, s->key_id, sig };
	PGresult *res = NULL;
	int r;

	if (!atomic_load(&s->registered) && signer_register(s, db) < 0)
		return -EIO;
	r = still_holds(s, db, head_id);
	if (r < 0)
		return r;
	if (approve_sig_sign_checkpoint(s->pk, &c, sig) < 0)
		return -EIO;
	r = -EIO;
	if (db_exec(db, ins, 5, p, &res) < 0) {
		db_log_error("store checkpoint", res);
		goto out;
	}
	approve_log(LOG_NOTICE, APPROVE_SIG_CHECKPOINT_FMT, head_id, head_hash, at,
		    s->key_id, sig);
	snprintf(s->last_id, sizeof(s->last_id), "%s", head_id);
	snprintf(s->last_hash, sizeof(s->last_hash), "%s", head_hash);
	snprintf(s->last_at, sizeof(s->last_at), "%s", at);
	r = 0;
out:
	PQclear(res);
	return r;
}

/* ---- the receipt keeper: a periodic worker, one pool connection per round ---- */

struct receipt_keeper {
	struct periodic *worker;
	struct signer *signer;
	struct db_pool *db;
	int failed;		/* the last round could not read the queue */
};

/* A round: one batch; the next at once after a full one. */
static uint64_t
keeper_round(void *arg, struct periodic *p)
{
	struct receipt_keeper *k = arg;
	struct db_conn *c;
	int n;

	c = db_get(k->db, DB_WAIT_MS);
	n = c ? signer_store_due(k->signer, c) : -EIO;
	db_put(k->db, c);
	if (n < 0 && !k->failed && !periodic_stopping(p))	/* once per outage */
		approve_log(LOG_WARNING, "receipts: the queue of final requests "
			    "was not read; retrying every %d ms", SIGNER_DUE_EVERY_MS);
	k->failed = n < 0;
	return n == SIGNER_DUE_BATCH ? 0 : SIGNER_DUE_EVERY_MS;
}

int
receipt_keeper_start(struct signer *s, struct db_pool *db,
		     struct receipt_keeper **out)
{
	struct receipt_keeper *k;
	int r;

	*out = NULL;
	if (!s)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->signer = s;
	k->db = db;
	r = periodic_start(keeper_round, k, &k->worker);
	if (r < 0) {
		free(k);
		return r;
	}
	*out = k;
	return 0;
}

void
receipt_keeper_stop(struct receipt_keeper *k)
{
	if (!k)
		return;
	periodic_stop(k->worker);
	free(k);
}
