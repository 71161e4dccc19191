/* approver.c: `approvalctl approver add|token|revoke|list`: the people who
 * decide. An approver's unix_logins are the accounts they may never approve
 * for (the database refuses self-approval by login or unix login); API
 * tokens (apa_...) are shown once on stdout and stored as sha256 only.
 * Revoking disables the approver and revokes every token they hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "commands.h"
#include "print.h"
#include "wire.h"

#define MAX_LIST 64	/* --unix-login / --role values */

static const char ALNUM[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Same rule as the CHECK on approval.approvers.login. */
static int
login_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || (!strchr(ALNUM, s[0]) && s[0] != '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(ALNUM, s[i]) && !strchr("._@-", s[i]))
			return 0;
	return 1;
}

/* A unix account name: [A-Za-z0-9_.-], not starting with '-', at most 32
 * bytes, optionally ending in '$' (machine accounts). */
static int
unix_login_valid(const char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '$')
		n--;
	if (n == 0 || n > 32 || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(ALNUM, s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

static int
display_name_valid(const char *s)
{
	if (strlen(s) > APPROVE_LEN_NAME)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* PostgreSQL array literal of validated words: {"a","b"}. */
static int
array_literal(const char *const *v, size_t n, char **out)
{
	struct approve_buf b;

	approve_buf_init(&b, 64 * 1024);
	if (approve_buf_append(&b, "{", 1) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (approve_buf_printf(&b, "%s\"%s\"", i ? "," : "", v[i]) != 0)
			goto fail;
	if (approve_buf_append(&b, "}", 1) != 0)
		goto fail;
	*out = approve_buf_take(&b);
	if (*out)
		return 0;
fail:
	approve_buf_release(&b);
	ctl_err("out of memory");
	return -1;
}

static int
add_unique(const char **v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i], s))
			return 0;
	if (*n >= MAX_LIST)
		return -1;
	v[(*n)++] = s;
	return 0;
}

static const struct option add_opts[] = {
	{ "unix-login", required_argument, NULL, 'u' },
	{ "display-name", required_argument, NULL, 'n' },
	{ "role", required_argument, NULL, 'r' },
	{ "slack-user", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

/* A Slack user id as the CHECK on approvers.slack_user has it. */
static int
slack_user_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 32 || (s[0] != 'U' && s[0] != 'W'))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

static int
approver_add(struct ctl_ctx *c, int argc, char **argv)
{
	const char *unix_logins[MAX_LIST], *roles[MAX_LIST];
	size_t n_unix = 0, n_roles = 0;
	const char *login, *display = "", *params[6];
	char *logins_lit = NULL, *roles_lit = NULL;
	char what[300], exists[600], hint[600];
	struct ctl_token_issue t = {
		.what = what, .prefix = "apa_", .params = params,
		.nparams = 6, .hash_param = 4,
		/* one statement: the approver and their first token, or neither */
		.sql = "WITH a AS (INSERT INTO approval.approvers"
		       "             (login, display_name, unix_logins, roles, slack_user)"
		       "           VALUES ($1, $2, $3::text[], $4::text[], $6) RETURNING id)"
		       " INSERT INTO approval.api_tokens (approver_id, token_hash)"
		       " SELECT a.id, $5 FROM a RETURNING id",
		.exists_constraint = "approvers_login_key", .exists_msg = exists,
		/* a Slack user already mapped is refused by its UNIQUE
		 * constraint, reported as a database error */
		.none_msg = "nothing stored", .hint = hint,
	};
	int o, rc = CTL_FAILURE;

	params[5] = NULL;
	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'u':
			if (!unix_login_valid(optarg))
				return ctl_usage_error(c, "bad unix login '%s'", optarg);
			if (add_unique(unix_logins, &n_unix, optarg) != 0)
				return ctl_usage_error(c, "too many --unix-login");
			break;
		case 'n':
			if (!display_name_valid(optarg))
				return ctl_usage_error(c, "bad display name (at most %d bytes, "
						       "no control characters)", APPROVE_LEN_NAME);
			display = optarg;
			break;
		case 'r':
			if (strcmp(optarg, "approver") && strcmp(optarg, "auditor") &&
			    strcmp(optarg, "admin"))
				return ctl_usage_error(c, "bad role '%s' (approver, auditor or admin)",
						       optarg);
			if (add_unique(roles, &n_roles, optarg) != 0)
				return ctl_usage_error(c, "too many --role");
			break;
		case 's':
			if (!slack_user_valid(optarg))
				return ctl_usage_error(c, "bad Slack user id '%s' (U or W, then "
						       "capital letters and digits)", optarg);
			params[5] = optarg;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind >= argc)
		return ctl_usage_error(c, "missing LOGIN");
	if (optind + 1 < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind + 1]);
	login = argv[optind];
	if (!login_valid(login))
		return ctl_usage_error(c, "bad login '%s' (letters, digits, '.', '_', '@', '-')",
				       login);
	if (n_roles == 0)
		roles[n_roles++] = "approver";
	if (array_literal(unix_logins, n_unix, &logins_lit) != 0 ||
	    array_literal(roles, n_roles, &roles_lit) != 0)
		goto out;
	params[0] = login;
	params[1] = display;
	params[2] = logins_lit;
	params[3] = roles_lit;
	snprintf(what, sizeof(what), "approver add %s", login);
	snprintf(exists, sizeof(exists), "an approver %s exists already (a new token: "
		 "'approvalctl approver token %s')", login, login);
	snprintf(hint, sizeof(hint),
		 "approver %s added. The API token above is shown only once: give it to %s\n"
		 "for approvalctl (--token-file FILE with mode 0600, or APPROVALCTL_TOKEN).",
		 login, login);
	rc = ctl_issue_token(c, &t);
out:
	free(logins_lit);
	free(roles_lit);
	return rc;
}

static int
approver_token(struct ctl_ctx *c, int argc, char **argv)
{
	char what[300], none[400], hint[400];
	const char *login = NULL, *params[2];
	struct ctl_token_issue t = {
		.what = what, .prefix = "apa_", .params = params,
		.nparams = 2, .hash_param = 1,
		.sql = "INSERT INTO approval.api_tokens (approver_id, token_hash)"
		       " SELECT a.id, $2 FROM approval.approvers a"
		       "  WHERE a.login = $1 AND a.enabled RETURNING id",
		.none_msg = none, .hint = hint,
	};
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "LOGIN", &login, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = login;
	snprintf(what, sizeof(what), "approver token %s", login);
	snprintf(none, sizeof(none), "no enabled approver %s", login);
	snprintf(hint, sizeof(hint),
		 "new API token for %s (shown only once); earlier tokens stay valid.", login);
	return ctl_issue_token(c, &t);
}

static int
approver_revoke(struct ctl_ctx *c, int argc, char **argv)
{
	const char *login = NULL, *params[1];
	PGresult *r = NULL;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "LOGIN", &login, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = login;
	/* One statement: disabled and every token revoked together. */
	rc = ctl_db_query(c, c->path,
		"WITH a AS (UPDATE approval.approvers SET enabled = false,"
		"             revoked_at = COALESCE(revoked_at, pg_catalog.now())"
		"           WHERE login = $1 RETURNING id),"
		"     t AS (UPDATE approval.api_tokens SET revoked_at = pg_catalog.now()"
		"           WHERE approver_id IN (SELECT id FROM a) AND revoked_at IS NULL"
		"           RETURNING id)"
		" SELECT (SELECT pg_catalog.count(*) FROM a), (SELECT pg_catalog.count(*) FROM t)",
		1, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1 || !strcmp(PQgetvalue(r, 0, 0), "0")) {
		ctl_err("approver revoke %s: no approver %s", login, login);
		rc = CTL_REFUSED;
	} else {
		printf("approver %s disabled; %s API token(s) revoked\n", login,
		       PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return rc;
}

/* approver slack LOGIN [ID]: map (or with no ID unmap) a Slack user. */
static int
approver_slack(struct ctl_ctx *c, int argc, char **argv)
{
	const char *params[2];
	PGresult *r = NULL;
	int o, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1)
		return o == CTL_OPT_HELP ? CTL_OK : CTL_USAGE;
	if (optind >= argc)
		return ctl_usage_error(c, "missing LOGIN");
	if (optind + 2 < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind + 2]);
	params[0] = argv[optind];
	params[1] = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (params[1] && !slack_user_valid(params[1]))
		return ctl_usage_error(c, "bad Slack user id '%s' (U or W, then capital "
				       "letters and digits)", params[1]);
	rc = ctl_db_query(c, c->path,
		"UPDATE approval.approvers SET slack_user = $2 WHERE login = $1 RETURNING id",
		2, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("approver slack %s: no approver %s", params[0], params[0]);
		rc = CTL_REFUSED;
	} else if (params[1]) {
		printf("approver %s: Slack user %s decides as %s\n", params[0], params[1],
		       params[0]);
	} else {
		printf("approver %s: no Slack user\n", params[0]);
	}
	PQclear(r);
	return rc;
}

static const struct ctl_column approver_cols[] = {
	{ "LOGIN", "login", 0, 0 },
	{ "DISPLAY NAME", "display_name", 0, 0 },
	{ "UNIX LOGINS", "unix_logins", 0, 0 },
	{ "ROLES", "roles", 64, 0 },
	{ "STATUS", "status", 16, 0 },
	{ "TOKENS", "active_tokens", 16, 0 },
	{ "CREATED (UTC)", "created_at", 0, 1 },
};

static int
approver_list(struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv,
		"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
		"  'login', a.login, 'display_name', a.display_name,"
		"  'unix_logins', a.unix_logins, 'roles', a.roles,"
		"  'status', CASE WHEN a.enabled THEN 'enabled'"
		"                 WHEN a.revoked_at IS NOT NULL THEN 'revoked'"
		"                 ELSE 'disabled' END,"
		"  'password', a.password_hash IS NOT NULL,"
		"  'active_tokens', (SELECT pg_catalog.count(*) FROM approval.api_tokens t"
		"                    WHERE t.approver_id = a.id AND t.revoked_at IS NULL),"
		"  'created_at', " CTL_SQL_UTC("a.created_at") ","
		"  'revoked_at', " CTL_SQL_UTC("a.revoked_at")
		"  ) ORDER BY a.login), '[]')"
		"  FROM approval.approvers a", approver_cols, 7, "no approvers");
}

static const struct ctl_command approver_add_cmd = {
	.name = "add",
	.synopsis = "LOGIN [--unix-login U]... [--display-name NAME] [--role R]...\n"
		    "    [--slack-user U...]",
	.summary = "add an approver; prints an API token (once) alone on stdout",
	.details =
		"Options:\n"
		"  --unix-login U      a unix account of this person (repeatable): they\n"
		"                      can never decide a request made from it (nor from\n"
		"                      LOGIN itself)\n"
		"  --display-name NAME shown in the web UI and the history\n"
		"  --role R            approver (default), auditor (read only) or admin;\n"
		"                      repeatable\n"
		"  --slack-user U...   the Slack user id (U0123ABCD) whose clicks on a\n"
		"                      Slack message decide as LOGIN\n",
	.longopts = add_opts, .run = approver_add,
};
static const struct ctl_command approver_token_cmd = {
	.name = "token", .synopsis = "LOGIN",
	.summary = "issue another API token (printed once alone on stdout)",
	.run = approver_token,
};
static const struct ctl_command approver_revoke_cmd = {
	.name = "revoke", .synopsis = "LOGIN",
	.summary = "disable an approver and revoke all their API tokens",
	.run = approver_revoke,
};
static const struct ctl_command approver_slack_cmd = {
	.name = "slack", .synopsis = "LOGIN [SLACK-USER-ID]",
	.summary = "map a Slack user id to an approver (no id: unmap)",
	.run = approver_slack,
};
static const struct ctl_command approver_list_cmd = {
	.name = "list", .synopsis = "[--json]",
	.summary = "list approvers",
	.details = "Options:\n  --json   print a JSON array instead of a table\n",
	.longopts = ctl_json_opts, .run = approver_list,
};
static const struct ctl_command *const approver_cmds[] = {
	&approver_add_cmd,
	&approver_token_cmd,
	&approver_revoke_cmd,
	&approver_slack_cmd,
	&approver_list_cmd,
	&ctl_cmd_approver_passwd,	/* passwd.c */
	NULL,
};
const struct ctl_command ctl_cmd_approver = {
	.name = "approver", .synopsis = "add|token|revoke|list|passwd",
	.summary = "manage approvers and their API tokens (admin, database)",
	.sub = approver_cmds,
};
