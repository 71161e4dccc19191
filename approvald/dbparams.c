/* dbparams.c: owns approvald's libpq connection parameters (see
 * dbparams.h): the defaults, the operator's conninfo, the host list
 * rotation that gets past a host that does not answer, and the forced
 * target_session_attrs=read-write. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dbparams.h"

/* The number of comma-separated entries of list (1 for "a", 3 for "a,,b"). */
static unsigned
entries(const char *list)
{
	unsigned n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

/* list rotated to start at its entry r (r < its number of entries), or
 * NULL on ENOMEM: "a,b,c" at 1 is "b,c,a". */
static char *
rotated(const char *list, unsigned r)
{
	size_t len = strlen(list), head, tail;
	const char *p = list;
	char *out;
	unsigned i;

	for (i = 0; i < r; i++)
		p = strchr(p, ',') + 1;
	head = (size_t)(p - list);	/* entries 0..r-1, each with its comma */
	tail = len - head;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	memcpy(out, p, tail);
	if (r > 0) {
		out[tail] = ',';
		memcpy(out + tail + 1, list, head - 1);
	}
	out[len] = '\0';
	return out;
}

static int
rotations(const char *list, unsigned n, char ***out)
{
	unsigned r;

	*out = NULL;
	if (!list || !*list || entries(list) != n)
		return 0;	/* absent, or one value for every host */
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (r = 0; r < n; r++)
		if (!((*out)[r] = rotated(list, r)))
			return -ENOMEM;
	return 0;
}

static void
free_rotations(char **v, unsigned n)
{
	unsigned r;

	if (!v)
		return;
	for (r = 0; r < n; r++)
		free(v[r]);
	free(v);
}

int
db_params_init(struct db_params *p, const char *conninfo)
{
	PQconninfoOption *opts, *o;
	const char *host = NULL, *hostaddr = NULL, *port = NULL;
	unsigned n = 1;
	int r = 0;

	memset(p, 0, sizeof(*p));
	atomic_init(&p->first, 0);
	p->conninfo = strdup(conninfo);
	if (!p->conninfo)
		return -ENOMEM;
	opts = PQconninfoParse(conninfo, NULL);
	if (!opts) {
		db_params_free(p);
		return -EINVAL;
	}
	for (o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	/* libpq's rule: hostaddr, when given, has as many entries as host */
	if (host)
		n = entries(host);
	else if (hostaddr)
		n = entries(hostaddr);
	if (n > 1 && ((r = rotations(host, n, &p->host)) < 0 ||
		      (r = rotations(hostaddr, n, &p->hostaddr)) < 0 ||
		      (r = rotations(port, n, &p->port)) < 0)) {
		p->nhosts = n;
		PQconninfoFree(opts);
		db_params_free(p);
		return r;
	}
	p->nhosts = n;
	PQconninfoFree(opts);
	return 0;
}

void
db_params_free(struct db_params *p)
{
	free_rotations(p->host, p->nhosts);
	free_rotations(p->hostaddr, p->nhosts);
	free_rotations(p->port, p->nhosts);
	free(p->conninfo);
	memset(p, 0, sizeof(*p));
}

void
db_params_fill(struct db_params *p, const char *kw[DB_PARAMS_MAX],
	       const char *val[DB_PARAMS_MAX])
{
	unsigned r = atomic_load(&p->first) % (p->nhosts ? p->nhosts : 1), i = 0;

	/* Later entries win; the expanded "dbname" conninfo overrides the
	 * defaults before it, so the operator's values take precedence.
	 * Keepalives and tcp_user_timeout: a peer that vanished (network,
	 * failover) is noticed by the kernel within about 20 s even on the
	 * idle LISTEN connection. They do nothing on Unix sockets. */
	kw[i] = "fallback_application_name"; val[i++] = "approvald";
	kw[i] = "connect_timeout"; val[i++] = "5";
	kw[i] = "client_encoding"; val[i++] = "UTF8";
	kw[i] = "keepalives"; val[i++] = "1";
	kw[i] = "keepalives_idle"; val[i++] = "10";
	kw[i] = "keepalives_interval"; val[i++] = "3";
	kw[i] = "keepalives_count"; val[i++] = "3";
	kw[i] = "tcp_user_timeout"; val[i++] = "20000";
	kw[i] = "dbname"; val[i++] = p->conninfo;
	/* the same lists, starting where the last time-out left off */
	if (p->host) {
		kw[i] = "host"; val[i++] = p->host[r];
	}
	if (p->hostaddr) {
		kw[i] = "hostaddr"; val[i++] = p->hostaddr[r];
	}
	if (p->port) {
		kw[i] = "port"; val[i++] = p->port[r];
	}
	/* Last, so it always wins: libpq tries the hosts in order on every
	 * (re)connect, resolving the names anew, and takes only a server
	 * that accepts writes; a hot standby (which can neither write nor
	 * LISTEN) or a demoted old primary is passed over, and a single one
	 * is refused like an unreachable server. */
	kw[i] = "target_session_attrs"; val[i++] = "read-write";
	kw[i] = NULL; val[i] = NULL;
}

PGconn *
db_connect_start(struct db_params *p)
{
	const char *kw[DB_PARAMS_MAX], *val[DB_PARAMS_MAX];

	db_params_fill(p, kw, val);
	return PQconnectStartParams(kw, val, 1);
}

/* Is entry r of list (comma-separated) exactly v? */
static int
entry_is(const char *list, unsigned r, const char *v)
{
	const char *p = list, *end;
	unsigned i;

	for (i = 0; i < r && p; i++)
		p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
	if (!p || !v)
		return 0;
	end = strchr(p, ',');
	if (!end)
		end = p + strlen(p);
	return (size_t)(end - p) == strlen(v) && memcmp(p, v, strlen(v)) == 0;
}

void
db_connect_timed_out(struct db_params *p, PGconn *pg)
{
	const char *names = p->host ? p->host[0] : p->hostaddr ? p->hostaddr[0] : NULL;
	const char *h = pg ? PQhost(pg) : NULL, *port = pg ? PQport(pg) : NULL;
	unsigned r;

	if (p->nhosts < 2 || !names)
		return;
	/* the entry the attempt was stuck on (PQhost: the one being tried);
	 * concurrent attempts stuck on the same host agree on the next */
	for (r = 0; r < p->nhosts; r++)
		if (entry_is(names, r, h) && (!p->port || entry_is(p->port[0], r, port))) {
			atomic_store(&p->first, (r + 1) % p->nhosts);
			return;
		}
	atomic_fetch_add(&p->first, 1);	/* not found: at least move on */
}
