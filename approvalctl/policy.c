/* policy.c: `approvalctl policy add|list|show|remove|default|test`: the
 * policy rules of docs/policy.md in approval.policy_rules. Rule text is
 * parsed here with approvald's own parser (approvald/policy.c) before
 * anything is stored, and stored in canonical form; a rule that does not
 * parse is refused with its column. Every change is made by the database
 * triggers of sql/011_policy.sql into a new policy version and an audit
 * event naming the database user. `policy test` evaluates a request the
 * way approvald does, without filing anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "policy.h"
#include "print.h"

/* Parse argv's rule text; on a fault print it with a caret under the
 * column and return CTL_USAGE. */
static int
parse_arg(const char *what, const char *text, struct policy_rule **out)
{
	char err[256];
	size_t pos = 0, len = strlen(text);

	if (policy_rule_parse(text, len, out, err, sizeof(err), &pos) == 0)
		return CTL_OK;
	ctl_err("%s: rule refused: %s", what, err);
	if (len <= 200 && pos <= len)
		fprintf(stderr, "  %s\n  %*s^\n", text, (int)pos, "");
	return CTL_USAGE;
}

static int
policy_add(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_rule *rule = NULL;
	const char *text = NULL, *params[1];
	char *canon = NULL;
	PGresult *r = NULL;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "RULE", &text, &done);
	if (rc != CTL_OK || done)
		return rc;
	rc = parse_arg(c->path, text, &rule);
	if (rc != CTL_OK)
		goto out;
	rc = CTL_FAILURE;
	if (policy_rule_format(rule, &canon) < 0)
		goto out;
	params[0] = canon;
	/* the lock orders concurrent adds (the position index would refuse one) */
	rc = ctl_db_query(c, c->path,
		"WITH l AS (SELECT s.version FROM approval.policy_state s FOR UPDATE),"
		" ins AS (INSERT INTO approval.policy_rules (position, rule)"
		"   SELECT COALESCE((SELECT pg_catalog.max(p.position) FROM approval.policy_rules p"
		"                    WHERE p.removed_at IS NULL), 0) + 1, $1 FROM l"
		"   RETURNING id, position)"
		" SELECT ins.id, ins.position, l.version + 1 FROM ins, l", 1, params, &r);
	if (rc != CTL_OK)
		goto out;
	if (PQntuples(r) != 1) {
		ctl_err("%s: nothing stored", c->path);
		rc = CTL_FAILURE;
		goto out;
	}
	printf("rule %s added at position %s (policy version %s): %s\n",
	       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), canon);
	rc = CTL_OK;
out:
	PQclear(r);
	free(canon);
	policy_rule_free(rule);
	return rc;
}

static int
policy_default(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_rule *rule = NULL;
	const char *text = NULL, *params[1];
	char *canon = NULL;
	PGresult *r = NULL;
	int rc, done;

	rc = ctl_one_arg(c, argc, argv, "RULE", &text, &done);
	if (rc != CTL_OK || done)
		return rc;
	rc = parse_arg(c->path, text, &rule);
	if (rc != CTL_OK)
		goto out;
	if (!policy_rule_is_default(rule)) {
		ctl_err("%s: the default has no match fields (it is what applies "
			"when no rule matches)", c->path);
		rc = CTL_USAGE;
		goto out;
	}
	rc = CTL_FAILURE;
	if (policy_rule_format(rule, &canon) < 0)
		goto out;
	params[0] = canon;
	rc = ctl_db_query(c, c->path,
		"UPDATE approval.policy_state SET default_rule = $1 RETURNING version",
		1, params, &r);
	if (rc != CTL_OK)
		goto out;
	printf("default is now: %s (policy version %s)\n", canon,
	       PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?");
out:
	PQclear(r);
	free(canon);
	policy_rule_free(rule);
	return rc;
}

/* A rule id operand: digits only, so it is never taken for something else. */
static int
rule_id_arg(struct ctl_ctx *c, int argc, char **argv, const char **id, int *done)
{
	int rc = ctl_one_arg(c, argc, argv, "RULE-ID", id, done);

	if (rc != CTL_OK || *done)
		return rc;
	if (!**id || strspn(*id, "0123456789") != strlen(*id) || strlen(*id) > 18)
		return ctl_usage_error(c, "bad rule id '%s' (a number, see 'policy list')", *id);
	return CTL_OK;
}

static int
policy_remove(struct ctl_ctx *c, int argc, char **argv)
{
	const char *id = NULL, *params[1];
	PGresult *r = NULL;
	int rc, done;

	rc = rule_id_arg(c, argc, argv, &id, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = id;
	rc = ctl_db_query(c, c->path,
		"UPDATE approval.policy_rules SET removed_at = pg_catalog.now(),"
		" removed_by = approval.audit_actor()"
		" WHERE id = $1::bigint AND removed_at IS NULL"
		" RETURNING rule, (SELECT s.version + 1 FROM approval.policy_state s)",
		1, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("%s: no active rule %s (see 'approvalctl policy list')", c->path, id);
		rc = CTL_REFUSED;
	} else {
		printf("rule %s removed (policy version %s): %s\n", id,
		       PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

static const struct ctl_column policy_cols[] = {
	{ "ID", "id", 0, 0 },
	{ "POS", "position", 0, 0 },
	{ "RULE", "rule", 1024, 0 },
	{ "ADDED (UTC)", "created_at", 0, 1 },
	{ "BY", "created_by", 0, 0 },
};

static int
policy_list(struct ctl_ctx *c, int argc, char **argv)
{
	return ctl_admin_list(c, argc, argv,
		"SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object("
		"  'id', p.id, 'position', p.position, 'rule', p.rule, 'action', p.action,"
		"  'created_at', " CTL_SQL_UTC("p.created_at") ", 'created_by', p.created_by"
		"  ) ORDER BY p.position), '[]')"
		"  FROM approval.policy_rules p WHERE p.removed_at IS NULL",
		policy_cols, 5, "no rules (every request gets the default)");
}

static int
policy_show(struct ctl_ctx *c, int argc, char **argv)
{
	const char *id = NULL, *params[1];
	PGresult *r = NULL;
	int rc, done;

	rc = rule_id_arg(c, argc, argv, &id, &done);
	if (rc != CTL_OK || done)
		return rc;
	params[0] = id;
	rc = ctl_db_query(c, c->path,
		"SELECT p.id, p.position, p.rule, p.action, " CTL_SQL_UTC("p.created_at") ","
		" p.created_by, " CTL_SQL_UTC("p.removed_at") ", p.removed_by,"
		" (SELECT pg_catalog.count(*) FROM approval.requests q WHERE q.policy_rule_id = p.id)"
		" FROM approval.policy_rules p WHERE p.id = $1::bigint", 1, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) != 1) {
		ctl_err("%s: no rule %s", c->path, id);
		rc = CTL_REFUSED;
	} else {
		printf("rule %s\n  text:     %s\n  action:   %s\n  status:   %s\n"
		       "  position: %s\n  added:    %s by %s\n",
		       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
		       PQgetisnull(r, 0, 6) ? "active" : "removed",
		       PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5));
		if (!PQgetisnull(r, 0, 6))
			printf("  removed:  %s by %s\n", PQgetvalue(r, 0, 6),
			       PQgetvalue(r, 0, 7));
		printf("  decided:  %s request(s)\n", PQgetvalue(r, 0, 8));
	}
	PQclear(r);
	return rc;
}

static const struct option test_opts[] = {
	{ "host", required_argument, NULL, 'H' },
	{ "user", required_argument, NULL, 'u' },
	{ "target", required_argument, NULL, 't' },
	{ "service", required_argument, NULL, 's' },
	{ "command", required_argument, NULL, 'c' },
	{ "cut", no_argument, NULL, 'x' },
	{ NULL, 0, NULL, 0 },
};

/* Print one rule's verdict; 1 when it matched. */
static int
test_one(const char *label, const char *text, const struct policy_query *q, int *broken)
{
	struct policy_rule *rule = NULL;
	char err[256], why[512];
	size_t pos;
	int m;

	if (policy_rule_parse(text, strlen(text), &rule, err, sizeof(err), &pos) < 0) {
		printf("%-12s does not parse (%s): approvald stops here and a human "
		       "decides\n  %s\n", label, err, text);
		*broken = 1;
		return 1;
	}
	m = policy_rule_match(rule, q, why, sizeof(why));
	printf("%-12s %s: %s\n  %s\n", label, m ? "MATCHES" : "no", why, text);
	policy_rule_free(rule);
	return m;
}

static int
policy_test(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_query q = { NULL, NULL, NULL, NULL, NULL, 0 };
	char label[40];
	PGresult *r = NULL;
	int rc, o, i, n, broken = 0;
	const char *action;

	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		switch (o) {
		case CTL_OPT_HELP:
			return CTL_OK;
		case 'H': q.host = optarg; break;
		case 'u': q.user = optarg; break;
		case 't': q.target = optarg; break;
		case 's': q.service = optarg; break;
		case 'c': q.command = optarg; break;
		case 'x': q.command_truncated = 1; break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!q.host || !q.user || !q.target || !q.service || !q.command)
		return ctl_usage_error(c, "--host, --user, --target, --service and "
				       "--command are all needed");
	/* the statement approvald runs (approvald/policy_db.c) */
	rc = ctl_db_query(c, c->path,
		"SELECT s.version, s.default_rule, r.id, r.rule"
		" FROM approval.policy_state s"
		" LEFT JOIN approval.policy_rules r ON r.removed_at IS NULL"
		" ORDER BY r.position", 0, NULL, &r);
	if (rc != CTL_OK)
		return rc;
	n = PQntuples(r);
	if (n < 1) {
		ctl_err("%s: approval.policy_state has no row", c->path);
		rc = CTL_FAILURE;
		goto out;
	}
	printf("policy version %s, host %s, user %s, target %s, service %s%s\n",
	       PQgetvalue(r, 0, 0), q.host, q.user, q.target, q.service,
	       q.command_truncated ? " (command cut)" : "");
	for (i = 0; i < n && !PQgetisnull(r, i, 2); i++) {
		snprintf(label, sizeof(label), "rule %s", PQgetvalue(r, i, 2));
		if (test_one(label, PQgetvalue(r, i, 3), &q, &broken))
			break;
	}
	if (broken) {
		printf("decision: require (a human decides)\n");
	} else if (i < n && !PQgetisnull(r, i, 2)) {
		action = PQgetvalue(r, i, 3);
		printf("decision: %.*s by rule %s\n", (int)strcspn(action, " "), action,
		       PQgetvalue(r, i, 2));
	} else {
		test_one("default", PQgetvalue(r, 0, 1), &q, &broken);
		action = PQgetvalue(r, 0, 1);
		printf("decision: %.*s by the default\n", (int)strcspn(action, " "), action);
	}
	rc = CTL_OK;
out:
	PQclear(r);
	return rc;
}

static const struct ctl_command policy_add_cmd = {
	.name = "add", .synopsis = "RULE",
	.summary = "add a rule at the end (first match wins); prints its id",
	.details = "RULE: one line of docs/policy.md, as one argument, e.g.\n"
		   "  'allow service=sudo command-prefix=\"/usr/bin/systemctl status \"'\n"
		   "A rule that does not parse is refused with its column (exit 2).\n",
	.run = policy_add,
};
static const struct ctl_command policy_list_cmd = {
	.name = "list", .synopsis = "[--json]",
	.summary = "list the active rules in order",
	.details = "Options:\n  --json   print a JSON array instead of a table\n",
	.longopts = ctl_json_opts, .run = policy_list,
};
static const struct ctl_command policy_show_cmd = {
	.name = "show", .synopsis = "RULE-ID",
	.summary = "show one rule (removed ones too) and how many requests it decided",
	.run = policy_show,
};
static const struct ctl_command policy_remove_cmd = {
	.name = "remove", .synopsis = "RULE-ID",
	.summary = "remove a rule (kept in history; requests still name it)",
	.run = policy_remove,
};
static const struct ctl_command policy_default_cmd = {
	.name = "default", .synopsis = "RULE",
	.summary = "set what applies when no rule matches (initially 'require approvals=1')",
	.details = "RULE: an action with no match fields: 'require approvals=1',\n"
		   "'deny message=\"...\"' or 'allow'.\n",
	.run = policy_default,
};
static const struct ctl_command policy_test_cmd = {
	.name = "test",
	.synopsis = "--host H --user U --target T --service S --command CMD [--cut]",
	.summary = "show which rule decides such a request, and why; files nothing",
	.details = "Options:\n"
		   "  --host H      the host's enrolled name (approvalctl host list)\n"
		   "  --user U      the requesting unix login\n"
		   "  --target T    the user the command runs as\n"
		   "  --service S   the PAM service (sudo, su, ...)\n"
		   "  --command CMD the full command (sudo: the resolved path and args)\n"
		   "  --cut         the module reported the command cut\n",
	.longopts = test_opts, .run = policy_test,
};
static const struct ctl_command *const policy_cmds[] = {
	&policy_add_cmd, &policy_list_cmd, &policy_show_cmd, &policy_remove_cmd,
	&policy_default_cmd, &policy_test_cmd, NULL,
};
const struct ctl_command ctl_cmd_policy = {
	.name = "policy", .synopsis = "add|list|show|remove|default|test",
	.summary = "manage the policy rules (admin, database)",
	.sub = policy_cmds,
};
