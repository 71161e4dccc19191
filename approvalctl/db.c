/* db.c: the libpq side of the admin commands (migrate, host, approver):
 * connecting with the resolved conninfo, running parameterised statements,
 * and turning a failure into one message and an exit code. Every statement
 * goes through PQexecParams with schema-qualified names; search_path is ''
 * after connecting (migrate keeps the default while it runs files). */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "wire.h"

/* A libpq message is server text: newlines and tabs become blanks, other
 * controls '?', trailing blanks go. */
static void
print_pq_message(const char *what, const char *msg, const char *sqlstate)
{
	char *copy = strdup(msg ? msg : ""), *s = NULL;
	size_t len;

	if (copy) {
		for (char *p = copy; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		len = strlen(copy);
		while (len && copy[len - 1] == ' ')
			len--;
		s = approve_sanitize_display(copy, len, 1024);
	}
	if (sqlstate && *sqlstate)
		ctl_err("%s: %s (SQLSTATE %s)", what, s ? s : "(out of memory)", sqlstate);
	else
		ctl_err("%s: %s", what, s ? s : "(out of memory)");
	free(s);
	free(copy);
}

int
ctl_db_connect(struct ctl_ctx *c, int keep_search_path, PGconn **out)
{
	/* Our defaults first; dbname is expanded as a conninfo string and
	 * anything it sets (connect_timeout too) wins. */
	static const char *const keys[] = { "connect_timeout", "application_name",
					    "dbname", NULL };
	const char *vals[4] = { "10", "approvalctl", NULL, NULL };
	const char *conninfo;
	PGconn *db = NULL;
	PGresult *r = NULL;
	int failed = CTL_USAGE, rc;

	*out = NULL;
	conninfo = ctl_setting(c, c->database, "APPROVALCTL_DATABASE", "database", &failed);
	if (!conninfo) {
		if (failed == CTL_USAGE)
			ctl_err("no database: use --database CONNINFO, APPROVALCTL_DATABASE "
				"or 'database' in the config file");
		return failed;
	}
	vals[2] = conninfo;
	db = PQconnectdbParams(keys, vals, 1);
	if (!db) {
		ctl_err("cannot connect to the database: out of memory");
		return CTL_FAILURE;
	}
	if (PQstatus(db) != CONNECTION_OK) {
		print_pq_message("cannot connect to the database", PQerrorMessage(db), NULL);
		rc = CTL_UNREACHABLE;
		goto out;
	}
	if (!keep_search_path) {
		r = ctl_db_exec(db, "SELECT pg_catalog.set_config('search_path', '', false)",
				0, NULL);
		if (ctl_db_failed(r)) {
			rc = ctl_db_error(db, r, "setting search_path");
			goto out;
		}
	}
	*out = db;
	db = NULL;
	rc = CTL_OK;
out:
	PQclear(r);
	PQfinish(db);
	return rc;
}

PGresult *
ctl_db_exec(PGconn *db, const char *sql, int nparams, const char *const *params)
{
	return PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
}

int
ctl_db_failed(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);	/* NULL -> PGRES_FATAL_ERROR */

	return s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK;
}

int
ctl_db_error(PGconn *db, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!msg)
		msg = PQerrorMessage(db);
	print_pq_message(what, msg, state);
	if (PQstatus(db) != CONNECTION_OK || !state)
		return CTL_UNREACHABLE;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
	    !strncmp(state, "53", 2))
		return CTL_UNREACHABLE;	/* connection, shutdown, resources */
	if (!strncmp(state, "23", 2) || !strncmp(state, "P0", 2) ||
	    !strcmp(state, "42501"))
		return CTL_REFUSED;	/* constraints, the schema's triggers, privileges */
	return CTL_FAILURE;
}

int
ctl_db_do(PGconn *db, const char *what, const char *sql, int nparams,
	  const char *const *params, PGresult **out)
{
	PGresult *r = ctl_db_exec(db, sql, nparams, params);
	int rc = CTL_OK;

	if (ctl_db_failed(r))
		rc = ctl_db_error(db, r, what);
	if (out && rc == CTL_OK)
		*out = r;
	else
		PQclear(r);
	return rc;
}

int
ctl_db_query(struct ctl_ctx *c, const char *what, const char *sql, int nparams,
	     const char *const *params, PGresult **out)
{
	PGconn *db = NULL;
	int rc;

	*out = NULL;
	rc = ctl_db_connect(c, 0, &db);
	if (rc == CTL_OK)
		rc = ctl_db_do(db, what, sql, nparams, params, out);
	PQfinish(db);
	return rc;
}
