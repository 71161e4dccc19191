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
	unsigned approvals;		/* require: distinct approvals needed (1) */
	char *groups;			/* require: "g1,g2" or NULL (owned) */
	long ttl_s;			/* require: the rule's ttl=, 0: approvald's */
	long grace_s;			/* require: the rule's grace=, 0: none */
	int chat_no;			/* require: chat=no */
	char *notify;			/* require: the rule's notify= ("none",
					 * "slack,webhook"), NULL: every sink (owned) */
	char *missing;			/* the request lacks the rule's reason or
					 * ticket: why, for the requester (owned) */
	int missing_ticket;		/* it is the ticket (else the reason) */
	/* set by request.c when grace_s found an approval to reuse */
	char grace_of[APPROVE_UUID_LEN + 1];	/* "" none */
	long long grace_by;		/* that approval's approver */
};

/* What the request is matched on besides its context, in one snapshot
 * with it: $1 the enrolled host name, $2 agent, $3 run_url, $4 ancestry
 * (jsonb text) -> the initiator approval.classify_initiator gives the
 * row, the host's groups "g1,g2" (empty: none), and the policy version
 * (approvald reuses its parsed rules while that is unchanged). */
#define POLICY_FACTS_SQL \
	"SELECT approval.classify_initiator(h.initiator, $2, $3, $4::jsonb)," \
	" COALESCE((SELECT pg_catalog.string_agg(g.name, ',' ORDER BY g.name)" \
	"  FROM approval.host_group_members m" \
	"  JOIN approval.host_groups g ON g.id = m.group_id" \
	"  WHERE m.host_id = h.id), ''), (SELECT s.version FROM approval.policy_state s)" \
	" FROM approval.hosts h WHERE h.name = $1"

/* The local time now ($2 NULL) or at $2 in each zone of $1 (a text
 * array): zone, ISO day of week, minute of the day. PostgreSQL's zone
 * data decides DST. */
#define POLICY_CLOCK_SQL \
	"SELECT z, pg_catalog.date_part('isodow', l)::integer," \
	" (pg_catalog.date_part('hour', l) * 60 + pg_catalog.date_part('minute', l))::integer" \
	" FROM pg_catalog.unnest($1::text[]) z," \
	" LATERAL (SELECT COALESCE($2::timestamptz, pg_catalog.now()) AT TIME ZONE z AS l) t"

/* Load the active rules and the default (one statement, one snapshot),
 * or reuse the parsed ones of the same policy version (every change of a
 * rule, the default, a group or a membership bumps it, sql/011 and 013),
 * and match ctx, filed by the host enrolled as host. A stored rule that no
 * longer parses stops the evaluation there: the verdict is then require
 * (a human decides) and the fault is logged. 0, -EIO (database) or
 * -ENOMEM; on error *v is cleared and says require. */
int policy_db_decide(struct db_conn *db, const char *host,
		     const struct approve_ctx *ctx, struct policy_verdict *v);
void policy_verdict_clear(struct policy_verdict *v);
/* Drop the cached parsed rules (at exit; NULL-safe to call any time). */
void policy_db_cache_clear(void);

#endif
