/* failopen.c: owns the decision whether "approvald unreachable" is real
 * enough for failmode=open. It starts at "may not fail open"; one line
 * proves otherwise.
 *
 * The HTTP client says APPROVE_HTTP_UNREACHABLE only when every address
 * refused or had no route. That is still not enough on its own: a
 * requester can shape this process before running setuid sudo/su (a
 * lowered RLIMIT_NOFILE or memory limit, inherited descriptors filling the
 * table; su does not close them), which is the pam_duo fail-open lesson
 * (DUO-PSA-2017-002). So failmode=open additionally requires normal
 * limits, room for descriptors, and a second, independent look: the name
 * resolved afresh and every address connected afresh (each with its own
 * share of the probe's time, each polled at least once even when that
 * time ran out while the process was stopped), every one refused or
 * unroutable. A timeout of any kind, EHOSTDOWN, ENETDOWN, a name that does
 * not resolve, a probe that connects, or anything else is a denial. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "buf.h"
#include "failopen.h"
#include "http.h"
#include "peer.h"

#define NOFILE_MIN 64
#define MEM_MIN (256UL * 1024 * 1024)
#define FD_HEADROOM 16

static void
set_why(char *why, size_t whylen, const char *what, int err)
{
	approve_errf(why, whylen, "%s%s%s", what, err ? ": " : "",
		     err ? strerror(err) : "");
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

int
pa_failopen_check(const char *url, uid_t server_uid, unsigned probe_ms,
		  char *why, size_t whylen)
{
	struct addrinfo *res = NULL;
	struct approve_url u = { 0 };
	uint64_t deadline = approve_now_ms() + probe_ms;
	char err[512];
	int may = -EPERM;	/* may not fail open */
	int r;

	r = limits_normal(why, whylen);
	if (r != 0) {
		may = r;
		goto out;
	}
	if (approve_url_parse(url, &u, err, sizeof(err)) != 0) {
		set_why(why, whylen, "bad url", 0);
		goto out;
	}
	if (u.unix_path) {
		/* the same path and owner checks as the connect: only a
		 * missing socket or one without a listener is "not there" */
		r = approve_unix_probe(u.unix_path, server_uid, deadline, err,
				       sizeof(err));
		if (r != 0) {
			approve_errf(why, whylen, "probe: %s", err);
			goto out;
		}
		may = 0;	/* a fresh attempt found nothing there */
		goto out;
	}
	if (!u.host || (!u.tls && strncasecmp(url, "http://", 7) != 0)) {
		set_why(why, whylen, "no probe for this URL", 0);
		goto out;
	}
	r = approve_resolve(u.host, u.port, deadline, &res);
	if (r != 0) {
		/* no address to try: nothing proves that nobody is there */
		approve_errf(why, whylen, "probe: %s: %s", u.host,
			     r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		res = NULL;
		goto out;
	}
	r = approve_connect_addrs(res, deadline, NULL, err, sizeof(err));
	if (r >= 0) {
		close(r);
		set_why(why, whylen, "approvald answers a probe", 0);
		goto out;
	}
	if (r != APPROVE_HTTP_UNREACHABLE) {
		approve_errf(why, whylen, "probe: %s", err);
		goto out;
	}
	may = 0;	/* every address, tried afresh, refused or had no route */
out:
	if (res)
		freeaddrinfo(res);
	approve_url_release(&u);
	return may;
}
