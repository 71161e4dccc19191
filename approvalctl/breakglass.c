/* breakglass.c: `approvalctl breakglass list|close`: the review list of
 * break-glass elevations (sql/013_policy_groups.sql). A break-glass
 * request was let in without an approver; it "needs review" until an
 * approver closes it with a comment. The database refuses a close by
 * the requester, by someone who may not decide, or of a request that was
 * not break-glass, and records every close (breakglass.reviewed). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct ctl_column bg_cols[] = {
	{ "CODE", "code", 0, 0 },
	{ "AT (UTC)", "created_at", 0, 1 },
	{ "HOST", "host", 0, 0 },
	{ "USER", "requester", 0, 0 },
	{ "AS", "target_user", 0, 0 },
	{ "REVIEW", "review", 0, 0 },
	{ "REASON", "reason", 512, 0 },
	{ "COMMAND", "command", 512, 0 },
};

static int
bg_list(struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv,
		"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
		"  'code', b.code, 'created_at', " CTL_SQL_UTC("b.created_at") ","
		"  'host', b.host, 'requester', b.requester, 'target_user', b.target_user,"
		"  'review', b.review, 'reason', b.reason, 'command', b.command,"
		"  'reviewed_by', b.reviewed_by, 'review_comment', b.review_comment)"
		"  ORDER BY b.created_at), '[]')"
		"  FROM approval.report_breakglass b WHERE b.review = 'needs review'",
		bg_cols, sizeof(bg_cols) / sizeof(bg_cols[0]),
		"no break-glass elevation needs review");
}

static const struct option close_opts[] = {
	{ "approver", required_argument, NULL, 'a' },
	{ "comment", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

static int
bg_close(struct ctl_ctx *c, int argc, char **argv)
{
	const char *approver = NULL, *comment = NULL, *params[3];
	PGresult *r = NULL;
	int o, rc;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'a': approver = optarg; break;
		case 'm': comment = optarg; break;
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(c, "expected the request's CODE");
	if (!approver || !comment || !*comment)
		return ctl_usage_error(c, "--approver LOGIN and --comment TEXT are needed");
	params[0] = argv[optind];
	params[1] = approver;
	params[2] = comment;
	rc = ctl_db_query(c, c->path,
		"INSERT INTO approval.breakglass_reviews (request_id, approver_id, comment)"
		" SELECT r.id, a.id, $3 FROM approval.requests r, approval.approvers a"
		" WHERE r.code = pg_catalog.upper($1) AND a.login = $2"
		" ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
		3, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) == 1) {
		printf("break-glass %s closed by %s\n", params[0], approver);
	} else {
		ctl_err("%s: no such request or approver, or already closed", c->path);
		rc = CTL_REFUSED;
	}
	PQclear(r);
	return rc;
}

static const struct ctl_command bg_list_cmd = {
	.name = "list", .synopsis = "[--json]",
	.summary = "break-glass elevations that need review",
	.details = "Options:\n  --json   print a JSON array instead of a table\n",
	.longopts = ctl_json_opts, .run = bg_list,
};
static const struct ctl_command bg_close_cmd = {
	.name = "close", .synopsis = "CODE --approver LOGIN --comment TEXT",
	.summary = "close the review of a break-glass elevation (not by its requester)",
	.longopts = close_opts, .run = bg_close,
};
static const struct ctl_command *const bg_cmds[] = { &bg_list_cmd, &bg_close_cmd, NULL };
const struct ctl_command ctl_cmd_breakglass = {
	.name = "breakglass", .synopsis = "list|close",
	.summary = "review break-glass elevations (admin, database)",
	.sub = bg_cmds,
};
