/* connguard.c: owns approvald's per-connection records, the per-peer
 * counts and the sweep thread (see connguard.h). One mutex guards the list
 * of records and the peer table; the request callbacks take it once per
 * phase change, the sweep twice a second. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connguard.h"
#include "clock.h"
#include "log.h"
#include "waiters.h"

#define SWEEP_MS 500		/* how often deadlines and gone waiters are checked */
#define SUMMARY_MS 10000	/* at most one log line per kind this often */
#define PEER_BUCKETS 4096
#define PEER_TEXT_MAX 64
/* Give freed memory back to the kernel (malloc_trim) once at least
 * TRIM_MIN connections closed since the last time and none in the last
 * sweep (a burst is over), or TRIM_MAX closed (a burst still going): a
 * burst of 10,000 released long-polls otherwise leaves ~100 MB in glibc's
 * per-thread arenas for good. */
#define TRIM_MIN 256
#define TRIM_MAX 4096

enum phase {
	PHASE_HEAD,	/* waiting for a complete request head */
	PHASE_BODY,	/* head done, body arriving */
	PHASE_HANDLER,	/* handler running or suspended: no deadline of ours */
};

/* kind 4: IPv4 (b[0..3]); 6: IPv6 (b[0..15]); 'u': Unix peer uid (b[0..3]).
 * Unused bytes stay zero, so keys compare with memcmp. */
struct peer_key {
	unsigned char kind;
	unsigned char b[16];
};

struct peer {
	struct peer *next;
	struct peer_key key;
	unsigned long n;	/* open connections */
};

struct conn_rec {
	struct conn_rec *prev, *next;
	struct connguard *g;
	int fd;
	enum phase phase;
	uint64_t since_ms;	/* start of the current phase */
	struct peer *peer;	/* NULL: not counted (no key) */
	int closing;		/* refused or shut down by the guard */
	unsigned long served;	/* requests completed on this connection */
};

struct connguard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int thread_up;
	int stop;
	uint64_t header_ms, body_ms;
	unsigned long per_peer;
	struct waiters *ws;
	struct conn_rec *recs;
	unsigned long nrecs;
	struct peer *peers[PEER_BUCKETS];
	char last_refused[PEER_TEXT_MAX];	/* for the summary line */
	unsigned long refused, closed_head, closed_idle, closed_body;	/* under mu */
	unsigned long closed_since_trim;	/* under mu */
	atomic_ulong waiters_gone;
};

static unsigned
peer_bucket(const struct peer_key *k)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ ((const unsigned char *)k)[i]) * 16777619u;
	return h % PEER_BUCKETS;
}

/* 0: key filled; 1: a Unix-socket peer (keyed by uid, see unix_key);
 * -EAFNOSUPPORT: a family the guard does not know (refused). */
static int
addr_key(const struct sockaddr *sa, struct peer_key *k)
{
	memset(k, 0, sizeof(*k));
	switch (sa->sa_family) {
	case AF_INET:
		k->kind = 4;
		memcpy(k->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	case AF_INET6: {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			k->kind = 4;
			memcpy(k->b, &a->s6_addr[12], 4);
		} else {
			k->kind = 6;
			memcpy(k->b, a->s6_addr, 16);
		}
		return 0;
	}
	case AF_UNIX:
		return 1;
	default:
		return -EAFNOSUPPORT;
	}
}

/* 0: k filled with the peer's uid; 1: root, who is not capped (every
 * sudo and su on this host connects as root: capping uid 0 would cap the
 * whole host's waiters, and root could lift any limit anyway); -errno. */
static int
unix_key(int fd, struct peer_key *k)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uint32_t uid;

	memset(k, 0, sizeof(*k));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
		return errno ? -errno : -EINVAL;
	if (cr.uid == 0)
		return 1;
	k->kind = 'u';
	uid = (uint32_t)cr.uid;
	memcpy(k->b, &uid, sizeof(uid));
	return 0;
}

static void
peer_text(const struct peer_key *k, char *out, size_t len)
{
	uint32_t uid;

	switch (k->kind) {
	case 4:
		if (!inet_ntop(AF_INET, k->b, out, (socklen_t)len))
			snprintf(out, len, "?");
		break;
	case 6:
		if (!inet_ntop(AF_INET6, k->b, out, (socklen_t)len))
			snprintf(out, len, "?");
		break;
	case 'u':
		memcpy(&uid, k->b, sizeof(uid));
		snprintf(out, len, "unix uid %lu", (unsigned long)uid);
		break;
	default:
		snprintf(out, len, "?");
		break;
	}
}

static struct peer *
peer_find_locked(struct connguard *g, const struct peer_key *k)
{
	struct peer *p;

	for (p = g->peers[peer_bucket(k)]; p; p = p->next)
		if (memcmp(&p->key, k, sizeof(*k)) == 0)
			return p;
	return NULL;
}

/* The peer's entry, created with n = 0 if new; NULL on ENOMEM. */
static struct peer *
peer_get_locked(struct connguard *g, const struct peer_key *k)
{
	struct peer *p = peer_find_locked(g, k);
	unsigned b;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->key = *k;
	b = peer_bucket(k);
	p->next = g->peers[b];
	g->peers[b] = p;
	return p;
}

static void
peer_put_locked(struct connguard *g, struct peer *p)
{
	struct peer **pp;

	if (--p->n > 0)
		return;
	for (pp = &g->peers[peer_bucket(&p->key)]; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			free(p);
			return;
		}
	}
}

/* Ask MHD to close: it reads EOF and closes in its own thread. */
static void
shut_locked(struct conn_rec *rec)
{
	rec->closing = 1;
	if (rec->fd >= 0)
		shutdown(rec->fd, SHUT_RDWR);
}

enum MHD_Result
connguard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct connguard *g = cls;
	struct peer_key k;
	struct peer *p;
	enum MHD_Result ok = MHD_NO;
	int r;

	if (!addr || addrlen < (socklen_t)sizeof(sa_family_t))
		return MHD_NO;
	r = addr_key(addr, &k);
	if (r < 0)
		return MHD_NO;
	if (r == 1 || g->per_peer == 0)
		return MHD_YES;	/* a Unix peer is counted once its uid is known */
	pthread_mutex_lock(&g->mu);
	p = peer_find_locked(g, &k);
	if (!p || p->n < g->per_peer) {
		ok = MHD_YES;
	} else {
		g->refused++;
		peer_text(&k, g->last_refused, sizeof(g->last_refused));
	}
	pthread_mutex_unlock(&g->mu);
	return ok;
}

static void
started(struct connguard *g, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci;
	struct conn_rec *rec;
	struct peer_key k;
	int fd = -1, keyed = 0, exempt = 0;

	*socket_context = NULL;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		fd = ci->connect_fd;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		int r = addr_key(ci->client_addr, &k);

		if (r == 1 && fd >= 0) {
			r = unix_key(fd, &k);
			exempt = r == 1;
		}
		keyed = r == 0;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		/* no record: connguard_head_done() refuses it as well */
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
		return;
	}
	rec->g = g;
	rec->fd = fd;
	rec->phase = PHASE_HEAD;
	rec->since_ms = approve_now_ms();
	pthread_mutex_lock(&g->mu);
	if (keyed && g->per_peer > 0) {
		rec->peer = peer_get_locked(g, &k);
		if (rec->peer) {
			rec->peer->n++;
			/* the firm check: several threads may accept from one
			 * peer at once, and a Unix peer is only known here */
			if (rec->peer->n > g->per_peer) {
				g->refused++;
				peer_text(&k, g->last_refused, sizeof(g->last_refused));
				shut_locked(rec);
			}
		} else {
			shut_locked(rec);	/* ENOMEM: refuse rather than not count */
		}
	} else if (!keyed && !exempt && g->per_peer > 0) {
		shut_locked(rec);	/* a peer without a key is not served */
	}
	rec->next = g->recs;
	if (rec->next)
		rec->next->prev = rec;
	g->recs = rec;
	g->nrecs++;
	pthread_mutex_unlock(&g->mu);
	*socket_context = rec;
}

static void
closed(struct connguard *g, void **socket_context)
{
	struct conn_rec *rec = *socket_context;

	if (!rec)
		return;
	pthread_mutex_lock(&g->mu);
	if (rec->prev)
		rec->prev->next = rec->next;
	else
		g->recs = rec->next;
	if (rec->next)
		rec->next->prev = rec->prev;
	g->nrecs--;
	g->closed_since_trim++;
	if (rec->peer)
		peer_put_locked(g, rec->peer);
	pthread_mutex_unlock(&g->mu);
	free(rec);
	*socket_context = NULL;
}

void
connguard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		 enum MHD_ConnectionNotificationCode code)
{
	struct connguard *g = cls;

	switch (code) {
	case MHD_CONNECTION_NOTIFY_STARTED:
		started(g, conn, socket_context);
		break;
	case MHD_CONNECTION_NOTIFY_CLOSED:
		closed(g, socket_context);
		break;
	default:
		break;
	}
}

static struct conn_rec *
rec_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static int
set_phase(struct MHD_Connection *conn, enum phase ph)
{
	struct conn_rec *rec = rec_of(conn);
	int r = 0;

	if (!rec)
		return -ECONNABORTED;
	pthread_mutex_lock(&rec->g->mu);
	if (ph == PHASE_HEAD && rec->phase != PHASE_HEAD)
		rec->served++;
	if (rec->closing) {
		r = -ECONNABORTED;
	} else {
		rec->phase = ph;
		rec->since_ms = approve_now_ms();
	}
	pthread_mutex_unlock(&rec->g->mu);
	return r;
}

int
connguard_head_done(struct MHD_Connection *conn)
{
	return set_phase(conn, PHASE_BODY);
}

int
connguard_body_done(struct MHD_Connection *conn)
{
	return set_phase(conn, PHASE_HANDLER);
}

void
connguard_request_done(struct MHD_Connection *conn)
{
	(void)set_phase(conn, PHASE_HEAD);
}

void
connguard_stats(struct connguard *g, struct connguard_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	out->connections = g->nrecs;
	out->refused_per_peer = g->refused;
	out->closed_header_timeout = g->closed_head;
	out->closed_keepalive_idle = g->closed_idle;
	out->closed_body_timeout = g->closed_body;
	pthread_mutex_unlock(&g->mu);
	out->waiters_gone = atomic_load(&g->waiters_gone);
}

/* One pass: shut connections past their deadline. */
static void
sweep_deadlines(struct connguard *g, uint64_t now)
{
	struct conn_rec *rec;

	pthread_mutex_lock(&g->mu);
	for (rec = g->recs; rec; rec = rec->next) {
		if (rec->closing)
			continue;
		if (rec->phase == PHASE_HEAD && now - rec->since_ms >= g->header_ms) {
			/* after a request, an idle keep-alive connection looks
			 * the same as a trickled second head: both are closed,
			 * counted apart */
			shut_locked(rec);
			if (rec->served > 0)
				g->closed_idle++;
			else
				g->closed_head++;
		} else if (rec->phase == PHASE_BODY && now - rec->since_ms >= g->body_ms) {
			shut_locked(rec);
			g->closed_body++;
		}
	}
	pthread_mutex_unlock(&g->mu);
}

/* After a burst of closed connections: see TRIM_MIN. prev is what the
 * last sweep saw. */
static void
trim_after_burst(struct connguard *g, unsigned long *prev)
{
	unsigned long n;
	int trim;

	pthread_mutex_lock(&g->mu);
	n = g->closed_since_trim;
	trim = n >= TRIM_MAX || (n >= TRIM_MIN && n == *prev);
	if (trim)
		g->closed_since_trim = 0;
	pthread_mutex_unlock(&g->mu);
	if (trim)
		malloc_trim(0);
	*prev = trim ? 0 : n;
}

/* A line per kind and SUMMARY_MS at most, however many connections. */
static void
summarise(struct connguard *g, struct connguard_stats *last)
{
	struct connguard_stats now;
	char who[PEER_TEXT_MAX];

	connguard_stats(g, &now);
	pthread_mutex_lock(&g->mu);
	memcpy(who, g->last_refused, sizeof(who));
	pthread_mutex_unlock(&g->mu);
	if (now.refused_per_peer != last->refused_per_peer)
		approve_log(LOG_WARNING, "refused %lu connection(s) over max_connections_per_peer "
			    "%lu (latest from %s)", now.refused_per_peer - last->refused_per_peer,
			    g->per_peer, who);
	if (now.closed_header_timeout != last->closed_header_timeout)
		approve_log(LOG_WARNING, "closed %lu connection(s) whose request head was not "
			    "complete within header_timeout %llu s",
			    now.closed_header_timeout - last->closed_header_timeout,
			    (unsigned long long)(g->header_ms / 1000));
	if (now.closed_body_timeout != last->closed_body_timeout)
		approve_log(LOG_WARNING, "closed %lu connection(s) whose request body was not "
			    "complete within %llu s",
			    now.closed_body_timeout - last->closed_body_timeout,
			    (unsigned long long)(g->body_ms / 1000));
	if (now.waiters_gone != last->waiters_gone)
		approve_log(LOG_INFO, "released %lu long-poll(s) whose client had gone",
			    now.waiters_gone - last->waiters_gone);
	*last = now;
}

static void *
sweep_main(void *arg)
{
	struct connguard *g = arg;
	struct connguard_stats last;
	uint64_t next_summary = approve_now_ms() + SUMMARY_MS;
	struct timespec ts;
	unsigned long closed_seen = 0;
	unsigned n;

	memset(&last, 0, sizeof(last));
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		ts = approve_timespec_after(CLOCK_MONOTONIC, SWEEP_MS);
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->mu);
		sweep_deadlines(g, approve_now_ms());
		if (g->ws && (n = waiters_release_gone(g->ws)) > 0)
			atomic_fetch_add(&g->waiters_gone, n);
		trim_after_burst(g, &closed_seen);
		if (approve_now_ms() >= next_summary) {
			summarise(g, &last);
			next_summary = approve_now_ms() + SUMMARY_MS;
		}
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	summarise(g, &last);	/* what the last interval saw */
	return NULL;
}

int
connguard_new(unsigned header_s, unsigned body_s, unsigned long per_peer,
	      struct waiters *ws, struct connguard **out)
{
	struct connguard *g;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	if (header_s == 0 || body_s == 0)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->header_ms = (uint64_t)header_s * 1000;
	g->body_ms = (uint64_t)body_s * 1000;
	g->per_peer = per_peer;
	g->ws = ws;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&g->thread, NULL, sweep_main, g);
	if (r != 0) {
		connguard_free(g);
		return -r;
	}
	g->thread_up = 1;
	*out = g;
	return 0;
}

void
connguard_free(struct connguard *g)
{
	struct peer *p, *next;
	unsigned i;

	if (!g)
		return;
	if (g->thread_up) {
		pthread_mutex_lock(&g->mu);
		g->stop = 1;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
	}
	/* every daemon has stopped: no record is left, but peers are freed
	 * with their last connection only, so sweep up defensively */
	for (i = 0; i < PEER_BUCKETS; i++) {
		for (p = g->peers[i]; p; p = next) {
			next = p->next;
			free(p);
		}
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
