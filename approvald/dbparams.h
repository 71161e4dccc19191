/* dbparams.h: the libpq connection parameters approvald's pool and its
 * LISTEN connection connect with (see dbparams.c). */
#ifndef APPROVALD_DBPARAMS_H
#define APPROVALD_DBPARAMS_H
#include <stdatomic.h>

#include <libpq-fe.h>

/* keywords db_params_fill() may set, and room for the terminating NULL */
#define DB_PARAMS_MAX 14

struct db_params {
	char *conninfo;
	unsigned nhosts;	/* entries of the conninfo's host list (1 if none) */
	atomic_uint first;	/* the entry tried first: moved on by a time-out */
	/* per rotation r (nhosts > 1 only): the host, hostaddr and port
	 * lists starting at entry r; NULL where the conninfo has none */
	char **host, **hostaddr, **port;
};

/* Parse conninfo (keywords or a URI) for its host list. 0, -EINVAL (libpq
 * cannot parse it: settings.c refused it already) or -ENOMEM. */
int db_params_init(struct db_params *p, const char *conninfo);
void db_params_free(struct db_params *p);
/* kw/val (DB_PARAMS_MAX entries, NULL-terminated) for PQconnectStartParams
 * with expand_dbname: approvald's defaults (connect_timeout, keepalives,
 * tcp_user_timeout, application_name), then the conninfo, which may
 * override them, then the host lists rotated to start at p->first, and
 * last target_session_attrs=read-write, which the conninfo may not
 * override. Pointers into p: valid while p lives. */
void db_params_fill(struct db_params *p, const char *kw[DB_PARAMS_MAX],
		    const char *val[DB_PARAMS_MAX]);
/* Start a non-blocking connection with db_params_fill()'s parameters. */
PGconn *db_connect_start(struct db_params *p);
/* The connection attempt pg ran out of time: the next one begins with the
 * host after the one it was stuck on (PQhost). libpq moves on by itself
 * from a host
 * that refuses, is read-only or fails; but approvald connects non-blocking,
 * where libpq's connect_timeout does not apply, so a host that drops
 * packets would hold every attempt and the hosts after it would never be
 * tried. Safe from any thread. */
void db_connect_timed_out(struct db_params *p, PGconn *pg);
#endif
