/* host.c: `approvalctl host add|revoke|list`: enrolling the machines whose
 * pam_approve may file requests. A host token is shown once on stdout and
 * only its sha256 is stored (approval.hosts.token_hash); revoking keeps the
 * row (requests refer to it) and makes approvald answer 401 to the token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "wire.h"
#include "print.h"

/* Same rule as the CHECK on approval.hosts.name, for a clear usage error. */
static int
host_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || !strchr(
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", s[0]))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-") == n;
}

static int
host_add(struct ctl_ctx *c, int argc, char **argv)
{
	char what[300], exists[600], hint[600];
	const char *name = NULL, *params[2];
	struct ctl_token_issue t = {
		.what = what, .prefix = "aph_", .params = params,
		.nparams = 2, .hash_param = 1,
		.sql = "INSERT INTO approval.hosts (name, token_hash)"
		       " VALUES ($1, $2) RETURNING id",
		.exists_constraint = "hosts_name_key", .exists_msg = exists,
		.none_msg = "nothing stored", .hint = hint,
	};
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "NAME", &name, &done);
	if (rc != CTL_OK || done)
		return rc;
	if (!host_name_valid(name))
		return ctl_usage_error(c, "bad host name '%s' (letters, digits, '.', '_', '-')",
				       name);
	params[0] = name;
	snprintf(what, sizeof(what), "host add %s", name);
	snprintf(exists, sizeof(exists), "a host named %s exists already "
		 "(see 'approvalctl host list')", name);
	snprintf(hint, sizeof(hint),
		 "host %s added. The token above is shown only once: install it on %s as\n"
		 "the pam_approve token_file (default /etc/pam_approve/token), owner root, mode 0600.",
		 name, name);
	return ctl_issue_token(c, &t);
}

static int
host_revoke(struct ctl_ctx *c, int argc, char **argv)
{
	const char *name = NULL, *params[1];
	PGresult *r = NULL;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "NAME", &name, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = name;
	/* Idempotent: a second revoke keeps the first revocation time. */
	rc = ctl_db_query(c, c->path,
		"WITH old AS (SELECT h.id, h.revoked_at FROM approval.hosts h"
		"             WHERE h.name = $1 FOR UPDATE)"
		" UPDATE approval.hosts h SET enabled = false,"
		"        revoked_at = COALESCE(h.revoked_at, pg_catalog.now())"
		"   FROM old WHERE h.id = old.id"
		" RETURNING old.revoked_at IS NOT NULL", 1, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("host revoke %s: no host named %s", name, name);
		rc = CTL_REFUSED;
	} else if (!strcmp(PQgetvalue(r, 0, 0), "t")) {
		printf("host %s was already revoked\n", name);
	} else {
		printf("host %s revoked: its token is refused from now on\n", name);
	}
	PQclear(r);
	return rc;
}

/* host initiator NAME human|agent|ci|derived: the initiator kind of every
 * later request from this host (docs/agents.md); "derived" clears it. */
static int
host_initiator(struct ctl_ctx *c, int argc, char **argv)
{
	const char *params[2];
	PGresult *r = NULL;
	int rc, o;

	o = ctl_getopt(c, argc, argv);
	if (o != -1)
		return o == CTL_OPT_HELP ? CTL_OK : CTL_USAGE;
	if (argc - optind != 2)
		return ctl_usage_error(c, "expected NAME and human|agent|ci|derived");
	params[0] = argv[optind];
	params[1] = argv[optind + 1];
	if (!approve_initiator_valid(params[1]) && strcmp(params[1], "derived"))
		return ctl_usage_error(c, "kind must be " APPROVE_INITIATOR_WORDS
				       " (or derived)");
	if (!strcmp(params[1], "derived"))
		params[1] = NULL;
	rc = ctl_db_query(c, c->path,
		"UPDATE approval.hosts SET initiator = $2 WHERE name = $1 RETURNING 1",
		2, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("host initiator %s: no host named %s", argv[optind], argv[optind]);
		rc = CTL_REFUSED;
	} else {
		printf("host %s: requests from now on are %s\n", argv[optind],
		       params[1] ? params[1] : "classified per request");
	}
	PQclear(r);
	return rc;
}

static const struct ctl_column host_cols[] = {
	{ "NAME", "name", 0, 0 },
	{ "STATUS", "status", 16, 0 },
	{ "CREATED (UTC)", "created_at", 0, 1 },
	{ "REVOKED (UTC)", "revoked_at", 0, 1 },
	{ "LAST REQUEST (UTC)", "last_request_at", 0, 1 },
};

static int
host_list(struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv,
		"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
		"  'name', h.name,"
		"  'status', CASE WHEN h.enabled THEN 'enabled'"
		"                 WHEN h.revoked_at IS NOT NULL THEN 'revoked'"
		"                 ELSE 'disabled' END,"
		"  'created_at', " CTL_SQL_UTC("h.created_at") ","
		"  'revoked_at', " CTL_SQL_UTC("h.revoked_at") ","
		"  'last_request_at', " CTL_SQL_UTC("(SELECT pg_catalog.max(r.created_at)"
		"       FROM approval.requests r WHERE r.host_id = h.id)")
		"  ) ORDER BY h.name), '[]')"
		"  FROM approval.hosts h", host_cols, 5, "no hosts");
}

static const struct ctl_command host_add_cmd = {
	.name = "add", .synopsis = "NAME",
	.summary = "enrol a host; prints its token (once) alone on stdout",
	.details = "NAME: letters, digits, '.', '_', '-' (usually the host name).\n"
		   "Only sha256(token) is stored; a lost token means revoke and add\n"
		   "the host again under a new name.\n",
	.run = host_add,
};
static const struct ctl_command host_revoke_cmd = {
	.name = "revoke", .synopsis = "NAME",
	.summary = "disable a host's token (its requests stay in history)",
	.run = host_revoke,
};
static const struct ctl_command host_list_cmd = {
	.name = "list", .synopsis = "[--json]",
	.summary = "list enrolled hosts",
	.details = "Options:\n  --json   print a JSON array instead of a table\n",
	.longopts = ctl_json_opts, .run = host_list,
};
static const struct ctl_command host_initiator_cmd = {
	.name = "initiator", .synopsis = "NAME human|agent|ci|derived",
	.summary = "set the initiator kind of a host's requests (derived: per request)",
	.run = host_initiator,
};
static const struct ctl_command *const host_cmds[] = {
	&host_add_cmd, &host_revoke_cmd, &host_list_cmd, &host_initiator_cmd, NULL,
};
const struct ctl_command ctl_cmd_host = {
	.name = "host", .synopsis = "add|revoke|list|initiator",
	.summary = "manage enrolled hosts (admin, database)",
	.sub = host_cmds,
};
