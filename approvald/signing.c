/* signing.c: owns approvald's signing key and the SQL of receipts,
 * signing keys and checkpoints (signing.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "log.h"
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

int
signer_sign_status(const struct signer *s, struct approve_status *st)
{
	char sig[APPROVE_SIG_B64_LEN + 1];
	struct approve_sig_answer a = {
		.id = st->id, .digest = st->digest,
		.status = approve_state_name(st->state),
		.decided_by = st->decided_by, .decided_at = st->decided_at,
		.nonce = st->nonce, .expires_at = st->expires_at,
	};

	if (!s || st->state == APPROVE_PENDING || !a.status)
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
	static const char sel[] =
		"SELECT r.id, r.digest, r.status, a.login, " DB_ISO_UTC("r.decided_at") ","
		" r.nonce, " DB_ISO_UTC("r.expires_at")
		" FROM approval.requests r"
		" LEFT JOIN approval.approvers a ON a.id = r.decided_by"
		" WHERE r.id = $1::uuid AND r.status <> 'pending'";
	static const char ins[] =
		"INSERT INTO approval.receipts (request_id, key_id, signature, digest,"
		" status, decided_by, decided_at, nonce, expires_at)"
		" VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9)"
		" ON CONFLICT (request_id) DO NOTHING";
	char sig[APPROVE_SIG_B64_LEN + 1];
	const char *p[9];
	struct approve_sig_answer a;
	PGresult *res = NULL, *res2 = NULL;
	int r = -EIO, c;

	if (!s)
		return 0;
	if (!atomic_load(&s->registered) && signer_register(s, db) < 0)
		return -EIO;
	if (db_exec(db, sel, 1, &id, &res) < 0) {
		db_log_error("receipt", res);
		goto out;
	}
	r = -ENOENT;
	if (PQntuples(res) != 1)
		goto out;
	for (c = 0; c < 7; c++)
		p[c] = PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c);
	a = (struct approve_sig_answer){ .id = p[0], .digest = p[1], .status = p[2],
		.decided_by = p[3], .decided_at = p[4], .nonce = p[5],
		.expires_at = p[6] };
	r = -EIO;
	if (approve_sig_sign_answer(s->pk, &a, sig) < 0)
		goto out;
	{
		const char *q[9] = { a.id, s->key_id, sig, a.digest, a.status,
				     a.decided_by, a.decided_at, a.nonce, a.expires_at };

		if (db_exec(db, ins, 9, q, &res2) < 0) {
			db_log_error("store receipt", res2);
			goto out;
		}
	}
	r = 0;
out:
	PQclear(res);
	PQclear(res2);
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
	int r = -EIO;

	if (!atomic_load(&s->registered) && signer_register(s, db) < 0)
		return -EIO;
	if (approve_sig_sign_checkpoint(s->pk, &c, sig) < 0)
		return -EIO;
	if (db_exec(db, ins, 5, p, &res) < 0)
		db_log_error("store checkpoint", res);
	else
		r = 0;
	PQclear(res);
	return r;
}
