/* db.h: approvald's small libpq connection pool.
 * pool_size connections, handed out one per HTTP handler for the length of
 * one piece of work (never across a suspended long-poll). Every connection
 * runs with search_path = '' (all SQL is schema-qualified) and a statement
 * timeout; statements go through PQexecParams only. A connection found
 * broken at checkout is reconnected, at most once a second per slot, so a
 * database outage costs a request a fast 503, not a hang. */
#ifndef APPROVALD_DB_H
#define APPROVALD_DB_H
#include <libpq-fe.h>

struct db_pool;
struct db_conn;

/* Connection parameters shared with the LISTEN connection: the operator's
 * conninfo, with defaults for connect_timeout and application_name that the
 * conninfo may override. */
#define DB_NPARAMS 4
void db_conn_params(const char *conninfo, const char *kw[DB_NPARAMS],
		    const char *val[DB_NPARAMS]);
/* The statement run on every new connection (pool and listener). */
extern const char db_session_setup[];
/* Route libpq's notices (which go to stderr by default) to the log at
 * DEBUG level; call on every new connection. */
void db_quiet_notices(PGconn *pg);

/* 0 or -ENOMEM. No connection is made here: the pool connects lazily, so
 * approvald starts (and answers /healthz, and /readyz 503) while the
 * database is still down. */
int db_pool_new(const char *conninfo, unsigned size, struct db_pool **out);
void db_pool_free(struct db_pool *p);

/* A working connection, or NULL when none became free within timeout_ms or
 * the database cannot be reached (the caller answers 503). */
struct db_conn *db_get(struct db_pool *p, unsigned timeout_ms);
void db_put(struct db_pool *p, struct db_conn *c);

/* Run one parameterised statement (text parameters and results).
 * 0 when it succeeded (*res holds the result, caller PQclear()s it).
 * -EIO on any failure; *res then holds the error result (or NULL when
 * the connection failed), so the caller can look at its SQLSTATE with
 * db_error_is(); the caller PQclear()s it. Connection failures are logged
 * here; other errors are for the caller to judge and log. */
int db_exec(struct db_conn *c, const char *sql, int nparams,
	    const char *const *params, PGresult **res);
/* 1 when res carries exactly this SQLSTATE (and, when hint is not NULL,
 * this HINT), else 0. */
int db_error_is(const PGresult *res, const char *sqlstate, const char *hint);
/* Log an error result that the caller did not expect (LOG_ERR, once). */
void db_log_error(const char *what, const PGresult *res);

#endif
