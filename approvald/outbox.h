/* outbox.h: delivery of the notification outbox (sql/012_outbox.sql).
 * The rows are written by the database in the transaction of each request
 * change; this thread, on its own connection pool (never the handlers'),
 * claims due rows with FOR UPDATE SKIP LOCKED and a lease, delivers them
 * with no database connection held, and records each attempt: sent, or
 * retried with exponential backoff (notify_retry_base_ms doubled per
 * attempt, at most notify_retry_max), or failed for good (a permanent
 * refusal, or notify_max_age passed). Rows of one request and sink go out
 * in order (a Slack update never overtakes its post). Every few seconds it
 * also queues reminders and escalations that fell due, and takes back the
 * leases of an instance on this host whose process is gone (a killed
 * predecessor), so that its rows need not wait for the lease to run out. A failing or slow
 * sink delays only other notifications, never a request. */
#ifndef APPROVALD_OUTBOX_H
#define APPROVALD_OUTBOX_H
#include <stdatomic.h>

#include "buf.h"

struct approvald_config;
struct db_conn;
struct outbox;

#define OUTBOX_BATCH 8		/* rows claimed at once */
#define OUTBOX_SWEEP_MS 2000	/* give-up, reminder and escalation scans */

struct outbox_stats {
	atomic_ulong sent, failed_attempts, retries, gave_up;
	atomic_long pending;		/* rows not yet sent (last scan) */
	atomic_long oldest_pending_s;	/* age of the oldest, seconds */
};

#define OUTBOX_BOOT_ID_LEN 32	/* hex digits of a kernel boot id */

/* A boot id as /proc/sys/kernel/random/boot_id or systemd's %b write it
 * (a UUID, dashes optional) into out as 32 lowercase hex digits: 0, or
 * -EINVAL for anything else. */
int outbox_boot_id(const char *in, char out[OUTBOX_BOOT_ID_LEN + 1]);

/* Start the worker when cfg configures a sink; else disable every sink in
 * the database (one statement on main_pool) and *out = NULL, 0.
 * public_url is copied. boot_id (outbox_boot_id()'s form, or NULL): this
 * kernel's boot id for when /proc/sys is hidden (systemd's ProcSubset=pid;
 * the unit passes --boot-id %b); without either, leases of a killed
 * instance are not taken back early. 0 or -errno. */
struct db_pool;
int outbox_start(const struct approvald_config *cfg, const char *public_url,
		 const char *boot_id, struct db_pool *main_pool, struct outbox **out);
/* Stop and join (a delivery in flight ends within notify_timeout);
 * accepts NULL. */
void outbox_stop(struct outbox *o);
/* Prometheus lines for /metrics (nothing when o is NULL). 0 or -ENOMEM. */
int outbox_metrics(struct outbox *o, struct approve_buf *b);

/* Queue an ephemeral Slack answer (to an action's response_url, which the
 * caller checked against notify_slack_response_url_prefix). 0 or -EIO. */
int outbox_queue_slack_reply(struct db_conn *db, const char *response_url,
			     const char *text);

#endif
