/* db.h: approvald's small libpq connection pool.
 * pool_size connections, handed out one per HTTP handler for the length of
 * one piece of work (never across a suspended long-poll). Every connection
 * runs with search_path = '' (all SQL is schema-qualified) and a statement
 * timeout. A connection found broken at checkout is reconnected, at most
 * once a second per slot, so a database outage costs a request a fast
 * 503, not a hang.
 *
 * Nothing here blocks without a deadline: connections are non-blocking
 * (connect, send and receive all poll the socket), each statement must
 * finish within DB_STATEMENT_MS, a checkout waits at most its timeout for
 * a free slot, and beyond DB_MAX_WAITING(size) callers only while slots
 * keep coming back (more get NULL once none came back for a moment). So
 * when the database hangs at most DB_MAX_BLOCKED(size) threads stay inside
 * the pool. Only httpd's job threads (offload.h) call in here, never
 * libmicrohttpd's own, so /healthz is answered whatever the database
 * does. A statement that runs out of time is cancelled and
 * its connection dropped (it may still have committed: every write is
 * idempotent or guarded by the request's state). */
#ifndef APPROVALD_DB_H
#define APPROVALD_DB_H
#include <libpq-fe.h>

#include "dbparams.h"

#define DB_STATEMENT_MS 10000	/* one statement, send to last result */
#define DB_CONNECT_MS 5000	/* one connection attempt, with its setup */
#define DB_STOP_MS 1000		/* what statements still get once stopping */
#define DB_WAIT_MS 5000		/* how long a handler waits for a free connection */
#define DB_MAX_WAITING(size) (size)
#define DB_MAX_BLOCKED(size) ((size) + DB_MAX_WAITING(size))

struct db_pool;
struct db_conn;

/* A timestamptz expression as ISO 8601 UTC text with microseconds, the
 * form hosts see and signatures cover (common/sig.h). */
#define DB_ISO_UTC(x) "pg_catalog.to_char((" x ") AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Connection parameters (shared with the LISTEN connection): dbparams.h. */
/* The statement run on every new connection (pool and listener). */
extern const char db_session_setup[];
/* Route libpq's notices (which go to stderr by default) to the log at
 * DEBUG level; call on every new connection. */
void db_quiet_notices(PGconn *pg);

/* 0 or -ENOMEM. No connection is made here: the pool connects lazily, so
 * approvald starts (and answers /healthz, and /readyz 503) while the
 * database is still down. */
int db_pool_new(const char *conninfo, unsigned size, struct db_pool **out);
/* Shutdown begins: from now on every statement and checkout ends within
 * DB_STOP_MS (a hung database cannot hold up the exit), and no slot
 * reconnects. Safe from any thread, idempotent. */
void db_pool_stop(struct db_pool *p);
void db_pool_free(struct db_pool *p);

/* A working connection, or NULL when none became free within timeout_ms,
 * too many callers wait already and the pool is stuck, or the database
 * cannot be reached (the caller answers 503). */
struct db_conn *db_get(struct db_pool *p, unsigned timeout_ms);
void db_put(struct db_pool *p, struct db_conn *c);
/* 1 when a caller beyond those waiting already would be refused by the
 * crowded-pool rule right now (no slot free or back for a moment, the
 * waiting room full): it answers 503 without queueing. */
int db_pool_crowded(struct db_pool *p);

/* Run one parameterised statement (text parameters and results), as a
 * prepared statement on this connection (prepared on first use).
 * 0 when it succeeded (*res holds the result, caller PQclear()s it).
 * -EIO on any failure; *res then holds the error result (or NULL when
 * the connection failed or the deadline passed), so the caller can look at
 * its SQLSTATE with db_error_is(); the caller PQclear()s it. A connection
 * found lost when the statement ran outside a transaction block is
 * replaced and the statement run once more. Connection failures are
 * logged here; other errors are for the caller to judge and log. */
int db_exec(struct db_conn *c, const char *sql, int nparams,
	    const char *const *params, PGresult **res);
/* SQLSTATEs our own triggers raise (sql/001_core.sql, sql/006_...). */
#define DB_STATE_FINAL "P0002"		/* the request is final already (HINT 'final') */
#define DB_STATE_SELF_APPROVAL "P0001"	/* an approver deciding their own request */
/* The NOTICE approval.notify_event() raises instead of a NOTIFY on a pool
 * connection (sql/021): db_exec() sends it once the statement committed. */
#define DB_STATE_DEFERRED_NOTIFY "AP001"
/* 1 when res carries exactly this SQLSTATE (and, when hint is not NULL,
 * this HINT), else 0. */
int db_error_is(const PGresult *res, const char *sqlstate, const char *hint);
/* Log an error result that the caller did not expect (LOG_ERR, once). */
void db_log_error(const char *what, const PGresult *res);
/* What a failed statement means for the answer: -EIO when the database
 * went away, -ETIMEDOUT for the statement timeout, else -EPROTO (logged
 * once, as `what`). */
int db_failure(const PGresult *res, const char *what);

#endif
