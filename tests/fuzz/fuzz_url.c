/* fuzz_url.c: libFuzzer target for approve_url_parse (the module's url=,
 * approvalctl's --url, approvald's public_url) and approve_url_transport_ok
 * on what it accepts. Invariants: a refusal is -EINVAL or -ENOMEM with a
 * message and leaves nothing allocated; an accepted URL (up to its first
 * NUL) is within APPROVE_LEN_URL and has host, a numeric port in 1..65535
 * and a base path that is empty or starts with '/' and never ends in '/';
 * a unix: URL has an absolute socket path within APPROVE_UNIX_PATH_MAX,
 * without "//", "/./", "/../" or a trailing '/', and passes the transport
 * rule; plain http that passes it is never the name localhost. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "peer.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct approve_url u;
	char *s, err[512] = "", *end;
	unsigned long port;
	size_t n;
	int r;

	s = malloc(len + 1);
	if (!s)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	r = approve_url_parse(s, &u, err, sizeof(err));
	if (r != 0) {
		if ((r != -EINVAL && r != -ENOMEM) || !err[0] || u.host || u.port ||
		    u.path || u.unix_path)
			abort();
		goto out;
	}
	if (strlen(s) > APPROVE_LEN_URL || !u.host || !u.host[0] || !u.port || !u.path)
		abort();
	port = strtoul(u.port, &end, 10);
	if (*end || port < 1 || port > 65535)
		abort();
	n = strlen(u.path);
	if (n && (u.path[0] != '/' || u.path[n - 1] == '/'))
		abort();
	if (u.unix_path) {
		n = strlen(u.unix_path);
		if (u.unix_path[0] != '/' || n > APPROVE_UNIX_PATH_MAX ||
		    u.unix_path[n - 1] == '/' || strstr(u.unix_path, "//") ||
		    strstr(u.unix_path, "/./") || strstr(u.unix_path, "/../") ||
		    u.tls || strcmp(u.host, "localhost") != 0)
			abort();
		if (approve_url_transport_ok(&u, err, sizeof(err)) != 0)
			abort();
	} else if (!u.tls && approve_url_transport_ok(&u, err, sizeof(err)) == 0 &&
		   strcasecmp(u.host, "localhost") == 0) {
		abort();
	}
	approve_url_release(&u);
out:
	free(s);
	return 0;
}
