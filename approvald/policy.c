/* policy.c: owns the rule text format and rule matching (see policy.h and
 * docs/policy.md). Pure: no I/O, no clock, no locale. Input is an
 * administrator's text, but it is checked as hostile all the same: it is
 * length-bounded, valid UTF-8, free of control characters, and a fault
 * is named with its column. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "policy.h"
#include "text.h"

const char *
policy_action_name(enum policy_action a)
{
	switch (a) {
	case POLICY_ALLOW:	return "allow";
	case POLICY_DENY:	return "deny";
	case POLICY_REQUIRE:	return "require";
	default:		return NULL;
	}
}

void
policy_rule_free(struct policy_rule *r)
{
	if (!r)
		return;
	free(r->message);
	free(r->groups);
	free(r->initiator);
	free(r->host);
	free(r->user);
	free(r->target);
	free(r->service);
	free(r->cmd);
	free(r);
}

int
policy_rule_is_default(const struct policy_rule *r)
{
	return !r->host && !r->user && !r->target && !r->service &&
	       !r->initiator && r->cmd_kind == POLICY_CMD_ANY;
}

/* ---- parsing ---- */

struct parser {
	const char *s;
	size_t len, i;
	char *err;
	size_t errlen, *pos;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "column %zu: %s", at + 1, what);
	if (p->pos)
		*p->pos = at;
	return -EINVAL;
}

static void
skip_blank(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

static int
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || c == '-';
}

/* A word [a-z-]+ at p->i; its length (0 when none). */
static size_t
word(struct parser *p)
{
	size_t n = 0;

	while (p->i + n < p->len && is_word(p->s[p->i + n]))
		n++;
	return n;
}

static int
word_is(const struct parser *p, size_t at, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p->s + at, w, n) == 0;
}

/* A value, bare (up to the next blank) or double-quoted (escapes \" and
 * \\ only), checked and copied to *out. */
static int
value(struct parser *p, char **out)
{
	struct approve_buf b;
	size_t start = p->i;
	int quoted = p->i < p->len && p->s[p->i] == '"';
	int r = -EINVAL;

	*out = NULL;
	approve_buf_init(&b, POLICY_VALUE_MAX + 1);
	if (quoted)
		p->i++;
	for (;;) {
		char c;

		if (p->i >= p->len) {
			if (quoted) {
				r = fail(p, start, "unterminated quoted value");
				goto out;
			}
			break;
		}
		c = p->s[p->i];
		if (!quoted && (c == ' ' || c == '\t'))
			break;
		if (quoted && c == '"') {
			p->i++;
			if (p->i < p->len && p->s[p->i] != ' ' && p->s[p->i] != '\t') {
				r = fail(p, p->i, "a blank must follow a quoted value");
				goto out;
			}
			break;
		}
		if (!quoted && (c == '"' || c == '\\')) {
			r = fail(p, p->i, "'%c' in a bare value (quote the value)", c);
			goto out;
		}
		if (quoted && c == '\\') {
			if (p->i + 1 >= p->len ||
			    (p->s[p->i + 1] != '"' && p->s[p->i + 1] != '\\')) {
				r = fail(p, p->i, "unknown escape (only \\\" and \\\\)");
				goto out;
			}
			p->i++;
			c = p->s[p->i];
		}
		if ((unsigned char)c < 0x20 || c == 0x7f) {
			r = fail(p, p->i, "control character 0x%02x", (unsigned char)c);
			goto out;
		}
		if (b.len >= POLICY_VALUE_MAX) {
			r = fail(p, start, "value longer than %d bytes", POLICY_VALUE_MAX);
			goto out;
		}
		if (approve_buf_append(&b, &c, 1) < 0) {
			r = -ENOMEM;
			goto out;
		}
		p->i++;
	}
	if (!approve_utf8_valid(b.data ? b.data : "", b.len)) {
		r = fail(p, start, "value is not valid UTF-8");
		goto out;
	}
	*out = approve_buf_take(&b);
	r = *out ? 0 : -ENOMEM;
out:
	approve_buf_release(&b);
	return r;
}

/* fnmatch has no compile step: refuse what it would treat oddly (an
 * unclosed bracket, a trailing backslash) so that a glob is judged at
 * add, never at request time. */
static int
glob_check(struct parser *p, size_t at, const char *g)
{
	size_t i, n = strlen(g);

	for (i = 0; i < n; i++) {
		if (g[i] == '\\') {
			if (i + 1 == n)
				return fail(p, at, "glob ends in a backslash");
			i++;
		} else if (g[i] == '[') {
			size_t j = i + 1;

			if (j < n && (g[j] == '!' || g[j] == '^'))
				j++;
			if (j < n && g[j] == ']')
				j++;
			while (j < n && g[j] != ']')
				j++;
			if (j >= n)
				return fail(p, at, "glob has an unclosed '['");
			i = j;
		}
	}
	return 0;
}

/* A group name as sql/013 allows it: [a-z][a-z0-9_-]{0,62}. */
static int
group_name_ok(const char *g, size_t n)
{
	size_t i;

	if (n < 1 || n > POLICY_GROUP_NAME_MAX || g[0] < 'a' || g[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((g[i] >= 'a' && g[i] <= 'z') || (g[i] >= '0' && g[i] <= '9') ||
		      g[i] == '_' || g[i] == '-'))
			return 0;
	return 1;
}

/* groups=g1,g2: names, none twice. */
static int
groups_check(struct parser *p, size_t at, const char *v)
{
	const char *c = v, *e, *o;

	if (!*v)
		return fail(p, at, "empty group list");
	for (;;) {
		e = strchr(c, ',');
		if (!e)
			e = c + strlen(c);
		if (!group_name_ok(c, (size_t)(e - c)))
			return fail(p, at + (size_t)(c - v), "bad group name (a-z, 0-9, _ "
				    "and -, starting with a letter, up to %d)",
				    POLICY_GROUP_NAME_MAX);
		for (o = v; o < c; o = strchr(o, ',') + 1)
			if ((size_t)(strchr(o, ',') - o) == (size_t)(e - c) &&
			    memcmp(o, c, (size_t)(e - c)) == 0)
				return fail(p, at + (size_t)(c - v), "group '%.*s' named twice",
					    (int)(e - c), c);
		if (!*e)
			return 0;
		c = e + 1;
	}
}

/* "N" within 1..POLICY_APPROVALS_MAX, or 0. */
static unsigned
approvals_number(const char *v)
{
	char *end = NULL;
	unsigned long nv;

	if (v[0] < '0' || v[0] > '9' || strlen(v) > 2)
		return 0;
	nv = strtoul(v, &end, 10);
	if (*end || nv < 1 || nv > POLICY_APPROVALS_MAX)
		return 0;
	return (unsigned)nv;
}

int
policy_rule_parse(const char *text, size_t len, struct policy_rule **out,
		  char *err, size_t errlen, size_t *pos)
{
	struct parser p = { text, len, 0, err, errlen, pos };
	struct policy_rule *r = NULL;
	size_t at, n, cmd_at = 0;
	int rc = -EINVAL, have_approvals = 0;

	*out = NULL;
	if (pos)
		*pos = 0;
	if (err && errlen)
		err[0] = '\0';
	if (len > POLICY_LINE_MAX)
		return fail(&p, POLICY_LINE_MAX, "rule longer than %d bytes",
			    POLICY_LINE_MAX);
	for (at = 0; at < len; at++)
		if (text[at] == '\0' || text[at] == '\n' || text[at] == '\r')
			return fail(&p, at, "%s in the rule",
				    text[at] ? "line break" : "NUL byte");
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->approvals = 1;
	skip_blank(&p);
	at = p.i;
	n = word(&p);
	if (word_is(&p, at, n, "allow"))
		r->action = POLICY_ALLOW;
	else if (word_is(&p, at, n, "deny"))
		r->action = POLICY_DENY;
	else if (word_is(&p, at, n, "require"))
		r->action = POLICY_REQUIRE;
	else {
		rc = fail(&p, at, n ? "unknown action (allow, deny or require)"
				    : "a rule starts with allow, deny or require");
		goto out;
	}
	p.i += n;
	for (;;) {
		char **slot = NULL, *v = NULL;
		enum policy_cmd kind = POLICY_CMD_ANY;
		size_t vat;

		if (p.i < p.len && p.s[p.i] != ' ' && p.s[p.i] != '\t') {
			rc = fail(&p, p.i, "expected a blank");
			goto out;
		}
		skip_blank(&p);
		if (p.i >= p.len)
			break;
		at = p.i;
		n = word(&p);
		if (!n) {
			rc = fail(&p, at, "expected key=value");
			goto out;
		}
		if (word_is(&p, at, n, "host"))
			slot = &r->host;
		else if (word_is(&p, at, n, "user"))
			slot = &r->user;
		else if (word_is(&p, at, n, "target"))
			slot = &r->target;
		else if (word_is(&p, at, n, "service"))
			slot = &r->service;
		else if (word_is(&p, at, n, "message"))
			slot = &r->message;
		else if (word_is(&p, at, n, "command"))
			kind = POLICY_CMD_EXACT;
		else if (word_is(&p, at, n, "command-prefix"))
			kind = POLICY_CMD_PREFIX;
		else if (word_is(&p, at, n, "command-glob"))
			kind = POLICY_CMD_GLOB;
		else if (word_is(&p, at, n, "groups"))
			slot = &r->groups;
		else if (word_is(&p, at, n, "initiator"))
			slot = &r->initiator;
		else if (!word_is(&p, at, n, "approvals") &&
			 !word_is(&p, at, n, "approvers")) {
			rc = fail(&p, at, "unknown key '%.*s'", (int)n, p.s + at);
			goto out;
		}
		p.i += n;
		if (p.i >= p.len || p.s[p.i] != '=') {
			rc = fail(&p, p.i, "expected '=' after '%.*s'", (int)n, p.s + at);
			goto out;
		}
		p.i++;
		vat = p.i;
		rc = value(&p, &v);
		if (rc < 0)
			goto out;
		rc = -EINVAL;
		if (kind != POLICY_CMD_ANY) {
			if (r->cmd_kind != POLICY_CMD_ANY) {
				free(v);
				rc = fail(&p, at, "a second command key (the first at column %zu)",
					  cmd_at + 1);
				goto out;
			}
			r->cmd_kind = kind;
			r->cmd = v;
			cmd_at = at;
			if (!*v) {
				rc = fail(&p, vat, "empty command");
				goto out;
			}
			if (kind == POLICY_CMD_GLOB && glob_check(&p, vat, v) < 0)
				goto out;
			continue;
		}
		if (!slot) {	/* approvals= or approvers=GROUPS:N */
			int approvers = word_is(&p, at, n, "approvers");
			char *colon = approvers ? strrchr(v, ':') : NULL;
			unsigned nv;

			if (have_approvals) {
				free(v);
				rc = fail(&p, at, "approvals given twice");
				goto out;
			}
			have_approvals = 1;
			if (r->action != POLICY_REQUIRE) {
				free(v);
				rc = fail(&p, at, "%s belongs to require",
					  approvers ? "approvers" : "approvals");
				goto out;
			}
			if (approvers && !colon) {
				free(v);
				rc = fail(&p, vat, "approvers=GROUPS:N (say how many)");
				goto out;
			}
			nv = approvals_number(colon ? colon + 1 : v);
			if (!nv) {
				rc = fail(&p, colon ? vat + (size_t)(colon + 1 - v) : vat,
					  "approvals must be a number from 1 to %d",
					  POLICY_APPROVALS_MAX);
				free(v);
				goto out;
			}
			r->approvals = nv;
			if (!colon) {
				free(v);
				continue;
			}
			*colon = '\0';
			if (r->groups) {
				free(v);
				rc = fail(&p, at, "groups given twice");
				goto out;
			}
			r->groups = v;
			if (groups_check(&p, vat, v) < 0)
				goto out;
			continue;
		}
		if (*slot) {
			free(v);
			rc = fail(&p, at, "'%.*s' given twice", (int)n, p.s + at);
			goto out;
		}
		*slot = v;
		if (slot == &r->message) {
			if (r->action != POLICY_DENY) {
				rc = fail(&p, at, "message belongs to deny");
				goto out;
			}
			if (strlen(v) > POLICY_MESSAGE_MAX) {
				rc = fail(&p, vat, "message longer than %d bytes",
					  POLICY_MESSAGE_MAX);
				goto out;
			}
			continue;
		}
		if (!*v) {
			rc = fail(&p, vat, "empty value (leave the key out to match anything)");
			goto out;
		}
		if (slot == &r->groups) {
			if (r->action != POLICY_REQUIRE) {
				rc = fail(&p, at, "groups belongs to require");
				goto out;
			}
			if (groups_check(&p, vat, v) < 0)
				goto out;
		}
		if (slot == &r->initiator && strcmp(v, "human") != 0 &&
		    strcmp(v, "agent") != 0 && strcmp(v, "ci") != 0) {
			rc = fail(&p, vat, "initiator is human, agent or ci");
			goto out;
		}
		if (slot == &r->host && v[0] == '@' && !group_name_ok(v + 1, strlen(v + 1))) {
			rc = fail(&p, vat + 1, "bad host group name");
			goto out;
		}
		if (slot == &r->host && glob_check(&p, vat, v) < 0)
			goto out;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	policy_rule_free(r);
	return rc;
}

/* ---- canonical text ---- */

static int
put_value(struct approve_buf *b, const char *key, const char *v)
{
	int bare = *v != '\0';
	const char *c;

	for (c = v; *c && bare; c++)
		if (*c == ' ' || *c == '\t' || *c == '"' || *c == '\\')
			bare = 0;
	if (approve_buf_append(b, " ", 1) < 0 ||
	    approve_buf_append(b, key, strlen(key)) < 0 ||
	    approve_buf_append(b, "=", 1) < 0)
		return -ENOMEM;
	if (bare)
		return approve_buf_append(b, v, strlen(v)) < 0 ? -ENOMEM : 0;
	if (approve_buf_append(b, "\"", 1) < 0)
		return -ENOMEM;
	for (c = v; *c; c++) {
		if ((*c == '"' || *c == '\\') && approve_buf_append(b, "\\", 1) < 0)
			return -ENOMEM;
		if (approve_buf_append(b, c, 1) < 0)
			return -ENOMEM;
	}
	return approve_buf_append(b, "\"", 1) < 0 ? -ENOMEM : 0;
}

int
policy_rule_format(const struct policy_rule *r, char **out)
{
	static const char *const cmd_key[] = {
		[POLICY_CMD_EXACT] = "command",
		[POLICY_CMD_PREFIX] = "command-prefix",
		[POLICY_CMD_GLOB] = "command-glob",
	};
	struct approve_buf b;
	const char *act = policy_action_name(r->action);
	char num[16];
	int rc = -ENOMEM;

	*out = NULL;
	if (!act)
		return -EINVAL;
	approve_buf_init(&b, 4 * POLICY_LINE_MAX);
	if (approve_buf_append(&b, act, strlen(act)) < 0)
		goto out;
	if (r->action == POLICY_REQUIRE) {
		snprintf(num, sizeof(num), "%u", r->approvals);
		if (put_value(&b, "approvals", num) < 0)
			goto out;
		if (r->groups && put_value(&b, "groups", r->groups) < 0)
			goto out;
	}
	if ((r->host && put_value(&b, "host", r->host) < 0) ||
	    (r->user && put_value(&b, "user", r->user) < 0) ||
	    (r->target && put_value(&b, "target", r->target) < 0) ||
	    (r->service && put_value(&b, "service", r->service) < 0) ||
	    (r->initiator && put_value(&b, "initiator", r->initiator) < 0))
		goto out;
	if (r->cmd_kind != POLICY_CMD_ANY && r->cmd &&
	    put_value(&b, cmd_key[r->cmd_kind], r->cmd) < 0)
		goto out;
	if (r->action == POLICY_DENY && r->message &&
	    put_value(&b, "message", r->message) < 0)
		goto out;
	*out = approve_buf_take(&b);
	rc = *out ? 0 : -ENOMEM;
out:
	approve_buf_release(&b);
	return rc;
}

/* ---- matching ---- */

static int __attribute__((format(printf, 4, 5)))
because(char *why, size_t whylen, int result, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return result;
}

static int
field_eq(const char *want, const char *have)
{
	return !want || (have && strcmp(want, have) == 0);
}

static int
command_match(const struct policy_rule *r, const struct policy_query *q)
{
	const char *c = q->command;

	if (!c)
		return 0;
	switch (r->cmd_kind) {
	case POLICY_CMD_ANY:
		return 1;
	case POLICY_CMD_EXACT:
		return !q->command_truncated && strcmp(c, r->cmd) == 0;
	case POLICY_CMD_PREFIX:
		return strncmp(c, r->cmd, strlen(r->cmd)) == 0;
	case POLICY_CMD_GLOB:
		return !q->command_truncated && fnmatch(r->cmd, c, 0) == 0;
	default:	/* an unknown kind never matches */
		return 0;
	}
}

/* name is one of the comma-separated list */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *c = list;

	while (c && *c) {
		const char *e = strchr(c, ',');
		size_t k = e ? (size_t)(e - c) : strlen(c);

		if (k == n && memcmp(c, name, n) == 0)
			return 1;
		c = e ? e + 1 : NULL;
	}
	return 0;
}

int
policy_rule_match(const struct policy_rule *r, const struct policy_query *q,
		  char *why, size_t whylen)
{
	if (r->host && r->host[0] == '@') {
		if (!q->host_groups || !in_list(q->host_groups, r->host + 1))
			return because(why, whylen, 0, "host %s is not in host group %s",
				       q->host ? q->host : "(none)", r->host + 1);
	} else if (r->host && (!q->host || fnmatch(r->host, q->host, 0) != 0))
		return because(why, whylen, 0, "host %s does not match %s",
			       q->host ? q->host : "(none)", r->host);
	if (!field_eq(r->user, q->user))
		return because(why, whylen, 0, "user %s is not %s",
			       q->user ? q->user : "(none)", r->user);
	if (!field_eq(r->target, q->target))
		return because(why, whylen, 0, "target %s is not %s",
			       q->target ? q->target : "(none)", r->target);
	if (!field_eq(r->service, q->service))
		return because(why, whylen, 0, "service %s is not %s",
			       q->service ? q->service : "(none)", r->service);
	if (!field_eq(r->initiator, q->initiator))
		return because(why, whylen, 0, "initiator %s is not %s",
			       q->initiator ? q->initiator : "(unknown)", r->initiator);
	if (!command_match(r, q))
		return because(why, whylen, 0, "the command does not match%s",
			       q->command_truncated && r->cmd_kind != POLICY_CMD_PREFIX
			       ? " (it was cut, only a prefix can match)" : "");
	return because(why, whylen, 1, "every field matches");
}

long
policy_first_match(const struct policy_rule *const *rules, size_t n,
		   const struct policy_query *q)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (policy_rule_match(rules[i], q, NULL, 0))
			return (long)i;
	return -1;
}

/* ---- lint ---- */

static int
has_glob_meta(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* a glob covers another pattern: the same text, or a literal it matches */
static int
glob_covers(const char *a, const char *b)
{
	if (!a)
		return 1;
	if (!b)
		return 0;
	return strcmp(a, b) == 0 || (!has_glob_meta(b) && fnmatch(a, b, 0) == 0);
}

static int
eq_covers(const char *a, const char *b)
{
	return !a || (b && strcmp(a, b) == 0);
}

static int
starts_with(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && memcmp(s, p, k) == 0;
}

static int
command_covers(const struct policy_rule *a, const struct policy_rule *b)
{
	if (a->cmd_kind == POLICY_CMD_ANY)
		return 1;
	if (b->cmd_kind == POLICY_CMD_ANY)
		return 0;
	switch (a->cmd_kind) {
	case POLICY_CMD_EXACT:
		return b->cmd_kind == POLICY_CMD_EXACT && strcmp(a->cmd, b->cmd) == 0;
	case POLICY_CMD_PREFIX:
		if (b->cmd_kind == POLICY_CMD_GLOB)	/* its literal start */
			return starts_with(b->cmd, strcspn(b->cmd, "*?[\\"), a->cmd);
		return starts_with(b->cmd, strlen(b->cmd), a->cmd);
	case POLICY_CMD_GLOB:
		/* a glob never matches a cut command; a prefix may */
		if (b->cmd_kind == POLICY_CMD_EXACT)
			return fnmatch(a->cmd, b->cmd, 0) == 0;
		return b->cmd_kind == POLICY_CMD_GLOB && strcmp(a->cmd, b->cmd) == 0;
	default:
		return 0;
	}
}

int
policy_rule_covers(const struct policy_rule *a, const struct policy_rule *b)
{
	return glob_covers(a->host, b->host) && eq_covers(a->user, b->user) &&
	       eq_covers(a->initiator, b->initiator) &&
	       eq_covers(a->target, b->target) && eq_covers(a->service, b->service) &&
	       command_covers(a, b);
}
