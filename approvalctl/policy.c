/* policy.c: `approvalctl policy add|list|show|remove|move|default|test`: the
 * policy rules of docs/policy.md in approval.policy_rules. Rule text is
 * parsed here with approvald's own parser (approvald/policy.c) before
 * anything is stored, and stored in canonical form; a rule that does not
 * parse is refused with its column. Every change is made by the database
 * triggers of sql/011_policy.sql into a new policy version and an audit
 * event naming the database user. `policy test` evaluates a request the
 * way approvald does, without filing anything; `export` and `apply` keep
 * the policy as a file; `lint` finds rules an earlier one covers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <json-c/json.h>

#include "commands.h"
#include "policy.h"
#include "policy_db.h"	/* POLICY_LOAD_SQL only: no daemon code runs here */
#include "print.h"
#include "wire.h"

static const char load_sql[] = POLICY_LOAD_SQL;

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

/* The RULE operand of add and default: parsed (*rule, policy_rule_free)
 * and in its canonical text (*canon, free). default_only refuses a rule
 * with match fields. CTL_OK, or the exit code after saying why. */
static int
rule_operand(struct ctl_ctx *c, int argc, char **argv, int default_only,
	     struct policy_rule **rule, char **canon, int *done)
{
	const char *text = NULL;
	int rc = ctl_one_arg(c, argc, argv, "RULE", &text, done);

	if (rc != CTL_OK || *done)
		return rc;
	rc = parse_arg(c->path, text, rule);
	if (rc != CTL_OK)
		return rc;
	if (default_only && !policy_rule_is_default(*rule)) {
		ctl_err("%s: the default has no match fields (it is what applies "
			"when no rule matches)", c->path);
		return CTL_USAGE;
	}
	return policy_rule_format(*rule, canon) < 0 ? CTL_FAILURE : CTL_OK;
}

static int
policy_add(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_rule *rule = NULL;
	const char *params[1];
	char *canon = NULL;
	PGresult *r = NULL;
	int rc, done = 0;

	rc = rule_operand(c, argc, argv, 0, &rule, &canon, &done);
	if (rc != CTL_OK || done)
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
	const char *params[1];
	char *canon = NULL;
	PGresult *r = NULL;
	int rc, done = 0;

	rc = rule_operand(c, argc, argv, 1, &rule, &canon, &done);
	if (rc != CTL_OK || done)
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

/* Move a rule to place POSITION (1 = tried first) of the active rules:
 * one statement renumbers them, so the database records one
 * policy.rules_moved event and one new version (sql/019). */
static int
policy_move(struct ctl_ctx *c, int argc, char **argv)
{
	const char *params[2];
	PGresult *r = NULL;
	int rc, o;

	while ((o = ctl_getopt(c, argc, argv)) != -1)
		return o == CTL_OPT_HELP ? CTL_OK : CTL_USAGE;
	if (argc - optind != 2)
		return ctl_usage_error(c, "expected RULE-ID POSITION");
	params[0] = argv[optind];
	params[1] = argv[optind + 1];
	if (!*params[0] || strspn(params[0], "0123456789") != strlen(params[0]) ||
	    strlen(params[0]) > 18)
		return ctl_usage_error(c, "bad rule id '%s' (a number, see 'policy list')",
				       params[0]);
	if (!*params[1] || strspn(params[1], "0123456789") != strlen(params[1]) ||
	    strlen(params[1]) > 9)
		return ctl_usage_error(c, "bad position '%s' (1 is tried first)", params[1]);
	rc = ctl_db_query(c, c->path,
		"SELECT approval.policy_move($1::bigint, $2::integer),"
		" (SELECT p.rule FROM approval.policy_rules p WHERE p.id = $1::bigint)",
		2, params, &r);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(r) == 1)
		printf("rule %s is at position %s (policy version %s): %s\n", params[0],
		       params[1], PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	return CTL_OK;
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
	{ "initiator", required_argument, NULL, 'i' },
	{ "at", required_argument, NULL, 'a' },
	{ "reason", required_argument, NULL, 'r' },
	{ "ticket", required_argument, NULL, 'T' },
	{ "groups", required_argument, NULL, 'g' },
	{ NULL, 0, NULL, 0 },
};

/* What policy test evaluates besides the query: reason and ticket. */
struct test_input {
	const char *reason, *ticket;
};

/* Print one rule's verdict; 1 when it matched. */
static int
test_one(const char *label, const char *text, const struct policy_query *q,
	 const struct test_input *in, int *broken)
{
	struct policy_rule *rule = NULL;
	char err[256], why[512], need[POLICY_MESSAGE_MAX];
	const char *missing;
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
	missing = m && rule->action != POLICY_DENY ?
		  policy_rule_missing(rule, in->reason, in->ticket, need, sizeof(need),
				      NULL) : NULL;
	if (missing)
		printf("  refused before anyone is asked: %s\n", missing);
	policy_rule_free(rule);
	return m;
}

/* The clocks of every zone the stored rules and the default name, at
 * "at" (NULL: now), as approvald computes them. *cres owns the texts. */
static int
test_clocks(struct ctl_ctx *c, const PGresult *r, const char *at, PGresult **cres,
	    struct policy_clock **clocks, size_t *nclocks)
{
	int n = PQntuples(r), i, rc = CTL_FAILURE;
	struct policy_rule **rules = calloc((size_t)n + 1, sizeof(*rules));
	const char *params[2] = { NULL, at };
	char *zones = NULL, err[8];
	size_t pos;

	*cres = NULL;
	*clocks = NULL;
	*nclocks = 0;
	if (!rules)
		return CTL_FAILURE;
	for (i = 0; i < n; i++)
		if (!PQgetisnull(r, i, 3))
			(void)policy_rule_parse(PQgetvalue(r, i, 3), strlen(PQgetvalue(r, i, 3)),
						&rules[i], err, sizeof(err), &pos);
	(void)policy_rule_parse(PQgetvalue(r, 0, 1), strlen(PQgetvalue(r, 0, 1)),
				&rules[n], err, sizeof(err), &pos);
	if (policy_zones_literal((const struct policy_rule *const *)rules, (size_t)n + 1,
				 &zones) < 0)
		goto out;
	params[0] = zones;
	rc = ctl_db_query(c, c->path, POLICY_CLOCK_SQL, 2, params, cres);
	if (rc != CTL_OK)
		goto out;
	rc = CTL_FAILURE;
	*clocks = calloc((size_t)PQntuples(*cres) + 1, sizeof(**clocks));
	if (!*clocks)
		goto out;
	for (i = 0; i < PQntuples(*cres); i++) {
		(*clocks)[i].tz = PQgetvalue(*cres, i, 0);
		(*clocks)[i].dow = atoi(PQgetvalue(*cres, i, 1));
		(*clocks)[i].minute = atoi(PQgetvalue(*cres, i, 2));
		printf("clock %s: %s %02d:%02d\n", (*clocks)[i].tz,
		       policy_day_name((*clocks)[i].dow),
		       (*clocks)[i].minute / 60, (*clocks)[i].minute % 60);
	}
	*nclocks = (size_t)PQntuples(*cres);
	rc = CTL_OK;
out:
	for (i = 0; i <= n; i++)
		policy_rule_free(rules[i]);
	free(rules);
	free(zones);
	return rc;
}

static int
policy_test(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_query q = { NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL };
	struct test_input in = { NULL, NULL };
	const char *fp[4] = { NULL, NULL, NULL, NULL }, *at = NULL;
	struct policy_clock *clocks = NULL;
	char label[40];
	PGresult *r = NULL, *facts = NULL, *cres = NULL;
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
		case 'i': q.initiator = optarg; break;
		case 'a': at = optarg; break;
		case 'r': in.reason = optarg; break;
		case 'T': in.ticket = optarg; break;
		case 'g': q.user_groups = optarg; break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!q.host || !q.user || !q.target || !q.service || !q.command)
		return ctl_usage_error(c, "--host, --user, --target, --service and "
				       "--command are all needed");
	/* the statements approvald runs (approvald/policy_db.c); the
	 * initiator is the host's setting or human unless --initiator */
	fp[0] = q.host;
	rc = ctl_db_query(c, c->path, POLICY_FACTS_SQL, 4, fp, &facts);
	if (rc != CTL_OK)
		return rc;
	if (PQntuples(facts) == 1) {
		if (!q.initiator)
			q.initiator = PQgetvalue(facts, 0, 0);
		q.host_groups = PQgetvalue(facts, 0, 1);
	}
	rc = ctl_db_query(c, c->path, load_sql, 0, NULL, &r);
	if (rc != CTL_OK)
		goto out;
	n = PQntuples(r);
	if (n < 1) {
		ctl_err("%s: approval.policy_state has no row", c->path);
		rc = CTL_FAILURE;
		goto out;
	}
	printf("policy version %s, host %s, user %s, target %s, service %s, "
	       "initiator %s%s%s%s\n",
	       PQgetvalue(r, 0, 0), q.host, q.user, q.target, q.service,
	       q.initiator ? q.initiator : "human",
	       q.host_groups && *q.host_groups ? ", host groups " : "",
	       q.host_groups && *q.host_groups ? q.host_groups : "",
	       q.command_truncated ? " (command cut)" : "");
	rc = test_clocks(c, r, at, &cres, &clocks, &q.nclocks);
	if (rc != CTL_OK)
		goto out;
	q.clocks = clocks;
	for (i = 0; i < n && !PQgetisnull(r, i, 2); i++) {
		snprintf(label, sizeof(label), "rule %s", PQgetvalue(r, i, 2));
		if (test_one(label, PQgetvalue(r, i, 3), &q, &in, &broken))
			break;
	}
	if (broken) {
		printf("decision: require (a human decides)\n");
	} else if (i < n && !PQgetisnull(r, i, 2)) {
		action = PQgetvalue(r, i, 3);
		printf("decision: %.*s by rule %s\n", (int)strcspn(action, " "), action,
		       PQgetvalue(r, i, 2));
	} else {
		test_one("default", PQgetvalue(r, 0, 1), &q, &in, &broken);
		action = PQgetvalue(r, 0, 1);
		printf("decision: %.*s by the default\n", (int)strcspn(action, " "), action);
	}
	rc = CTL_OK;
out:
	free(clocks);
	PQclear(cres);
	PQclear(r);
	PQclear(facts);
	return rc;
}

/* ---- policy as code: export and apply ---- */

#define POLICY_FILE_MAX (1024 * 1024)	/* bytes of a policy file */
#define POLICY_FILE_RULES 10000


/* Open the transaction export and apply read in: a read-only snapshot,
 * or (for_update) one that holds the policy row until it ends. Then the
 * state and active rules (load_sql) into *r and the groups (groups_sql,
 * with param as $1 when not NULL) into *g. An exit code; CTL_OK only
 * with the state row in *r. */
static int
policy_snapshot(struct ctl_ctx *c, PGconn *db, int for_update, const char *groups_sql,
		const char *param, PGresult **r, PGresult **g)
{
	const char *params[1] = { param };
	int rc;

	rc = ctl_db_do(db, c->path, for_update ? "BEGIN" :
		       "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL);
	if (rc == CTL_OK && for_update)
		rc = ctl_db_do(db, c->path, "SELECT 1 FROM approval.policy_state FOR UPDATE",
			       0, NULL, NULL);
	if (rc == CTL_OK)
		rc = ctl_db_do(db, c->path, load_sql, 0, NULL, r);
	if (rc == CTL_OK)
		rc = ctl_db_do(db, c->path, groups_sql, param ? 1 : 0, param ? params : NULL, g);
	if (rc == CTL_OK && PQntuples(*r) < 1) {
		ctl_err("%s: approval.policy_state has no row", c->path);
		rc = CTL_FAILURE;
	}
	return rc;
}

static int
policy_export(struct ctl_ctx *c, int argc, char **argv)
{
	PGconn *db = NULL;
	PGresult *r = NULL, *g = NULL;
	int rc, o, i, n;

	while ((o = ctl_getopt(c, argc, argv)) != -1)
		return o == CTL_OPT_HELP ? CTL_OK : CTL_USAGE;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	rc = ctl_db_connect(c, 0, &db);
	if (rc != CTL_OK)
		return rc;
	rc = policy_snapshot(c, db, 0, ctl_groups_export_sql, NULL, &r, &g);
	if (rc != CTL_OK)
		goto out;
	n = PQntuples(r);
	printf("# approvalctl policy export: policy version %s\n"
	       "# One rule per line (docs/policy.md), first match wins;\n"
	       "# 'group NAME LOGIN...' and 'hostgroup NAME HOST...' list the members;\n"
	       "# 'approvalctl policy apply FILE' makes the database match this file.\n"
	       "default %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	for (i = 0; i < PQntuples(g); i++)
		printf("%s %s%s%s\n", PQgetvalue(g, i, 0), PQgetvalue(g, i, 1),
		       *PQgetvalue(g, i, 2) ? " " : "", PQgetvalue(g, i, 2));
	for (i = 0; i < n && !PQgetisnull(r, i, 2); i++)
		printf("%s\n", PQgetvalue(r, i, 3));
	rc = fflush(stdout) == 0 && !ferror(stdout) ? CTL_OK : CTL_FAILURE;
out:
	PQclear(g);
	PQclear(r);
	PQfinish(db);
	return rc;
}

struct policy_file {
	char **rules;		/* canonical texts, in order */
	size_t n;
	char *def;		/* canonical default, or NULL: unchanged */
	json_object *groups;	/* [{kind, name, member}], member null: the group */
};

static void
policy_file_free(struct policy_file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->rules[i]);
	free(f->rules);
	free(f->def);
	json_object_put(f->groups);
	memset(f, 0, sizeof(*f));
}

/* 1 when name was not stated before in groups (kind, name, member null). */
static int
group_new(json_object *groups, const char *kind, const char *name)
{
	size_t i, n = json_object_array_length(groups);

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(groups, i), *v;

		if (json_object_object_get_ex(e, "member", &v) && v)
			continue;
		if (json_object_object_get_ex(e, "kind", &v) &&
		    strcmp(json_object_get_string(v), kind) == 0 &&
		    json_object_object_get_ex(e, "name", &v) &&
		    strcmp(json_object_get_string(v), name) == 0)
			return 0;
	}
	return 1;
}

/* One {kind, name, member} of a policy file's groups; member NULL: the
 * group itself. */
static int
group_entry(json_object *groups, const char *kind, const char *name, const char *member)
{
	json_object *e = json_object_new_object();

	if (!e || json_object_array_add(groups, e) < 0) {
		json_object_put(e);
		return -ENOMEM;
	}
	if (approve_json_add_str(e, "kind", kind) < 0 ||
	    approve_json_add_str(e, "name", name) < 0 ||
	    approve_json_add(e, "member", member ? json_object_new_string(member) : NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* A 'group NAME MEMBER...' or 'hostgroup NAME HOST...' line (t: from the
 * keyword, NUL-terminated, modified) into pf->groups: CTL_OK, CTL_USAGE
 * (printed as PATH:LINE:) or CTL_FAILURE. */
static int
group_line(char *t, const char *path, unsigned long lineno, struct policy_file *pf)
{
	char *save = NULL, *kind = strtok_r(t, " \t", &save);
	char *name = strtok_r(NULL, " \t", &save), *m;

	if (!name) {
		ctl_err("%s:%lu: %s needs a NAME", path, lineno, kind);
		return CTL_USAGE;
	}
	if (!pf->groups && !(pf->groups = json_object_new_array()))
		return CTL_FAILURE;
	if (!group_new(pf->groups, kind, name)) {
		ctl_err("%s:%lu: %s %s is stated twice", path, lineno, kind, name);
		return CTL_USAGE;
	}
	if (group_entry(pf->groups, kind, name, NULL) < 0)
		return CTL_FAILURE;
	while ((m = strtok_r(NULL, " \t", &save))) {
		if (json_object_array_length(pf->groups) >= POLICY_FILE_RULES) {
			ctl_err("%s:%lu: too many group members", path, lineno);
			return CTL_USAGE;
		}
		if (group_entry(pf->groups, kind, name, m) < 0)
			return CTL_FAILURE;
	}
	return CTL_OK;
}

/* 1 when the len bytes at t start with word, a blank and more. */
static int
keyword_at(const char *t, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len > n + 1 && !strncmp(t, word, n) && (t[n] == ' ' || t[n] == '\t');
}

/* Read and parse path ("-": stdin). Faults are printed as
 * PATH:LINE: column N: what; CTL_USAGE then, nothing kept. */
static int
policy_file_read(const char *path, struct policy_file *pf)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *canon = NULL;
	size_t cap = 0, total = 0;
	unsigned long lineno = 0;
	ssize_t got;
	int rc = CTL_USAGE;

	memset(pf, 0, sizeof(*pf));
	if (!f) {
		ctl_err("%s: cannot open: %s", path, strerror(errno));
		return CTL_USAGE;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		struct policy_rule *rule = NULL;
		const char *t = line;
		size_t len = (size_t)got, skip, pos = 0;
		char err[256];
		int is_def = 0;

		lineno++;
		total += len;
		if (total > POLICY_FILE_MAX) {
			ctl_err("%s: longer than %d bytes", path, POLICY_FILE_MAX);
			goto out;
		}
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		skip = strspn(t, " \t");
		if (skip == len || t[skip] == '#')
			continue;
		if (keyword_at(t + skip, len - skip, "group") ||
		    keyword_at(t + skip, len - skip, "hostgroup")) {
			rc = group_line(line + skip, path, lineno, pf);
			if (rc != CTL_OK)
				goto out;
			rc = CTL_USAGE;
			continue;
		}
		if (keyword_at(t + skip, len - skip, "default")) {
			is_def = 1;
			skip += 8;
		} else {
			skip = 0;
		}
		if (policy_rule_parse(t + skip, len - skip, &rule, err, sizeof(err), &pos) < 0) {
			/* the column counts from the start of the line */
			ctl_err("%s:%lu: column %zu: %s", path, lineno, pos + skip + 1,
				strchr(err, ':') ? strchr(err, ':') + 2 : err);
			goto out;
		}
		if (is_def && !policy_rule_is_default(rule)) {
			ctl_err("%s:%lu: the default has no match fields", path, lineno);
			policy_rule_free(rule);
			goto out;
		}
		if ((is_def && pf->def) || (!is_def && pf->n >= POLICY_FILE_RULES)) {
			ctl_err("%s:%lu: %s", path, lineno, is_def ? "a second default line"
				: "too many rules");
			policy_rule_free(rule);
			goto out;
		}
		rc = policy_rule_format(rule, &canon);
		policy_rule_free(rule);
		if (rc < 0) {
			rc = CTL_FAILURE;
			goto out;
		}
		rc = CTL_USAGE;
		if (is_def) {
			pf->def = canon;
		} else {
			char **more = realloc(pf->rules, (pf->n + 1) * sizeof(*more));

			if (!more) {
				rc = CTL_FAILURE;
				goto out;
			}
			pf->rules = more;
			pf->rules[pf->n++] = canon;
		}
		canon = NULL;
	}
	if (ferror(f)) {
		ctl_err("%s: read error", path);
		goto out;
	}
	rc = CTL_OK;
out:
	free(canon);
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc != CTL_OK)
		policy_file_free(pf);
	return rc;
}

static const struct option apply_opts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/* Row i of ctl_groups_diff_sql's answer, made on db. */
static int
apply_group_row(PGconn *db, const char *what, const PGresult *g, int i)
{
	return ctl_group_change(db, what, PQgetvalue(g, i, 1), *PQgetvalue(g, i, 0) == '+',
				PQgetvalue(g, i, 2),
				PQgetisnull(g, i, 3) ? NULL : PQgetvalue(g, i, 3));
}

/* Make the active rules equal the file's, in one transaction: the rules
 * after the longest common prefix are removed and the file's rest added
 * in order (rules are never rewritten in place); the default is set when
 * the file has one; groups and members are made the file's (a group the
 * file does not name loses its members). Prints the diff. */
static int
policy_apply(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_file pf;
	const char *path = NULL, *params[1];
	PGconn *db = NULL;
	PGresult *r = NULL, *g = NULL;
	int rc, o, dry = 0, n, i, changes = 0, def_change, unknown = 0;
	size_t k = 0, j;

	memset(&pf, 0, sizeof(pf));
	while ((o = ctl_getopt(c, argc, argv)) != -1) {
		if (o == CTL_OPT_HELP)
			return CTL_OK;
		if (o != 'n')
			return CTL_USAGE;
		dry = 1;
	}
	if (optind >= argc)
		return ctl_usage_error(c, "missing FILE");
	if (optind + 1 < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind + 1]);
	path = argv[optind];
	rc = policy_file_read(path, &pf);
	if (rc != CTL_OK)
		return rc;
	rc = ctl_db_connect(c, 0, &db);
	if (rc != CTL_OK)
		goto out;
	rc = policy_snapshot(c, db, 1, ctl_groups_diff_sql, pf.groups ?
			     json_object_to_json_string_ext(pf.groups, JSON_C_TO_STRING_PLAIN) :
			     "[]", &r, &g);
	if (rc != CTL_OK)
		goto out;
	n = PQntuples(r);
	if (PQgetisnull(r, 0, 2))
		n = 0;		/* no active rules: one row of state only */
	while ((int)k < n && k < pf.n && !strcmp(PQgetvalue(r, (int)k, 3), pf.rules[k]))
		k++;
	def_change = pf.def && strcmp(pf.def, PQgetvalue(r, 0, 1)) != 0;
	if (def_change)
		printf("- default %s\n+ default %s\n", PQgetvalue(r, 0, 1), pf.def);
	for (i = (int)k; i < n; i++)
		printf("- #%s %s\n", PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	for (j = k; j < pf.n; j++)
		printf("+ %s\n", pf.rules[j]);
	for (i = 0; i < PQntuples(g); i++) {
		printf("%s %s %s%s%s\n", PQgetvalue(g, i, 0), PQgetvalue(g, i, 1),
		       PQgetvalue(g, i, 2), PQgetisnull(g, i, 3) ? "" : " ",
		       PQgetvalue(g, i, 3));
		if (*PQgetvalue(g, i, 4) != 't') {
			ctl_err("%s: no %s %s (group %s)", path,
				strcmp(PQgetvalue(g, i, 1), "group") ? "host" : "approver",
				PQgetvalue(g, i, 3), PQgetvalue(g, i, 2));
			unknown++;
		}
	}
	if (unknown) {
		rc = CTL_REFUSED;
		goto rollback;
	}
	changes = def_change || (int)k < n || k < pf.n || PQntuples(g) > 0;
	if (!changes) {
		printf("no changes (policy version %s)\n", PQgetvalue(r, 0, 0));
		goto rollback;
	}
	if (dry) {
		printf("dry run: nothing changed (policy version %s)\n", PQgetvalue(r, 0, 0));
		goto rollback;
	}
	/* new groups and members first (rules may name them), leavers last
	 * (sql/019 refuses a removal that a remaining rule cannot spare) */
	for (i = 0; i < PQntuples(g) && rc == CTL_OK; i++)
		if (*PQgetvalue(g, i, 0) == '+')
			rc = apply_group_row(db, c->path, g, i);
	for (i = (int)k; i < n && rc == CTL_OK; i++) {
		params[0] = PQgetvalue(r, i, 2);
		rc = ctl_db_do(db, c->path,
			"UPDATE approval.policy_rules SET removed_at = pg_catalog.now(),"
			" removed_by = approval.audit_actor() WHERE id = $1::bigint", 1, params, NULL);
	}
	for (j = k; j < pf.n && rc == CTL_OK; j++) {
		params[0] = pf.rules[j];
		rc = ctl_db_do(db, c->path,
			"INSERT INTO approval.policy_rules (position, rule)"
			" SELECT COALESCE(pg_catalog.max(p.position), 0) + 1, $1"
			" FROM approval.policy_rules p WHERE p.removed_at IS NULL", 1, params, NULL);
	}
	if (rc == CTL_OK && def_change) {
		params[0] = pf.def;
		rc = ctl_db_do(db, c->path, "UPDATE approval.policy_state SET default_rule = $1",
			       1, params, NULL);
	}
	for (i = 0; i < PQntuples(g) && rc == CTL_OK; i++)
		if (*PQgetvalue(g, i, 0) == '-')
			rc = apply_group_row(db, c->path, g, i);
	if (rc != CTL_OK)
		goto rollback;
	PQclear(r);
	r = NULL;
	rc = ctl_db_do(db, c->path, "COMMIT", 0, NULL, NULL);
	if (rc == CTL_OK)
		rc = ctl_db_do(db, c->path, "SELECT version FROM approval.policy_state",
			       0, NULL, &r);
	if (rc == CTL_OK)
		printf("applied: policy version %s\n",
		       PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?");
	goto out;
rollback:
	ctl_db_do(db, c->path, "ROLLBACK", 0, NULL, NULL);
out:
	PQclear(g);
	PQclear(r);
	PQfinish(db);
	policy_file_free(&pf);
	return rc;
}

/* Rules that can never decide: an earlier rule covers them. Exit 1 when
 * there are any (so CI can refuse the policy), 0 when clean. */
static int
policy_lint(struct ctl_ctx *c, int argc, char **argv)
{
	struct policy_rule **rules = NULL;
	PGresult *r = NULL;
	int rc, o, n, i, j, found = 0;

	while ((o = ctl_getopt(c, argc, argv)) != -1)
		return o == CTL_OPT_HELP ? CTL_OK : CTL_USAGE;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	rc = ctl_db_query(c, c->path, load_sql, 0, NULL, &r);
	if (rc != CTL_OK)
		return rc;
	n = PQntuples(r);
	if (n >= 1 && PQgetisnull(r, 0, 2))
		n = 0;
	rules = calloc((size_t)n + 1, sizeof(*rules));
	if (!rules) {
		rc = CTL_FAILURE;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *t = PQgetvalue(r, i, 3);
		char err[256];
		size_t pos;

		if (policy_rule_parse(t, strlen(t), &rules[i], err, sizeof(err), &pos) < 0) {
			printf("rule %s does not parse (%s): approvald stops there and a "
			       "human decides\n", PQgetvalue(r, i, 2), err);
			found++;
		}
	}
	for (j = 0; j < n; j++)
		for (i = 0; i < j && rules[j]; i++)
			if (rules[i] && policy_rule_covers(rules[i], rules[j])) {
				printf("rule %s can never match: rule %s before it covers it\n"
				       "  %s\n  %s\n", PQgetvalue(r, j, 2), PQgetvalue(r, i, 2),
				       PQgetvalue(r, j, 3), PQgetvalue(r, i, 3));
				found++;
				break;
			}
	if (found)
		rc = CTL_REFUSED;
	else
		printf("%d rule(s), none shadowed\n", n);
out:
	for (i = 0; rules && i < n; i++)
		policy_rule_free(rules[i]);
	free(rules);
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
static const struct ctl_command policy_move_cmd = {
	.name = "move", .synopsis = "RULE-ID POSITION",
	.summary = "move a rule to POSITION (1 = tried first); one audited change",
	.details = "The rules between the old and the new place shift by one; the\n"
		   "policy version moves once and one policy.rules_moved audit event\n"
		   "lists every rule whose position changed.\n",
	.run = policy_move,
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
	.synopsis = "--host H --user U --target T --service S --command CMD [--cut] [--initiator K]"
		    " [--at TIME] [--reason R] [--ticket T] [--groups G,H]",
	.summary = "show which rule decides such a request, and why; files nothing",
	.details = "Options:\n"
		   "  --host H      the host's enrolled name (approvalctl host list)\n"
		   "  --user U      the requesting unix login\n"
		   "  --target T    the user the command runs as\n"
		   "  --service S   the PAM service (sudo, su, ...)\n"
		   "  --command CMD the full command (sudo: the resolved path and args)\n"
		   "  --cut         the module reported the command cut\n"
		   "  --initiator K human, agent or ci (default: the host's setting, or human)\n"
		   "  --at TIME     evaluate time windows at TIME (ISO 8601) instead of now\n"
		   "  --reason R, --ticket T  what the request carries (reason=/ticket= rules)\n"
		   "  --groups G,H  the requester's unix groups (group= rules)\n",
	.longopts = test_opts, .run = policy_test,
};
static const struct ctl_command policy_export_cmd = {
	.name = "export", .synopsis = "",
	.summary = "print the whole policy (default, groups, rules) as a policy file",
	.run = policy_export,
};
static const struct ctl_command policy_apply_cmd = {
	.name = "apply", .synopsis = "[--dry-run] FILE",
	.summary = "make the database match a policy file, in one transaction; prints the diff",
	.details = "FILE: what 'policy export' writes ('-' reads stdin): one rule per line,\n"
		   "'default RULE' once at most (absent: the default stays), '#' comments,\n"
		   "'group NAME LOGIN...' and 'hostgroup NAME HOST...' (each group gets\n"
		   "exactly these members; a group not named loses its members).\n"
		   "The rules after the first difference are removed and the file's rest\n"
		   "added in order. A line that does not parse: FILE:LINE: column N (exit 2),\n"
		   "nothing changed.\n"
		   "Options:\n  --dry-run   print the diff only\n",
	.longopts = apply_opts, .run = policy_apply,
};
static const struct ctl_command policy_lint_cmd = {
	.name = "lint", .synopsis = "",
	.summary = "report rules an earlier rule covers (they never decide); exit 1 if any",
	.run = policy_lint,
};
static const struct ctl_command *const policy_cmds[] = {
	&policy_add_cmd, &policy_list_cmd, &policy_show_cmd, &policy_remove_cmd,
	&policy_move_cmd, &policy_default_cmd, &policy_test_cmd, &policy_export_cmd,
	&policy_apply_cmd, &policy_lint_cmd, NULL,
};
const struct ctl_command ctl_cmd_policy = {
	.name = "policy", .synopsis = "add|list|show|remove|move|default|test|export|apply|lint",
	.summary = "manage the policy rules (admin, database)",
	.sub = policy_cmds,
};
