/* policy.h: the policy rules of docs/policy.md, pure (no I/O, no clock,
 * no environment): parse one rule line, write it back in canonical form,
 * and find the first rule that matches a request. approvald evaluates it
 * on create; approvalctl uses it for `policy add` (refusing bad text
 * before it is stored) and `policy test`.
 *
 * A rule is an action and match fields; an absent field matches anything,
 * all present fields must match. Rules are tried in order, the first
 * match decides; none matching means the default (itself a rule with no
 * match fields, normally "require approvals=1"). */
#ifndef APPROVALD_POLICY_H
#define APPROVALD_POLICY_H
#include <stddef.h>

#define POLICY_LINE_MAX 8192	/* bytes of one rule line */
#define POLICY_VALUE_MAX 4096	/* bytes of one value */
#define POLICY_MESSAGE_MAX 512	/* bytes of a deny message */
#define POLICY_APPROVALS_MAX 99	/* require approvals=N: 1..99 */
#define POLICY_GROUP_NAME_MAX 63	/* [a-z][a-z0-9_-]*, as sql/013 checks */
#define POLICY_TZ_MAX 64		/* bytes of an IANA time zone name */
#define POLICY_DURATION_MAX (7L * 24 * 3600)	/* ttl= and grace=: up to 7d */
#define POLICY_REASON_MIN_DEFAULT 8	/* reason=required without minlen= */
#define POLICY_REASON_MIN_MAX 200

enum policy_action {
	POLICY_REQUIRE = 0,	/* a human decides (the safe zero value) */
	POLICY_ALLOW,
	POLICY_DENY,
	POLICY_BREAKGLASS,	/* approved at once on a reason, loudly, on the
				 * review list until an approver closes it */
};

enum policy_cmd {
	POLICY_CMD_ANY = 0,
	POLICY_CMD_EXACT,	/* command="..." */
	POLICY_CMD_PREFIX,	/* command-prefix="..." */
	POLICY_CMD_GLOB,	/* command-glob="..." (fnmatch, '*' spans '/') */
};

struct policy_rule {
	long long id;		/* database id; 0 when not stored */
	enum policy_action action;
	unsigned approvals;	/* require: N distinct approvers (1) */
	char *groups;		/* require: approver groups "g1,g2" (each
				 * approver a member of one), or NULL: anyone */
	char *message;		/* deny: shown to the requester, or NULL */
	char *host;		/* glob on the enrolled host name, "@group" for
				 * a host group, or NULL */
	char *user;		/* requesting unix login, exact, or NULL */
	char *ugroup;		/* a unix group of the requester, exact, or NULL */
	char *target;		/* target user, exact, or NULL */
	char *service;		/* PAM service, exact, or NULL */
	char *initiator;	/* human, agent or ci (sql/010), or NULL */
	/* time window, in tz's local time (the caller supplies the clock) */
	unsigned days;		/* bit 0 Monday .. bit 6 Sunday; 0: any day */
	int from_min, to_min;	/* hours=HH:MM-HH:MM in minutes; -1: any time;
				 * from > to spans midnight */
	char *tz;		/* IANA zone of days/hours, NULL: UTC */
	/* what the request must carry (not match fields: a matching rule
	 * whose request lacks them is refused with the reason) */
	unsigned reason_min;	/* reason=required [minlen=N]: N characters; 0: none */
	char *ticket_pattern;	/* ticket=required [pattern=ERE]: "" any ticket */
	int ticket_required;
	long ttl_s;		/* ttl=: the request's lifetime; 0: approvald's */
	long grace_s;		/* grace=: reuse an approval this long; 0: none */
	int chat_no;		/* chat=no: decide in the web UI or CLI only */
	char *notify;		/* notify=: the sink kinds told, "slack,webhook"
				 * in notify_settings.h's order, "none", or
				 * NULL: every enabled sink */
	enum policy_cmd cmd_kind;
	char *cmd;		/* NULL when cmd_kind is POLICY_CMD_ANY */
};

/* What a request is matched on. host is the name the host token is
 * enrolled under (proven), not the hostname the module reports. command
 * is the full command (sudo's resolved SUDO_COMMAND where there is one);
 * command_truncated says the text is only the start of it: then exact and
 * glob never match, and a prefix matches only within the text. */
struct policy_query {
	const char *host;
	const char *user;
	const char *target;
	const char *service;
	const char *command;
	int command_truncated;
	const char *initiator;	/* human, agent or ci, as the database classifies it */
	const char *host_groups;	/* the host's groups "g1,g2", or NULL: none */
	/* local time now in each zone the rules name ("UTC" for none) */
	const struct policy_clock *clocks;
	size_t nclocks;
	const char *user_groups;	/* the requester's unix groups "a,b" (the
				 * module reads them for the kernel uid), or NULL */
};

/* The local time in one zone: ISO day (1 Monday .. 7 Sunday) and minute
 * of the day. approvald takes it from PostgreSQL (its zone data, so DST
 * is the database's), policy test too. */
struct policy_clock {
	const char *tz;
	int dow;
	int minute;
};

/* Parse one rule (len bytes, no NUL inside, no newline). 0 and *out, or
 * -EINVAL with err ("column N: what") and *pos (0-based byte offset of
 * the fault), or -ENOMEM. */
int policy_rule_parse(const char *text, size_t len, struct policy_rule **out,
		      char *err, size_t errlen, size_t *pos);
void policy_rule_free(struct policy_rule *r);
/* The canonical text (fixed key order, values quoted where needed);
 * parsing it gives the same rule. *out is malloc'd. 0 or -ENOMEM. */
int policy_rule_format(const struct policy_rule *r, char **out);
/* A default rule has no match fields. 1 or 0. */
int policy_rule_is_default(const struct policy_rule *r);

/* 1 when r matches q, else 0; why (if not NULL) gets a short sentence
 * saying which field decided it. */
int policy_rule_match(const struct policy_rule *r, const struct policy_query *q,
		      char *why, size_t whylen);
/* "mon".."sun" for an ISO day 1..7, "?" otherwise. */
const char *policy_day_name(int dow);
/* The zone r's time window is in ("UTC" when it names none), or NULL
 * when r has no time window. */
const char *policy_rule_zone(const struct policy_rule *r);
/* The zones of n rules' time windows as a PostgreSQL text array literal
 * ("{UTC,Europe/Berlin}", each once; "{}" for none), for
 * POLICY_CLOCK_SQL. Zone names are checked at parse, so they need no
 * quoting. 0 or -ENOMEM. */
int policy_zones_literal(const struct policy_rule *const *rules, size_t n, char **out);
/* Whether reason and ticket satisfy r: NULL when they do, else a
 * sentence for the requester (in buf), and *ticket (if not NULL) 1 when
 * the ticket is what is missing, 0 for the reason. */
const char *policy_rule_missing(const struct policy_rule *r, const char *reason,
				const char *ticket, char *buf, size_t buflen,
				int *what_ticket);
/* The index of the first of n rules matching q, or -1 (the default). */
long policy_first_match(const struct policy_rule *const *rules, size_t n,
			const struct policy_query *q);
const char *policy_action_name(enum policy_action a);
/* 1 when every request b matches is matched by a too (so b, after a,
 * can never decide anything), judged conservatively: 0 whenever it is not
 * certain (two different globs, say). For `policy lint`. */
int policy_rule_covers(const struct policy_rule *a, const struct policy_rule *b);

#endif
