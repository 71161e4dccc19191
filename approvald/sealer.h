/* sealer.h: the audit chain's sealer thread (sql/014_audit_sealer.sql).
 * Audit rows are written unsealed, with ids from a sequence, so writers
 * never wait for one another; approval.audit_seal() links them into the
 * hash chain in id order. A transaction that wrote audit rows tries to
 * seal at its commit, if no one else is sealing; this thread seals the
 * rest (rows that committed while another sealed, the gap a rolled-back id
 * leaves) every audit_seal_interval_ms, at once again while there is work.
 * Any number of instances may run it: one seals at a time (the database's
 * try-lock), the others find nothing to do. */
#ifndef APPROVALD_SEALER_H
#define APPROVALD_SEALER_H

#define SEALER_BATCH "10000"	/* rows per audit_seal() call (one transaction) */

struct sealer;
struct db_pool;

/* interval_ms 0: off (nothing is started, *out is NULL). 0 or -errno. */
int sealer_start(struct db_pool *db, unsigned long interval_ms, struct sealer **out);
/* Stop and join; accepts NULL. */
void sealer_stop(struct sealer *s);

#endif
