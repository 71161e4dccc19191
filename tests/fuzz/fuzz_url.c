/* fuzz_url.c: libFuzzer target for approve_url_parse (the module's url=,
 * approvalctl's --url, approvald's public_url). Invariants: a refusal is
 * -EINVAL or -ENOMEM with a message and leaves nothing allocated; an
 * accepted URL (up to its first NUL) is within APPROVE_LEN_URL, its host (when it
 * has one) is non-empty with a numeric port in 1..65535, and its base path
 * is empty or starts with '/' and never ends in '/'. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct approve_url u;
	char *s, err[256] = "", *end;
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
		    u.path)
			abort();
		goto out;
	}
	if (strlen(s) > APPROVE_LEN_URL || !u.path)
		abort();
	if (u.host) {
		if (!u.host[0] || !u.port)
			abort();
		port = strtoul(u.port, &end, 10);
		if (*end || port < 1 || port > 65535)
			abort();
	}
	n = strlen(u.path);
	if (n && (u.path[0] != '/' || u.path[n - 1] == '/'))
		abort();
	approve_url_release(&u);
out:
	free(s);
	return 0;
}
