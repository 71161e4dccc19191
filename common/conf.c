/* conf.c: owns the "key = value" configuration format (common/conf.h):
 * loading a file (optionally with root-ownership checks), strict parsing,
 * lookup, and the small value parsers shared with the PAM module's
 * arguments. Every error names "FILE:LINE: what" in err. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"

#define CONF_LINE_MAX 4096

struct conf_entry {
	char *key;
	char *value;
	unsigned line;
};

struct approve_conf {
	struct conf_entry *v;
	size_t n;
};

void
approve_conf_free(struct approve_conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	free(c);
}

static const struct conf_entry *
conf_find(const struct approve_conf *c, const char *key)
{
	size_t i;

	if (!c || !key)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

const char *
approve_conf_get(const struct approve_conf *c, const char *key)
{
	const struct conf_entry *e = conf_find(c, key);

	return e ? e->value : NULL;
}

unsigned
approve_conf_line(const struct approve_conf *c, const char *key)
{
	const struct conf_entry *e = conf_find(c, key);

	return e ? e->line : 0;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static int
key_allowed(const char *const *allowed, const char *key)
{
	size_t i;

	if (!allowed)
		return 1;
	for (i = 0; allowed[i]; i++)
		if (strcmp(allowed[i], key) == 0)
			return 1;
	return 0;
}

/* Parse one line [p, p+n) (no '\n'); appends to c. */
static int
conf_line(struct approve_conf *c, const char *name, unsigned lineno,
	  const char *p, size_t n, const char *const *allowed,
	  char *err, size_t errlen)
{
	const char *eq, *ks, *ke, *vs, *ve, *q;
	struct conf_entry *nv;
	char *key = NULL, *value = NULL;
	int r;

	while (n && is_blank(*p)) {
		p++;
		n--;
	}
	while (n && is_blank(p[n - 1]))
		n--;
	if (n == 0 || *p == '#')
		return 0;
	eq = memchr(p, '=', n);
	if (!eq) {
		approve_errf(err, errlen, "%s:%u: expected \"key = value\"", name, lineno);
		return -EINVAL;
	}
	ks = p;
	ke = eq;
	while (ke > ks && is_blank(ke[-1]))
		ke--;
	if (ke == ks) {
		approve_errf(err, errlen, "%s:%u: missing key before '='", name, lineno);
		return -EINVAL;
	}
	for (q = ks; q < ke; q++) {
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_')) {
			approve_errf(err, errlen, "%s:%u: bad key (allowed: a-z 0-9 _)",
				 name, lineno);
			return -EINVAL;
		}
	}
	vs = eq + 1;
	ve = p + n;
	while (vs < ve && is_blank(*vs))
		vs++;
	for (q = vs; q < ve; q++) {
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			approve_errf(err, errlen, "%s:%u: control character in value",
				 name, lineno);
			return -EINVAL;
		}
	}
	key = strndup(ks, (size_t)(ke - ks));
	value = strndup(vs, (size_t)(ve - vs));
	if (!key || !value) {
		approve_errf(err, errlen, "%s:%u: out of memory", name, lineno);
		r = -ENOMEM;
		goto out;
	}
	if (!key_allowed(allowed, key)) {
		approve_errf(err, errlen, "%s:%u: unknown key \"%s\"", name, lineno, key);
		r = -EINVAL;
		goto out;
	}
	if (conf_find(c, key)) {
		approve_errf(err, errlen, "%s:%u: duplicate key \"%s\" (first on line %u)",
			 name, lineno, key, approve_conf_line(c, key));
		r = -EINVAL;
		goto out;
	}
	nv = reallocarray(c->v, c->n + 1, sizeof(*c->v));
	if (!nv) {
		approve_errf(err, errlen, "%s:%u: out of memory", name, lineno);
		r = -ENOMEM;
		goto out;
	}
	c->v = nv;
	c->v[c->n].key = key;
	c->v[c->n].value = value;
	c->v[c->n].line = lineno;
	c->n++;
	key = value = NULL;
	r = 0;
out:
	free(key);
	free(value);
	return r;
}

int
approve_conf_parse(const char *name, const char *text, size_t len,
		   const char *const *allowed, struct approve_conf **out,
		   char *err, size_t errlen)
{
	struct approve_conf *c = NULL;
	const char *p, *end, *nl;
	unsigned lineno = 0;
	size_t n;
	int r;

	*out = NULL;
	if (!name)
		name = "(config)";
	if (len > APPROVE_CONF_MAX) {
		approve_errf(err, errlen, "%s:0: file over %d bytes", name, APPROVE_CONF_MAX);
		return -EFBIG;
	}
	if (!text && len) {
		approve_errf(err, errlen, "%s:0: no text", name);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		approve_errf(err, errlen, "%s:0: out of memory", name);
		return -ENOMEM;
	}
	p = text;
	end = text ? text + len : NULL;
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > CONF_LINE_MAX) {
			approve_errf(err, errlen, "%s:%u: line over %d bytes", name,
				 lineno, CONF_LINE_MAX);
			r = -EINVAL;
			goto out;
		}
		if (memchr(p, '\0', n)) {
			approve_errf(err, errlen, "%s:%u: NUL byte", name, lineno);
			r = -EINVAL;
			goto out;
		}
		r = conf_line(c, name, lineno, p, n, allowed, err, errlen);
		if (r < 0)
			goto out;
		p += n + (nl ? 1 : 0);
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	approve_conf_free(c);
	return r;
}

int
approve_conf_load(const char *path, int flags, const char *const *allowed,
		  struct approve_conf **out, char *err, size_t errlen)
{
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd = -1, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		  ((flags & APPROVE_CONF_SECURE) ? O_NOFOLLOW : 0));
	if (fd == -1) {
		r = -errno;
		if (r == -ELOOP && (flags & APPROVE_CONF_SECURE))
			approve_errf(err, errlen, "%s:0: is a symlink, refused", path);
		else
			approve_errf(err, errlen, "%s:0: %s", path, strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = -errno;
		approve_errf(err, errlen, "%s:0: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		approve_errf(err, errlen, "%s:0: not a regular file", path);
		r = -EINVAL;
		goto out;
	}
	if (flags & APPROVE_CONF_SECURE) {
		if (st.st_uid != 0) {
			approve_errf(err, errlen, "%s:0: not owned by root, refused", path);
			r = -EPERM;
			goto out;
		}
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
			approve_errf(err, errlen,
				 "%s:0: writable by group or others, refused", path);
			r = -EPERM;
			goto out;
		}
	}
	if (st.st_size > APPROVE_CONF_MAX) {
		approve_errf(err, errlen, "%s:0: file over %d bytes", path, APPROVE_CONF_MAX);
		r = -EFBIG;
		goto out;
	}
	text = malloc(APPROVE_CONF_MAX + 1);
	if (!text) {
		approve_errf(err, errlen, "%s:0: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	/* read one byte past the cap so a file that grew since fstat shows */
	while (len < APPROVE_CONF_MAX + 1) {
		n = read(fd, text + len, APPROVE_CONF_MAX + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			approve_errf(err, errlen, "%s:0: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = approve_conf_parse(path, text, len, allowed, out, err, errlen);
out:
	free(text);
	if (fd != -1)
		close(fd);
	return r;
}

int
approve_parse_ulong(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		if (v > (~0UL - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
approve_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; yes[i]; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	}
	for (i = 0; no[i]; i++) {
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}
