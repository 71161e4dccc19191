/* bench/waiters.c: load client for the "10,000 concurrent waiters" goal.
 *
 *   waiters PORT TOKEN COUNT TIMEOUT IDS_OUT
 *
 * Phase 1 files COUNT requests on 127.0.0.1:PORT with the host TOKEN (one
 * connection each) and writes their ids to IDS_OUT. Phase 2 opens COUNT
 * concurrent long-polls (GET /v1/requests/ID/wait?timeout=TIMEOUT) with epoll,
 * prints "waiting N" once every request is sent, and then counts answers
 * until all connections are answered, printing how many said "approved",
 * how long the last answer took after the first decision arrived, and
 * failures. Bounded: it gives up TIMEOUT+30 s after phase 2 started.
 * Loopback only; plain HTTP. Not part of the test suite (see BENCHMARKS.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	size_t sent, reqlen, got;
	char req[256];
	char resp[2048];
	int done;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(int port, int nonblock)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One blocking exchange; returns bytes read into out (NUL-terminated). */
static ssize_t exchange(int port, const char *req, char *out, size_t outlen)
{
	int fd = dial(port, 0);
	size_t len = strlen(req), off = 0;
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		n = write(fd, req + off, len - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	while ((size_t)total < outlen - 1 && (n = read(fd, out + total, outlen - 1 - total)) > 0)
		total += n;
	out[total] = 0;
	close(fd);
	return total;
}

int main(int argc, char **argv)
{
	int port, count, timeout, ep, i, answered = 0, approved = 0, failed = 0;
	const char *token;
	char (*ids)[37];
	struct conn *c;
	FILE *f;
	struct rlimit rl;
	double t0, first = 0, last = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: waiters PORT TOKEN COUNT TIMEOUT IDS_OUT\n");
		return 2;
	}
	port = atoi(argv[1]);
	token = argv[2];
	count = atoi(argv[3]);
	timeout = atoi(argv[4]);
	if (port <= 0 || count <= 0 || count > 100000 || timeout < 1 || timeout > 60)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ids = calloc((size_t)count, sizeof(*ids));
	c = calloc((size_t)count, sizeof(*c));
	if (!ids || !c)
		return 1;

	/* phase 1: file the requests */
	t0 = now_s();
	for (i = 0; i < count; i++) {
		char body[512], req[1024], resp[4096], *p;
		int bl = snprintf(body, sizeof(body),
			"{\"service\":\"sudo\",\"user\":\"bench%d\",\"uid\":%d,"
			"\"target_user\":\"root\",\"command\":\"sudo true %d\","
			"\"hostname\":\"bench\"}", i % 100, 10000 + i % 100, i);

		snprintf(req, sizeof(req), "POST /v1/requests HTTP/1.1\r\nHost: x\r\n"
			 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %d\r\nConnection: close\r\n\r\n%s", token, bl, body);
		if (exchange(port, req, resp, sizeof(resp)) <= 0 ||
		    !(p = strstr(resp, "\"id\"")) || !(p = strchr(p + 4, '"'))) {
			fprintf(stderr, "create %d failed: %.200s\n", i, resp);
			return 1;
		}
		memcpy(ids[i], p + 1, 36);
		ids[i][36] = 0;
	}
	printf("created %d in %.2f s\n", count, now_s() - t0);
	f = fopen(argv[5], "w");
	if (!f)
		return 1;
	for (i = 0; i < count; i++)
		fprintf(f, "%s\n", ids[i]);
	fclose(f);

	/* phase 2: COUNT concurrent long-polls */
	ep = epoll_create1(0);
	for (i = 0; i < count; i++) {
		struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i };

		c[i].fd = dial(port, 1);
		if (c[i].fd < 0) {
			fprintf(stderr, "connect %d: %s\n", i, strerror(errno));
			return 1;
		}
		c[i].reqlen = (size_t)snprintf(c[i].req, sizeof(c[i].req),
			"GET /v1/requests/%s/wait?timeout=%d HTTP/1.1\r\nHost: x\r\n"
			"Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
			ids[i], timeout, token);
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	t0 = now_s();
	{
		int sent_all = 0, nsent = 0;
		struct epoll_event evs[256];

		while (answered < count && now_s() - t0 < timeout + 30) {
			int n = epoll_wait(ep, evs, 256, 1000);

			for (int k = 0; k < n; k++) {
				struct conn *x = &c[evs[k].data.u32];

				if (x->done)
					continue;
				if ((evs[k].events & EPOLLOUT) && x->sent < x->reqlen) {
					ssize_t w = write(x->fd, x->req + x->sent, x->reqlen - x->sent);

					if (w > 0 && (x->sent += (size_t)w) == x->reqlen) {
						struct epoll_event ev = { .events = EPOLLIN, .data.u32 = evs[k].data.u32 };

						epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
						nsent++;
					}
				}
				if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
					ssize_t r = read(x->fd, x->resp + x->got, sizeof(x->resp) - 1 - x->got);

					if (r > 0) {
						x->got += (size_t)r;
						x->resp[x->got] = 0;
						if (x->got < sizeof(x->resp) - 1)
							continue;
					} else if (r < 0 && errno == EAGAIN) {
						continue;
					}
					x->done = 1;
					answered++;
					close(x->fd);
					if (strstr(x->resp, "\"approved\""))
						approved++;
					else
						failed++;
					if (!first)
						first = now_s();
					last = now_s();
				}
			}
			if (!sent_all && nsent == count) {
				sent_all = 1;
				printf("waiting %d\n", count);
				fflush(stdout);
			}
		}
	}
	printf("answered %d approved %d other %d first-to-last %.3f s\n",
	       answered, approved, failed, first ? last - first : 0.0);
	return (answered == count && approved == count) ? 0 : 1;
}
