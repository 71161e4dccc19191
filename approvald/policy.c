/* policy.c: owns the rule text format and rule matching (see policy.h and
 * docs/policy.md). Pure: no I/O, no clock, no locale. Input is an
 * administrator's text, but it is checked as hostile all the same: it is
 * length-bounded, valid UTF-8, free of control characters, and a fault
 * is named with its column. */
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "notify_settings.h"
#include "policy.h"
#include "text.h"

const char *
policy_action_name(enum policy_action a)
{
	switch (a) {
	case POLICY_ALLOW:	return "allow";
	case POLICY_DENY:	return "deny";
	case POLICY_REQUIRE:	return "require";
	case POLICY_BREAKGLASS:	return "breakglass";
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
	free(r->ugroup);
	free(r->initiator);
	free(r->tz);
	free(r->ticket_pattern);
	free(r->host);
	free(r->user);
	free(r->target);
	free(r->service);
	free(r->cmd);
	free(r->notify);
	free(r);
}

int
policy_rule_is_default(const struct policy_rule *r)
{
	return !r->host && !r->user && !r->ugroup && !r->target && !r->service &&
	       !r->initiator && !r->days && r->from_min < 0 &&
	       r->cmd_kind == POLICY_CMD_ANY;
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

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

const char *
policy_day_name(int dow)
{
	return dow >= 1 && dow <= 7 ? day_names[dow - 1] : "?";
}

static int
day_index(const char *s, size_t n)
{
	int i;

	for (i = 0; i < 7; i++)
		if (n == 3 && memcmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* days=mon-fri,sun: days and ranges (a range may wrap: fri-mon). */
static int
days_parse(struct parser *p, size_t at, const char *v, unsigned *out)
{
	const char *c = v;
	unsigned m = 0;

	for (;;) {
		const char *e = c + strcspn(c, ",");
		const char *dash = memchr(c, '-', (size_t)(e - c));
		int a = day_index(c, dash ? (size_t)(dash - c) : (size_t)(e - c));
		int b = dash ? day_index(dash + 1, (size_t)(e - dash - 1)) : a;
		unsigned add = 0;

		if (a < 0 || b < 0)
			return fail(p, at + (size_t)(c - v), "days are mon..sun, "
				    "ranges like mon-fri, separated by ','");
		for (;; a = (a + 1) % 7) {
			add |= 1u << a;
			if (a == b)
				break;
		}
		if (m & add)
			return fail(p, at + (size_t)(c - v), "a day named twice");
		m |= add;
		if (!*e)
			break;
		c = e + 1;
	}
	*out = m;
	return 0;
}

/* HH:MM (00:00..24:00) -> minutes, or -1. */
static int
hhmm(const char *s)
{
	int h, mi;

	if (strlen(s) != 5 || s[2] != ':' || strspn(s, "0123456789:") != 5)
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	mi = (s[3] - '0') * 10 + (s[4] - '0');
	if (mi > 59 || h > 24 || (h == 24 && mi != 0))
		return -1;
	return h * 60 + mi;
}

static int
hours_parse(struct parser *p, size_t at, const char *v, int *from, int *to)
{
	char a[6], b[6];
	const char *dash = strchr(v, '-');

	if (!dash || dash - v != 5 || strlen(dash + 1) != 5)
		return fail(p, at, "hours=HH:MM-HH:MM");
	memcpy(a, v, 5);
	a[5] = '\0';
	memcpy(b, dash + 1, 6);
	*from = hhmm(a);
	*to = hhmm(b);
	if (*from < 0 || *to < 0)
		return fail(p, at, "hours=HH:MM-HH:MM (00:00 to 24:00)");
	if (*from == *to)
		return fail(p, at, "an empty window (from equals to)");
	if (*from == 24 * 60)
		return fail(p, at, "a window starts before 24:00");
	return 0;
}

/* An IANA zone name's shape (the database checks that it exists). */
static int
tz_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= POLICY_TZ_MAX && s[0] != '/' && !strstr(s, "..") &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789/_+-") == n;
}

/* 30s, 15m, 2h, 1d -> seconds within 1..POLICY_DURATION_MAX, or -1. */
static long
duration(const char *s)
{
	char *end = NULL;
	long n, mul;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 8)
		return -1;
	n = strtol(s, &end, 10);
	if (!end || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (n < 1 || n > POLICY_DURATION_MAX / mul)
		return -1;
	return n * mul;
}

/* notify=none or notify=KIND[,KIND...] (notify_settings.h's kinds, each
 * once) -> *out "none" or the kinds in their fixed order. */
static int
notify_parse(struct parser *p, size_t vat, const char *v, char **out)
{
	static const char *const kinds[] = NOTIFY_KIND_NAMES;
	unsigned named = 0, k;
	const char *w = v;
	struct approve_buf b;
	size_t n;

	if (strcmp(v, "none") == 0)
		return (*out = strdup("none")) ? 0 : -ENOMEM;
	for (;;) {
		n = strcspn(w, ",");
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strlen(kinds[k]) == n && strncmp(w, kinds[k], n) == 0)
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]) || (named & (1u << k)))
			return fail(p, vat + (size_t)(w - v), "notify is none or a list "
				    "of webhook, slack, teams (each once)");
		named |= 1u << k;
		if (!w[n])
			break;
		w += n + 1;
	}
	approve_buf_init(&b, 64);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if ((named & (1u << k)) &&
		    ((b.len && approve_buf_append(&b, ",", 1) < 0) ||
		     approve_buf_append(&b, kinds[k], strlen(kinds[k])) < 0)) {
			approve_buf_release(&b);
			return -ENOMEM;
		}
	*out = approve_buf_take(&b);
	return *out ? 0 : -ENOMEM;
}

/* Keys that are not match fields or the action's operands: 1 when key
 * (at, n) was one of them and v (taken) was stored, 0 when it is not one
 * of them (v untouched), or -EINVAL / -ENOMEM. seen: a bit per key. */
static int
extra_key(struct parser *p, struct policy_rule *r, size_t at, size_t n, char *v,
	  size_t vat, unsigned *seen)
{
	static const char *const keys[] = {
		"days", "hours", "tz", "reason", "minlen", "ticket", "pattern",
		"ttl", "grace", "chat", "notify",
	};
	unsigned k;
	int rc = -EINVAL;
	regex_t re;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (word_is(p, at, n, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return 0;
	if (*seen & (1u << k)) {
		rc = fail(p, at, "'%s' given twice", keys[k]);
		goto out;
	}
	*seen |= 1u << k;
	switch (k) {
	case 0:
		rc = days_parse(p, vat, v, &r->days);
		break;
	case 1:
		rc = hours_parse(p, vat, v, &r->from_min, &r->to_min);
		break;
	case 2:
		if (!tz_ok(v)) {
			rc = fail(p, vat, "tz is a zone name like Europe/Berlin or UTC");
			break;
		}
		r->tz = v;
		return 1;
	case 3:
	case 5:
		if (strcmp(v, "required") != 0) {
			rc = fail(p, vat, "%s=required (or leave it out)", keys[k]);
			break;
		}
		if (r->action == POLICY_DENY) {
			rc = fail(p, at, "%s belongs to allow or require", keys[k]);
			break;
		}
		if (k == 3 && !r->reason_min)
			r->reason_min = POLICY_REASON_MIN_DEFAULT;
		if (k == 5)
			r->ticket_required = 1;
		rc = 0;
		break;
	case 4: {
		char *end = NULL;
		unsigned long m = v[0] >= '0' && v[0] <= '9' && strlen(v) <= 3 ?
				  strtoul(v, &end, 10) : 0;

		if (!end || *end || m < 1 || m > POLICY_REASON_MIN_MAX) {
			rc = fail(p, vat, "minlen is a number from 1 to %d",
				  POLICY_REASON_MIN_MAX);
			break;
		}
		r->reason_min = (unsigned)m;
		rc = 0;
		break;
	}
	case 6:
		if (!*v || regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0) {
			rc = fail(p, vat, "pattern is not a valid extended regular expression");
			break;
		}
		regfree(&re);
		r->ticket_pattern = v;
		return 1;
	case 7:
	case 8: {
		long d = duration(v);

		if (d < 0) {
			rc = fail(p, vat, "%s is a duration like 30s, 15m, 2h or 1d (up to 7d)",
				  keys[k]);
			break;
		}
		if (r->action != POLICY_REQUIRE) {
			rc = fail(p, at, "%s belongs to require", keys[k]);
			break;
		}
		if (k == 7)
			r->ttl_s = d;
		else
			r->grace_s = d;
		rc = 0;
		break;
	}
	case 9:
		if (strcmp(v, "no") != 0) {
			rc = fail(p, vat, "chat=no (or leave it out)");
			break;
		}
		if (r->action != POLICY_REQUIRE) {
			rc = fail(p, at, "chat belongs to require");
			break;
		}
		r->chat_no = 1;
		rc = 0;
		break;
	case 10:
		if (r->action != POLICY_REQUIRE && r->action != POLICY_BREAKGLASS) {
			rc = fail(p, at, "notify belongs to require and breakglass");
			break;
		}
		rc = notify_parse(p, vat, v, &r->notify);
		break;
	default:
		break;
	}
out:
	free(v);
	return rc < 0 ? rc : 1;
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
	unsigned seen = 0;

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
	r->from_min = r->to_min = -1;
	skip_blank(&p);
	at = p.i;
	n = word(&p);
	if (word_is(&p, at, n, "allow"))
		r->action = POLICY_ALLOW;
	else if (word_is(&p, at, n, "deny"))
		r->action = POLICY_DENY;
	else if (word_is(&p, at, n, "require"))
		r->action = POLICY_REQUIRE;
	else if (word_is(&p, at, n, "breakglass"))
		r->action = POLICY_BREAKGLASS;
	else {
		rc = fail(&p, at, n ? "unknown action (allow, deny, require or breakglass)"
				    : "a rule starts with allow, deny, require or breakglass");
		goto out;
	}
	p.i += n;
	for (;;) {
		char **slot = NULL, *v = NULL;
		enum policy_cmd kind = POLICY_CMD_ANY;
		int extra = 0;
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
		else if (word_is(&p, at, n, "group"))
			slot = &r->ugroup;
		else if (word_is(&p, at, n, "days") || word_is(&p, at, n, "hours") ||
			 word_is(&p, at, n, "tz") || word_is(&p, at, n, "reason") ||
			 word_is(&p, at, n, "minlen") || word_is(&p, at, n, "ticket") ||
			 word_is(&p, at, n, "pattern") || word_is(&p, at, n, "ttl") ||
			 word_is(&p, at, n, "grace") || word_is(&p, at, n, "chat") ||
			 word_is(&p, at, n, "notify"))
			extra = 1;
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
		if (extra) {
			rc = extra_key(&p, r, at, n, v, vat, &seen);
			if (rc < 0)
				goto out;
			continue;
		}
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
		if (slot == &r->ugroup && strchr(v, ',')) {
			rc = fail(&p, vat, "one unix group name (no ',')");
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
	rc = -EINVAL;
	if ((seen & (1u << 4)) && !(seen & (1u << 3))) {
		rc = fail(&p, 0, "minlen belongs to reason=required");
		goto out;
	}
	if (r->ticket_pattern && !r->ticket_required) {
		rc = fail(&p, 0, "pattern belongs to ticket=required");
		goto out;
	}
	/* break-glass always asks why */
	if (r->action == POLICY_BREAKGLASS && !r->reason_min)
		r->reason_min = POLICY_REASON_MIN_DEFAULT;
	if (r->tz && !r->days && r->from_min < 0) {
		rc = fail(&p, 0, "tz belongs to days= or hours=");
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
	    (r->ugroup && put_value(&b, "group", r->ugroup) < 0) ||
	    (r->target && put_value(&b, "target", r->target) < 0) ||
	    (r->service && put_value(&b, "service", r->service) < 0) ||
	    (r->initiator && put_value(&b, "initiator", r->initiator) < 0))
		goto out;
	if (r->cmd_kind != POLICY_CMD_ANY && r->cmd &&
	    put_value(&b, cmd_key[r->cmd_kind], r->cmd) < 0)
		goto out;
	if (r->days) {
		char d[7 * 4 + 1] = "";
		int i;

		for (i = 0; i < 7; i++)
			if (r->days & (1u << i)) {
				if (*d)
					strcat(d, ",");
				strcat(d, day_names[i]);
			}
		if (put_value(&b, "days", d) < 0)
			goto out;
	}
	if (r->from_min >= 0) {
		char h[32];

		snprintf(h, sizeof(h), "%02d:%02d-%02d:%02d", r->from_min / 60,
			 r->from_min % 60, r->to_min / 60, r->to_min % 60);
		if (put_value(&b, "hours", h) < 0)
			goto out;
	}
	if (r->tz && put_value(&b, "tz", r->tz) < 0)
		goto out;
	if (r->reason_min) {
		snprintf(num, sizeof(num), "%u", r->reason_min);
		if (put_value(&b, "reason", "required") < 0 ||
		    put_value(&b, "minlen", num) < 0)
			goto out;
	}
	if (r->ticket_required && (put_value(&b, "ticket", "required") < 0 ||
	    (r->ticket_pattern && put_value(&b, "pattern", r->ticket_pattern) < 0)))
		goto out;
	if (r->ttl_s || r->grace_s || r->chat_no) {
		if (r->ttl_s) {
			snprintf(num, sizeof(num), "%lds", r->ttl_s);
			if (put_value(&b, "ttl", num) < 0)
				goto out;
		}
		if (r->grace_s) {
			snprintf(num, sizeof(num), "%lds", r->grace_s);
			if (put_value(&b, "grace", num) < 0)
				goto out;
		}
		if (r->chat_no && put_value(&b, "chat", "no") < 0)
			goto out;
	}
	if (r->notify && put_value(&b, "notify", r->notify) < 0)
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
	if (r->ugroup && (!q->user_groups || !in_list(q->user_groups, r->ugroup)))
		return because(why, whylen, 0, "%s is not in unix group %s",
			       q->user ? q->user : "(none)", r->ugroup);
	if (!field_eq(r->target, q->target))
		return because(why, whylen, 0, "target %s is not %s",
			       q->target ? q->target : "(none)", r->target);
	if (!field_eq(r->service, q->service))
		return because(why, whylen, 0, "service %s is not %s",
			       q->service ? q->service : "(none)", r->service);
	if (r->days || r->from_min >= 0) {
		const char *tz = policy_rule_zone(r);
		const struct policy_clock *c = NULL;
		size_t i;

		for (i = 0; i < q->nclocks && !c; i++)
			if (q->clocks[i].tz && strcmp(q->clocks[i].tz, tz) == 0)
				c = &q->clocks[i];
		if (!c || c->dow < 1 || c->dow > 7 || c->minute < 0 || c->minute >= 24 * 60)
			return because(why, whylen, 0, "no clock for time zone %s", tz);
		if (r->days && !(r->days & (1u << (c->dow - 1))))
			return because(why, whylen, 0, "%s is not one of its days (%s)",
				       day_names[c->dow - 1], tz);
		if (r->from_min >= 0 &&
		    !(r->from_min < r->to_min ?
		      c->minute >= r->from_min && c->minute < r->to_min :
		      c->minute >= r->from_min || c->minute < r->to_min))
			return because(why, whylen, 0, "%02d:%02d is outside its hours (%s)",
				       c->minute / 60, c->minute % 60, tz);
	}
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

const char *
policy_rule_zone(const struct policy_rule *r)
{
	if (!r->days && r->from_min < 0)
		return NULL;
	return r->tz ? r->tz : "UTC";
}

int
policy_zones_literal(const struct policy_rule *const *rules, size_t n, char **out)
{
	struct approve_buf b;
	size_t i, j;
	int rc = -ENOMEM, any = 0;

	*out = NULL;
	approve_buf_init(&b, n * (POLICY_TZ_MAX + 1) + 3);
	if (approve_buf_append(&b, "{", 1) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const char *z = rules[i] ? policy_rule_zone(rules[i]) : NULL;

		if (!z)
			continue;
		for (j = 0; j < i; j++)
			if (rules[j] && policy_rule_zone(rules[j]) &&
			    strcmp(policy_rule_zone(rules[j]), z) == 0)
				break;
		if (j < i)
			continue;
		if ((any && approve_buf_append(&b, ",", 1) < 0) ||
		    approve_buf_append(&b, z, strlen(z)) < 0)
			goto out;
		any = 1;
	}
	if (approve_buf_append(&b, "}", 1) < 0)
		goto out;
	*out = approve_buf_take(&b);
	rc = *out ? 0 : -ENOMEM;
out:
	approve_buf_release(&b);
	return rc;
}

/* Characters of s after trimming blanks; a reason of only punctuation
 * ("." or "-") counts as none. */
static size_t
reason_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, end = strlen(s), n = 0, i;
	int word = 0;

	while (start < end && (p[start] == ' ' || p[start] == '\t'))
		start++;
	while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	for (i = start; i < end; i++) {
		if ((p[i] & 0xc0) != 0x80)
			n++;
		if (p[i] >= 0x80 || (p[i] >= '0' && p[i] <= '9') ||
		    ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
			word = 1;
	}
	return word ? n : 0;
}

const char *
policy_rule_missing(const struct policy_rule *r, const char *reason,
		    const char *ticket, char *buf, size_t buflen, int *what_ticket)
{
	regex_t re;
	int ok;

	if (what_ticket)
		*what_ticket = r->reason_min && (!reason || reason_chars(reason) < r->reason_min)
			       ? 0 : 1;

	if (r->reason_min && (!reason || reason_chars(reason) < r->reason_min)) {
		snprintf(buf, buflen, "this request needs a reason of at least %u "
			 "characters (words, not punctuation)", r->reason_min);
		return buf;
	}
	if (!r->ticket_required)
		return NULL;
	if (!ticket || !*ticket) {
		snprintf(buf, buflen, "this request needs a ticket%s%s",
			 r->ticket_pattern ? " matching " : "",
			 r->ticket_pattern ? r->ticket_pattern : "");
		return buf;
	}
	if (!r->ticket_pattern)
		return NULL;
	/* checked at parse; a failure here refuses */
	ok = regcomp(&re, r->ticket_pattern, REG_EXTENDED | REG_NOSUB) == 0;
	if (ok) {
		ok = regexec(&re, ticket, 0, NULL, 0) == 0;
		regfree(&re);
	}
	if (ok)
		return NULL;
	snprintf(buf, buflen, "the ticket must match %s", r->ticket_pattern);
	return buf;
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

/* a's time window covers b's: a has none, or b has the same one */
static int
window_covers(const struct policy_rule *a, const struct policy_rule *b)
{
	const char *za = policy_rule_zone(a), *zb = policy_rule_zone(b);

	if (!za)
		return 1;
	return zb && strcmp(za, zb) == 0 && a->days == b->days &&
	       a->from_min == b->from_min && a->to_min == b->to_min;
}

int
policy_rule_covers(const struct policy_rule *a, const struct policy_rule *b)
{
	return glob_covers(a->host, b->host) && eq_covers(a->user, b->user) &&
	       eq_covers(a->ugroup, b->ugroup) && window_covers(a, b) &&
	       eq_covers(a->initiator, b->initiator) &&
	       eq_covers(a->target, b->target) && eq_covers(a->service, b->service) &&
	       command_covers(a, b);
}
