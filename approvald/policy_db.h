/* policy_db.h: the policy as stored (sql/011_policy.sql), evaluated for
 * one new request with policy.c. The one place approvald decides what a
 * rule says about a request; routes_host.c calls it on create and hands
 * the verdict to req_create, which stores it with the request. */
#ifndef APPROVALD_POLICY_DB_H
#define APPROVALD_POLICY_DB_H
#include "policy.h"
#include "wire.h"

struct db_conn;

/* The policy as one snapshot: row 0 carries version and default_rule;
 * columns 2 and 3 are the active rules' id and text in order (NULL on
 * the only row when there are none). approvalctl policy test and apply
 * read it the same way. */
#define POLICY_LOAD_SQL \
	"SELECT s.version, s.default_rule, r.id, r.rule" \
	" FROM approval.policy_state s" \
	" LEFT JOIN approval.policy_rules r ON r.removed_at IS NULL" \
	" ORDER BY r.position"

struct policy_verdict {
	enum policy_action action;	/* starts at POLICY_REQUIRE: a human */
	long long rule_id;		/* 0: the default decided */
	long long version;		/* the policy version read */
	char *message;			/* deny: shown to the requester (owned) */
	char *rule;			/* canonical text of the deciding rule (owned) */
};

/* Load the active rules and the default (one statement, one snapshot) and
 * match ctx, filed by the host enrolled as host. A stored rule that no
 * longer parses stops the evaluation there: the verdict is then require
 * (a human decides) and the fault is logged. 0, -EIO (database) or
 * -ENOMEM; on error *v is cleared and says require. */
int policy_db_decide(struct db_conn *db, const char *host,
		     const struct approve_ctx *ctx, struct policy_verdict *v);
void policy_verdict_clear(struct policy_verdict *v);

#endif
