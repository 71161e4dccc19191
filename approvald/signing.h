/* signing.h: approvald's signing key (common/sig.h): loaded at start,
 * registered in approval.signing_keys, used to sign every final answer a
 * host gets, the receipt of every decision, and the audit chain
 * checkpoints. The private key never leaves this process: not in the
 * database, a log or an answer. */
#ifndef APPROVALD_SIGNING_H
#define APPROVALD_SIGNING_H
#include <stdatomic.h>

#include "sig.h"
#include "wire.h"

struct db_conn;

struct signer {
	EVP_PKEY *pk;
	char key_id[APPROVE_SIG_KEY_ID_LEN + 1];
	char *pub_line;		/* "ed25519 BASE64" */
	atomic_int registered;	/* in approval.signing_keys (receipts refer to it) */
	/* the last checkpoint this process signed ("" before the first);
	 * only signer_store_checkpoint (the audit head thread) uses them */
	char last_id[20], last_hash[65], last_at[40];
};

/* Load the private key file (refused when group or others may read it).
 * 0 or negative errno with err. */
int signer_load(const char *path, struct signer **out, char *err, size_t errlen);
void signer_free(struct signer *s);
/* Record the public key in approval.signing_keys (once). -EKEYREVOKED:
 * it was retired (approvald must not sign with it); -EIO: the database
 * did not answer (receipts and checkpoints try again before storing). */
int signer_register(struct signer *s, struct db_conn *db);
/* Sign st when it is final (pending: nothing to do): fills signature and
 * key_id. 0 or -ENOMEM/-EIO. A NULL signer signs nothing. */
int signer_sign_status(const struct signer *s, struct approve_status *st);
/* Sign the final request id as its host gets it (req_status) and store
 * the receipt (once; later calls change nothing), taking it off the
 * receipts queue. 0, -ENOENT (no such request, or pending), -EIO. */
int signer_store_receipt(struct signer *s, struct db_conn *db,
			 const char *id);
/* Receipts for every final state: the database queues each request that
 * becomes final (approval.receipts_due, sql/016_receipts_final.sql: human
 * and policy decisions, expiry, cancel, whatever path made it final);
 * this stores the receipts of up to SIGNER_DUE_BATCH of them, oldest
 * first. The number taken from the queue (SIGNER_DUE_BATCH: call again),
 * or -EIO when the queue could not be read or one receipt could not be
 * stored (it stays queued; the others of the batch are stored). */
#define SIGNER_DUE_BATCH 100
int signer_store_due(struct signer *s, struct db_conn *db);
/* The thread that calls signer_store_due every SIGNER_DUE_EVERY_MS (at
 * once again after a full batch). NULL signer: nothing started. */
#define SIGNER_DUE_EVERY_MS 1000
struct db_pool;
struct receipt_keeper;
int receipt_keeper_start(struct signer *s, struct db_pool *db,
			 struct receipt_keeper **out);
void receipt_keeper_stop(struct receipt_keeper *k);
/* Sign the chain head (id, hash, at), store the checkpoint and log it as
 * its self-verifying line (APPROVE_SIG_CHECKPOINT_FMT: a copy outside the
 * database). Refused with -EBADMSG (logged at ERR, every time) when the
 * chain no longer holds the row this process last signed with the hash it
 * signed, or the head went back: a rewritten chain is never signed, and
 * the checkpoints stop (audit verify --max-age notices). 0 / -EIO. */
int signer_store_checkpoint(struct signer *s, struct db_conn *db,
			    const char *head_id, const char *head_hash,
			    const char *at);

#endif
