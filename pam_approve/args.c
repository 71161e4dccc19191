/* args.c: owns the parsing of pam_approve's module arguments into struct
 * pa_args. Every argument is checked here once; a vector that is not
 * exactly well-formed is refused as a whole (the caller denies), so a typo
 * in /etc/pam.d never silently changes behaviour (e.g. "failmode=opne" does
 * not fall back to anything). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "conf.h"
#include "http.h"
#include "peer.h"
#include "wire.h"

/* Bit per key, to refuse duplicates. */
enum {
	SEEN_URL = 1 << 0,
	SEEN_CA = 1 << 1,
	SEEN_TOKEN = 1 << 2,
	SEEN_TIMEOUT = 1 << 3,
	SEEN_FAILMODE = 1 << 4,
	SEEN_REASON = 1 << 5,
	SEEN_REASON_MIN = 1 << 6,
	SEEN_DEBUG = 1 << 7,
	SEEN_SERVER_USER = 1 << 8,
	SEEN_KEYS = 1 << 9,
	SEEN_BREAKGLASS = 1 << 10,
};

/* Writes "what: 'arg'" with arg cut to a bounded, printable prefix. */
static void
arg_err(char *err, size_t errlen, const char *what, const char *arg)
{
	char shown[65];
	size_t i;

	if (!err || !errlen)
		return;
	for (i = 0; arg && arg[i] && i < sizeof(shown) - 1; i++) {
		unsigned char c = (unsigned char)arg[i];

		shown[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	shown[i] = '\0';
	if (snprintf(err, errlen, "%s: '%s%s'", what, shown,
		     arg && arg[i] ? "..." : "") < 0)
		err[0] = '\0';
}

/* value of "key=value" when arg starts with key '=', else NULL. */
static const char *
arg_value(const char *arg, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) != 0 || arg[n] != '=')
		return NULL;
	return arg + n + 1;
}

static int
parse_path(const char *v, const char **out)
{
	size_t n = strnlen(v, PA_PATH_MAX + 1), i;

	/* absolute, bounded, no control characters */
	if (n == 0 || n > PA_PATH_MAX || v[0] != '/')
		return -EINVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_url(const char *v, const char **out, char *err, size_t errlen)
{
	struct approve_url u = { 0 };
	char why[320];
	int r;

	if (strnlen(v, APPROVE_LEN_URL + 1) > APPROVE_LEN_URL) {
		arg_err(err, errlen, "url= is too long", v);
		return -EINVAL;
	}
	r = approve_url_parse(v, &u, why, sizeof(why));
	if (r != 0) {
		arg_err(err, errlen, "url= is not a valid http(s) or unix: URL", v);
		goto why;
	}
	/* the token goes to whoever answers: only a proven peer (unix: with
	 * SO_PEERCRED, https with ca=) or a port only root can bind */
	r = approve_url_transport_ok(&u, why, sizeof(why));
	approve_url_release(&u);
	if (r != 0) {
		arg_err(err, errlen, "url= may not carry the host token", v);
		goto why;
	}
	*out = v;
	return 0;
why:
	/* append the reason when it fits */
	if (err) {
		size_t used = strlen(err);

		if (used < errlen &&
		    snprintf(err + used, errlen - used, " (%s)", why) < 0)
			err[used] = '\0';
	}
	return -EINVAL;
}

/* server_user=: a user name as useradd accepts it, [a-z_][a-z0-9_.-]*
 * (a trailing '$' allowed), at most PA_USER_MAX bytes. */
static int
parse_user(const char *v, const char **out)
{
	size_t n = strnlen(v, PA_USER_MAX + 1), i;

	if (n == 0 || n > PA_USER_MAX || !((v[0] >= 'a' && v[0] <= 'z') || v[0] == '_'))
		return -EINVAL;
	for (i = 1; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.' || (c == '$' && i == n - 1)))
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int
pa_args_server_uid(const struct pa_args *a, uid_t *out)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r;

	*out = 0;
	r = getpwnam_r(a->server_user, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (!res)
		return -ENOENT;
	*out = res->pw_uid;
	return 0;
}

static int
parse_one(const char *a, struct pa_args *o, unsigned *seen,
	  char *err, size_t errlen)
{
	const char *v;
	unsigned bit;
	int r = -EINVAL;

	if (strcmp(a, "debug") == 0) {
		bit = SEEN_DEBUG;
		o->debug = 1;
		r = 0;
	} else if ((v = arg_value(a, "url"))) {
		bit = SEEN_URL;
		r = parse_url(v, &o->url, err, errlen);
		if (r != 0)
			return r;
	} else if ((v = arg_value(a, "server_user"))) {
		bit = SEEN_SERVER_USER;
		r = parse_user(v, &o->server_user);
	} else if ((v = arg_value(a, "ca"))) {
		bit = SEEN_CA;
		r = parse_path(v, &o->ca);
	} else if ((v = arg_value(a, "token_file"))) {
		bit = SEEN_TOKEN;
		r = parse_path(v, &o->token_file);
	} else if ((v = arg_value(a, "breakglass"))) {
		bit = SEEN_BREAKGLASS;
		r = parse_path(v, &o->breakglass);
	} else if ((v = arg_value(a, "keys"))) {
		bit = SEEN_KEYS;
		r = parse_path(v, &o->keys);
	} else if ((v = arg_value(a, "timeout"))) {
		bit = SEEN_TIMEOUT;
		r = approve_parse_ulong(v, 1, PA_TIMEOUT_MAX, &o->timeout);
	} else if ((v = arg_value(a, "reason_min"))) {
		bit = SEEN_REASON_MIN;
		r = approve_parse_ulong(v, 0, PA_REASON_MIN_MAX, &o->reason_min);
	} else if ((v = arg_value(a, "failmode"))) {
		bit = SEEN_FAILMODE;
		if (strcmp(v, "closed") == 0) {
			o->failmode = PA_FAIL_CLOSED;
			r = 0;
		} else if (strcmp(v, "open") == 0) {
			o->failmode = PA_FAIL_OPEN;
			r = 0;
		}
	} else if ((v = arg_value(a, "reason"))) {
		bit = SEEN_REASON;
		if (strcmp(v, "off") == 0) {
			o->reason = PA_REASON_OFF;
			r = 0;
		} else if (strcmp(v, "optional") == 0) {
			o->reason = PA_REASON_OPTIONAL;
			r = 0;
		} else if (strcmp(v, "prompt") == 0) {
			o->reason = PA_REASON_PROMPT;
			r = 0;
		}
	} else {
		arg_err(err, errlen, "unknown argument", a);
		return -EINVAL;
	}
	if (r != 0) {
		arg_err(err, errlen, "malformed argument", a);
		return -EINVAL;
	}
	if (*seen & bit) {
		arg_err(err, errlen, "argument given twice", a);
		return -EINVAL;
	}
	*seen |= bit;
	return 0;
}

static void
set_defaults(struct pa_args *o)
{
	memset(o, 0, sizeof(*o));
	o->token_file = PA_DEFAULT_TOKEN_FILE;
	o->server_user = PA_DEFAULT_SERVER_USER;
	o->timeout = PA_DEFAULT_TIMEOUT;
	o->failmode = PA_FAIL_CLOSED;
	o->reason = PA_REASON_OFF;
}

int
pa_args_parse(int argc, const char **argv, struct pa_args *out,
	      char *err, size_t errlen)
{
	struct pa_args o;
	unsigned seen = 0;
	int i, r;

	set_defaults(out);
	set_defaults(&o);
	if (err && errlen)
		err[0] = '\0';
	if (argc < 0 || (argc > 0 && !argv)) {
		arg_err(err, errlen, "no argument vector", "");
		return -EINVAL;
	}
	for (i = 0; i < argc; i++) {
		if (!argv[i]) {
			arg_err(err, errlen, "null argument", "");
			return -EINVAL;
		}
		r = parse_one(argv[i], &o, &seen, err, errlen);
		if (r != 0)
			return r;
	}
	if (!(seen & SEEN_URL)) {
		arg_err(err, errlen, "missing required argument", "url=");
		return -EINVAL;
	}
	/* https proves approvald only against the CA that signed its
	 * certificate, named here: not every CA of the system bundle */
	if (strncasecmp(o.url, "https:", 6) == 0 && !(seen & SEEN_CA)) {
		arg_err(err, errlen, "url=https:// needs ca= (the CA file that "
			"signed approvald's certificate)", o.url);
		return -EINVAL;
	}
	/* failmode=open already lets everything in when approvald is
	 * provably absent; a code on top of it would only pretend */
	if (o.breakglass && o.failmode == PA_FAIL_OPEN) {
		arg_err(err, errlen, "breakglass= and failmode=open exclude each "
			"other", o.breakglass);
		return -EINVAL;
	}
	*out = o;
	return 0;
}
