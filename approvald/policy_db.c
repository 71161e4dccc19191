/* policy_db.c: owns reading the policy for a create (see policy_db.h).
 * The matching itself is policy.c's; this file only turns rows into rules
 * and a query, and fails towards "a human decides". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "policy_db.h"

static const char load_sql[] = POLICY_LOAD_SQL;
static const char facts_sql[] = POLICY_FACTS_SQL;

void
policy_verdict_clear(struct policy_verdict *v)
{
	free(v->message);
	free(v->rule);
	free(v->groups);
	memset(v, 0, sizeof(*v));
	v->action = POLICY_REQUIRE;
	v->approvals = 1;
}

/* Parse stored text; NULL (logged) when it does not parse. */
static struct policy_rule *
stored_rule(const char *text, const char *which)
{
	struct policy_rule *r = NULL;
	char err[200];
	size_t pos;

	if (policy_rule_parse(text, strlen(text), &r, err, sizeof(err), &pos) < 0) {
		approve_log(LOG_ERR, "policy: stored %s does not parse (%s): "
			    "requests need a human until it is fixed", which, err);
		return NULL;
	}
	return r;
}

static int
take(struct policy_verdict *v, const struct policy_rule *r, long long id)
{
	v->action = r->action;
	v->rule_id = id;
	v->approvals = r->action == POLICY_REQUIRE ? r->approvals : 1;
	if (r->action == POLICY_REQUIRE && r->groups && !(v->groups = strdup(r->groups)))
		return -ENOMEM;
	if (policy_rule_format(r, &v->rule) < 0)
		return -ENOMEM;
	if (r->action == POLICY_DENY && r->message && *r->message &&
	    !(v->message = strdup(r->message)))
		return -ENOMEM;
	return 0;
}

int
policy_db_decide(struct db_conn *db, const char *host,
		 const struct approve_ctx *ctx, struct policy_verdict *v)
{
	const struct approve_cmd_full *full = ctx->sudo_command ?
		&ctx->sudo_command_full : &ctx->command_full;
	struct policy_query q = {
		host, ctx->user, ctx->target_user, ctx->service,
		ctx->sudo_command ? ctx->sudo_command : ctx->command,
		/* not reported (an older module): it may have been cut */
		!full->sha256[0] || full->truncated, NULL, NULL,
	};
	struct policy_rule *rule = NULL;
	PGresult *res = NULL, *facts = NULL;
	const char *fp[4] = { host, ctx->agent, ctx->run_url, NULL };
	char *ancestry = NULL;
	int r = -EIO, i, n;
	char which[48];

	memset(v, 0, sizeof(*v));
	v->action = POLICY_REQUIRE;
	v->approvals = 1;
	if (approve_ctx_ancestry_json(ctx, &ancestry) < 0) {
		r = -ENOMEM;
		goto out;
	}
	fp[3] = ancestry;
	/* a read-only transaction would be one snapshot; two statements a
	 * moment apart differ only if an admin changed groups in between */
	if (db_exec(db, facts_sql, 4, fp, &facts) < 0) {
		db_log_error("policy facts", facts);
		goto out;
	}
	if (PQntuples(facts) == 1) {
		q.initiator = PQgetvalue(facts, 0, 0);
		q.host_groups = PQgetvalue(facts, 0, 1);
	}
	if (db_exec(db, load_sql, 0, NULL, &res) < 0) {
		db_log_error("load policy", res);
		goto out;
	}
	n = PQntuples(res);
	if (n < 1) {
		approve_log(LOG_ERR, "policy: approval.policy_state has no row");
		goto out;
	}
	v->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	for (i = 0; i < n && !PQgetisnull(res, i, 2); i++) {
		long long id = strtoll(PQgetvalue(res, i, 2), NULL, 10);

		snprintf(which, sizeof(which), "rule %lld", id);
		rule = stored_rule(PQgetvalue(res, i, 3), which);
		if (!rule) {
			r = 0;	/* v says require: a human decides */
			goto out;
		}
		if (policy_rule_match(rule, &q, NULL, 0)) {
			r = take(v, rule, id);
			goto out;
		}
		policy_rule_free(rule);
		rule = NULL;
	}
	rule = stored_rule(PQgetvalue(res, 0, 1), "default rule");
	r = rule ? take(v, rule, 0) : 0;
out:
	if (r < 0) {
		long long version = v->version;

		policy_verdict_clear(v);
		v->version = version;
	}
	policy_rule_free(rule);
	PQclear(res);
	PQclear(facts);
	free(ancestry);
	return r;
}
