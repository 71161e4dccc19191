/* bench/loadgen.c: the HTTP load client of bench/run.sh (BENCHMARKS.md).
 * HTTP/1.1 with keep-alive over TCP to 127.0.0.1; every figure is timed in
 * this one process (CLOCK_MONOTONIC), no process start-up inside it.
 *
 *   loadgen create PORT HTOKEN CLIENTS SECONDS
 *       CLIENTS connections each filing requests back to back for SECONDS:
 *       "create clients=N ok=K rate=R p50=.. p99=.. max=.. (ms) other=E".
 *   loadgen wake PORT HTOKEN ATOKEN ROUNDS [DECIDE_PORT]
 *       ROUNDS times: file a request, long-poll it, wait until approvald
 *       reports the waiter suspended (/metrics), approve it (through
 *       DECIDE_PORT, another instance, when given); the decision-to-wake
 *       time (approve sent -> waiter's answer) and the approve call's own
 *       latency (approve sent -> its 200).
 *   loadgen hold PORT HTOKEN COUNT
 *       file COUNT requests, hold COUNT long-polls, print "waiting N" once
 *       approvald reports them all suspended, ask again on every "pending"
 *       answer, exit 0 once every one was answered with a final state
 *       (decided by someone else), printing how many said what. With
 *       LOADGEN_IDS=FILE the requests are not filed: FILE has their ids,
 *       one a line (bench/run.sh files them in SQL, quicker). A 503
 *       (approvald's pool crowded) is asked again, as the module does.
 *   loadgen storm PORT HTOKEN ATOKEN COUNT DECIDERS [DECIDE_PORT]
 *       hold COUNT waiters as above, then approve them all through DECIDERS
 *       connections as fast as the server takes it; every waiter must be
 *       woken by its decision: a "pending" answer received after its
 *       approve succeeded is a lost wake-up. Exit 0 when none was lost and
 *       all were approved.
 * Exit 1 on any failure, 2 on bad usage. Bounded: gives up after 900 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GIVE_UP_S 900.0
#define CREATORS 8		/* connections that file the requests of hold/storm */
#define POLL_S 60		/* long-poll timeout asked for */
#define ID_LEN 36

struct conn {
	int fd, port, idx;
	char *in;
	size_t inlen, incap;
	int status;		/* of the complete response, after c_pump() == 1 */
	const char *body;
	size_t bodylen, used;
	double t_sent;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static int
c_open(struct conn *c, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;

	c->port = port;
	c->inlen = c->used = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	/* blocking connect (a full accept queue only makes it slower), then
	 * non-blocking I/O */
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static void
c_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Send one request (small: the socket buffer takes it at once; polled if
 * not). body NULL: none. */
static int
c_send(struct conn *c, const char *method, const char *path, const char *token,
       const char *body)
{
	char req[2048], auth[600] = "", len[96] = "";
	size_t off = 0;
	int n;

	if (token)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
	if (body)
		snprintf(len, sizeof(len), "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n", strlen(body));
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: bench\r\n%s%s\r\n%s",
		     method, path, auth, len, body ? body : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return -1;
	c->t_sent = now_s();
	while (off < (size_t)n) {
		ssize_t w = write(c->fd, req + off, (size_t)n - off);

		if (w > 0) {
			off += (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };

			poll(&p, 1, 1000);
		} else {
			return -1;
		}
	}
	return 0;
}

/* Forget the response handled last. */
static void
c_consume(struct conn *c)
{
	memmove(c->in, c->in + c->used, c->inlen - c->used);
	c->inlen -= c->used;
	c->used = 0;
}

/* Is a whole response buffered? 1 yes (status, body set), 0 no. */
static int
c_parse(struct conn *c)
{
	char *end, *cl;
	size_t hlen, blen = 0;

	if (c->inlen < 12)
		return 0;
	c->in[c->inlen] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (!end)
		return 0;
	hlen = (size_t)(end - c->in) + 4;
	for (cl = c->in; (cl = strcasestr(cl, "\r\ncontent-length:")) && cl < end; cl++) {
		blen = strtoul(cl + 17, NULL, 10);
		break;
	}
	if (c->inlen < hlen + blen)
		return 0;
	c->status = atoi(c->in + 9);
	c->body = c->in + hlen;
	c->bodylen = blen;
	c->used = hlen + blen;
	return 1;
}

/* Read what there is. 1: a whole response; 0: not yet; -1: closed. */
static int
c_pump(struct conn *c)
{
	ssize_t r;

	if (c_parse(c))
		return 1;
	for (;;) {
		if (c->incap - c->inlen < 4096) {
			c->incap = c->incap ? c->incap * 2 : 8192;
			c->in = realloc(c->in, c->incap + 1);
			if (!c->in)
				die("realloc");
		}
		r = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (r > 0) {
			c->inlen += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EAGAIN)
			return c_parse(c);
		return c_parse(c) ? 1 : -1;
	}
}

/* Block until c has a whole response (or timeout_s passed: -1). */
static int
c_recv(struct conn *c, double timeout_s)
{
	double end = now_s() + timeout_s;
	int r;

	while ((r = c_pump(c)) == 0) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		double left = end - now_s();

		if (left <= 0)
			return -1;
		poll(&p, 1, (int)(left * 1000) + 1);
	}
	return r;
}

/* One exchange on a connection that has nothing else in flight. */
static int
c_do(struct conn *c, const char *method, const char *path, const char *token,
     const char *body)
{
	if (c_send(c, method, path, token, body) < 0 || c_recv(c, 30) != 1)
		return -1;
	return c->status;
}

/* "KEY":"VALUE" of a JSON body (our answers: flat enough). */
static int
json_str(const struct conn *c, const char *key, char *out, size_t len)
{
	char pat[64], *p, *q;
	char *b = strndup(c->body, c->bodylen);

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = b ? strstr(b, pat) : NULL;
	if (!p || !(q = strchr(p += strlen(pat), '"')) || (size_t)(q - p) >= len) {
		free(b);
		return -1;
	}
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	free(b);
	return 0;
}

static unsigned long seq;

static void
create_body(char *buf, size_t len)
{
	unsigned long n = seq++;

	snprintf(buf, len, "{\"service\":\"sudo\",\"user\":\"bench%lu\",\"uid\":%lu,"
		 "\"target_user\":\"root\",\"command\":\"sudo /usr/bin/true %lu %d\","
		 "\"tty\":\"/dev/pts/1\",\"cwd\":\"/root\",\"hostname\":\"bench\"}",
		 n % 100, 10000 + n % 100, n, (int)getpid());
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* "NAME n=.. p50=.. p99=.. max=.. ms" over v[0..n) seconds (sorted). */
static void
print_dist(const char *name, double *v, size_t n)
{
	if (!n) {
		printf("%s n=0\n", name);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_d);
	printf("%s n=%zu p50=%.3f p99=%.3f max=%.3f ms\n", name, n,
	       v[(n - 1) / 2] * 1e3, v[(size_t)((double)(n - 1) * 0.99)] * 1e3, v[n - 1] * 1e3);
}

/* approvald_waiters of the instance on port (-1 on failure). */
static long
waiters_now(struct conn *m)
{
	const char *p;
	char *b;
	long v = -1;

	if (c_do(m, "GET", "/metrics", NULL, NULL) != 200)
		return -1;
	b = strndup(m->body, m->bodylen);
	if (b && (p = strstr(b, "\napprovald_waiters ")))
		v = strtol(p + 19, NULL, 10);
	free(b);
	c_consume(m);
	return v;
}

/* ---- create ---- */

static int
run_create(int port, const char *htok, int clients, double seconds)
{
	struct conn *c = calloc((size_t)clients, sizeof(*c));
	size_t nlat = 0, cap = 1 << 16, other = 0;
	double *lat = malloc(cap * sizeof(*lat)), t0, end;
	char body[512];
	int ep = epoll_create1(EPOLL_CLOEXEC), i, open = clients;

	if (!c || !lat || ep < 0)
		die("setup");
	for (i = 0; i < clients; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		if (c_open(&c[i], port) < 0)
			die("connect");
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	t0 = now_s();
	end = t0 + seconds;
	for (i = 0; i < clients; i++) {
		create_body(body, sizeof(body));
		if (c_send(&c[i], "POST", "/v1/requests", htok, body) < 0)
			die("send");
	}
	while (open > 0) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 1000), k;

		if (now_s() > end + 30)
			die("no answers");
		for (k = 0; k < n; k++) {
			struct conn *x = &c[evs[k].data.u32];
			int r;

			while ((r = c_pump(x)) == 1) {
				double t = now_s();

				if (x->status == 201) {
					if (nlat == cap && !(lat = realloc(lat, (cap *= 2) * sizeof(*lat))))
						die("realloc");
					lat[nlat++] = t - x->t_sent;
				} else {
					other++;
				}
				c_consume(x);
				if (t >= end) {
					c_close(x);
					open--;
					break;
				}
				create_body(body, sizeof(body));
				if (c_send(x, "POST", "/v1/requests", htok, body) < 0)
					die("send");
			}
			if (r < 0) {
				/* closed by the server (e.g. after a 503): a new one */
				other++;
				epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
				c_close(x);
				if (now_s() >= end) {
					open--;
					continue;
				}
				if (c_open(x, port) < 0)
					die("reconnect");
				epoll_ctl(ep, EPOLL_CTL_ADD, x->fd,
					  &(struct epoll_event){ .events = EPOLLIN, .data.u32 = evs[k].data.u32 });
				create_body(body, sizeof(body));
				if (c_send(x, "POST", "/v1/requests", htok, body) < 0)
					die("send");
			}
		}
	}
	printf("create clients=%d ok=%zu seconds=%.1f rate=%.1f/s other=%zu\n", clients, nlat,
	       now_s() - t0, (double)nlat / (now_s() - t0), other);
	print_dist("create_latency", lat, nlat);
	for (i = 0; i < clients; i++)
		free(c[i].in);
	free(c);
	free(lat);
	close(ep);
	return nlat > 0 ? 0 : 1;
}

/* ---- wake ---- */

static int
run_wake(int port, const char *htok, const char *atok, int rounds, int dport)
{
	struct conn h = { .fd = -1 }, a = { .fd = -1 }, m = { .fd = -1 };
	double *wake = calloc((size_t)rounds, sizeof(double));
	double *ack = calloc((size_t)rounds, sizeof(double));
	char body[512], id[ID_LEN + 1], path[128], st[32];
	int i;

	if (!wake || !ack || c_open(&h, port) < 0 || c_open(&a, dport) < 0 || c_open(&m, port) < 0)
		die("connect");
	for (i = 0; i < rounds; i++) {
		double t0, t_ack = 0, t_wake = 0;

		create_body(body, sizeof(body));
		if (c_do(&h, "POST", "/v1/requests", htok, body) != 201 ||
		    json_str(&h, "id", id, sizeof(id)) < 0)
			die("create");
		c_consume(&h);
		snprintf(path, sizeof(path), "/v1/requests/%s/wait?timeout=%d", id, POLL_S);
		if (c_send(&h, "GET", path, htok, NULL) < 0)
			die("send wait");
		while (waiters_now(&m) < 1)
			usleep(200);
		snprintf(path, sizeof(path), "/v1/requests/%s/approve", id);
		if (c_send(&a, "POST", path, atok, NULL) < 0)
			die("send approve");
		t0 = a.t_sent;
		while (!t_ack || !t_wake) {
			struct pollfd p[2] = { { .fd = h.fd, .events = POLLIN }, { .fd = a.fd, .events = POLLIN } };

			if (poll(p, 2, 30000) <= 0)
				die("no answer");
			if (!t_wake && c_pump(&h) == 1) {
				t_wake = now_s();
				if (h.status != 200 || json_str(&h, "status", st, sizeof(st)) < 0 ||
				    strcmp(st, "approved") != 0) {
					fprintf(stderr, "loadgen: round %d: waiter got %d %.*s\n", i,
						h.status, (int)h.bodylen, h.body);
					return 1;
				}
				c_consume(&h);
			}
			if (!t_ack && c_pump(&a) == 1) {
				t_ack = now_s();
				if (a.status != 200) {
					fprintf(stderr, "loadgen: round %d: approve got %d\n", i, a.status);
					return 1;
				}
				c_consume(&a);
			}
		}
		wake[i] = t_wake - t0;
		ack[i] = t_ack - t0;
	}
	printf("wake rounds=%d %s\n", rounds, dport == port ? "same instance" : "decided through another instance");
	print_dist("decision_to_wake", wake, (size_t)rounds);
	print_dist("approve_call", ack, (size_t)rounds);
	c_close(&h);
	c_close(&a);
	c_close(&m);
	free(h.in);
	free(a.in);
	free(m.in);
	free(wake);
	free(ack);
	return 0;
}

/* ---- hold and storm ---- */

struct waiter {
	char id[ID_LEN + 1];
	double t_dec, t_ack, t_wake;
	int final, lost;
};

/* File count requests through CREATORS keep-alive connections. */
static void
file_requests(int port, const char *htok, struct waiter *w, int count)
{
	struct conn c[CREATORS];
	char body[512];
	int i, next = 0, done = 0, k;
	double t0 = now_s();

	for (k = 0; k < CREATORS; k++) {
		memset(&c[k], 0, sizeof(c[k]));
		if (c_open(&c[k], port) < 0)
			die("connect (create)");
	}
	while (done < count) {
		struct pollfd p[CREATORS];
		int busy = 0;

		for (k = 0; k < CREATORS; k++) {
			if (c[k].idx == 0 && next < count) {
				create_body(body, sizeof(body));
				if (c_send(&c[k], "POST", "/v1/requests", htok, body) < 0)
					die("send create");
				c[k].idx = ++next;	/* 1-based: 0 is idle */
			}
			p[k].fd = c[k].fd;
			p[k].events = POLLIN;
			busy += c[k].idx != 0;
		}
		if (!busy)
			break;
		poll(p, CREATORS, 1000);
		for (k = 0; k < CREATORS; k++) {
			if (!c[k].idx || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			i = c_pump(&c[k]);
			if (i < 0)
				die("create connection closed");
			if (i == 0)
				continue;
			if (c[k].status == 503) {	/* the pool was crowded: ask again */
				c_consume(&c[k]);
				create_body(body, sizeof(body));
				if (c_send(&c[k], "POST", "/v1/requests", htok, body) < 0)
					die("send create");
				continue;
			}
			if (c[k].status != 201 || json_str(&c[k], "id", w[done].id, sizeof(w[done].id)) < 0) {
				fprintf(stderr, "loadgen: create: %d %.*s\n", c[k].status,
					(int)c[k].bodylen, c[k].body);
				exit(1);
			}
			done++;
			c_consume(&c[k]);
			c[k].idx = 0;
		}
	}
	for (k = 0; k < CREATORS; k++) {
		c_close(&c[k]);
		free(c[k].in);
	}
	printf("filed %d requests in %.2f s (%d connections)\n", count, now_s() - t0, CREATORS);
	fflush(stdout);
}

/* The ids of count requests filed beforehand, one a line. */
static void
read_ids(const char *file, struct waiter *w, int count)
{
	FILE *f = fopen(file, "r");
	char line[128];
	int i;

	if (!f)
		die(file);
	for (i = 0; i < count; i++) {
		if (!fgets(line, sizeof(line), f) || strlen(line) < ID_LEN) {
			fprintf(stderr, "loadgen: %s: only %d ids\n", file, i);
			exit(1);
		}
		memcpy(w[i].id, line, ID_LEN);
		w[i].id[ID_LEN] = '\0';
	}
	fclose(f);
}

static int
send_wait(struct conn *c, const struct waiter *w, const char *htok)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/requests/%s/wait?timeout=%d", w->id, POLL_S);
	return c_send(c, "GET", path, htok, NULL);
}

static void
start_deciders(int ep, struct conn *d, int deciders, int dport, struct waiter *w,
	       int count, int *next_dec, const char *atok)
{
	char path[128];
	int i;

	for (i = 0; i < deciders; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(count + i) };

		if (c_open(&d[i], dport) < 0)
			die("connect (decide)");
		epoll_ctl(ep, EPOLL_CTL_ADD, d[i].fd, &ev);
		if (*next_dec >= count)
			continue;
		d[i].idx = (*next_dec)++;
		snprintf(path, sizeof(path), "/v1/requests/%s/approve", w[d[i].idx].id);
		if (c_send(&d[i], "POST", path, atok, NULL) < 0)
			die("send approve");
		w[d[i].idx].t_dec = d[i].t_sent;
	}
}

static int
run_hold(int port, const char *htok, const char *atok, int count, int deciders, int dport)
{
	struct waiter *w = calloc((size_t)count, sizeof(*w));
	struct conn *c = calloc((size_t)count + (size_t)deciders, sizeof(*c));
	struct conn *d = c + count;
	int ep = epoll_create1(EPOLL_CLOEXEC), i, finals = 0, approved = 0, lost = 0;
	int next_dec = 0, acks = 0, other = 0, retried = 0, holding = 0;
	struct conn m = { .fd = -1 };
	double t0, end = now_s() + GIVE_UP_S;
	char st[32], path[128];

	if (!w || !c || ep < 0)
		die("setup");
	for (i = 0; i < count + deciders; i++)
		c[i].fd = -1;
	if (getenv("LOADGEN_IDS"))
		read_ids(getenv("LOADGEN_IDS"), w, count);
	else
		file_requests(port, htok, w, count);
	for (i = 0; i < count; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		c[i].idx = i;
		if (c_open(&c[i], port) < 0)
			die("connect (wait)");
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
		if (send_wait(&c[i], &w[i], htok) < 0)
			die("send wait");
	}
	if (c_open(&m, port) < 0)
		die("connect (metrics)");
	t0 = now_s();
	while (finals < count || (deciders > 0 && acks + other < count)) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, holding ? 1000 : 5), k;

		/* all held (approvald says so): the decisions may begin */
		if (!holding && waiters_now(&m) >= count) {
			holding = 1;
			printf("waiting %d\n", count);
			fflush(stdout);
			t0 = now_s();
			if (deciders > 0)
				start_deciders(ep, d, deciders, dport, w, count, &next_dec, atok);
		}

		if (now_s() > end) {
			fprintf(stderr, "loadgen: gave up: %d of %d final\n", finals, count);
			return 1;
		}
		for (k = 0; k < n; k++) {
			unsigned u = evs[k].data.u32;
			struct conn *x = &c[u];
			int r;

			if ((int)u >= count) {	/* a decider */
				while ((r = c_pump(x)) == 1) {
					struct waiter *y = &w[x->idx];

					if (x->status == 503) {
						/* the pool was crowded: the same decision again */
						retried++;
						c_consume(x);
						snprintf(path, sizeof(path), "/v1/requests/%s/approve", y->id);
						if (c_send(x, "POST", path, atok, NULL) < 0)
							die("send approve");
						continue;
					}
					y->t_ack = now_s();
					if (x->status == 200)
						acks++;
					else
						other++;
					c_consume(x);
					if (next_dec >= count)
						continue;
					x->idx = next_dec++;
					snprintf(path, sizeof(path), "/v1/requests/%s/approve", w[x->idx].id);
					if (c_send(x, "POST", path, atok, NULL) < 0)
						die("send approve");
					w[x->idx].t_dec = x->t_sent;
				}
				if (r < 0) {	/* closed after a 503: the same again */
					epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
					c_close(x);
					if (c_open(x, dport) < 0)
						die("reconnect (decide)");
					epoll_ctl(ep, EPOLL_CTL_ADD, x->fd,
						  &(struct epoll_event){ .events = EPOLLIN, .data.u32 = u });
					snprintf(path, sizeof(path), "/v1/requests/%s/approve", w[x->idx].id);
					if (c_send(x, "POST", path, atok, NULL) < 0)
						die("send approve");
				}
				continue;
			}
			r = c_pump(x);
			if (r == 0)
				continue;
			if (r < 0) {
				/* closed (after a 503, approvald closes): a new
				 * connection asks again, as the module does */
				retried++;
				epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
				c_close(x);
				if (c_open(x, port) < 0)
					die("reconnect (wait)");
				epoll_ctl(ep, EPOLL_CTL_ADD, x->fd,
					  &(struct epoll_event){ .events = EPOLLIN, .data.u32 = u });
				if (send_wait(x, &w[u], htok) < 0)
					die("send wait");
				continue;
			}
			if (x->status == 503) {
				/* woken, but the pool was crowded: asked again, as
				 * the module does */
				retried++;
				c_consume(x);
				if (send_wait(x, &w[u], htok) < 0)
					die("send wait");
				continue;
			}
			if (x->status != 200 || json_str(x, "status", st, sizeof(st)) < 0) {
				fprintf(stderr, "loadgen: waiter %u: answered %d\n", u, x->status);
				return 1;
			}
			c_consume(x);
			if (strcmp(st, "pending") == 0) {
				if (w[u].t_ack)
					w[u].lost = 1;	/* decided, and the long-poll ran out */
				if (send_wait(x, &w[u], htok) < 0)
					die("send wait");
				continue;
			}
			w[u].final = 1;
			w[u].t_wake = now_s();
			finals++;
			approved += strcmp(st, "approved") == 0;
			epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
			c_close(x);
		}
	}
	c_close(&m);
	free(m.in);
	for (i = 0; i < count + deciders; i++) {
		c_close(&c[i]);
		free(c[i].in);
	}
	free(c);
	close(ep);
	for (i = 0; i < count; i++)
		lost += w[i].lost;
	printf("released %d of %d (approved %d) in %.3f s after all were waiting;"
	       " 503 asked again: %d\n", finals, count, approved, now_s() - t0, retried);
	if (deciders > 0) {
		double *lat = calloc((size_t)count, sizeof(double));
		size_t nl = 0;

		for (i = 0; i < count; i++)
			if (w[i].t_dec && w[i].t_wake)
				lat[nl++] = w[i].t_wake - w[i].t_dec;
		printf("storm decisions=%d ok=%d other=%d in %.3f s (%.1f/s, %d connections%s) lost_wakeups=%d\n",
		       count, acks, other, now_s() - t0, acks / (now_s() - t0), deciders,
		       dport == port ? "" : ", through another instance", lost);
		print_dist("storm_decision_to_wake", lat, nl);
		free(lat);
		free(w);
		return lost == 0 && approved == count && acks == count ? 0 : 1;
	}
	free(w);
	return finals == count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc == 6 && strcmp(argv[1], "create") == 0)
		return run_create(atoi(argv[2]), argv[3], atoi(argv[4]), atof(argv[5]));
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "wake") == 0)
		return run_wake(atoi(argv[2]), argv[3], argv[4], atoi(argv[5]),
				atoi(argv[argc == 7 ? 6 : 2]));
	if (argc == 5 && strcmp(argv[1], "hold") == 0)
		return run_hold(atoi(argv[2]), argv[3], NULL, atoi(argv[4]), 0, 0);
	if ((argc == 7 || argc == 8) && strcmp(argv[1], "storm") == 0)
		return run_hold(atoi(argv[2]), argv[3], argv[4], atoi(argv[5]), atoi(argv[6]),
				atoi(argv[argc == 8 ? 7 : 2]));
	fprintf(stderr, "usage: loadgen create PORT HTOKEN CLIENTS SECONDS\n"
		"       loadgen wake PORT HTOKEN ATOKEN ROUNDS [DECIDE_PORT]\n"
		"       loadgen hold PORT HTOKEN COUNT\n"
		"       loadgen storm PORT HTOKEN ATOKEN COUNT DECIDERS [DECIDE_PORT]\n");
	return 2;
}
