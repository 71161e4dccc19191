/* listener.c: owns the LISTEN thread (see listener.h): a non-blocking
 * libpq state machine (down -> connecting -> setup -> ready), the
 * notification dispatch to the waiters, the deadline tick and the expiry
 * sweep. Nothing else uses its connection. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "code.h"
#include "db.h"
#include "clock.h"
#include "listener.h"
#include "log.h"
#include "waiters.h"

#define CONNECT_TIMEOUT_MS 10000
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000
#define SWEEP_EVERY_MS 1000
#define QUERY_DEADLINE_MS 20000	/* a query in flight this long: reconnect */
#define SWEEP_BATCH "200"	/* rows per sweep statement (one transaction) */

static const char listen_sql[] = "LISTEN approval_events";
/* One short transaction per batch: each holds the audit chain lock (every
 * expiry writes an audit row) only for its own rows, so creates and
 * decisions queued behind it go next, and a backlog of any size is
 * cleared batch after batch instead of timing out as one statement. SKIP
 * LOCKED: rows another instance's sweep (or a decision) holds are left to
 * it. NO KEY UPDATE, the lock the UPDATE takes anyway: FOR UPDATE would
 * block the foreign-key check of an event insert for the same request
 * (which holds the event-order lock, sql/008) and deadlock with it. */
static const char sweep_sql[] =
	"UPDATE approval.requests r SET status = 'expired'"
	" FROM (SELECT q.id FROM approval.requests q"
	"  WHERE q.status = 'pending' AND q.expires_at <= pg_catalog.now()"
	"  ORDER BY q.expires_at LIMIT " SWEEP_BATCH " FOR NO KEY UPDATE SKIP LOCKED) due"
	" WHERE r.id = due.id";

enum lstate { L_DOWN, L_CONNECTING, L_SETUP, L_READY };

struct listener {
	pthread_t thread;
	int wakefd;
	atomic_int stop;
	atomic_int ready;
	_Atomic uint64_t busy_since;	/* a query in flight since, 0 if none */
	struct waiters *ws;
	struct db_params params;

	/* owned by the thread */
	PGconn *pg;
	enum lstate state;
	PostgresPollingStatusType cpoll;
	int busy;		/* a query is in flight */
	int setup_step;		/* 0: session setup sent, 1: LISTEN sent */
	int need_flush;
	int query_failed;
	uint64_t started;	/* connect attempt began */
	uint64_t next_try;
	uint64_t backoff;
	uint64_t last_sweep;
	int outage_logged;
	int sweep_error_logged;
	int sweep_more;		/* the last batch was full: run the next at once */
	unsigned long swept;	/* expired in this round of batches */
};

static void
first_line(const char *msg, char *buf, size_t len)
{
	size_t n = msg ? strcspn(msg, "\n") : 0;

	if (n >= len)
		n = len - 1;
	if (msg)
		memcpy(buf, msg, n);
	buf[n] = '\0';
}

static void
conn_failed(struct listener *l, uint64_t now, const char *why)
{
	char buf[256];

	first_line(why ? why : (l->pg ? PQerrorMessage(l->pg) : "out of memory"),
		   buf, sizeof(buf));
	if (!l->outage_logged) {
		approve_log(LOG_WARNING, "notification connection: %s; retrying",
			    buf[0] ? buf : "connection lost");
		l->outage_logged = 1;
	} else {
		approve_log(LOG_DEBUG, "notification connection: %s", buf);
	}
	if (l->pg)
		PQfinish(l->pg);
	l->pg = NULL;
	l->state = L_DOWN;
	l->busy = 0;
	atomic_store(&l->busy_since, 0);
	l->need_flush = 0;
	atomic_store(&l->ready, 0);
	l->next_try = now + l->backoff;
	l->backoff = l->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff * 2;
}

static int
send_query(struct listener *l, const char *sql)
{
	if (!PQsendQuery(l->pg, sql))
		return -EIO;
	l->busy = 1;
	atomic_store(&l->busy_since, approve_now_ms());
	l->query_failed = 0;
	l->need_flush = 1;
	return 0;
}

static void
start_connect(struct listener *l, uint64_t now)
{
	l->pg = db_connect_start(&l->params);
	db_quiet_notices(l->pg);
	if (!l->pg || PQstatus(l->pg) == CONNECTION_BAD) {
		conn_failed(l, now, NULL);
		return;
	}
	l->state = L_CONNECTING;
	l->cpoll = PGRES_POLLING_WRITING;
	l->started = now;
}

static void
became_ready(struct listener *l)
{
	l->state = L_READY;
	l->backoff = BACKOFF_MIN_MS;
	atomic_store(&l->ready, 1);
	if (l->outage_logged)
		approve_log(LOG_NOTICE, "notification connection re-established");
	else
		approve_log(LOG_INFO, "listening for approval_events");
	l->outage_logged = 0;
	/* whatever was announced while we were away is lost: re-check all */
	waiters_wake_all(l->ws);
}

static void
dispatch_notify(struct listener *l, const PGnotify *n)
{
	char id[APPROVE_UUID_LEN + 1];

	/* the payload: the request's id, then maybe ' ' and more */
	if (n->extra && strnlen(n->extra, APPROVE_UUID_LEN) == APPROVE_UUID_LEN &&
	    (n->extra[APPROVE_UUID_LEN] == ' ' || n->extra[APPROVE_UUID_LEN] == '\0') &&
	    approve_uuid_normalize(n->extra, APPROVE_UUID_LEN, id) == 0)
		waiters_wake_id(l->ws, id);
	waiters_wake_events(l->ws);
}

/* One query finished (all its results read). */
static void
query_done(struct listener *l, uint64_t now)
{
	l->busy = 0;
	atomic_store(&l->busy_since, 0);
	if (l->state == L_SETUP) {
		if (l->query_failed) {
			conn_failed(l, now, NULL);
			return;
		}
		if (l->setup_step == 0) {
			l->setup_step = 1;
			if (send_query(l, listen_sql) < 0)
				conn_failed(l, now, NULL);
			return;
		}
		became_ready(l);
		return;
	}
	if (!l->query_failed && l->sweep_error_logged) {
		approve_log(LOG_NOTICE, "expiry sweep works again");
		l->sweep_error_logged = 0;
	}
	if (l->query_failed)
		l->sweep_more = 0;
	if (!l->sweep_more && l->swept) {
		approve_log(LOG_INFO, "expired %lu pending request(s)", l->swept);
		l->swept = 0;
	}
}

static void
read_results(struct listener *l, uint64_t now)
{
	PGresult *res;
	ExecStatusType st;
	char buf[256];

	while (l->busy && !PQisBusy(l->pg)) {
		res = PQgetResult(l->pg);
		if (!res) {
			query_done(l, now);
			return;
		}
		st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			l->query_failed = 1;
			if (l->state == L_READY && !l->sweep_error_logged) {
				first_line(PQresultErrorMessage(res), buf, sizeof(buf));
				approve_log(LOG_ERR, "expiry sweep failed: %s", buf);
				l->sweep_error_logged = 1;
			}
		} else if (l->state == L_READY) {
			unsigned long n = strtoul(PQcmdTuples(res), NULL, 10);

			l->swept += n;
			l->sweep_more = n == strtoul(SWEEP_BATCH, NULL, 10);
		}
		PQclear(res);
	}
}

/* Socket activity (or a timeout while connecting). */
static void
on_io(struct listener *l, short revents, uint64_t now)
{
	PGnotify *n;
	int fr;

	if (l->state == L_CONNECTING) {
		if (!revents) {
			if (now - l->started > CONNECT_TIMEOUT_MS) {
				db_connect_timed_out(&l->params, l->pg);
				conn_failed(l, now, "connect timed out");
			}
			return;
		}
		l->cpoll = PQconnectPoll(l->pg);
		if (l->cpoll == PGRES_POLLING_FAILED) {
			conn_failed(l, now, NULL);
		} else if (l->cpoll == PGRES_POLLING_OK) {
			if (PQsetnonblocking(l->pg, 1) != 0) {
				conn_failed(l, now, NULL);
				return;
			}
			l->state = L_SETUP;
			l->setup_step = 0;
			if (send_query(l, db_session_setup) < 0)
				conn_failed(l, now, NULL);
		}
		return;
	}
	if (l->need_flush || (revents & POLLOUT)) {
		fr = PQflush(l->pg);
		if (fr < 0) {
			conn_failed(l, now, NULL);
			return;
		}
		l->need_flush = fr == 1;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP)) {
		if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK) {
			conn_failed(l, now, NULL);
			return;
		}
	}
	read_results(l, now);
	if (l->state == L_DOWN)
		return;
	while (l->pg && (n = PQnotifies(l->pg)) != NULL) {
		dispatch_notify(l, n);
		PQfreemem(n);
	}
}

static void
on_tick(struct listener *l, uint64_t now)
{
	uint64_t since = atomic_load(&l->busy_since);

	waiters_wake_due(l->ws, now);
	if (l->state != L_DOWN && l->state != L_CONNECTING && since &&
	    now - since > QUERY_DEADLINE_MS) {
		conn_failed(l, now, "no answer from the database in 20 s");
		return;
	}
	if (l->state == L_DOWN && now >= l->next_try)
		start_connect(l, now);
	if (l->state == L_READY && !l->busy &&
	    (l->sweep_more || now - l->last_sweep >= SWEEP_EVERY_MS)) {
		l->last_sweep = now;
		if (send_query(l, sweep_sql) < 0)
			conn_failed(l, now, NULL);
		else
			on_io(l, 0, now);	/* flush */
	}
}

static void *
listener_main(void *arg)
{
	struct listener *l = arg;
	struct pollfd pfd[2];
	uint64_t now, last_tick = 0;
	int nfd, rc;

	l->backoff = BACKOFF_MIN_MS;
	while (!atomic_load(&l->stop)) {
		now = approve_now_ms();
		/* a backlog of overdue requests: the next batch at once */
		if (now - last_tick >= LISTENER_TICK_MS / 2 || (l->sweep_more && !l->busy)) {
			on_tick(l, now);
			last_tick = now;
		}
		pfd[0].fd = l->wakefd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		nfd = 1;
		if (l->pg && l->state != L_DOWN && PQsocket(l->pg) >= 0) {
			pfd[1].fd = PQsocket(l->pg);
			pfd[1].revents = 0;
			if (l->state == L_CONNECTING)
				pfd[1].events = l->cpoll == PGRES_POLLING_READING ? POLLIN : POLLOUT;
			else
				pfd[1].events = POLLIN | (l->need_flush ? POLLOUT : 0);
			nfd = 2;
		}
		rc = poll(pfd, (nfds_t)nfd, LISTENER_TICK_MS);
		if (rc < 0 && errno != EINTR) {
			approve_log(LOG_ERR, "listener: poll: %s", strerror(errno));
			usleep(LISTENER_TICK_MS * 1000);
			continue;
		}
		now = approve_now_ms();
		if (nfd == 2 && (pfd[1].revents || l->state == L_CONNECTING))
			on_io(l, pfd[1].revents, now);
	}
	if (l->pg)
		PQfinish(l->pg);
	l->pg = NULL;
	return NULL;
}

int
listener_start(const char *conninfo, struct waiters *ws, struct listener **out)
{
	struct listener *l;
	int r;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->wakefd = -1;
	if (db_params_init(&l->params, conninfo) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	l->ws = ws;
	l->state = L_DOWN;
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wakefd < 0) {
		r = -errno;
		goto fail;
	}
	r = pthread_create(&l->thread, NULL, listener_main, l);
	if (r != 0) {
		r = -r;
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l->wakefd >= 0)
		close(l->wakefd);
	db_params_free(&l->params);
	free(l);
	return r;
}

void
listener_stop(struct listener *l)
{
	uint64_t one = 1;

	if (!l)
		return;
	atomic_store(&l->stop, 1);
	if (write(l->wakefd, &one, sizeof(one)) < 0)
		approve_log(LOG_DEBUG, "listener: wake: %s", strerror(errno));
	pthread_join(l->thread, NULL);
	close(l->wakefd);
	db_params_free(&l->params);
	free(l);
}

int
listener_ready(struct listener *l)
{
	return l && atomic_load(&l->ready);
}

int
listener_db_ok(struct listener *l)
{
	uint64_t since;

	if (!listener_ready(l))
		return 0;
	since = atomic_load(&l->busy_since);
	return !since || approve_now_ms() - since < LISTENER_STALL_MS;
}
