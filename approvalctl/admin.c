/* admin.c: what the database-side commands (host, approver) share: issuing
 * a token (shown once, only its sha256 stored) and listing rows that the
 * database returns as one JSON array. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "print.h"
#include "secret.h"

/* The options of a command that takes exactly one argument. */
int
ctl_one_arg(struct ctl_ctx *c, int argc, char **argv, const char *label,
	    const char **arg, int *done)
{
	int o = ctl_getopt(c, argc, argv);

	*done = 0;
	if (o == CTL_OPT_HELP) {
		*done = 1;
		return CTL_OK;
	}
	if (o != -1)
		return CTL_USAGE;	/* no options of its own: already reported */
	if (optind >= argc)
		return ctl_usage_error(c, "missing %s", label);
	if (optind + 1 < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind + 1]);
	*arg = argv[optind];
	return CTL_OK;
}

const struct option ctl_json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

int
ctl_json_flag(struct ctl_ctx *c, int argc, char **argv, int *json, int *done)
{
	int o;

	*json = *done = 0;
	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		if (o == CTL_OPT_HELP) {
			*done = 1;
			return CTL_OK;
		}
		if (o != 'j')
			return CTL_USAGE;
		*json = 1;
	}
	return CTL_OK;
}

/* Print a freshly issued token alone on stdout ("$(approvalctl host add
 * web1)" works), then the hint on stderr. */
static int
hand_out(const char *token, const char *hint)
{
	if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
		ctl_err("could not write the token to stdout: it is lost; revoke it");
		return CTL_FAILURE;
	}
	fprintf(stderr, "%s\n", hint);
	return CTL_OK;
}

int
ctl_issue_token(struct ctl_ctx *c, const struct ctl_token_issue *t)
{
	char hash[APPROVE_HASH_HEX_LEN + 1];
	const char *params[CTL_ISSUE_MAX_PARAMS];
	const char *cons;
	char *token = NULL;
	PGconn *db = NULL;
	PGresult *r = NULL;
	int rc;

	if (t->nparams > CTL_ISSUE_MAX_PARAMS || t->hash_param >= t->nparams) {
		ctl_err("internal error: bad token statement");
		return CTL_FAILURE;
	}
	rc = ctl_db_connect(c, 0, &db);
	if (rc != CTL_OK)
		return rc;
	if (approve_token_generate(t->prefix, &token) != 0 ||
	    approve_token_hash(token, strlen(token), hash) != 0) {
		ctl_err("%s: cannot generate a token (random number generator)", t->what);
		rc = CTL_FAILURE;
		goto out;
	}
	memcpy(params, t->params, sizeof(*params) * (size_t)t->nparams);
	params[t->hash_param] = hash;
	r = ctl_db_exec(db, t->sql, t->nparams, params);
	if (ctl_db_failed(r)) {
		cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
		if (t->exists_constraint && cons && !strcmp(cons, t->exists_constraint)) {
			ctl_err("%s: %s", t->what, t->exists_msg);
			rc = CTL_REFUSED;
		} else {
			rc = ctl_db_error(db, r, t->what);
		}
		goto out;
	}
	if (PQntuples(r) != 1) {
		ctl_err("%s: %s", t->what, t->none_msg);
		rc = CTL_REFUSED;
		goto out;
	}
	rc = hand_out(token, t->hint);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	PQclear(r);
	PQfinish(db);
	return rc;
}

int
ctl_admin_list(struct ctl_ctx *c, int argc, char **argv, const char *sql,
	       const struct ctl_column *cols, size_t ncols, const char *empty)
{
	struct json_object *rows = NULL;
	const char *what = c->path;
	PGresult *r = NULL;
	const char *text;
	int rc, json, done;

	rc = ctl_json_flag(c, argc, argv, &json, &done);
	if (rc != CTL_OK || done)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	rc = ctl_db_query(c, what, sql, 0, NULL, &r);
	if (rc != CTL_OK)
		return rc;
	text = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : NULL;
	if (!text || ctl_json_parse(text, strlen(text), &rows) != 0 ||
	    !json_object_is_type(rows, json_type_array)) {
		ctl_err("%s: unexpected answer from the database", what);
		rc = CTL_FAILURE;
		goto out;
	}
	if (json)
		ctl_print_json(rows);
	else
		ctl_print_rows(rows, cols, ncols, empty);
	rc = CTL_OK;
out:
	json_object_put(rows);
	PQclear(r);
	return rc;
}
