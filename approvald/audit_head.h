/* audit_head.h: the chain head to the log (an external copy of the audit
 * log's head, so that a rewrite by a database superuser shows).
 * A thread logs "audit head id=N hash=H" at NOTICE once at start-up and
 * then every audit_head_interval seconds, through approve_log (syslog when
 * log = syslog). */
#ifndef APPROVALD_AUDIT_HEAD_H
#define APPROVALD_AUDIT_HEAD_H

struct audit_head;
struct db_pool;
struct signer;

/* interval_s 0: off (nothing is started, *out is NULL). With a signer
 * every head logged is also signed and stored as a checkpoint
 * (approval.audit_checkpoints). 0 or -errno. */
int audit_head_start(struct db_pool *db, unsigned long interval_s,
		     struct signer *signer, struct audit_head **out);
/* Stop and join; accepts NULL. */
void audit_head_stop(struct audit_head *h);

#endif
