/* policy_db.c: owns reading the policy for a create (see policy_db.h).
 * The matching itself is policy.c's; this file only turns rows into rules
 * and a query, and fails towards "a human decides". */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "policy_db.h"

static const char load_sql[] = POLICY_LOAD_SQL;
static const char facts_sql[] = POLICY_FACTS_SQL;
static const char clock_sql[] = POLICY_CLOCK_SQL;

void
policy_verdict_clear(struct policy_verdict *v)
{
	free(v->message);
	free(v->rule);
	free(v->groups);
	free(v->missing);
	free(v->notify);
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
take(struct policy_verdict *v, const struct policy_rule *r, long long id,
     const struct approve_ctx *ctx)
{
	char why[POLICY_MESSAGE_MAX];
	const char *missing;

	v->action = r->action;
	v->rule_id = id;
	v->approvals = r->action == POLICY_REQUIRE ? r->approvals : 1;
	if (r->action == POLICY_REQUIRE) {
		v->ttl_s = r->ttl_s;
		v->grace_s = r->grace_s;
		v->chat_no = r->chat_no;
	}
	if (r->action == POLICY_REQUIRE && r->groups && !(v->groups = strdup(r->groups)))
		return -ENOMEM;
	if ((r->action == POLICY_REQUIRE || r->action == POLICY_BREAKGLASS) && r->notify &&
	    !(v->notify = strdup(r->notify)))
		return -ENOMEM;
	if (policy_rule_format(r, &v->rule) < 0)
		return -ENOMEM;
	if (r->action == POLICY_DENY && r->message && *r->message &&
	    !(v->message = strdup(r->message)))
		return -ENOMEM;
	missing = r->action == POLICY_DENY ? NULL :
		  policy_rule_missing(r, ctx->reason, ctx->ticket, why, sizeof(why),
				      &v->missing_ticket);
	if (missing && !(v->missing = strdup(missing)))
		return -ENOMEM;
	return 0;
}

/* The clocks of the zones the rules name (POLICY_CLOCK_SQL); *res owns
 * the zone texts clocks point into. 0 or -EIO/-ENOMEM. */
static int
load_clocks(struct db_conn *db, const struct policy_rule *const *rules, size_t n,
	    PGresult **res, struct policy_clock **clocks, size_t *nclocks)
{
	char *zones = NULL;
	const char *params[2] = { NULL, NULL };
	int r, i, rows;

	*res = NULL;
	*clocks = NULL;
	*nclocks = 0;
	if (policy_zones_literal(rules, n, &zones) < 0)
		return -ENOMEM;
	r = 0;
	if (strcmp(zones, "{}") == 0)
		goto out;
	params[0] = zones;
	r = -EIO;
	if (db_exec(db, clock_sql, 2, params, res) < 0) {
		db_log_error("policy clocks", *res);
		goto out;
	}
	rows = PQntuples(*res);
	r = -ENOMEM;
	*clocks = calloc((size_t)rows + 1, sizeof(**clocks));
	if (!*clocks)
		goto out;
	for (i = 0; i < rows; i++) {
		(*clocks)[i].tz = PQgetvalue(*res, i, 0);
		(*clocks)[i].dow = atoi(PQgetvalue(*res, i, 1));
		(*clocks)[i].minute = atoi(PQgetvalue(*res, i, 2));
	}
	*nclocks = (size_t)rows;
	r = 0;
out:
	free(zones);
	return r;
}

/* The parsed policy of one version, shared by the threads deciding
 * creates: refs counts holders (the cache is one), freed at 0. rules[k]
 * has id ids[k]; rules[n] is the default, or NULL when a rule did not
 * parse (then the list ends at n and a human decides). */
struct policy_snapshot {
	unsigned refs;
	long long version;
	size_t n;
	long long *ids;
	struct policy_rule **rules;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy_snapshot *cache;

static void
snapshot_put(struct policy_snapshot *sn)
{
	size_t k;
	int last;

	if (!sn)
		return;
	pthread_mutex_lock(&cache_lock);
	last = --sn->refs == 0;
	pthread_mutex_unlock(&cache_lock);
	if (!last)
		return;
	for (k = 0; k <= sn->n; k++)
		policy_rule_free(sn->rules[k]);
	free(sn->rules);
	free(sn->ids);
	free(sn);
}

/* The cached snapshot when it is of version, with a reference; else NULL. */
static struct policy_snapshot *
snapshot_cached(long long version)
{
	struct policy_snapshot *sn = NULL;

	pthread_mutex_lock(&cache_lock);
	if (cache && cache->version == version) {
		sn = cache;
		sn->refs++;
	}
	pthread_mutex_unlock(&cache_lock);
	return sn;
}

/* Keep sn (a reference the cache takes) as the cached version, unless a
 * newer one is there already. */
static void
snapshot_keep(struct policy_snapshot *sn)
{
	struct policy_snapshot *old = NULL;

	pthread_mutex_lock(&cache_lock);
	if (!cache || cache->version < sn->version) {
		old = cache;
		cache = sn;
		sn->refs++;
	}
	pthread_mutex_unlock(&cache_lock);
	snapshot_put(old);
}

void
policy_db_cache_clear(void)
{
	struct policy_snapshot *old;

	pthread_mutex_lock(&cache_lock);
	old = cache;
	cache = NULL;
	pthread_mutex_unlock(&cache_lock);
	snapshot_put(old);
}

/* Read and parse the whole policy (POLICY_LOAD_SQL). 0 and *out (one
 * reference), -EIO, -ENOMEM. */
static int
snapshot_load(struct db_conn *db, struct policy_snapshot **out)
{
	struct policy_snapshot *sn = NULL;
	PGresult *res = NULL;
	char which[48];
	int r = -EIO, i, n;

	*out = NULL;
	if (db_exec(db, load_sql, 0, NULL, &res) < 0) {
		db_log_error("load policy", res);
		goto out;
	}
	n = PQntuples(res);
	if (n < 1) {
		approve_log(LOG_ERR, "policy: approval.policy_state has no row");
		goto out;
	}
	r = -ENOMEM;
	sn = calloc(1, sizeof(*sn));
	if (!sn)
		goto out;
	sn->refs = 1;
	sn->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	sn->rules = calloc((size_t)n + 1, sizeof(*sn->rules));
	sn->ids = calloc((size_t)n + 1, sizeof(*sn->ids));
	if (!sn->rules || !sn->ids)
		goto out;
	for (i = 0; i < n && !PQgetisnull(res, i, 2); i++) {
		snprintf(which, sizeof(which), "rule %s", PQgetvalue(res, i, 2));
		sn->rules[sn->n] = stored_rule(PQgetvalue(res, i, 3), which);
		if (!sn->rules[sn->n])
			break;	/* the list ends here, rules[n] stays NULL */
		sn->ids[sn->n++] = strtoll(PQgetvalue(res, i, 2), NULL, 10);
	}
	if (i == n || PQgetisnull(res, i, 2))
		sn->rules[sn->n] = stored_rule(PQgetvalue(res, 0, 1), "default rule");
	*out = sn;
	sn = NULL;
	r = 0;
out:
	if (sn) {
		sn->refs = 1;
		snapshot_put(sn);
	}
	PQclear(res);
	return r;
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
		!full->sha256[0] || full->truncated, NULL, NULL, NULL, 0, ctx->groups,
	};
	struct policy_snapshot *sn = NULL;
	struct policy_clock *clocks = NULL;
	PGresult *facts = NULL, *cres = NULL;
	const char *fp[4] = { host, ctx->agent, ctx->run_url, NULL };
	char *ancestry = NULL;
	size_t k;
	int r = -EIO;

	memset(v, 0, sizeof(*v));
	v->action = POLICY_REQUIRE;
	v->approvals = 1;
	if (approve_ctx_ancestry_json(ctx, &ancestry) < 0) {
		r = -ENOMEM;
		goto out;
	}
	fp[3] = ancestry;
	/* the facts and the version in one statement; the rules of that
	 * version from the cache or, when it moved, read again (a change in
	 * between is met by the version the load itself returns) */
	if (db_exec(db, facts_sql, 4, fp, &facts) < 0) {
		db_log_error("policy facts", facts);
		goto out;
	}
	if (PQntuples(facts) == 1) {
		q.initiator = PQgetvalue(facts, 0, 0);
		q.host_groups = PQgetvalue(facts, 0, 1);
		sn = snapshot_cached(strtoll(PQgetvalue(facts, 0, 2), NULL, 10));
	}
	if (!sn) {
		r = snapshot_load(db, &sn);
		if (r < 0)
			goto out;
		snapshot_keep(sn);
	}
	v->version = sn->version;
	r = load_clocks(db, (const struct policy_rule *const *)sn->rules,
			sn->n + (sn->rules[sn->n] != NULL), &cres, &clocks, &q.nclocks);
	if (r < 0)
		goto out;
	q.clocks = clocks;
	for (k = 0; k < sn->n; k++)
		if (policy_rule_match(sn->rules[k], &q, NULL, 0)) {
			r = take(v, sn->rules[k], sn->ids[k], ctx);
			goto out;
		}
	/* a rule that did not parse: v says require, a human decides */
	r = sn->rules[sn->n] ? take(v, sn->rules[sn->n], 0, ctx) : 0;
out:
	if (r < 0) {
		long long version = v->version;

		policy_verdict_clear(v);
		v->version = version;
	}
	snapshot_put(sn);
	free(clocks);
	PQclear(cres);
	PQclear(facts);
	free(ancestry);
	return r;
}
