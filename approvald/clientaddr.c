/* clientaddr.c: owns the client address of a request (see clientaddr.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "clientaddr.h"

struct addr {
	int family;
	unsigned char b[16];
};

static int
addr_parse(const char *s, size_t n, struct addr *a)
{
	char buf[64];

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a->b) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		a->family = AF_INET6;
		if (memcmp(a->b, mapped, 12) == 0) {	/* ::ffff:a.b.c.d is IPv4 */
			memmove(a->b, a->b + 12, 4);
			memset(a->b + 4, 0, 12);
			a->family = AF_INET;
		}
		return 0;
	}
	return -EINVAL;
}

int
client_is_proxy(const char *list, const char *peer)
{
	struct addr pa, x;
	const char *p;
	size_t n;

	if (!list)
		return 0;
	if (strncmp(peer, "unix", 4) == 0) {
		/* a Unix socket peer only when its "unix:uid=N" is listed */
		for (p = list; *(p += strspn(p, ", \t")); p += n) {
			n = strcspn(p, ", \t");
			if (n == strlen(peer) && strncmp(p, peer, n) == 0)
				return 1;
		}
		return 0;
	}
	if (addr_parse(peer, strlen(peer), &pa) < 0)
		return 0;
	for (p = list; *p; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n && addr_parse(p, n, &x) == 0 && x.family == pa.family &&
		    memcmp(x.b, pa.b, 16) == 0)
			return 1;
	}
	return 0;
}

void
client_resolve(const char *peer, int is_proxy, const char *xff, char *out, size_t len)
{
	const char *last;
	struct addr a;
	size_t n;

	snprintf(out, len, "%s", peer);
	if (!is_proxy || !xff)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	last += strspn(last, " \t");
	n = strcspn(last, " \t");
	if (n < len && last[n] == '\0' && addr_parse(last, n, &a) == 0)
		snprintf(out, len, "%.*s", (int)n, last);
}
