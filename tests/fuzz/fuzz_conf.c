/* fuzz_conf.c: libFuzzer target for approve_conf_parse. Invariants: a
 * refusal names "NAME:LINE:" and returns no object; an accepted file gives
 * back every key it holds with a value free of NUL and newlines. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	static const char *const allowed[] = { "listen", "database", "debug",
					       "public_url", "request_ttl", NULL };
	struct approve_conf *c = NULL;
	char err[512] = "";
	unsigned long v;
	int i, b;

	if (approve_conf_parse("f.conf", (const char *)data, len, allowed, &c, err,
			       sizeof(err)) != 0) {
		if (c || strncmp(err, "f.conf:", 7) != 0)
			abort();
	} else {
		for (i = 0; allowed[i]; i++) {
			const char *val = approve_conf_get(c, allowed[i]);

			if (!val)
				continue;
			if (strchr(val, '\n') || approve_conf_line(c, allowed[i]) == 0)
				abort();
			approve_parse_ulong(val, 0, ~0UL, &v);
			approve_parse_bool(val, &b);
		}
		approve_conf_free(c);
	}
	c = NULL;
	if (approve_conf_parse("g", (const char *)data, len, NULL, &c, err, sizeof(err)) == 0)
		approve_conf_free(c);
	else if (c)
		abort();
	return 0;
}
