/* pending_gauge.h: the /metrics gauge of pending requests per host. /metrics
 * answers from memory (health.c), so a thread counts them every
 * PENDING_GAUGE_S seconds on a pool connection and keeps the Prometheus
 * lines of the last answer; while the database does not answer, the last
 * lines stay (approvald_pending_gauge_age_seconds says how old). */
#ifndef APPROVALD_PENDING_GAUGE_H
#define APPROVALD_PENDING_GAUGE_H

struct approve_buf;
struct db_pool;
struct pending_gauge;

#define PENDING_GAUGE_S 2

/* 0 or -errno; *out is the running gauge. */
int pending_gauge_start(struct db_pool *db, struct pending_gauge **out);
/* Stop and join; accepts NULL. */
void pending_gauge_stop(struct pending_gauge *g);
/* Append the gauge's lines (HELP, TYPE, one sample per host with pending
 * requests, the age) to b; g NULL appends nothing. 0 or -ENOMEM. */
int pending_gauge_print(struct pending_gauge *g, struct approve_buf *b);

#endif
