/* fuzz_url.c: libFuzzer target for approve_url_parse (the module's url=,
 * approvalctl's --url) and approve_url_transport_ok on what it accepts.
 * Invariants: an accepted URL has host, port and path; a unix: URL has an
 * absolute socket path within APPROVE_UNIX_PATH_MAX, without "//", "/./",
 * "/../" or a trailing '/', and passes the transport rule; plain http that
 * passes it is a literal loopback address (never the name localhost). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "peer.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct approve_url u;
	char err[512], *s;
	size_t n;

	s = malloc(len + 1);
	if (!s)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	if (approve_url_parse(s, &u, err, sizeof(err)) == 0) {
		if (!u.host || !u.port || !u.path)
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
	} else if (u.host || u.unix_path) {
		abort();
	}
	free(s);
	return 0;
}
