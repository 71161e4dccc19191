/* commands.h: the command table entries, one per file (main.c lists them),
 * and small helpers the admin commands share. */
#ifndef APPROVALCTL_COMMANDS_H
#define APPROVALCTL_COMMANDS_H
#include "ctx.h"
#include "print.h"

extern const struct ctl_command ctl_cmd_migrate;	/* migrate.c */
extern const struct ctl_command ctl_cmd_host;		/* host.c */
extern const struct ctl_command ctl_cmd_approver;	/* approver.c */
extern const struct ctl_command ctl_cmd_approver_passwd;	/* passwd.c */
extern const struct ctl_command ctl_cmd_list;		/* requests.c */
extern const struct ctl_command ctl_cmd_show;
extern const struct ctl_command ctl_cmd_approve;
extern const struct ctl_command ctl_cmd_deny;
extern const struct ctl_command ctl_cmd_watch;		/* watch.c */
extern const struct ctl_command ctl_cmd_audit;		/* audit.c */
extern const struct ctl_command ctl_cmd_report;		/* report.c */
extern const struct ctl_command ctl_cmd_key;		/* key.c */
extern const struct ctl_command ctl_cmd_receipt;	/* receipt.c */
extern const struct ctl_command ctl_cmd_policy;		/* policy.c */
extern const struct ctl_command ctl_cmd_group;		/* group.c */
extern const struct ctl_command ctl_cmd_hostgroup;
/* group.c, for policy export/apply: see there. */
extern const char ctl_groups_export_sql[];
extern const char ctl_groups_diff_sql[];
/* One group change on db (inside apply's transaction): kind "group" or
 * "hostgroup"; member NULL: create group name (add 1), else add or
 * remove member. An exit code; CTL_REFUSED when nothing matched. */
int ctl_group_change(PGconn *db, const char *what, const char *kind, int add,
		     const char *name, const char *member);
extern const struct ctl_command ctl_cmd_breakglass;	/* breakglass.c */
extern const struct ctl_command ctl_cmd_request;	/* action.c */
extern const struct ctl_command ctl_cmd_exec;
/* audit verify --key FILE (checkpoints.c): every signed checkpoint valid
 * and matching the chain, in the caller's snapshot; with extfile (NULL:
 * none) the newest checkpoint kept outside the database matches the chain
 * and is still in the database; max_age_s >= 0: the newest stored
 * checkpoint is at most that old. An exit code. */
int ctl_audit_checkpoints(PGconn *db, const char *keyfile, const char *extfile,
			  long max_age_s);
extern const struct ctl_command ctl_cmd_audit_checkpoint;	/* checkpoints.c */

/* SQL: a timestamptz column as the API's time format (ISO 8601 UTC, µs). */
#define CTL_SQL_UTC(col) \
	"pg_catalog.to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Admin listings ("host list [--json]"): parse the options, run sql (one
 * row, one column: a JSON array) and print it as JSON or as a table of
 * cols. Returns an exit code. */
int ctl_admin_list(struct ctl_ctx *c, int argc, char **argv, const char *sql,
		   const struct ctl_column *cols, size_t ncols, const char *empty);

/* Parse the options of a command taking exactly one argument (label names
 * it in messages): CTL_OK with *arg set, or with *done set when --help was
 * printed; else CTL_USAGE (message printed). */
int ctl_one_arg(struct ctl_ctx *c, int argc, char **argv, const char *label,
		const char **arg, int *done);

/* The option set { --json ('j') }. */
extern const struct option ctl_json_opts[];
/* Options of a command whose only option is --json (no operands checked). */
int ctl_json_flag(struct ctl_ctx *c, int argc, char **argv, int *json, int *done);

/* Issue a token (host or approver API token): a random token with prefix
 * whose sha256 goes into the database through sql (params[hash_param] is
 * replaced by the hash; sql returns exactly one row when it stored it).
 * The token is printed alone on stdout, once, and the hint on stderr.
 * A unique violation on exists_constraint prints exists_msg, no row
 * prints none_msg (both exit 1). Returns an exit code. */
#define CTL_ISSUE_MAX_PARAMS 8
struct ctl_token_issue {
	const char *what;		/* "host add web1" for messages */
	const char *prefix;		/* "aph_" or "apa_" */
	const char *sql;
	const char *const *params;
	int nparams, hash_param;
	const char *exists_constraint, *exists_msg;
	const char *none_msg;
	const char *hint;
};
int ctl_issue_token(struct ctl_ctx *c, const struct ctl_token_issue *t);

#endif
