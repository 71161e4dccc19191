/* settings.c: owns reading and checking approvald.conf (see settings.h).
 * Defaults live here and nowhere else. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "conf.h"
#include "http.h"
#include "notify_settings.h"
#include "peer.h"
#include "settings.h"
#include "wire.h"

#define DEFAULT_LISTEN "unix:/run/approvald/approvald.sock"
#define PUBLIC_URL_MAX 512	/* leaves room for "/r/CODE" and /ui paths */

static const char *const allowed_keys[] = {
	"listen", "database", "public_url", "request_ttl", "pool_size",
	"max_connections", "tls_cert", "tls_key", "log", "debug",
	"sso_header", "sso_proxies", "audit_head_interval", "header_timeout",
	"max_connections_per_peer", "socket_mode", "socket_owner", "signing_key",
	NOTIFY_CONF_KEYS,
	"host_create_limit", "host_create_window",
	NULL,
};

static int
fail(char *err, size_t errlen, const char *path, unsigned line,
     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
fail(char *err, size_t errlen, const char *path, unsigned line,
     const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, errlen, "%s:%u: %s", path, line, what);
	else
		snprintf(err, errlen, "%s: %s", path, what);
	return -EINVAL;
}

static int dup_value(const char *v, char **out);

static int
parse_tcp(struct approvald_listen *l, const char *v)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->addr;
	const char *colon, *host, *port;
	size_t hlen;
	unsigned long p;
	char buf[64];

	if (v[0] == '[') {
		colon = strstr(v, "]:");
		if (!colon)
			return -EINVAL;
		host = v + 1;
		hlen = (size_t)(colon - host);
		port = colon + 2;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			return -EINVAL;
		host = v;
		hlen = (size_t)(colon - v);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(buf) ||
	    approve_parse_ulong(port, 0, 65535, &p) < 0)
		return -EINVAL;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	memset(&l->addr, 0, sizeof(l->addr));
	if (v[0] == '[') {
		if (inet_pton(AF_INET6, buf, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
	} else {
		if (inet_pton(AF_INET, buf, &in4->sin_addr) != 1)
			return -EINVAL;
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
	}
	l->host = strdup(buf);
	return l->host ? 0 : -ENOMEM;
}

/* unix:/PATH: the same path rules as the clients' URLs (common/http.c);
 * the parent directory, when it exists now, must be a directory nobody
 * but its owner may write (approvald checks it again when it binds). */
static int
parse_unix(struct approvald_listen *l, const char *v, char *why, size_t whylen)
{
	struct approve_url u = { 0 };
	char url[APPROVE_UNIX_PATH_MAX + 8], *slash;
	struct stat st;
	int r;

	if (snprintf(url, sizeof(url), "unix:%s", v) >= (int)sizeof(url) ||
	    approve_url_parse(url, &u, why, whylen) < 0) {
		if (strlen(v) > APPROVE_UNIX_PATH_MAX)
			snprintf(why, whylen, "socket path over %d bytes", APPROVE_UNIX_PATH_MAX);
		approve_url_release(&u);
		return -EINVAL;
	}
	approve_url_release(&u);
	l->unix_path = strdup(v);
	if (!l->unix_path)
		return -ENOMEM;
	slash = strrchr(url, '/');
	*slash = '\0';
	r = stat(slash == url + 5 ? "/" : url + 5, &st);
	if (r == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", url + 5);
		return -EINVAL;
	}
	if (r == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, whylen, "directory %s is writable by group or others "
			 "(mode %04o): anyone could replace the socket",
			 slash == url + 5 ? "/" : url + 5, (unsigned)(st.st_mode & 07777));
		return -EINVAL;
	}
	return 0;
}

/* "listen": endpoints separated by commas (blanks around them ignored). */
static int
parse_listen(struct approvald_config *c, const char *v, char *why, size_t whylen)
{
	const char *p = v;
	size_t n;
	int r;

	snprintf(why, whylen, "empty");
	for (;;) {
		struct approvald_listen *l;

		p += strspn(p, " \t");
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			return -EINVAL;
		if (c->n_listen == APPROVALD_LISTEN_MAX) {
			snprintf(why, whylen, "more than %d endpoints", APPROVALD_LISTEN_MAX);
			return -EINVAL;
		}
		l = &c->listens[c->n_listen++];
		l->text = strndup(p, n);
		if (!l->text)
			return -ENOMEM;
		if (strncmp(l->text, "unix:", 5) == 0) {
			r = parse_unix(l, l->text + 5, why, whylen);
		} else {
			r = parse_tcp(l, l->text);
			if (r == -EINVAL)
				snprintf(why, whylen, "'%s': expected ADDR:PORT with a "
					 "numeric IPv4 address, [IPv6]:PORT (port 0..65535) "
					 "or unix:/ABSOLUTE/PATH", l->text);
			if (r == 0 && !c->first_tcp)
				c->first_tcp = l;
		}
		if (r < 0)
			return r;
		p += strcspn(p, ",");
		if (!*p)
			return 0;
		p++;
	}
}

/* An octal file mode of 1..4 digits, at most 0777. */
static int
parse_mode(const char *v, unsigned long *out)
{
	size_t n = strlen(v), i;
	unsigned long m = 0;

	if (n == 0 || n > 4)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '7')
			return -EINVAL;
		m = m * 8 + (unsigned long)(v[i] - '0');
	}
	if (m > 0777)
		return -EINVAL;
	*out = m;
	return 0;
}

/* socket_owner = user[:group]: names or numeric ids. */
static int
parse_owner(struct approvald_config *c, const char *v)
{
	char name[64], *colon;
	struct passwd *pw;
	struct group *gr;
	unsigned long id;

	if (!*v || strlen(v) >= sizeof(name))
		return -EINVAL;
	strcpy(name, v);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = '\0';
	if (!*name || (colon && !*colon))
		return -EINVAL;
	if ((pw = getpwnam(name)))
		c->socket_uid = pw->pw_uid;
	else if (approve_parse_ulong(name, 0, 0xfffffffe, &id) == 0)
		c->socket_uid = (uid_t)id;
	else
		return -ENOENT;
	if (colon) {
		if ((gr = getgrnam(colon)))
			c->socket_gid = gr->gr_gid;
		else if (approve_parse_ulong(colon, 0, 0xfffffffe, &id) == 0)
			c->socket_gid = (gid_t)id;
		else
			return -ENOENT;
	}
	return dup_value(v, &c->socket_owner);
}

static int
check_public_url(const char *v, char **out)
{
	struct approve_url u;
	char err[128];
	size_t n = strlen(v);
	int r;

	*out = NULL;
	while (n > 0 && v[n - 1] == '/')
		n--;
	if (n == 0 || n > PUBLIC_URL_MAX)
		return -EINVAL;
	*out = strndup(v, n);
	if (!*out)
		return -ENOMEM;
	memset(&u, 0, sizeof(u));
	r = approve_url_parse(*out, &u, err, sizeof(err));
	if (r == 0 && u.unix_path)
		r = -EINVAL;	/* links are for browsers */
	approve_url_release(&u);
	if (r < 0) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int
dup_value(const char *v, char **out)
{
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

/* sso_header: [A-Za-z0-9-]{1,64}; sso_proxies: numeric addresses separated
 * by commas or blanks; both or neither. 0, -EINVAL or -ENOMEM. */
static int
check_sso(struct approvald_config *c, const struct approve_conf *f)
{
	const char *h = approve_conf_get(f, "sso_header");
	const char *p = approve_conf_get(f, "sso_proxies");
	unsigned char a[16];
	char one[64];
	size_t n;

	if (!h && !p)
		return 0;
	if (!h || !p || !*h || strlen(h) > 64 || strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(h) || !*p)
		return -EINVAL;
	for (const char *s = p; *(s += strspn(s, ", \t")); s += n) {
		n = strcspn(s, ", \t");
		if (n >= sizeof(one))
			return -EINVAL;
		memcpy(one, s, n);
		one[n] = '\0';
		/* a Unix socket peer is named by its uid: "unix:uid=N" */
		if (strncmp(one, "unix:uid=", 9) == 0 && one[9] &&
		    strspn(one + 9, "0123456789") == n - 9 && n - 9 <= 10)
			continue;
		if (inet_pton(AF_INET, one, a) != 1 && inet_pton(AF_INET6, one, a) != 1)
			return -EINVAL;
	}
	if (dup_value(h, &c->sso_header) < 0 || dup_value(p, &c->sso_proxies) < 0)
		return -ENOMEM;
	return 0;
}

static int
check_values(struct approvald_config *c, const struct approve_conf *f,
	     const char *path, char *err, size_t errlen)
{
	const char *v;
	char *perr = NULL, why[256];
	PQconninfoOption *opts;
	int b;

#define LINE(k) approve_conf_line(f, k)
	v = approve_conf_get(f, "listen");
	if (!v)
		v = DEFAULT_LISTEN;
	if (dup_value(v, &c->listen) < 0)
		return -ENOMEM;
	if ((b = parse_listen(c, v, why, sizeof(why))) == -ENOMEM)
		return b;
	if (b < 0)
		return fail(err, errlen, path, LINE("listen"),
			    "listen: %s (endpoints ADDR:PORT, [IPv6]:PORT or "
			    "unix:/PATH, separated by commas)", why);
	v = approve_conf_get(f, "socket_mode");
	if (v && parse_mode(v, &c->socket_mode) < 0)
		return fail(err, errlen, path, LINE("socket_mode"),
			    "socket_mode: expected an octal mode 0000..0777, e.g. 0660");
	v = approve_conf_get(f, "socket_owner");
	if (v && (b = parse_owner(c, v)) == -ENOMEM)
		return b;
	if (v && b < 0)
		return fail(err, errlen, path, LINE("socket_owner"),
			    b == -ENOENT ? "socket_owner: '%s': no such user or group"
					 : "socket_owner: '%s': expected user[:group]", v);

	v = approve_conf_get(f, "database");
	if (!v || !*v)
		return fail(err, errlen, path, LINE("database"),
			    "database: a libpq conninfo is required");
	opts = PQconninfoParse(v, &perr);
	if (!opts) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s", perr ? perr : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		PQfreemem(perr);
		return fail(err, errlen, path, LINE("database"), "database: %s", msg);
	}
	PQconninfoFree(opts);
	if (dup_value(v, &c->database) < 0)
		return -ENOMEM;

	v = approve_conf_get(f, "public_url");
	if (v && check_public_url(v, &c->public_url) < 0)
		return fail(err, errlen, path, LINE("public_url"),
			    "public_url: expected an http:// or https:// URL "
			    "without query (at most %d bytes)", PUBLIC_URL_MAX);

	v = approve_conf_get(f, "request_ttl");
	if (v && approve_parse_ulong(v, 10, 86400, &c->request_ttl) < 0)
		return fail(err, errlen, path, LINE("request_ttl"),
			    "request_ttl: expected seconds 10..86400");
	v = approve_conf_get(f, "pool_size");
	if (v && approve_parse_ulong(v, 1, 64, &c->pool_size) < 0)
		return fail(err, errlen, path, LINE("pool_size"),
			    "pool_size: expected 1..64");
	v = approve_conf_get(f, "max_connections");
	if (v && approve_parse_ulong(v, 16, 1000000, &c->max_connections) < 0)
		return fail(err, errlen, path, LINE("max_connections"),
			    "max_connections: expected 16..1000000");
	c->max_connections_set = v != NULL;
	v = approve_conf_get(f, "max_connections_per_peer");
	if (v && approve_parse_ulong(v, 0, 1000000, &c->max_connections_per_peer) < 0)
		return fail(err, errlen, path, LINE("max_connections_per_peer"),
			    "max_connections_per_peer: expected 0..1000000 (0: no cap)");
	v = approve_conf_get(f, "header_timeout");
	if (v && approve_parse_ulong(v, 1, 3600, &c->header_timeout) < 0)
		return fail(err, errlen, path, LINE("header_timeout"),
			    "header_timeout: expected seconds 1..3600");

	v = approve_conf_get(f, "host_create_limit");
	if (v && approve_parse_ulong(v, 0, 1000000, &c->host_create_limit) < 0)
		return fail(err, errlen, path, LINE("host_create_limit"),
			    "host_create_limit: expected 0..1000000 (0: no limit)");
	v = approve_conf_get(f, "host_create_window");
	if (v && approve_parse_ulong(v, 1, 86400, &c->host_create_window) < 0)
		return fail(err, errlen, path, LINE("host_create_window"),
			    "host_create_window: expected seconds 1..86400");

	v = approve_conf_get(f, "audit_head_interval");
	if (v && approve_parse_ulong(v, 0, 86400, &c->audit_head_interval) < 0)
		return fail(err, errlen, path, LINE("audit_head_interval"),
			    "audit_head_interval: expected seconds 0..86400 (0: off)");

	v = approve_conf_get(f, "signing_key");
	if (v && (!*v || dup_value(v, &c->signing_key) < 0))
		return fail(err, errlen, path, LINE("signing_key"), "signing_key: empty");

	v = approve_conf_get(f, "tls_cert");
	if (v && (!*v || dup_value(v, &c->tls_cert) < 0))
		return fail(err, errlen, path, LINE("tls_cert"), "tls_cert: empty");
	v = approve_conf_get(f, "tls_key");
	if (v && (!*v || dup_value(v, &c->tls_key) < 0))
		return fail(err, errlen, path, LINE("tls_key"), "tls_key: empty");
	if (!c->tls_cert != !c->tls_key)
		return fail(err, errlen, path,
			    LINE(c->tls_cert ? "tls_cert" : "tls_key"),
			    "tls_cert and tls_key go together (both or neither)");
	if (c->tls_cert && access(c->tls_cert, R_OK) != 0)
		return fail(err, errlen, path, LINE("tls_cert"), "tls_cert: %s: %s",
			    c->tls_cert, strerror(errno));
	if (c->tls_key && access(c->tls_key, R_OK) != 0)
		return fail(err, errlen, path, LINE("tls_key"), "tls_key: %s: %s",
			    c->tls_key, strerror(errno));

	v = approve_conf_get(f, "log");
	if (v && strcmp(v, "stderr") == 0)
		c->use_syslog = 0;
	else if (v && strcmp(v, "syslog") == 0)
		c->use_syslog = 1;
	else if (v)
		return fail(err, errlen, path, LINE("log"),
			    "log: expected stderr or syslog");
	v = approve_conf_get(f, "debug");
	if (v) {
		if (approve_parse_bool(v, &b) < 0)
			return fail(err, errlen, path, LINE("debug"),
				    "debug: expected yes or no");
		c->debug = b;
	}
	if ((b = check_sso(c, f)) == -ENOMEM)
		return b;
	if (b < 0)
		return fail(err, errlen, path,
			    LINE(approve_conf_get(f, "sso_header") ? "sso_header" : "sso_proxies"),
			    "sso_header (an HTTP header name) and sso_proxies (numeric "
			    "IP addresses or unix:uid=N, separated by commas) go together");
	if ((b = notify_settings_load(&c->notify, f, path, err, errlen)) < 0)
		return b;
	if (!c->public_url && !c->first_tcp)
		return fail(err, errlen, path, LINE("listen"),
			    "public_url is required when approvald listens on Unix "
			    "sockets only (the links shown to requesters)");
#undef LINE
	return 0;
}

int
settings_load(const char *path, struct approvald_config **out, char *err,
	      size_t errlen)
{
	struct approve_conf *f = NULL;
	struct approvald_config *c = NULL;
	int r;

	*out = NULL;
	r = approve_conf_load(path, APPROVE_CONF_NONE, allowed_keys, &f, err, errlen);
	if (r < 0)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	c->request_ttl = 600;
	c->pool_size = 4;
	c->max_connections = 20000;
	c->max_connections_per_peer = 64;
	c->header_timeout = 10;
	c->audit_head_interval = 300;
	c->host_create_window = 60;
	c->socket_mode = APPROVALD_SOCKET_MODE_DEFAULT;
	c->socket_uid = (uid_t)-1;
	c->socket_gid = (gid_t)-1;
	r = check_values(c, f, path, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (r < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	settings_free(c);
	approve_conf_free(f);
	return r;
}

void
settings_free(struct approvald_config *c)
{
	if (!c)
		return;
	free(c->listen);
	for (size_t i = 0; i < c->n_listen; i++) {
		free(c->listens[i].text);
		free(c->listens[i].unix_path);
		free(c->listens[i].host);
	}
	free(c->socket_owner);
	free(c->database);
	free(c->public_url);
	free(c->signing_key);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->sso_header);
	free(c->sso_proxies);
	notify_settings_release(&c->notify);
	free(c);
}

char *
settings_public_url(const struct approvald_config *c, unsigned port)
{
	char buf[PUBLIC_URL_MAX + 128];
	int n;

	if (c->public_url)
		return strdup(c->public_url);
	if (!c->first_tcp)	/* settings_load refused this */
		return NULL;
	if (c->first_tcp->addr.ss_family == AF_INET6)
		n = snprintf(buf, sizeof(buf), "%s://[%s]:%u", c->tls_cert ? "https" : "http",
			     c->first_tcp->host, port);
	else
		n = snprintf(buf, sizeof(buf), "%s://%s:%u", c->tls_cert ? "https" : "http",
			     c->first_tcp->host, port);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return strdup(buf);
}
