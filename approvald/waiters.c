/* waiters.c: owns the registry of long-poll waiters (see waiters.h):
 * a fixed hash table of intrusive doubly linked lists keyed by request id,
 * one list for event waiters, one mutex. Deadlines are checked by a scan
 * on each LISTEN-thread tick (a few microseconds for 10,000 waiters). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waiters.h"

#define NBUCKETS 4096			/* request lists 0..NBUCKETS-1 */
#define EVENTS_LIST NBUCKETS		/* the event waiters' list */
#define NLISTS (NBUCKETS + 1)

struct waiters {
	pthread_mutex_t mu;
	int shutdown;
	unsigned n_requests;	/* registered, any state */
	unsigned n_events;
	unsigned s_requests;	/* suspended */
	unsigned s_events;
	struct waiter *heads[NLISTS];
	struct pollfd *gone_fds;	/* waiters_release_gone()'s buffers */
	struct waiter **gone_ws;
	size_t gone_cap;
};

static unsigned
bucket_of(const char *id)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % NBUCKETS;
}

int
waiters_new(struct waiters **out)
{
	struct waiters *ws = calloc(1, sizeof(*ws));

	*out = NULL;
	if (!ws)
		return -ENOMEM;
	pthread_mutex_init(&ws->mu, NULL);
	*out = ws;
	return 0;
}

void
waiters_free(struct waiters *ws)
{
	if (!ws)
		return;
	pthread_mutex_destroy(&ws->mu);
	free(ws->gone_fds);
	free(ws->gone_ws);
	free(ws);
}

static void
unlink_locked(struct waiters *ws, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		ws->heads[w->list] = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	if (w->list == EVENTS_LIST) {
		ws->n_events--;
		if (w->state == WAITER_SUSPENDED)
			ws->s_events--;
	} else {
		ws->n_requests--;
		if (w->state == WAITER_SUSPENDED)
			ws->s_requests--;
	}
}

/* Take w off the registry and get its handler to run again. */
static void
wake_locked(struct waiters *ws, struct waiter *w)
{
	int suspended = w->state == WAITER_SUSPENDED;

	unlink_locked(ws, w);
	if (suspended) {
		w->state = WAITER_IDLE;
		MHD_resume_connection(w->conn);
	} else {
		w->state = WAITER_FIRED;
	}
}

int
waiters_arm(struct waiters *ws, struct waiter *w, struct MHD_Connection *conn,
	    const char *id, uint64_t deadline_ms)
{
	int r = 0;

	pthread_mutex_lock(&ws->mu);
	if (ws->shutdown) {
		r = -ESHUTDOWN;
		goto out;
	}
	if (w->state == WAITER_ARMED || w->state == WAITER_SUSPENDED)
		unlink_locked(ws, w);	/* defensive: never listed twice */
	w->conn = conn;
	w->deadline_ms = deadline_ms;
	w->state = WAITER_ARMED;
	if (id) {
		snprintf(w->id, sizeof(w->id), "%s", id);
		w->list = bucket_of(w->id);
		ws->n_requests++;
	} else {
		w->id[0] = '\0';
		w->list = EVENTS_LIST;
		ws->n_events++;
	}
	w->prev = NULL;
	w->next = ws->heads[w->list];
	if (w->next)
		w->next->prev = w;
	ws->heads[w->list] = w;
out:
	pthread_mutex_unlock(&ws->mu);
	return r;
}

static __thread int parked_here;

int
waiters_parked_here(void)
{
	int p = parked_here;

	parked_here = 0;
	return p;
}

int
waiters_suspend(struct waiters *ws, struct waiter *w)
{
	const union MHD_ConnectionInfo *ci;
	int r = 0;

	pthread_mutex_lock(&ws->mu);
	if (w->state != WAITER_ARMED) {
		/* fired (or never armed): the caller reads again */
		w->state = WAITER_IDLE;
		r = -EAGAIN;
		goto out;
	}
	w->state = WAITER_SUSPENDED;
	ci = MHD_get_connection_info(w->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	w->fd = ci ? ci->connect_fd : -1;
	if (w->list == EVENTS_LIST)
		ws->s_events++;
	else
		ws->s_requests++;
	/* Under the mutex: a wake-up cannot resume it before it is suspended. */
	if (!w->held)
		MHD_suspend_connection(w->conn);
	parked_here = 1;
out:
	pthread_mutex_unlock(&ws->mu);
	return r;
}

void
waiters_disarm(struct waiters *ws, struct waiter *w)
{
	pthread_mutex_lock(&ws->mu);
	if (w->state == WAITER_ARMED || w->state == WAITER_SUSPENDED)
		unlink_locked(ws, w);
	w->state = WAITER_IDLE;
	pthread_mutex_unlock(&ws->mu);
}

static void
wake_list_locked(struct waiters *ws, unsigned list, const char *id)
{
	struct waiter *w, *next;

	for (w = ws->heads[list]; w; w = next) {
		next = w->next;
		if (!id || strcmp(w->id, id) == 0)
			wake_locked(ws, w);
	}
}

void
waiters_wake_id(struct waiters *ws, const char *id)
{
	pthread_mutex_lock(&ws->mu);
	wake_list_locked(ws, bucket_of(id), id);
	pthread_mutex_unlock(&ws->mu);
}

void
waiters_wake_events(struct waiters *ws)
{
	pthread_mutex_lock(&ws->mu);
	wake_list_locked(ws, EVENTS_LIST, NULL);
	pthread_mutex_unlock(&ws->mu);
}

void
waiters_wake_all(struct waiters *ws)
{
	unsigned i;

	pthread_mutex_lock(&ws->mu);
	for (i = 0; i < NLISTS; i++)
		wake_list_locked(ws, i, NULL);
	pthread_mutex_unlock(&ws->mu);
}

void
waiters_wake_due(struct waiters *ws, uint64_t now_ms)
{
	struct waiter *w, *next;
	unsigned i;

	pthread_mutex_lock(&ws->mu);
	if (ws->n_requests + ws->n_events == 0)
		goto out;
	for (i = 0; i < NLISTS; i++) {
		for (w = ws->heads[i]; w; w = next) {
			next = w->next;
			if (w->deadline_ms <= now_ms)
				wake_locked(ws, w);
		}
	}
out:
	pthread_mutex_unlock(&ws->mu);
}

void
waiters_shutdown(struct waiters *ws)
{
	unsigned i;

	pthread_mutex_lock(&ws->mu);
	ws->shutdown = 1;
	for (i = 0; i < NLISTS; i++)
		wake_list_locked(ws, i, NULL);
	pthread_mutex_unlock(&ws->mu);
}

void
waiters_count(struct waiters *ws, unsigned *requests, unsigned *events)
{
	pthread_mutex_lock(&ws->mu);
	*requests = ws->s_requests;
	*events = ws->s_events;
	pthread_mutex_unlock(&ws->mu);
}

/* Room for n entries in the poll buffers; under the mutex. */
static int
gone_reserve_locked(struct waiters *ws, size_t n)
{
	struct pollfd *f;
	struct waiter **w;

	if (n <= ws->gone_cap)
		return 0;
	n += n / 2 + 64;
	f = realloc(ws->gone_fds, n * sizeof(*f));
	if (!f)
		return -ENOMEM;
	ws->gone_fds = f;
	w = realloc(ws->gone_ws, n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	ws->gone_ws = w;
	ws->gone_cap = n;
	return 0;
}

unsigned
waiters_release_gone(struct waiters *ws)
{
	struct waiter *w;
	size_t n = 0, i;
	unsigned released = 0;

	pthread_mutex_lock(&ws->mu);
	if (ws->s_requests + ws->s_events == 0 ||
	    gone_reserve_locked(ws, ws->s_requests + ws->s_events) < 0)
		goto out;
	/* A suspended connection is not freed while it is listed (the
	 * completed callback disarms under this mutex), so its descriptor
	 * stays valid for the poll below. */
	for (i = 0; i < NLISTS; i++) {
		for (w = ws->heads[i]; w; w = w->next) {
			if (w->state != WAITER_SUSPENDED || w->fd < 0)
				continue;
			ws->gone_fds[n] = (struct pollfd){ .fd = w->fd, .events = POLLRDHUP };
			ws->gone_ws[n++] = w;
		}
	}
	if (n == 0 || poll(ws->gone_fds, (nfds_t)n, 0) <= 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (!(ws->gone_fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			continue;
		ws->gone_ws[i]->gone = 1;
		wake_locked(ws, ws->gone_ws[i]);
		released++;
	}
out:
	pthread_mutex_unlock(&ws->mu);
	return released;
}
