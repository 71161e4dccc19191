/* group.c: `approvalctl group` (approver groups a require rule names with
 * groups=) and `approvalctl hostgroup` (host groups a rule matches with
 * host=@NAME), in approval.approver_groups / approval.host_groups of
 * sql/013_policy_groups.sql. Both kinds share one implementation over a
 * description of their tables. Every change is an audit event with who
 * made it and a new policy version (the database's triggers). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct group_kind {
	const char *noun;	/* "group", "host group" */
	const char *member;	/* "approver", "host" */
	const char *add_sql;	/* $1 name */
	const char *member_add_sql;	/* $1 group, $2 member: one row when added */
	const char *member_remove_sql;
	const char *list_sql;	/* one row, one column: a JSON array */
};

/* What tells the two kinds apart, in the argument order of the macros
 * below: a policy file's keyword, the groups table, the members table and
 * its member column, the members' own table and their name there. */
#define APPROVER_GROUPS "group", "approver_groups", "group_members", "approver_id", \
	"approvers", "login"
#define HOST_GROUPS "hostgroup", "host_groups", "host_group_members", "host_id", \
	"hosts", "name"

/* A kind's statements, as struct group_kind lists them (after noun and
 * member). */
#define KIND_SQL_(kw, groups, members, member_id, things, thing_name)		\
	"INSERT INTO approval." groups " (name) VALUES ($1) RETURNING id",	\
	"INSERT INTO approval." members " (group_id, " member_id ")"		\
	" SELECT g.id, x.id FROM approval." groups " g, approval." things " x"	\
	" WHERE g.name = $1 AND x." thing_name " = $2 ON CONFLICT DO NOTHING"	\
	" RETURNING group_id",							\
	"DELETE FROM approval." members " m USING approval." groups " g,"	\
	" approval." things " x WHERE m.group_id = g.id AND m." member_id	\
	" = x.id AND g.name = $1 AND x." thing_name " = $2 RETURNING m.group_id", \
	"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("	\
	"  'name', g.name, 'members', (SELECT pg_catalog.string_agg(x."		\
	thing_name ", ',' ORDER BY x." thing_name ") FROM approval." members	\
	" m JOIN approval." things " x ON x.id = m." member_id			\
	"   WHERE m.group_id = g.id), 'created_by', g.created_by) ORDER BY g.name), '[]')" \
	" FROM approval." groups " g"
#define KIND_SQL(...) KIND_SQL_(__VA_ARGS__)

/* A kind's groups as rows kind, name, member (NULL: a group without
 * members), as a policy file states them. */
#define KIND_ROWS_(kw, groups, members, member_id, things, thing_name)	\
	"SELECT '" kw "'::text AS kind, g.name, x." thing_name " AS member"	\
	" FROM approval." groups " g LEFT JOIN approval." members		\
	" m ON m.group_id = g.id LEFT JOIN approval." things " x ON x.id = m." member_id
#define KIND_ROWS(...) KIND_ROWS_(__VA_ARGS__)

/* f.member (of kind f.kind) exists as an approver or host */
#define KIND_KNOWN_(kw, groups, members, member_id, things, thing_name)	\
	" WHEN '" kw "' THEN EXISTS (SELECT 1 FROM approval." things " x"	\
	" WHERE x." thing_name " = f.member)"
#define KIND_KNOWN(...) KIND_KNOWN_(__VA_ARGS__)

#define ALL_GROUP_ROWS KIND_ROWS(APPROVER_GROUPS) " UNION ALL " KIND_ROWS(HOST_GROUPS)

static const struct group_kind approver_kind = {
	"group", "approver", KIND_SQL(APPROVER_GROUPS),
};

static const struct group_kind host_kind = {
	"host group", "host", KIND_SQL(HOST_GROUPS),
};

/* The groups and members of both kinds as a policy file states them, one
 * row per group: kind ("group", "hostgroup"), name, members (space
 * separated, sorted; '' when none), by kind and name. */
const char ctl_groups_export_sql[] =
	"SELECT d.kind, d.name, COALESCE(pg_catalog.string_agg(d.member, ' '"
	" ORDER BY d.member), '') FROM (" ALL_GROUP_ROWS ") d"
	" GROUP BY d.kind, d.name ORDER BY 1, 2";

/* The difference between a policy file's groups ($1: a JSON array of
 * {kind, name, member}, member null for the group itself) and the
 * database's: rows op ('+' or '-'), kind, name, member (NULL: the group),
 * known (a '+' member exists as an approver or host). A group the file
 * does not name keeps existing (groups are history) without members.
 * Ordered so that a group is created before its members. */
const char ctl_groups_diff_sql[] =
	"WITH f AS (SELECT DISTINCT x.kind, x.name, x.member FROM pg_catalog.jsonb_to_recordset($1::jsonb)"
	"  AS x(kind text, name text, member text)),"
	" db AS (" ALL_GROUP_ROWS ")"
	" SELECT d.op, d.kind, d.name, d.member, d.known FROM ("
	"  SELECT DISTINCT '+' AS op, f.kind, f.name, NULL::text AS member, true AS known FROM f"
	"   WHERE NOT EXISTS (SELECT 1 FROM db WHERE db.kind = f.kind AND db.name = f.name)"
	"  UNION ALL SELECT '+', f.kind, f.name, f.member, CASE f.kind"
	KIND_KNOWN(APPROVER_GROUPS) KIND_KNOWN(HOST_GROUPS) " ELSE false END FROM f"
	"   WHERE f.member IS NOT NULL AND NOT EXISTS (SELECT 1 FROM db WHERE db.kind = f.kind"
	"   AND db.name = f.name AND db.member = f.member)"
	"  UNION ALL SELECT '-', db.kind, db.name, db.member, true FROM db"
	"   WHERE db.member IS NOT NULL AND NOT EXISTS (SELECT 1 FROM f WHERE f.kind = db.kind"
	"   AND f.name = db.name AND f.member = db.member)"
	" ) d ORDER BY d.kind, d.name, d.member NULLS FIRST, d.op";

int
ctl_group_change(PGconn *db, const char *what, const char *kind, int add,
		 const char *name, const char *member)
{
	const struct group_kind *k = strcmp(kind, "group") == 0 ? &approver_kind :
				     strcmp(kind, "hostgroup") == 0 ? &host_kind : NULL;
	const char *params[2] = { name, member };
	PGresult *r = NULL;
	int rc;

	if (!k || (!member && !add)) {
		ctl_err("%s: unknown group change", what);
		return CTL_FAILURE;
	}
	rc = ctl_db_do(db, what, !member ? k->add_sql : add ? k->member_add_sql :
		       k->member_remove_sql, member ? 2 : 1, params, &r);
	if (rc == CTL_OK && PQntuples(r) != 1) {
		ctl_err("%s: %s %s: no such %s", what, kind, name, k->member);
		rc = CTL_REFUSED;
	}
	PQclear(r);
	return rc;
}

/* Exactly n operands after the options: CTL_OK with them at argv[optind..],
 * *done after --help, or a usage error. */
static int
operands(struct ctl_ctx *c, int argc, char **argv, int n, int *done)
{
	int o;

	*done = 0;
	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		if (o == CTL_OPT_HELP) {
			*done = 1;
			return CTL_OK;
		}
		return CTL_USAGE;
	}
	if (argc - optind != n)
		return ctl_usage_error(c, "expected %d argument%s", n, n == 1 ? "" : "s");
	return CTL_OK;
}

static int
do_add(const struct group_kind *k, struct ctl_ctx *c, int argc, char **argv)
{
	const char *params[1];
	PGresult *r = NULL;
	int rc, done;

	rc = operands(c, argc, argv, 1, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = argv[optind];
	rc = ctl_db_query(c, c->path, k->add_sql, 1, params, &r);
	if (rc == CTL_OK)
		printf("%s %s added\n", k->noun, params[0]);
	PQclear(r);
	return rc;
}

static int
do_member(const struct group_kind *k, int add, struct ctl_ctx *c, int argc, char **argv)
{
	const char *params[2];
	PGresult *r = NULL;
	int rc, done;

	rc = operands(c, argc, argv, 2, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = argv[optind];
	params[1] = argv[optind + 1];
	rc = ctl_db_query(c, c->path, add ? k->member_add_sql : k->member_remove_sql,
			  2, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) == 1) {
		printf("%s %s %s %s %s\n", k->member, params[1], add ? "added to" : "removed from",
		       k->noun, params[0]);
	} else {
		ctl_err("%s: %s", c->path, add ? "no such group or member, or already a member"
						: "not a member (or no such group)");
		rc = CTL_REFUSED;
	}
	PQclear(r);
	return rc;
}

static const struct ctl_column group_cols[] = {
	{ "NAME", "name", 0, 0 },
	{ "MEMBERS", "members", 1024, 0 },
	{ "BY", "created_by", 0, 0 },
};

static int
do_list(const struct group_kind *k, struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv, k->list_sql, group_cols, 3, "no groups");
}

/* One kind's command tree (`approvalctl CMD_WORD add|member|list`): pfx
 * names its functions and tables, kind is its struct group_kind, cmd the
 * ctl_command main.c lists; the rest is what --help says, which is all
 * that differs between the two kinds. */
#define KIND_CMDS(pfx, kind, cmd, top_word, top_help, member_word, add_help,	\
		  madd_help, mremove_help, member_help, list_help)		\
static int pfx##_add(struct ctl_ctx *c, int argc, char **argv)				\
{ return do_add(&kind, c, argc, argv); }						\
static int pfx##_member_add(struct ctl_ctx *c, int argc, char **argv)			\
{ return do_member(&kind, 1, c, argc, argv); }						\
static int pfx##_member_remove(struct ctl_ctx *c, int argc, char **argv)		\
{ return do_member(&kind, 0, c, argc, argv); }						\
static int pfx##_list(struct ctl_ctx *c, int argc, char **argv)				\
{ return do_list(&kind, c, argc, argv); }						\
static const struct ctl_command pfx##_add_cmd = {					\
	.name = "add", .synopsis = "NAME", .summary = add_help, .run = pfx##_add,	\
};											\
static const struct ctl_command pfx##_member_add_cmd = {				\
	.name = "add", .synopsis = "GROUP " member_word, .summary = madd_help,	\
	.run = pfx##_member_add,							\
};											\
static const struct ctl_command pfx##_member_remove_cmd = {				\
	.name = "remove", .synopsis = "GROUP " member_word, .summary = mremove_help,	\
	.run = pfx##_member_remove,							\
};											\
static const struct ctl_command *const pfx##_member_cmds[] = {				\
	&pfx##_member_add_cmd, &pfx##_member_remove_cmd, NULL,				\
};											\
static const struct ctl_command pfx##_member_cmd = {					\
	.name = "member", .synopsis = "add|remove", .summary = member_help,		\
	.sub = pfx##_member_cmds,							\
};											\
static const struct ctl_command pfx##_list_cmd = {					\
	.name = "list", .synopsis = "[--json]", .summary = list_help,		\
	.details = "Options:\n  --json   print a JSON array instead of a table\n",	\
	.longopts = ctl_json_opts, .run = pfx##_list,					\
};											\
static const struct ctl_command *const pfx##_cmds[] = {					\
	&pfx##_add_cmd, &pfx##_member_cmd, &pfx##_list_cmd, NULL,			\
};											\
const struct ctl_command cmd = {							\
	.name = top_word, .synopsis = "add|member|list", .summary = top_help,		\
	.sub = pfx##_cmds,								\
}

KIND_CMDS(agroup, approver_kind, ctl_cmd_group, "group",
	  "manage approver groups for N-of-M rules (admin, database)", "LOGIN",
	  "add an approver group (a-z, 0-9, _ and -; a rule names it with groups=)",
	  "add an approver to a group", "remove an approver from a group",
	  "change a group's members", "list approver groups and members");
KIND_CMDS(hgroup, host_kind, ctl_cmd_hostgroup, "hostgroup",
	  "manage host groups for host=@NAME rules (admin, database)", "HOST",
	  "add a host group (a rule matches it with host=@NAME)",
	  "add an enrolled host to a group", "remove a host from a group",
	  "change a host group's members", "list host groups and members");
