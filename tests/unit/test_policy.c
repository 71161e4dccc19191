/* test_policy.c: check suite for approvald/policy.c. Proves, table by
 * table: every documented rule form parses and writes back to the same
 * canonical text (and that text parses to the same rule); bad and hostile
 * text (unknown keys and actions, duplicates, bad quoting, control bytes,
 * NUL, invalid UTF-8, over-long lines, broken globs, bad group names, N
 * above 99) is refused
 * with the column of the fault; matching is exact for users, targets and
 * services, a glob for hosts, exact/prefix/glob for commands; a cut
 * command matches only a prefix; initiator= and host=@GROUP match the
 * facts approvald reads with the rules; the first matching rule wins and no
 * match means the default; a rule covers a later one only when certain
 * (for policy lint). */
#include <errno.h>

#include "policy.h"
#include "unit.h"

static struct policy_rule *
parse_ok(const char *text)
{
	struct policy_rule *r = NULL;
	char err[256];
	size_t pos = 99;
	int rc = policy_rule_parse(text, strlen(text), &r, err, sizeof(err), &pos);

	ck_assert_msg(rc == 0, "'%s' refused: %s", text, err);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* text -> canonical; canonical parses to itself */
static const struct {
	const char *text, *canonical;
} good[] = {
	{ "allow", "allow" },
	{ "require", "require approvals=1" },
	{ "require approvals=1", "require approvals=1" },
	{ "deny", "deny" },
	{ "  allow\tservice=sudo  ", "allow service=sudo" },
	{ "allow service=sudo command-prefix=\"/usr/bin/systemctl status \"",
	  "allow service=sudo command-prefix=\"/usr/bin/systemctl status \"" },
	{ "deny command-glob=\"/bin/rm *\" host=db-* message=\"no rm on databases\"",
	  "deny host=db-* command-glob=\"/bin/rm *\" message=\"no rm on databases\"" },
	{ "allow target=root user=alice host=web[0-9] service=su",
	  "allow host=web[0-9] user=alice target=root service=su" },
	{ "allow command=\"/usr/bin/id\"", "allow command=/usr/bin/id" },
	{ "deny message=\"say \\\"no\\\" \\\\ twice\"",
	  "deny message=\"say \\\"no\\\" \\\\ twice\"" },
	{ "deny message=\"\"", "deny message=\"\"" },
	{ "allow user=jörg", "allow user=jörg" },
	{ "allow command=a=b", "allow command=a=b" },
	{ "require approvals=2 groups=dba", "require approvals=2 groups=dba" },
	{ "require groups=dba,ops approvals=3 host=db-*",
	  "require approvals=3 groups=dba,ops host=db-*" },
	{ "require approvers=dba:2", "require approvals=2 groups=dba" },
	{ "require host=db-* approvers=dba,sec-ops:99",
	  "require approvals=99 groups=dba,sec-ops host=db-*" },
	{ "require groups=dba", "require approvals=1 groups=dba" },
	{ "allow group=adm user=bob", "allow user=bob group=adm" },
	{ "allow initiator=ci command-prefix=/usr/bin/apt",
	  "allow initiator=ci command-prefix=/usr/bin/apt" },
	{ "deny initiator=agent host=@prod message=\"no agents in prod\"",
	  "deny host=@prod initiator=agent message=\"no agents in prod\"" },
	{ "allow hours=09:00-17:30 days=mon-fri", "allow days=mon,tue,wed,thu,fri hours=09:00-17:30" },
	{ "allow days=fri-mon tz=Europe/Berlin", "allow days=mon,fri,sat,sun tz=Europe/Berlin" },
	{ "deny hours=22:00-06:00 tz=America/New_York",
	  "deny hours=22:00-06:00 tz=America/New_York" },
	{ "allow hours=00:00-24:00", "allow hours=00:00-24:00" },
	{ "require reason=required", "require approvals=1 reason=required minlen=8" },
	{ "require minlen=20 reason=required", "require approvals=1 reason=required minlen=20" },
	{ "allow ticket=required pattern=\"^[A-Z]+-[0-9]+$\"",
	  "allow ticket=required pattern=^[A-Z]+-[0-9]+$" },
	{ "require ttl=15m grace=1h chat=no", "require approvals=1 ttl=900s grace=3600s chat=no" },
	{ "require grace=2d", "require approvals=1 grace=172800s" },
	{ "require notify=none", "require approvals=1 notify=none" },
	{ "require notify=teams,webhook,slack chat=no",
	  "require approvals=1 chat=no notify=webhook,slack,teams" },
	{ "require notify=\"slack\" host=db*", "require approvals=1 host=db* notify=slack" },
	{ "breakglass notify=teams,slack service=su",
	  "breakglass service=su reason=required minlen=8 notify=slack,teams" },
	{ "breakglass notify=none", "breakglass reason=required minlen=8 notify=none" },
};

START_TEST(parse_format_roundtrip)
{
	struct policy_rule *r = parse_ok(good[_i].text), *again;
	char *t = NULL, *t2 = NULL;

	ck_assert_int_eq(policy_rule_format(r, &t), 0);
	ck_assert_str_eq(t, good[_i].canonical);
	again = parse_ok(t);
	ck_assert_int_eq(policy_rule_format(again, &t2), 0);
	ck_assert_str_eq(t2, t);
	free(t);
	free(t2);
	policy_rule_free(r);
	policy_rule_free(again);
}
END_TEST

START_TEST(parse_fields)
{
	struct policy_rule *r = parse_ok("deny host=db-* user=bob target=postgres "
					 "service=sudo command-prefix=\"/bin/rm \" "
					 "message=\"ask the DBAs\"");

	ck_assert_int_eq(r->action, POLICY_DENY);
	ck_assert_str_eq(r->host, "db-*");
	ck_assert_str_eq(r->user, "bob");
	ck_assert_str_eq(r->target, "postgres");
	ck_assert_str_eq(r->service, "sudo");
	ck_assert_int_eq(r->cmd_kind, POLICY_CMD_PREFIX);
	ck_assert_str_eq(r->cmd, "/bin/rm ");
	ck_assert_str_eq(r->message, "ask the DBAs");
	ck_assert_int_eq(policy_rule_is_default(r), 0);
	policy_rule_free(r);
	r = parse_ok("require approvals=1");
	ck_assert_int_eq(r->action, POLICY_REQUIRE);
	ck_assert_uint_eq(r->approvals, 1);
	ck_assert_int_eq(policy_rule_is_default(r), 1);
	policy_rule_free(r);
}
END_TEST

/* text, column of the fault (1-based), a word of the message */
static const struct {
	const char *text;
	size_t len;	/* 0: strlen */
	size_t column;
	const char *says;
} bad[] = {
	{ "", 0, 1, "starts with" },
	{ "   ", 0, 4, "starts with" },
	{ "permit", 0, 1, "unknown action" },
	{ "Allow", 0, 1, "starts with" },
	{ "allowx", 0, 1, "unknown action" },
	{ "allow\"x", 0, 6, "expected a blank" },
	{ "allow host", 0, 11, "expected '='" },
	{ "allow host =x", 0, 11, "expected '='" },
	{ "allow hosts=x", 0, 7, "unknown key 'hosts'" },
	{ "allow =x", 0, 7, "expected key=value" },
	{ "allow host=a host=b", 0, 14, "given twice" },
	{ "allow command=a command-prefix=b", 0, 17, "second command key" },
	{ "allow command=\"a", 0, 15, "unterminated" },
	{ "allow command=\"a\"b", 0, 18, "blank must follow" },
	{ "allow command=a\"b", 0, 16, "bare value" },
	{ "allow command=a\\b", 0, 16, "bare value" },
	{ "allow command=\"a\\nb\"", 0, 17, "unknown escape" },
	{ "allow command=\"a\\", 0, 17, "unknown escape" },
	{ "allow command=\"a\tb\"", 0, 17, "control character" },
	{ "allow command=\"a\x1b[2Jb\"", 0, 17, "control character" },
	{ "allow command=\"a\x7f\"", 0, 17, "control character" },
	{ "allow command=\"\xc3\x28\"", 0, 15, "UTF-8" },
	{ "allow command=\"\xed\xa0\x80\"", 0, 15, "UTF-8" },
	{ "allow user=a\0b", 14, 13, "NUL" },
	{ "allow user=a\nallow", 0, 13, "line break" },
	{ "allow user=\"\"", 0, 12, "empty value" },
	{ "allow command=\"\"", 0, 15, "empty command" },
	{ "allow host=\"db-[0-9\"", 0, 12, "unclosed" },
	{ "allow command-glob=\"/bin/x\\\\\"", 0, 20, "backslash" },
	{ "allow message=hi", 0, 7, "belongs to deny" },
	{ "allow approvals=1", 0, 7, "belongs to require" },
	{ "require approvals=100", 0, 19, "number from 1 to 99" },
	{ "require groups=", 0, 16, "empty value" },
	{ "require groups=Dba", 0, 16, "bad group name" },
	{ "require groups=dba,,ops", 0, 20, "bad group name" },
	{ "require groups=dba,ops,dba", 0, 24, "named twice" },
	{ "require groups=1dba", 0, 16, "bad group name" },
	{ "require approvers=dba", 0, 19, "say how many" },
	{ "require approvers=dba:0", 0, 23, "number from 1" },
	{ "require approvers=dba:2 approvals=2", 0, 25, "twice" },
	{ "require approvers=dba:2 groups=ops", 0, 25, "given twice" },
	{ "allow groups=dba", 0, 7, "belongs to require" },
	{ "deny approvers=dba:2", 0, 6, "belongs to require" },
	{ "allow initiator=robot", 0, 17, "human, agent or ci" },
	{ "allow initiator=Human", 0, 17, "human, agent or ci" },
	{ "allow host=@", 0, 13, "bad host group" },
	{ "allow host=@Web", 0, 13, "bad host group" },
	{ "allow group=a,b", 0, 13, "one unix group" },
	{ "allow days=mon-xyz", 0, 12, "days are mon..sun" },
	{ "allow days=Mon", 0, 12, "days are mon..sun" },
	{ "allow days=mon,tue,mon", 0, 20, "named twice" },
	{ "allow days=mon-fri,wed", 0, 20, "named twice" },
	{ "allow days=mon days=tue", 0, 16, "given twice" },
	{ "allow hours=9:00-17:00", 0, 13, "HH:MM-HH:MM" },
	{ "allow hours=09:00-25:00", 0, 13, "00:00 to 24:00" },
	{ "allow hours=09:60-10:00", 0, 13, "00:00 to 24:00" },
	{ "allow hours=10:00-10:00", 0, 13, "empty window" },
	{ "allow hours=24:00-01:00", 0, 13, "starts before 24:00" },
	{ "allow hours=09:00-10:00 tz=../etc/passwd", 0, 28, "zone name" },
	{ "allow hours=09:00-10:00 tz=/etc/localtime", 0, 28, "zone name" },
	{ "allow tz=UTC", 0, 1, "tz belongs to days= or hours=" },
	{ "require reason=yes", 0, 16, "reason=required" },
	{ "deny reason=required", 0, 6, "belongs to allow or require" },
	{ "require minlen=5", 0, 1, "minlen belongs to reason=required" },
	{ "require reason=required minlen=0", 0, 32, "number from 1 to 200" },
	{ "require reason=required minlen=201", 0, 32, "number from 1 to 200" },
	{ "require ticket=required pattern=\"[A-Z\"", 0, 33, "not a valid extended regular" },
	{ "require pattern=x", 0, 1, "pattern belongs to ticket=required" },
	{ "require ttl=0s", 0, 13, "duration like 30s" },
	{ "require ttl=8d", 0, 13, "up to 7d" },
	{ "require ttl=15", 0, 13, "duration like 30s" },
	{ "require grace=1w", 0, 15, "duration like 30s" },
	{ "allow grace=1h", 0, 7, "belongs to require" },
	{ "require chat=yes", 0, 14, "chat=no" },
	{ "require notify=", 0, 16, "none or a list" },
	{ "require notify=email", 0, 16, "none or a list" },
	{ "require notify=slack,email", 0, 22, "none or a list" },
	{ "require notify=slack,", 0, 22, "none or a list" },
	{ "require notify=,slack", 0, 16, "none or a list" },
	{ "require notify=slack,slack", 0, 22, "each once" },
	{ "require notify=none,slack", 0, 16, "none or a list" },
	{ "require notify=Slack", 0, 16, "none or a list" },
	{ "allow notify=slack", 0, 7, "notify belongs to require and breakglass" },
	{ "deny notify=slack", 0, 6, "notify belongs to require and breakglass" },
	{ "require notify=none notify=slack", 0, 21, "twice" },
	{ "require approvals=0", 0, 19, "number from 1" },
	{ "require approvals=-1", 0, 19, "number from 1" },
	{ "require approvals=1x", 0, 19, "number from 1" },
	{ "require approvals=99999999999999999999", 0, 19, "number from 1" },
	{ "require approvals=1 approvals=1", 0, 21, "twice" },
};

START_TEST(parse_refused)
{
	struct policy_rule *r = (struct policy_rule *)1;
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text);
	char err[256], want[32];
	size_t pos = 12345;
	int rc = policy_rule_parse(bad[_i].text, len, &r, err, sizeof(err), &pos);

	ck_assert_msg(rc == -EINVAL, "'%s' accepted", bad[_i].text);
	ck_assert_ptr_null(r);
	ck_assert_msg(pos + 1 == bad[_i].column, "'%s': column %zu, want %zu (%s)",
		      bad[_i].text, pos + 1, bad[_i].column, err);
	snprintf(want, sizeof(want), "column %zu: ", bad[_i].column);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "err '%s'", err);
	ck_assert_msg(strstr(err, bad[_i].says), "'%s': err '%s' lacks '%s'",
		      bad[_i].text, err, bad[_i].says);
}
END_TEST

START_TEST(parse_lengths)
{
	size_t n = POLICY_LINE_MAX + 1, i;
	char *long_line = malloc(n + 1), *v = malloc(POLICY_VALUE_MAX + 32);
	struct policy_rule *r = NULL;
	char err[256];
	size_t pos;

	ck_assert_ptr_nonnull(long_line);
	ck_assert_ptr_nonnull(v);
	memset(long_line, ' ', n);
	memcpy(long_line, "allow", 5);
	long_line[n] = '\0';
	ck_assert_int_eq(policy_rule_parse(long_line, n, &r, err, sizeof(err), &pos),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	/* a value of exactly the limit passes, one byte more does not */
	for (i = 0; i <= 1; i++) {
		size_t k = strlen("allow command=");

		memcpy(v, "allow command=", k);
		memset(v + k, 'x', POLICY_VALUE_MAX + i);
		v[k + POLICY_VALUE_MAX + i] = '\0';
		ck_assert_int_eq(policy_rule_parse(v, strlen(v), &r, err, sizeof(err),
						   &pos), i ? -EINVAL : 0);
		if (!i)
			ck_assert_uint_eq(strlen(r->cmd), POLICY_VALUE_MAX);
		policy_rule_free(r);
		r = NULL;
	}
	/* a message over its limit */
	memcpy(v, "deny message=", 13);
	memset(v + 13, 'm', POLICY_MESSAGE_MAX + 1);
	v[13 + POLICY_MESSAGE_MAX + 1] = '\0';
	ck_assert_int_eq(policy_rule_parse(v, strlen(v), &r, err, sizeof(err), &pos),
			 -EINVAL);
	ck_assert_uint_eq(pos, 13);
	free(long_line);
	free(v);
}
END_TEST

/* rule, query fields, truncated, matches */
static const struct {
	const char *rule;
	const char *host, *user, *target, *service, *command;
	int cut, match;
} cases[] = {
	{ "allow", "h", "u", "root", "sudo", "/bin/x", 0, 1 },
	{ "allow host=db-*", "db-1", "u", "root", "sudo", "/bin/x", 0, 1 },
	{ "allow host=db-*", "web-1", "u", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow host=db-*", "xdb-1", "u", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow host=db-?", "db-12", "u", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow host=db-[0-9]", "db-7", "u", "root", "sudo", "/bin/x", 0, 1 },
	{ "allow host=db-[!0-9]", "db-7", "u", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow host=db", NULL, "u", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow user=alice", "h", "alice", "root", "sudo", "/bin/x", 0, 1 },
	{ "allow user=alice", "h", "Alice", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow user=alice", "h", "alice2", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow user=al*", "h", "alice", "root", "sudo", "/bin/x", 0, 0 },
	{ "allow target=root", "h", "u", "root", "sudo", "/bin/x", 0, 1 },
	{ "allow target=root", "h", "u", "postgres", "sudo", "/bin/x", 0, 0 },
	{ "allow service=sudo", "h", "u", "root", "su", "/bin/x", 0, 0 },
	{ "allow service=su", "h", "u", "root", "su", "su -", 0, 1 },
	{ "allow command=/usr/bin/id", "h", "u", "root", "sudo", "/usr/bin/id", 0, 1 },
	{ "allow command=/usr/bin/id", "h", "u", "root", "sudo", "/usr/bin/id -u", 0, 0 },
	{ "allow command=/usr/bin/id", "h", "u", "root", "sudo", "/usr/bin/i", 0, 0 },
	{ "allow command=/usr/bin/id", "h", "u", "root", "sudo", "/usr/bin/id", 1, 0 },
	{ "allow command=/usr/bin/id", "h", "u", "root", "sudo", NULL, 0, 0 },
	{ "allow command-prefix=\"/usr/bin/systemctl status \"", "h", "u", "root",
	  "sudo", "/usr/bin/systemctl status nginx", 0, 1 },
	{ "allow command-prefix=\"/usr/bin/systemctl status \"", "h", "u", "root",
	  "sudo", "/usr/bin/systemctl status nginx", 1, 1 },
	{ "allow command-prefix=\"/usr/bin/systemctl status \"", "h", "u", "root",
	  "sudo", "/usr/bin/systemctl restart nginx", 0, 0 },
	{ "allow command-prefix=\"/usr/bin/systemctl status \"", "h", "u", "root",
	  "sudo", "/usr/bin/systemctl status", 0, 0 },
	{ "allow command-prefix=\"/usr/bin/systemctl status \"", "h", "u", "root",
	  "sudo", "/usr/bin/systemctl statusx", 0, 0 },
	{ "allow command-glob=\"/usr/bin/journalctl -u *\"", "h", "u", "root",
	  "sudo", "/usr/bin/journalctl -u nginx", 0, 1 },
	{ "allow command-glob=\"/usr/bin/journalctl -u *\"", "h", "u", "root",
	  "sudo", "/usr/bin/journalctl -u nginx", 1, 0 },
	{ "allow command-glob=\"/usr/bin/journalctl -u *\"", "h", "u", "root",
	  "sudo", "/usr/bin/journalctl -f", 0, 0 },
	{ "allow command-glob=/bin/*", "h", "u", "root", "sudo", "/bin/a/b", 0, 1 },
	{ "allow command-glob=\"/bin/l\\\\*\"", "h", "u", "root", "sudo", "/bin/l*", 0, 1 },
	{ "allow command-glob=\"/bin/l\\\\*\"", "h", "u", "root", "sudo", "/bin/ls", 0, 0 },
	{ "deny host=db-* target=root command-prefix=\"/bin/rm \"", "db-2", "u",
	  "root", "sudo", "/bin/rm -rf /var/lib/postgresql", 0, 1 },
	{ "deny host=db-* target=root command-prefix=\"/bin/rm \"", "db-2", "u",
	  "postgres", "sudo", "/bin/rm -rf /var/lib/postgresql", 0, 0 },
};

START_TEST(matching)
{
	struct policy_rule *r = parse_ok(cases[_i].rule);
	struct policy_query q = {
		cases[_i].host, cases[_i].user, cases[_i].target, cases[_i].service,
		cases[_i].command, cases[_i].cut, NULL, NULL, NULL, 0, NULL,
	};
	char why[256] = "";

	ck_assert_msg(policy_rule_match(r, &q, why, sizeof(why)) == cases[_i].match,
		      "rule '%s' on '%s': %s", cases[_i].rule,
		      cases[_i].command ? cases[_i].command : "(null)", why);
	ck_assert_uint_gt(strlen(why), 0);
	policy_rule_free(r);
}
END_TEST

/* initiator and host groups (the facts approvald reads with the rules) */
static const struct {
	const char *rule, *host, *initiator, *host_groups;
	int match;
	const char *user_groups;
} facts_cases[] = {
	{ "allow group=adm", "h", "human", NULL, 1, "adm" },
	{ "allow group=adm", "h", "human", NULL, 1, "users,adm,sudo" },
	{ "allow group=adm", "h", "human", NULL, 0, "users,admin" },
	{ "allow group=adm", "h", "human", NULL, 0, "" },
	{ "allow group=adm", "h", "human", NULL, 0, NULL },	/* not reported */
	{ "allow group=\"Domain Users\"", "h", "human", NULL, 0, "domain users" },
	{ "allow group=\"Domain Users\"", "h", "human", NULL, 1, "x,Domain Users" },
	{ "allow initiator=ci", "h", "ci", "", 1, NULL },
	{ "allow initiator=ci", "h", "agent", "", 0, NULL },
	{ "allow initiator=ci", "h", "human", "", 0, NULL },
	{ "allow initiator=ci", "h", NULL, NULL, 0, NULL },
	{ "deny initiator=agent", "h", "agent", NULL, 1, NULL },
	{ "allow initiator=human", "h", "human", NULL, 1, NULL },
	{ "allow host=@prod", "db-1", "human", "prod", 1, NULL },
	{ "allow host=@prod", "db-1", "human", "dev,prod,web", 1, NULL },
	{ "allow host=@prod", "db-1", "human", "production", 0, NULL },
	{ "allow host=@prod", "db-1", "human", "pro", 0, NULL },
	{ "allow host=@prod", "db-1", "human", "dev,web", 0, NULL },
	{ "allow host=@prod", "db-1", "human", "", 0, NULL },
	{ "allow host=@prod", "db-1", "human", NULL, 0, NULL },
	{ "allow host=@prod", "prod", "human", NULL, 0, NULL },	/* a group, not a name */
	{ "allow host=@prod initiator=agent", "db-1", "agent", "prod", 1, NULL },
	{ "allow host=@prod initiator=agent", "db-1", "ci", "prod", 0, NULL },
	{ "require approvers=dba:2", "db-1", "human", NULL, 1, NULL },	/* groups decide who, not what */
};

START_TEST(matching_facts)
{
	struct policy_rule *r = parse_ok(facts_cases[_i].rule);
	struct policy_query q = {
		facts_cases[_i].host, "u", "root", "sudo", "/bin/x", 0,
		facts_cases[_i].initiator, facts_cases[_i].host_groups, NULL, 0,
		facts_cases[_i].user_groups,
	};
	char why[256] = "";

	ck_assert_msg(policy_rule_match(r, &q, why, sizeof(why)) == facts_cases[_i].match,
		      "rule '%s' (initiator %s, groups %s): %s", facts_cases[_i].rule,
		      facts_cases[_i].initiator ? facts_cases[_i].initiator : "-",
		      facts_cases[_i].host_groups ? facts_cases[_i].host_groups : "-", why);
	policy_rule_free(r);
}
END_TEST

/* time windows: rule, zone's ISO day and minute (-1: no clock), matches */
static const struct {
	const char *rule;
	int dow, minute, match;
} window_cases[] = {
	{ "allow days=mon-fri", 1, 600, 1 },
	{ "allow days=mon-fri", 5, 1439, 1 },
	{ "allow days=mon-fri", 6, 600, 0 },
	{ "allow days=mon-fri", 7, 0, 0 },
	{ "allow days=fri-mon", 7, 0, 1 },
	{ "allow days=fri-mon", 3, 0, 0 },
	{ "allow hours=09:00-17:00", 3, 9 * 60, 1 },	/* from is inside */
	{ "allow hours=09:00-17:00", 3, 17 * 60, 0 },	/* to is outside */
	{ "allow hours=09:00-17:00", 3, 9 * 60 - 1, 0 },
	{ "allow hours=09:00-17:00", 3, 17 * 60 - 1, 1 },
	{ "allow hours=22:00-06:00", 3, 23 * 60, 1 },	/* across midnight */
	{ "allow hours=22:00-06:00", 4, 5 * 60 + 59, 1 },
	{ "allow hours=22:00-06:00", 4, 6 * 60, 0 },
	{ "allow hours=22:00-06:00", 4, 12 * 60, 0 },
	{ "allow hours=00:00-24:00", 4, 1439, 1 },
	{ "allow days=sat,sun hours=10:00-12:00", 6, 11 * 60, 1 },
	{ "allow days=sat,sun hours=10:00-12:00", 5, 11 * 60, 0 },
	{ "allow days=sat,sun hours=10:00-12:00", 6, 13 * 60, 0 },
	{ "allow days=mon", -1, 0, 0 },			/* no clock: no match */
	{ "allow days=mon", 8, 0, 0 },			/* a bad clock: no match */
	{ "allow hours=09:00-10:00", 1, 1440, 0 },
};

START_TEST(matching_windows)
{
	struct policy_rule *r = parse_ok(window_cases[_i].rule);
	const struct policy_clock clk[2] = {
		{ "Other/Zone", 1, 600 },	/* never the one asked for */
		{ "UTC", window_cases[_i].dow, window_cases[_i].minute },
	};
	struct policy_query q = { "h", "u", "root", "sudo", "/bin/x", 0, NULL, NULL,
				  clk, window_cases[_i].dow < 0 ? 1 : 2, NULL };
	char why[256] = "";

	ck_assert_str_eq(policy_rule_zone(r), "UTC");
	ck_assert_msg(policy_rule_match(r, &q, why, sizeof(why)) == window_cases[_i].match,
		      "rule '%s' at day %d minute %d: %s", window_cases[_i].rule,
		      window_cases[_i].dow, window_cases[_i].minute, why);
	policy_rule_free(r);
}
END_TEST

/* The zone decides which clock: the same rule in two zones. */
START_TEST(windows_zone)
{
	struct policy_rule *b = parse_ok("allow hours=09:00-17:00 tz=Europe/Berlin");
	struct policy_rule *u = parse_ok("allow hours=09:00-17:00");
	const struct policy_rule *both[2] = { b, u };
	const struct policy_clock clk[2] = { { "UTC", 1, 8 * 60 }, { "Europe/Berlin", 1, 9 * 60 } };
	struct policy_query q = { "h", "u", "root", "sudo", "/bin/x", 0, NULL, NULL, clk, 2, NULL };
	char *z = NULL;

	ck_assert_int_eq(policy_rule_match(b, &q, NULL, 0), 1);
	ck_assert_int_eq(policy_rule_match(u, &q, NULL, 0), 0);
	ck_assert_int_eq(policy_zones_literal(both, 2, &z), 0);
	ck_assert_str_eq(z, "{Europe/Berlin,UTC}");
	free(z);
	ck_assert_int_eq(policy_zones_literal(both, 0, &z), 0);
	ck_assert_str_eq(z, "{}");
	free(z);
	policy_rule_free(b);
	b = parse_ok("allow");
	ck_assert_ptr_null(policy_rule_zone(b));	/* no window, no zone */
	policy_rule_free(b);
	policy_rule_free(u);
}
END_TEST

/* reason and ticket requirements: rule, reason, ticket, refused */
static const struct {
	const char *rule, *reason, *ticket;
	int refused;
} need_cases[] = {
	{ "require reason=required", NULL, NULL, 1 },
	{ "require reason=required", ".", NULL, 1 },
	{ "require reason=required", "........", NULL, 1 },	/* punctuation only */
	{ "require reason=required", "   fix it   ", NULL, 1 },	/* 6 after trimming */
	{ "require reason=required", "restart nginx", NULL, 0 },
	{ "require reason=required minlen=3", "fix", NULL, 0 },
	{ "require reason=required minlen=4", "fix", NULL, 1 },
	{ "require reason=required minlen=4", "fixé", NULL, 0 },	/* characters, not bytes */
	{ "require ticket=required", NULL, NULL, 1 },
	{ "require ticket=required", NULL, "", 1 },
	{ "require ticket=required", NULL, "anything", 0 },
	{ "require ticket=required pattern=^[A-Z]+-[0-9]+$", NULL, "OPS-123", 0 },
	{ "require ticket=required pattern=^[A-Z]+-[0-9]+$", NULL, "ops-123", 1 },
	{ "require ticket=required pattern=^[A-Z]+-[0-9]+$", NULL, "OPS-123 x", 1 },
	{ "require reason=required ticket=required", "restart nginx", NULL, 1 },
	{ "require reason=required ticket=required", "restart nginx", "T1", 0 },
	{ "require", NULL, NULL, 0 },
	{ "allow reason=required", "x", NULL, 1 },
};

START_TEST(requirements)
{
	struct policy_rule *r = parse_ok(need_cases[_i].rule);
	char buf[256];
	int what = -1;
	const char *m = policy_rule_missing(r, need_cases[_i].reason, need_cases[_i].ticket,
					    buf, sizeof(buf), &what);

	ck_assert_msg((m != NULL) == need_cases[_i].refused, "rule '%s' reason '%s': %s",
		      need_cases[_i].rule, need_cases[_i].reason ? need_cases[_i].reason : "-",
		      m ? m : "accepted");
	if (m)	/* the sentence names what is missing */
		ck_assert_ptr_nonnull(strstr(m, what ? "ticket" : "reason"));
	policy_rule_free(r);
}
END_TEST

START_TEST(first_match_wins)
{
	const char *texts[] = {
		"deny host=db-* command-prefix=\"/bin/rm \" message=\"no rm here\"",
		"allow command-prefix=\"/usr/bin/systemctl status \"",
		"allow command-prefix=\"/bin/rm \"",
		"allow host=db-*",
	};
	struct policy_rule *rules[4];
	struct policy_query q = { "db-1", "u", "root", "sudo", "/bin/rm -rf /", 0, NULL, NULL,
				  NULL, 0, NULL };
	size_t i;

	for (i = 0; i < 4; i++)
		rules[i] = parse_ok(texts[i]);
	ck_assert_int_eq(policy_first_match((const struct policy_rule *const *)rules, 4, &q), 0);
	q.host = "web-1";
	ck_assert_int_eq(policy_first_match((const struct policy_rule *const *)rules, 4, &q), 2);
	q.command = "/usr/bin/systemctl status x";
	ck_assert_int_eq(policy_first_match((const struct policy_rule *const *)rules, 4, &q), 1);
	q.command = "/usr/bin/vi /etc/passwd";
	ck_assert_int_eq(policy_first_match((const struct policy_rule *const *)rules, 4, &q), -1);
	q.host = "db-9";
	ck_assert_int_eq(policy_first_match((const struct policy_rule *const *)rules, 4, &q), 3);
	/* order is the only tie-break: the same rules reversed */
	{
		const struct policy_rule *rev[4] = { rules[3], rules[2], rules[1], rules[0] };

		q.command = "/bin/rm -rf /";
		ck_assert_int_eq(policy_first_match(rev, 4, &q), 0);
	}
	ck_assert_int_eq(policy_first_match(NULL, 0, &q), -1);
	for (i = 0; i < 4; i++)
		policy_rule_free(rules[i]);
}
END_TEST

/* earlier, later, covered */
static const struct {
	const char *a, *b;
	int covers;
} covering[] = {
	{ "allow", "deny host=x", 1 },
	{ "allow hours=09:00-17:00", "deny host=x", 0 },	/* only in its hours */
	{ "allow hours=09:00-17:00", "deny hours=09:00-17:00", 1 },
	{ "allow hours=09:00-17:00", "deny hours=09:00-17:00 tz=Europe/Berlin", 0 },
	{ "allow days=mon-fri", "deny days=mon", 0 },	/* not certain: 0 */
	{ "allow", "deny days=mon", 1 },
	{ "allow group=adm", "deny", 0 },
	{ "allow group=adm", "deny group=adm user=u", 1 },
	{ "allow initiator=ci", "deny initiator=agent", 0 },
	{ "allow host=@prod", "deny host=db-1", 0 },
	{ "allow host=@prod", "deny host=@prod service=su", 1 },
	{ "deny host=x", "allow", 0 },
	{ "allow host=db-*", "deny host=db-1", 1 },
	{ "allow host=db-*", "deny host=db-*", 1 },
	{ "allow host=db-*", "deny host=db-?", 0 },	/* not certain: 0 */
	{ "allow host=db-*", "deny host=web-1", 0 },
	{ "allow host=db-1", "deny host=db-*", 0 },
	{ "allow user=a", "deny user=a target=root", 1 },
	{ "allow user=a", "deny user=b", 0 },
	{ "allow user=a", "deny", 0 },
	{ "allow service=sudo", "deny service=sudo command=/bin/x", 1 },
	{ "allow command-prefix=/usr/bin/", "deny command=/usr/bin/id", 1 },
	{ "allow command-prefix=/usr/bin/", "deny command-prefix=/usr/bin/sys", 1 },
	{ "allow command-prefix=/usr/bin/sys", "deny command-prefix=/usr/bin/", 0 },
	{ "allow command-prefix=/usr/bin/", "deny command-glob=/usr/bin/*", 1 },
	{ "allow command-prefix=/usr/bin/", "deny command-glob=/usr/*", 0 },
	{ "allow command=/bin/id", "deny command=/bin/id", 1 },
	{ "allow command=/bin/id", "deny command-prefix=/bin/id", 0 },
	{ "allow command-glob=/bin/*", "deny command=/bin/id", 1 },
	{ "allow command-glob=/bin/*", "deny command-prefix=/bin/", 0 },	/* cut commands */
	{ "allow command-glob=/bin/*", "deny command-glob=/bin/*", 1 },
	{ "allow command-glob=/bin/*", "deny command-glob=/bin/a*", 0 },
	{ "allow command=/bin/id", "deny", 0 },
};

START_TEST(covers)
{
	struct policy_rule *a = parse_ok(covering[_i].a), *b = parse_ok(covering[_i].b);

	ck_assert_msg(policy_rule_covers(a, b) == covering[_i].covers, "'%s' covers '%s': "
		      "want %d", covering[_i].a, covering[_i].b, covering[_i].covers);
	policy_rule_free(a);
	policy_rule_free(b);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(policy_action_name(POLICY_ALLOW), "allow");
	ck_assert_str_eq(policy_action_name(POLICY_DENY), "deny");
	ck_assert_str_eq(policy_action_name(POLICY_REQUIRE), "require");
	ck_assert_ptr_null(policy_action_name((enum policy_action)42));
	policy_rule_free(NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, parse_format_roundtrip, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_test(tc, parse_fields);
	tcase_add_loop_test(tc, parse_refused, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, parse_lengths);
	tcase_add_loop_test(tc, matching, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, matching_facts, 0, sizeof(facts_cases) / sizeof(facts_cases[0]));
	tcase_add_loop_test(tc, matching_windows, 0, sizeof(window_cases) / sizeof(window_cases[0]));
	tcase_add_test(tc, windows_zone);
	tcase_add_loop_test(tc, requirements, 0, sizeof(need_cases) / sizeof(need_cases[0]));
	tcase_add_test(tc, first_match_wins);
	tcase_add_loop_test(tc, covers, 0, sizeof(covering) / sizeof(covering[0]));
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(suite());
}
