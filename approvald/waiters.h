/* waiters.h: suspended long-poll connections, keyed by request id (for
 * GET /v1/requests/ID/wait) or waiting for any event (GET /v1/events).
 *
 * Protocol for a handler (all calls from the MHD thread running it):
 *   waiters_arm(w, ...)      register before reading the database, so a
 *                            notification that arrives during the read is
 *                            not lost;
 *   read the database; if the answer is final: waiters_disarm(w), answer;
 *   waiters_suspend(w)       0: the connection is suspended (MHD calls the
 *                            handler again once it is resumed); -EAGAIN:
 *                            a wake-up came in meanwhile: read again.
 * A handler running on a job thread (offload.h) finds its connection
 * suspended already (w->held set): waiters_suspend() then only parks it,
 * and the job thread learns from waiters_parked_here() that the
 * connection is no longer its own (a wake-up may resume it at once).
 * The LISTEN thread wakes waiters (and the sweep thread of connguard.c
 * releases those whose client has gone): a woken entry leaves the registry
 * and, if suspended, is resumed with MHD_resume_connection(), exactly once
 * and under the registry mutex, so a connection is never resumed twice nor
 * after it completed (the completed callback calls waiters_disarm()).
 * The struct is embedded in the per-connection state: no allocation and
 * no thread per waiter. */
#ifndef APPROVALD_WAITERS_H
#define APPROVALD_WAITERS_H
#include <stdint.h>
#include <microhttpd.h>

#include "code.h"

enum waiter_state {
	WAITER_IDLE = 0,	/* not registered */
	WAITER_ARMED,		/* registered, handler still running */
	WAITER_SUSPENDED,	/* registered, connection suspended */
	WAITER_FIRED,		/* woken while armed: handler reads again */
};

struct waiter {
	struct waiter *next, *prev;
	struct MHD_Connection *conn;
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC, approve_now_ms() */
	unsigned list;		/* index of the list it is on */
	enum waiter_state state;
	char id[APPROVE_UUID_LEN + 1];	/* "" for an event waiter */
	int fd;			/* the connection's socket, set when suspended */
	int gone;		/* released by waiters_release_gone(): close, do not answer */
	int held;		/* its owner keeps the connection suspended (set
				 * by the owner; never suspended here) */
};

struct waiters;

int waiters_new(struct waiters **out);
void waiters_free(struct waiters *ws);

/* Register w for request id (lower-case uuid) or, with id NULL, for any
 * event. 0, or -ESHUTDOWN once shutdown began (answer at once instead). */
int waiters_arm(struct waiters *ws, struct waiter *w, struct MHD_Connection *conn,
		const char *id, uint64_t deadline_ms);
int waiters_suspend(struct waiters *ws, struct waiter *w);
/* 1 when the last waiters_suspend() on this thread returned 0 since the
 * last call (which clears it). */
int waiters_parked_here(void);
/* Unregister if registered; idempotent; resets w to IDLE. */
void waiters_disarm(struct waiters *ws, struct waiter *w);

/* Wake-ups, from the LISTEN thread. */
void waiters_wake_id(struct waiters *ws, const char *id);
void waiters_wake_events(struct waiters *ws);
void waiters_wake_all(struct waiters *ws);
void waiters_wake_due(struct waiters *ws, uint64_t now_ms);
/* Refuse new registrations and wake everyone (before MHD_stop_daemon,
 * which must not find suspended connections). */
void waiters_shutdown(struct waiters *ws);

/* Release every suspended waiter whose client has gone (the peer closed
 * or reset its socket: one poll() over all of them, POLLRDHUP, POLLHUP or
 * POLLERR): it is woken with gone set, and its handler must close the
 * connection (MHD_NO) instead of reading or answering. From the sweep
 * thread (connguard.c). Returns how many were released. */
unsigned waiters_release_gone(struct waiters *ws);

/* Suspended connections right now: request waiters and event waiters. */
void waiters_count(struct waiters *ws, unsigned *requests, unsigned *events);

#endif
