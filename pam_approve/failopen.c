/* failopen.c: owns the decision whether "approvald unreachable" is real
 * enough for failmode=open.
 *
 * The HTTP client reports every connect-phase failure as unreachable,
 * including failures the requester can cause from outside before running
 * setuid sudo/su: a lowered RLIMIT_NOFILE or memory limit, inherited open
 * descriptors filling the table (su does not close them), exhausted local
 * ports (EADDRNOTAVAIL). That is the pam_duo fail-open lesson (DUO-PSA-
 * 2017-002), so failmode=open additionally requires: normal limits, room
 * for descriptors, and a second connect to the same address that fails
 * with a network error. Anything else, including a probe that now
 * connects, is a denial. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "failopen.h"
#include "http.h"

#define NOFILE_MIN 64
#define MEM_MIN (256UL * 1024 * 1024)
#define FD_HEADROOM 16

static void
set_why(char *why, size_t whylen, const char *what, int err)
{
	if (why && whylen &&
	    snprintf(why, whylen, "%s%s%s", what, err ? ": " : "",
		     err ? strerror(err) : "") < 0)
		why[0] = '\0';
}

static int
limits_normal(char *why, size_t whylen)
{
	static const int mem[] = { RLIMIT_AS, RLIMIT_DATA };
	int fds[FD_HEADROOM];
	struct rlimit rl;
	size_t i, n;
	int r = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < NOFILE_MIN)) {
		set_why(why, whylen, "RLIMIT_NOFILE lowered", 0);
		return -EMFILE;
	}
	for (i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		if (getrlimit(mem[i], &rl) != 0 ||
		    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MEM_MIN)) {
			set_why(why, whylen, "memory limit lowered", 0);
			return -ENOMEM;
		}
	}
	for (n = 0; n < FD_HEADROOM; n++) {
		fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[n] == -1) {
			r = -errno;
			set_why(why, whylen, "no room for descriptors", -r);
			break;
		}
	}
	while (n > 0)
		close(fds[--n]);
	return r;
}

/* errno values of a connect that mean "the network says no". */
static int
network_errno(int e)
{
	return e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH ||
	       e == ETIMEDOUT || e == EHOSTDOWN || e == ENETDOWN;
}

/* 0 when connecting to ai fails for a network reason, else -errno
 * (-EISCONN when it connects). */
static int
probe_one(const struct addrinfo *ai, uint64_t deadline, char *why,
	  size_t whylen)
{
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, e = 0, n;
	uint64_t now;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd == -1) {
		e = errno;
		set_why(why, whylen, "probe socket", e);
		return -e;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		e = EISCONN;
	} else if (errno != EINPROGRESS) {
		e = errno;
	} else {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		now = approve_now_ms();
		n = now >= deadline ? 0 : poll(&pfd, 1, (int)(deadline - now));
		if (n == 0)
			e = ETIMEDOUT;
		else if (n < 0)
			e = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
			e = errno;
		else if (e == 0)
			e = EISCONN;
	}
	close(fd);
	if (network_errno(e))
		return 0;
	set_why(why, whylen, e == EISCONN ? "approvald answers a probe" :
		"probe connect", e == EISCONN ? 0 : e);
	return -e;
}

int
pa_failopen_check(const char *url, unsigned probe_ms, char *why,
		  size_t whylen)
{
	struct addrinfo *res = NULL, *ai;
	struct approve_url u = { 0 };
	uint64_t deadline = approve_now_ms() + probe_ms;
	char err[128];
	int r;

	r = limits_normal(why, whylen);
	if (r != 0)
		return r;
	r = approve_url_parse(url, &u, err, sizeof(err));
	if (r != 0) {
		set_why(why, whylen, "bad url", 0);
		goto out;
	}
	r = approve_resolve(u.host, u.port, deadline, &res);
	if (r != 0) {
		/* the name does not resolve: only answers from the resolver
		 * count, not local failures (EAI_SYSTEM, EAI_MEMORY) */
		if (r == EAI_NONAME || r == EAI_AGAIN || r == EAI_FAIL ||
		    r == EAI_NODATA) {
			r = 0;
		} else {
			set_why(why, whylen, "name resolution failed locally", 0);
			r = -EIO;
		}
		res = NULL;
		goto out;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		r = probe_one(ai, deadline, why, whylen);
		if (r != 0)
			break;
	}
out:
	if (res)
		freeaddrinfo(res);
	approve_url_release(&u);
	return r;
}
