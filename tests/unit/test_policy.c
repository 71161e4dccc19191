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
	{ "allow initiator=ci command-prefix=/usr/bin/apt",
	  "allow initiator=ci command-prefix=/usr/bin/apt" },
	{ "deny initiator=agent host=@prod message=\"no agents in prod\"",
	  "deny host=@prod initiator=agent message=\"no agents in prod\"" },
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
		cases[_i].command, cases[_i].cut, NULL, NULL,
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
} facts_cases[] = {
	{ "allow initiator=ci", "h", "ci", "", 1 },
	{ "allow initiator=ci", "h", "agent", "", 0 },
	{ "allow initiator=ci", "h", "human", "", 0 },
	{ "allow initiator=ci", "h", NULL, NULL, 0 },
	{ "deny initiator=agent", "h", "agent", NULL, 1 },
	{ "allow initiator=human", "h", "human", NULL, 1 },
	{ "allow host=@prod", "db-1", "human", "prod", 1 },
	{ "allow host=@prod", "db-1", "human", "dev,prod,web", 1 },
	{ "allow host=@prod", "db-1", "human", "production", 0 },
	{ "allow host=@prod", "db-1", "human", "pro", 0 },
	{ "allow host=@prod", "db-1", "human", "dev,web", 0 },
	{ "allow host=@prod", "db-1", "human", "", 0 },
	{ "allow host=@prod", "db-1", "human", NULL, 0 },
	{ "allow host=@prod", "prod", "human", NULL, 0 },	/* a group, not a name */
	{ "allow host=@prod initiator=agent", "db-1", "agent", "prod", 1 },
	{ "allow host=@prod initiator=agent", "db-1", "ci", "prod", 0 },
	{ "require approvers=dba:2", "db-1", "human", NULL, 1 },	/* groups decide who, not what */
};

START_TEST(matching_facts)
{
	struct policy_rule *r = parse_ok(facts_cases[_i].rule);
	struct policy_query q = {
		facts_cases[_i].host, "u", "root", "sudo", "/bin/x", 0,
		facts_cases[_i].initiator, facts_cases[_i].host_groups,
	};
	char why[256] = "";

	ck_assert_msg(policy_rule_match(r, &q, why, sizeof(why)) == facts_cases[_i].match,
		      "rule '%s' (initiator %s, groups %s): %s", facts_cases[_i].rule,
		      facts_cases[_i].initiator ? facts_cases[_i].initiator : "-",
		      facts_cases[_i].host_groups ? facts_cases[_i].host_groups : "-", why);
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
	struct policy_query q = { "db-1", "u", "root", "sudo", "/bin/rm -rf /", 0, NULL, NULL };
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
