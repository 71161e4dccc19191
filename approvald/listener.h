/* listener.h: the LISTEN thread. On its own PostgreSQL connection it
 * LISTENs on "approval_events" (payload "<uuid> <status>", sent by the
 * database trigger whoever made the change), wakes the waiters of that
 * request and all event waiters, wakes waiters whose deadline passed
 * (checked every LISTENER_TICK_MS), and once a second expires pending
 * requests past their TTL (the trigger then notifies every instance), in
 * bounded batches that are each their own short transaction, back to back
 * while a backlog lasts.
 * The connection is non-blocking throughout, so a database outage never
 * delays deadlines; it reconnects with backoff and then wakes every
 * waiter, because notifications sent meanwhile were lost. */
#ifndef APPROVALD_LISTENER_H
#define APPROVALD_LISTENER_H

#define LISTENER_TICK_MS 200
#define LISTENER_STALL_MS 3000	/* a query unanswered this long: not ready */

struct listener;
struct waiters;

/* Start the thread. 0 or -errno. */
int listener_start(const char *conninfo, struct waiters *ws, struct listener **out);
/* Stop and join; accepts NULL. */
void listener_stop(struct listener *l);
/* 1 while the LISTEN connection is established (for logs and metrics). */
int listener_ready(struct listener *l);
/* 1 while it is established and its last query (the sweep, once a second)
 * did not wait longer than LISTENER_STALL_MS for the database: /readyz,
 * answered from memory. A query without an answer for 20 s drops the
 * connection (and reconnects). */
int listener_db_ok(struct listener *l);

#endif
